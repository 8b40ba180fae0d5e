//! DEBUG DIGEST / DIGEST-VALUE: an order-independent SHA-1 signature of the data set, computed
//! the way Redis 7.0 computes it so an oxidis node and a Redis node holding the same data report
//! the same digest (replication and migration tests compare them).
//!
//! Per key: start from 20 zero bytes, "mix" in the key, the type (4 bytes, big endian), the
//! value, and the marker `!!expire!!` when the key has a TTL. Per database: mix in the db index,
//! then XOR the SHA-1 of every key's digest in (so key order does not matter). Mixing XORs SHA-1(data) into
//! the digest and then replaces the digest with its own SHA-1.
use super::{Db, Entry, Keyspace, Value, NO_EXPIRE};
use crate::sha1::sha1;

pub type Digest = [u8; 20];

/// `digest ^= sha1(data)`.
pub fn xor_digest(digest: &mut Digest, data: &[u8]) {
    let h = sha1(data);
    for (d, x) in digest.iter_mut().zip(h) {
        *d ^= x;
    }
}

/// `digest = sha1(digest ^ sha1(data))`.
pub fn mix_digest(digest: &mut Digest, data: &[u8]) {
    xor_digest(digest, data);
    *digest = sha1(&digest[..]);
}

/// Digest of one value (DEBUG DIGEST-VALUE), including the expire marker.
pub fn value_digest(digest: &mut Digest, e: &Entry) {
    mix_digest(digest, &e.value.type_id().to_be_bytes());
    match &e.value {
        Value::Str(s, _) => mix_digest(digest, s),
        Value::List(l) => l.digest(digest),
        Value::Hash(h) => h.digest(digest),
        Value::Set(s) => s.digest(digest),
        Value::ZSet(z) => z.digest(digest),
        Value::Stream(x) => x.digest(digest),
    }
    if e.expire_at != NO_EXPIRE {
        xor_digest(digest, b"!!expire!!");
    }
}

fn db_digest(final_: &mut Digest, id: usize, db: &Db) {
    if db.is_empty() {
        return;
    }
    mix_digest(final_, &(id as u32).to_be_bytes());
    for (k, e) in db.dict.iter() {
        let mut d = [0u8; 20];
        mix_digest(&mut d, k);
        value_digest(&mut d, e);
        xor_digest(final_, &d);
    }
}

/// DEBUG DIGEST of the whole keyspace; all zeros when it is empty.
pub fn dataset_digest(ks: &Keyspace) -> Digest {
    let mut d = [0u8; 20];
    for (id, db) in ks.dbs.iter().enumerate() {
        db_digest(&mut d, id, db);
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sha1::hex;

    #[test]
    fn matches_redis_7_0() {
        // Reference values from redis-server 7.0.15.
        let mut ks = Keyspace::new(16);
        assert_eq!(hex(&dataset_digest(&ks)), "0".repeat(40));
        ks.dbs[0].set(b"a".to_vec(), Value::string(b"1".to_vec()), false, 0);
        ks.dbs[0].set(b"b".to_vec(), Value::string(b"hello".to_vec()), false, 0);
        assert_eq!(
            hex(&dataset_digest(&ks)),
            "2539797405e828ad7a3aa48c536b3eaf2803a421"
        );
        let mut d = [0u8; 20];
        value_digest(&mut d, ks.dbs[0].peek(b"a", 0).unwrap());
        assert_eq!(hex(&d), "b4fc66738120fba0b5aa500ab5c2bf89cea1c5da");
    }
}

//! Round trip of the RDB serializer: random datasets of every type, in every encoding and at
//! the sizes around each conversion threshold, are written by `rdb::save` and read back by
//! `rdb::load`; every key must come back with the same value, the same encoding and the same
//! expiry. Each run draws a fresh seed (printed on failure; `RDB_SEED=N` replays one).
use oxidis::config::EncLimits;
use oxidis::db::{Hash, Keyspace, List, Set, Value, ZSet, NO_EXPIRE};
use oxidis::rdb::{self, LoadOpts, SaveInfo};

/// xorshift64*: small, deterministic for a seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545F4914F6CDD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
}

/// Sizes that straddle the listpack/intset limits and the 8 KB quicklist node size.
const SIZES: &[u64] = &[1, 2, 5, 63, 64, 127, 128, 129, 300, 511, 512, 513, 1500];

/// A string of one of the shapes the writer encodes differently: small and large integers,
/// integer-looking text that must stay text, short text, long compressible text, long
/// incompressible bytes, empty, and a value long enough to fill a quicklist node by itself.
fn string(r: &mut Rng) -> Vec<u8> {
    match r.below(10) {
        0 => (r.next() as i64 % 200 - 100).to_string().into_bytes(),
        1 => (r.next() as i64).to_string().into_bytes(),
        2 => format!("0{}", r.below(1000)).into_bytes(),
        3 => format!("k{}", r.below(100_000)).into_bytes(),
        4 => vec![b'a' + r.below(26) as u8; 21 + r.below(200) as usize],
        5 => (0..30 + r.below(100)).map(|_| r.next() as u8).collect(),
        6 => Vec::new(),
        7 => (r.next() as i32).to_string().into_bytes(),
        8 => vec![b'x'; 9000 + r.below(100) as usize],
        _ => format!("field:{}:{}", r.below(50), r.below(1_000_000)).into_bytes(),
    }
}

fn score(r: &mut Rng) -> f64 {
    match r.below(8) {
        0 => f64::INFINITY,
        1 => f64::NEG_INFINITY,
        2 => (r.below(1000) as f64) - 500.0,
        3 => (r.next() as i64) as f64,
        4 => 0.1 * r.below(100) as f64,
        5 => f64::from_bits(r.next() >> 2),
        _ => (r.next() as i64 % 1_000_000) as f64 / 7.0,
    }
}

fn value(r: &mut Rng, lim: &EncLimits) -> Value {
    let n = *r.pick(SIZES);
    match r.below(5) {
        0 => Value::string(string(r)),
        1 => Value::List(List::from_vec((0..n).map(|_| string(r)).collect())),
        2 => {
            let mut h = Hash::default();
            let long = r.below(4) == 0;
            for i in 0..n {
                let f = format!("f{i}").into_bytes();
                let v = if long {
                    string(r)
                } else {
                    format!("{}", r.below(1000)).into_bytes()
                };
                h.set(&f, &v, lim);
            }
            Value::Hash(h)
        }
        3 => {
            let mut s = Set::default();
            let width = *r.pick(&[100u64, 40_000, 3_000_000_000, u64::MAX]);
            let text = r.below(4) == 0;
            for _ in 0..n {
                let m = if text {
                    string(r)
                } else {
                    ((r.below(width) as i64) - (width / 2) as i64)
                        .to_string()
                        .into_bytes()
                };
                s.add(&m, lim);
            }
            Value::Set(s)
        }
        _ => {
            let mut z = ZSet::new();
            for i in 0..n {
                let m = if r.below(3) == 0 {
                    string(r)
                } else {
                    format!("m{i}").into_bytes()
                };
                z.set(&m, score(r), lim);
            }
            Value::ZSet(z)
        }
    }
}

fn dataset(r: &mut Rng, lim: &EncLimits, now: i64) -> Keyspace {
    let mut ks = Keyspace::new(16);
    for db in [0usize, 3, 15] {
        for i in 0..150 {
            let v = value(r, lim);
            let at = if r.below(3) == 0 {
                now + 1 + r.below(1 << 40) as i64
            } else {
                NO_EXPIRE
            };
            ks.dbs[db].set_with_expire(format!("key:{db}:{i}").into_bytes(), v, at, now);
        }
    }
    ks
}

fn info(compress: bool, checksum: bool) -> SaveInfo {
    SaveInfo {
        ctime: 1_700_000_000,
        used_mem: 1 << 20,
        repl_id: "0123456789abcdef0123456789abcdef01234567".into(),
        repl_offset: 12345,
        repl_stream_db: 0,
        compress,
        checksum,
        key_save_delay_us: 0,
        functions: Vec::new(),
    }
}

fn opts(lim: &EncLimits, now: i64) -> LoadOpts<'static> {
    LoadOpts {
        databases: 16,
        lim: *lim,
        now,
        drop_expired: true,
        key_load_delay_us: 0,
        progress: None,
    }
}

fn assert_same(a: &Keyspace, b: &Keyspace, seed: u64) {
    for (i, (da, db)) in a.dbs.iter().zip(b.dbs.iter()).enumerate() {
        assert_eq!(da.len(), db.len(), "seed {seed}: db {i} size");
        for (k, ea) in da.dict.iter() {
            let name = String::from_utf8_lossy(k);
            let eb = db
                .dict
                .get(k)
                .unwrap_or_else(|| panic!("seed {seed}: {name} missing"));
            assert_eq!(ea.value, eb.value, "seed {seed}: value of {name}");
            assert_eq!(
                ea.value.encoding(),
                eb.value.encoding(),
                "seed {seed}: encoding of {name}"
            );
            assert_eq!(ea.expire_at, eb.expire_at, "seed {seed}: expiry of {name}");
        }
        assert_eq!(
            da.expires.len(),
            db.expires.len(),
            "seed {seed}: db {i} expires"
        );
    }
}

fn seed() -> u64 {
    std::env::var("RDB_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64 | 1)
                .unwrap_or(1)
        })
}

#[test]
fn random_datasets_survive_save_and_load() {
    let lim = EncLimits::default();
    let now = 1_800_000_000_000;
    let base = seed();
    for round in 0..4u64 {
        let seed = base.wrapping_add(round * 7919) | 1;
        let mut r = Rng(seed);
        let ks = dataset(&mut r, &lim, now);
        let (compress, checksum) = (round % 2 == 0, round < 2);
        let bytes = rdb::save(&ks, Vec::new(), &info(compress, checksum))
            .unwrap_or_else(|e| panic!("seed {seed}: save failed: {e}"));
        assert!(bytes.starts_with(b"REDIS0010"), "seed {seed}: header");
        let loaded = rdb::load(&bytes[..], opts(&lim, now))
            .unwrap_or_else(|e| panic!("seed {seed} (RDB_SEED={seed}): load failed: {e}"));
        assert_eq!(
            loaded.repl_id.as_deref(),
            Some(info(true, true).repl_id.as_str())
        );
        assert_eq!(loaded.repl_offset, Some(12345));
        assert_same(&ks, &loaded.keyspace, seed);
        // The same dataset written twice gives the same bytes (no hidden state).
        let again = rdb::save(&ks, Vec::new(), &info(compress, checksum)).unwrap();
        assert_eq!(bytes, again, "seed {seed}: save is deterministic");
    }
}

#[test]
fn expired_keys_are_dropped_on_load_by_a_master_and_kept_by_a_replica() {
    let lim = EncLimits::default();
    let now = 1_800_000_000_000;
    let mut ks = Keyspace::new(16);
    ks.dbs[0].set_with_expire(
        b"gone".to_vec(),
        Value::string(b"x".to_vec()),
        now - 1,
        now - 10,
    );
    ks.dbs[0].set_with_expire(
        b"kept".to_vec(),
        Value::string(b"y".to_vec()),
        now + 60_000,
        now,
    );
    let bytes = rdb::save(&ks, Vec::new(), &info(true, true)).unwrap();
    let master = rdb::load(&bytes[..], opts(&lim, now)).unwrap();
    assert!(master.keyspace.dbs[0].dict.get(b"gone").is_none());
    assert!(master.keyspace.dbs[0].dict.get(b"kept").is_some());
    assert_eq!(master.expired_skipped, 1);
    let mut o = opts(&lim, now);
    o.drop_expired = false;
    let replica = rdb::load(&bytes[..], o).unwrap();
    assert!(replica.keyspace.dbs[0].dict.get(b"gone").is_some());
}

#[test]
fn every_truncation_is_an_error_never_a_partial_load() {
    let lim = EncLimits::default();
    let now = 1_800_000_000_000;
    let mut r = Rng(42);
    let mut ks = Keyspace::new(16);
    for i in 0..40 {
        let v = value(&mut r, &lim);
        ks.dbs[i % 3].set_with_expire(format!("k{i}").into_bytes(), v, NO_EXPIRE, now);
    }
    let bytes = rdb::save(&ks, Vec::new(), &info(true, true)).unwrap();
    let step = (bytes.len() / 400).max(1);
    let mut cut = 0;
    while cut < bytes.len() {
        assert!(
            rdb::load(&bytes[..cut], opts(&lim, now)).is_err(),
            "a file cut at {cut} of {} bytes loaded",
            bytes.len()
        );
        cut += step;
    }
    // A flipped byte in the body is caught by the checksum (or by the structure checks).
    let mut bad = bytes.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 0x55;
    assert!(rdb::load(&bad[..], opts(&lim, now)).is_err());
}

//! DUMP/RESTORE payloads: one value in RDB encoding, then the RDB version as 2 little-endian
//! bytes, then the CRC64 of everything before it, exactly as Redis frames them.
//!
//! ```text
//! <type byte> <value as in an RDB file> <RDB version: u16 LE> <CRC64 of all before: u64 LE>
//! ```
use super::consts::RDB_VERSION;
use super::error::RdbError;
use super::save::{value_type, write_value_with, Scratch};
use super::sink::Writer;
use super::source::Reader;
use crate::config::EncLimits;
use crate::db::Value;

/// Bytes after the value: version and CRC64.
const FOOTER: usize = 10;

/// The DUMP payload of `v` (`compress`: `rdbcompression`; `list_fill`:
/// `list-max-listpack-size`).
pub fn payload(v: &Value, compress: bool, list_fill: i64) -> Vec<u8> {
    let mut w = Writer::new(Vec::new(), compress);
    // Writing into a Vec cannot fail.
    let body = w
        .put_u8(value_type(v))
        .and_then(|_| write_value_with(&mut w, v, &mut Scratch::new(list_fill)))
        .and_then(|_| w.put_raw(&(RDB_VERSION as u16).to_le_bytes()));
    body.and_then(|_| w.finish_with_crc(true))
        .unwrap_or_default()
}

/// The FUNCTION DUMP payload of the libraries `codes`: a FUNCTION2 record each (as in an RDB
/// file), then the same footer as DUMP.
pub fn functions_payload(codes: &[Vec<u8>], compress: bool) -> Vec<u8> {
    let mut w = Writer::new(Vec::new(), compress);
    let mut body = Ok(());
    for c in codes {
        body = body
            .and_then(|_| w.put_u8(super::consts::OPCODE_FUNCTION2))
            .and_then(|_| w.put_string(c));
    }
    // Writing into a Vec cannot fail.
    body.and_then(|_| w.put_raw(&(RDB_VERSION as u16).to_le_bytes()))
        .and_then(|_| w.finish_with_crc(true))
        .unwrap_or_default()
}

/// The library codes of a verified FUNCTION RESTORE payload, or Redis's error text.
pub fn decode_functions(p: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let body = &p[..p.len().saturating_sub(FOOTER)];
    let mut r = Reader::new(body);
    let mut out = Vec::new();
    while r.offset() < body.len() as u64 {
        let t = r.u8().map_err(|_| "ERR payload is corrupted".to_string())?;
        if t != super::consts::OPCODE_FUNCTION2 {
            return Err("ERR given type is not a function".into());
        }
        out.push(
            r.string()
                .map_err(|_| "ERR payload is corrupted".to_string())?,
        );
    }
    Ok(out)
}

/// Whether `p` ends in a version this server reads and the right CRC64 (Redis's
/// verifyDumpPayload; `skip_checksum` is `skip-checksum-validation`).
pub fn verify(p: &[u8], skip_checksum: bool) -> bool {
    if p.len() < FOOTER {
        return false;
    }
    let footer = &p[p.len() - FOOTER..];
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    if version as u32 > RDB_VERSION {
        return false;
    }
    if skip_checksum {
        return true;
    }
    let crc = super::CRC64.checksum(&p[..p.len() - 8]);
    crc.to_le_bytes() == footer[2..]
}

/// Decode the value of a verified payload (`key` names it in errors).
pub fn decode(p: &[u8], lim: &EncLimits, key: &[u8]) -> Result<Value, RdbError> {
    let mut r = Reader::new(p);
    let t = r.u8()?;
    let v = super::load::read_value(&mut r, t, lim, key)?;
    if v.is_empty_collection() {
        return Err(r.corrupt("empty keys skipped"));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_payload_as_redis_dumps_it() {
        // Redis 7.0.15: SET k v; DUMP k.
        let want = b"\x00\x01v\n\x00\x91\x08\xce\xb2\x198\x8a\xce";
        let p = payload(&Value::string(b"v".to_vec()), true, -2);
        assert_eq!(p, want);
        assert!(verify(&p, false));
    }

    #[test]
    fn verify_rejects_bad_footers() {
        let mut p = payload(&Value::string(b"hello".to_vec()), true, -2);
        assert!(!verify(&p[..9], false));
        let n = p.len();
        p[n - 1] ^= 1;
        assert!(!verify(&p, false));
        assert!(verify(&p, true));
        p[n - 10] = 11;
        assert!(!verify(&p, true));
    }
}

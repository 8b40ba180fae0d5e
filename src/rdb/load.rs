//! The RDB reader: `load` reads a whole file into a new keyspace (the caller swaps it in only
//! on success, so a bad file never leaves half a dataset) and `read_value` reads one value of
//! any type and encoding Redis 6.x, 7.0 and 7.2 write. `load_traced` is the same walk reporting
//! each record with its offset, for `check-rdb`.
mod collections;
mod value;

use super::consts::*;
use super::error::RdbError;
use super::source::Reader;
use crate::config::EncLimits;
use crate::db::{Entry, Keyspace, NO_EXPIRE};
use std::io::Read;

pub use value::read_value;
use value::read_value_with;

pub struct LoadOpts<'a> {
    /// `databases`: a file selecting a higher index is refused.
    pub databases: usize,
    pub lim: EncLimits,
    /// Unix ms, for dropping keys already expired.
    pub now: i64,
    /// Drop keys whose TTL has passed (a master does; a replica keeps them).
    pub drop_expired: bool,
    /// `key-load-delay` (microseconds slept after each key; tests use it to make a load slow).
    pub key_load_delay_us: i64,
    /// Called with the bytes read so far, about every 2 MB and after each key when
    /// `key_load_delay_us` is set, so the server can answer clients with -LOADING.
    pub progress: Option<&'a mut dyn FnMut(u64)>,
}

/// What a load produced.
pub struct LoadInfo {
    pub keyspace: Keyspace,
    pub version: u32,
    /// Every AUX field in file order.
    pub aux: Vec<(Vec<u8>, Vec<u8>)>,
    pub repl_id: Option<String>,
    pub repl_offset: Option<i64>,
    pub repl_stream_db: Option<i32>,
    pub keys_loaded: u64,
    pub expired_skipped: u64,
    pub bytes: u64,
    /// Empty collections found in the file (not loaded, as Redis skips them).
    pub empty_skipped: u64,
    /// The code of each function library (FUNCTION2 records), in file order.
    pub functions: Vec<Vec<u8>>,
    /// Function libraries in the pre-release format (RDB 10 before 7.0 GA), skipped.
    pub functions_skipped: u64,
}

/// One record of the file, as `load_traced` reports it (with the offset just after it).
#[derive(Debug)]
pub enum Event<'a> {
    Aux(&'a [u8], &'a [u8]),
    SelectDb(u64),
    ResizeDb(u64, u64),
    /// A key is about to be read: its type byte and expiry (`NO_EXPIRE` if none).
    Key(&'a [u8], u8, i64),
    /// The key just announced was read and is already expired.
    Expired,
    /// A function library (FUNCTION2) was read.
    Function,
    /// A library in the pre-release format was skipped.
    FunctionSkipped,
    /// End of file: the CRC64 trailer was checked (`true`) or is zero (`false`).
    Eof {
        checksum_checked: bool,
    },
}

/// Bytes between two progress calls.
const PROGRESS_EVERY: u64 = 2 << 20;
/// Dict buckets pre-sized from RESIZEDB at most (a corrupt count must not allocate gigabytes).
const MAX_PRESIZE: u64 = 1 << 22;

/// Read a whole RDB stream.
pub fn load<R: Read>(r: R, opts: LoadOpts) -> Result<LoadInfo, RdbError> {
    load_traced(r, opts, &mut |_, _| {})
}

/// The version in a 9-byte header, or the error Redis gives for it.
fn header(magic: &[u8; 9]) -> Result<u32, RdbError> {
    if &magic[..5] != b"REDIS" {
        return Err(RdbError::BadSignature);
    }
    // Like atoi: leading digits, 0 when there are none.
    let v = magic[5..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .fold(0u32, |a, b| a * 10 + (b - b'0') as u32);
    if !(MIN_LOAD_VERSION..=MAX_LOAD_VERSION).contains(&v) {
        return Err(RdbError::Version(v));
    }
    Ok(v)
}

/// `load`, calling `trace` with the offset after each record.
pub fn load_traced<R: Read>(
    r: R,
    mut opts: LoadOpts,
    trace: &mut dyn FnMut(u64, Event),
) -> Result<LoadInfo, RdbError> {
    let mut r = Reader::new(r);
    let version = header(&r.array::<9>()?)?;
    let mut info = LoadInfo {
        keyspace: Keyspace::new(opts.databases),
        version,
        aux: Vec::new(),
        repl_id: None,
        repl_offset: None,
        repl_stream_db: None,
        keys_loaded: 0,
        expired_skipped: 0,
        bytes: 0,
        empty_skipped: 0,
        functions: Vec::new(),
        functions_skipped: 0,
    };
    let mut db = 0usize;
    let mut expire = NO_EXPIRE;
    let mut idle: Option<u64> = None;
    let mut last_progress = 0u64;
    let (mut key, mut scratch) = (Vec::new(), Vec::new());
    loop {
        let t = r.u8()?;
        match t {
            OPCODE_EXPIRETIME_MS => expire = r.millis()?,
            OPCODE_EXPIRETIME => expire = r.secs_as_millis()?,
            OPCODE_IDLE => idle = Some(r.length()?),
            OPCODE_FREQ => {
                r.u8()?;
            }
            OPCODE_EOF => break,
            OPCODE_SELECTDB => {
                let n = r.length()?;
                if n >= opts.databases as u64 {
                    return Err(RdbError::Unsupported(format!(
                        "FATAL: Data file was created with a Redis server configured to handle more than {} databases. Exiting",
                        opts.databases
                    )));
                }
                db = n as usize;
                trace(r.offset(), Event::SelectDb(n));
            }
            OPCODE_RESIZEDB => {
                let keys = r.length()?;
                let expires = r.length()?;
                let d = &mut info.keyspace.dbs[db];
                d.dict.reserve(keys.min(MAX_PRESIZE) as usize);
                d.expires.reserve(expires.min(MAX_PRESIZE) as usize);
                trace(r.offset(), Event::ResizeDb(keys, expires));
            }
            OPCODE_AUX => {
                let k = r.string()?;
                let v = r.string()?;
                trace(r.offset(), Event::Aux(&k, &v));
                let text = || String::from_utf8_lossy(&v).into_owned();
                match &k[..] {
                    b"repl-id" => info.repl_id = Some(text()),
                    b"repl-offset" => info.repl_offset = text().parse().ok(),
                    b"repl-stream-db" => info.repl_stream_db = text().parse().ok(),
                    _ => {}
                }
                info.aux.push((k, v));
            }
            OPCODE_MODULE_AUX => {
                return Err(RdbError::Unsupported(
                    "The RDB file holds module auxiliary data: modules are not supported by this server".into(),
                ))
            }
            OPCODE_FUNCTION2 => {
                info.functions.push(r.string()?);
                trace(r.offset(), Event::Function);
            }
            OPCODE_FUNCTION_PRE_GA => {
                skip_function(&mut r, t)?;
                info.functions_skipped += 1;
                log::warn!("RDB file holds a function library in the pre-release format: skipped");
                trace(r.offset(), Event::FunctionSkipped);
            }
            _ => {
                r.string_into(&mut key)?;
                trace(r.offset(), Event::Key(&key, t, expire));
                let value = read_value_with(&mut r, t, &opts.lim, &key, &mut scratch)?;
                let at = std::mem::replace(&mut expire, NO_EXPIRE);
                let idle_s = idle.take();
                if value.is_empty_collection() {
                    info.empty_skipped += 1;
                } else if opts.drop_expired && at != NO_EXPIRE && at < opts.now {
                    info.expired_skipped += 1;
                    trace(r.offset(), Event::Expired);
                } else {
                    let d = &mut info.keyspace.dbs[db];
                    if d.dict.get_mut(&key).is_some() {
                        return Err(r.corrupt(format!(
                            "RDB has duplicated key '{}' in DB {db}",
                            String::from_utf8_lossy(&key)
                        )));
                    }
                    let mut e = Entry::new(value, opts.now);
                    if let Some(s) = idle_s {
                        e.access = e.access.saturating_sub(s.min(u32::MAX as u64) as u32);
                    }
                    e.expire_at = at;
                    if at != NO_EXPIRE {
                        d.expires.insert_new(&key[..], ());
                    }
                    d.dict.insert_new(&key[..], e);
                    if d.dict.is_rehashing() {
                        d.dict.rehash(1);
                    }
                    info.keys_loaded += 1;
                }
                if opts.key_load_delay_us > 0 {
                    std::thread::sleep(std::time::Duration::from_micros(
                        opts.key_load_delay_us as u64,
                    ));
                    last_progress = r.offset();
                    if let Some(p) = opts.progress.as_mut() {
                        p(last_progress);
                    }
                }
            }
        }
        if r.offset() - last_progress >= PROGRESS_EVERY {
            last_progress = r.offset();
            if let Some(p) = opts.progress.as_mut() {
                p(last_progress);
            }
        }
    }
    let mut checked = false;
    if version >= 5 {
        let computed = r.crc_so_far();
        let stored = u64::from_le_bytes(r.array()?);
        if stored != 0 {
            if stored != computed {
                return Err(RdbError::Checksum {
                    expected: computed,
                    got: stored,
                });
            }
            checked = true;
        }
    }
    trace(
        r.offset(),
        Event::Eof {
            checksum_checked: checked,
        },
    );
    info.bytes = r.offset();
    Ok(info)
}

/// Skip a function library record: FUNCTION2 is one string (the library code); the pre-GA
/// form is name, engine, an optional description (flagged by a length) and the code.
fn skip_function<R: Read>(r: &mut Reader<R>, t: u8) -> Result<(), RdbError> {
    if t == OPCODE_FUNCTION_PRE_GA {
        r.skip_string()?;
        r.skip_string()?;
        if r.length()? != 0 {
            r.skip_string()?;
        }
    }
    r.skip_string()
}

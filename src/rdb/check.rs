//! `oxidis check-rdb FILE`: validate an RDB file and report what it holds, like
//! redis-check-rdb: every AUX field and database switch with its offset, the checksum result,
//! key counts; on failure the offset, the reason and what was being read. Exit status 0 when
//! the file loads, 1 otherwise.
use super::consts::type_name;
use super::error::RdbError;
use super::load::{load_traced, Event, LoadOpts};
use crate::config::EncLimits;
use crate::db::NO_EXPIRE;
use std::io::{Read, Write};

/// Databases a checked file may select (check-rdb has no `databases` setting to honour).
const CHECK_DATABASES: usize = 1024;

/// Counts bytes pulled from the file, so errors without an offset of their own get one.
struct Counting<R> {
    inner: R,
    n: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let k = self.inner.read(buf)?;
        self.n += k as u64;
        Ok(k)
    }
}

/// What the walk saw, for the summary and the error context.
#[derive(Default)]
struct Seen {
    keys: u64,
    expires: u64,
    already_expired: u64,
    doing: &'static str,
    key: Option<(String, u8)>,
    offset: u64,
}

/// Entry point for `oxidis check-rdb FILE` (`args` after the subcommand). Returns the exit code.
pub fn main(args: &[String]) -> i32 {
    let [path] = args else {
        eprintln!("Usage: oxidis check-rdb <rdb-file-name>");
        return 1;
    };
    let out = std::io::stdout();
    let mut out = out.lock();
    check_file(path, &mut out)
}

/// Check `path`, writing the report to `out`; returns the exit code.
pub fn check_file(path: &str, out: &mut dyn Write) -> i32 {
    let _ = writeln!(out, "[offset 0] Checking RDB file {path}");
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            let _ = writeln!(out, "--- RDB ERROR DETECTED ---");
            let _ = writeln!(out, "[offset 0] Cannot open '{path}': {e}");
            return 1;
        }
    };
    check(file, out)
}

/// Check an RDB stream, writing the report to `out`; returns the exit code.
pub fn check(input: impl Read, out: &mut dyn Write) -> i32 {
    let now = crate::util::now_ms();
    let opts = LoadOpts {
        databases: CHECK_DATABASES,
        lim: EncLimits::default(),
        now,
        drop_expired: false,
        key_load_delay_us: 0,
        progress: None,
    };
    let mut seen = Seen {
        doing: "start",
        ..Seen::default()
    };
    let mut counting = Counting { inner: input, n: 0 };
    let res = load_traced(&mut counting, opts, &mut |off, ev| {
        seen.offset = off;
        seen.doing = "read-type";
        match ev {
            Event::Aux(k, v) => {
                let _ = writeln!(
                    out,
                    "[offset {off}] AUX FIELD {} = '{}'",
                    String::from_utf8_lossy(k),
                    String::from_utf8_lossy(v)
                );
            }
            Event::SelectDb(n) => {
                let _ = writeln!(out, "[offset {off}] Selecting DB ID {n}");
            }
            Event::ResizeDb(..) => {}
            Event::Function => {
                let _ = writeln!(out, "[offset {off}] Function library read");
            }
            Event::FunctionSkipped => {
                let _ = writeln!(
                    out,
                    "[offset {off}] Function library skipped (pre-release format)"
                );
            }
            Event::Key(k, t, at) => {
                seen.keys += 1;
                if at != NO_EXPIRE {
                    seen.expires += 1;
                    if at < now {
                        seen.already_expired += 1;
                    }
                }
                seen.doing = "read-object-value";
                seen.key = Some((String::from_utf8_lossy(k).into_owned(), t));
            }
            Event::Expired => {}
            Event::Eof { checksum_checked } => {
                seen.doing = "check-sum";
                if checksum_checked {
                    let _ = writeln!(out, "[offset {off}] Checksum OK");
                } else {
                    let _ = writeln!(
                        out,
                        "[offset {off}] RDB file was saved with checksum disabled: no check performed."
                    );
                }
            }
        }
    });
    let code = match res {
        Ok(info) => {
            let _ = writeln!(out, "[offset {}] \\o/ RDB looks OK! \\o/", info.bytes);
            0
        }
        Err(e) => {
            let offset = match &e {
                RdbError::Corrupt { offset, .. } => *offset,
                RdbError::BadSignature | RdbError::Version(_) => counting.n.min(9),
                _ => counting.n,
            };
            let reason = match &e {
                RdbError::ShortRead => "Unexpected EOF reading RDB file".to_string(),
                RdbError::Corrupt { what, .. } => what.clone(),
                other => other.to_string(),
            };
            let _ = writeln!(out, "--- RDB ERROR DETECTED ---");
            let _ = writeln!(out, "[offset {offset}] {reason}");
            let _ = writeln!(out, "[additional info] While doing: {}", seen.doing);
            if let Some((k, t)) = &seen.key {
                let _ = writeln!(out, "[additional info] Reading key '{k}'");
                let _ = writeln!(
                    out,
                    "[additional info] Reading type {t} ({})",
                    type_name(*t)
                );
            }
            1
        }
    };
    let _ = writeln!(out, "[info] {} keys read", seen.keys);
    let _ = writeln!(out, "[info] {} expires", seen.expires);
    let _ = writeln!(out, "[info] {} already expired", seen.already_expired);
    code
}

//! A `log::Log` writing Redis's line format, so log-based monitoring built for Redis works:
//! `PID:ROLE DD Mon YYYY HH:MM:SS.mmm LEVEL msg`, e.g.
//! `12345:M 26 Nov 2026 14:05:01.123 * Ready to accept connections`.
//!
//! LEVEL is `.` debug, `-` verbose, `*` notice, `#` warning; ROLE is `M` master, `S` replica,
//! `X` sentinel, `C` child process (see `set_role`). A logfile is opened in append mode for every
//! line (so logrotate needs no signal) and each line goes out in a single write. Under systemd
//! with logging to stdout the timestamp is left out, because journald adds its own.
use crate::config::LogLevel;
use log::{Level, LevelFilter, Metadata, Record};
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

/// Longest message kept, in bytes (Redis formats into a 1024-byte buffer with its NUL).
pub const LOG_MAX_LEN: usize = 1024;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

static ROLE: AtomicU8 = AtomicU8::new(b'M');

/// Set the role letter printed after the PID (`M`, `S`, `X` or `C`).
pub fn set_role(role: char) {
    if role.is_ascii() {
        ROLE.store(role as u8, Ordering::Relaxed);
    }
}

/// The role letter currently printed after the PID.
pub fn role() -> char {
    ROLE.load(Ordering::Relaxed) as char
}

/// Where lines go and whether they carry a timestamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `None` writes to stdout.
    pub file: Option<PathBuf>,
    pub timestamps: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            file: None,
            timestamps: true,
        }
    }
}

static SETTINGS: OnceLock<Settings> = OnceLock::new();

/// The level character Redis prints for a `log` level.
pub fn level_char(level: Level) -> char {
    match level {
        Level::Error | Level::Warn => '#',
        Level::Info => '*',
        Level::Debug => '-',
        Level::Trace => '.',
    }
}

/// The `log` filter for a `loglevel` setting.
pub fn level_filter(level: LogLevel) -> LevelFilter {
    level.filter()
}

/// Change the verbosity at run time (e.g. CONFIG SET loglevel).
pub fn set_level(level: LogLevel) {
    log::set_max_level(level_filter(level));
}

/// A broken-down wall-clock time, to the millisecond.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub year: i64,
    /// 0..=11
    pub month: u32,
    /// 1..=31
    pub day: u32,
    pub hour: u32,
    pub min: u32,
    pub sec: u32,
    pub ms: u32,
}

impl Stamp {
    /// UTC time for `secs` since the epoch (proleptic Gregorian calendar).
    pub fn utc(secs: i64, ms: u32) -> Stamp {
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400) as u32;
        // Civil date from a day count, counting from 0000-03-01 in 400-year eras.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 2 } else { mp - 10 } as u32;
        let year = yoe + era * 400 + i64::from(month < 2);
        Stamp {
            year,
            month,
            day,
            hour: rem / 3600,
            min: rem / 60 % 60,
            sec: rem % 60,
            ms,
        }
    }

    /// Local time (through the C library's time zone rules), falling back to UTC.
    pub fn local(secs: i64, ms: u32) -> Stamp {
        use nix::libc;
        let t = secs as libc::time_t;
        // SAFETY: `tm` is plain data, zero is a valid bit pattern for it, and localtime_r
        // only writes into the buffer we pass.
        let mut tm: libc::tm = unsafe { std::mem::zeroed() };
        let r = unsafe { libc::localtime_r(&t, &mut tm) };
        if r.is_null() || !(0..12).contains(&tm.tm_mon) {
            return Stamp::utc(secs, ms);
        }
        Stamp {
            year: i64::from(tm.tm_year) + 1900,
            month: tm.tm_mon as u32,
            day: tm.tm_mday as u32,
            hour: tm.tm_hour as u32,
            min: tm.tm_min as u32,
            sec: tm.tm_sec as u32,
            ms,
        }
    }

    pub fn now() -> Stamp {
        let d = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Stamp::local(d.as_secs() as i64, d.subsec_millis())
    }
}

/// Cut `msg` to at most `LOG_MAX_LEN - 1` bytes without splitting a character.
fn truncate(msg: &str) -> &str {
    let max = LOG_MAX_LEN - 1;
    if msg.len() <= max {
        return msg;
    }
    let mut end = max;
    while !msg.is_char_boundary(end) {
        end -= 1;
    }
    &msg[..end]
}

/// One complete log line, newline included. `stamp` is `None` when journald adds its own.
pub fn format_line(pid: u32, role: char, stamp: Option<&Stamp>, level: char, msg: &str) -> String {
    let msg = truncate(msg);
    match stamp {
        Some(s) => format!(
            "{pid}:{role} {:02} {} {} {:02}:{:02}:{:02}.{:03} {level} {msg}\n",
            s.day,
            MONTHS.get(s.month as usize).copied().unwrap_or("???"),
            s.year,
            s.hour,
            s.min,
            s.sec,
            s.ms
        ),
        None => format!("{pid}:{role} {level} {msg}\n"),
    }
}

/// Write one line: append-open the logfile for each line, or stdout.
fn emit(settings: &Settings, line: &str) {
    match &settings.file {
        Some(path) => {
            // Like Redis: if the file cannot be opened the line is dropped.
            if let Ok(mut f) = std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(path)
            {
                let _ = f.write_all(line.as_bytes());
            }
        }
        None => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(line.as_bytes());
            let _ = out.flush();
        }
    }
}

struct RedisLogger;

impl log::Log for RedisLogger {
    fn enabled(&self, m: &Metadata) -> bool {
        // Other crates (mio) only get through with warnings: their debug output is noise.
        let ours = m.target() == "oxidis" || m.target().starts_with("oxidis::");
        m.level() <= log::max_level() && (ours || m.level() <= Level::Warn)
    }

    fn log(&self, r: &Record) {
        if !self.enabled(r.metadata()) {
            return;
        }
        let settings = SETTINGS.get_or_init(Settings::default);
        let msg = r.args().to_string();
        let stamp = settings.timestamps.then(Stamp::now);
        let line = format_line(
            std::process::id(),
            role(),
            stamp.as_ref(),
            level_char(r.level()),
            &msg,
        );
        emit(settings, &line);
    }

    fn flush(&self) {}
}

static LOGGER: RedisLogger = RedisLogger;

/// Install the logger. `logfile` empty means stdout; `journald` drops the timestamp when
/// writing to stdout. Only the first call picks the destination.
pub fn init(logfile: &str, level: LogLevel, journald: bool) {
    let settings = if logfile.is_empty() {
        Settings {
            file: None,
            timestamps: !journald,
        }
    } else {
        Settings {
            file: Some(PathBuf::from(logfile)),
            timestamps: true,
        }
    };
    let _ = SETTINGS.set(settings);
    let _ = log::set_logger(&LOGGER);
    set_level(level);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_format_with_timestamp() {
        let s = Stamp {
            year: 2026,
            month: 10,
            day: 6,
            hour: 4,
            min: 5,
            sec: 1,
            ms: 23,
        };
        assert_eq!(
            format_line(12345, 'M', Some(&s), '*', "Ready to accept connections"),
            "12345:M 06 Nov 2026 04:05:01.023 * Ready to accept connections\n"
        );
    }

    #[test]
    fn line_format_without_timestamp() {
        assert_eq!(
            format_line(7, 'C', None, '#', "Configuration loaded"),
            "7:C # Configuration loaded\n"
        );
    }

    #[test]
    fn level_chars() {
        assert_eq!(level_char(Level::Error), '#');
        assert_eq!(level_char(Level::Warn), '#');
        assert_eq!(level_char(Level::Info), '*');
        assert_eq!(level_char(Level::Debug), '-');
        assert_eq!(level_char(Level::Trace), '.');
    }

    #[test]
    fn level_filters() {
        assert_eq!(level_filter(LogLevel::Warning), LevelFilter::Warn);
        assert_eq!(level_filter(LogLevel::Notice), LevelFilter::Info);
        assert_eq!(level_filter(LogLevel::Verbose), LevelFilter::Debug);
        assert_eq!(level_filter(LogLevel::Debug), LevelFilter::Trace);
        assert_eq!(level_filter(LogLevel::Nothing), LevelFilter::Off);
    }

    #[test]
    fn utc_conversion() {
        // 2026-11-26 14:05:01 UTC
        let s = Stamp::utc(1_795_701_901, 999);
        assert_eq!(
            (s.year, s.month, s.day, s.hour, s.min, s.sec, s.ms),
            (2026, 10, 26, 14, 5, 1, 999)
        );
        let e = Stamp::utc(0, 0);
        assert_eq!((e.year, e.month, e.day), (1970, 0, 1));
        // Leap day.
        let l = Stamp::utc(951_782_400, 0);
        assert_eq!((l.year, l.month, l.day), (2000, 1, 29));
    }

    #[test]
    fn long_messages_are_cut_on_a_char_boundary() {
        let msg = "é".repeat(LOG_MAX_LEN);
        let line = format_line(1, 'M', None, '*', &msg);
        let body = line
            .strip_prefix("1:M * ")
            .unwrap()
            .strip_suffix('\n')
            .unwrap();
        assert!(body.len() < LOG_MAX_LEN);
        assert!(body.len() >= LOG_MAX_LEN - 2);
        assert!(body.chars().all(|c| c == 'é'));
    }
}

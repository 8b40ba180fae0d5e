//! A `log::Log` writing Redis-format lines (`PID:ROLE DD Mon YYYY HH:MM:SS.mmm LEVEL msg`).
//! Placeholder: prints to stdout.
use log::{LevelFilter, Metadata, Record};

struct StdoutLogger;

impl log::Log for StdoutLogger {
    fn enabled(&self, _m: &Metadata) -> bool {
        true
    }
    fn log(&self, r: &Record) {
        println!("{}:M {}", std::process::id(), r.args());
    }
    fn flush(&self) {}
}

static LOGGER: StdoutLogger = StdoutLogger;

pub fn init() {
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(LevelFilter::Info);
}

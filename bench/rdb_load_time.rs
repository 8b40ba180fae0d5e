//! Time `rdb::load` on a file: `cargo run --release --example rdb_load_time FILE`.
use oxidis::config::EncLimits;
use oxidis::rdb::{load, LoadOpts};

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: rdb_load_time FILE");
        std::process::exit(1);
    };
    let t = std::time::Instant::now();
    let f = std::fs::File::open(&path).expect("open");
    let opts = LoadOpts {
        databases: 16,
        lim: EncLimits::default(),
        now: oxidis::util::now_ms(),
        drop_expired: true,
        key_load_delay_us: 0,
        progress: None,
    };
    match load(f, opts) {
        Ok(info) => println!(
            "{} keys in {:.3} s",
            info.keys_loaded,
            t.elapsed().as_secs_f64()
        ),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}

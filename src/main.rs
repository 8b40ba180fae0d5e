//! `oxidis [CONFIG_FILE] [--directive value ...]`: parse the command line into a Config, then
//! hand over to `launch::run`.
use oxidis::config::Config;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cfg = match Config::from_args(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    std::process::exit(oxidis::launch::run(cfg));
}

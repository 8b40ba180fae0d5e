//! `oxidis [CONFIG_FILE|-] [--directive value ...]`: parse the command line into a Config,
//! then hand over to `launch::run`. Also `--version`, `--help`, `--test-config` and
//! `check-rdb FILE` (also `--check-rdb`, or when invoked as `oxidis-check-rdb`).
use oxidis::launch::cli::{self, Action};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `oxidis check-rdb FILE`, `oxidis --check-rdb FILE`, or invoked as `oxidis-check-rdb`.
    let argv0 = std::env::args().next().unwrap_or_default();
    if argv0.ends_with("oxidis-check-rdb") {
        std::process::exit(oxidis::rdb::check::main(&args));
    }
    if matches!(
        args.first().map(|s| s.as_str()),
        Some("check-rdb" | "--check-rdb")
    ) {
        std::process::exit(oxidis::rdb::check::main(&args[1..]));
    }
    let action = match cli::parse(&args) {
        Ok(a) => a,
        Err(e) => {
            // Redis's banner, then the one-line `FILE:LINE: message` form.
            eprint!("{}", e.banner());
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let cfg = match action {
        Action::Version => {
            println!("{}", cli::version_string());
            return;
        }
        Action::Help => {
            // Like redis-server: usage on stderr, exit status 1.
            eprint!("{}", cli::usage());
            std::process::exit(1);
        }
        Action::TestConfig(cfg) => {
            match &cfg.file {
                Some(f) => println!("Configuration OK: {}", f.display()),
                None => println!("Configuration OK"),
            }
            return;
        }
        Action::Run(cfg) => cfg,
    };
    // Redis changes directory when it reads `dir`; relative paths (log, pid, dump) follow it.
    if let Err(e) = std::env::set_current_dir(&cfg.dir) {
        eprintln!(
            "Can't chdir to '{}': {}",
            cfg.dir.display(),
            oxidis::config::strerror(&e)
        );
        std::process::exit(1);
    }
    std::process::exit(oxidis::launch::run(*cfg));
}

//! The command line, read the way redis-server reads it: `oxidis [FILE|-] [--name value ...]`.
//! The file is read first, then stdin (`-`), then the `--name value` pairs, each as if it were
//! one more config line, so the command line overrides the file.
use crate::config::load::{self, ConfigError, LoadState};
use crate::config::{value::repr, Config};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Source name used in errors for the `--name value` directives.
pub const ARGV_SOURCE: &str = "<command line>";
pub const STDIN_SOURCE: &str = "<stdin>";

/// What the process was asked to do.
#[derive(Debug)]
pub enum Action {
    Version,
    Help,
    /// Start a server with this config.
    Run(Box<Config>),
    /// `--test-config`: the config loaded and validated; print OK and exit.
    TestConfig(Box<Config>),
}

pub fn version_string() -> String {
    format!(
        "oxidis v={} sha=00000000:0 malloc=libc bits={} build=0 (Redis {} compatible)",
        crate::util::OXIDIS_VERSION,
        usize::BITS,
        crate::util::REDIS_VERSION
    )
}

pub fn usage() -> String {
    "Usage: oxidis [/path/to/redis.conf] [options] [-]\n\
     \x20      oxidis - (read config from stdin)\n\
     \x20      oxidis -v or --version\n\
     \x20      oxidis -h or --help\n\
     \x20      oxidis --test-config /path/to/redis.conf [options]\n\
     \x20      oxidis --sentinel [/path/to/sentinel.conf] [options]\n\
     \n\
     Examples:\n\
     \x20      oxidis (run the server with default config)\n\
     \x20      oxidis /etc/oxidis/6379.conf\n\
     \x20      oxidis --port 7777\n\
     \x20      oxidis --port 7777 --replicaof 127.0.0.1 8888\n\
     \x20      oxidis /etc/myredis.conf --loglevel verbose -\n\
     \x20      oxidis /etc/myredis.conf --loglevel verbose\n\
     \x20      oxidis --test-config /etc/myredis.conf\n"
        .to_string()
}

/// Absolute form of `p` against the current directory, without resolving symlinks (as Redis's
/// `getAbsolutePath`).
pub fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(p))
            .unwrap_or_else(|_| p.to_path_buf())
    }
}

/// The parts of the command line: config file, stdin flag, and `--name value` directives.
#[derive(Debug, Default, PartialEq)]
pub struct Invocation {
    pub file: Option<PathBuf>,
    pub stdin: bool,
    pub directives: Vec<Vec<String>>,
    pub sentinel: bool,
}

/// Split argv (without the program name) the way redis-server's `main` does.
pub fn split(args: &[String]) -> Invocation {
    let mut inv = Invocation::default();
    let mut j = 0;
    if let Some(first) = args.first() {
        if !first.starts_with('-') {
            inv.file = Some(absolute(Path::new(first)));
            j = 1;
        }
    }
    // After an option name, the next word is always its argument, even if it starts with
    // `--` (so `--requirepass --x` works); `--save` and `--sentinel` may have none.
    let mut need_arg = false;
    while j < args.len() {
        let a = &args[j];
        let last = j + 1 == args.len();
        if a == "-" && (j == 0 || last) && !need_arg {
            inv.stdin = true;
        } else if !need_arg && a.starts_with("--") {
            let name = a[2..].to_string();
            let next_is_opt = last || args[j + 1].starts_with("--");
            need_arg = true;
            if name.eq_ignore_ascii_case("sentinel") {
                inv.sentinel = true;
            }
            if next_is_opt && name.eq_ignore_ascii_case("save") {
                inv.directives.push(vec![name, String::new()]);
                need_arg = false;
            } else if next_is_opt && name.eq_ignore_ascii_case("sentinel") {
                inv.directives.push(vec![name]);
                need_arg = false;
            } else {
                inv.directives.push(vec![name]);
            }
        } else {
            match inv.directives.last_mut() {
                Some(d) => d.push(a.clone()),
                None => inv.directives.push(vec![a.clone()]),
            }
            need_arg = false;
        }
        j += 1;
    }
    inv
}

/// The arguments to interpret, given the name the program was started under (as Redis looks at
/// `argv[0]`): `oxidis-sentinel ...` is `oxidis ... --sentinel`. The package installs that name
/// as a link to the one binary.
pub fn args_for_program(argv0: &str, args: &[String]) -> Vec<String> {
    let mut args = args.to_vec();
    let sentinel_name = Path::new(argv0)
        .file_name()
        .is_some_and(|n| n.to_string_lossy().ends_with("-sentinel"));
    if sentinel_name {
        args.push("--sentinel".to_string());
    }
    args
}

/// Load the config an invocation describes: file, then stdin, then argv directives.
pub fn load_invocation(inv: &Invocation, stdin: &mut dyn Read) -> Result<Config, ConfigError> {
    let mut cfg = Config {
        sentinel_mode: inv.sentinel,
        ..Config::default()
    };
    // The command names, so `rename-command` lines are checked at their line.
    let mut st = LoadState {
        commands: Some(
            crate::cmd::all_commands()
                .iter()
                .map(|c| c.name.to_string())
                .collect(),
        ),
        ..LoadState::default()
    };
    if let Some(f) = &inv.file {
        load::load_file(&mut cfg, &mut st, f)?;
    }
    if inv.stdin {
        let mut buf = Vec::new();
        stdin
            .read_to_end(&mut buf)
            .map_err(|e| ConfigError::new(STDIN_SOURCE, crate::config::strerror(&e)))?;
        load::load_str(
            &mut cfg,
            &mut st,
            STDIN_SOURCE,
            &String::from_utf8_lossy(&buf),
        )?;
    }
    // Each directive becomes one quoted config line, as Redis builds its option string.
    let text: Vec<String> = inv
        .directives
        .iter()
        .map(|d| {
            let mut line = d[0].clone();
            for a in &d[1..] {
                line.push(' ');
                line.push_str(&repr(a));
            }
            line
        })
        .collect();
    load::load_str(&mut cfg, &mut st, ARGV_SOURCE, &text.join("\n"))?;
    cfg.file = inv.file.clone();
    let source = inv
        .file
        .as_ref()
        .map(|f| f.display().to_string())
        .unwrap_or_else(|| ARGV_SOURCE.to_string());
    load::validate(&cfg).map_err(|m| ConfigError::new(&source, m))?;
    if cfg.sentinel_mode {
        // Sentinel's own port unless one was given; its directives are checked now so
        // --test-config reports them too.
        if !cfg.set_directives.contains("port") {
            cfg.port = crate::sentinel::state::DEFAULT_PORT;
        }
        crate::sentinel::config::from_config(&cfg, 0)?;
    }
    Ok(cfg)
}

/// Interpret the whole command line (`args` without the program name, which is read here).
pub fn parse(args: &[String]) -> Result<Action, ConfigError> {
    let argv0 = std::env::args().next().unwrap_or_default();
    parse_with_stdin(&args_for_program(&argv0, args), &mut std::io::stdin())
}

pub fn parse_with_stdin(args: &[String], stdin: &mut dyn Read) -> Result<Action, ConfigError> {
    match args.first().map(String::as_str) {
        Some("-v" | "--version") => return Ok(Action::Version),
        Some("-h" | "--help") => return Ok(Action::Help),
        _ => {}
    }
    let test = args.first().map(String::as_str) == Some("--test-config")
        || (args.len() > 1 && args.last().map(String::as_str) == Some("--test-config"));
    let rest: Vec<String> = if !test {
        args.to_vec()
    } else if args[0] == "--test-config" {
        args[1..].to_vec()
    } else {
        args[..args.len() - 1].to_vec()
    };
    let cfg = Box::new(load_invocation(&split(&rest), stdin)?);
    Ok(if test {
        Action::TestConfig(cfg)
    } else {
        Action::Run(cfg)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn program_name_selects_the_mode() {
        let a = |argv0: &str, rest: &[&str]| args_for_program(argv0, &v(rest));
        assert_eq!(a("oxidis", &["x.conf"]), v(&["x.conf"]));
        assert_eq!(
            a("/usr/bin/oxidis-sentinel", &["s.conf", "--port", "1"]),
            v(&["s.conf", "--port", "1", "--sentinel"])
        );
        assert_eq!(
            a("oxidis-sentinel", &["--test-config", "s.conf"]),
            v(&["--test-config", "s.conf", "--sentinel"])
        );
        assert_eq!(a("oxidis-check-rdb", &["d.rdb"]), v(&["d.rdb"]));
    }

    fn v(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn splits_like_redis() {
        let inv = split(&v(&[
            "--port",
            "7000",
            "--save",
            "--bind",
            "a",
            "b",
            "--requirepass",
            "--x",
        ]));
        assert_eq!(inv.file, None);
        assert_eq!(
            inv.directives,
            vec![
                v(&["port", "7000"]),
                v(&["save", ""]),
                v(&["bind", "a", "b"]),
                v(&["requirepass", "--x"])
            ]
        );
        let inv = split(&v(&["/x.conf", "--port", "1", "-"]));
        assert_eq!(inv.file, Some(PathBuf::from("/x.conf")));
        assert!(inv.stdin);
        let inv = split(&v(&["-", "--save"]));
        assert!(inv.stdin);
        assert_eq!(inv.directives, vec![v(&["save", ""])]);
        let inv = split(&v(&["--sentinel"]));
        assert!(inv.sentinel);
    }

    #[test]
    fn argv_overrides_file_and_stdin() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.conf");
        std::fs::write(&f, "port 7000\nhz 20\n").unwrap();
        let args = v(&[f.to_str().unwrap(), "--port", "7001", "-"]);
        let mut input: &[u8] = b"timeout 5\nhz 30\n";
        let Action::Run(cfg) = parse_with_stdin(&args, &mut input).unwrap() else {
            panic!("expected run");
        };
        assert_eq!((cfg.port, cfg.hz, cfg.timeout), (7001, 30, 5));
        assert_eq!(cfg.file.as_deref(), Some(f.as_path()));
    }

    #[test]
    fn sentinel_lines_make_a_sentinel_on_its_port() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("s.conf");
        std::fs::write(&f, "sentinel monitor m 127.0.0.1 7000 2\n").unwrap();
        let mut none: &[u8] = b"";
        let Action::Run(cfg) = parse_with_stdin(&v(&[f.to_str().unwrap()]), &mut none).unwrap()
        else {
            panic!("expected run");
        };
        assert!(cfg.sentinel_mode);
        assert_eq!(cfg.port, 26379);
        let args = v(&[f.to_str().unwrap(), "--port", "7001"]);
        let Action::Run(cfg) = parse_with_stdin(&args, &mut none).unwrap() else {
            panic!("expected run");
        };
        assert_eq!(cfg.port, 7001);
        std::fs::write(&f, "port 1\nsentinel monitor m 127.0.0.1 7000 0\n").unwrap();
        let e = parse_with_stdin(&v(&[f.to_str().unwrap()]), &mut none).unwrap_err();
        assert_eq!(
            (e.line, e.msg.as_str()),
            (2, "Quorum must be 1 or greater.")
        );
    }

    #[test]
    fn argv_errors_are_located() {
        let mut none: &[u8] = b"";
        let e = parse_with_stdin(&v(&["--port", "1", "--bogus", "x y"]), &mut none).unwrap_err();
        assert_eq!(e.file, ARGV_SOURCE);
        assert_eq!(e.line, 2);
        assert_eq!(e.text, "bogus \"x y\"");
        let e = parse_with_stdin(&v(&["/nonexistent/oxidis.conf"]), &mut none).unwrap_err();
        assert!(e.msg.contains("can't open config file"), "{e}");
        assert!(matches!(
            parse_with_stdin(&v(&["--test-config", "--port", "5"]), &mut none),
            Ok(Action::TestConfig(_))
        ));
        assert!(matches!(
            parse_with_stdin(&v(&["-v"]), &mut none),
            Ok(Action::Version)
        ));
    }

    #[test]
    fn defaults_without_file() {
        let mut none: &[u8] = b"";
        let Action::Run(cfg) = parse_with_stdin(&[], &mut none).unwrap() else {
            panic!("expected run");
        };
        assert_eq!(cfg.port, 6379);
        assert_eq!(cfg.bind, v(&["127.0.0.1", "-::1"]));
        assert!(cfg.file.is_none());
    }
}

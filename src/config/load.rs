//! Reading redis.conf text: comments, blank lines, quoting (via `util::split_args`),
//! `include` with loop detection, and errors that carry the file name and line number.
use super::{parse_value, table, Config, Val};
use crate::util::REDIS_VERSION;
use std::fmt;
use std::path::{Path, PathBuf};

/// A config error with its location. `line == 0` means the error is not tied to a line.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    /// File name (absolute for files), `<stdin>` or `<command line>`.
    pub file: String,
    pub line: usize,
    /// The offending line, trimmed, as Redis echoes it after `>>>`.
    pub text: String,
    pub msg: String,
}

impl ConfigError {
    pub fn new(file: &str, msg: impl Into<String>) -> Self {
        ConfigError {
            file: file.into(),
            line: 0,
            text: String::new(),
            msg: msg.into(),
        }
    }

    /// Redis's multi-line banner, for stderr.
    pub fn banner(&self) -> String {
        if self.line == 0 {
            return format!(
                "\n*** FATAL CONFIG FILE ERROR (Redis {REDIS_VERSION}) ***\n{}\n",
                self.msg
            );
        }
        format!(
            "\n*** FATAL CONFIG FILE ERROR (Redis {REDIS_VERSION}) ***\nReading the configuration file, at line {}\n>>> '{}'\n{}\n",
            self.line, self.text, self.msg
        )
    }
}

impl fmt::Display for ConfigError {
    /// The one-line `FILE:LINE: 'line': message` form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.msg)
        } else {
            write!(
                f,
                "{}:{}: '{}': {}",
                self.file, self.line, self.text, self.msg
            )
        }
    }
}

impl std::error::Error for ConfigError {}

/// State that lives for one whole load (all files, stdin and argv together).
#[derive(Debug, Default)]
pub struct LoadState {
    /// The first `save` line replaces the defaults; later ones accumulate.
    pub save_loaded: bool,
    /// Canonical paths of the files being read, innermost last (include loop detection).
    pub stack: Vec<PathBuf>,
    /// Command names as renamed so far, for checking `rename-command` lines; set by the
    /// caller (`launch::cli` gives the command table's names).
    pub commands: Option<std::collections::HashSet<String>>,
}

/// Why a directive failed: a plain message for this line, or an error already located in an
/// included file.
enum Failure {
    Msg(String),
    Located(ConfigError),
}

impl From<String> for Failure {
    fn from(s: String) -> Self {
        Failure::Msg(s)
    }
}

/// Parse `content` (named `source` in errors) line by line into `cfg`.
pub fn load_str(
    cfg: &mut Config,
    st: &mut LoadState,
    source: &str,
    content: &str,
) -> Result<(), ConfigError> {
    for (i, raw) in content.split('\n').enumerate() {
        let line = raw.trim_matches([' ', '\t', '\r', '\n']);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let err = |msg: String| ConfigError {
            file: source.into(),
            line: i + 1,
            text: line.into(),
            msg,
        };
        let Some(args) = crate::util::split_args(line.as_bytes()) else {
            return Err(err("Unbalanced quotes in configuration line".into()));
        };
        if args.is_empty() {
            continue;
        }
        let args: Vec<String> = args
            .iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        if args.len() > 1 && args[0].eq_ignore_ascii_case("sentinel") {
            // Any `sentinel` line makes this a sentinel config; applied once all is read.
            cfg.sentinel_mode = true;
            cfg.sentinel_directives.push(super::SentinelLine {
                args: args[1..].to_vec(),
                file: source.into(),
                line: i + 1,
                text: line.into(),
            });
            continue;
        }
        match directive(cfg, st, &args[0], &args[1..]) {
            Ok(()) => {}
            Err(Failure::Msg(m)) => return Err(err(m)),
            Err(Failure::Located(e)) => return Err(e),
        }
    }
    Ok(())
}

/// Read and parse the file at `path` (used for the main file and for `include`).
pub fn load_file(cfg: &mut Config, st: &mut LoadState, path: &Path) -> Result<(), ConfigError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| {
        ConfigError::new(
            &shown,
            format!(
                "Fatal error, can't open config file '{}': {}",
                shown,
                super::strerror(&e)
            ),
        )
    })?;
    let canon = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    st.stack.push(canon);
    let r = load_str(cfg, st, &shown, &String::from_utf8_lossy(&bytes));
    st.stack.pop();
    r
}

/// Apply one directive without file context (`Config::apply`, CONFIG-like callers).
pub fn apply_directive(
    cfg: &mut Config,
    st: &mut LoadState,
    name: &str,
    args: &[String],
) -> Result<(), String> {
    match directive(cfg, st, name, args) {
        Ok(()) => Ok(()),
        Err(Failure::Msg(m)) => Err(m),
        Err(Failure::Located(e)) => Err(e.to_string()),
    }
}

const BAD: &str = "Bad directive or wrong number of arguments";

fn directive(
    cfg: &mut Config,
    st: &mut LoadState,
    name: &str,
    args: &[String],
) -> Result<(), Failure> {
    if let Some(d) = table::lookup(name) {
        let v = parse_value(cfg, d, args)?;
        cfg.set_directives.insert(d.name);
        if let Val::Save(points) = v {
            // The first `save` of a load replaces the defaults; `save ""` clears.
            if !st.save_loaded {
                st.save_loaded = true;
                cfg.save.clear();
            }
            if points.is_empty() {
                cfg.save.clear();
            } else {
                cfg.save.extend(points);
            }
            return Ok(());
        }
        cfg.store(d, v);
        return Ok(());
    }
    match (name.to_ascii_lowercase().as_str(), args.len()) {
        ("include", 1) => include(cfg, st, &args[0]),
        ("rename-command", 2) => {
            // Redis refuses unknown commands and clashes while loading, at the line. The
            // command names come from whoever loads (`LoadState::commands`: the launcher knows
            // the table); without them the renames are checked when the table is built.
            if let Some(names) = st.commands.as_mut() {
                if !names.remove(&args[0].to_ascii_lowercase()) {
                    return Err(Failure::Msg("No such command in rename-command".into()));
                }
                if !args[1].is_empty() && !names.insert(args[1].to_ascii_lowercase()) {
                    return Err(Failure::Msg("Target command name already exists".into()));
                }
            }
            cfg.rename_commands.push((args[0].clone(), args[1].clone()));
            Ok(())
        }
        ("user", n) if n >= 1 => {
            cfg.users.push(args.to_vec());
            Ok(())
        }
        ("loadmodule", n) if n >= 1 => Err(Failure::Msg(
            "Module loading is not supported by oxidis".into(),
        )),
        ("sentinel", 0) => {
            cfg.sentinel_mode = true;
            Ok(())
        }
        ("sentinel", _) => {
            cfg.sentinel_mode = true;
            cfg.sentinel_directives.push(super::SentinelLine {
                args: args.to_vec(),
                file: String::new(),
                line: 0,
                text: String::new(),
            });
            Ok(())
        }
        // Options Redis 7.0 still accepts and ignores.
        ("list-max-ziplist-entries" | "list-max-ziplist-value" | "lua-replicate-commands", 1) => {
            Ok(())
        }
        _ => Err(Failure::Msg(BAD.into())),
    }
}

fn include(cfg: &mut Config, st: &mut LoadState, path: &str) -> Result<(), Failure> {
    let p = PathBuf::from(path);
    let canon = match std::fs::canonicalize(&p) {
        Ok(c) => c,
        Err(e) => {
            return Err(Failure::Msg(format!(
                "Fatal error, can't open config file '{}': {}",
                path,
                super::strerror(&e)
            )))
        }
    };
    if st.stack.contains(&canon) {
        return Err(Failure::Msg(format!(
            "Include loop detected: '{}' is already being read",
            canon.display()
        )));
    }
    load_file(cfg, st, &p).map_err(|e| {
        if e.line == 0 {
            Failure::Msg(e.msg)
        } else {
            Failure::Located(e)
        }
    })
}

/// Checks Redis makes once everything is read: the log file must be writable, and a few
/// combinations are refused.
pub fn validate(cfg: &Config) -> Result<(), String> {
    if !cfg.logfile.is_empty() {
        let path = cfg.dir.join(&cfg.logfile);
        // Check without creating the file: open it if it exists, else its directory must be
        // writable.
        let r = if path.exists() {
            std::fs::OpenOptions::new()
                .append(true)
                .open(&path)
                .map(|_| ())
                .map_err(|e| super::strerror(&e))
        } else {
            let parent = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            nix::unistd::access(parent, nix::unistd::AccessFlags::W_OK)
                .map_err(|e| e.desc().to_string())
        };
        if let Err(e) = r {
            return Err(format!("Can't open the log file: {e}"));
        }
    }
    if cfg.replicaof.is_some() && cfg.get_by_name("cluster-enabled").as_deref() == Some("yes") {
        return Err("replicaof directive not allowed in cluster mode".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Config, ConfigError> {
        let mut cfg = Config::default();
        let names = ["ping", "select", "flushall", "config", "get"];
        let mut st = LoadState {
            commands: Some(names.iter().map(|n| n.to_string()).collect()),
            ..LoadState::default()
        };
        load_str(&mut cfg, &mut st, "t.conf", text)?;
        Ok(cfg)
    }

    #[test]
    fn comments_quotes_and_bools() {
        let cfg = load(
            "# comment\n\n   \nport 7000\r\nrequirepass \"a b\\x41\\n\"\nmasterauth 'it\\'s'\nappendonly YES\nprotected-mode No\n",
        )
        .unwrap();
        assert_eq!(cfg.port, 7000);
        assert_eq!(cfg.requirepass.as_deref(), Some(&b"a bA\n"[..]));
        assert_eq!(cfg.masterauth.as_deref(), Some("it's"));
        assert!(cfg.appendonly);
        assert!(!cfg.protected_mode);
    }

    #[test]
    fn errors_carry_line() {
        let e = load("port 7000\n\nfoo bar\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert_eq!(e.text, "foo bar");
        assert_eq!(e.msg, BAD);
        assert_eq!(
            e.to_string(),
            "t.conf:3: 'foo bar': Bad directive or wrong number of arguments"
        );
        assert!(e.banner().contains(">>> 'foo bar'"));
        let e = load("timeout abc").unwrap_err();
        assert_eq!(e.msg, "argument couldn't be parsed into an integer");
        let e = load("port 1 2").unwrap_err();
        assert_eq!(e.msg, "wrong number of arguments");
        let e = load("appendonly yes \"x").unwrap_err();
        assert_eq!(e.msg, "Unbalanced quotes in configuration line");
        let e = load("rename-command").unwrap_err();
        assert_eq!(e.msg, BAD);
        let e = load("rename-command nosuchcmd x").unwrap_err();
        assert_eq!(e.msg, "No such command in rename-command");
        let e = load("rename-command ping select").unwrap_err();
        assert_eq!(e.msg, "Target command name already exists");
        let e = load("maxmemory 1zb").unwrap_err();
        assert_eq!(e.msg, "argument must be a memory value");
        let cfg = load("sentinel monitor m 127.0.0.1 6379 2").unwrap();
        assert!(cfg.sentinel_mode);
        assert_eq!(cfg.sentinel_directives[0].line, 1);
    }

    #[test]
    fn save_accumulates_and_clears() {
        let cfg = load("save 900 1\nsave 300 10\n").unwrap();
        assert_eq!(cfg.save, vec![(900, 1), (300, 10)]);
        let cfg = load("save 900 1\nsave \"\"\n").unwrap();
        assert!(cfg.save.is_empty());
        let cfg = load("save \"\"\nsave 60 5\n").unwrap();
        assert_eq!(cfg.save, vec![(60, 5)]);
        let cfg = load("port 1\n").unwrap();
        assert_eq!(cfg.save, super::super::DEFAULT_SAVE.to_vec());
    }

    #[test]
    fn bind_replaces_and_units() {
        let cfg =
            load("bind 1.2.3.4 5.6.7.8\nbind 127.0.0.1\nmaxmemory 1gb\nrepl-backlog-size 2m\n")
                .unwrap();
        assert_eq!(cfg.bind, vec!["127.0.0.1".to_string()]);
        assert_eq!(cfg.maxmemory, 1 << 30);
        assert_eq!(cfg.repl_backlog_size, 2_000_000);
        let cfg = load("client-output-buffer-limit normal 0 0 0\nclient-output-buffer-limit replica 256mb 64mb 60\nclient-output-buffer-limit pubsub 1k 1kb 5\n").unwrap();
        assert_eq!(
            cfg.get_by_name("client-output-buffer-limit").unwrap(),
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 1000 1024 5"
        );
    }

    #[test]
    fn aliases_and_repeatables() {
        let cfg = load(
            "slaveof 10.0.0.1 6380\nslave-read-only no\nrename-command FLUSHALL \"\"\nrename-command CONFIG cfg\nuser alice on >pw ~* +@all\nhash-max-ziplist-entries 7\n",
        )
        .unwrap();
        assert_eq!(cfg.replicaof, Some(("10.0.0.1".into(), 6380)));
        assert!(!cfg.replica_read_only);
        assert_eq!(cfg.rename_commands.len(), 2);
        assert_eq!(cfg.rename_commands[0], ("FLUSHALL".into(), String::new()));
        assert_eq!(cfg.users.len(), 1);
        assert_eq!(
            cfg.get_by_name("hash-max-listpack-entries").as_deref(),
            Some("7")
        );
        assert_eq!(
            cfg.get_by_name("hash-max-ziplist-entries").as_deref(),
            Some("7")
        );
    }

    #[test]
    fn include_and_loops() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.conf");
        let b = dir.path().join("b.conf");
        std::fs::write(&a, format!("port 7001\ninclude {}\n", b.display())).unwrap();
        std::fs::write(&b, "hz 20\n").unwrap();
        let mut cfg = Config::default();
        load_file(&mut cfg, &mut LoadState::default(), &a).unwrap();
        assert_eq!((cfg.port, cfg.hz), (7001, 20));

        std::fs::write(&b, format!("hz 20\n\ninclude {}\n", a.display())).unwrap();
        let e = load_file(&mut Config::default(), &mut LoadState::default(), &a).unwrap_err();
        assert_eq!(e.file, b.display().to_string());
        assert_eq!(e.line, 3);
        assert!(e.msg.contains("Include loop"), "{e}");

        std::fs::write(&b, "hz 20\nbogus 1\n").unwrap();
        let e = load_file(&mut Config::default(), &mut LoadState::default(), &a).unwrap_err();
        assert_eq!((e.file.clone(), e.line), (b.display().to_string(), 2));

        std::fs::write(&a, "include /nonexistent/x.conf\n").unwrap();
        let e = load_file(&mut Config::default(), &mut LoadState::default(), &a).unwrap_err();
        assert_eq!((e.file.clone(), e.line), (a.display().to_string(), 1));
        assert!(e.msg.contains("No such file or directory"), "{e}");
    }

    #[test]
    fn debian_redis_conf_parses() {
        let p = Path::new("/etc/redis/redis.conf");
        if !p.exists() {
            assert!(
                std::env::var_os("CI").is_none(),
                "/etc/redis/redis.conf missing in CI"
            );
            return;
        }
        let mut cfg = Config::default();
        load_file(&mut cfg, &mut LoadState::default(), p).unwrap();
        assert_eq!(cfg.bind, vec!["127.0.0.1".to_string(), "-::1".to_string()]);
        assert_eq!(
            cfg.get_by_name("auto-aof-rewrite-min-size").unwrap(),
            "67108864"
        );
        assert_eq!(cfg.get_by_name("notify-keyspace-events").unwrap(), "");
    }

    #[test]
    fn debian_commented_examples_parse() {
        // Every commented-out `# name value` example whose name is a directive must parse when
        // uncommented on its own (the full Redis 7.0 table is accepted).
        let Ok(text) = std::fs::read_to_string("/etc/redis/redis.conf") else {
            assert!(
                std::env::var_os("CI").is_none(),
                "/etc/redis/redis.conf missing in CI"
            );
            return;
        };
        let mut tried = 0;
        let mut failures = Vec::new();
        for line in text.lines() {
            let Some(rest) = line.strip_prefix("# ") else {
                continue;
            };
            let Some(name) = rest.split(' ').next() else {
                continue;
            };
            let known = table::lookup(name).is_some()
                || ["rename-command", "user", "include"].contains(&name);
            let lowercase = name
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c == b'-' || c == b'_');
            if !known
                || !lowercase
                || rest.contains('<')
                || rest.ends_with(':')
                || rest.ends_with('.')
                || rest.split(' ').count() < 2
                || (rest.split_whitespace().count() > 5
                    && !["bind", "user", "save"].contains(&name))
            {
                continue;
            }
            // Examples that name paths or hosts that do not exist here.
            if ["dir", "logfile", "replicaof", "slaveof", "include"].contains(&name) {
                continue;
            }
            tried += 1;
            if let Err(e) = load(rest) {
                failures.push(format!("{rest:?}: {}", e.msg));
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
        assert!(tried > 30, "only {tried} examples found");
    }
}

//! Typed server configuration with Redis 7.0's defaults as named constants. The redis.conf
//! lexer, `include`, argv overrides and CONFIG GET/SET/REWRITE build on `Config::apply`.
use std::path::PathBuf;

pub const DEFAULT_PORT: u16 = 6379;
pub const DEFAULT_BIND: &[&str] = &["127.0.0.1", "-::1"];
pub const DEFAULT_DATABASES: usize = 16;
pub const DEFAULT_HZ: u32 = 10;
pub const DEFAULT_MAXCLIENTS: usize = 10000;
pub const DEFAULT_TCP_BACKLOG: i32 = 511;
pub const DEFAULT_TCP_KEEPALIVE: u64 = 300;
pub const DEFAULT_PROTO_MAX_BULK_LEN: i64 = 512 * 1024 * 1024;
pub const DEFAULT_CLIENT_QUERY_BUFFER_LIMIT: usize = 1024 * 1024 * 1024;
pub const DEFAULT_DBFILENAME: &str = "dump.rdb";
pub const DEFAULT_SAVE: &[(u64, u64)] = &[(3600, 1), (300, 100), (60, 10000)];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Supervised {
    No,
    Upstart,
    Systemd,
    Auto,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Debug,
    Verbose,
    Notice,
    Warning,
    Nothing,
}

impl LogLevel {
    pub fn name(self) -> &'static str {
        match self {
            LogLevel::Debug => "debug",
            LogLevel::Verbose => "verbose",
            LogLevel::Notice => "notice",
            LogLevel::Warning => "warning",
            LogLevel::Nothing => "nothing",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    /// Absolute path of the config file, if any (CONFIG REWRITE target).
    pub file: Option<PathBuf>,
    pub bind: Vec<String>,
    pub port: u16,
    pub protected_mode: bool,
    pub requirepass: Option<Vec<u8>>,
    pub daemonize: bool,
    pub supervised: Supervised,
    pub pidfile: String,
    pub logfile: String,
    pub loglevel: LogLevel,
    pub databases: usize,
    pub dir: PathBuf,
    pub dbfilename: String,
    /// Idle client timeout in seconds (0 = never).
    pub timeout: u64,
    pub tcp_keepalive: u64,
    pub tcp_backlog: i32,
    pub maxclients: usize,
    pub proto_max_bulk_len: i64,
    pub client_query_buffer_limit: usize,
    pub hz: u32,
    /// `no`, `yes` or `local`.
    pub enable_debug_command: String,
    pub save: Vec<(u64, u64)>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            file: None,
            bind: DEFAULT_BIND.iter().map(|s| s.to_string()).collect(),
            port: DEFAULT_PORT,
            protected_mode: true,
            requirepass: None,
            daemonize: false,
            supervised: Supervised::No,
            pidfile: String::new(),
            logfile: String::new(),
            loglevel: LogLevel::Notice,
            databases: DEFAULT_DATABASES,
            dir: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            dbfilename: DEFAULT_DBFILENAME.into(),
            timeout: 0,
            tcp_keepalive: DEFAULT_TCP_KEEPALIVE,
            tcp_backlog: DEFAULT_TCP_BACKLOG,
            maxclients: DEFAULT_MAXCLIENTS,
            proto_max_bulk_len: DEFAULT_PROTO_MAX_BULK_LEN,
            client_query_buffer_limit: DEFAULT_CLIENT_QUERY_BUFFER_LIMIT,
            hz: DEFAULT_HZ,
            enable_debug_command: "no".into(),
            save: DEFAULT_SAVE.to_vec(),
        }
    }
}

fn yes_no(v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err("argument must be 'yes' or 'no'".into()),
    }
}

fn num<T: std::str::FromStr>(v: &str) -> Result<T, String> {
    v.parse::<T>()
        .map_err(|_| "argument couldn't be parsed into an integer".to_string())
}

impl Config {
    /// Apply one directive. Errors are the message Redis prints after `FILE:LINE`.
    pub fn apply(&mut self, name: &str, args: &[String]) -> Result<(), String> {
        let one = || -> Result<&str, String> {
            if args.len() == 1 {
                Ok(args[0].as_str())
            } else {
                Err("wrong number of arguments".into())
            }
        };
        match name.to_ascii_lowercase().as_str() {
            "bind" => self.bind = args.to_vec(),
            "port" => self.port = num(one()?)?,
            "protected-mode" => self.protected_mode = yes_no(one()?)?,
            "requirepass" => {
                let v = one()?;
                self.requirepass = if v.is_empty() {
                    None
                } else {
                    Some(v.as_bytes().to_vec())
                };
            }
            "daemonize" => self.daemonize = yes_no(one()?)?,
            "pidfile" => self.pidfile = one()?.to_string(),
            "logfile" => self.logfile = one()?.to_string(),
            "supervised" => {
                self.supervised = match one()?.to_ascii_lowercase().as_str() {
                    "no" => Supervised::No,
                    "upstart" => Supervised::Upstart,
                    "systemd" => Supervised::Systemd,
                    "auto" => Supervised::Auto,
                    _ => return Err("argument(s) must be one of the following: upstart, systemd, auto, no".into()),
                }
            }
            "loglevel" => {
                self.loglevel = match one()?.to_ascii_lowercase().as_str() {
                    "debug" => LogLevel::Debug,
                    "verbose" => LogLevel::Verbose,
                    "notice" => LogLevel::Notice,
                    "warning" => LogLevel::Warning,
                    "nothing" => LogLevel::Nothing,
                    _ => return Err("argument(s) must be one of the following: debug, verbose, notice, warning, nothing".into()),
                }
            }
            "databases" => self.databases = num(one()?)?,
            "dir" => self.dir = PathBuf::from(one()?),
            "dbfilename" => self.dbfilename = one()?.to_string(),
            "timeout" => self.timeout = num(one()?)?,
            "tcp-keepalive" => self.tcp_keepalive = num(one()?)?,
            "tcp-backlog" => self.tcp_backlog = num(one()?)?,
            "maxclients" => self.maxclients = num(one()?)?,
            "hz" => self.hz = num(one()?)?,
            "enable-debug-command" => self.enable_debug_command = one()?.to_string(),
            "save" => {
                self.save.clear();
                for pair in args.chunks(2) {
                    if pair.len() == 2 {
                        self.save.push((num(&pair[0])?, num(&pair[1])?));
                    }
                }
            }
            _ => return Err("Bad directive or wrong number of arguments".to_string()),
        }
        Ok(())
    }

    /// Build a config from the command line (`oxidis [FILE] [--name value ...]`).
    pub fn from_args(args: &[String]) -> Result<Config, String> {
        let mut cfg = Config::default();
        let mut i = 0;
        while i < args.len() {
            let a = &args[i];
            if let Some(name) = a.strip_prefix("--") {
                let mut vals = Vec::new();
                i += 1;
                while i < args.len() && !args[i].starts_with("--") {
                    vals.push(args[i].clone());
                    i += 1;
                }
                cfg.apply(name, &vals)?;
            } else {
                i += 1;
            }
        }
        Ok(cfg)
    }
}

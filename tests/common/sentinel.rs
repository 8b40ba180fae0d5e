//! Sentinel end-to-end harness: a deployment of data nodes (oxidis or redis-server) and
//! sentinels (real `redis-sentinel` or `oxidis --sentinel`, chosen per sentinel) on free
//! loopback ports, each with its own config file, log and data dir under one temp dir. Every
//! process can be killed by PID (SIGKILL) and restarted on the same config, SENTINEL commands
//! are parsed into `Val`, and every wait has a deadline that panics with the logs.
pub use super::val::{parse, Val};
use super::{free_port, oxidis_bin, Conn};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Which server runs the data nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    Oxidis,
    Redis,
}

/// Which binary runs a sentinel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SentinelKind {
    /// Debian's `redis-sentinel` (Redis 7.0).
    Redis,
    /// `oxidis <conf> --sentinel`.
    Oxidis,
}

/// True if `redis-sentinel` runs here. In CI (`CI` set) its absence is a failure.
pub fn have_redis_sentinel() -> bool {
    super::have_tool("redis-sentinel", "redis-sentinel")
}

/// The master name every deployment monitors.
pub const MASTER: &str = "mymaster";

/// Timings of a deployment (Redis's names).
#[derive(Clone, Debug)]
pub struct Settings {
    pub quorum: usize,
    pub down_after_ms: u64,
    pub failover_timeout_ms: u64,
    /// Extra lines for every data node's config.
    pub node_extra: Vec<String>,
    /// `requirepass` and `masterauth` of the nodes, `sentinel auth-pass` of the sentinels.
    pub password: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            quorum: 2,
            down_after_ms: 1000,
            failover_timeout_ms: 10000,
            node_extra: Vec::new(),
            password: None,
        }
    }
}

/// One process with a config file it keeps across restarts.
pub struct Svc {
    pub label: String,
    pub port: u16,
    pub dir: PathBuf,
    pub conf: PathBuf,
    program: PathBuf,
    args: Vec<String>,
    child: Option<Child>,
    /// Password sent with AUTH before each command of `try_cmd`.
    pub auth: Option<String>,
}

impl Svc {
    fn new(root: &Path, label: &str, port: u16, program: PathBuf, sentinel: bool) -> Svc {
        let dir = root.join(label);
        std::fs::create_dir_all(&dir).expect("service dir");
        let conf = dir.join(if sentinel {
            "sentinel.conf"
        } else {
            "node.conf"
        });
        let mut args = vec![conf.display().to_string()];
        if sentinel && program == oxidis_bin() {
            args.push("--sentinel".into());
        }
        Svc {
            label: label.to_string(),
            port,
            dir,
            conf,
            program,
            args,
            child: None,
            auth: None,
        }
    }

    /// Start the process on its config (stdout/stderr appended to files in its dir).
    pub fn start(&mut self) {
        assert!(self.child.is_none(), "{} already running", self.label);
        let out = |n: &str| {
            let f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(self.dir.join(n))
                .expect("log file");
            Stdio::from(f)
        };
        let child = Command::new(&self.program)
            .args(&self.args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(out("stdout.log"))
            .stderr(out("stderr.log"))
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", self.program.display()));
        self.child = Some(child);
    }

    /// Start and wait until it answers PING.
    pub fn start_ready(&mut self) {
        self.start();
        let ok = wait_for(10, || {
            self.try_cmd(&["PING"])
                .is_some_and(|v| v == Val::Str("PONG".into()))
        });
        assert!(ok, "{} did not answer PING:\n{}", self.label, self.logs());
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    pub fn running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// SIGKILL by PID and reap.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGKILL, then start again on the same config (the file the process may have rewritten).
    pub fn restart(&mut self) {
        self.kill9();
        self.start_ready();
    }

    /// A raw connection (authenticated when the deployment has a password).
    pub fn conn(&self) -> Conn {
        let mut c = Conn::connect(self.port);
        if let Some(pw) = &self.auth {
            c.cmd(&["AUTH", pw]);
        }
        c
    }

    /// A command's reply parsed, or None when the process does not answer.
    pub fn try_cmd(&self, args: &[&str]) -> Option<Val> {
        cmd_at_auth(self.port, self.auth.as_deref(), args)
    }

    pub fn cmd(&self, args: &[&str]) -> Val {
        self.try_cmd(args)
            .unwrap_or_else(|| panic!("{} did not answer {args:?}:\n{}", self.label, self.logs()))
    }

    /// A field of INFO (all sections), or None.
    pub fn info_field(&self, field: &str) -> Option<String> {
        let v = self.try_cmd(&["INFO"])?;
        super::info_field(&v.text(), field)
    }

    pub fn config_text(&self) -> String {
        std::fs::read_to_string(&self.conf).unwrap_or_default()
    }

    /// The server's log file (`logfile` in its config) plus stdout/stderr.
    pub fn logs(&self) -> String {
        let read = |n: &str| std::fs::read_to_string(self.dir.join(n)).unwrap_or_default();
        format!(
            "===== {} (port {})\n--- log\n{}\n--- stdout\n{}\n--- stderr\n{}",
            self.label,
            self.port,
            read("log"),
            read("stdout.log"),
            read("stderr.log")
        )
    }

    /// The `logfile` lines holding `needle`.
    pub fn log_lines(&self, needle: &str) -> Vec<String> {
        std::fs::read_to_string(self.dir.join("log"))
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains(needle))
            .map(str::to_string)
            .collect()
    }
}

impl Drop for Svc {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Poll `f` every 50 ms until it holds or `secs` pass.
pub fn wait_for(secs: u64, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if f() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Data nodes and sentinels under one temp dir. Node 0 starts as the master.
pub struct Deployment {
    pub nodes: Vec<Svc>,
    pub sentinels: Vec<Svc>,
    pub settings: Settings,
    pub node_kind: NodeKind,
    /// Dropped last: the processes above are killed first.
    pub root: tempfile::TempDir,
}

impl Deployment {
    /// Start `n_nodes` nodes (replicas of node 0) and one sentinel per entry of `sentinels`,
    /// then wait until the replicas are in sync and every sentinel knows every replica and
    /// every other sentinel.
    pub fn start(
        node_kind: NodeKind,
        n_nodes: usize,
        sentinels: &[SentinelKind],
        settings: Settings,
    ) -> Deployment {
        let root = tempfile::tempdir().expect("tempdir");
        let mut d = Deployment {
            nodes: Vec::new(),
            sentinels: Vec::new(),
            settings,
            node_kind,
            root,
        };
        let node_ports: Vec<u16> = (0..n_nodes).map(|_| free_port()).collect();
        for (i, &port) in node_ports.iter().enumerate() {
            let program = match node_kind {
                NodeKind::Oxidis => oxidis_bin(),
                NodeKind::Redis => PathBuf::from("redis-server"),
            };
            let mut svc = Svc::new(d.root.path(), &format!("node{i}"), port, program, false);
            svc.auth.clone_from(&d.settings.password);
            let master = (i > 0).then_some(node_ports[0]);
            std::fs::write(&svc.conf, d.node_config(&svc, master)).expect("node config");
            svc.start_ready();
            d.nodes.push(svc);
        }
        d.wait_replicas_synced(&node_ports[1..], 30);
        for (i, &kind) in sentinels.iter().enumerate() {
            let program = match kind {
                SentinelKind::Redis => PathBuf::from("redis-sentinel"),
                SentinelKind::Oxidis => oxidis_bin(),
            };
            let port = free_port();
            let mut svc = Svc::new(d.root.path(), &format!("sentinel{i}"), port, program, true);
            std::fs::write(&svc.conf, d.sentinel_config(&svc, node_ports[0])).expect("conf");
            svc.start_ready();
            d.sentinels.push(svc);
        }
        d.wait_discovery(30);
        d
    }

    fn node_config(&self, svc: &Svc, master: Option<u16>) -> String {
        let mut c = format!(
            "port {}\nbind 127.0.0.1\ndir \"{}\"\nlogfile \"{}\"\nsave \"\"\nappendonly no\n",
            svc.port,
            svc.dir.display(),
            svc.dir.join("log").display()
        );
        if self.node_kind == NodeKind::Redis {
            // Redis waits 5 s for more replicas before a diskless sync by default.
            c.push_str("repl-diskless-sync-delay 0\n");
        }
        for l in &self.settings.node_extra {
            c.push_str(l);
            c.push('\n');
        }
        if let Some(pw) = &self.settings.password {
            c.push_str(&format!("requirepass {pw}\nmasterauth {pw}\n"));
        }
        if let Some(p) = master {
            c.push_str(&format!("replicaof 127.0.0.1 {p}\n"));
        }
        c
    }

    fn sentinel_config(&self, svc: &Svc, master_port: u16) -> String {
        let s = &self.settings;
        let auth = match &s.password {
            Some(pw) => format!("sentinel auth-pass {MASTER} {pw}\n"),
            None => String::new(),
        };
        format!(
            "port {port}\nbind 127.0.0.1\ndir \"{dir}\"\nlogfile \"{log}\"\nloglevel debug\n\
             sentinel monitor {MASTER} 127.0.0.1 {master_port} {q}\n\
             sentinel down-after-milliseconds {MASTER} {da}\n\
             sentinel failover-timeout {MASTER} {ft}\n\
             sentinel parallel-syncs {MASTER} 1\n",
            port = svc.port,
            dir = svc.dir.display(),
            log = svc.dir.join("log").display(),
            q = s.quorum,
            da = s.down_after_ms,
            ft = s.failover_timeout_ms,
        ) + &auth
    }

    /// Every process's logs, for failure messages.
    pub fn all_logs(&self) -> String {
        self.nodes
            .iter()
            .chain(self.sentinels.iter())
            .map(Svc::logs)
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Wait (or panic with every log) until `f` holds.
    pub fn wait(&self, secs: u64, what: &str, mut f: impl FnMut(&Deployment) -> bool) {
        if !wait_for(secs, || f(self)) {
            panic!(
                "timed out after {secs} s waiting for: {what}\n{}",
                self.all_logs()
            );
        }
    }

    pub fn sentinel_ports(&self) -> Vec<u16> {
        self.sentinels.iter().map(|s| s.port).collect()
    }

    pub fn node_by_port(&self, port: u16) -> Option<usize> {
        self.nodes.iter().position(|n| n.port == port)
    }

    /// Wait until each node of `ports` reports `master_link_status:up`.
    pub fn wait_replicas_synced(&self, ports: &[u16], secs: u64) {
        self.wait(secs, "replicas in sync", |d| {
            ports.iter().all(|&p| {
                d.node_by_port(p).is_some_and(|i| {
                    d.nodes[i].info_field("master_link_status").as_deref() == Some("up")
                })
            })
        });
    }

    /// Wait until every sentinel lists all the other nodes as replicas and knows every other
    /// sentinel (hello messages went round).
    pub fn wait_discovery(&self, secs: u64) {
        let n_replicas = self.nodes.len() - 1;
        let n_others = self.sentinels.len() - 1;
        self.wait(secs, "sentinel discovery", |d| {
            d.sentinels.iter().all(|s| {
                let reps = s.try_cmd(&["SENTINEL", "REPLICAS", MASTER]);
                let sents = s.try_cmd(&["SENTINEL", "SENTINELS", MASTER]);
                reps.is_some_and(|r| r.len() == n_replicas)
                    && sents.is_some_and(|r| r.len() == n_others)
            })
        });
    }

    /// `SENTINEL GET-MASTER-ADDR-BY-NAME` on sentinel `i`.
    pub fn master_addr(&self, i: usize) -> Option<(String, u16)> {
        master_addr(&self.sentinels[i])
    }

    /// The address every running sentinel agrees on, if they do.
    pub fn agreed_master(&self) -> Option<(String, u16)> {
        let first = self.master_addr(0)?;
        (1..self.sentinels.len())
            .all(|i| self.master_addr(i).as_ref() == Some(&first))
            .then_some(first)
    }

    /// Wait until the deployment has settled after losing the master on `old_port`: every
    /// sentinel names the same master, another node than `old_port`, that reports
    /// `role:master`, and every running node except it follows it with its link up. Returns
    /// its index. Sentinels may legitimately fail over more than once (a sentinel that has not
    /// heard from the new master yet can start another election), so callers look at the
    /// settled topology rather than at the first switch.
    pub fn wait_settled(&mut self, old_port: u16, secs: u64) -> usize {
        let running: Vec<bool> = self.nodes.iter_mut().map(|n| n.running()).collect();
        let mut found = None;
        self.wait(secs, "a settled topology after the failover", |d| {
            found = d
                .agreed_master()
                .filter(|(_, p)| *p != old_port)
                .and_then(|(_, p)| d.node_by_port(p))
                .filter(|&m| d.is_settled(m, &running));
            found.is_some()
        });
        found.unwrap_or_default()
    }

    /// Node `m` is a master and every other running node follows it with its link up.
    fn is_settled(&self, m: usize, running: &[bool]) -> bool {
        let want = self.nodes[m].port.to_string();
        self.nodes[m].info_field("role").as_deref() == Some("master")
            && (0..self.nodes.len())
                .filter(|&i| i != m && running[i])
                .all(|i| {
                    let n = &self.nodes[i];
                    n.info_field("master_port").as_deref() == Some(want.as_str())
                        && n.info_field("master_link_status").as_deref() == Some("up")
                })
    }

    /// Wait until the config files say what CONFIG REWRITE must have persisted: no
    /// `replicaof` in master `m`'s, `replicaof` to `m` in every other running node's.
    pub fn wait_configs_follow(&mut self, m: usize, secs: u64) {
        let running: Vec<bool> = self.nodes.iter_mut().map(|n| n.running()).collect();
        let want = Some(format!("127.0.0.1 {}", self.nodes[m].port));
        self.wait(secs, "config files hold the new topology", |d| {
            d.nodes.iter().enumerate().all(|(i, n)| {
                let line = replicaof_line(&n.config_text());
                if i == m {
                    line.is_none()
                } else {
                    !running[i] || line == want
                }
            })
        });
    }

    /// Wait until node `i` is a replica of node `master` with its link up.
    pub fn wait_follows(&self, i: usize, master: usize, secs: u64) {
        let want = self.nodes[master].port.to_string();
        let what = format!(
            "{} follows {}",
            self.nodes[i].label, self.nodes[master].label
        );
        self.wait(secs, &what, |d| {
            let n = &d.nodes[i];
            n.info_field("role").as_deref() == Some("slave")
                && n.info_field("master_port").as_deref() == Some(want.as_str())
                && n.info_field("master_link_status").as_deref() == Some("up")
        });
    }

    /// Wait until a key written on node `from` reads back on node `to`.
    pub fn wait_key(&self, to: usize, key: &str, val: &str, secs: u64) {
        let what = format!("{key}={val} on {}", self.nodes[to].label);
        self.wait(secs, &what, |d| {
            d.nodes[to].try_cmd(&["GET", key]).map(|v| v.text()) == Some(val.to_string())
        });
    }
}

/// One command on a fresh connection to `port` (1 s to connect, 5 s to answer), parsed.
pub fn cmd_at(port: u16, args: &[&str]) -> Option<Val> {
    cmd_at_auth(port, None, args)
}

/// `cmd_at` after `AUTH password` when one is given.
pub fn cmd_at_auth(port: u16, password: Option<&str>, args: &[&str]) -> Option<Val> {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let s = TcpStream::connect_timeout(&addr, Duration::from_secs(1)).ok()?;
    let mut c = Conn::from_stream(s);
    c.w.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    if let Some(pw) = password {
        c.try_cmd(&["AUTH", pw]).ok()?;
    }
    let raw = c.try_cmd(args).ok()?;
    Some(parse(&raw))
}

/// `SENTINEL GET-MASTER-ADDR-BY-NAME` on a sentinel.
pub fn master_addr(s: &Svc) -> Option<(String, u16)> {
    master_addr_at(s.port)
}

/// `SENTINEL GET-MASTER-ADDR-BY-NAME` on the sentinel at `port`.
pub fn master_addr_at(port: u16) -> Option<(String, u16)> {
    match cmd_at(port, &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER])? {
        Val::Arr(v) if v.len() == 2 => Some((v[0].text(), v[1].text().parse().ok()?)),
        _ => None,
    }
}

/// What a sentinel's config file says about the monitored master: its port (`sentinel
/// monitor`) and the known replicas' ports (`sentinel known-replica`), sorted.
pub fn persisted_topology(conf: &str) -> (Option<u16>, Vec<u16>) {
    let mut master = None;
    let mut replicas = Vec::new();
    for l in conf.lines() {
        let w: Vec<&str> = l.split_whitespace().collect();
        match w.as_slice() {
            ["sentinel", "monitor", name, _host, port, _q] if *name == MASTER => {
                master = port.parse().ok()
            }
            ["sentinel", "known-replica" | "known-slave", name, _host, port] if *name == MASTER => {
                replicas.extend(port.parse::<u16>().ok())
            }
            _ => {}
        }
    }
    replicas.sort_unstable();
    replicas.dedup();
    (master, replicas)
}

/// The `replicaof` line of a config file, if any (`host port`).
pub fn replicaof_line(conf: &str) -> Option<String> {
    conf.lines().find_map(|l| {
        let mut w = l.split_whitespace();
        let d = w.next()?;
        (d.eq_ignore_ascii_case("replicaof") || d.eq_ignore_ascii_case("slaveof"))
            .then(|| w.collect::<Vec<_>>().join(" "))
    })
}

/// A pub/sub listener on a sentinel (PSUBSCRIBE *): events with their arrival time.
pub struct Events {
    pub log: Arc<Mutex<Vec<(Instant, String, String)>>>,
}

impl Events {
    /// Subscribe to every channel of the sentinel on `port` (returns once subscribed).
    pub fn listen(port: u16) -> Events {
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut c = Conn::connect(port);
        let _ = c.w.set_read_timeout(None);
        let _ = c.r.get_ref().set_read_timeout(None);
        c.cmd(&["PSUBSCRIBE", "*"]);
        let sink = log.clone();
        std::thread::spawn(move || {
            while let Ok(raw) = c.try_read_reply() {
                if let Val::Arr(v) = parse(&raw) {
                    if v.len() == 4 {
                        let at = Instant::now();
                        if let Ok(mut l) = sink.lock() {
                            l.push((at, v[2].text(), v[3].text()));
                        }
                    }
                }
            }
        });
        Events { log }
    }

    /// Messages seen so far on `channel`.
    pub fn on(&self, channel: &str) -> Vec<String> {
        self.log
            .lock()
            .map(|l| {
                l.iter()
                    .filter(|(_, c, _)| c == channel)
                    .map(|(_, _, m)| m.clone())
                    .collect()
            })
            .unwrap_or_default()
    }
}

//! Black-box test harness: start the built `oxidis` binary (or a real `redis-server`) on a free
//! loopback port in a temp dir, talk RESP to it, and stop it by PID when dropped.
#![allow(dead_code)]
pub mod sentinel;
pub mod val;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn oxidis_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_oxidis"))
}

/// A port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind ephemeral port");
    l.local_addr().expect("local addr").port()
}

/// True if `redis-server` is available. In CI (`CI` set) its absence is a failure, not a skip.
pub fn have_redis() -> bool {
    have_tool("redis-server", "redis-server")
}

/// True if `prog --version` runs. In CI (`CI` set) its absence is a failure naming the Debian
/// package that provides it.
pub fn have_tool(prog: &str, package: &str) -> bool {
    let ok = Command::new(prog)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok && std::env::var_os("CI").is_some() {
        panic!("{prog} is required in CI (apt-get install {package})");
    }
    ok
}

pub struct Proc {
    pub child: Child,
    pub port: u16,
    pub dir: tempfile::TempDir,
}

impl Proc {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn conn(&self) -> Conn {
        Conn::connect(self.port)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Send a signal by PID.
    pub fn signal(&self, sig: &str) {
        let _ = Command::new("kill")
            .args(["-s", sig, &self.pid().to_string()])
            .status();
    }

    /// Wait (bounded) for the process to exit; returns its exit code if it did.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(st)) = self.child.try_wait() {
                return Some(st.code().unwrap_or(-1));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Wait until something answers PING on `port` (bounded: 10 s).
pub fn wait_ready(port: u16) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(s) = TcpStream::connect(("127.0.0.1", port)) {
            let mut c = Conn::from_stream(s);
            if c.try_cmd(&["PING"])
                .map(|r| r.starts_with(b"+PONG"))
                .unwrap_or(false)
            {
                return true;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// Start `cmd` in `dir` with stdin closed and stdout/stderr going to `stdout.log`/`stderr.log`
/// there (see `Proc::logs`), without waiting for it to answer.
pub fn spawn_logged(mut cmd: Command, dir: tempfile::TempDir, port: u16) -> Proc {
    let log = |name: &str| Stdio::from(std::fs::File::create(dir.path().join(name)).expect(name));
    let child = cmd
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(log("stdout.log"))
        .stderr(log("stderr.log"))
        .spawn()
        .expect("spawn server");
    Proc { child, port, dir }
}

/// Start `cmd` like `spawn_logged`, then wait until it answers PING on `port`.
pub fn spawn_ready(cmd: Command, dir: tempfile::TempDir, port: u16) -> Proc {
    let p = spawn_logged(cmd, dir, port);
    assert!(
        wait_ready(port),
        "server on port {port} did not become ready: {}",
        p.logs()
    );
    p
}

impl Proc {
    pub fn logs(&self) -> String {
        let o = std::fs::read_to_string(self.dir.path().join("stdout.log")).unwrap_or_default();
        let e = std::fs::read_to_string(self.dir.path().join("stderr.log")).unwrap_or_default();
        format!("--- stdout\n{o}\n--- stderr\n{e}")
    }
}

fn spawn(bin: &Path, args: &[String], dir: tempfile::TempDir, port: u16) -> Proc {
    let mut cmd = Command::new(bin);
    cmd.args(args);
    spawn_ready(cmd, dir, port)
}

/// Start oxidis on a free port with extra `--directive value` arguments.
pub fn start_oxidis(extra: &[&str]) -> Proc {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let mut args = vec![
        "--port".to_string(),
        port.to_string(),
        "--save".into(),
        "".into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    spawn(&oxidis_bin(), &args, dir, port)
}

/// Start a real redis-server on a free port (persistence off).
pub fn start_redis(extra: &[&str]) -> Proc {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let mut args = vec![
        "--port".to_string(),
        port.to_string(),
        "--bind".into(),
        "127.0.0.1".into(),
        "--save".into(),
        "".into(),
        "--appendonly".into(),
        "no".into(),
        "--dir".into(),
        dir.path().display().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    spawn(Path::new("redis-server"), &args, dir, port)
}

/// A RESP client that returns raw reply bytes, for byte-for-byte comparisons.
pub struct Conn {
    pub r: BufReader<TcpStream>,
    pub w: TcpStream,
}

/// A command as a RESP array of bulk strings (the server's own encoder).
pub fn encode_cmd(args: &[&[u8]]) -> Vec<u8> {
    oxidis::resp::encode::command(args)
}

impl Conn {
    pub fn connect(port: u16) -> Conn {
        let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        Conn::from_stream(s)
    }

    pub fn from_stream(s: TcpStream) -> Conn {
        s.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        s.set_nodelay(true).expect("nodelay");
        let w = s.try_clone().expect("clone");
        Conn {
            r: BufReader::new(s),
            w,
        }
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.w.write_all(bytes).expect("write");
    }

    pub fn send(&mut self, args: &[&[u8]]) {
        self.send_raw(&encode_cmd(args));
    }

    /// Read exactly one reply, returning its raw bytes.
    pub fn read_reply(&mut self) -> Vec<u8> {
        self.try_read_reply().expect("read reply")
    }

    pub fn try_read_reply(&mut self) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        self.read_one(&mut out)?;
        Ok(out)
    }

    fn read_line(&mut self, out: &mut Vec<u8>) -> std::io::Result<Vec<u8>> {
        let mut line = Vec::new();
        let n = self.r.read_until(b'\n', &mut line)?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "closed",
            ));
        }
        out.extend_from_slice(&line);
        Ok(line)
    }

    fn read_one(&mut self, out: &mut Vec<u8>) -> std::io::Result<()> {
        let line = self.read_line(out)?;
        let body = String::from_utf8_lossy(&line[1..line.len().saturating_sub(2)]).to_string();
        match line[0] {
            b'+' | b'-' | b':' | b'_' | b',' | b'#' | b'(' => Ok(()),
            b'$' | b'=' | b'!' => {
                let n: i64 = body.parse().unwrap_or(-1);
                if n >= 0 {
                    let mut buf = vec![0u8; n as usize + 2];
                    self.r.read_exact(&mut buf)?;
                    out.extend_from_slice(&buf);
                }
                Ok(())
            }
            b'*' | b'~' | b'>' | b'%' | b'|' => {
                let n: i64 = body.parse().unwrap_or(-1);
                let n = if matches!(line[0], b'%' | b'|') {
                    n * 2
                } else {
                    n
                };
                for _ in 0..n.max(0) {
                    self.read_one(out)?;
                }
                Ok(())
            }
            _ => Err(std::io::Error::other(format!("bad reply line {line:?}"))),
        }
    }

    /// Send a command and return its raw reply.
    pub fn cmd(&mut self, args: &[&str]) -> Vec<u8> {
        self.try_cmd(args).expect("command")
    }

    pub fn try_cmd(&mut self, args: &[&str]) -> std::io::Result<Vec<u8>> {
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        self.w.write_all(&encode_cmd(&a))?;
        self.try_read_reply()
    }

    pub fn cmd_bin(&mut self, args: &[&[u8]]) -> Vec<u8> {
        self.send(args);
        self.read_reply()
    }

    /// Send a command and return its reply as a lossy string (for readable asserts).
    pub fn s(&mut self, args: &[&str]) -> String {
        String::from_utf8_lossy(&self.cmd(args)).to_string()
    }
}

/// Send `args` and assert the raw reply equals `want`.
pub fn check(c: &mut Conn, args: &[&str], want: &str) {
    let got = c.s(args);
    assert_eq!(got, want, "command {args:?}");
}

/// Extract a field from an INFO reply body.
/// Poll `f` every 10 ms until it holds (true) or `secs` seconds pass (false).
#[allow(dead_code)]
pub fn wait_until(secs: u64, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

/// Start oxidis with the DEBUG command enabled and `extra` arguments.
#[allow(dead_code)]
pub fn start_oxidis_debug(extra: &[&str]) -> Proc {
    let mut args = vec!["--enable-debug-command", "yes"];
    args.extend_from_slice(extra);
    start_oxidis(&args)
}

pub fn info_field(info: &str, field: &str) -> Option<String> {
    info.lines().find_map(|l| {
        l.strip_prefix(&format!("{field}:"))
            .map(|v| v.trim().to_string())
    })
}

/// A seeded xorshift generator for randomized tests (replayable from the printed seed).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        oxidis::util::xorshift64(&mut self.0)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Whether python3 has redis-py (CI must: `.ci/run` installs python3-redis).
#[allow(dead_code)]
pub fn have_redis_py() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import redis.sentinel"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "redis-py is required in CI (apt-get install python3-redis)"
        );
        eprintln!("skipped: python3 without redis-py");
    }
    ok
}

/// Wait until the server reports `n` blocked clients (bounded: 5 s).
#[allow(dead_code)]
pub fn wait_blocked(c: &mut Conn, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let info = c.s(&["INFO", "clients"]);
        if info_field(&info, "blocked_clients").as_deref() == Some(&n.to_string()) {
            return;
        }
        assert!(Instant::now() < deadline, "never saw {n} blocked clients");
        std::thread::sleep(Duration::from_millis(5));
    }
}

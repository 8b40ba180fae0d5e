//! Process-level behaviour: `daemonize yes` with pidfile and logfile, SIGTERM shutdown, log
//! levels, and systemd readiness notification over path and abstract notify sockets.
mod common;
use common::*;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::os::unix::net::UnixDatagram;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(10);

/// True if `line` has Redis's log format: `PID:ROLE DD Mon YYYY HH:MM:SS.mmm LEVEL msg`.
fn is_redis_log_line(line: &str) -> bool {
    let Some((pid, rest)) = line.split_once(':') else {
        return false;
    };
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let b = rest.as_bytes();
    // "M 26 Nov 2026 14:05:01.123 * m" is at least 31 bytes.
    if b.len() < 31 || !matches!(b[0], b'M' | b'S' | b'X' | b'C') || b[1] != b' ' {
        return false;
    }
    let ts = &rest[2..26];
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    let month_ok = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .contains(&&ts[3..6]);
    let ts_ok = digits(&ts[0..2])
        && &ts[2..3] == " "
        && month_ok
        && &ts[6..7] == " "
        && digits(&ts[7..11])
        && &ts[11..12] == " "
        && digits(&ts[12..14])
        && &ts[14..15] == ":"
        && digits(&ts[15..17])
        && &ts[17..18] == ":"
        && digits(&ts[18..20])
        && &ts[20..21] == "."
        && digits(&ts[21..24]);
    ts_ok && b[26] == b' ' && matches!(b[27], b'.' | b'-' | b'*' | b'#') && b[28] == b' '
}

#[test]
fn log_line_checker_rejects_bad_lines() {
    assert!(is_redis_log_line(
        "12345:M 26 Nov 2026 14:05:01.123 * Ready to accept connections"
    ));
    assert!(!is_redis_log_line("12345:M * Ready to accept connections"));
    assert!(!is_redis_log_line(
        "12345:Q 26 Nov 2026 14:05:01.123 * Ready to accept connections"
    ));
    assert!(!is_redis_log_line(
        "x:M 26 Nov 2026 14:05:01.123 * Ready to accept connections"
    ));
    assert!(!is_redis_log_line(
        "1:M 26 Nov 2026 14:05:01.123 ! Ready to accept connections"
    ));
}

/// Make this test process adopt orphaned descendants (the daemons), so they can be reaped and
/// their exit status read instead of lingering as zombies under a non-reaping PID 1.
fn adopt_orphans() {
    nix::sys::prctl::set_child_subreaper(true).unwrap();
}

/// Alive and not yet exited.
fn alive(pid: i32) -> bool {
    kill(Pid::from_raw(pid), None).is_ok()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .unwrap_or_default()
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z'))
}

/// Wait (bounded) for the adopted process `pid` to exit and reap it; its exit code.
fn reap(pid: i32) -> Option<i32> {
    use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        match waitpid(Pid::from_raw(pid), Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::Exited(_, code)) => return Some(code),
            Ok(WaitStatus::Signaled(_, sig, _)) => return Some(128 + sig as i32),
            Ok(_) => std::thread::sleep(Duration::from_millis(20)),
            Err(_) => return None,
        }
    }
    None
}

fn wait_until(mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// Kills a daemon by PID if a test fails before shutting it down.
struct KillOnDrop(i32);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if alive(self.0) {
            let _ = kill(Pid::from_raw(self.0), Signal::SIGKILL);
            let _ = reap(self.0);
        }
    }
}

#[test]
fn daemonize_pidfile_logfile_and_sigterm() {
    adopt_orphans();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let pidfile = dir.path().join("x.pid");
    let logfile = dir.path().join("x.log");
    let mut launcher = Command::new(oxidis_bin())
        .args(["--daemonize", "yes", "--pidfile"])
        .arg(&pidfile)
        .arg("--logfile")
        .arg(&logfile)
        .args(["--port", &port.to_string(), "--save", ""])
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let launcher_pid = launcher.id() as i32;
    let mut status = None;
    assert!(wait_until(|| {
        status = launcher.try_wait().unwrap();
        status.is_some()
    }));
    assert_eq!(status.unwrap().code(), Some(0), "launcher exit status");

    // The launcher only exits once the daemon listens, so everything is in place already.
    let text = std::fs::read_to_string(&pidfile).expect("pidfile written before launcher exit");
    assert!(text.ends_with('\n'), "pidfile {text:?}");
    let pid: i32 = text.trim().parse().unwrap();
    let _guard = KillOnDrop(pid);
    assert_ne!(pid, launcher_pid);
    assert!(alive(pid));
    assert_eq!(Conn::connect(port).cmd(&["PING"]), b"+PONG\r\n");

    let log = std::fs::read_to_string(&logfile).unwrap();
    assert!(log.lines().count() >= 4, "{log}");
    for line in log.lines() {
        assert!(is_redis_log_line(line), "bad log line {line:?}");
        assert!(line.starts_with(&format!("{pid}:")), "{line:?}");
    }
    assert!(log
        .lines()
        .any(|l| l.ends_with(" * Ready to accept connections")));
    // The product names itself at startup, and says which Redis it answers as.
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        log.contains(&format!(
            "# oxidis {version} (Redis 7.0.15 compatible), bits="
        )),
        "{log}"
    );
    assert!(!log.contains("Redis is starting"), "{log}");
    let info = Conn::connect(port).cmd(&["INFO", "server"]);
    let info = String::from_utf8_lossy(&info);
    assert!(
        info.contains(&format!(
            "\r\nredis_version:7.0.15\r\noxidis_version:{version}\r\n"
        )),
        "{info}"
    );

    kill(Pid::from_raw(pid), Signal::SIGTERM).unwrap();
    assert_eq!(reap(pid), Some(0), "daemon exit status");
    assert!(!pidfile.exists(), "pidfile not removed");
    let log = std::fs::read_to_string(&logfile).unwrap();
    for want in [
        "# User requested shutdown...",
        "* Removing the pid file.",
        "# Redis is now ready to exit, bye bye...",
    ] {
        assert!(log.contains(want), "missing {want:?} in\n{log}");
    }
}

#[test]
fn daemonize_failure_makes_launcher_fail() {
    adopt_orphans();
    let dir = tempfile::tempdir().unwrap();
    // Occupy the port so the daemon cannot listen.
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port();
    let mut launcher = Command::new(oxidis_bin())
        .args(["--daemonize", "yes", "--bind", "127.0.0.1", "--port"])
        .arg(port.to_string())
        .args(["--save", "", "--pidfile"])
        .arg(dir.path().join("f.pid"))
        .arg("--logfile")
        .arg(dir.path().join("f.log"))
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut status = None;
    assert!(wait_until(|| {
        status = launcher.try_wait().unwrap();
        status.is_some()
    }));
    assert_eq!(status.unwrap().code(), Some(1));
    let mut err = String::new();
    std::io::Read::read_to_string(&mut launcher.stderr.take().unwrap(), &mut err).unwrap();
    assert!(err.contains("Failed listening on port"), "stderr: {err:?}");
    assert!(!dir.path().join("f.pid").exists());
    // The forked daemon logged the failure and exited 1.
    let log = std::fs::read_to_string(dir.path().join("f.log")).unwrap();
    let pid: i32 = log.split(':').next().unwrap().parse().unwrap();
    assert_ne!(pid, launcher.id() as i32);
    assert_eq!(reap(pid), Some(1), "{log}");
}

#[test]
fn loglevel_warning_hides_notices() {
    let srv = start_oxidis(&["--loglevel", "warning", "--logfile", "w.log"]);
    let log = std::fs::read_to_string(srv.path("w.log")).unwrap();
    assert!(log.contains("# Server initialized"), "{log}");
    assert!(!log.contains("Ready to accept connections"), "{log}");
}

/// Start oxidis under `supervised systemd` with `NOTIFY_SOCKET=notify`.
fn start_supervised(notify: &str) -> Proc {
    start_supervised_with(notify, &[])
}

fn start_supervised_with(notify: &str, extra: &[&str]) -> Proc {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut cmd = Command::new(oxidis_bin());
    cmd.args([
        "--port",
        &port.to_string(),
        "--save",
        "",
        "--supervised",
        "systemd",
    ])
    .args(extra)
    .env("NOTIFY_SOCKET", notify);
    spawn_logged(cmd, dir, port)
}

/// A supervised replica is READY=1 as soon as it serves, with a STATUS saying it still waits
/// for its master; the STATUS changes once the sync has finished.
#[test]
fn systemd_status_follows_replica_sync() {
    let master = start_oxidis(&[]);
    master.conn().cmd(&["SET", "k", "v"]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notify.sock");
    let sock = UnixDatagram::bind(&path).unwrap();
    let port = master.port.to_string();
    let replica =
        start_supervised_with(path.to_str().unwrap(), &["--replicaof", "127.0.0.1", &port]);
    let got = recv_until(&sock, "READY=1");
    assert!(
        got.iter().any(|m| m.contains(
            "STATUS=Ready to accept connections in read-only mode. Waiting for MASTER <-> REPLICA sync"
        )),
        "{got:?}"
    );
    recv_until(
        &sock,
        "STATUS=MASTER <-> REPLICA sync: Finished with success. Ready to accept connections in read-write mode.",
    );
    assert_eq!(replica.conn().cmd(&["GET", "k"]), b"$1\r\nv\r\n");
    // A replica's log lines carry the role letter S, as Redis's do.
    let want = format!(
        "{}:S * MASTER <-> REPLICA sync: Finished with success",
        replica.pid()
    );
    let out = std::fs::read_to_string(replica.path("stdout.log")).unwrap();
    assert!(out.lines().any(|l| l == want), "{out}");
}

/// Receive datagrams until one contains `want`; returns everything received.
fn recv_until(sock: &UnixDatagram, want: &str) -> Vec<String> {
    sock.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let deadline = Instant::now() + WAIT;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline {
        if let Ok(n) = sock.recv(&mut buf) {
            let msg = String::from_utf8_lossy(&buf[..n]).to_string();
            let done = msg.lines().any(|l| l == want);
            got.push(msg);
            if done {
                return got;
            }
        }
    }
    panic!("no {want:?} within {WAIT:?}; got {got:?}");
}

fn check_systemd_readiness(sock: &UnixDatagram, notify: &str) {
    let mut srv = start_supervised(notify);
    let got = recv_until(sock, "READY=1");
    assert!(
        got.iter().any(|m| m.starts_with("STATUS=")),
        "no STATUS= before READY=1: {got:?}"
    );
    assert!(got.contains(&"STATUS=Ready to accept connections\n".to_string()));
    assert!(wait_ready(srv.port), "{}", srv.logs());
    assert_eq!(srv.conn().cmd(&["PING"]), b"+PONG\r\n");
    // journald adds timestamps: stdout lines are `PID:ROLE LEVEL msg`.
    let out = std::fs::read_to_string(srv.path("stdout.log")).unwrap();
    assert!(
        out.lines()
            .any(|l| l == format!("{}:M * Ready to accept connections", srv.pid())),
        "{out}"
    );
    srv.signal("TERM");
    recv_until(sock, "STOPPING=1");
    assert_eq!(srv.wait_exit(WAIT), Some(0), "{}", srv.logs());
}

#[test]
fn systemd_notify_path_socket() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notify.sock");
    let sock = UnixDatagram::bind(&path).unwrap();
    check_systemd_readiness(&sock, path.to_str().unwrap());
}

#[cfg(target_os = "linux")]
#[test]
fn systemd_notify_abstract_socket() {
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::net::SocketAddr;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let name = format!("oxidis-test-{}-{nanos}", std::process::id());
    let sock =
        UnixDatagram::bind_addr(&SocketAddr::from_abstract_name(name.as_bytes()).unwrap()).unwrap();
    check_systemd_readiness(&sock, &format!("@{name}"));
}

#[test]
fn supervised_systemd_does_not_daemonize() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notify.sock");
    let sock = UnixDatagram::bind(&path).unwrap();
    let port = free_port();
    let mut child = Command::new(oxidis_bin())
        .args(["--port", &port.to_string(), "--save", ""])
        .args(["--supervised", "systemd", "--daemonize", "yes"])
        .env("NOTIFY_SOCKET", &path)
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id() as i32;
    let _guard = KillOnDrop(pid);
    recv_until(&sock, "READY=1");
    // The process systemd started is the server itself.
    assert!(child.try_wait().unwrap().is_none());
    assert!(wait_ready(port));
    kill(Pid::from_raw(pid), Signal::SIGTERM).unwrap();
    let mut status = None;
    assert!(wait_until(|| {
        status = child.try_wait().unwrap();
        status.is_some()
    }));
    assert_eq!(status.unwrap().code(), Some(0));
}

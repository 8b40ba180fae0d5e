//! Black-box tests of the configuration system: the command line, redis.conf parsing errors
//! (via `--test-config`), and CONFIG GET/SET/REWRITE against a running server.
mod common;

use common::{
    free_port, have_redis, oxidis_bin, spawn_ready, start_oxidis, start_redis, wait_ready, Conn,
    Proc,
};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// Run the binary with `args` (and optional stdin), returning (exit code, stdout, stderr).
fn run(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut child = Command::new(oxidis_bin())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut i = child.stdin.take().unwrap();
        if let Some(s) = stdin {
            i.write_all(s.as_bytes()).unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Start oxidis with a config file as first argument (plus extra argv), cwd = the file's dir.
fn start_with_file(dir: tempfile::TempDir, file: &Path, port: u16, extra: &[&str]) -> Proc {
    let mut cmd = Command::new(oxidis_bin());
    cmd.arg(file).args(extra);
    spawn_ready(cmd, dir, port)
}

/// Parse a RESP2 flat array of bulk strings (a CONFIG GET reply) into pairs.
fn pairs(raw: &[u8]) -> Vec<(String, String)> {
    let s = String::from_utf8_lossy(raw);
    let mut lines = s.split("\r\n");
    let head = lines.next().unwrap();
    assert!(head.starts_with('*'), "not an array: {s}");
    let n: usize = head[1..].parse().unwrap();
    let mut items = Vec::new();
    for _ in 0..n {
        let len = lines.next().unwrap();
        assert!(len.starts_with('$'), "not a bulk: {len}");
        items.push(lines.next().unwrap().to_string());
    }
    items
        .chunks(2)
        .map(|c| (c[0].clone(), c[1].clone()))
        .collect()
}

fn config_get(c: &mut Conn, pat: &str) -> BTreeMap<String, String> {
    pairs(&c.cmd(&["CONFIG", "GET", pat])).into_iter().collect()
}

fn have_debian_conf() -> bool {
    let ok = Path::new("/etc/redis/redis.conf").exists();
    if !ok && std::env::var_os("CI").is_some() {
        panic!("/etc/redis/redis.conf is required in CI");
    }
    ok
}

#[test]
fn version_and_help() {
    let (code, out, _) = run(&["--version"], None);
    assert_eq!(code, 0);
    assert!(out.starts_with("oxidis v=0.1.0"), "{out}");
    assert!(out.contains("Redis 7.0.15 compatible"), "{out}");
    let (code, out, _) = run(&["-v"], None);
    assert_eq!(code, 0);
    assert!(out.contains("oxidis v="));
    // redis-server prints its usage to stderr and exits 1.
    let (code, _, err) = run(&["--help"], None);
    assert_eq!(code, 1);
    assert!(err.contains("Usage: oxidis"), "{err}");
}

#[test]
fn test_config_accepts_debian_conf() {
    if !have_debian_conf() {
        return;
    }
    let (code, out, err) = run(&["--test-config", "/etc/redis/redis.conf"], None);
    assert_eq!(code, 0, "stdout: {out}\nstderr: {err}");
    assert!(out.contains("Configuration OK"), "{out}");
}

#[test]
fn unknown_directive_reports_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("x.conf");
    std::fs::write(&f, "# comment\nport 7000\nfoo bar\n").unwrap();
    let fs = f.to_str().unwrap();
    let (code, _, err) = run(&["--test-config", fs], None);
    assert_eq!(code, 1);
    assert!(
        err.contains(&format!(
            "{fs}:3: 'foo bar': Bad directive or wrong number of arguments"
        )),
        "{err}"
    );
    assert!(
        err.contains("*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***"),
        "{err}"
    );
    assert!(
        err.contains("Reading the configuration file, at line 3\n>>> 'foo bar'\n"),
        "{err}"
    );
    // Starting the server with it fails the same way.
    let (code, _, err) = run(&[fs, "--port", &free_port().to_string()], None);
    assert_eq!(code, 1);
    assert!(err.contains(&format!("{fs}:3:")), "{err}");
}

#[test]
fn test_config_validates_values() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("timeout abc", "argument couldn't be parsed into an integer"),
        (
            "port 70000",
            "argument must be between 0 and 65535 inclusive",
        ),
        (
            "maxmemory-policy foo",
            "argument(s) must be one of the following: volatile-lru",
        ),
        ("appendonly maybe", "argument must be 'yes' or 'no'"),
        ("save 10", "Invalid save parameters"),
        ("maxmemory 1zb", "argument must be a memory value"),
        (
            "requirepass \"unbalanced",
            "Unbalanced quotes in configuration line",
        ),
        (
            "client-output-buffer-limit master 1 1 1",
            "Invalid client class",
        ),
        ("dir /nonexistent/oxidis-dir", "No such file or directory"),
        ("replicaof 127.0.0.1 abc", "Invalid master port"),
        (
            "include /nonexistent/oxidis-inc.conf",
            "Fatal error, can't open config file",
        ),
    ];
    for (i, (line, msg)) in cases.iter().enumerate() {
        let f = dir.path().join(format!("c{i}.conf"));
        std::fs::write(&f, format!("hz 10\n{line}\n")).unwrap();
        let (code, out, err) = run(&["--test-config", f.to_str().unwrap()], None);
        assert_eq!(code, 1, "{line}: {out}");
        let want = format!("{}:2: '{line}': {msg}", f.display());
        assert!(err.contains(&want), "{line}: want {want:?} in {err}");
    }
}

#[test]
fn include_loop_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.conf");
    let b = dir.path().join("b.conf");
    std::fs::write(&a, format!("include {}\n", b.display())).unwrap();
    std::fs::write(&b, format!("hz 20\ninclude {}\n", a.display())).unwrap();
    let (code, _, err) = run(&["--test-config", a.to_str().unwrap()], None);
    assert_eq!(code, 1);
    assert!(err.contains(&format!("{}:2:", b.display())), "{err}");
    assert!(err.contains("Include loop"), "{err}");
}

#[test]
fn config_from_stdin() {
    let (code, out, err) = run(&["--test-config", "-"], Some("port 7005\nhz 12\n"));
    assert_eq!(code, 0, "{out} {err}");
    let (code, _, err) = run(&["--test-config", "-"], Some("hz 12\nport abc\n"));
    assert_eq!(code, 1);
    assert!(err.contains("<stdin>:2: 'port abc':"), "{err}");

    // A server really reads its config from stdin.
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(oxidis_bin())
        .args(["-"])
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("port {port}\nsave \"\"\nhz 17\n").as_bytes())
        .unwrap();
    let p = Proc { child, port, dir };
    assert!(wait_ready(port), "{}", p.logs());
    let mut c = p.conn();
    assert_eq!(config_get(&mut c, "hz")["hz"], "17");
}

#[test]
fn command_line_overrides_file() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let f = dir.path().join("o.conf");
    let inc = dir.path().join("inc.conf");
    std::fs::write(&inc, "maxmemory 2mb\n").unwrap();
    std::fs::write(
        &f,
        format!(
            "# test\nport {port}\nhz 20\ntimeout 5\nsave 900 1\nsave 300 10\nbind 10.1.1.1\nbind 127.0.0.1\ninclude {}\nrequirepass \"p w\"\n",
            inc.display()
        ),
    )
    .unwrap();
    let p = start_with_file(dir, &f, port, &["--hz", "30", "--requirepass", ""]);
    let mut c = p.conn();
    let all = config_get(&mut c, "*");
    assert_eq!(all["hz"], "30");
    assert_eq!(all["timeout"], "5");
    assert_eq!(all["save"], "900 1 300 10");
    assert_eq!(all["bind"], "127.0.0.1");
    assert_eq!(all["maxmemory"], "2097152");
    assert_eq!(all["requirepass"], "");
}

#[test]
fn config_get_names_and_values_match_redis() {
    if !have_redis() {
        return;
    }
    let ox = start_oxidis(&["--bind", "127.0.0.1", "--appendonly", "no"]);
    let rd = start_redis(&[]);
    let a = config_get(&mut ox.conn(), "*");
    let b = config_get(&mut rd.conn(), "*");
    let an: Vec<&String> = a.keys().collect();
    let bn: Vec<&String> = b.keys().collect();
    assert_eq!(an, bn, "CONFIG GET * names differ");
    for (k, v) in &b {
        if ["port", "dir"].contains(&k.as_str()) {
            continue;
        }
        assert_eq!(&a[k], v, "value of {k}");
    }
    // Patterns, several at once, aliases and hidden directives.
    for pats in [
        vec!["*max-*-entries*"],
        vec!["slave*", "repl*"],
        vec!["PORT"],
        vec!["key-load-delay"],
        vec!["maxmemory", "maxmemory"],
        vec!["nosuchthing"],
    ] {
        let mut args = vec!["CONFIG", "GET"];
        args.extend(pats.iter());
        let x: BTreeMap<_, _> = pairs(&ox.conn().cmd(&args)).into_iter().collect();
        let y: BTreeMap<_, _> = pairs(&rd.conn().cmd(&args)).into_iter().collect();
        let (xk, yk): (Vec<_>, Vec<_>) = (x.keys().collect(), y.keys().collect());
        assert_eq!(xk, yk, "{pats:?}");
    }
}

#[test]
fn config_set_errors_match_redis() {
    let ox = start_oxidis(&[]);
    let mut c = ox.conn();
    let cases: &[(&[&str], &str)] = &[
        (&["CONFIG", "SET", "foo", "bar"], "-ERR Unknown option or number of arguments for CONFIG SET - 'foo'\r\n"),
        (&["CONFIG", "SET", "timeout", "abc"], "-ERR CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't be parsed into an integer\r\n"),
        (&["CONFIG", "SET", "timeout", "1", "timeout", "2"], "-ERR CONFIG SET failed (possibly related to argument 'timeout') - duplicate parameter\r\n"),
        (&["CONFIG", "SET", "timeout"], "-ERR wrong number of arguments for 'config|set' command\r\n"),
        (&["CONFIG", "SET", "timeout", "1", "hz"], "-ERR syntax error\r\n"),
        (&["CONFIG", "SET", "databases", "3"], "-ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config\r\n"),
        (&["CONFIG", "SET", "loglevel", "loud"], "-ERR CONFIG SET failed (possibly related to argument 'loglevel') - argument(s) must be one of the following: debug, verbose, notice, warning\r\n"),
        (&["CONFIG", "SET", "save", "10"], "-ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters\r\n"),
        (&["CONFIG", "SET", "dir", "/tmp"], "-ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config\r\n"),
        (&["CONFIG", "REWRITE"], "-ERR The server is running without a config file\r\n"),
        (&["CONFIG", "FOO"], "-ERR unknown subcommand 'FOO'. Try CONFIG HELP.\r\n"),
        (&["CONFIG"], "-ERR wrong number of arguments for 'config' command\r\n"),
        (&["CONFIG", "GET"], "-ERR wrong number of arguments for 'config|get' command\r\n"),
    ];
    let rd = if have_redis() {
        Some(start_redis(&[]))
    } else {
        None
    };
    for (args, want) in cases {
        assert_eq!(c.s(args), *want, "{args:?}");
        if let Some(r) = &rd {
            assert_eq!(r.conn().s(args), *want, "redis disagrees on {args:?}");
        }
    }
    // All or nothing.
    assert!(c
        .s(&["CONFIG", "SET", "timeout", "9", "hz", "x"])
        .starts_with("-ERR"));
    assert_eq!(config_get(&mut c, "timeout")["timeout"], "0");
    assert_eq!(
        c.s(&["CONFIG", "SET", "timeout", "9", "hz", "1000", "loglevel", "debug"]),
        "+OK\r\n"
    );
    let got = config_get(&mut c, "*");
    assert_eq!((got["timeout"].as_str(), got["hz"].as_str()), ("9", "500"));
    assert_eq!(got["loglevel"], "debug");
    assert_eq!(c.s(&["CONFIG", "RESETSTAT"]), "+OK\r\n");
    let help = c.s(&["CONFIG", "HELP"]);
    assert!(help.starts_with("*11\r\n+CONFIG <subcommand>"), "{help}");
}

#[test]
fn config_set_requirepass_is_live() {
    let ox = start_oxidis(&[]);
    let mut c = ox.conn();
    assert_eq!(c.s(&["CONFIG", "SET", "requirepass", "s3cret"]), "+OK\r\n");
    let mut c2 = ox.conn();
    assert!(c2.s(&["GET", "x"]).starts_with("-NOAUTH"));
    assert_eq!(c2.s(&["AUTH", "s3cret"]), "+OK\r\n");
}

#[test]
fn config_rewrite_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let f = dir.path().join("rw.conf");
    let original = format!(
        "# Top comment, kept\nport {port}\n\n# about save\nsave 900 1\nsave 300 10\nslave-read-only yes\nmaxmemory 64mb\nrename-command FLUSHALL \"\"\n# tail comment\n"
    );
    std::fs::write(&f, &original).unwrap();
    let path = f.clone();
    let p = start_with_file(dir, &f, port, &[]);
    let mut c = p.conn();
    assert_eq!(
        c.s(&[
            "CONFIG",
            "SET",
            "hz",
            "33",
            "save",
            "100 5",
            "slave-read-only",
            "no",
            "maxmemory-policy",
            "allkeys-lru",
            "masterauth",
            "a b"
        ]),
        "+OK\r\n"
    );
    assert_eq!(c.s(&["CONFIG", "REWRITE"]), "+OK\r\n");
    let text = std::fs::read_to_string(&path).unwrap();
    for want in [
        "# Top comment, kept\n",
        &format!("port {port}\n"),
        "# about save\nsave 100 5\n",
        "replica-read-only no\n",
        "maxmemory 64mb\n",
        "rename-command FLUSHALL \"\"\n",
        "# tail comment\n",
        "# Generated by CONFIG REWRITE\n",
        "hz 33\n",
        "maxmemory-policy allkeys-lru\n",
        "masterauth \"a b\"\n",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
    assert!(!text.contains("save 300 10"), "{text}");
    assert!(!text.contains("save 900 1"), "{text}");
    // No temp file left behind.
    let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty());

    // Restart from the rewritten file: the values survive.
    let mut p = p;
    let _ = p.child.kill();
    let _ = p.child.wait();
    let p2 = start_with_file(tempfile::tempdir().unwrap(), &path, port, &[]);
    let got = config_get(&mut p2.conn(), "*");
    assert_eq!(got["hz"], "33");
    assert_eq!(got["save"], "100 5");
    assert_eq!(got["replica-read-only"], "no");
    assert_eq!(got["maxmemory-policy"], "allkeys-lru");
    assert_eq!(got["masterauth"], "a b");
    // A second rewrite without changes leaves the file as it is.
    assert_eq!(p2.conn().s(&["CONFIG", "REWRITE"]), "+OK\r\n");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
}

#[test]
fn rename_command_from_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let f = dir.path().join("rn.conf");
    std::fs::write(
        &f,
        format!("port {port}\nsave \"\"\nrename-command ECHO myecho\n"),
    )
    .unwrap();
    let p = start_with_file(dir, &f, port, &[]);
    let mut c = p.conn();
    assert_eq!(c.s(&["MYECHO", "hi"]), "$2\r\nhi\r\n");
    assert!(c
        .s(&["ECHO", "hi"])
        .starts_with("-ERR unknown command 'ECHO'"));
}

#[test]
fn config_set_dir_when_protected_configs_enabled() {
    let ox = start_oxidis(&["--enable-protected-configs", "yes"]);
    let target = tempfile::tempdir().unwrap();
    let want = std::fs::canonicalize(target.path()).unwrap();
    let mut c = ox.conn();
    assert_eq!(
        c.s(&[
            "CONFIG",
            "SET",
            "dir",
            target.path().to_str().unwrap(),
            "dbfilename",
            "x.rdb"
        ]),
        "+OK\r\n"
    );
    let got = config_get(&mut c, "d*");
    assert_eq!(got["dir"], want.display().to_string());
    assert_eq!(got["dbfilename"], "x.rdb");
    assert_eq!(
        c.s(&["CONFIG", "SET", "dir", "/nonexistent/oxidis"]),
        "-ERR CONFIG SET failed (possibly related to argument 'dir') - No such file or directory\r\n"
    );
}

#[test]
fn unimplemented_directives_are_named_in_one_startup_warning() {
    let p = start_oxidis(&[
        "--appendonly",
        "yes",
        "--lazyfree-lazy-expire",
        "yes",
        "--timeout",
        "5",
    ]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let mut logs = p.logs();
    while !logs.contains("no effect yet") && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
        logs = p.logs();
    }
    let lines: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("no effect yet"))
        .collect();
    assert_eq!(lines.len(), 1, "{logs}");
    assert!(
        lines[0].ends_with(": appendonly, lazyfree-lazy-expire"),
        "{logs}"
    );
}

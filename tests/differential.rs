//! Differential test: run the command scripts in tests/scripts/*.txt against oxidis and a real
//! `redis-server` (both started here on free loopback ports) and compare every reply byte for
//! byte. All mismatches are collected and listed at the end, so one run shows everything to fix.
//! A second test runs the same scripts against two real servers, proving the scripts themselves
//! are deterministic. Set `DIFF_SCRIPT=name` to run only scripts whose file name contains `name`,
//! `DIFF_TRACE=1` to print every command with both replies, and `DIFF_SHOW_ALL=1` to list every
//! mismatch instead of a capped selection.
#[path = "differential/canon.rs"]
mod canon;
mod common;
#[path = "differential/script.rs"]
mod script;

use common::*;
use script::{Cmd, Compare, Step};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Options every server is started with.
const SERVER_ARGS: &[&str] = &["--enable-debug-command", "yes"];
/// How long one reply may take before the side is declared stuck.
const REPLY_TIMEOUT: Duration = Duration::from_secs(3);
/// A script is abandoned after this many I/O errors (timeouts, closed connections).
const MAX_IO_ERRORS: usize = 5;
/// Overall budget: scripts not started by then are reported as skipped.
const TIME_BUDGET: Duration = Duration::from_secs(180);
/// How many mismatches the failure message lists in full.
const SHOW_MAX: usize = 120;

/// One server under test and the connection the current script uses.
struct Side {
    name: &'static str,
    port: u16,
    conn: Option<Conn>,
    io_errors: usize,
}

impl Side {
    fn new(name: &'static str, port: u16) -> Side {
        Side {
            name,
            port,
            conn: None,
            io_errors: 0,
        }
    }

    fn reconnect(&mut self) -> Result<(), String> {
        self.conn = None;
        let s = TcpStream::connect(("127.0.0.1", self.port))
            .map_err(|e| format!("<{} unreachable: {e}>", self.name))?;
        let c = Conn::from_stream(s);
        c.w.set_read_timeout(Some(REPLY_TIMEOUT))
            .map_err(|e| e.to_string())?;
        self.conn = Some(c);
        Ok(())
    }

    fn conn(&mut self) -> Result<&mut Conn, String> {
        if self.conn.is_none() {
            self.reconnect()?;
        }
        self.conn.as_mut().ok_or_else(|| "<no connection>".into())
    }

    /// Send `bytes` in one write and read `n` replies. An I/O error becomes the text of the
    /// failed reply (and of every later one) and drops the connection.
    fn exchange(&mut self, bytes: &[u8], n: usize) -> Vec<Vec<u8>> {
        let mut out = Vec::with_capacity(n);
        let res = (|| -> Result<(), String> {
            let c = self.conn()?;
            c.w.write_all(bytes).map_err(|e| format!("<write: {e}>"))?;
            for _ in 0..n {
                out.push(c.try_read_reply().map_err(|e| format!("<read: {e}>"))?);
            }
            Ok(())
        })();
        if let Err(e) = res {
            self.conn = None;
            self.io_errors += 1;
            while out.len() < n {
                out.push(e.clone().into_bytes());
            }
        }
        out
    }

    /// Send `bytes`, then read until the server closes the connection (bounded).
    fn exchange_until_close(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let res = (|| -> Result<(), String> {
            let c = self.conn()?;
            c.w.write_all(bytes).map_err(|e| format!("<write: {e}>"))?;
            // Bytes the reader already buffered come first.
            out.extend_from_slice(c.r.buffer());
            let deadline = Instant::now() + REPLY_TIMEOUT;
            let mut buf = [0u8; 4096];
            loop {
                if Instant::now() > deadline {
                    return Err("<connection not closed>".into());
                }
                match c.w.read(&mut buf) {
                    Ok(0) => return Ok(()),
                    Ok(k) => out.extend_from_slice(&buf[..k]),
                    Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return Ok(()),
                    Err(e) => return Err(format!("<read: {e}>")),
                }
            }
        })();
        self.conn = None;
        if let Err(e) = res {
            self.io_errors += 1;
            out.extend_from_slice(e.as_bytes());
        }
        out
    }
}

struct Mismatch {
    script: String,
    line: usize,
    what: String,
    a: Vec<u8>,
    b: Vec<u8>,
}

fn show_cmd(args: &[Vec<u8>]) -> String {
    let v: Vec<String> = args.iter().map(|a| canon::escape_capped(a, 60)).collect();
    v.join(" ")
}

fn same(a: &[u8], b: &[u8], cmp: &Compare) -> bool {
    if let Some((lo, hi)) = cmp.between {
        let ok = |r: &[u8]| canon::as_int(r).is_some_and(|v| (lo..=hi).contains(&v));
        return ok(a) && ok(b);
    }
    canon::canonical(a, cmp) == canon::canonical(b, cmp)
}

/// With `DIFF_TRACE` set, print every command and both replies (to read a transcript).
fn trace(name: &str, line: usize, args: &[Vec<u8>], ra: &[u8], rb: &[u8]) {
    if std::env::var_os("DIFF_TRACE").is_some() {
        let rb = if ra == rb {
            "same".to_string()
        } else {
            canon::escape(rb)
        };
        eprintln!(
            "{name}:{line}: {} -> {} | {rb}",
            show_cmd(args),
            canon::escape(ra)
        );
    }
}

fn encode(c: &Cmd) -> Vec<u8> {
    let args: Vec<&[u8]> = c.args.iter().map(|a| a.as_slice()).collect();
    encode_cmd(&args)
}

fn scripts_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/scripts")
}

/// Every script file as (name, text), sorted by name, filtered by `DIFF_SCRIPT` when set.
fn scripts() -> Vec<(String, String)> {
    let filter = std::env::var("DIFF_SCRIPT").unwrap_or_default();
    let mut v: Vec<(String, String)> = std::fs::read_dir(scripts_dir())
        .expect("tests/scripts")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            (name, std::fs::read_to_string(&p).expect("read script"))
        })
        .filter(|(n, _)| n.contains(&filter))
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no scripts matched DIFF_SCRIPT={filter:?}");
    v
}

/// Run one script's steps on both sides in lockstep, appending mismatches. Returns the
/// number of commands compared.
fn run_steps(
    name: &str,
    lines: &[script::Line],
    a: &mut Side,
    b: &mut Side,
    out: &mut Vec<Mismatch>,
) -> usize {
    let mut count = 0;
    let mut push = |line: usize, what: String, ra: Vec<u8>, rb: Vec<u8>| {
        out.push(Mismatch {
            script: name.to_string(),
            line,
            what,
            a: ra,
            b: rb,
        })
    };
    // A fresh connection and an empty keyspace for every script.
    for s in [&mut *a, &mut *b] {
        s.io_errors = 0;
        let _ = s.reconnect();
        s.exchange(&encode_cmd(&[b"FLUSHALL"]), 1);
    }
    for l in lines {
        if a.io_errors + b.io_errors >= MAX_IO_ERRORS {
            let msg = b"<script abandoned after repeated I/O errors>".to_vec();
            push(l.no, "(rest of script)".into(), msg.clone(), msg);
            break;
        }
        match &l.step {
            Step::One(c) => {
                count += 1;
                let bytes = encode(c);
                let ra = a.exchange(&bytes, 1).remove(0);
                let rb = b.exchange(&bytes, 1).remove(0);
                trace(name, l.no, &c.args, &ra, &rb);
                if !same(&ra, &rb, &c.cmp) {
                    push(l.no, show_cmd(&c.args), ra, rb);
                }
            }
            Step::Pipeline(cmds) => {
                count += cmds.len();
                let bytes: Vec<u8> = cmds.iter().flat_map(encode).collect();
                let ra = a.exchange(&bytes, cmds.len());
                let rb = b.exchange(&bytes, cmds.len());
                for (i, c) in cmds.iter().enumerate() {
                    trace(name, l.no, &c.args, &ra[i], &rb[i]);
                    if !same(&ra[i], &rb[i], &c.cmp) {
                        let what = format!("(pipeline #{i}) {}", show_cmd(&c.args));
                        push(l.no, what, ra[i].clone(), rb[i].clone());
                    }
                }
            }
            Step::Raw(n, bytes) => {
                count += 1;
                let ra = a.exchange(bytes, *n).concat();
                let rb = b.exchange(bytes, *n).concat();
                trace(name, l.no, &[b"raw".to_vec(), bytes.clone()], &ra, &rb);
                if ra != rb {
                    push(l.no, format!("raw {}", canon::escape(bytes)), ra, rb);
                }
            }
            Step::RawClose(bytes) => {
                count += 1;
                let ra = a.exchange_until_close(bytes);
                let rb = b.exchange_until_close(bytes);
                trace(
                    name,
                    l.no,
                    &[b"raw-close".to_vec(), bytes.clone()],
                    &ra,
                    &rb,
                );
                if ra != rb {
                    push(l.no, format!("raw-close {}", canon::escape(bytes)), ra, rb);
                }
            }
            Step::Sleep(ms) => std::thread::sleep(Duration::from_millis(*ms)),
            Step::Reconnect => {
                let ra = a.reconnect().err().unwrap_or_default().into_bytes();
                let rb = b.reconnect().err().unwrap_or_default().into_bytes();
                if ra != rb {
                    push(l.no, "@reconnect".into(), ra, rb);
                }
            }
        }
    }
    a.conn = None;
    b.conn = None;
    count
}

type Starter = fn(&[&str]) -> Proc;

/// Two servers the scripts run against, and how to (re)start them.
struct Pair {
    a: Proc,
    b: Proc,
}

fn start_pair(start_a: Starter, start_b: Starter, extra: &[String]) -> Pair {
    let mut args: Vec<&str> = SERVER_ARGS.to_vec();
    args.extend(extra.iter().map(|s| s.as_str()));
    Pair {
        a: start_a(&args),
        b: start_b(&args),
    }
}

/// Like `start_pair`, but a server that fails to start is an error instead of a panic (a
/// directive oxidis rejects should fail one script, not the whole run).
fn try_start_pair(start_a: Starter, start_b: Starter, extra: &[String]) -> Result<Pair, String> {
    let r = std::panic::catch_unwind(|| start_pair(start_a, start_b, extra));
    r.map_err(|e| {
        e.downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "server failed to start".into())
    })
}

/// If a server of the pair has exited, a description with the end of its logs.
fn exited(p: &mut Proc, name: &str) -> Option<String> {
    match p.child.try_wait() {
        Ok(Some(st)) => {
            let logs = p.logs();
            let tail: String = logs
                .chars()
                .skip(logs.chars().count().saturating_sub(2000))
                .collect();
            Some(format!("<{name} exited ({st}); end of its logs:\n{tail}>"))
        }
        _ => None,
    }
}

/// Run every script on servers from `start_a` and `start_b`; panic listing all mismatches.
fn differential(start_a: Starter, name_a: &'static str, start_b: Starter, name_b: &'static str) {
    let began = Instant::now();
    let mut shared: Option<Pair> = None;
    let mut mismatches = Vec::new();
    let mut total = 0;
    let mut per_script = Vec::new();
    for (name, text) in scripts() {
        let before = mismatches.len();
        if began.elapsed() > TIME_BUDGET {
            let msg = b"<skipped: time budget exhausted>".to_vec();
            mismatches.push(Mismatch {
                script: name.clone(),
                line: 0,
                what: "(whole script)".into(),
                a: msg.clone(),
                b: msg,
            });
            per_script.push(format!("{name}: skipped"));
            continue;
        }
        let parsed = script::parse(&name, &text).unwrap_or_else(|e| panic!("{e}"));
        // Scripts with `@server` get servers of their own; the others share one pair.
        let mut own = None;
        if let Some(extra) = &parsed.server_args {
            match try_start_pair(start_a, start_b, extra) {
                Ok(p) => own = Some(p),
                Err(e) => {
                    mismatches.push(Mismatch {
                        script: name.clone(),
                        line: 0,
                        what: format!("(could not start servers with {extra:?})"),
                        a: e.into_bytes(),
                        b: Vec::new(),
                    });
                    per_script.push(format!("{name}: not run"));
                    continue;
                }
            }
        }
        let pair = match own.as_mut() {
            Some(p) => p,
            None => shared.get_or_insert_with(|| start_pair(start_a, start_b, &[])),
        };
        let mut a = Side::new(name_a, pair.a.port);
        let mut b = Side::new(name_b, pair.b.port);
        total += run_steps(&name, &parsed.lines, &mut a, &mut b, &mut mismatches);
        let died_a = exited(&mut pair.a, name_a);
        let died_b = exited(&mut pair.b, name_b);
        if died_a.is_some() || died_b.is_some() {
            mismatches.push(Mismatch {
                script: name.clone(),
                line: 0,
                what: "(server exited during the script; restarting both)".into(),
                a: died_a.unwrap_or_default().into_bytes(),
                b: died_b.unwrap_or_default().into_bytes(),
            });
            if own.is_none() {
                shared = None;
            }
        }
        per_script.push(format!("{name}: {}", mismatches.len() - before));
    }
    eprintln!(
        "differential {name_a} vs {name_b}: {total} commands, {} mismatches ({})",
        mismatches.len(),
        per_script.join(", ")
    );
    if mismatches.is_empty() {
        return;
    }
    let mut msg = format!(
        "{} of {total} replies differ between {name_a} and {name_b}:\n",
        mismatches.len()
    );
    // Show a few per script first, so a capped list still covers every script.
    let all = std::env::var_os("DIFF_SHOW_ALL").is_some();
    let n_scripts = per_script.len();
    let per = if all || n_scripts == 1 {
        usize::MAX
    } else {
        (SHOW_MAX / n_scripts).max(4)
    };
    let mut shown_in: std::collections::HashMap<&str, usize> = Default::default();
    let mut shown = 0;
    for m in &mismatches {
        let k = shown_in.entry(m.script.as_str()).or_default();
        if *k >= per || (!all && shown >= SHOW_MAX) {
            continue;
        }
        *k += 1;
        shown += 1;
        msg.push_str(&format!(
            "\n{}:{}: {}\n  {name_a:>6}: {}\n  {name_b:>6}: {}\n",
            m.script,
            m.line,
            m.what,
            canon::escape_capped(&m.a, 300),
            canon::escape_capped(&m.b, 300)
        ));
    }
    if mismatches.len() > shown {
        msg.push_str(&format!(
            "\n... and {} more (DIFF_SCRIPT=name shows all of one script, DIFF_SHOW_ALL=1 \
             shows everything)\n",
            mismatches.len() - shown
        ));
    }
    msg.push_str(&format!("\nper script: {}\n", per_script.join(", ")));
    panic!("{msg}");
}

#[test]
fn oxidis_matches_redis() {
    if !have_redis() {
        eprintln!("redis-server not installed; skipping");
        return;
    }
    differential(start_oxidis, "oxidis", start_redis, "redis");
}

/// The scripts must give identical replies on two real servers, or they test nothing.
#[test]
fn scripts_are_deterministic_on_two_redis() {
    if !have_redis() {
        eprintln!("redis-server not installed; skipping");
        return;
    }
    differential(start_redis, "redis1", start_redis, "redis2");
}

#[test]
fn scripts_parse_and_have_hundreds_of_commands() {
    let mut n = 0;
    for (name, text) in scripts() {
        let parsed = script::parse(&name, &text).unwrap_or_else(|e| panic!("{e}"));
        for l in parsed.lines {
            n += match l.step {
                Step::Pipeline(v) => v.len(),
                Step::One(_) | Step::Raw(..) | Step::RawClose(_) => 1,
                Step::Sleep(_) | Step::Reconnect => 0,
            };
        }
    }
    if std::env::var_os("DIFF_SCRIPT").is_none() {
        assert!(n >= 300, "only {n} commands in tests/scripts");
    }
}

#[test]
fn split_follows_redis_cli_quoting() {
    let v = script::split(br#"SET "a b\x00\xff\r\n" 'it\'s' plain"#).unwrap();
    assert_eq!(
        v,
        vec![
            b"SET".to_vec(),
            b"a b\x00\xff\r\n".to_vec(),
            b"it's".to_vec(),
            b"plain".to_vec()
        ]
    );
    assert_eq!(
        script::split(br#"a\*b "\\""#).unwrap(),
        vec![b"a\\*b".to_vec(), b"\\".to_vec()]
    );
    assert!(script::split(br#"GET "unterminated"#).is_none());
    assert!(script::split(br#"GET "a"b"#).is_none());
}

#[test]
fn script_directives_parse() {
    let s = script::parse(
        "t",
        "@server --databases 4\n# c\n@pipeline\n@repeat 3 SET k{i} v\nGET k\n@end\n@unordered KEYS *\n@raw 2 \"PING\\r\\nPING\\r\\n\"\n",
    )
    .unwrap();
    assert_eq!(
        s.server_args,
        Some(vec!["--databases".to_string(), "4".to_string()])
    );
    assert_eq!(s.lines.len(), 3);
    match &s.lines[0].step {
        Step::Pipeline(v) => {
            assert_eq!(v.len(), 4);
            assert_eq!(v[2].args[1], b"k2");
        }
        other => panic!("{other:?}"),
    }
    match &s.lines[1].step {
        Step::One(c) => assert!(c.cmp.unordered),
        other => panic!("{other:?}"),
    }
    assert!(script::parse("t", "PING\n@server --port 1\n").is_err());
    assert!(script::parse("t", "@pipeline\nPING\n").is_err());
    assert!(script::parse("t", "@bogus PING\n").is_err());
}

#[test]
fn canonical_forms() {
    let unordered = Compare {
        unordered: true,
        ..Compare::default()
    };
    // SCAN: the cursor stays first, the key list is sorted.
    let scan = b"*2\r\n$1\r\n0\r\n*2\r\n$1\r\nb\r\n$1\r\na\r\n";
    assert_eq!(
        canon::canonical(scan, &unordered),
        b"*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n"
    );
    let noint = Compare {
        noint: true,
        ..Compare::default()
    };
    assert_eq!(
        canon::canonical(b"%1\r\n+id\r\n:7\r\n", &noint),
        b"%1\r\n+id\r\n:?\r\n"
    );
    let shape = Compare {
        shape: true,
        ..Compare::default()
    };
    assert_ne!(
        canon::canonical(b"*1\r\n$1\r\nx\r\n", &shape),
        canon::canonical(b"*2\r\n$1\r\nx\r\n$1\r\ny\r\n", &shape)
    );
    let between = Compare {
        between: Some((1, 5)),
        ..Compare::default()
    };
    assert!(same(b":3\r\n", b":5\r\n", &between));
    assert!(!same(b":3\r\n", b":6\r\n", &between));
    assert!(!same(b"+3\r\n", b":3\r\n", &between));
}

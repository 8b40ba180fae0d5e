//! Bad input never takes the server down: a seeded generator sends every command oxidis lists
//! in COMMAND LIST with random arguments (numbers at the edges of i64, floats, keywords the
//! commands take, binary junk, empty strings), then raw protocol garbage. Every command must get
//! a reply and the server must still answer PING afterwards. Prints the seed on failure.
//! (It found an inline request with a NUL byte that looped forever in the argument splitter.)
mod common;
use common::*;

const WORDS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "10",
    "100",
    "-100",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "1.5",
    "-0.0",
    "inf",
    "-inf",
    "nan",
    "1e308",
    "1e400",
    "0x10",
    "",
    " ",
    "k",
    "k2",
    "key:{1}",
    "*",
    "?",
    "[a-",
    "\\",
    "EX",
    "PX",
    "EXAT",
    "PXAT",
    "NX",
    "XX",
    "GT",
    "LT",
    "KEEPTTL",
    "GET",
    "MATCH",
    "COUNT",
    "TYPE",
    "REPLACE",
    "DB",
    "ID",
    "ADDR",
    "LADDR",
    "USER",
    "SKIPME",
    "yes",
    "no",
    "ON",
    "OFF",
    "SKIP",
    "WRITE",
    "ALL",
    "ASYNC",
    "SYNC",
    "WITHSCORES",
    "LIMIT",
    "string",
    "default",
    "maxmemory",
    "hz",
    "loglevel",
];

/// Commands that would end the test's own connection or the server, or stall it on purpose;
/// CONFIG too, because random limits (a huge proto-max-bulk-len, then SETRANGE at gigabyte
/// offsets) make the server legitimately use all memory. Config input is tested in config.rs.
const SKIP: &[&str] = &[
    "shutdown",
    "quit",
    "debug",
    "client",
    "reset",
    "monitor",
    "sync",
    "psync",
    "config",
    // Blocking commands with a zero timeout would wait forever for a reply.
    "blpop",
    "brpop",
    "brpoplpush",
    "blmove",
    "blmpop",
    "bzpopmin",
    "bzpopmax",
    "bzmpop",
];

fn random_arg(r: &mut Rng) -> Vec<u8> {
    match r.below(4) {
        0 => {
            let n = r.below(12);
            (0..n).map(|_| r.next() as u8).collect()
        }
        1 => (r.next() as i64).to_string().into_bytes(),
        _ => WORDS[r.below(WORDS.len())].as_bytes().to_vec(),
    }
}

fn command_names(c: &mut Conn) -> Vec<String> {
    let raw = String::from_utf8_lossy(&c.cmd(&["COMMAND", "LIST"])).to_string();
    raw.split("\r\n")
        .filter(|l| !l.is_empty() && !l.starts_with('*') && !l.starts_with('$'))
        .map(|s| s.to_string())
        .filter(|n| !SKIP.contains(&n.split('|').next().unwrap_or("")))
        .collect()
}

#[test]
fn random_commands_and_garbage_never_kill_the_server() {
    let seed = std::env::var("ROBUST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| std::process::id() as u64 * 2654435761 + 1);
    println!("robustness seed {seed} (rerun with ROBUST_SEED={seed})");
    let mut srv = start_oxidis(&["--databases", "4"]);
    let mut c = srv.conn();
    let names = command_names(&mut c);
    assert!(names.len() > 50, "COMMAND LIST too short: {names:?}");
    // Blocking commands (BLPOP ...) may wait forever on purpose: when one has not answered
    // quickly, a second connection ends its wait with CLIENT UNBLOCK.
    let blocking: Vec<bool> = names
        .iter()
        .map(|n| {
            let info = c.cmd(&["COMMAND", "INFO", n]);
            let flag = b"+blocking\r\n";
            info.windows(flag.len()).any(|w| w == flag)
        })
        .collect();
    let id = String::from_utf8_lossy(&c.cmd(&["CLIENT", "ID"]))
        .trim_start_matches(':')
        .trim()
        .to_string();
    let mut ctl = srv.conn();
    let mut r = Rng(seed | 1);
    for i in 0..20_000 {
        let pick = r.below(names.len());
        let name = &names[pick];
        let mut args: Vec<Vec<u8>> = vec![name.clone().into_bytes()];
        if name.contains('|') {
            // COMMAND LIST names subcommands as "config|get".
            args = name.split('|').map(|s| s.as_bytes().to_vec()).collect();
        }
        for _ in 0..r.below(6) {
            args.push(random_arg(&mut r));
        }
        let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
        let started = std::time::Instant::now();
        c.send(&refs);
        let reply = if blocking[pick] {
            let quick = std::time::Duration::from_millis(300);
            c.w.set_read_timeout(Some(quick)).unwrap();
            let mut reply = c.try_read_reply();
            c.w.set_read_timeout(Some(std::time::Duration::from_secs(10)))
                .unwrap();
            if reply.is_err() {
                ctl.cmd(&["CLIENT", "UNBLOCK", &id]);
                reply = c.try_read_reply();
            }
            reply
        } else {
            c.try_read_reply()
        };
        if started.elapsed() > std::time::Duration::from_millis(200) {
            println!(
                "slow command #{i} ({:?}): {:?}",
                started.elapsed(),
                args.iter()
                    .map(|a| String::from_utf8_lossy(a).to_string())
                    .collect::<Vec<_>>()
            );
        }
        assert!(
            reply.is_ok(),
            "seed {seed}, command #{i} {:?}: no reply ({:?}); server log:\n{}",
            args.iter()
                .map(|a| String::from_utf8_lossy(a).to_string())
                .collect::<Vec<_>>(),
            reply.err(),
            srv.logs()
        );
    }
    // Raw protocol garbage on fresh connections: each may be closed, the server must live.
    let mut last_junk: Vec<u8> = Vec::new();
    for _ in 0..200 {
        let s = match std::net::TcpStream::connect(("127.0.0.1", srv.port)) {
            Ok(s) => s,
            Err(e) => {
                let status = srv.child.try_wait();
                panic!(
                    "seed {seed}: server gone ({e}, status {status:?}) after {:?}; log:\n{}",
                    String::from_utf8_lossy(&last_junk),
                    srv.logs()
                )
            }
        };
        let mut g = Conn::from_stream(s);
        let n = 1 + r.below(64);
        let mut junk: Vec<u8> = (0..n).map(|_| r.next() as u8).collect();
        if r.below(2) == 0 {
            junk.insert(0, b"*$+-:"[r.below(5)]);
        }
        junk.extend_from_slice(b"\r\n");
        g.send_raw(&junk);
        last_junk = junk.clone();
        // Incomplete junk legitimately gets no reply: wait briefly, then move on.
        g.r.get_ref()
            .set_read_timeout(Some(std::time::Duration::from_millis(200)))
            .unwrap();
        let _ = g.try_read_reply();
    }
    let mut fresh = srv.conn();
    assert_eq!(
        fresh.cmd(&["PING"]),
        b"+PONG\r\n",
        "seed {seed}: server stopped answering"
    );
}

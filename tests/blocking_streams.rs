//! Blocking stream reads with real processes and several connections: XREAD BLOCK served by an
//! XADD from another client (`$` resolved when blocking), timeouts, several readers in blocking
//! order, XREADGROUP BLOCK served with `>` (the entry becomes pending), and XGROUP DESTROY
//! answering its blocked readers NOGROUP. Each scenario runs against oxidis and, when it is
//! installed, against a real redis-server; the transcripts of replies must be identical.
mod common;

use common::*;

fn send(port: u16, args: &[&str]) -> Conn {
    let mut c = Conn::connect(port);
    let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
    c.send(&a);
    c
}

fn text(b: Vec<u8>) -> String {
    String::from_utf8_lossy(&b).to_string()
}

fn both(scenario: fn(u16) -> Vec<String>) {
    let ox = start_oxidis(&[]);
    let mine = scenario(ox.port);
    if have_redis() {
        let rs = start_redis(&[]);
        assert_eq!(mine, scenario(rs.port));
    }
}

fn xread_served_in_order(port: u16) -> Vec<String> {
    let mut c = Conn::connect(port);
    let mut out = vec![text(c.cmd(&["XADD", "s", "1-1", "a", "1"]))];
    let mut r1 = send(port, &["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]);
    wait_blocked(&mut c, 1);
    let mut r2 = send(
        port,
        &[
            "XREAD", "COUNT", "5", "BLOCK", "5000", "STREAMS", "other", "s", "0", "$",
        ],
    );
    wait_blocked(&mut c, 2);
    let mut r3 = send(port, &["XREAD", "BLOCK", "30", "STREAMS", "s", "$"]);
    out.push(text(r3.read_reply()));
    out.push(text(c.cmd(&["XADD", "s", "2-1", "b", "2"])));
    out.push(text(r1.read_reply()));
    out.push(text(r2.read_reply()));
    wait_blocked(&mut c, 0);
    out.push(text(c.cmd(&["MULTI"])));
    out.push(text(c.cmd(&["XREAD", "BLOCK", "0", "STREAMS", "s", "$"])));
    out.push(text(c.cmd(&["EXEC"])));
    out
}

#[test]
fn xread_block() {
    both(xread_served_in_order);
}

fn xreadgroup_block(port: u16) -> Vec<String> {
    let mut c = Conn::connect(port);
    let mut out = vec![text(
        c.cmd(&["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]),
    )];
    let mut r1 = send(
        port,
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "alice",
            "BLOCK",
            "0",
            "STREAMS",
            "s",
            ">",
        ],
    );
    wait_blocked(&mut c, 1);
    out.push(text(c.cmd(&["XADD", "s", "5-5", "k", "v"])));
    out.push(text(r1.read_reply()));
    out.push(text(c.cmd(&["XPENDING", "s", "g"])));
    let mut r2 = send(
        port,
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "bob",
            "BLOCK",
            "0",
            "STREAMS",
            "s",
            ">",
        ],
    );
    wait_blocked(&mut c, 1);
    out.push(text(c.cmd(&["XGROUP", "DESTROY", "s", "g"])));
    out.push(text(r2.read_reply()));
    out
}

#[test]
fn xreadgroup_block_and_destroy() {
    both(xreadgroup_block);
}

//! A script running past `busy-reply-threshold`, on oxidis and on a real redis-server side by
//! side: other clients (connected before, and connecting while it runs) get -BUSY, SCRIPT KILL
//! stops a script that has not written and the server goes on serving; a script that wrote is
//! -UNKILLABLE, plain SHUTDOWN is refused and SHUTDOWN NOSAVE stops the server.
mod common;

use common::*;
use std::time::Duration;

const THRESHOLD: &[&str] = &["--busy-reply-threshold", "100"];

/// Wait (bounded) until `c` is answered -BUSY, which says the script is past the threshold.
fn wait_busy(c: &mut Conn) -> String {
    let mut last = String::new();
    for _ in 0..100 {
        last = c.s(&["PING"]);
        if last.starts_with("-BUSY") {
            return last;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("the script never made the server busy: last reply {last}");
}

/// The transcript of a killable script: what the bystanders, the late joiner and the script's
/// caller were answered.
fn killable(p: &Proc) -> Vec<String> {
    let mut caller = p.conn();
    let mut other = p.conn();
    let mut out = Vec::new();
    caller.send(&[b"EVAL", b"local i = 0 while true do i = i + 1 end", b"0"]);
    out.push(wait_busy(&mut other));
    out.push(other.s(&["GET", "x"]));
    // A connection made while the script runs is served (refused) too.
    let mut late = p.conn();
    out.push(late.s(&["SET", "x", "1"]));
    out.push(other.s(&["SCRIPT", "KILL"]));
    out.push(String::from_utf8_lossy(&caller.read_reply()).to_string());
    out.push(other.s(&["PING"]));
    out.push(late.s(&["GET", "x"]));
    out.push(caller.s(&["SCRIPT", "KILL"]));
    out
}

/// The transcript of a script that wrote before looping, ended by SHUTDOWN NOSAVE.
fn unkillable(p: &mut Proc) -> Vec<String> {
    let mut caller = p.conn();
    let mut other = p.conn();
    let mut out = Vec::new();
    caller.send(&[
        b"EVAL",
        b"redis.call('set', 'w', 1) while true do end",
        b"0",
    ]);
    out.push(wait_busy(&mut other));
    out.push(other.s(&["SCRIPT", "KILL"]));
    out.push(other.s(&["SHUTDOWN"]));
    let gone = other.try_cmd(&["SHUTDOWN", "NOSAVE"]).is_err();
    out.push(format!("shutdown nosave closed the connection: {gone}"));
    let code = p.wait_exit(Duration::from_secs(10));
    out.push(format!("exited: {}", code.is_some()));
    out
}

#[test]
fn busy_script_kill_and_shutdown_nosave_as_redis() {
    if !have_redis() {
        return;
    }
    let ox = start_oxidis(THRESHOLD);
    let re = start_redis(THRESHOLD);
    let (o, r) = (killable(&ox), killable(&re));
    assert_eq!(o, r, "oxidis vs redis");
    assert!(
        o[0].starts_with("-BUSY Redis is busy running a script"),
        "{o:?}"
    );
    assert!(
        o[4].starts_with("-ERR Script killed by user with SCRIPT KILL"),
        "{o:?}"
    );
    let (mut ox, mut re) = (ox, re);
    let (o, r) = (unkillable(&mut ox), unkillable(&mut re));
    assert_eq!(o, r, "oxidis vs redis");
    assert!(o[1].starts_with("-UNKILLABLE"), "{o:?}");
    assert_eq!(o.last().map(String::as_str), Some("exited: true"));
}

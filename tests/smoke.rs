//! Smoke test: the binary starts, answers PING/SET/GET, and rejects unknown commands.
mod common;
use common::*;

#[test]
fn ping_set_get() {
    let srv = start_oxidis(&[]);
    let mut c = srv.conn();
    assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
    assert_eq!(c.cmd(&["SET", "k", "v"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["GET", "k"]), b"$1\r\nv\r\n");
    assert_eq!(c.cmd(&["GET", "nokey"]), b"$-1\r\n");
    assert_eq!(
        c.s(&["NOPE", "a"]),
        "-ERR unknown command 'NOPE', with args beginning with: 'a' \r\n"
    );
}

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

/// Clients that send a command and hang up at once are freed (the close is not missed when
/// the data and the FIN arrive together).
#[test]
fn send_and_hang_up_frees_clients() {
    use std::io::Write;
    let srv = start_oxidis(&[]);
    for _ in 0..50 {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", srv.port)).unwrap();
        s.write_all(b"PING\r\nSET k v\r\n").unwrap();
        drop(s);
    }
    let mut c = srv.conn();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut connected = String::new();
    while std::time::Instant::now() < deadline {
        let info = c.s(&["INFO", "clients"]);
        connected = info_field(&info, "connected_clients").unwrap_or_default();
        if connected == "1" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(connected, "1", "clients that hung up were not freed");
    assert_eq!(c.cmd(&["GET", "k"]), b"$1\r\nv\r\n");
}

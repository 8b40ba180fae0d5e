//! A replica never expires keys on its own clock: its clients no longer see a key whose TTL has
//! passed, but the key stays until the master's DEL, and the master's stream still finds it.
//! The second test plays the master by hand so the stream can touch a key that is expired on
//! the replica's clock while (as far as the master knows) it is alive.
mod common;
use common::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

fn dbsize(c: &mut Conn) -> String {
    c.s(&["DBSIZE"])
        .trim_start_matches(':')
        .trim_end()
        .to_string()
}

#[test]
fn replica_hides_expired_keys_until_the_master_deletes_them() {
    let master = start_oxidis(&["--enable-debug-command", "yes"]);
    let replica = start_oxidis(&["--replicaof", "127.0.0.1", &master.port.to_string()]);
    let (mut m, mut r) = (master.conn(), replica.conn());
    assert!(wait_until(10, || info_field(
        &r.s(&["INFO", "replication"]),
        "master_link_status"
    )
    .as_deref()
        == Some("up")));
    m.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    m.cmd(&["SET", "k", "v", "PX", "300"]);
    assert!(wait_until(10, || r.cmd(&["GET", "k"]) == b"$1\r\nv\r\n"));
    assert!(wait_until(10, || r.cmd(&["GET", "k"]) == b"$-1\r\n"));
    assert_eq!(r.cmd(&["EXISTS", "k"]), b":0\r\n");
    // Still held: only the master's DEL removes it.
    assert_eq!(dbsize(&mut r), "1");
    // The master expires it on access and propagates the DEL.
    assert_eq!(m.cmd(&["GET", "k"]), b"$-1\r\n");
    assert!(wait_until(10, || dbsize(&mut r) == "0"));
}

/// Read one RESP command (array of bulk strings) the replica sends.
fn read_command(r: &mut BufReader<TcpStream>) -> Vec<String> {
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    let n: usize = line.trim_start_matches('*').trim().parse().unwrap();
    let mut out = Vec::new();
    for _ in 0..n {
        line.clear();
        r.read_line(&mut line).unwrap();
        let len: usize = line.trim_start_matches('$').trim().parse().unwrap();
        let mut buf = vec![0u8; len + 2];
        r.read_exact(&mut buf).unwrap();
        out.push(String::from_utf8_lossy(&buf[..len]).into_owned());
    }
    out
}

fn resp(args: &[&str]) -> Vec<u8> {
    encode_cmd(&args.iter().map(|a| a.as_bytes()).collect::<Vec<_>>())
}

#[test]
fn master_stream_still_sees_a_key_expired_on_the_replica_clock() {
    // An empty RDB, written by oxidis itself.
    let donor = start_oxidis(&[]);
    donor.conn().cmd(&["SAVE"]);
    let rdb = std::fs::read(donor.path("dump.rdb")).unwrap();

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let replica = start_oxidis(&["--replicaof", "127.0.0.1", &port.to_string()]);
    let (sock, _) = listener.accept().unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut w = sock.try_clone().unwrap();
    let mut rd = BufReader::new(sock);
    // Handshake: answer PING, REPLCONFs, then PSYNC with a full resync.
    loop {
        let cmd = read_command(&mut rd);
        match cmd[0].to_ascii_uppercase().as_str() {
            "PING" => w.write_all(b"+PONG\r\n").unwrap(),
            "REPLCONF" => w.write_all(b"+OK\r\n").unwrap(),
            "PSYNC" | "SYNC" => break,
            other => panic!("unexpected handshake command {other}"),
        }
    }
    let id = "a".repeat(40);
    w.write_all(format!("+FULLRESYNC {id} 0\r\n${}\r\n", rdb.len()).as_bytes())
        .unwrap();
    w.write_all(&rdb).unwrap();
    // k = 10, then an expiry in the past (on any clock), then writes that must find it.
    let mut stream = Vec::new();
    stream.extend(resp(&["SELECT", "0"]));
    stream.extend(resp(&["SET", "k", "10"]));
    stream.extend(resp(&["PEXPIREAT", "k", "1000"]));
    stream.extend(resp(&["INCR", "k"]));
    stream.extend(resp(&["PERSIST", "k"]));
    w.write_all(&stream).unwrap();

    let mut r = replica.conn();
    assert!(
        wait_until(10, || r.cmd(&["GET", "k"]) == b"$2\r\n11\r\n"),
        "replica has {:?}; {}",
        String::from_utf8_lossy(&r.cmd(&["GET", "k"])),
        replica.logs()
    );
    assert_eq!(r.cmd(&["TTL", "k"]), b":-1\r\n");
}

//! The master's side of moving an RDB payload to replicas (see `repl::master::transfer` for
//! the payload state): starting each replica's transfer when the save ends, forwarding the
//! diskless child's pipe to every replica of that transfer at the slowest one's pace, and
//! putting a replica online (its buffered stream after the payload) once it has it all.
use crate::repl::master::transfer::*;
use crate::repl::master::{ReplState, Replica};
use crate::server::Server;
use log::{info, warn};
use std::fs::File;
use std::io::{self, Read};

/// Queue a write for the replica's client.
fn wake(srv: &mut Server, token: usize) {
    if let Some(c) = srv.clients.get_mut(token) {
        if !c.pending_write {
            c.pending_write = true;
            srv.pending_writes.push(token);
        }
    }
}

/// The disk BGSAVE for replication ended: each replica waiting for it starts receiving the
/// file (or is dropped when the save failed).
pub fn disk_done(srv: &mut Server) {
    let path = srv.config.dir.join(&srv.config.dbfilename);
    let ok = srv.persist.last_child_ok;
    let waiting: Vec<usize> = srv
        .master
        .replicas
        .iter()
        .filter(|r| r.state == ReplState::WaitBgsaveEnd && r.bulk.is_none())
        .map(|r| r.token)
        .collect();
    for token in waiting {
        let opened = File::open(&path).and_then(|f| {
            let len = f.metadata()?.len();
            Ok(Bulk::from_file(f, len))
        });
        let (r, c) = match (srv.master.replica_mut(token), srv.clients.get_mut(token)) {
            (Some(r), Some(c)) => (r, c),
            _ => continue,
        };
        match opened {
            Ok(b) if ok => {
                r.bulk = Some(b);
                r.state = ReplState::SendBulk;
            }
            Ok(_) => {
                warn!("SYNC failed. BGSAVE child returned an error");
                c.close_asap = true;
            }
            Err(e) => {
                warn!("SYNC failed. Can't open/stat DB after BGSAVE: {e}");
                c.close_asap = true;
            }
        }
        wake(srv, token);
    }
}

/// Forward what the diskless child wrote to every replica of the transfer, as long as none
/// of them lags behind. Kills the child when no replica is left to receive it.
pub fn pump(srv: &mut Server) {
    let Some(d) = srv.master.diskless.as_mut() else {
        return;
    };
    let in_transfer = |r: &Replica| r.bulk.as_ref().is_some_and(Bulk::is_pipe);
    if !srv.master.replicas.iter().any(in_transfer) {
        if srv.persist.child.as_ref().is_some_and(|c| c.to_pipe) {
            warn!("Diskless rdb transfer, last replica dropped, killing fork child.");
            crate::node::fork::kill_child(srv);
        }
        return;
    }
    let mut chunk = [0u8; CHUNK];
    let mut fed = false;
    while !d.eof {
        let lagging = srv
            .master
            .replicas
            .iter()
            .filter_map(|r| r.bulk.as_ref())
            .any(|b| b.is_pipe() && b.unsent() >= PIPE_HIGH_WATER);
        if lagging {
            break;
        }
        match d.pipe.read(&mut chunk) {
            Ok(0) => d.eof = true,
            Ok(n) => {
                fed = true;
                for r in srv.master.replicas.iter_mut() {
                    if let Some(b) = r.bulk.as_mut().filter(|b| b.is_pipe()) {
                        b.push(&chunk[..n]);
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    if fed {
        let tokens: Vec<usize> = srv
            .master
            .replicas
            .iter()
            .filter(|r| in_transfer(r))
            .map(|r| r.token)
            .collect();
        for t in tokens {
            wake(srv, t);
        }
    }
}

/// Whether the diskless child is gone and its outcome can be acted on: it failed, or it
/// succeeded and the pipe was read to its end.
pub fn diskless_finished(srv: &Server) -> bool {
    srv.persist.child.is_none()
        && (!srv.persist.last_child_ok || srv.master.diskless.as_ref().map_or(true, |d| d.eof))
}

/// The diskless child ended: on success each replica gets the end mark and is then sent the
/// buffered stream; on failure they are dropped (and retry).
pub fn diskless_done(srv: &mut Server) {
    let ok = srv.persist.last_child_ok && srv.master.diskless.as_ref().is_some_and(|d| d.eof);
    let Some(d) = srv.master.diskless.take() else {
        return;
    };
    let tokens: Vec<usize> = srv
        .master
        .replicas
        .iter()
        .filter(|r| r.bulk.as_ref().is_some_and(Bulk::is_pipe))
        .map(|r| r.token)
        .collect();
    for token in tokens {
        let (Some(r), Some(c)) = (srv.master.replica_mut(token), srv.clients.get_mut(token)) else {
            continue;
        };
        if ok {
            if let Some(b) = r.bulk.as_mut() {
                b.push(d.mark.as_bytes());
                b.complete = true;
            }
            r.state = ReplState::SendBulk;
        } else {
            warn!(
                "Diskless rdb transfer to replica {}:{} failed",
                r.ip, r.listening_port
            );
            c.close_asap = true;
        }
        wake(srv, token);
    }
}

/// The whole payload was written to replica `token`: the buffered stream follows it and the
/// replica is online.
pub fn payload_sent(srv: &mut Server, token: usize) {
    let now = srv.now_ms;
    let (Some(r), Some(c)) = (srv.master.replica_mut(token), srv.clients.get_mut(token)) else {
        return;
    };
    let diskless = r.bulk.as_ref().is_some_and(|b| b.file.is_none());
    r.bulk = None;
    r.state = ReplState::Online;
    r.ack_ms = now;
    if diskless {
        info!(
            "Streamed RDB transfer with replica {}:{} succeeded (socket). Waiting for REPLCONF ACK from replica to enable streaming",
            r.ip, r.listening_port
        );
        r.stream_on_ack = true;
        return;
    }
    c.out.extend_from_slice(&r.pending);
    r.pending = Vec::new();
    info!(
        "Synchronization with replica {}:{} succeeded",
        r.ip, r.listening_port
    );
    wake(srv, token);
}

/// The first `REPLCONF ACK` after a diskless payload: the replica loaded it, the stream held
/// meanwhile goes out. `c` is the replica's client (running the command).
pub fn start_stream(srv: &mut Server, c: &mut crate::server::client::Client) {
    let Some(r) = srv.master.replica_mut(c.token) else {
        return;
    };
    r.stream_on_ack = false;
    c.out.extend_from_slice(&r.pending);
    r.pending = Vec::new();
    info!(
        "Synchronization with replica {}:{} succeeded",
        r.ip, r.listening_port
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn file_payload_in_chunks() {
        let mut tmp = tempfile::tempfile().unwrap();
        let data: Vec<u8> = (0..CHUNK * 2 + 5).map(|i| (i % 7) as u8).collect();
        tmp.write_all(&data).unwrap();
        use std::io::Seek;
        tmp.rewind().unwrap();
        let mut b = Bulk::from_file(tmp, data.len() as u64);
        let mut out = Vec::new();
        while !b.done() {
            let n = {
                let s = b.next_chunk().unwrap();
                let n = s.len().min(1000);
                out.extend_from_slice(&s[..n]);
                n
            };
            b.consume(n);
        }
        let mut want = format!("${}\r\n", data.len()).into_bytes();
        want.extend_from_slice(&data);
        assert_eq!(out, want);
    }

    #[test]
    fn pipe_payload_framed_by_mark() {
        let mut b = Bulk::for_pipe("m");
        assert_eq!(b.next_chunk().unwrap(), b"$EOF:m\r\n");
        b.consume(8);
        assert!(b.next_chunk().unwrap().is_empty());
        assert!(!b.done() && b.is_pipe());
        b.push(b"abc");
        assert_eq!(b.next_chunk().unwrap(), b"abc");
        b.consume(3);
        b.push(b"m");
        b.complete = true;
        assert_eq!(b.next_chunk().unwrap(), b"m");
        b.consume(1);
        assert!(b.done());
    }
}

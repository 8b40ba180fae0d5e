//! The master's side of moving an RDB payload to replicas (see `repl::master::transfer` for
//! the payload state, `repl::master::core` for the decisions): telling the core when the save
//! ends, opening the dump file for each replica, reading the diskless child's pipe while the
//! core wants it (the slowest replica sets the pace), and telling it when a payload was
//! written (the replica goes online, its buffered stream after the payload).
use super::master_sync::run_actions;
use crate::repl::master::transfer::*;
use crate::server::Server;
use log::warn;
use std::fs::File;
use std::io::{self, Read};

/// The disk BGSAVE for replication ended: each replica waiting for it starts receiving the
/// file (or is dropped when the save failed).
pub fn disk_done(srv: &mut Server) {
    let ok = srv.role.persist.last_child_ok;
    srv.role.master.disk_snapshot_done(ok);
    run_actions(srv, None);
}

/// `OpenPayload`: the dump file, for one replica (each reads it at its own pace).
pub fn open_payload(srv: &Server) -> Result<Bulk, String> {
    let path = srv.config.dir.join(&srv.config.dbfilename);
    File::open(path)
        .and_then(|f| {
            let len = f.metadata()?.len();
            Ok(Bulk::from_file(f, len))
        })
        .map_err(|e| e.to_string())
}

/// `KillPipeChild`: no replica is left to receive the diskless payload.
pub fn kill_pipe_child(srv: &mut Server) {
    if srv.role.persist.child.as_ref().is_some_and(|c| c.to_pipe) {
        warn!("Diskless rdb transfer, last replica dropped, killing fork child.");
        crate::node::fork::kill_child(srv);
    }
}

/// Forward what the diskless child wrote to every replica of the transfer, as long as none
/// of them lags behind (the core decides). Kills the child when no replica is left.
pub fn pump(srv: &mut Server) {
    if srv.role.master.diskless.is_none() {
        return;
    }
    if srv.role.master.pipe_abandoned() {
        run_actions(srv, None);
        return;
    }
    let mut chunk = [0u8; CHUNK];
    let mut fed = false;
    while !srv.role.master.pipe_paused() {
        let Some(d) = srv.role.master.diskless.as_mut().filter(|d| !d.eof) else {
            break;
        };
        match d.pipe.read(&mut chunk) {
            Ok(0) => d.eof = true,
            Ok(n) => {
                fed = true;
                srv.role.master.pipe_chunk(&chunk[..n]);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    if fed {
        srv.role.master.pipe_fed();
    }
    run_actions(srv, None);
}

/// Whether the diskless child is gone and its outcome can be acted on: it failed, or it
/// succeeded and the pipe was read to its end.
pub fn diskless_finished(srv: &Server) -> bool {
    srv.role.persist.child.is_none()
        && (!srv.role.persist.last_child_ok
            || srv.role.master.diskless.as_ref().map_or(true, |d| d.eof))
}

/// The diskless child ended: on success each replica gets the end mark and is then sent the
/// buffered stream; on failure they are dropped (and retry).
pub fn diskless_done(srv: &mut Server) {
    let ok =
        srv.role.persist.last_child_ok && srv.role.master.diskless.as_ref().is_some_and(|d| d.eof);
    let Some(d) = srv.role.master.diskless.take() else {
        // Nothing to finish (as before: the replicas stay as they are).
        srv.role.master.repl_bgsave = None;
        return;
    };
    srv.role.master.diskless_snapshot_done(ok, &d.mark);
    run_actions(srv, None);
}

/// The whole payload was written to replica `token`: the buffered stream follows it and the
/// replica is online.
pub fn payload_sent(srv: &mut Server, token: usize) {
    let Some(id) = srv.role.master.replica_mut(token).map(|r| r.id()) else {
        return;
    };
    srv.role.master.payload_sent(id, srv.now_ms);
    run_actions(srv, None);
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

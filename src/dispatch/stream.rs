//! The replica applying its master's stream: the bytes run through the master client and
//! `execute`, without replies, while the offset counts every complete command (a whole
//! transaction for MULTI; a `REPLCONF GETACK` included, answered with `REPLCONF ACK <offset>`),
//! and the applied bytes go on unchanged to this node's backlog and sub-replicas.
use crate::repl::replica::{ack_bytes, link_message, LinkMessage};
use crate::server::Server;
use log::warn;

/// Run the stream bytes as the master client. Each command (a whole transaction, for MULTI)
/// counts in the offset once applied, and its exact bytes go on to the backlog and the
/// sub-replicas: a chain passes the stream on unchanged. Returns bytes to send back (ACKs).
pub fn apply_stream(srv: &mut Server, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let Some(r) = srv.role.replica.as_mut() else {
        return out;
    };
    r.read_offset += bytes.len() as i64;
    r.unapplied.extend_from_slice(bytes);
    let Some(mut m) = r.master.take() else {
        return out;
    };
    m.query.extend_from_slice(bytes);
    let max_bulk = srv.config.proto_max_bulk_len;
    loop {
        let start = m.qpos;
        let mut pos = m.qpos;
        let res = m.decoder.next(&m.query, &mut pos, max_bulk, false);
        m.qpos = pos;
        let Some(r) = srv.role.replica.as_mut() else {
            break;
        };
        r.partial += pos - start;
        let mut args = match res {
            Ok(Some(a)) => a,
            Ok(None) => break,
            Err(e) => {
                warn!("Protocol error from MASTER: {}", e.0);
                break;
            }
        };
        let link = link_message(&args);
        if !args.is_empty() && link.is_none() {
            let _ = super::execute(srv, &mut m, &mut args);
            m.out.clear();
            m.opos = 0;
        }
        if m.multi.is_none() {
            applied(srv);
        }
        if let (Some(LinkMessage::GetAck), Some(r)) = (link, srv.role.replica.as_ref()) {
            out.extend(ack_bytes(r.link.offset));
        }
    }
    if m.qpos == m.query.len() {
        m.query.clear();
        m.qpos = 0;
    }
    if let Some(r) = srv.role.replica.as_mut() {
        r.master = Some(m);
    }
    out
}

/// The consumed bytes are applied: count them and pass them on.
fn applied(srv: &mut Server) {
    let Some(r) = srv.role.replica.as_mut() else {
        return;
    };
    let n = std::mem::take(&mut r.partial).min(r.unapplied.len());
    let done: Vec<u8> = r.unapplied.drain(..n).collect();
    r.link.applied(n);
    let offset = r.link.offset;
    crate::node::propagate::feed_stream(srv, &done);
    srv.role.master_repl_offset = offset;
}

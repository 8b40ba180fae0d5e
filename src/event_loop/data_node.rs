//! What the loop does for a data node (`Serve for DataNode`): the replica's connection to its
//! master (`replica_conn`), RDB payloads and the diskless pipe (`repl_bulk`), the supervisor's
//! sync status (`sync_status`), clients blocked on keys or in WAIT, and the cron's persistence,
//! expiry and replication steps (`cron::tick`).
use super::{outbound, repl_bulk, replica_conn, EventLoop, PayloadIo, Serve};
use crate::resp::Reply;
use crate::server::client::{Client, ClientKind};
use crate::server::command::Args;
use crate::server::{DataNode, Server};

/// A data node's own connections.
#[derive(Default)]
pub struct NodeLinks {
    /// The replica's connection to its master (see `replica_conn`).
    pub(super) master_conn: Option<replica_conn::MasterConn>,
    /// Whether the replica link was up at the last status report (see `sync_status`).
    pub(super) link_was_up: bool,
    /// The diskless transfer (by its mark) whose pipe is registered with the poll.
    pub(super) pipe_registered: Option<String>,
}

impl Serve for DataNode {
    type Links = NodeLinks;

    #[inline]
    fn execute(srv: &mut Server, client: &mut Client, args: &mut Args) -> Reply {
        let reply = crate::dispatch::execute(srv, client, args);
        if srv.role.blocking.has_ready() {
            crate::dispatch::wake::serve_ready(srv);
        }
        reply
    }

    /// Scripts past `busy-reply-threshold` serve the other clients through the loop's
    /// registry and listeners (`busy`).
    fn start(el: &mut EventLoop) {
        match super::busy::BusyIo::new(el.poll.registry(), &el.listeners) {
            Ok(b) => el.srv.role.busy_serve = Some(Box::new(b)),
            Err(e) => log::warn!("Slow scripts will not answer other clients meanwhile: {e}"),
        }
    }

    fn wake_at(el: &EventLoop) -> Option<i64> {
        el.srv.role.blocking.next_deadline()
    }

    fn on_event(el: &mut EventLoop, ev: &mio::event::Event) {
        match ev.token() {
            repl_bulk::PIPE_TOKEN => {}
            outbound::WAKE_TOKEN => el.master_resolved(),
            // Not read while the replica loads what the master sent (see replica_conn).
            replica_conn::MASTER_TOKEN if el.srv.role.persist.loading.is_some() => {}
            replica_conn::MASTER_TOKEN => el.replica_io(
                ev.is_readable(),
                ev.is_writable(),
                ev.is_read_closed() || ev.is_error(),
            ),
            _ => {}
        }
    }

    fn step(el: &mut EventLoop, now: i64) {
        crate::server::blocking::expire_due(&mut el.srv, now);
        el.replica_cron(now);
        el.report_sync_status();
        el.pump_diskless();
    }

    fn cron(srv: &mut Server, now: i64) {
        crate::cron::tick(srv, now);
    }

    fn before_flush(srv: &mut Server) {
        crate::node::wait::before_sleep(srv);
    }

    /// A newline from a replica refreshes its last ACK time: a replica loading a big payload
    /// sends one every second (as Redis's processInlineBuffer).
    fn empty_line(srv: &mut Server, client: &Client) {
        if client.kind == ClientKind::Replica {
            let replica = crate::repl::master::core::ReplicaId {
                token: client.token,
                client_id: client.id,
            };
            srv.role.master.newline(replica, srv.now_ms);
        }
    }

    fn take_unblocked(srv: &mut Server) -> Vec<usize> {
        srv.role.blocking.take_unblocked()
    }

    // Inlined: called after every write, it is almost always the `replicas` check alone.
    #[inline]
    fn write_more(el: &mut EventLoop, token: usize) -> Option<PayloadIo> {
        if el.srv.role.master.replicas.is_empty() {
            return None;
        }
        Some(el.write_payload(token))
    }

    fn forget(srv: &mut Server, token: usize, client: &mut Client) {
        srv.role.master.remove(token, client.id);
        crate::server::blocking::forget(srv, client);
        crate::server::multi::forget(srv, client);
    }
}

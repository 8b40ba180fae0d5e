//! WAIT's side in the loop: before it sleeps, ask the replicas for an ACK once if a client
//! started waiting, and answer the waits enough replicas acknowledged.
use super::propagate;
use crate::server::{blocking, Server};

/// Before the loop sleeps: send `REPLCONF GETACK *` if a client started waiting, and answer
/// the waits enough replicas acknowledged.
pub fn before_sleep(srv: &mut Server) {
    blocking::serve_acks(srv);
    if srv.role.blocking.get_ack {
        srv.role.blocking.get_ack = false;
        if propagate::active(srv) && !srv.role.master.replicas.is_empty() {
            let mut getack = Vec::new();
            crate::resp::encode::command_into(&mut getack, &["REPLCONF", "GETACK", "*"]);
            propagate::feed(srv, &getack);
        }
    }
}

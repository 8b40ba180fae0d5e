//! Writing the pending output of an outgoing socket (the replica's link to its master, a
//! sentinel's links to the instances it watches): as much as the kernel takes now, and the
//! socket's WRITABLE interest kept on only while bytes remain. Both kinds of link share it.
use mio::net::TcpStream;
use mio::{Interest, Registry, Token};
use std::io::{self, Write};

/// Write `out` to `stream` until it is empty or the socket would block, drop what was written,
/// and (re)register `token` for WRITABLE exactly while bytes remain (`want_write` tracks the
/// current registration). Returns the bytes written and whether the socket failed.
pub fn write_pending(
    stream: &mut TcpStream,
    out: &mut Vec<u8>,
    want_write: &mut bool,
    registry: &Registry,
    token: Token,
) -> (usize, io::Result<()>) {
    let mut written = 0;
    let mut result = Ok(());
    while written < out.len() {
        match stream.write(&out[written..]) {
            Ok(0) => break,
            Ok(n) => written += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    out.drain(..written);
    let want = !out.is_empty();
    if want != *want_write {
        *want_write = want;
        let interest = if want {
            Interest::READABLE | Interest::WRITABLE
        } else {
            Interest::READABLE
        };
        let _ = registry.reregister(stream, token, interest);
    }
    (written, result)
}

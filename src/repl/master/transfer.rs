//! Moving the RDB payload to replicas without holding it in memory. After a disk BGSAVE each
//! waiting replica gets `$<len>\r\n` and the file, read 16 KB at a time as its socket takes it
//! (as Redis's sendBulkToSlave). With diskless sync a child writes the RDB into a pipe and the
//! parent forwards each chunk to every replica of that transfer, framed as `$EOF:<mark>\r\n` ...
//! `<mark>`; it stops reading the pipe while a replica lags, so the slowest one sets the pace
//! and nothing piles up. Either way the stream buffered meanwhile follows the payload and the
//! replica goes online. The event loop writes the bytes (`Bulk::next_chunk`/`consume`).
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::AsRawFd;

/// Bytes read from the file (or the pipe) per step, as Redis's PROTO_IOBUF_LEN.
pub const CHUNK: usize = 16 * 1024;
/// The pipe is not read while a replica has this much payload not yet written.
pub const PIPE_HIGH_WATER: usize = 256 * 1024;

/// Where a replication BGSAVE writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Disk,
    /// A pipe forwarded to the replicas' sockets (diskless).
    Socket,
}

/// The payload still to be written to one replica.
#[derive(Debug)]
pub struct Bulk {
    buf: Vec<u8>,
    pos: usize,
    /// Disk transfer: the file and how many of its bytes are not yet in `buf`.
    pub file: Option<(File, u64)>,
    /// Nothing will be added after `buf`.
    pub complete: bool,
}

impl Bulk {
    /// `$<len>\r\n` then the `len` bytes of `f`.
    pub fn from_file(f: File, len: u64) -> Bulk {
        Bulk {
            buf: format!("${len}\r\n").into_bytes(),
            pos: 0,
            file: Some((f, len)),
            complete: len == 0,
        }
    }

    /// `$EOF:<mark>\r\n`, then what the pipe delivers, then the mark (diskless).
    pub fn for_pipe(mark: &str) -> Bulk {
        Bulk {
            buf: format!("$EOF:{mark}\r\n").into_bytes(),
            pos: 0,
            file: None,
            complete: false,
        }
    }

    /// The bytes to write next, refilled from the file when drained; empty when nothing is
    /// available now (a diskless transfer waiting for the pipe) or everything was written.
    pub fn next_chunk(&mut self) -> io::Result<&[u8]> {
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
            if let Some((f, left)) = self.file.as_mut() {
                let n = (*left).min(CHUNK as u64) as usize;
                if n > 0 {
                    self.buf.resize(n, 0);
                    f.read_exact(&mut self.buf)?;
                    *left -= n as u64;
                }
                if *left == 0 {
                    self.complete = true;
                }
            }
        }
        Ok(&self.buf[self.pos..])
    }

    /// `n` bytes of `next()` were written.
    pub fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.buf.len());
    }

    /// Everything was written.
    pub fn done(&self) -> bool {
        self.complete && self.pos == self.buf.len()
    }

    /// Whether bytes are ready to write (the socket's writability matters).
    pub fn has_unsent(&self) -> bool {
        self.pos < self.buf.len() || self.file.as_ref().is_some_and(|(_, left)| *left > 0)
    }

    pub fn unsent(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub fn is_pipe(&self) -> bool {
        self.file.is_none() && !self.complete
    }

    pub fn push(&mut self, bytes: &[u8]) {
        if self.pos > 0 && self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        }
        self.buf.extend_from_slice(bytes);
    }
}

/// A diskless transfer: the read end of the child's pipe and the payload's end mark.
#[derive(Debug)]
pub struct Diskless {
    pub pipe: File,
    pub mark: String,
    /// The pipe reached its end (the child closed it).
    pub eof: bool,
}

impl Diskless {
    /// The read end (non-blocking) of the child's pipe.
    pub fn new(pipe: File, mark: String) -> Self {
        Diskless {
            pipe,
            mark,
            eof: false,
        }
    }

    pub fn fd(&self) -> i32 {
        self.pipe.as_raw_fd()
    }
}

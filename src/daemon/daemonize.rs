//! `daemonize yes`: fork, start a new session, point stdio at /dev/null. Unlike Redis, the
//! launching process waits until the daemon reports over a pipe that it listens (exit 0) or
//! that startup failed (exit 1, printing the reason), so scripts can rely on its exit status.
//!
//! Must run before any poller, signal pipe or thread exists: only the forking thread survives.
use nix::fcntl::OFlag;
use nix::unistd::{fork, pipe2, setsid, ForkResult};
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;

/// Status bytes sent from the daemon to the launcher.
const READY: u8 = b'1';
const FAILED: u8 = b'0';

/// Which side of the fork we are on.
pub enum Forked {
    /// The launcher: exit with this code.
    Parent(i32),
    /// The daemon: report startup's outcome through the pipe.
    Child(StartupPipe),
}

/// The daemon's end of the startup pipe. Dropping it unreported counts as a failure.
#[derive(Debug)]
pub struct StartupPipe(Option<OwnedFd>);

impl StartupPipe {
    /// The server is listening: release the launcher with exit code 0.
    pub fn succeeded(mut self) {
        self.send(&[READY]);
    }

    /// Startup failed: the launcher prints `reason` and exits 1.
    pub fn failed(mut self, reason: &str) {
        let mut msg = vec![FAILED];
        msg.extend_from_slice(reason.as_bytes());
        self.send(&msg);
    }

    fn send(&mut self, bytes: &[u8]) {
        if let Some(fd) = self.0.take() {
            let _ = File::from(fd).write_all(bytes);
        }
    }
}

/// Fork into the background.
pub fn daemonize() -> io::Result<Forked> {
    let (rx, tx) = pipe2(OFlag::O_CLOEXEC).map_err(io::Error::from)?;
    // SAFETY: called while the process is single-threaded (before the event loop, signal
    // handling or any thread is set up), so the child may run arbitrary code.
    match unsafe { fork() }.map_err(io::Error::from)? {
        ForkResult::Parent { .. } => {
            drop(tx);
            Ok(Forked::Parent(wait_for_daemon(rx)))
        }
        ForkResult::Child => {
            drop(rx);
            // Only fails if we already lead a process group, which a fresh child never does.
            let _ = setsid();
            detach_stdio()?;
            Ok(Forked::Child(StartupPipe(Some(tx))))
        }
    }
}

/// Block until the daemon reports; returns the launcher's exit code.
fn wait_for_daemon(rx: OwnedFd) -> i32 {
    let mut msg = Vec::new();
    let mut f = File::from(rx);
    let _ = f.read_to_end(&mut msg);
    match msg.split_first() {
        Some((&READY, _)) => 0,
        Some((_, reason)) => {
            eprintln!("{}", String::from_utf8_lossy(reason));
            1
        }
        None => {
            eprintln!("The server process exited before it was ready; see the log file.");
            1
        }
    }
}

/// stdin, stdout and stderr to /dev/null.
fn detach_stdio() -> io::Result<()> {
    let null = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")?;
    nix::unistd::dup2_stdin(&null).map_err(io::Error::from)?;
    nix::unistd::dup2_stdout(&null).map_err(io::Error::from)?;
    nix::unistd::dup2_stderr(&null).map_err(io::Error::from)?;
    Ok(())
}

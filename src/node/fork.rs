//! Background saves: fork a child that writes the dump from its copy-on-write snapshot of the
//! keyspace while the parent keeps serving, and reap it from the cron without blocking.
//!
//! A child writes either the dump file or, for a diskless replication sync, the RDB stream into
//! a pipe the parent forwards to the replicas.
//!
//! The child never returns into the event loop: it resets the signal handlers it inherited
//! (their self-pipe is shared with the parent), closes every inherited descriptor (listeners,
//! clients), writes, and leaves with `_exit`, reporting its copy-on-write size over a pipe.
use crate::persist::fork::{Child, Dest};
use crate::persist::{file, Failed};
use crate::server::Server;
use log::{info, warn};
use nix::sys::signal::{self, SigHandler, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::{fork, ForkResult};
use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd};

/// Fork a child that saves the dataset. Logs and returns `Err` when the fork fails.
pub fn start(srv: &mut Server) -> Result<(), Failed> {
    start_to(srv, Dest::File)
}

/// Fork a child that writes the dataset to `dest`. Logs and returns `Err` when the fork fails.
pub fn start_to(srv: &mut Server, dest: Dest) -> Result<(), Failed> {
    let info = super::persist::save_info(srv);
    let to_pipe = matches!(dest, Dest::Pipe(_));
    if !to_pipe {
        srv.role.persist.dirty_before_bgsave = srv.role.dirty;
        srv.role.persist.lastbgsave_try = crate::util::now_ms() / 1000;
    }
    srv.role.persist.rdb_saves += 1;
    let pipe = nix::unistd::pipe().ok();
    let t0 = std::time::Instant::now();
    // SAFETY: the process is single-threaded, and the child only writes a file and `_exit`s.
    match unsafe { fork() } {
        Ok(ForkResult::Child) => {
            let cow_w = pipe.map(|(_, w)| w);
            child_main(srv, &info, cow_w, dest)
        }
        Ok(ForkResult::Parent { child }) => {
            drop(dest);
            srv.role.persist.latest_fork_usec = t0.elapsed().as_micros() as u64;
            srv.role.persist.total_forks += 1;
            if to_pipe {
                info!("Background RDB transfer started by pid {child}");
            } else {
                info!("Background saving started by pid {child}");
            }
            let cow = pipe.map(|(r, _)| r);
            if let Some(r) = &cow {
                let _ = nix::fcntl::fcntl(
                    r,
                    nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK),
                );
            }
            srv.role.persist.child = Some(Child {
                pid: child,
                start_ms: crate::util::now_ms(),
                keys_total: srv.role.keyspace.dbs.iter().map(|d| d.len() as u64).sum(),
                cow,
                to_pipe,
            });
            Ok(())
        }
        Err(e) => {
            srv.role.persist.lastbgsave_ok = false;
            warn!("Can't save in background: fork: {}", e.desc());
            Err(Failed)
        }
    }
}

/// The child's whole life: save, report, `_exit`. Never returns.
fn child_main(srv: &Server, info: &crate::rdb::SaveInfo, cow_w: Option<OwnedFd>, dest: Dest) -> ! {
    // SAFETY: restoring default dispositions is async-signal-safe and we are single-threaded.
    unsafe {
        let _ = signal::signal(Signal::SIGTERM, SigHandler::SigDfl);
        let _ = signal::signal(Signal::SIGINT, SigHandler::SigDfl);
        let _ = signal::signal(Signal::SIGUSR1, SigHandler::SigDfl);
    }
    let keep = [
        cow_w.as_ref().map(|f| f.as_raw_fd()),
        match &dest {
            Dest::Pipe(p) => Some(p.as_raw_fd()),
            Dest::File => None,
        },
    ];
    close_inherited_fds(&keep);
    crate::daemon::log::set_role('C');
    let cfg = &srv.config;
    let fill = cfg.enc.list_max_listpack_size;
    let to_pipe = matches!(dest, Dest::Pipe(_));
    let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match dest {
        Dest::File => {
            file::save_to_file(&srv.role.keyspace, &cfg.dir, &cfg.dbfilename, info, fill).is_ok()
        }
        Dest::Pipe(p) => {
            crate::rdb::save::save_with(&srv.role.keyspace, std::fs::File::from(p), info, fill)
                .is_ok()
        }
    }))
    .unwrap_or(false);
    if ok {
        if !to_pipe {
            info!("DB saved on disk");
        }
        let cow = private_dirty_bytes();
        let mb = cow / (1024 * 1024);
        info!("Fork CoW for RDB: current {mb} MB, peak {mb} MB, average {mb} MB");
        if let Some(w) = cow_w {
            let _ = nix::unistd::write(&w, &cow.to_le_bytes());
        }
    }
    // SAFETY: `_exit` skips atexit handlers and stdio flushing that belong to the parent.
    unsafe { nix::libc::_exit(if ok { 0 } else { 1 }) }
}

/// Close every descriptor above stderr except those in `keep`, so the child holds no listener
/// or client socket (a restarted server could not bind while an orphaned child held the port).
fn close_inherited_fds(keep: &[Option<i32>]) {
    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else {
        return;
    };
    let fds: Vec<i32> = dir
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse().ok()))
        .filter(|&fd| fd > 2 && !keep.contains(&Some(fd)))
        .collect();
    for fd in fds {
        let _ = nix::unistd::close(fd);
    }
}

/// This process's private dirty memory (what copy-on-write has duplicated), from
/// /proc/self/smaps_rollup; 0 when unavailable.
fn private_dirty_bytes() -> u64 {
    let Ok(s) = std::fs::read_to_string("/proc/self/smaps_rollup") else {
        return 0;
    };
    s.lines()
        .filter_map(|l| l.strip_prefix("Private_Dirty:"))
        .filter_map(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .sum::<u64>()
        * 1024
}

/// From the cron: collect a finished child without blocking and record the outcome, then
/// start a scheduled BGSAVE if one waits.
pub fn reap(srv: &mut Server) {
    let Some(child) = &srv.role.persist.child else {
        return;
    };
    let status = match waitpid(child.pid, Some(WaitPidFlag::WNOHANG)) {
        Ok(WaitStatus::StillAlive) => return,
        Ok(WaitStatus::Exited(_, code)) => Ok(code),
        Ok(WaitStatus::Signaled(_, sig, _)) => Err(sig),
        Ok(_) => return,
        // Someone else reaped it: its outcome is unknown, so count it as a failure.
        Err(_) => Ok(1),
    };
    done(srv, status);
}

/// Record how the child ended: `Ok(exit code)` or `Err(signal)`.
fn done(srv: &mut Server, status: Result<i32, Signal>) {
    let Some(mut child) = srv.role.persist.child.take() else {
        return;
    };
    if child.to_pipe {
        srv.role.persist.last_child_ok = match status {
            Ok(0) => {
                info!("Background RDB transfer terminated with success");
                true
            }
            Ok(_) => {
                warn!("Background transfer error");
                false
            }
            Err(sig) => {
                warn!("Background transfer terminated by signal {}", sig as i32);
                false
            }
        };
        return;
    }
    srv.role.persist.last_child_ok = status == Ok(0);
    let now = crate::util::now_ms();
    srv.role.persist.last_bgsave_time_sec = (now / 1000 - child.start_ms / 1000).max(0);
    match status {
        Ok(0) => {
            info!("Background saving terminated with success");
            srv.role.dirty = srv
                .role
                .dirty
                .saturating_sub(srv.role.persist.dirty_before_bgsave);
            srv.role.persist.lastsave = now / 1000;
            srv.role.persist.lastbgsave_ok = true;
            if let Some(r) = child.cow.take() {
                let mut f = std::fs::File::from(r);
                let mut b = [0u8; 8];
                if f.read_exact(&mut b).is_ok() {
                    srv.role.persist.last_cow_size = u64::from_le_bytes(b);
                }
            }
        }
        Ok(_) => {
            warn!("Background saving error");
            srv.role.persist.lastbgsave_ok = false;
            file::remove_temp(&srv.config.dir, child.pid.as_raw() as u32);
        }
        Err(sig) => {
            warn!("Background saving terminated by signal {}", sig as i32);
            file::remove_temp(&srv.config.dir, child.pid.as_raw() as u32);
            // SIGUSR1 is how the server itself stops a child: not an error.
            if sig != Signal::SIGUSR1 {
                srv.role.persist.lastbgsave_ok = false;
            }
        }
    }
}

/// Stop the running child (shutdown, FLUSHALL) with SIGUSR1, wait for it, remove its file.
pub fn kill_child(srv: &mut Server) {
    let Some(child) = srv.role.persist.child.take() else {
        return;
    };
    srv.role.persist.last_child_ok = false;
    let _ = signal::kill(child.pid, Signal::SIGUSR1);
    let _ = waitpid(child.pid, None);
    file::remove_temp(&srv.config.dir, child.pid.as_raw() as u32);
}

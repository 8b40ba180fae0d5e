//! The pidfile: the server's PID and a newline, written once the server listens and removed on
//! a clean shutdown. Written whenever `pidfile` is set; a daemonized server without one uses
//! Redis's default path. Failing to write it is only a warning.
use log::{info, warn};
use std::io;
use std::path::{Path, PathBuf};

/// Used when `daemonize yes` and no `pidfile` is configured (Redis 7.0's CONFIG_DEFAULT_PID_FILE).
pub const DEFAULT_PIDFILE: &str = "/var/run/redis.pid";

/// The pidfile this process should write, if any.
pub fn path_for(pidfile: &str, daemonized: bool) -> Option<PathBuf> {
    if !pidfile.is_empty() {
        Some(PathBuf::from(pidfile))
    } else if daemonized {
        Some(PathBuf::from(DEFAULT_PIDFILE))
    } else {
        None
    }
}

/// A pidfile this process is responsible for.
#[derive(Debug)]
pub struct PidFile {
    /// Absolute, so a later change of working directory does not matter.
    path: PathBuf,
    written: bool,
}

/// Write `pid` and a newline to `path`.
pub fn write(path: &Path, pid: u32) -> io::Result<()> {
    std::fs::write(path, format!("{pid}\n"))
}

impl PidFile {
    /// Write our PID to `path`, logging (not failing) if that is impossible.
    pub fn create(path: &Path) -> PidFile {
        let path = if path.is_absolute() {
            path.to_path_buf()
        } else {
            std::env::current_dir()
                .map(|d| d.join(path))
                .unwrap_or_else(|_| path.to_path_buf())
        };
        let written = match write(&path, std::process::id()) {
            Ok(()) => true,
            Err(e) => {
                warn!("Failed to write PID file: {}", os_error_text(&e));
                false
            }
        };
        PidFile { path, written }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Remove the file at shutdown (only if we wrote it).
    pub fn remove(self) {
        info!("Removing the pid file.");
        if self.written {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The strerror-style text of an I/O error ("Permission denied"), as Redis logs it.
pub fn os_error_text(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(code) => nix::errno::Errno::from_raw(code).desc().to_string(),
        None => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_path_only_when_daemonized() {
        assert_eq!(path_for("", false), None);
        assert_eq!(path_for("", true), Some(PathBuf::from(DEFAULT_PIDFILE)));
        assert_eq!(
            path_for("/tmp/x.pid", false),
            Some(PathBuf::from("/tmp/x.pid"))
        );
    }

    #[test]
    fn create_and_remove() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.pid");
        let pf = PidFile::create(&p);
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            format!("{}\n", std::process::id())
        );
        pf.remove();
        assert!(!p.exists());
    }

    #[test]
    fn unwritable_is_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("missing-dir").join("s.pid");
        let pf = PidFile::create(&p);
        assert!(!p.exists());
        pf.remove();
    }
}

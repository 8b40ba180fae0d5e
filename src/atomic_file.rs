//! Replacing a file so that a crash at any moment leaves either the old or the new content,
//! never a mix: the data goes to a temp file in the target's directory, is fsynced, renamed
//! over the target, and the directory is fsynced so the rename itself survives a power loss.
//! CONFIG REWRITE, the sentinel's config save and the RDB dump all write through here; they
//! differ only in the temp file's name, whether the old file's permissions carry over and
//! whether a failed directory fsync counts as a failure, and each logs the failed `Step` in
//! its own words.
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The step of a replacement that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Creating the temp file (nothing was written).
    Create,
    /// Writing or fsyncing the temp file (the temp file is removed).
    Write,
    /// Renaming the temp file over the target (the temp file is removed).
    Rename,
    /// Fsyncing the directory after the rename (the target already has the new content).
    SyncDir,
}

/// A failed replacement: the step and its I/O error. The target keeps its old content unless
/// the step is `SyncDir`.
#[derive(Debug)]
pub struct Error {
    pub step: Step,
    pub io: io::Error,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.step, self.io)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.io)
    }
}

impl From<Error> for io::Error {
    fn from(e: Error) -> io::Error {
        e.io
    }
}

/// One atomic replacement of `target` (see the module comment). Build it with `beside` or
/// `in_dir`, then `write` bytes or stream with `write_with`.
#[derive(Debug, Clone)]
pub struct AtomicFile {
    target: PathBuf,
    dir: PathBuf,
    temp: PathBuf,
    keep_permissions: bool,
    best_effort_dir_sync: bool,
}

impl AtomicFile {
    /// Replace `target` through `.<its name>.tmp-<our pid>` in its directory (`.` for a bare
    /// file name).
    pub fn beside(target: &Path) -> AtomicFile {
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
        AtomicFile::in_dir(&dir, &temp, target)
    }

    /// Replace `target` through the temp file `dir/temp_name`; `dir` is the directory fsynced
    /// after the rename, so it must be the target's.
    pub fn in_dir(dir: &Path, temp_name: &Path, target: &Path) -> AtomicFile {
        AtomicFile {
            target: target.to_path_buf(),
            dir: dir.to_path_buf(),
            temp: dir.join(temp_name),
            keep_permissions: false,
            best_effort_dir_sync: false,
        }
    }

    /// Give the new file the permissions of the file it replaces (when there is one).
    pub fn keep_permissions(mut self) -> AtomicFile {
        self.keep_permissions = true;
        self
    }

    /// Do not fail when the directory fsync after the rename fails (the content is in place).
    pub fn best_effort_dir_sync(mut self) -> AtomicFile {
        self.best_effort_dir_sync = true;
        self
    }

    /// The temp file written before the rename.
    pub fn temp_path(&self) -> &Path {
        &self.temp
    }

    /// Replace the target's content with `data`.
    pub fn write(&self, data: &[u8]) -> Result<(), Error> {
        self.write_with(|f| f.write_all(data))
    }

    /// Replace the target's content with what `fill` writes into the temp file; returns what
    /// `fill` returns. An error from `fill` fails the `Write` step.
    pub fn write_with<T>(&self, fill: impl FnOnce(&mut File) -> io::Result<T>) -> Result<T, Error> {
        let fail = |step| move |io| Error { step, io };
        let mut f = File::create(&self.temp).map_err(fail(Step::Create))?;
        let written = fill(&mut f).and_then(|v| f.sync_all().map(|()| v));
        drop(f);
        let value = match written {
            Ok(v) => v,
            Err(e) => {
                let _ = std::fs::remove_file(&self.temp);
                return Err(fail(Step::Write)(e));
            }
        };
        if self.keep_permissions {
            if let Ok(meta) = std::fs::metadata(&self.target) {
                let _ = std::fs::set_permissions(&self.temp, meta.permissions());
            }
        }
        if let Err(e) = std::fs::rename(&self.temp, &self.target) {
            let _ = std::fs::remove_file(&self.temp);
            return Err(fail(Step::Rename)(e));
        }
        match File::open(&self.dir).and_then(|d| d.sync_all()) {
            Err(e) if !self.best_effort_dir_sync => Err(fail(Step::SyncDir)(e)),
            _ => Ok(value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .expect("read_dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn content_lands_and_temp_is_gone() {
        let d = tempfile::tempdir().expect("tempdir");
        let target = d.path().join("a.conf");
        std::fs::write(&target, "old\n").expect("write");
        let af = AtomicFile::beside(&target);
        assert_eq!(af.temp_path().parent(), Some(d.path()));
        af.write(b"new\n").expect("atomic write");
        assert_eq!(std::fs::read(&target).expect("read"), b"new\n");
        assert_eq!(names(d.path()), ["a.conf"]);
        // A file that did not exist yet is created.
        let fresh = d.path().join("b.conf");
        AtomicFile::beside(&fresh).write(b"").expect("atomic write");
        assert_eq!(std::fs::read(&fresh).expect("read"), b"");
        assert_eq!(names(d.path()), ["a.conf", "b.conf"]);
    }

    #[test]
    fn streams_through_a_closure_with_its_own_temp_name() {
        let d = tempfile::tempdir().expect("tempdir");
        let target = d.path().join("dump.rdb");
        let af = AtomicFile::in_dir(d.path(), Path::new("temp-7.rdb"), &target);
        assert_eq!(af.temp_path(), d.path().join("temp-7.rdb"));
        let n = af
            .write_with(|f| {
                assert!(d.path().join("temp-7.rdb").exists());
                f.write_all(b"REDIS")?;
                f.write_all(b"0011")?;
                Ok(9)
            })
            .expect("atomic write");
        assert_eq!(n, 9);
        assert_eq!(std::fs::read(&target).expect("read"), b"REDIS0011");
        assert_eq!(names(d.path()), ["dump.rdb"]);
    }

    #[test]
    fn keeps_permissions_only_when_asked() {
        let d = tempfile::tempdir().expect("tempdir");
        let target = d.path().join("s.conf");
        std::fs::write(&target, "x").expect("write");
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        let mode = |p: &Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
        AtomicFile::beside(&target)
            .keep_permissions()
            .write(b"y")
            .expect("atomic write");
        assert_eq!(mode(&target), 0o600);
        AtomicFile::beside(&target)
            .write(b"z")
            .expect("atomic write");
        assert_ne!(mode(&target), 0o600);
    }

    #[test]
    fn missing_directory_fails_at_create() {
        let d = tempfile::tempdir().expect("tempdir");
        let target = d.path().join("nodir").join("a.conf");
        let e = AtomicFile::beside(&target).write(b"x").unwrap_err();
        assert_eq!(e.step, Step::Create);
        assert_eq!(e.io.kind(), io::ErrorKind::NotFound);
        assert_eq!(names(d.path()), Vec::<String>::new());
    }

    #[test]
    fn failed_write_leaves_old_file_and_no_temp() {
        let d = tempfile::tempdir().expect("tempdir");
        let target = d.path().join("dump.rdb");
        std::fs::write(&target, "old").expect("write");
        let af = AtomicFile::in_dir(d.path(), Path::new("temp-1.rdb"), &target);
        let e = af
            .write_with(|f| {
                f.write_all(b"half")?;
                Err::<(), _>(io::Error::other("disk full"))
            })
            .unwrap_err();
        assert_eq!(e.step, Step::Write);
        assert_eq!(e.io.to_string(), "disk full");
        assert_eq!(std::fs::read(&target).expect("read"), b"old");
        assert_eq!(names(d.path()), ["dump.rdb"]);
    }

    #[test]
    fn failed_rename_leaves_old_target_and_no_temp() {
        // A non-empty directory where the file should go: the rename fails even for root.
        let d = tempfile::tempdir().expect("tempdir");
        let target = d.path().join("busy");
        std::fs::create_dir(&target).expect("mkdir");
        std::fs::write(target.join("inside"), "keep").expect("write");
        let e = AtomicFile::beside(&target).write(b"x").unwrap_err();
        assert_eq!(e.step, Step::Rename);
        assert_eq!(names(d.path()), ["busy"]);
        assert_eq!(std::fs::read(target.join("inside")).expect("read"), b"keep");
    }

    #[test]
    fn bare_name_goes_beside_in_the_current_directory() {
        let af = AtomicFile::beside(Path::new("x.conf"));
        assert_eq!(af.dir, Path::new("."));
        assert_eq!(
            af.temp_path(),
            Path::new(&format!("./.x.conf.tmp-{}", std::process::id()))
        );
    }
}

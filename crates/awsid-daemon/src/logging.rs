//! Logs: tracing to `$XDG_STATE_HOME/awsid/awsidd.log` (see `dirs::log_file`), filtered by
//! `AWSID_LOG` (default `info`). Nothing logged ever carries a variable's value: requests are
//! logged by kind and outcome only.
//!
//! The log file is opened only after its directory passed the checks, and never through a
//! symlink: in the runtime directory (the fallback when neither `XDG_STATE_HOME` nor `HOME` is
//! set, e.g. `/tmp/awsid-$UID`) the runtime directory's own rules apply (a real directory, ours,
//! 0700); in the state directory, `awsid/` must be a real directory of ours that nobody else
//! can write. The file itself is opened with `O_NOFOLLOW` and must be a regular file of ours.
//! Otherwise the daemon logs to stderr and says why.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::sync::Mutex;

use awsid_proto::runtime;
use tracing_subscriber::EnvFilter;

pub fn init() -> std::path::PathBuf {
    let path = awsid_proto::dirs::log_file();
    let filter = EnvFilter::try_from_env("AWSID_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    match open(&path) {
        Ok(file) => {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_ansi(false)
                .with_writer(Mutex::new(file))
                .try_init();
        }
        Err(e) => {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_writer(std::io::stderr)
                .try_init();
            tracing::warn!(error = %e, "not logging to {}", path.display());
        }
    }
    path
}

/// Opens (creating, 0600) the log file after checking its directory (see the module doc).
pub fn open(path: &Path) -> io::Result<File> {
    let dir = path
        .parent()
        .ok_or_else(|| io::Error::other("the log file has no directory"))?;
    if dir == awsid_proto::dirs::runtime_dir() {
        runtime::ensure_dir(dir).map_err(io::Error::other)?;
    } else {
        ensure_private_dir(dir)?;
    }
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        // Never through a symlink; never blocking on a FIFO put in its place.
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() || meta.uid() != runtime::euid() {
        return Err(io::Error::other(format!(
            "{} is not a regular file of ours",
            path.display()
        )));
    }
    Ok(file)
}

/// Creates `dir` (0700, parents too) if missing; refuses a symlink, a directory of another
/// user, or one that group or others can write.
fn ensure_private_dir(dir: &Path) -> io::Result<()> {
    if let Err(e) = std::fs::symlink_metadata(dir) {
        if e.kind() != io::ErrorKind::NotFound {
            return Err(e);
        }
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    let meta = std::fs::symlink_metadata(dir)?;
    let why = if meta.file_type().is_symlink() {
        "it is a symlink"
    } else if !meta.is_dir() {
        "not a directory"
    } else if meta.uid() != runtime::euid() {
        "owned by another user"
    } else if meta.permissions().mode() & 0o022 != 0 {
        "group or others can write to it"
    } else {
        return Ok(());
    };
    Err(io::Error::other(format!(
        "refusing log directory {}: {why}",
        dir.display()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_symlinks_and_shared_directories() {
        let root = std::env::temp_dir().join(format!("awsid-log-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let dir = root.join("state/awsid");
        let log = dir.join("awsidd.log");
        open(&log).unwrap();
        assert_eq!(
            std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
        // The file a symlink in its place points to is never written.
        let victim = root.join("victim");
        std::fs::write(&victim, "mine\n").unwrap();
        std::fs::remove_file(&log).unwrap();
        std::os::unix::fs::symlink(&victim, &log).unwrap();
        assert!(open(&log).is_err());
        // A directory others can write to is refused.
        std::fs::remove_file(&log).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(open(&log).is_err());
        // So is a symlinked directory.
        let other = root.join("other");
        std::fs::create_dir(&other).unwrap();
        std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o700)).unwrap();
        let linked = root.join("linked");
        std::os::unix::fs::symlink(&other, &linked).unwrap();
        assert!(open(&linked.join("awsidd.log")).is_err());
        assert!(!other.join("awsidd.log").exists());
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "mine\n");
        std::fs::remove_dir_all(&root).unwrap();
    }
}

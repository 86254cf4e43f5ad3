//! What makes the runtime directory (where the daemon's socket lives, see [`crate::dirs`])
//! trustworthy, and the shells' stamp files in it.
//!
//! The directory must be a real directory (not a symlink), owned by us, and closed to group and
//! other (0700). Both sides check it: the daemon before it binds, the client before it trusts
//! whatever answers on the socket.

#[cfg(test)]
use std::ffi::OsString;
use std::fmt;
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

// The paths themselves live in [`crate::dirs`]; these names stay for their callers.
pub use crate::dirs::{
    config_file, log_file, runtime_dir, runtime_dir_from, stamp_dir, DIR_VAR, FALLBACK_PREFIX,
    PID_FILE_NAME, SOCKET_NAME, START_LOCK_NAME, XDG_SUBDIR, XDG_VAR,
};

/// Sets the stamp file of shell `pid` to 2 s ago (creating it, 0600, in a 0700 directory).
/// Done *before* a prompt request is answered: any file changed after the answer's inputs were
/// read then looks newer than the stamp to the shell's `-nt` test, even within one timestamp
/// tick (the 2 s cover coarse clocks).
pub fn touch_stamp(pid: u32) -> Option<PathBuf> {
    use std::os::unix::fs::OpenOptionsExt;
    // The runtime directory first (the very first prompt may come before any daemon made it),
    // and only a trustworthy one.
    ensure_dir(&runtime_dir()).ok()?;
    let _ = std::fs::DirBuilder::new().mode(0o700).create(stamp_dir());
    let path = crate::dirs::stamp_file(pid);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&path)
        .ok()?;
    file.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(2))
        .ok()?;
    Some(path)
}

/// The effective uid of this process.
pub fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// Why a runtime directory is refused.
#[derive(Debug)]
pub enum DirError {
    Symlink(PathBuf),
    NotADirectory(PathBuf),
    ForeignOwner { path: PathBuf, owner: u32 },
    OpenToOthers { path: PathBuf, mode: u32 },
    Io { path: PathBuf, err: io::Error },
}

impl fmt::Display for DirError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DirError::Symlink(p) => write!(
                f,
                "refusing runtime directory {}: it is a symlink (remove it or set AWSID_RUNTIME_DIR)",
                p.display()
            ),
            DirError::NotADirectory(p) => {
                write!(f, "refusing runtime directory {}: not a directory", p.display())
            }
            DirError::ForeignOwner { path, owner } => write!(
                f,
                "refusing runtime directory {}: owned by uid {owner}, not by uid {}",
                path.display(),
                euid()
            ),
            DirError::OpenToOthers { path, mode } => write!(
                f,
                "refusing runtime directory {}: mode {:04o} lets group or others in (run `chmod 700 {}`)",
                path.display(),
                mode & 0o7777,
                path.display()
            ),
            DirError::Io { path, err } => {
                write!(f, "runtime directory {}: {err}", path.display())
            }
        }
    }
}

impl std::error::Error for DirError {}

/// Checks an existing directory: not a symlink, a directory, ours, mode without group/other bits.
pub fn check_dir(path: &Path) -> Result<(), DirError> {
    let meta = std::fs::symlink_metadata(path).map_err(|err| DirError::Io {
        path: path.to_owned(),
        err,
    })?;
    if meta.file_type().is_symlink() {
        return Err(DirError::Symlink(path.to_owned()));
    }
    if !meta.is_dir() {
        return Err(DirError::NotADirectory(path.to_owned()));
    }
    if meta.uid() != euid() {
        return Err(DirError::ForeignOwner {
            path: path.to_owned(),
            owner: meta.uid(),
        });
    }
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(DirError::OpenToOthers {
            path: path.to_owned(),
            mode: meta.permissions().mode(),
        });
    }
    Ok(())
}

/// Creates the directory (0700, parents as needed) if it is missing, then checks it.
/// An existing directory is never loosened or re-owned: a bad one is refused.
pub fn ensure_dir(path: &Path) -> Result<(), DirError> {
    match std::fs::symlink_metadata(path) {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if let Some(parent) = path.parent() {
                // Parents (e.g. a missing XDG_RUNTIME_DIR) are created private too.
                let _ = std::fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(parent);
            }
            match std::fs::DirBuilder::new().mode(0o700).create(path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(err) => {
                    return Err(DirError::Io {
                        path: path.to_owned(),
                        err,
                    })
                }
            }
        }
        Err(err) => {
            return Err(DirError::Io {
                path: path.to_owned(),
                err,
            })
        }
    }
    check_dir(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let p = std::env::temp_dir().join(format!("awsid-proto-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        let _ = std::fs::remove_file(&p);
        p
    }

    #[test]
    fn dir_choice_follows_the_documented_order() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| OsString::from(v))
            }
        };
        assert_eq!(
            runtime_dir_from(env(&[
                ("AWSID_RUNTIME_DIR", "/a"),
                ("XDG_RUNTIME_DIR", "/b")
            ])),
            PathBuf::from("/a")
        );
        assert_eq!(
            runtime_dir_from(env(&[("XDG_RUNTIME_DIR", "/b")])),
            PathBuf::from("/b/awsid")
        );
        assert_eq!(
            runtime_dir_from(env(&[("XDG_RUNTIME_DIR", "")])),
            PathBuf::from(format!("/tmp/awsid-{}", euid()))
        );
    }

    #[test]
    fn creates_private_dir_and_refuses_bad_ones() {
        let ok = scratch("ok");
        ensure_dir(&ok.join("nested")).unwrap();
        let mode = std::fs::metadata(ok.join("nested"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);

        let open = scratch("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o755)).unwrap();
        let err = ensure_dir(&open).unwrap_err();
        assert!(matches!(err, DirError::OpenToOthers { .. }), "{err}");
        // Refused, not repaired.
        assert_eq!(
            std::fs::metadata(&open).unwrap().permissions().mode() & 0o777,
            0o755
        );

        let link = scratch("link");
        std::os::unix::fs::symlink(ok.join("nested"), &link).unwrap();
        assert!(matches!(check_dir(&link), Err(DirError::Symlink(_))));

        let file = scratch("file");
        std::fs::write(&file, b"").unwrap();
        assert!(matches!(check_dir(&file), Err(DirError::NotADirectory(_))));

        for p in [&ok, &open] {
            let _ = std::fs::remove_dir_all(p);
        }
        let _ = std::fs::remove_file(&link);
        let _ = std::fs::remove_file(&file);
    }
}

//! The daemon's own executable. When it is removed (`cargo uninstall awsid`) or replaced (an
//! upgrade installs a new one over it), the daemon leaves: a daemon running from a removed file
//! would otherwise answer for ever (an open shell or a tmux status line keeps it busy), and one
//! whose file was replaced would start the new build's resolver with its own protocol. After a
//! replacement the next client starts the new daemon; after a removal there is none to start.
//! Checked with the socket (every few seconds), so it costs no wake-up of its own.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// What happened to the executable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Removed,
    Replaced,
}

/// The path this daemon was started from and the file it runs (device and inode).
#[derive(Debug, Clone)]
pub struct Exe {
    pub path: PathBuf,
    id: (u64, u64),
}

fn id(path: &Path) -> std::io::Result<(u64, u64)> {
    std::fs::metadata(path).map(|m| (m.dev(), m.ino()))
}

impl Exe {
    /// This process's executable, or `None` where that cannot be told reliably (no `/proc`, or
    /// the path names another file already at start-up, as through a mount it cannot see).
    pub fn current() -> Option<Exe> {
        let link = std::fs::read_link("/proc/self/exe").ok()?;
        // The file itself, even when removed: /proc/self/exe opens the running image.
        let running = id(Path::new("/proc/self/exe")).ok()?;
        // Linux names a removed executable `PATH (deleted)`.
        let text = link.to_string_lossy();
        let path = match text.strip_suffix(" (deleted)") {
            Some(p) if id(&link).is_err() => PathBuf::from(p),
            _ => link,
        };
        let exe = Exe { path, id: running };
        match id(&exe.path) {
            Ok(now) if now != exe.id => {
                tracing::info!(path = %exe.path.display(), "the executable's path names another file; not following it");
                None
            }
            _ => Some(exe),
        }
    }

    /// Whether the file at the path is gone or another one now.
    pub fn changed(&self) -> Option<Change> {
        match id(&self.path) {
            Ok(now) if now == self.id => None,
            Ok(_) => Some(Change::Replaced),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(Change::Removed),
            // Unreadable for another reason (a permission change): nothing to conclude.
            Err(_) => None,
        }
    }
}

/// After the executable was removed: what the daemon leaves in its runtime directory (the
/// start-up lock, the shells' stamps), then the directory itself if nothing else is in it.
/// Only names awsid creates are removed, never a whole tree (the directory may be
/// `AWSID_RUNTIME_DIR`, chosen by the user).
pub fn remove_runtime_leftovers(dir: &Path) {
    let stamps = awsid_proto::runtime::stamp_dir();
    if let Ok(entries) = std::fs::read_dir(&stamps) {
        for entry in entries.flatten() {
            if entry
                .file_name()
                .to_str()
                .is_some_and(|n| n.parse::<u32>().is_ok())
            {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    let _ = std::fs::remove_dir(&stamps);
    let _ = std::fs::remove_file(dir.join(awsid_proto::runtime::START_LOCK_NAME));
    let _ = std::fs::remove_dir(dir);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_removed_or_replaced_is_noticed() {
        let dir = std::env::temp_dir().join(format!("awsid-selfexe-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("awsidd");
        std::fs::write(&path, "one").unwrap();
        let exe = Exe {
            id: id(&path).unwrap(),
            path: path.clone(),
        };
        assert_eq!(exe.changed(), None);
        // An upgrade: a new file renamed over the old one.
        let new = dir.join("awsidd.new");
        std::fs::write(&new, "two").unwrap();
        std::fs::rename(&new, &path).unwrap();
        assert_eq!(exe.changed(), Some(Change::Replaced));
        std::fs::remove_file(&path).unwrap();
        assert_eq!(exe.changed(), Some(Change::Removed));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn this_process_is_followed() {
        let exe = Exe::current().expect("/proc/self/exe");
        assert_eq!(exe.changed(), None);
        assert_eq!(exe.path, std::env::current_exe().unwrap());
    }
}

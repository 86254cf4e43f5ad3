//! The AWS files clients name: parsed once per stat identity ([`FileStat`]), and read so that
//! whatever a client names never blocks the daemon.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use awsid_aws::files::{config_view, credentials_view};
use awsid_aws::shared::{Files, Loaded};

use crate::filestat::FileStat;
use crate::fingerprint::is_racy;

/// Parsed AWS files, re-read when their stat identity changes (and always while "racy").
///
/// Whatever a client names, reading never blocks the daemon: a FIFO, a device, a socket or a
/// directory is refused without being opened for reading (the open itself is non-blocking and
/// the opened file is checked again), and a file above [`MAX_FILE_BYTES`] is refused before it
/// is read. A refused file counts as empty here; [`check_file`] words the refusal.
#[derive(Default)]
pub struct FileCache {
    inner: Mutex<HashMap<(PathBuf, bool), (FileStat, Loaded)>>,
}

/// Distinct files remembered; clients naming many different files just cost re-reads.
const MAX_FILES: usize = 64;
/// The largest AWS config or credentials file read (the CLI has no limit; 16 MiB is far
/// beyond any real file with thousands of profiles).
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// Why a named file is not read.
pub fn check_file(path: &Path) -> Result<(), String> {
    match std::fs::metadata(path) {
        Ok(meta) => check_meta(path, &meta),
        Err(_) => Ok(()), // missing: an empty file, as in the CLI
    }
}

fn check_meta(path: &Path, meta: &std::fs::Metadata) -> Result<(), String> {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    let what = if t.is_file() {
        if meta.len() > MAX_FILE_BYTES {
            return Err(format!(
                "awsid: refusing to read {}: {} bytes, more than the {} MiB an AWS config file may have",
                path.display(),
                meta.len(),
                MAX_FILE_BYTES >> 20
            ));
        }
        return Ok(());
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    };
    Err(format!(
        "awsid: refusing to read {}: it is {what}, not a regular file",
        crate::render::sanitize(&path.display().to_string())
    ))
}

/// Reads a regular file of at most [`MAX_FILE_BYTES`] without ever blocking on a FIFO or a
/// device (even one swapped in after the caller's stat).
pub fn read_regular(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let meta = file
        .metadata()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    check_meta(path, &meta)?;
    let mut text = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_FILE_BYTES)
        .read_to_end(&mut text)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(text)
}

impl FileCache {
    /// The two shared files, as the chain reads them.
    pub fn files(&self, config: Option<&Path>, credentials: Option<&Path>) -> Files {
        let now = SystemTime::now();
        Files {
            config_path: config.map(Path::to_owned),
            config: config.map_or(Loaded::Absent, |p| self.load(p, true, now)),
            credentials_path: credentials.map(Path::to_owned),
            credentials: credentials.map_or(Loaded::Absent, |p| self.load(p, false, now)),
        }
    }

    fn load(&self, path: &Path, is_config: bool, now: SystemTime) -> Loaded {
        let view = if is_config {
            config_view
        } else {
            credentials_view
        };
        let Ok(meta) = std::fs::metadata(path) else {
            return Loaded::Absent; // not a file: an empty one to the CLI
        };
        if check_meta(path, &meta).is_err() {
            return Loaded::Absent; // refused (the request is answered with why, see handler)
        }
        let key = FileStat::of(&meta);
        let racy = meta.modified().map(|m| is_racy(m, now)).unwrap_or(true);
        let slot = (path.to_owned(), is_config);
        if !racy {
            let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((k, parsed)) = inner.get(&slot) {
                if *k == key {
                    return parsed.clone();
                }
            }
        }
        let parsed = match read_regular(path) {
            Ok(bytes) => Loaded::parse(&bytes, path, view),
            // Unreadable: an empty file to the CLI (configparser skips it).
            Err(_) => Loaded::Parsed(Arc::default()),
        };
        if !racy {
            let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            if inner.len() >= MAX_FILES {
                inner.clear();
            }
            inner.insert(slot, (key, parsed.clone()));
        }
        parsed
    }

    pub fn clear(&self) {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

//! What bash and fish cannot see: a watched file changed without a newer mtime (`cp -p`,
//! `touch -d`, `rsync -t` rewrite it in place and restore the old mtime; only its ctime moves).
//! Their hooks compare mtimes with `-nt`; this module asks the kernel instead (inotify) and, as
//! soon as a file behind a settled answer changes in any way, removes that answer's stamp file:
//! every hook (bash, zsh, fish) asks again when its stamp is gone.
//!
//! Registered per shell (its stamp) after a settled prompt answer; a new answer of the same
//! shell replaces the registration. Best effort by nature (the event is handled a moment after
//! the change), on top of the hooks' own synchronous checks; no-op where inotify is missing.

use std::collections::HashMap;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use tokio::io::unix::AsyncFd;

/// Stamps followed at once; beyond that the oldest registration is dropped (its shell then
/// relies on its own checks only).
const MAX_STAMPS: usize = 512;

/// Any change to a file's content or inode metadata, or the file going away.
const MASK: u32 = libc::IN_MODIFY
    | libc::IN_ATTRIB
    | libc::IN_CLOSE_WRITE
    | libc::IN_DELETE_SELF
    | libc::IN_MOVE_SELF;

struct Inner {
    fd: OwnedFd,
    /// Watch descriptor → the stamps that depend on that file.
    stamps_of: HashMap<i32, Vec<PathBuf>>,
    /// Stamp → its watch descriptors, in registration order (oldest first).
    order: Vec<(PathBuf, Vec<i32>)>,
}

static WATCHER: OnceLock<Option<Mutex<Inner>>> = OnceLock::new();

fn watcher() -> Option<&'static Mutex<Inner>> {
    WATCHER
        .get_or_init(|| {
            // SAFETY: plain inotify_init1; the result is checked and owned at once.
            let fd = unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) };
            if fd < 0 {
                tracing::info!("no inotify: ctime-only changes are left to the hooks");
                return None;
            }
            // SAFETY: fd is fresh and valid.
            let fd = unsafe { OwnedFd::from_raw_fd(fd) };
            let Ok(dup) = fd.try_clone() else {
                return None;
            };
            // SAFETY: `dup` is an open descriptor owned by the AsyncFd for its whole life.
            let Ok(reader) = (unsafe { AsyncFd::register(dup) }) else {
                tracing::info!("inotify not usable");
                return None;
            };
            tokio::spawn(read_events(reader));
            Some(Mutex::new(Inner {
                fd,
                stamps_of: HashMap::new(),
                order: Vec::new(),
            }))
        })
        .as_ref()
}

/// Follows `files` (those that exist) for the shell whose stamp is `stamp`.
pub fn register(stamp: &Path, files: &[PathBuf]) {
    let Some(w) = watcher() else { return };
    let mut inner = w.lock().unwrap_or_else(|e| e.into_inner());
    forget(&mut inner, stamp);
    if inner.order.len() >= MAX_STAMPS {
        let oldest = inner.order[0].0.clone();
        forget(&mut inner, &oldest);
    }
    let mut wds = Vec::new();
    for f in files {
        let Ok(c) = std::ffi::CString::new(f.as_os_str().as_bytes()) else {
            continue;
        };
        // SAFETY: a valid fd and a NUL-terminated path.
        let wd = unsafe { libc::inotify_add_watch(inner.fd.as_raw_fd(), c.as_ptr(), MASK) };
        if wd >= 0 {
            wds.push(wd);
            let list = inner.stamps_of.entry(wd).or_default();
            if !list.iter().any(|s| s == stamp) {
                list.push(stamp.to_owned());
            }
        }
    }
    inner.order.push((stamp.to_owned(), wds));
}

/// Drops a stamp's registration (its watches stay while other stamps use them).
fn forget(inner: &mut Inner, stamp: &Path) {
    let Some(i) = inner.order.iter().position(|(s, _)| s == stamp) else {
        return;
    };
    let (_, wds) = inner.order.remove(i);
    for wd in wds {
        if let Some(list) = inner.stamps_of.get_mut(&wd) {
            list.retain(|s| s != stamp);
            if list.is_empty() {
                inner.stamps_of.remove(&wd);
                // SAFETY: a valid fd; a stale wd only makes this fail.
                unsafe { libc::inotify_rm_watch(inner.fd.as_raw_fd(), wd) };
            }
        }
    }
}

/// Reads events and removes the stamps of the files they concern.
async fn read_events(reader: AsyncFd<OwnedFd>) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let Ok(mut guard) = reader.readable().await else {
            return;
        };
        let n = match guard.try_io(|fd| {
            // SAFETY: reading into a buffer we own, of its length.
            let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if n < 0 {
                Err(std::io::Error::last_os_error())
            } else {
                Ok(n as usize)
            }
        }) {
            Ok(Ok(n)) => n,
            Ok(Err(_)) => return,
            Err(_would_block) => continue,
        };
        let mut wds = Vec::new();
        let header = std::mem::size_of::<libc::inotify_event>();
        let mut at = 0;
        while at + header <= n {
            // SAFETY: the kernel wrote whole events; read_unaligned copes with alignment.
            let ev: libc::inotify_event =
                unsafe { std::ptr::read_unaligned(buf[at..].as_ptr().cast()) };
            wds.push(ev.wd);
            at += header + ev.len as usize;
        }
        let Some(w) = WATCHER.get().and_then(Option::as_ref) else {
            return;
        };
        let mut inner = w.lock().unwrap_or_else(|e| e.into_inner());
        for wd in wds {
            let stamps = inner.stamps_of.get(&wd).cloned().unwrap_or_default();
            for stamp in stamps {
                let _ = std::fs::remove_file(&stamp);
                forget(&mut inner, &stamp);
            }
        }
    }
}

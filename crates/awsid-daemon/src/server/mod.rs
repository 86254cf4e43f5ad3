//! The socket side: bind (after the directory checks and leftover-socket rule), accept, check
//! the peer's uid, read frames with timeouts, answer, and shut down cleanly.

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use awsid_proto::frame::{self, HEADER_LEN};
use awsid_proto::msg::{Reply, Request, Response};
use awsid_proto::{codec, runtime};
use interprocess::local_socket::tokio::{prelude::*, Listener, Stream};
use interprocess::local_socket::{GenericFilePath, ListenerOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::Semaphore;

use crate::handler;
use crate::selfexe::{Change, Exe};

/// The text protocol that shells speak without forking (zsh's `zsocket`).
mod text;
use crate::state::Daemon;

/// Open connections served at once; beyond that, new ones wait in the listen queue until one
/// closes (back-pressure, not refusal). Idle ones close soon, so waiting is short.
pub const MAX_CONNECTIONS: usize = 1024;
/// A new connection must send its first frame within this; clients write at once.
const FIRST_FRAME: Duration = Duration::from_secs(2);
/// An open connection with no further request for this long is closed.
const IDLE_CONNECTION: Duration = Duration::from_secs(10);
/// A frame whose header arrived must be complete within this.
pub(crate) const FRAME_TIMEOUT: Duration = Duration::from_secs(5);
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);

/// Removes a socket file left by a dead daemon: only when connecting to it is refused.
/// Returns an error if a live daemon answers there.
pub fn clear_leftover_socket(path: &Path) -> io::Result<()> {
    match std::os::unix::net::UnixStream::connect(path) {
        Ok(_) => Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            format!("another awsidd already answers on {}", path.display()),
        )),
        Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
            tracing::info!(socket = %path.display(), "removing a leftover socket");
            std::fs::remove_file(path)
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

pub fn bind(path: &Path) -> io::Result<Listener> {
    ListenerOptions::new()
        .name(path.to_fs_name::<GenericFilePath>()?)
        .reclaim_name(true)
        .create_tokio()
}

/// How often the daemon checks that its socket is still its own (and sweeps stamp files).
const SOCKET_CHECK: Duration = Duration::from_secs(10);
/// How often stamp files of shells that are gone are removed.
const STAMP_SWEEP: Duration = Duration::from_secs(600);

/// The identity of the socket file: (dev, inode).
fn socket_id(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::symlink_metadata(path)
        .ok()
        .map(|m| (m.dev(), m.ino()))
}

/// Whether process `pid` is in another mount namespace than the daemon (false when that
/// cannot be told, e.g. the peer's pid is not visible from here).
fn other_mount_namespace(pid: u32) -> bool {
    if pid == 0 {
        return false;
    }
    let theirs = std::fs::read_link(format!("/proc/{pid}/ns/mnt"));
    let ours = std::fs::read_link("/proc/self/ns/mnt");
    matches!((theirs, ours), (Ok(t), Ok(o)) if t != o)
}

/// Why the daemon stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// A signal, a Shutdown request, the idle timeout, or its socket taken away.
    Asked,
    /// Its executable was removed or replaced (see [`crate::selfexe`]).
    Exe(Change),
}

/// Tells `lost` when the socket file is no longer the one bound now (`None`) or the daemon's
/// executable was removed or replaced; sweeps the stamp files of shells that are gone
/// meanwhile.
async fn watch_socket(
    socket: std::path::PathBuf,
    exe: Option<Exe>,
    lost: tokio::sync::oneshot::Sender<Option<Change>>,
) {
    let bound = socket_id(&socket);
    let stamps = awsid_proto::dirs::stamp_dir();
    let mut last_sweep: Option<std::time::Instant> = None;
    loop {
        if last_sweep.is_none_or(|t| t.elapsed() >= STAMP_SWEEP) {
            last_sweep = Some(std::time::Instant::now());
            let removed = sweep_stamps(&stamps);
            if removed > 0 {
                tracing::debug!(removed, "removed the stamp files of shells that are gone");
            }
        }
        tokio::time::sleep(SOCKET_CHECK).await;
        if socket_id(&socket) != bound {
            let _ = lost.send(None);
            return;
        }
        if let Some(change) = exe.as_ref().and_then(Exe::changed) {
            let _ = lost.send(Some(change));
            return;
        }
    }
}

/// Removes the stamp files (one per shell pid, see `runtime::touch_stamp`) of shells that no
/// longer exist. A shell in another pid namespace may lose its stamp: it then just asks again.
pub fn sweep_stamps(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<libc::pid_t>().ok())
            .filter(|p| *p > 0)
        else {
            continue;
        };
        // SAFETY: signal 0 only checks whether the process exists.
        let gone = unsafe { libc::kill(pid, 0) } != 0
            && io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
        if gone && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Accepts until SIGTERM/SIGINT, a Shutdown request, (if set) `idle` without requests, or the
/// socket being removed or replaced (its directory removed at logout, another daemon bound in
/// its place): a daemon nobody can reach any more exits instead of running for ever. Also when
/// its executable is removed or replaced (uninstalled, upgraded).
pub async fn run(
    d: Arc<Daemon>,
    mut listener: Listener,
    idle: Option<Duration>,
) -> io::Result<Stopped> {
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let connections = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    // A task of its own watches the socket (and sweeps stamps), so that the accept loop below
    // only wakes for connections.
    let (lost_tx, mut lost_rx) = tokio::sync::oneshot::channel::<Option<Change>>();
    let exe = Exe::current();
    let watcher = tokio::spawn(watch_socket(d.socket.clone(), exe.clone(), lost_tx));
    let mut stopped = Stopped::Asked;
    loop {
        let idle_deadline = idle.map(|t| tokio::time::Instant::from_std(d.last_activity() + t));
        let idle_sleep = async {
            match idle_deadline {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        let next = async {
            // A free slot first, then the connection: at the limit, clients queue in the
            // kernel instead of being refused.
            let permit = connections.clone().acquire_owned().await;
            (permit, listener.accept().await)
        };
        tokio::select! {
            (permit, accepted) = next => match accepted {
                Ok(stream) => {
                    d.touch();
                    let Ok(permit) = permit else { continue };
                    let d = d.clone();
                    tokio::spawn(async move {
                        serve(&d, stream).await;
                        drop(permit);
                    });
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
            _ = term.recv() => { tracing::info!("SIGTERM: shutting down"); break; }
            _ = int.recv() => { tracing::info!("SIGINT: shutting down"); break; }
            _ = d.shutdown.notified() => { tracing::info!("shutdown requested"); break; }
            Ok(lost) = &mut lost_rx => {
                match lost {
                    Some(change) => {
                        let path = exe.as_ref().map(|e| e.path.display().to_string()).unwrap_or_default();
                        tracing::info!(%path, ?change, "the daemon's executable was removed or replaced: shutting down");
                        stopped = Stopped::Exe(change);
                    }
                    None => {
                        tracing::info!(socket = %d.socket.display(), "the socket was removed or replaced: shutting down");
                        // It is not ours any more: leave whatever is there now alone.
                        listener.do_not_reclaim_name_on_drop();
                    }
                }
                break;
            }
            _ = idle_sleep => {
                let busy = connections.available_permits() < MAX_CONNECTIONS || d.cache.in_flight() > 0;
                if busy {
                    d.touch();
                } else {
                    tracing::info!("idle timeout: shutting down");
                    break;
                }
            }
        }
    }
    watcher.abort();
    Ok(stopped)
}

async fn send(stream: &mut Stream, resp: &Response) -> io::Result<()> {
    let payload = codec::encode(resp);
    let mut buf = Vec::with_capacity(HEADER_LEN + payload.len());
    buf.extend_from_slice(&frame::encode_header(payload.len()));
    buf.extend_from_slice(&payload);
    tokio::time::timeout(WRITE_TIMEOUT, stream.write_all(&buf))
        .await
        .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))?
}

pub(crate) async fn refuse(d: &Daemon, stream: &mut Stream, why: String) {
    d.record_error(format!("bad request: {why}"));
    tracing::warn!(reason = %why, "bad request; closing the connection");
    let _ = send(stream, &Response::new(Reply::Error(why))).await;
}

/// Serves one connection: any number of request/reply exchanges.
async fn serve(d: &Arc<Daemon>, mut stream: Stream) {
    let me = runtime::euid();
    let creds = stream.peer_creds().ok();
    match creds.as_ref().map(|c| c.euid()) {
        Some(Some(uid)) if uid == me => {}
        other => {
            let peer = other.flatten();
            tracing::warn!(peer = ?peer, "refusing a peer of another user");
            d.record_error(format!("refused a connection from uid {peer:?} (not ours)"));
            return;
        }
    }
    // A shell in another mount namespace sees other files than the daemon: it is never
    // answered from the daemon's view of them.
    let elsewhere = creds
        .as_ref()
        .and_then(|c| c.pid())
        .is_some_and(|pid| other_mount_namespace(pid as u32));
    let mut wait = FIRST_FRAME;
    loop {
        let mut h = [0u8; HEADER_LEN];
        match tokio::time::timeout(wait, stream.read_exact(&mut h[..4])).await {
            Ok(Ok(_)) => {}
            _ => return, // closed, broken or idle
        }
        if h[..4] == *text::MAGIC {
            if elsewhere {
                return; // the hook falls back to `awsid prompt`, which gets the marked state
            }
            return text::serve(d, stream).await;
        }
        match tokio::time::timeout(FRAME_TIMEOUT, stream.read_exact(&mut h[4..])).await {
            Ok(Ok(_)) => {}
            Ok(Err(_)) => return,
            Err(_) => return refuse(d, &mut stream, "incomplete frame header".into()).await,
        }
        let header = match frame::check_header(&h) {
            Ok(h) => h,
            Err(e) => return refuse(d, &mut stream, e.to_string()).await,
        };
        // The buffer grows as the bytes arrive: an announced length costs nothing by itself.
        let mut payload = Vec::with_capacity((header.len as usize).min(64 * 1024));
        let mut limited = (&mut stream).take(u64::from(header.len));
        let read = limited.read_to_end(&mut payload);
        match tokio::time::timeout(FRAME_TIMEOUT, read).await {
            Ok(Ok(n)) if n == header.len as usize => {}
            Ok(_) => {
                payload.fill(0);
                return;
            }
            Err(_) => {
                payload.fill(0);
                return refuse(d, &mut stream, "incomplete frame".into()).await;
            }
        }
        let decoded = codec::decode(&payload);
        payload.fill(0); // it may carry secrets
        drop(payload);
        let mut req: Request = match decoded {
            Ok(r) => r,
            Err(e) => return refuse(d, &mut stream, e.to_string()).await,
        };
        let shutdown = matches!(req, Request::Shutdown);
        let reply = match elsewhere
            .then(|| handler::other_namespace(d, &req))
            .flatten()
        {
            Some(reply) => reply,
            None => handler::handle(d, &mut req).await,
        };
        if let Request::Whoami(w) = &mut req {
            awsid_proto::msg::wipe(&mut w.env);
        } else if let Request::Prompt(p) = &mut req {
            awsid_proto::msg::wipe(&mut p.env);
        }
        drop(req);
        let sent = send(&mut stream, &Response::new(reply)).await;
        d.touch();
        wait = IDLE_CONNECTION;
        if shutdown {
            d.shutdown.notify_one();
            return;
        }
        if sent.is_err() {
            return;
        }
    }
}

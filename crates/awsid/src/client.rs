//! Talking to the daemon: connect, one frame out, one frame in; start it when nobody answers;
//! restart it once when it is another build.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use awsid_proto::frame;
use awsid_proto::msg::{Answer, Reply, Request};
use awsid_proto::runtime::{self, DirError};
use awsid_proto::{codec, VERSION};
use std::os::unix::net::UnixStream;

use crate::spawn;

#[derive(Debug)]
pub enum ClientError {
    Dir(DirError),
    /// Nothing listens on the socket.
    NotRunning(PathBuf),
    Io(io::Error),
    Start(String),
    Protocol(String),
}

impl ClientError {
    pub fn is_not_running(&self) -> bool {
        matches!(self, ClientError::NotRunning(_))
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Dir(e) => e.fmt(f),
            ClientError::NotRunning(p) => {
                write!(f, "awsidd is not running (no answer on {})", p.display())
            }
            ClientError::Io(e) => write!(f, "talking to awsidd: {e}"),
            ClientError::Start(e) => write!(f, "starting awsidd: {e}"),
            ClientError::Protocol(e) => write!(f, "{e}"),
        }
    }
}

impl From<DirError> for ClientError {
    fn from(e: DirError) -> Self {
        ClientError::Dir(e)
    }
}

impl From<io::Error> for ClientError {
    fn from(e: io::Error) -> Self {
        ClientError::Io(e)
    }
}

/// Without a deadline: how long to wait for room in the daemon's listen queue, and for a
/// request to be written.
const CONNECT_WAIT: Duration = Duration::from_secs(5);
const WRITE_WAIT: Duration = Duration::from_secs(5);

/// Connects to a Unix socket without blocking: a full listen queue (`EAGAIN`) is retried every
/// millisecond until `deadline`, then reported as `TimedOut`. "Nobody listens" comes back as
/// `NotFound` / `ConnectionRefused`, as from a blocking connect.
pub fn connect_until(path: &Path, deadline: Instant) -> io::Result<UnixStream> {
    use std::os::fd::{FromRawFd, OwnedFd};
    use std::os::unix::ffi::OsStrExt;
    let bytes = path.as_os_str().as_bytes();
    // SAFETY: sockaddr_un is plain old data; all zeroes is a valid value.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    if bytes.len() >= addr.sun_path.len() || bytes.contains(&0) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("socket path too long or invalid: {}", path.display()),
        ));
    }
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    for (d, s) in addr.sun_path.iter_mut().zip(bytes) {
        *d = *s as libc::c_char;
    }
    let len = (std::mem::size_of::<libc::sa_family_t>() + bytes.len() + 1) as libc::socklen_t;
    // SAFETY: plain socket(2); the result is checked and owned at once.
    let fd = unsafe {
        libc::socket(
            libc::AF_UNIX,
            libc::SOCK_STREAM | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK,
            0,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd is a fresh, valid descriptor nobody else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    loop {
        use std::os::fd::AsRawFd;
        // SAFETY: addr is a valid sockaddr_un of `len` bytes.
        let rc = unsafe {
            libc::connect(
                fd.as_raw_fd(),
                std::ptr::addr_of!(addr).cast::<libc::sockaddr>(),
                len,
            )
        };
        if rc == 0 {
            break;
        }
        let err = io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EAGAIN) | Some(libc::EINPROGRESS) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(1));
            }
            Some(libc::EAGAIN) | Some(libc::EINPROGRESS) => {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "awsidd does not accept connections (its listen queue is full)",
                ))
            }
            _ => return Err(err),
        }
    }
    let stream = UnixStream::from(fd);
    stream.set_nonblocking(false)?;
    Ok(stream)
}

pub struct Client {
    dir: PathBuf,
    socket: PathBuf,
    /// How long to wait for a reply.
    pub read_timeout: Duration,
    /// For prompts: the moment by which everything (start-up included) must be done.
    pub deadline: Option<Instant>,
}

/// Whether a connect error means "no daemon listens" (as opposed to, say, permissions).
pub fn nobody_listens(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused
    )
}

impl Client {
    /// Finds (and creates, 0700) the runtime directory; refuses one that is not private.
    pub fn new() -> Result<Client, ClientError> {
        let dir = runtime::runtime_dir();
        runtime::ensure_dir(&dir)?;
        let socket = dir.join(runtime::SOCKET_NAME);
        Ok(Client {
            dir,
            socket,
            read_timeout: Duration::from_secs(10),
            deadline: None,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// Time left before the deadline (at least 1 ms), or `otherwise` without one.
    fn left(&self, otherwise: Duration) -> Duration {
        match self.deadline {
            Some(d) => d
                .saturating_duration_since(Instant::now())
                .max(Duration::from_millis(1)),
            None => otherwise,
        }
    }

    /// Connects, waiting for room in a full listen queue (a stalled daemon) at most until the
    /// deadline, then sets the write and read timeouts to what is left of it.
    pub fn connect(&self) -> io::Result<UnixStream> {
        let stream = connect_until(&self.socket, Instant::now() + self.left(CONNECT_WAIT))?;
        stream.set_write_timeout(Some(self.left(WRITE_WAIT)))?;
        stream.set_read_timeout(Some(self.left(self.read_timeout)))?;
        Ok(stream)
    }

    /// Sends one request on a fresh connection and reads one reply.
    pub fn exchange(&self, req: &Request) -> Result<Answer, ClientError> {
        let mut stream = match self.connect() {
            Ok(s) => s,
            Err(e) if nobody_listens(&e) => {
                return Err(ClientError::NotRunning(self.socket.clone()))
            }
            Err(e) => return Err(e.into()),
        };
        frame::write_frame(&mut stream, &codec::encode(req))?;
        Ok(awsid_proto::msg::read_answer(&mut stream)?)
    }

    /// Sends a request; starts the daemon if nobody answers and `autostart`; restarts a daemon
    /// of another build once (when `autostart`) and retries.
    pub fn request(&self, req: &Request, autostart: bool) -> Result<Reply, ClientError> {
        let mut restarted = false;
        loop {
            let answer = match self.exchange(req) {
                Err(ClientError::NotRunning(_)) if autostart => {
                    spawn::start(self)?;
                    self.exchange(req)?
                }
                other => other?,
            };
            match answer {
                Answer::Ours(resp) => return Ok(resp.body),
                Answer::OtherVersion(_) if autostart && !restarted => {
                    restarted = true;
                    self.stop()?;
                    spawn::start(self)?;
                }
                // The daemon started in its place is another build too: restarting cannot help.
                Answer::OtherVersion(theirs) if restarted => {
                    return Err(ClientError::Protocol(spawn::mismatch(&theirs)))
                }
                Answer::OtherVersion(theirs) => {
                    return Err(ClientError::Protocol(format!(
                        "awsidd {theirs} answered but this is awsid {VERSION}; run `awsid daemon restart`"
                    )))
                }
            }
        }
    }

    /// Stops a running daemon of any version. Returns whether one was running. Waits 5 s at
    /// most, and never past the deadline.
    pub fn stop(&self) -> Result<bool, ClientError> {
        match self.exchange(&Request::Shutdown) {
            Err(ClientError::NotRunning(_)) => return Ok(false),
            Ok(Answer::Ours(_)) => {}
            // Another protocol cannot be asked politely: signal the pid it recorded.
            Ok(Answer::OtherVersion(_)) | Err(_) => spawn::terminate_by_pidfile(&self.dir),
        }
        let deadline = Instant::now() + self.left(Duration::from_secs(5));
        while Instant::now() < deadline {
            match self.connect() {
                Err(e) if nobody_listens(&e) => return Ok(true),
                _ => std::thread::sleep(Duration::from_millis(10)),
            }
        }
        Err(ClientError::Start(format!(
            "awsidd did not stop within 5 s (socket {})",
            self.socket.display()
        )))
    }
}

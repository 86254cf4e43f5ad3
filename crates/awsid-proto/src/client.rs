//! The one blocking client of the daemon's socket, for `awsid`, `awsidd doctor` and the load
//! tool: connect within a deadline, one frame out and one in, and the miss protocol (ask with
//! the fingerprint variables; on [`Reply::NeedEnv`] ask once more carrying the whole
//! environment). Starting and replacing the daemon is the `awsid` binary's business: it hands
//! a [`Starter`] in; the doctor and the load tool do neither.

use std::fmt;
use std::io;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::msg::{read_answer, Answer, Env, Reply, Request};
use crate::runtime::DirError;
use crate::{codec, envvars, frame, VERSION};

#[derive(Debug)]
pub enum ClientError {
    Dir(DirError),
    /// Nothing listens on the socket.
    NotRunning(PathBuf),
    Io(io::Error),
    /// A daemon of another build answered (its version or protocol) and was not replaced.
    OtherBuild(String),
    /// Starting the daemon failed.
    Start(String),
    /// Stopping the daemon failed.
    Stop(String),
    /// The daemon answered something this request does not expect, or refused it.
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
            ClientError::OtherBuild(theirs) => write!(
                f,
                "awsidd {theirs} answered but this is awsid {VERSION}; run `awsid daemon restart`"
            ),
            ClientError::Start(e) => write!(f, "starting awsidd: {e}"),
            ClientError::Stop(e) => write!(f, "stopping awsidd: {e}"),
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
/// A prompt's daemon answers this much before the client's own deadline.
const PROMPT_MARGIN: Duration = Duration::from_millis(5);

/// Connects to a Unix socket without blocking: a full listen queue (`EAGAIN`) is retried every
/// millisecond until `deadline`, then reported as `TimedOut`. "Nobody listens" comes back as
/// `NotFound` / `ConnectionRefused`, as from a blocking connect.
pub fn connect_until(path: &Path, deadline: Instant) -> io::Result<UnixStream> {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
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

/// Whether a connect error means "no daemon listens" (as opposed to, say, permissions).
pub fn nobody_listens(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused
    )
}

/// What a client does when nobody answers, or a daemon of another build does.
pub trait Starter {
    /// Starts a daemon (unless another client just did) and waits until it answers.
    fn start(&self, client: &Client) -> Result<(), ClientError>;
    /// Stops the daemon of another build that answered, so that [`Starter::start`] can
    /// replace it.
    fn stop(&self, client: &Client) -> Result<(), ClientError>;
    /// The error when the daemon [`Starter::start`] started is another build too (version
    /// `theirs`): what to do about it, which only the starter knows.
    fn still_other(&self, theirs: String) -> ClientError {
        ClientError::OtherBuild(theirs)
    }
}

/// One open connection; the daemon serves any number of requests on it, one at a time.
pub struct Connection(UnixStream);

impl Connection {
    /// One request, one reply.
    pub fn exchange(&mut self, req: &Request) -> Result<Answer, ClientError> {
        frame::write_frame(&mut self.0, &codec::encode(req))?;
        Ok(read_answer(&mut self.0)?)
    }
}

/// The daemon at a socket, with the time limits of one caller.
pub struct Client {
    socket: PathBuf,
    /// How long to wait for a reply.
    pub read_timeout: Duration,
    /// For prompts: the moment by which everything (start-up included) must be done.
    pub deadline: Option<Instant>,
}

impl Client {
    pub fn new(socket: PathBuf) -> Client {
        Client {
            socket,
            read_timeout: Duration::from_secs(10),
            deadline: None,
        }
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// Time left before the deadline (at least 1 ms), or `otherwise` without one.
    pub fn left(&self, otherwise: Duration) -> Duration {
        match self.deadline {
            Some(d) => d
                .saturating_duration_since(Instant::now())
                .max(Duration::from_millis(1)),
            None => otherwise,
        }
    }

    /// Connects, waiting for room in a full listen queue (a stalled daemon) at most until the
    /// deadline, then sets the write and read timeouts to what is left of it.
    pub fn connect(&self) -> io::Result<Connection> {
        let stream = connect_until(&self.socket, Instant::now() + self.left(CONNECT_WAIT))?;
        stream.set_write_timeout(Some(self.left(WRITE_WAIT)))?;
        stream.set_read_timeout(Some(self.left(self.read_timeout)))?;
        Ok(Connection(stream))
    }

    /// Sends one request on a fresh connection and reads one reply.
    pub fn exchange(&self, req: &Request) -> Result<Answer, ClientError> {
        let mut conn = match self.connect() {
            Ok(c) => c,
            Err(e) if nobody_listens(&e) => {
                return Err(ClientError::NotRunning(self.socket.clone()))
            }
            Err(e) => return Err(e.into()),
        };
        conn.exchange(req)
    }

    /// Sends a request. With a `starter`: starts the daemon if nobody answers, and replaces
    /// a daemon of another build once, then retries. Without one, either is an error.
    pub fn request(
        &self,
        req: &Request,
        starter: Option<&dyn Starter>,
    ) -> Result<Reply, ClientError> {
        let mut replaced = false;
        loop {
            let answer = match (self.exchange(req), starter) {
                (Err(ClientError::NotRunning(_)), Some(s)) => {
                    s.start(self)?;
                    self.exchange(req)?
                }
                (other, _) => other?,
            };
            match (answer, starter) {
                (Answer::Ours(resp), _) => return Ok(resp.body),
                (Answer::OtherVersion(_), Some(s)) if !replaced => {
                    replaced = true;
                    s.stop(self)?;
                    s.start(self)?;
                }
                // The daemon started in its place is another build too: restarting cannot help.
                (Answer::OtherVersion(theirs), Some(s)) => return Err(s.still_other(theirs)),
                (Answer::OtherVersion(theirs), None) => {
                    return Err(ClientError::OtherBuild(theirs))
                }
            }
        }
    }

    /// [`Client::request`] with the miss protocol: on [`Reply::NeedEnv`] the request is sent
    /// once more carrying `whole_env()` and the working directory. A prompt's budget is
    /// what is left of the deadline, less a margin for the reply to arrive.
    pub fn ask(
        &self,
        req: Request,
        starter: Option<&dyn Starter>,
        whole_env: impl FnOnce() -> Env,
    ) -> Result<Reply, ClientError> {
        ask_with_env(req, whole_env, |req| {
            if let (Request::Prompt(p), Some(_)) = (&mut *req, self.deadline) {
                let left = self.left(Duration::ZERO).saturating_sub(PROMPT_MARGIN);
                p.budget_ms = left.as_millis().min(u128::from(u32::MAX)) as u32;
            }
            self.request(req, starter)
        })
    }
}

/// The miss protocol over any way of sending: at most one ask with the fingerprint
/// variables, then (on [`Reply::NeedEnv`]) one carrying the whole environment. Asked for the
/// environment again, it gives up.
pub fn ask_with_env(
    mut req: Request,
    whole_env: impl FnOnce() -> Env,
    mut send: impl FnMut(&mut Request) -> Result<Reply, ClientError>,
) -> Result<Reply, ClientError> {
    let mut whole_env = Some(whole_env);
    loop {
        match send(&mut req)? {
            Reply::NeedEnv => {
                let more = whole_env
                    .take()
                    .is_some_and(|env| req.carry_whole_env(env(), envvars::cwd()));
                if !more {
                    return Err(ClientError::Protocol(
                        "awsidd asked for the environment twice".into(),
                    ));
                }
            }
            other => return Ok(other),
        }
    }
}

/// A reply the request did not expect, as an error.
pub fn unexpected(reply: Reply) -> ClientError {
    match reply {
        Reply::Error(e) => ClientError::Protocol(format!("awsidd: {e}")),
        other => ClientError::Protocol(format!("unexpected reply from awsidd: {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::{PromptReply, PromptRequest, Shell};

    fn prompt() -> Request {
        Request::Prompt(PromptRequest {
            env: vec![(b"AWS_PROFILE".to_vec(), b"dev".to_vec())],
            full_env: false,
            cwd: None,
            shell: Shell::Plain,
            budget_ms: 100,
            hook_pid: None,
        })
    }

    fn answer() -> Reply {
        Reply::Prompt(PromptReply {
            segment: "dev".into(),
            settled: true,
            valid_for_secs: 1,
            watch: vec![],
            whole_env: false,
        })
    }

    #[test]
    fn a_miss_is_asked_again_with_the_whole_environment_once() {
        let mut sent = Vec::new();
        let whole = || vec![(b"ANY".to_vec(), b"thing".to_vec())];
        let reply = ask_with_env(prompt(), whole, |r| {
            sent.push(r.clone());
            Ok(if sent.len() == 1 {
                Reply::NeedEnv
            } else {
                answer()
            })
        })
        .unwrap();
        assert_eq!(reply, answer());
        let Request::Prompt(second) = &sent[1] else {
            panic!()
        };
        assert!(second.full_env);
        assert_eq!(second.env, [(b"ANY".to_vec(), b"thing".to_vec())]);

        // A daemon that asks twice gets no third request.
        let mut n = 0;
        let err = ask_with_env(prompt(), Vec::new, |_| {
            n += 1;
            Ok(Reply::NeedEnv)
        })
        .unwrap_err();
        assert_eq!(n, 2);
        assert!(err.to_string().contains("twice"), "{err}");
    }

    #[test]
    fn a_stop_that_fails_is_not_called_a_start() {
        let e = ClientError::Stop("awsidd did not stop within 5 s".into());
        assert_eq!(
            e.to_string(),
            "stopping awsidd: awsidd did not stop within 5 s"
        );
    }

    #[test]
    fn nobody_listening_is_not_running() {
        let dir = std::env::temp_dir().join(format!("awsid-proto-client-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let client = Client::new(dir.join("none.sock"));
        let err = client.request(&Request::Status, None).unwrap_err();
        assert!(err.is_not_running(), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

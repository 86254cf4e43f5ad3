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
use interprocess::local_socket::{prelude::*, GenericFilePath, Stream};

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

    pub fn connect(&self) -> io::Result<Stream> {
        let name = self.socket.as_path().to_fs_name::<GenericFilePath>()?;
        let stream = Stream::connect(name)?;
        let timeout = match self.deadline {
            Some(d) => d
                .saturating_duration_since(Instant::now())
                .max(Duration::from_millis(1)),
            None => self.read_timeout,
        };
        stream.set_recv_timeout(Some(timeout))?;
        stream.set_send_timeout(Some(Duration::from_secs(5)))?;
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
                Answer::OtherVersion(theirs) => {
                    return Err(ClientError::Protocol(format!(
                        "awsidd {theirs} answered but this is awsid {VERSION}; run `awsid daemon restart`"
                    )))
                }
            }
        }
    }

    /// Stops a running daemon of any version. Returns whether one was running.
    pub fn stop(&self) -> Result<bool, ClientError> {
        match self.exchange(&Request::Shutdown) {
            Err(ClientError::NotRunning(_)) => return Ok(false),
            Ok(Answer::Ours(_)) => {}
            // Another protocol cannot be asked politely: signal the pid it recorded.
            Ok(Answer::OtherVersion(_)) | Err(_) => spawn::terminate_by_pidfile(&self.dir),
        }
        let deadline = Instant::now() + Duration::from_secs(5);
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

//! The client's use of the one blocking client (`awsid_proto::client`): a runtime directory
//! that is private, and awsid's own way of starting, replacing and stopping the daemon.

use std::path::Path;
use std::time::{Duration, Instant};

use awsid_proto::client::{nobody_listens, Client, ClientError, Starter};
use awsid_proto::msg::{Answer, Request};
use awsid_proto::runtime;

use crate::spawn;

/// The daemon of this user: finds (and creates, 0700) the runtime directory; refuses one that
/// is not private.
pub fn new() -> Result<Client, ClientError> {
    let dir = runtime::runtime_dir();
    runtime::ensure_dir(&dir)?;
    Ok(Client::new(dir.join(runtime::SOCKET_NAME)))
}

/// The runtime directory a client's socket is in.
pub fn dir(client: &Client) -> &Path {
    client.socket().parent().unwrap_or(Path::new("/"))
}

/// Starts the daemon when nobody answers; replaces one of another build.
pub struct Autostart;

impl Starter for Autostart {
    fn start(&self, client: &Client) -> Result<(), ClientError> {
        spawn::start(client)
    }

    fn stop(&self, client: &Client) -> Result<(), ClientError> {
        stop(client).map(|_| ())
    }

    fn still_other(&self, theirs: String) -> ClientError {
        ClientError::Start(spawn::mismatch(&theirs))
    }
}

/// Stops a running daemon of any version. Returns whether one was running. Waits 5 s at
/// most, and never past the deadline.
pub fn stop(client: &Client) -> Result<bool, ClientError> {
    match client.exchange(&Request::Shutdown) {
        Err(ClientError::NotRunning(_)) => return Ok(false),
        Ok(Answer::Ours(_)) => {}
        // Another protocol cannot be asked politely: signal the pid it recorded.
        Ok(Answer::OtherVersion(_)) | Err(_) => spawn::terminate_by_pidfile(dir(client)),
    }
    let deadline = Instant::now() + client.left(Duration::from_secs(5));
    while Instant::now() < deadline {
        match client.connect() {
            Err(e) if nobody_listens(&e) => return Ok(true),
            _ => std::thread::sleep(Duration::from_millis(10)),
        }
    }
    Err(ClientError::Stop(format!(
        "awsidd did not stop within 5 s (socket {})",
        client.socket().display()
    )))
}

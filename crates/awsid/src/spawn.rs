//! Starting the daemon: one start-up lock so concurrent shells start exactly one daemon,
//! a clean environment (never the shell's AWS variables), stdio to /dev/null, a new session.

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use awsid_proto::runtime;

use awsid_proto::client::{nobody_listens, Client, ClientError};

/// Variables the daemon may inherit. Everything else, and every AWS variable, is left behind:
/// the daemon resolves identities in each client's environment, never in its own.
const PASSTHROUGH: &[&str] = &[
    "HOME",
    "XDG_RUNTIME_DIR",
    "XDG_STATE_HOME",
    "XDG_CONFIG_HOME",
];

/// The daemon binary: `$AWSID_DAEMON`, else `awsidd` next to this executable, else on PATH.
pub fn daemon_path() -> PathBuf {
    if let Some(p) = std::env::var_os("AWSID_DAEMON").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    if let Ok(exe) = std::env::current_exe() {
        let sibling = exe.with_file_name("awsidd");
        if sibling.is_file() {
            return sibling;
        }
    }
    PathBuf::from("awsidd")
}

/// What to say when the daemon this client starts is another version than the client: a
/// restart would start the same binary again, so the fix is a matching pair.
pub fn mismatch(theirs: &str) -> String {
    format!(
        "{} is awsidd {theirs}, but this is awsid {}: install both binaries from one build \
         (`cargo install --locked --path crates/awsid` installs both), or set AWSID_DAEMON to \
         this build's awsidd",
        daemon_path().display(),
        awsid_proto::VERSION
    )
}

fn daemon_env() -> Vec<(OsString, OsString)> {
    std::env::vars_os()
        .filter(|(k, _)| {
            let k = k.to_string_lossy();
            PASSTHROUGH.contains(&k.as_ref()) || k.starts_with("AWSID_")
        })
        .collect()
}

/// Takes the start-up lock, waiting at most `wait`.
fn lock(dir: &Path, wait: Duration) -> Result<File, ClientError> {
    let path = dir.join(runtime::START_LOCK_NAME);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&path)?;
    let deadline = Instant::now() + wait;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5))
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(ClientError::Start(format!(
                    "another awsid holds {} for more than {:.1} s",
                    path.display(),
                    wait.as_secs_f64()
                )))
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(e.into()),
        }
    }
}

/// Starts the daemon unless another shell did so meanwhile, and waits until it answers.
pub fn start(client: &Client) -> Result<(), ClientError> {
    let wait = client
        .deadline
        .map(|d| d.saturating_duration_since(Instant::now()))
        .unwrap_or(Duration::from_secs(10));
    let _lock = lock(crate::client::dir(client), wait)?;
    // Whoever held the lock before us may have started it already.
    if client.connect().is_ok() {
        return Ok(());
    }
    let path = daemon_path();
    let mut cmd = Command::new(&path);
    cmd.arg("serve")
        .env_clear()
        .envs(daemon_env())
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: setsid is async-signal-safe; it detaches the daemon from the shell's session
    // and terminal so job control and hang-ups of the shell do not reach it.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| ClientError::Start(format!("cannot run {}: {e}", path.display())))?;
    let deadline = client
        .deadline
        .unwrap_or_else(|| Instant::now() + Duration::from_secs(5));
    loop {
        match client.connect() {
            Ok(_) => return Ok(()),
            Err(e) if !nobody_listens(&e) => return Err(e.into()),
            Err(_) => {}
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(ClientError::Start(format!(
                "{} exited ({status}) before answering; see its log {}",
                path.display(),
                runtime::log_file().display()
            )));
        }
        if Instant::now() > deadline {
            return Err(ClientError::Start(format!(
                "{} did not answer on {} in time; see its log {}",
                path.display(),
                client.socket().display(),
                runtime::log_file().display()
            )));
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Sends SIGTERM to the pid in the daemon's pidfile, if that process is an awsidd.
pub fn terminate_by_pidfile(dir: &Path) {
    let Ok(text) = std::fs::read_to_string(dir.join(runtime::PID_FILE_NAME)) else {
        return;
    };
    let Ok(pid) = text.trim().parse::<i32>() else {
        return;
    };
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    if pid > 1 && comm.trim() == "awsidd" {
        // SAFETY: kill has no memory-safety preconditions.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
    }
}

//! One `moto_server` per test process, seeded with two IAM users.
//!
//! `moto()` starts `moto_server -H 127.0.0.1 -p PORT` on first use, waits
//! until it answers HTTP, then runs `support/moto_setup.py URL` (boto3) which
//! creates
//! * `alice`: IAM user + access key in moto's default account 123456789012;
//! * `bob`: IAM user + access key in account 222222222222 (created with
//!   credentials from `AssumeRole` into that account), plus a role `admin`
//!   there whose trust policy allows anyone.
//!
//! The `account`/`arn`/`user_id` of each `Keys` are what moto's own
//! `GetCallerIdentity` answered for that key, so tests can compare against
//! them verbatim.
//!
//! The server is spawned from a thread that never exits, with
//! `PR_SET_PDEATHSIG = SIGKILL`, so the kernel kills it when the test process
//! exits (the signal is tied to the spawning *thread*). Its output goes to
//! `$TMPDIR/awsid-moto-<pid>.log`.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

/// Credentials of one seeded IAM user and the identity moto reports for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub account: String,
    pub arn: String,
    pub user_id: String,
}

/// The shared moto_server of this test process.
#[derive(Debug)]
pub struct Moto {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    /// IAM user `alice` in account 123456789012.
    pub alice: Keys,
    /// IAM user `bob` in account 222222222222 (also holds role `admin`).
    pub bob: Keys,
}

/// Starts moto_server on first use; later calls return the same instance.
pub fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(start)
}

const START_ATTEMPTS: usize = 3;
const READY_TIMEOUT: Duration = Duration::from_secs(20);
const SETUP_TIMEOUT: Duration = Duration::from_secs(120);
const INSTALL_HINT: &str = "install it with: pip install \"moto[server]\" boto3";

fn start() -> Moto {
    let server = find_in_path("moto_server").unwrap_or_else(|| {
        panic!("moto_server is not on PATH; the awsid end-to-end tests need it ({INSTALL_HINT})")
    });
    let log_path = std::env::temp_dir().join(format!("awsid-moto-{}.log", std::process::id()));
    File::create(&log_path)
        .unwrap_or_else(|e| panic!("cannot create moto log {}: {e}", log_path.display()));

    let mut started = None;
    for attempt in 1..=START_ATTEMPTS {
        let port = free_port();
        let mut log = open_log(&log_path);
        let _ = writeln!(
            log,
            "=== awsid tests: attempt {attempt}: {} -H 127.0.0.1 -p {port}",
            server.display()
        );
        let mut child = spawn_on_dedicated_thread(&server, port, &log_path);
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        match wait_ready(&mut child, addr) {
            Ready::Yes => {
                started = Some(port);
                // Dropping the handle neither kills nor waits; PDEATHSIG
                // still ends the server when this process exits.
                drop(child);
                break;
            }
            // e.g. someone grabbed the port between probe and bind: retry.
            Ready::Exited => continue,
            Ready::TimedOut => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "moto_server did not answer on {addr} within {READY_TIMEOUT:?}; log {}:\n{}",
                    log_path.display(),
                    log_tail(&log_path)
                );
            }
        }
    }
    let Some(port) = started else {
        panic!(
            "moto_server exited during startup {START_ATTEMPTS} times; log {}:\n{}",
            log_path.display(),
            log_tail(&log_path)
        );
    };
    let url = format!("http://127.0.0.1:{port}");
    let (alice, bob) = seed(&url, &log_path);
    Moto { url, alice, bob }
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| {
            p.metadata()
                .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
                .unwrap_or(false)
        })
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0 to pick a port");
    listener.local_addr().expect("local_addr").port()
}

fn open_log(path: &Path) -> File {
    OpenOptions::new()
        .append(true)
        .open(path)
        .unwrap_or_else(|e| panic!("cannot open moto log {}: {e}", path.display()))
}

/// Spawns moto_server from a new thread that then parks forever, so that the
/// child's parent-death signal only fires when the whole process exits.
fn spawn_on_dedicated_thread(server: &Path, port: u16, log_path: &Path) -> Child {
    let mut cmd = Command::new(server);
    cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(open_log(log_path))
        .stderr(open_log(log_path))
        .env("AWS_EC2_METADATA_DISABLED", "true");
    let parent = std::process::id();
    // SAFETY: the closure runs between fork and exec and only makes
    // async-signal-safe calls (prctl, getppid, _exit) without allocating.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died before prctl took effect.
            if libc::getppid() as u32 != parent {
                libc::_exit(1);
            }
            Ok(())
        });
    }
    let (tx, rx) = mpsc::channel();
    thread::Builder::new()
        .name(format!("moto-server-{port}"))
        .spawn(move || {
            let _ = tx.send(cmd.spawn());
            // Must never return: PR_SET_PDEATHSIG fires when this thread ends.
            loop {
                thread::park();
            }
        })
        .expect("spawn moto_server keeper thread");
    match rx.recv() {
        Ok(Ok(child)) => child,
        Ok(Err(e)) => panic!("cannot run {}: {e} ({INSTALL_HINT})", server.display()),
        Err(_) => panic!("moto_server keeper thread died before spawning"),
    }
}

enum Ready {
    Yes,
    Exited,
    TimedOut,
}

fn wait_ready(child: &mut Child, addr: SocketAddr) -> Ready {
    let deadline = Instant::now() + READY_TIMEOUT;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return Ready::Exited;
        }
        if http_get_ok(addr) {
            return Ready::Yes;
        }
        thread::sleep(Duration::from_millis(100));
    }
    Ready::TimedOut
}

/// Whether `GET /moto-api/` gets any HTTP response.
fn http_get_ok(addr: SocketAddr) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = s.set_write_timeout(Some(Duration::from_secs(5)));
    let req = format!("GET /moto-api/ HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    s.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.")
}

/// Runs moto_setup.py against `url` and returns (alice, bob).
fn seed(url: &str, log_path: &Path) -> (Keys, Keys) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join("moto_setup.py");
    let mut cmd = Command::new("python3");
    cmd.arg(&script)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        // Keep boto3 on loopback even if a proxy is configured.
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost");
    for var in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ] {
        cmd.env_remove(var);
    }
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run python3 {}: {e}", script.display()));
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());

    let deadline = Instant::now() + SETUP_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(50)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    let mut log = open_log(log_path);
    let _ = writeln!(log, "=== moto_setup.py stderr:\n{stderr}");
    match status {
        Some(s) if s.success() => {}
        Some(s) => panic!(
            "{} {url} failed ({s}); is boto3 installed? ({INSTALL_HINT})\nstderr:\n{stderr}\nstdout:\n{stdout}",
            script.display()
        ),
        None => panic!(
            "{} {url} did not finish within {SETUP_TIMEOUT:?}\nstderr:\n{stderr}",
            script.display()
        ),
    }
    let json: serde_json::Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("moto_setup.py printed invalid JSON ({e}):\n{stdout}"));
    (keys(&json, "alice"), keys(&json, "bob"))
}

fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut out = String::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_string(&mut out);
        }
        out
    })
}

fn keys(json: &serde_json::Value, who: &str) -> Keys {
    let field = |name: &str| -> String {
        json[who][name]
            .as_str()
            .unwrap_or_else(|| panic!("moto_setup.py output lacks {who}.{name}: {json}"))
            .to_owned()
    };
    Keys {
        access_key_id: field("access_key_id"),
        secret_access_key: field("secret_access_key"),
        account: field("account"),
        arn: field("arn"),
        user_id: field("user_id"),
    }
}

/// The last few KiB of the log, for panic messages.
fn log_tail(path: &Path) -> String {
    const TAIL: u64 = 4096;
    let Ok(mut f) = File::open(path) else {
        return String::from("(log unreadable)");
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = f.seek(SeekFrom::Start(len.saturating_sub(TAIL)));
    let mut bytes = Vec::new();
    let _ = f.read_to_end(&mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alice_and_bob_live_in_different_accounts() {
        let m = moto();
        assert!(m.url.starts_with("http://127.0.0.1:"), "{}", m.url);
        assert_eq!(m.alice.account, "123456789012");
        assert_eq!(m.alice.arn, "arn:aws:iam::123456789012:user/alice");
        assert_eq!(m.bob.account, "222222222222");
        assert_eq!(m.bob.arn, "arn:aws:iam::222222222222:user/bob");
        assert_ne!(m.alice.account, m.bob.account);
        assert_ne!(m.alice.access_key_id, m.bob.access_key_id);
        assert!(!m.alice.user_id.is_empty() && !m.bob.user_id.is_empty());
        // Same instance on every call.
        assert!(std::ptr::eq(m, moto()));
    }
}

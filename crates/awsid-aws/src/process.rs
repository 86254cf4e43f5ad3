//! Run a profile's `credential_process` as the AWS CLI does (botocore `ProcessProvider`), with
//! the limits a daemon needs.
//!
//! As the CLI: the command is split like Python's `shlex.split` (no shell: `~`, `$VAR`, pipes are
//! literal text), the program is looked up like Python's `subprocess` does (a name with a `/` is
//! taken as a path relative to the working directory; otherwise each `PATH` entry of the given
//! environment in turn, an empty or relative entry relative to the working directory, `/bin:/usr/bin`
//! when `PATH` is unset; the first error other than "not found" is the one reported), the output
//! is read as botocore reads it ([`crate::process_output`]), and an Expiration within 15 minutes
//! makes the CLI run the program a second time ([`fetch_like_cli`]).
//!
//! Beyond the CLI (which inherits its own environment, directory and terminal): the program runs
//! with exactly the given environment and working directory, stdin is `/dev/null`, it leads its
//! own process group, and a deadline or an output cap kills the whole group with SIGKILL; the
//! leader is always reaped. A program that exits normally is not killed, nor are helpers it left
//! running after closing its output (the CLI leaves them too).

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::io::{self, Read};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use zeroize::Zeroizing;

use crate::credentials::{Credentials, PossiblySecret};
use crate::process_output::{self, OutputError};
use crate::pyfmt;
use crate::shlex::{self, SplitError};

/// The CLI's prefix for errors of the process provider (`CredentialRetrievalError`).
pub const CLI_PREFIX: &str = "Error when retrieving credentials from custom-process: ";
/// The CLI's sentence when the second run (a refresh) still gives expired credentials.
pub const STILL_EXPIRED: &str =
    "Credentials were refreshed, but the refreshed credentials are still expired.";

/// botocore refreshes credentials that expire within 15 minutes (advisory: a failed refresh keeps
/// the old ones) ...
pub const ADVISORY_REFRESH: Duration = Duration::from_secs(15 * 60);
/// ... and within 10 minutes a failed refresh is an error (mandatory).
pub const MANDATORY_REFRESH: Duration = Duration::from_secs(10 * 60);

/// How long a program may run and how much it may print.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub timeout: Duration,
    pub max_stdout: usize,
    pub max_stderr: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Duration::from_secs(30),
            max_stdout: 1 << 20,
            max_stderr: 1 << 20,
        }
    }
}

/// What to run and where.
#[derive(Debug, Clone, Copy)]
pub struct ProcessSpec<'a> {
    /// The profile's `credential_process` value, as the config parser returned it.
    pub command: &'a str,
    /// The shell's working directory; must be absolute.
    pub cwd: &'a Path,
    /// The shell's whole environment; the program gets exactly this (later pairs win).
    pub env: &'a [(OsString, OsString)],
    pub limits: Limits,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// How the program ended, as Python's `returncode` tells it (a signal is `-N`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    Signal(i32),
}

/// Why no credentials came from the program.
#[derive(Debug)]
pub enum ProcessError {
    /// The command could not be split (unbalanced quote, trailing backslash).
    Split(SplitError),
    /// The command is empty or blank: Python's `IndexError` from `Popen([])`.
    EmptyCommand,
    /// The working directory given is not absolute (a caller bug; the CLI has no such case).
    RelativeCwd(PathBuf),
    /// The program could not be started (`OSError` from `Popen`), e.g. not found, not executable.
    Spawn { filename: String, errno: i32 },
    /// The program ran past the deadline; its group was killed.
    Timeout { limit: Duration },
    /// The program printed more than the cap on a stream; its group was killed.
    Flood { stream: Stream, limit: usize },
    /// The program exited non-zero. Its stderr is in the CLI's message, but may hold secrets:
    /// it never appears in `Display`.
    Failed { exit: Exit, stderr: PossiblySecret },
    /// The program succeeded but its output is not credentials.
    Output(OutputError),
    /// A refresh run gave credentials that are still expired.
    StillExpired,
    /// Waiting for the program failed (poll/read/wait).
    Io(String),
}

impl ProcessError {
    /// The sentence the AWS CLI prints on stderr for this failure, when the CLI has one.
    /// For [`ProcessError::Failed`] it contains the program's stderr: show it to the user (as
    /// `aws` does), never log it. `None`: the CLI has no such failure (it would hang, or eat
    /// memory) or its wording depends on Python internals we do not reproduce.
    pub fn cli_message(&self) -> Option<String> {
        match self {
            ProcessError::Split(e) => Some(e.to_string()),
            ProcessError::EmptyCommand => Some("list index out of range".into()),
            ProcessError::Spawn { filename, errno } => Some(errno_message(*errno, filename)),
            ProcessError::Failed { stderr, .. } => {
                Some(match pyfmt::decode_utf8(stderr.expose()) {
                    Ok(text) => format!("{CLI_PREFIX}{text}"),
                    Err(decode) => decode,
                })
            }
            ProcessError::Output(e) => e.cli_message(),
            ProcessError::StillExpired => Some(STILL_EXPIRED.into()),
            ProcessError::RelativeCwd(_)
            | ProcessError::Timeout { .. }
            | ProcessError::Flood { .. }
            | ProcessError::Io(_) => None,
        }
    }
}

impl fmt::Display for ProcessError {
    /// Safe to log: never includes the program's output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProcessError::Split(e) => write!(f, "credential_process could not be split: {e}"),
            ProcessError::EmptyCommand => f.write_str("credential_process is empty"),
            ProcessError::RelativeCwd(p) => write!(f, "working directory is not absolute: {p:?}"),
            ProcessError::Spawn { filename, errno } => {
                f.write_str(&errno_message(*errno, filename))
            }
            ProcessError::Timeout { limit } => {
                write!(
                    f,
                    "credential_process ran longer than {limit:?} and was killed"
                )
            }
            ProcessError::Flood { stream, limit } => write!(
                f,
                "credential_process wrote more than {limit} bytes to {} and was killed",
                if *stream == Stream::Stdout {
                    "stdout"
                } else {
                    "stderr"
                }
            ),
            ProcessError::Failed { exit, stderr } => {
                let how = match exit {
                    Exit::Code(c) => format!("exit status {c}"),
                    Exit::Signal(s) => format!("signal {s}"),
                };
                write!(
                    f,
                    "credential_process failed ({how}); its stderr ({} bytes) is withheld",
                    stderr.len()
                )
            }
            ProcessError::Output(e) => write!(f, "credential_process output: {e}"),
            ProcessError::StillExpired => f.write_str(STILL_EXPIRED),
            ProcessError::Io(e) => write!(f, "credential_process: {e}"),
        }
    }
}

impl std::error::Error for ProcessError {}

/// Python's `str(OSError(errno, strerror, filename))`.
fn errno_message(errno: i32, filename: &str) -> String {
    let text = io::Error::from_raw_os_error(errno).to_string();
    let strerror = text
        .strip_suffix(&format!(" (os error {errno})"))
        .unwrap_or(&text);
    format!("[Errno {errno}] {strerror}: {}", pyfmt::str_repr(filename))
}

/// The program's output when it exited 0. stdout holds secrets and is wiped on drop.
pub struct Output {
    pub stdout: Zeroizing<Vec<u8>>,
    pub stderr: PossiblySecret,
}

/// Split the command as the CLI does; an empty list is the CLI's `IndexError`.
pub fn split_command(command: &str) -> Result<Vec<String>, ProcessError> {
    let argv = shlex::split(command).map_err(ProcessError::Split)?;
    if argv.is_empty() {
        return Err(ProcessError::EmptyCommand);
    }
    Ok(argv)
}

fn lookup_var<'a>(env: &'a [(OsString, OsString)], name: &str) -> Option<&'a OsStr> {
    env.iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_os_str())
}

/// The paths Python's `subprocess` tries for `program`, in order.
pub fn candidates(program: &str, cwd: &Path, env: &[(OsString, OsString)]) -> Vec<PathBuf> {
    if program.contains('/') {
        return vec![cwd.join(program)];
    }
    let path = lookup_var(env, "PATH").unwrap_or(OsStr::new("/bin:/usr/bin"));
    path.as_bytes()
        .split(|b| *b == b':')
        .map(|dir| cwd.join(OsStr::from_bytes(dir)).join(program))
        .collect()
}

fn spawn(argv: &[String], spec: &ProcessSpec<'_>) -> Result<Child, ProcessError> {
    if !spec.cwd.is_absolute() {
        return Err(ProcessError::RelativeCwd(spec.cwd.to_path_buf()));
    }
    // The directory must exist; search permission is enough (as for `cd`), so no read_dir.
    let cwd_errno = match std::fs::metadata(spec.cwd) {
        Ok(m) if m.is_dir() => None,
        Ok(_) => Some(libc::ENOTDIR),
        Err(e) => Some(e.raw_os_error().unwrap_or(libc::ENOENT)),
    };
    if let Some(errno) = cwd_errno {
        return Err(ProcessError::Spawn {
            filename: spec.cwd.to_string_lossy().into(),
            errno,
        });
    }
    let mut first_error: Option<i32> = None;
    let mut last_error = libc::ENOENT;
    let mut busy_waits = 0;
    for path in candidates(&argv[0], spec.cwd, spec.env) {
        let mut cmd = Command::new(&path);
        cmd.arg0(&argv[0])
            .args(&argv[1..])
            .env_clear()
            .envs(spec.env.iter().map(|(k, v)| (k, v)))
            .current_dir(spec.cwd)
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // A program file still open for writing somewhere (ETXTBSY: just written, or held
        // for a moment by another thread's fork before its exec) is tried again, for at most
        // 100 ms in all.
        let spawned = loop {
            match cmd.spawn() {
                Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) && busy_waits < 20 => {
                    busy_waits += 1;
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                other => break other,
            }
        };
        match spawned {
            Ok(child) => return Ok(child),
            Err(e) => {
                let errno = e.raw_os_error().unwrap_or(libc::EIO);
                last_error = errno;
                if errno != libc::ENOENT && errno != libc::ENOTDIR && first_error.is_none() {
                    first_error = Some(errno);
                }
            }
        }
    }
    Err(ProcessError::Spawn {
        filename: argv[0].clone(),
        errno: first_error.unwrap_or(last_error),
    })
}

fn set_nonblocking(fd: RawFd) -> io::Result<()> {
    // SAFETY: fcntl on a descriptor we own; no memory is passed.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn millis_until(deadline: Instant) -> i32 {
    let left = deadline.saturating_duration_since(Instant::now());
    // Round up so that a poll never returns just before the deadline in a busy loop.
    left.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32
}

/// Has the child exited? Leaves it a zombie (not reaped) so its process group id stays ours.
fn exited(pid: libc::pid_t) -> io::Result<bool> {
    // SAFETY: siginfo_t is plain data; waitid writes into it.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    let rc = unsafe {
        libc::waitid(
            libc::P_PID,
            pid as libc::id_t,
            &mut info,
            libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: si_pid is valid to read after waitid succeeded.
    Ok(unsafe { info.si_pid() } != 0)
}

/// A pidfd (Linux 5.3+): readable once the process has exited; does not reap.
struct PidFd(std::os::fd::OwnedFd);

impl PidFd {
    fn open(pid: libc::pid_t) -> Option<PidFd> {
        // SAFETY: plain syscall; on success it returns a new descriptor that we own.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        if fd < 0 {
            return None;
        }
        // SAFETY: fd is a fresh descriptor owned by nobody else.
        Some(PidFd(unsafe {
            std::os::fd::FromRawFd::from_raw_fd(fd as RawFd)
        }))
    }

    fn wait(&self, millis: i32) {
        let mut pfd = libc::pollfd {
            fd: self.0.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd for the duration of the call. EINTR or a timeout just loops.
        unsafe { libc::poll(&mut pfd, 1, millis) };
    }
}

struct Group {
    child: Child,
}

impl Group {
    /// SIGKILL the whole group, then reap the leader.
    fn kill(mut self) {
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: plain syscall. The leader is not reaped yet, so the group id is still ours.
        unsafe { libc::kill(-pid, libc::SIGKILL) };
        let _ = self.child.wait();
    }
}

/// Run the program once and collect its output. A non-zero exit is [`ProcessError::Failed`].
pub fn run(spec: &ProcessSpec<'_>) -> Result<Output, ProcessError> {
    let argv = split_command(spec.command)?;
    let started = Instant::now();
    let deadline = started + spec.limits.timeout;
    let mut child = spawn(&argv, spec)?;
    let mut out = child.stdout.take().expect("stdout is piped");
    let mut err = child.stderr.take().expect("stderr is piped");
    let group = Group { child };
    let timeout = || ProcessError::Timeout {
        limit: spec.limits.timeout,
    };
    if let Err(e) = set_nonblocking(out.as_raw_fd()).and_then(|_| set_nonblocking(err.as_raw_fd()))
    {
        group.kill();
        return Err(ProcessError::Io(e.to_string()));
    }
    let mut stdout = Zeroizing::new(Vec::with_capacity(4096));
    let mut stderr = Zeroizing::new(Vec::new());
    let (mut out_open, mut err_open) = (true, true);
    let mut chunk = Zeroizing::new(vec![0u8; 64 * 1024]);
    while out_open || err_open {
        let wait = millis_until(deadline);
        if wait == 0 {
            group.kill();
            return Err(timeout());
        }
        let mut fds = [
            libc::pollfd {
                fd: if out_open { out.as_raw_fd() } else { -1 },
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: if err_open { err.as_raw_fd() } else { -1 },
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        // SAFETY: fds is a valid array of two pollfd for the duration of the call.
        let rc = unsafe { libc::poll(fds.as_mut_ptr(), 2, wait) };
        if rc < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            group.kill();
            return Err(ProcessError::Io(e.to_string()));
        }
        for (i, pfd) in fds.iter().enumerate() {
            if pfd.fd < 0 || pfd.revents == 0 {
                continue;
            }
            let (reader, buf, open, limit, stream): (
                &mut dyn Read,
                &mut Vec<u8>,
                &mut bool,
                usize,
                Stream,
            ) = if i == 0 {
                (
                    &mut out,
                    &mut stdout,
                    &mut out_open,
                    spec.limits.max_stdout,
                    Stream::Stdout,
                )
            } else {
                (
                    &mut err,
                    &mut stderr,
                    &mut err_open,
                    spec.limits.max_stderr,
                    Stream::Stderr,
                )
            };
            loop {
                match reader.read(&mut chunk) {
                    Ok(0) => {
                        *open = false;
                        break;
                    }
                    Ok(n) => {
                        if buf.len() + n > limit {
                            group.kill();
                            return Err(ProcessError::Flood { stream, limit });
                        }
                        buf.extend_from_slice(&chunk[..n]);
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        group.kill();
                        return Err(ProcessError::Io(e.to_string()));
                    }
                }
            }
        }
    }
    // Both streams are closed; wait for the leader to exit, still under the deadline.
    let pid = group.child.id() as libc::pid_t;
    let pidfd = PidFd::open(pid);
    let mut nap = Duration::from_micros(50);
    loop {
        match exited(pid) {
            Ok(true) => break,
            Ok(false) => {}
            Err(e) => {
                group.kill();
                return Err(ProcessError::Io(e.to_string()));
            }
        }
        let wait = millis_until(deadline);
        if wait == 0 {
            group.kill();
            return Err(timeout());
        }
        match &pidfd {
            Some(fd) => fd.wait(wait),
            None => {
                // No pidfd (old kernel): poll with a growing nap.
                std::thread::sleep(nap.min(deadline.saturating_duration_since(Instant::now())));
                nap = (nap * 2).min(Duration::from_millis(5));
            }
        }
    }
    let mut group = group;
    let status = group
        .child
        .wait()
        .map_err(|e| ProcessError::Io(e.to_string()))?;
    let stderr = PossiblySecret::new(std::mem::take(&mut *stderr));
    match (status.code(), status.signal()) {
        (Some(0), _) => Ok(Output { stdout, stderr }),
        (Some(code), _) => Err(ProcessError::Failed {
            exit: Exit::Code(code),
            stderr,
        }),
        (None, Some(sig)) => Err(ProcessError::Failed {
            exit: Exit::Signal(sig),
            stderr,
        }),
        (None, None) => Err(ProcessError::Io("unknown exit status".into())),
    }
}

/// Run once and read the credentials; the expiry is not judged (see [`fetch_like_cli`]).
pub fn fetch_once(spec: &ProcessSpec<'_>) -> Result<Credentials, ProcessError> {
    let output = run(spec)?;
    process_output::parse(&output.stdout).map_err(ProcessError::Output)
}

fn remaining(creds: &Credentials, now: SystemTime) -> Option<i128> {
    let exp = creds.expiration?;
    let exp = crate::timestamp::from_system_time(exp) as i128;
    Some(exp - crate::timestamp::from_system_time(now) as i128)
}

/// What the CLI ends up with: run the program; if its credentials expire within 15 minutes,
/// run it again as botocore's refresh does. A failed second run is an error within 10 minutes of
/// expiry (and the first credentials are kept otherwise); second credentials that are already
/// expired are the CLI's [`STILL_EXPIRED`] error. `now` is read after each run.
pub fn fetch_like_cli(
    spec: &ProcessSpec<'_>,
    now: &dyn Fn() -> SystemTime,
) -> Result<Credentials, ProcessError> {
    let first = fetch_once(spec)?;
    let Some(left) = remaining(&first, now()) else {
        return Ok(first);
    };
    if left >= ADVISORY_REFRESH.as_micros() as i128 {
        return Ok(first);
    }
    let mandatory = left < MANDATORY_REFRESH.as_micros() as i128;
    // botocore's `_protected_refresh`: only the retrieval is guarded by the advisory rule;
    // interpreting the new Expiration (`_set_from_data`) fails loudly either way.
    let fields = match run(spec)
        .and_then(|out| process_output::parse_fields(&out.stdout).map_err(ProcessError::Output))
    {
        Ok(fields) => fields,
        Err(e) if mandatory => return Err(e),
        Err(_) => return Ok(first),
    };
    let process_output::Fields {
        mut creds,
        expiration,
    } = fields;
    let Some(exp) = expiration else {
        return Err(ProcessError::Output(OutputError::ExpirationType(
            "NoneType",
        )));
    };
    let exp = process_output::parse_expiration(&exp).map_err(ProcessError::Output)?;
    creds.expiration = Some(crate::timestamp::to_system_time(exp));
    if remaining(&creds, now()).is_some_and(|l| l < 0) {
        return Err(ProcessError::StillExpired);
    }
    Ok(creds)
}

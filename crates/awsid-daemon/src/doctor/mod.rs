//! `awsidd doctor` (what `awsid doctor` execs): why this shell has the identity it has, and
//! how awsid is doing. It runs in the shell's own environment, as a one-shot process beside
//! (never inside) the running daemon, so it works when that daemon is stopped, of another
//! build, or running with a broken configuration.
//!
//! - [`explain`]: which credential source wins, and why;
//! - this file: the steps (timed) that gather the report;
//! - [`report`]: the report as text or JSON.

pub mod explain;
mod report;

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use awsid_proto::envvars::{self, is_fingerprint_var};
use awsid_proto::frame;
use awsid_proto::msg::{
    read_answer, Answer, Env, Reply, Request, ResolveOutcome, Status, WhoamiRequest,
};
use awsid_proto::{codec, runtime, VERSION};

use crate::fingerprint::Key;
use crate::handler::plan::{self as planning, plan_with, Planned};
use crate::state::FileCache;

const USAGE: &str = "\
Usage: awsidd doctor [--json] [--offline] [--profile NAME]

Explains this shell's AWS identity and awsid's state (run it as `awsid doctor`).
";

/// How long the identity step may take (STS, or the daemon waiting on STS).
const IDENTITY_TIMEOUT: Duration = Duration::from_secs(15);

struct Args {
    json: bool,
    offline: bool,
    profile: Option<String>,
    client_version: Option<String>,
    client_exe: Option<String>,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut out = Args {
        json: false,
        offline: false,
        profile: None,
        client_version: None,
        client_exe: None,
    };
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--json" => out.json = true,
            "--offline" => out.offline = true,
            "--profile" => out.profile = Some(value("--profile")?),
            "--client-version" => out.client_version = Some(value("--client-version")?),
            "--client-exe" => out.client_exe = Some(value("--client-exe")?),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(out)
}

pub fn main(args: impl Iterator<Item = String>) -> ExitCode {
    let args = match parse_args(args) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("awsidd doctor: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let report = gather(&args);
    let text = if args.json {
        report::json(&report)
    } else {
        report::human(&report)
    };
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
    if report.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Everything the report shows.
pub struct Report {
    pub client_version: Option<String>,
    pub client_exe: Option<String>,
    pub daemon_exe: Option<String>,
    pub credentials: explain::Explanation,
    pub fingerprint: FingerprintInputs,
    pub config: ConfigState,
    pub daemon: DaemonState,
    pub identity: Option<IdentityState>,
    pub steps: Vec<(&'static str, Duration)>,
    pub problems: Vec<String>,
    pub now: i64,
}

pub struct FingerprintInputs {
    pub variables: Vec<String>,
    pub files: Vec<(PathBuf, bool)>,
    /// PATH is part of the key (a credential_process or metadata source is in the chain).
    pub includes_path: bool,
    pub profile_override: Option<String>,
}

pub struct ConfigState {
    pub path: Option<PathBuf>,
    pub exists: bool,
    pub error: Option<String>,
    /// The settings in force here (the file's, or the defaults when it is absent or broken).
    pub settings: Vec<(&'static str, String)>,
}

pub struct DaemonState {
    pub runtime_dir: PathBuf,
    pub dir_mode: Option<u32>,
    pub dir_owner: Option<u32>,
    pub dir_problem: Option<String>,
    pub socket: PathBuf,
    pub socket_mode: Option<u32>,
    pub socket_owner: Option<u32>,
    pub log_file: PathBuf,
    pub running: Running,
}

pub enum Running {
    No,
    Yes(Status),
    /// Another build answered (its version or protocol).
    OtherBuild(String),
    /// Something is wrong with the socket or the connection.
    Broken(String),
}

pub struct IdentityState {
    /// `cache`, `sts-via-daemon`, `sts-direct`, or `nobody` (a named profile is missing).
    pub answered_by: &'static str,
    pub result: Result<(String, String, String), String>,
    pub took: Duration,
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn timed<T>(
    steps: &mut Vec<(&'static str, Duration)>,
    name: &'static str,
    f: impl FnOnce() -> T,
) -> T {
    let start = Instant::now();
    let out = f();
    steps.push((name, start.elapsed()));
    out
}

/// This process's environment as a client sends it on a miss, and as text for the
/// explanation.
fn environment() -> (Env, BTreeMap<String, String>) {
    let env = envvars::current(true);
    let text = env
        .iter()
        .map(|(k, v)| {
            (
                String::from_utf8_lossy(k).into_owned(),
                String::from_utf8_lossy(v).into_owned(),
            )
        })
        .collect();
    (env, text)
}

fn gather(args: &Args) -> Report {
    let mut steps = Vec::new();
    let mut problems = Vec::new();
    let now = now_unix();
    let (env, vars) = timed(&mut steps, "environment", environment);
    let var = |n: &str| vars.get(n).filter(|v| !v.is_empty()).cloned();
    let home = var("HOME").map(PathBuf::from);

    let (credentials, fingerprint, cli_error) = timed(&mut steps, "credentials", || {
        // The daemon's own plan for this environment: the chain's walk, the files in the
        // fingerprint, and the CLI's error that stops a request before any lookup.
        let cwd = envvars::cwd();
        let planned = plan_with(
            &FileCache::default(),
            &Key::random(),
            home.as_deref(),
            &planning::Request {
                env: &env,
                full_env: true,
                cwd: cwd.as_deref(),
                profile_override: args.profile.as_deref(),
                region_override: None,
                call_options: &[],
                call_file: None,
            },
        );
        let (chain, watched, opaque, whole_env, cli_error) = match planned {
            Planned::Ready(p) => {
                let whole = p.chain.whole_env;
                (p.chain, p.files, p.opaque, whole, None)
            }
            Planned::Refused(r) => (r.chain, r.files, false, false, Some(r.error.to_string())),
            Planned::NeedEnv => unreachable!("the doctor plans with the whole environment"),
        };
        let ex = explain::explain(&chain, &awsid_aws::select::Vars::from_env(&env), now);
        let fp = FingerprintInputs {
            variables: vars
                .keys()
                .filter(|k| {
                    if whole_env {
                        !crate::handler::plan::VOLATILE.contains(&k.as_bytes())
                    } else {
                        is_fingerprint_var(k.as_bytes()) && k.as_str() != "PATH"
                    }
                })
                .cloned()
                .collect(),
            files: watched
                .into_iter()
                .map(|f| {
                    let exists = f.exists();
                    (f, exists)
                })
                .collect(),
            includes_path: whole_env,
            profile_override: args.profile.clone(),
        };
        let _ = opaque;
        (ex, fp, cli_error)
    });
    problems.extend(credentials.problems.iter().cloned());

    let config = timed(&mut steps, "config", config_state);
    if let Some(e) = &config.error {
        problems.push(format!(
            "the configuration file is broken ({e}); awsidd keeps the last good one, or the \
             defaults when it starts"
        ));
    }

    let daemon = timed(&mut steps, "daemon", daemon_state);
    if let Some(p) = &daemon.dir_problem {
        problems.push(p.clone());
    }
    match &daemon.running {
        Running::OtherBuild(v) => problems.push(format!(
            "awsidd {v} is running, not this build ({VERSION}): `awsid daemon restart` replaces it \
             (any awsid command also does)"
        )),
        Running::Broken(e) => problems.push(format!("cannot talk to awsidd: {e}")),
        _ => {}
    }
    if let (Some(cv), true) = (
        &args.client_version,
        args.client_version.as_deref() != Some(VERSION),
    ) {
        problems.push(format!(
            "awsid {cv} and awsidd {VERSION} are different builds: install both from the same \
             version"
        ));
    }

    let identity = if args.offline {
        None
    } else {
        let started = Instant::now();
        let (answered_by, result) = identity(&daemon, env, args.profile.as_deref(), cli_error);
        steps.push(("identity", started.elapsed()));
        if let Err(e) = &result {
            problems.push(format!("no identity: {e}"));
        }
        Some(IdentityState {
            answered_by,
            result,
            took: started.elapsed(),
        })
    };

    // The daemon's counters as they are now, this report's own request included.
    let mut daemon = daemon;
    if identity.is_some() && matches!(daemon.running, Running::Yes(_)) {
        if let Ok(Asked::Ours(Reply::Status(s))) =
            ask(&daemon.socket, &Request::Status, Duration::from_secs(3))
        {
            daemon.running = Running::Yes(s);
        }
    }

    Report {
        client_version: args.client_version.clone(),
        client_exe: args.client_exe.clone(),
        daemon_exe: std::env::current_exe()
            .ok()
            .map(|p| p.display().to_string()),
        credentials,
        fingerprint,
        config,
        daemon,
        identity,
        steps,
        problems,
        now,
    }
}

fn config_state() -> ConfigState {
    let path = crate::config::path();
    let exists = path.as_deref().is_some_and(Path::exists);
    let (config, error) = match path.as_deref().filter(|_| exists) {
        Some(p) => match std::fs::read_to_string(p)
            .map_err(|e| e.to_string())
            .and_then(|t| crate::config::Config::parse(&t))
        {
            Ok(c) => (c, None),
            Err(e) => (crate::config::Config::defaults(), Some(e)),
        },
        None => (crate::config::Config::defaults(), None),
    };
    let idle = match config.daemon.idle_timeout_secs {
        0 => "never".to_string(),
        s => format!("after {s} s"),
    };
    let mut settings = vec![
        ("prompt.format", format!("{:?}", config.prompt.format)),
        ("prompt.style", format!("{:?}", config.prompt.style)),
        ("prompt.budget_ms", config.prompt.budget_ms.to_string()),
        (
            "prompt.expires_within_minutes",
            config.prompt.expires_within_minutes.to_string(),
        ),
        (
            "prompt.alias_lookup",
            config.prompt.alias_lookup.to_string(),
        ),
        ("accounts", format!("{} named", config.accounts.len())),
        ("class", format!("{} style classes", config.classes.len())),
        (
            "daemon.refresh_secs",
            config.daemon.refresh_secs.to_string(),
        ),
        ("daemon.idle_timeout_secs", idle),
    ];
    if let Some(v) = std::env::var("AWSID_IDLE_TIMEOUT")
        .ok()
        .filter(|v| !v.is_empty())
    {
        settings.push(("AWSID_IDLE_TIMEOUT", v));
    }
    ConfigState {
        path,
        exists,
        error,
        settings,
    }
}

fn daemon_state() -> DaemonState {
    let dir = runtime::runtime_dir();
    let socket = dir.join(runtime::SOCKET_NAME);
    let dir_meta = std::fs::symlink_metadata(&dir).ok();
    let dir_problem = match &dir_meta {
        None => None, // created on first use
        Some(_) => runtime::check_dir(&dir).err().map(|e| e.to_string()),
    };
    let sock_meta = std::fs::symlink_metadata(&socket).ok();
    let running = match &sock_meta {
        // Whoever could write there could have put an impostor on the socket: the doctor
        // sends it nothing, like every other client.
        _ if dir_problem.is_some() => {
            Running::Broken("not asked: its runtime directory is refused".into())
        }
        None => Running::No,
        Some(m) if !m.file_type().is_socket() => {
            Running::Broken(format!("{} is not a socket", socket.display()))
        }
        Some(_) => match ask(&socket, &Request::Status, Duration::from_secs(3)) {
            Ok(Asked::Ours(Reply::Status(s))) => Running::Yes(s),
            Ok(Asked::Ours(other)) => Running::Broken(format!("unexpected reply {other:?}")),
            Ok(Asked::Other(v)) => Running::OtherBuild(v),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::NotFound
                ) =>
            {
                Running::No
            }
            Err(e) => Running::Broken(e.to_string()),
        },
    };
    DaemonState {
        runtime_dir: dir,
        dir_mode: dir_meta.as_ref().map(|m| m.permissions().mode() & 0o7777),
        dir_owner: dir_meta.as_ref().map(|m| m.uid()),
        dir_problem,
        socket,
        socket_mode: sock_meta.as_ref().map(|m| m.permissions().mode() & 0o7777),
        socket_owner: sock_meta.as_ref().map(|m| m.uid()),
        log_file: runtime::log_file(),
        running,
    }
}

enum Asked {
    Ours(Reply),
    Other(String),
}

/// One request to the running daemon (plain blocking socket; this is a one-shot process).
fn ask(socket: &Path, req: &Request, timeout: Duration) -> std::io::Result<Asked> {
    let mut s = connect(socket, Duration::from_secs(3))?;
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(Duration::from_secs(5)))?;
    frame::write_frame(&mut s, &codec::encode(req))?;
    Ok(match read_answer(&mut s)? {
        Answer::Ours(resp) => Asked::Ours(resp.body),
        Answer::OtherVersion(v) => Asked::Other(v),
    })
}

/// Connects within `limit`: a daemon that stopped accepting (its backlog full) would block
/// `connect` itself. On time-out the connecting thread is left behind; this process ends soon.
fn connect(socket: &Path, limit: Duration) -> std::io::Result<std::os::unix::net::UnixStream> {
    let (tx, rx) = std::sync::mpsc::channel();
    let path = socket.to_owned();
    std::thread::spawn(move || {
        let _ = tx.send(std::os::unix::net::UnixStream::connect(path));
    });
    rx.recv_timeout(limit).unwrap_or_else(|_| {
        Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "the daemon does not accept connections",
        ))
    })
}

type Who = Result<(String, String, String), String>;

/// The identity: from the running daemon (as `awsid whoami` would get it), else straight from
/// STS through the resolver, in this environment.
fn identity(
    daemon: &DaemonState,
    env: Env,
    profile: Option<&str>,
    cli_error: Option<String>,
) -> (&'static str, Who) {
    if let Running::Yes(before) = &daemon.running {
        let mut req = WhoamiRequest {
            env: env
                .iter()
                .filter(|(k, _)| is_fingerprint_var(k))
                .cloned()
                .collect(),
            full_env: false,
            cwd: None,
            profile: profile.map(str::to_string),
            output: Some("json".into()),
            query: None,
            term_width: None,
            timeout_ms: IDENTITY_TIMEOUT.as_millis() as u32,
            options: Default::default(),
        };
        let timeout = IDENTITY_TIMEOUT + Duration::from_secs(2);
        for _ in 0..2 {
            match ask(&daemon.socket, &Request::Whoami(req.clone()), timeout) {
                Ok(Asked::Ours(Reply::NeedEnv)) if !req.full_env => {
                    req.env = env.clone();
                    req.full_env = true;
                    req.cwd = awsid_proto::envvars::cwd();
                }
                Ok(Asked::Ours(Reply::Whoami(w))) => {
                    let after = match ask(&daemon.socket, &Request::Status, timeout) {
                        Ok(Asked::Ours(Reply::Status(s))) => Some(s),
                        _ => None,
                    };
                    let by = match after {
                        Some(a) if a.sts_calls > before.sts_calls => "sts-via-daemon",
                        Some(_) => "cache",
                        None => "sts-via-daemon",
                    };
                    let result = if w.exit_code == 0 {
                        parse_whoami_json(&w.stdout)
                    } else {
                        Err(safe_error(&w))
                    };
                    return (by, result);
                }
                Ok(Asked::Ours(other)) => {
                    return ("sts-via-daemon", Err(format!("unexpected reply {other:?}")))
                }
                Ok(Asked::Other(_)) | Err(_) => break, // fall back to asking directly
            }
        }
    }
    // A named profile that does not exist is the CLI's error, decided before any lookup (the
    // SDK alone would go on to other sources).
    if let Some(message) = cli_error {
        let failure = awsid_proto::msg::Failure {
            kind: awsid_proto::msg::FailureKind::ProfileNotFound,
            code: None,
            message,
        };
        return ("nobody", Err(safe_error(&crate::render::failure(&failure))));
    }
    ("sts-direct", direct(env, profile))
}

/// The error as the report may show it: the CLI's first line, or for failures whose text can
/// quote a secret only their kind (`awsid whoami` in the shell prints all of it).
fn safe_error(w: &awsid_proto::msg::WhoamiReply) -> String {
    match w.failure {
        Some(kind) => crate::render::safe_summary(kind, None, &w.stderr),
        None => w
            .stderr
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or_default()
            .to_string(),
    }
}

fn parse_whoami_json(text: &str) -> Who {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("unreadable answer: {e}"))?;
    let field = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
    Ok((field("Account"), field("Arn"), field("UserId")))
}

/// Resolves in a resolver child, as the daemon would, without the daemon.
fn direct(env: Env, profile: Option<&str>) -> Who {
    let exe = match std::env::var_os("AWSID_RESOLVER").filter(|v| !v.is_empty()) {
        Some(p) => PathBuf::from(p),
        None => std::env::current_exe().map_err(|e| e.to_string())?,
    };
    let args: Vec<String> = profile
        .filter(|p| !p.is_empty())
        .map(|p| vec!["--profile".to_string(), p.to_string()])
        .unwrap_or_default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let limit = tokio::sync::Semaphore::new(1);
    let outcome = runtime.block_on(async {
        tokio::time::timeout(
            IDENTITY_TIMEOUT,
            crate::resolve::run(&exe, env, envvars::cwd(), &args, &limit),
        )
        .await
    });
    match outcome {
        Err(_) => Err(format!(
            "no answer from STS within {} s",
            IDENTITY_TIMEOUT.as_secs()
        )),
        Ok(ResolveOutcome::Identity(id)) => Ok((id.account, id.arn, id.user_id)),
        Ok(ResolveOutcome::Failure(f)) => Err(safe_error(&crate::render::failure(&f))),
    }
}

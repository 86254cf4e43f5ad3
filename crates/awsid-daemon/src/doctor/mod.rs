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

use awsid_proto::client::{unexpected, Client, ClientError};
use awsid_proto::envvars::{self, is_fingerprint_var};
use awsid_proto::msg::{
    Answered, CallerIdentity, Env, PromptRequest, Reply, Request, Shell, Status, WhoamiRequest,
};
use awsid_proto::{runtime, VERSION};
use serde::Serialize;

use crate::fingerprint::Key;
use crate::handler::plan::{self as planning, plan_with, Planned};
use crate::resolve::child::configured_endpoint;
use crate::resolve::outcome::{CliFailure, ResolveOutcome};
use crate::state::FileCache;

const USAGE: &str = "\
Usage: awsidd doctor [--json] [--offline] [--profile NAME]

Explains this shell's AWS identity and awsid's state (run it as `awsid doctor`).
";

/// How long the identity step may take (STS, or the daemon waiting on STS).
const IDENTITY_TIMEOUT: Duration = Duration::from_secs(15);
/// How long the daemon may take for anything else.
const DAEMON_TIMEOUT: Duration = Duration::from_secs(3);
/// The variable the shell hooks export: `<shell>:<pid of the shell that loaded it>`.
pub const HOOK_VAR: &str = "AWSID_HOOK";

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

/// Everything the report shows, as both the text and the JSON report show it.
#[derive(Serialize)]
pub struct Report {
    #[serde(rename = "awsid_version")]
    pub client_version: Option<String>,
    #[serde(rename = "awsid_path")]
    pub client_exe: Option<String>,
    pub awsidd_version: &'static str,
    #[serde(rename = "awsidd_path")]
    pub daemon_exe: Option<String>,
    pub setup: Setup,
    pub credentials: explain::Explanation,
    pub identity: Option<IdentityState>,
    pub fingerprint: FingerprintInputs,
    pub config: ConfigState,
    pub daemon: DaemonState,
    pub steps: Vec<Step>,
    pub problems: Vec<Problem>,
    #[serde(skip)]
    pub now: i64,
}

/// Something wrong. The JSON report lists its whole text; the text report prints an error
/// once: where `see` names the section that shows it, only `short` is repeated here.
pub struct Problem {
    pub text: String,
    pub short: Option<(&'static str, String)>,
}

impl Problem {
    fn new(text: impl Into<String>) -> Problem {
        Problem {
            text: text.into(),
            short: None,
        }
    }

    /// A problem whose details `section` shows.
    fn shown_in(text: String, section: &'static str, short: impl Into<String>) -> Problem {
        Problem {
            text,
            short: Some((section, short.into())),
        }
    }
}

impl Serialize for Problem {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

/// The prompt integration of this shell.
#[derive(Serialize)]
pub struct Setup {
    pub hook: Hook,
    /// What this shell's prompt shows now (without colours), when awsidd was asked.
    pub segment: Option<String>,
    /// The STS endpoint a lookup in this environment talks to.
    pub sts_endpoint: String,
}

/// Whether this shell loaded awsid's hook (`awsid init`), from the variable the hook exports.
#[derive(Serialize, PartialEq, Debug)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Hook {
    /// The hook of this shell.
    Loaded {
        shell: String,
    },
    /// Exported by another process (the shell that started this one): this shell may not
    /// have its own.
    Inherited {
        shell: String,
        pid: u32,
    },
    NotLoaded,
}

#[derive(Serialize)]
pub struct FingerprintInputs {
    pub variables: Vec<String>,
    pub files: Vec<WatchedFile>,
    /// PATH is part of the key (a credential_process or metadata source is in the chain).
    pub includes_path: bool,
    pub profile_override: Option<String>,
}

#[derive(Serialize)]
pub struct WatchedFile {
    #[serde(serialize_with = "report::path")]
    pub path: PathBuf,
    pub exists: bool,
}

#[derive(Serialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ConfigSource {
    File,
    Defaults,
}

#[derive(Serialize)]
pub struct ConfigState {
    #[serde(serialize_with = "report::opt_path")]
    pub path: Option<PathBuf>,
    pub exists: bool,
    pub source: ConfigSource,
    pub error: Option<String>,
    /// The settings in force here (the file's, or the defaults when it is absent or broken).
    #[serde(serialize_with = "report::settings")]
    pub settings: Vec<(&'static str, String)>,
}

#[derive(Serialize)]
pub struct DaemonState {
    #[serde(flatten)]
    pub running: Running,
    #[serde(serialize_with = "report::path")]
    pub socket: PathBuf,
    #[serde(serialize_with = "report::octal")]
    pub socket_mode: Option<u32>,
    pub socket_owner: Option<u32>,
    #[serde(serialize_with = "report::path")]
    pub runtime_dir: PathBuf,
    #[serde(rename = "runtime_dir_mode", serialize_with = "report::octal")]
    pub dir_mode: Option<u32>,
    #[serde(rename = "runtime_dir_owner")]
    pub dir_owner: Option<u32>,
    #[serde(rename = "runtime_dir_problem")]
    pub dir_problem: Option<String>,
    #[serde(serialize_with = "report::path")]
    pub log_file: PathBuf,
}

#[derive(Serialize)]
#[serde(tag = "state", content = "status")]
pub enum Running {
    #[serde(rename = "stopped")]
    No,
    #[serde(rename = "running")]
    Yes(#[serde(with = "report::StatusDef")] Status),
    /// Another build answered (its version or protocol).
    #[serde(rename = "other-build")]
    OtherBuild { version: String },
    /// Something is wrong with the socket or the connection.
    #[serde(rename = "unreachable")]
    Broken { error: String },
}

/// Who gave the identity.
#[derive(Serialize, Clone, Copy, PartialEq, Eq, Debug)]
pub enum AnsweredBy {
    /// awsidd, from its cache.
    #[serde(rename = "cache")]
    Cache,
    /// awsidd, with a lookup for this request.
    #[serde(rename = "daemon-lookup")]
    DaemonLookup,
    /// The doctor's own lookup (awsidd stopped, of another build, or not trusted).
    #[serde(rename = "direct-lookup")]
    Direct,
    /// Nobody: the AWS CLI stops before any lookup.
    #[serde(rename = "nobody")]
    Nobody,
}

/// The caller identity, as the report shows it.
#[derive(Serialize, Clone, PartialEq, Debug)]
pub struct Who {
    pub account: String,
    pub arn: String,
    pub user_id: String,
}

impl From<CallerIdentity> for Who {
    fn from(c: CallerIdentity) -> Who {
        Who {
            account: c.account,
            arn: c.arn,
            user_id: c.user_id,
        }
    }
}

#[derive(Serialize)]
pub struct IdentityState {
    /// The error is one the explanation's problems word already.
    #[serde(skip)]
    pub explained: bool,
    pub ok: bool,
    #[serde(flatten)]
    pub who: Option<Who>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub answered_by: AnsweredBy,
    #[serde(rename = "ms", serialize_with = "report::ms")]
    pub took: Duration,
}

#[derive(Serialize)]
pub struct Step {
    pub step: &'static str,
    #[serde(serialize_with = "report::ms")]
    pub ms: Duration,
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn timed<T>(steps: &mut Vec<Step>, name: &'static str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    steps.push(Step {
        step: name,
        ms: start.elapsed(),
    });
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

    let (credentials, fingerprint, cli_error, sts_endpoint) =
        timed(&mut steps, "credentials", || {
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
                },
            );
            let (chain, watched, whole_env, cli_error) = match planned {
                Planned::Ready(p) => {
                    let whole = p.chain.whole_env;
                    (p.chain, p.files, whole, None)
                }
                Planned::Refused(r) => (r.chain, r.files, false, Some(r.error)),
                Planned::NeedEnv => unreachable!("the doctor plans with the whole environment"),
            };
            let plan_vars = awsid_aws::select::Vars::from_env(&env);
            let ex = explain::explain(&chain, &plan_vars, now);
            // The resolver's own rule, else the default endpoint for the region.
            let endpoint = configured_endpoint(&chain, &plan_vars, &chain.files_read)
                .map(|(url, _)| crate::render::sanitize(&url).into_owned())
                .unwrap_or_else(|| {
                    crate::resolve::endpoint(&env, chain.region.as_ref().map(|(r, _)| r.as_str()))
                });
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
                    .map(|path| WatchedFile {
                        exists: path.exists(),
                        path,
                    })
                    .collect(),
                includes_path: whole_env,
                profile_override: args.profile.clone(),
            };
            (ex, fp, cli_error, endpoint)
        });
    problems.extend(credentials.problems.iter().cloned().map(Problem::new));

    let config = timed(&mut steps, "config", config_state);
    if let Some(e) = &config.error {
        problems.push(Problem::shown_in(
            format!(
                "the configuration file is broken ({e}); awsidd keeps the last good one, or the \
                 defaults when it starts"
            ),
            "Configuration",
            "the configuration file is broken",
        ));
    }

    let (daemon, client) = timed(&mut steps, "daemon", daemon_state);
    if let Some(p) = &daemon.dir_problem {
        problems.push(Problem::new(p.clone()));
    }
    match &daemon.running {
        Running::OtherBuild { version } => problems.push(Problem::new(format!(
            "awsidd {version} is running, not this build ({VERSION}): `awsid daemon restart` \
             replaces it (any awsid command also does)"
        ))),
        Running::Broken { error } => {
            problems.push(Problem::new(format!("cannot talk to awsidd: {error}")))
        }
        _ => {}
    }
    if let (Some(cv), true) = (
        &args.client_version,
        args.client_version.as_deref() != Some(VERSION),
    ) {
        problems.push(Problem::new(format!(
            "awsid {cv} and awsidd {VERSION} are different builds: install both from the same \
             version"
        )));
    }

    let running = matches!(daemon.running, Running::Yes(_));
    let daemon_client = Some(&client).filter(|_| running);
    let identity = if args.offline {
        None
    } else {
        let started = Instant::now();
        let refused = cli_error.as_ref().map(|e| e.failure());
        let (answered_by, result) = identity(daemon_client, &env, args.profile.as_deref(), refused);
        let took = started.elapsed();
        steps.push(Step {
            step: "identity",
            ms: took,
        });
        // Refused before any lookup: the explanation's problems say why already.
        let explained = answered_by == AnsweredBy::Nobody && !credentials.problems.is_empty();
        if let (Err(e), false) = (&result, explained) {
            problems.push(Problem::shown_in(
                format!("no identity: {e}"),
                "Identity",
                "no identity",
            ));
        }
        Some(IdentityState {
            explained,
            ok: result.is_ok(),
            error: result.as_ref().err().cloned(),
            who: result.ok(),
            answered_by,
            took,
        })
    };

    // The segment this shell's prompt shows, from the daemon that draws it.
    let segment = match daemon_client.filter(|_| !args.offline) {
        Some(c) => timed(&mut steps, "segment", || segment(c, &env)),
        None => None,
    };
    // The daemon's counters as they are now, this report's own requests included.
    let mut daemon = daemon;
    if let (Some(c), true) = (daemon_client, identity.is_some()) {
        if let Ok(Reply::Status(s)) = c.request(&Request::Status, None) {
            daemon.running = Running::Yes(s);
        }
    }
    Report {
        client_version: args.client_version.clone(),
        client_exe: args.client_exe.clone(),
        awsidd_version: VERSION,
        daemon_exe: std::env::current_exe()
            .ok()
            .map(|p| p.display().to_string()),
        setup: Setup {
            hook: hook(var(HOOK_VAR).as_deref()),
            segment,
            sts_endpoint,
        },
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

/// What the hook's marker says about this shell. The doctor runs as `awsid doctor`, which
/// the shell started (and which became this process): the shell is this process's parent,
/// or this process itself when the shell exec'd its last command.
fn hook(marker: Option<&str>) -> Hook {
    let Some((shell, pid)) = marker.and_then(|m| m.split_once(':')) else {
        return Hook::NotLoaded;
    };
    let shell = crate::render::sanitize(shell).into_owned();
    let Ok(pid) = pid.parse::<u32>() else {
        return Hook::NotLoaded;
    };
    // SAFETY: getppid has no preconditions.
    let parent = unsafe { libc::getppid() } as u32;
    if pid == parent || pid == std::process::id() {
        Hook::Loaded { shell }
    } else {
        Hook::Inherited { shell, pid }
    }
}

/// The plain segment the running daemon draws for this environment.
fn segment(client: &Client, env: &Env) -> Option<String> {
    let req = Request::Prompt(PromptRequest {
        env: fingerprint_vars(env),
        full_env: false,
        cwd: None,
        shell: Shell::Plain,
        budget_ms: DAEMON_TIMEOUT.as_millis() as u32,
        hook_pid: None,
    });
    match client.ask(req, None, || env.clone()) {
        Ok(Reply::Prompt(p)) => Some(p.segment),
        _ => None,
    }
}

fn fingerprint_vars(env: &Env) -> Env {
    env.iter()
        .filter(|(k, _)| is_fingerprint_var(k))
        .cloned()
        .collect()
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
        source: if exists && error.is_none() {
            ConfigSource::File
        } else {
            ConfigSource::Defaults
        },
        path,
        exists,
        error,
        settings,
    }
}

/// The runtime directory and socket, and what the daemon there says about itself; with the
/// client to ask it more (once it answered).
fn daemon_state() -> (DaemonState, Client) {
    let dir = runtime::runtime_dir();
    let socket = dir.join(runtime::SOCKET_NAME);
    let dir_meta = std::fs::symlink_metadata(&dir).ok();
    let dir_problem = match &dir_meta {
        None => None, // created on first use
        Some(_) => runtime::check_dir(&dir).err().map(|e| e.to_string()),
    };
    let sock_meta = std::fs::symlink_metadata(&socket).ok();
    let mut client = Client::new(socket.clone());
    client.read_timeout = DAEMON_TIMEOUT;
    let broken = |error: String| Running::Broken { error };
    let running = match &sock_meta {
        // Whoever could write there could have put an impostor on the socket: the doctor
        // sends it nothing, like every other client.
        _ if dir_problem.is_some() => broken("not asked: its runtime directory is refused".into()),
        None => Running::No,
        Some(m) if !m.file_type().is_socket() => {
            broken(format!("{} is not a socket", socket.display()))
        }
        Some(_) => match client.request(&Request::Status, None) {
            Ok(Reply::Status(s)) => Running::Yes(s),
            Ok(other) => broken(unexpected(other).to_string()),
            Err(ClientError::NotRunning(_)) => Running::No,
            Err(ClientError::OtherBuild(version)) => Running::OtherBuild { version },
            Err(e) => broken(e.to_string()),
        },
    };
    let state = DaemonState {
        runtime_dir: dir,
        dir_mode: dir_meta.as_ref().map(|m| m.permissions().mode() & 0o7777),
        dir_owner: dir_meta.as_ref().map(|m| m.uid()),
        socket,
        socket_mode: sock_meta.as_ref().map(|m| m.permissions().mode() & 0o7777),
        socket_owner: sock_meta.as_ref().map(|m| m.uid()),
        log_file: runtime::log_file(),
        running,
        dir_problem,
    };
    (state, client)
}

type Found = Result<Who, String>;

/// The identity: from the running daemon (as `awsid whoami` would get it), else straight from
/// STS through the resolver, in this environment. `refused`: the CLI's error for this
/// environment before any lookup.
fn identity(
    daemon: Option<&Client>,
    env: &Env,
    profile: Option<&str>,
    refused: Option<crate::resolve::outcome::Failure>,
) -> (AnsweredBy, Found) {
    if let Some(client) = daemon {
        let req = Request::Whoami(WhoamiRequest {
            env: fingerprint_vars(env),
            full_env: false,
            cwd: None,
            profile: profile.map(str::to_string),
            output: Some("json".into()),
            query: None,
            term_width: None,
            timeout_ms: IDENTITY_TIMEOUT.as_millis() as u32,
        });
        let mut client = Client::new(client.socket().to_path_buf());
        client.read_timeout = IDENTITY_TIMEOUT + Duration::from_secs(2);
        match client.ask(req, None, || env.clone()) {
            Ok(Reply::Whoami(w)) => {
                let by = match w.answered {
                    Answered::Cache => AnsweredBy::Cache,
                    Answered::Lookup => AnsweredBy::DaemonLookup,
                    Answered::BeforeLookup => AnsweredBy::Nobody,
                };
                let found = match w.identity {
                    Some(id) => Ok(id.into()),
                    None => Err(safe_error(&w.printed)),
                };
                return (by, found);
            }
            Ok(other) => return (AnsweredBy::DaemonLookup, Err(unexpected(other).to_string())),
            // Of another build by now, or gone: ask directly.
            Err(_) => {}
        }
    }
    // A named profile that does not exist is the CLI's error, decided before any lookup (the
    // SDK alone would go on to other sources).
    if let Some(failure) = refused {
        return (
            AnsweredBy::Nobody,
            Err(safe_error(&crate::render::failure(&failure))),
        );
    }
    (AnsweredBy::Direct, direct(env.clone(), profile))
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

/// Resolves in a resolver child, as the daemon would, without the daemon.
fn direct(env: Env, profile: Option<&str>) -> Found {
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
        Ok(ResolveOutcome::Identity(id)) => Ok(id.caller().into()),
        Ok(ResolveOutcome::Failure(f)) => Err(safe_error(&crate::render::failure(&f))),
    }
}

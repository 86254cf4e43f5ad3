//! The differential harness: runs `awsid whoami` and `aws sts get-caller-identity` in the same
//! environment (variables, files under a private HOME, working directory, arguments) and
//! compares what a user sees: stdout, success or failure, and the CLI's error sentence.
//!
//! Every case gets its own sandbox HOME; all cases share one moto_server (`moto()`, plus the
//! extra IAM users made by `diff_setup.py`, one per credential source so that a wrong source
//! shows as a different Arn) and one daemon (the daemon fingerprints each environment).
//! `awsid` runs first so that it never sees a `~/.aws/cli/cache` entry the CLI wrote for the
//! same case; only entries a case writes itself are there for both.

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::harness::{awsid_bin, Sandbox, Vars};
use crate::moto::{moto, Keys};

/// The extra users `diff_setup.py` creates: one per role a source can play in a case.
pub const USERS: &[&str] = &[
    "env", "env2", "cdef", "cx", "cy", "cz", "csrc", "fdef", "fx", "fy", "fz", "fsrc", "proc",
    "proc2", "legacy", "boto", "cache",
];

/// Keys of the shared moto_server's users: `alice`, `bob` and every name in [`USERS`].
pub fn users() -> &'static BTreeMap<String, Keys> {
    static USERS_MAP: OnceLock<BTreeMap<String, Keys>> = OnceLock::new();
    USERS_MAP.get_or_init(|| {
        let m = moto();
        let script = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src")
            .join("diff_setup.py");
        let out = Command::new("python3")
            .arg(&script)
            .arg(&m.url)
            .args(USERS)
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("no_proxy", "127.0.0.1,localhost")
            .stdin(Stdio::null())
            .output()
            .expect("run diff_setup.py");
        assert!(
            out.status.success(),
            "diff_setup.py failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        let mut map = BTreeMap::new();
        map.insert("alice".to_string(), m.alice.clone());
        map.insert("bob".to_string(), m.bob.clone());
        for name in USERS {
            let f = |k: &str| json[name][k].as_str().expect("field").to_string();
            map.insert(
                name.to_string(),
                Keys {
                    access_key_id: f("access_key_id"),
                    secret_access_key: f("secret_access_key"),
                    account: f("account"),
                    arn: f("arn"),
                    user_id: f("user_id"),
                },
            );
        }
        map
    })
}

/// Starts `support/<script>` with `args`; it prints its port on the first line and exits when
/// its stdin closes. Returns the child (keep it: its stdin is the server's lifeline) and port.
fn start_server(script: &str, args: &[&str]) -> (std::process::Child, u16) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join(script);
    let mut child = Command::new("python3")
        .arg(&script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("run {}: {e}", script.display()));
    let mut line = String::new();
    let mut out = child.stdout.take().expect("stdout");
    let mut byte = [0u8; 1];
    while out.read(&mut byte).unwrap_or(0) == 1 && byte[0] != b'\n' {
        line.push(byte[0] as char);
    }
    let port = line
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("{} printed {line:?}", script.display()));
    (child, port)
}

/// The container-credentials endpoint (`creds_server.py`): `http://127.0.0.1:PORT`.
pub fn creds_server() -> &'static str {
    static SERVER: OnceLock<(String, Mutex<std::process::Child>)> = OnceLock::new();
    &SERVER
        .get_or_init(|| {
            let (child, port) = start_server("creds_server.py", &[]);
            (format!("http://127.0.0.1:{port}"), Mutex::new(child))
        })
        .0
}

/// A TLS front for moto (`tls_proxy.py`): its `https://` URL and the path of the private CA
/// that signed its certificate. The proxy exits when this process ends (its stdin closes).
pub fn tls() -> &'static (String, PathBuf) {
    static TLS: OnceLock<(String, PathBuf, Mutex<std::process::Child>)> = OnceLock::new();
    let t = TLS.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("awsid-diff-tls-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("mkdir tls dir");
        let port = moto().url.rsplit(':').next().expect("port").to_string();
        let (child, tls_port) = start_server("tls_proxy.py", &[&dir.display().to_string(), &port]);
        (
            format!("https://127.0.0.1:{tls_port}"),
            dir.join("ca.pem"),
            Mutex::new(child),
        )
    });
    // The pair without the child (its stdin stays open in the static until the process exits).
    static VIEW: OnceLock<(String, PathBuf)> = OnceLock::new();
    VIEW.get_or_init(|| (t.0.clone(), t.1.clone()))
}

/// One environment: variables, files, arguments, working directory.
///
/// Text in variables, files and arguments may hold placeholders: `{K:user}` and `{S:user}` (a
/// user's access key id and secret), `{HOME}` (the case's HOME), `{URL}` (moto's URL),
/// `{CREDSURL}` (the container-credentials endpoint), `{TLSURL}` (moto behind TLS), `{CA}` (the CA file that verifies `{TLSURL}`) and `{CAPEM}`
/// (that file's content).
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    /// The issue item (or botocore rule) the case exercises, for the per-class counts.
    pub class: String,
    /// `None` removes the variable from the base environment.
    pub env: Vec<(String, Option<String>)>,
    /// Path relative to HOME, content, mode.
    pub files: Vec<(String, Vec<u8>, u32)>,
    pub args: Vec<String>,
    /// Working directory relative to HOME (created if missing); HOME itself by default.
    pub cwd: Option<String>,
    /// Variables changed for `awsid whoami` runs made (in order) before the compared one: a
    /// settled answer in the daemon's cache, then the change the case is about. Two names are
    /// not variables: `@cwd` runs that step in another directory (relative to HOME), and
    /// `@write` creates that (empty) file under HOME after the step.
    pub warm: Vec<Vec<(String, String)>>,
}

impl Case {
    pub fn new(class: &str, name: &str) -> Case {
        Case {
            name: name.to_string(),
            class: class.to_string(),
            env: Vec::new(),
            files: Vec::new(),
            args: Vec::new(),
            cwd: None,
            warm: Vec::new(),
        }
    }

    pub fn env(mut self, k: &str, v: &str) -> Case {
        self.env.push((k.to_string(), Some(v.to_string())));
        self
    }

    pub fn unset(mut self, k: &str) -> Case {
        self.env.push((k.to_string(), None));
        self
    }

    /// Full keys of `user` in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
    pub fn env_keys(self, user: &str) -> Case {
        self.env("AWS_ACCESS_KEY_ID", &format!("{{K:{user}}}"))
            .env("AWS_SECRET_ACCESS_KEY", &format!("{{S:{user}}}"))
    }

    pub fn file(mut self, path: &str, text: &str) -> Case {
        self.files
            .push((path.to_string(), text.as_bytes().to_vec(), 0o600));
        self
    }

    pub fn bytes(mut self, path: &str, bytes: &[u8]) -> Case {
        self.files.push((path.to_string(), bytes.to_vec(), 0o600));
        self
    }

    /// An executable file (a `credential_process` script).
    pub fn exe(mut self, path: &str, text: &str) -> Case {
        self.files
            .push((path.to_string(), text.as_bytes().to_vec(), 0o755));
        self
    }

    pub fn config(self, text: &str) -> Case {
        self.file(".aws/config", text)
    }

    pub fn creds(self, text: &str) -> Case {
        self.file(".aws/credentials", text)
    }

    pub fn arg(mut self, a: &str) -> Case {
        self.args.push(a.to_string());
        self
    }

    pub fn profile(self, p: &str) -> Case {
        self.arg("--profile").arg(p)
    }

    /// First runs `awsid whoami` with these variables changed (see [`Case::warm`]).
    pub fn warm(mut self, vars: &[(&str, &str)]) -> Case {
        self.warm.push(
            vars.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        self
    }

    pub fn cwd(mut self, rel: &str) -> Case {
        self.cwd = Some(rel.to_string());
        self
    }
}

/// Static keys of `user` as the lines of a profile section.
pub fn keys_lines(user: &str) -> String {
    format!("aws_access_key_id = {{K:{user}}}\naws_secret_access_key = {{S:{user}}}\n")
}

/// A `credential_process` script printing `user`'s keys (version 1 JSON).
pub fn process_script(user: &str) -> String {
    format!(
        "#!/bin/sh\nprintf '%s\\n' '{{\"Version\": 1, \"AccessKeyId\": \"{{K:{user}}}\", \"SecretAccessKey\": \"{{S:{user}}}\"}}'\n"
    )
}

/// The path (under HOME) of the AWS CLI's cache entry for an AssumeRole call with these
/// arguments: botocore names it after the SHA-1 of `json.dumps(args, sort_keys=True)`, where
/// `args` are the call's parameters (RoleSessionName only when the profile sets it). `args` is
/// that JSON text, keys sorted, with Python's `", "` and `": "` separators.
pub fn cli_cache_path(args: &str) -> String {
    format!(".aws/cli/cache/{}.json", sha1_hex(args))
}

/// The path (under HOME) of the SSO token cache entry for a start URL (a legacy SSO profile) or
/// an `sso-session` name: botocore names it after the SHA-1 of that text.
pub fn sso_cache_path(start_url_or_session: &str) -> String {
    format!(".aws/sso/cache/{}.json", sha1_hex(start_url_or_session))
}

/// The SHA-1 of `text` in hex (from `sha1sum`).
fn sha1_hex(text: &str) -> String {
    use std::io::Write;
    let mut child = Command::new("sha1sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("sha1sum");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("sha1sum output");
    let hex = String::from_utf8_lossy(&out.stdout);
    hex.split_whitespace().next().expect("a digest").to_string()
}

/// A CLI cache entry holding `user`'s keys as the role's credentials (so a cache hit shows as
/// that user), expiring at `expiration` (ISO 8601).
pub fn cli_cache_entry(user: &str, role_arn: &str, expiration: &str) -> String {
    format!(
        "{{\"Credentials\": {{\"AccessKeyId\": \"{{K:{user}}}\", \"SecretAccessKey\": \"{{S:{user}}}\", \"SessionToken\": \"cached-token\", \"Expiration\": \"{expiration}\"}}, \"AssumedRoleUser\": {{\"AssumedRoleId\": \"AROACACHED:cached\", \"Arn\": \"{role_arn}\"}}, \"ResponseMetadata\": {{}}}}"
    )
}

/// Replaces the placeholders described on [`Case`].
pub fn expand(text: &str, home: &Path) -> String {
    let users = users();
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let close = tail.find('}');
        let token = close.map(|c| &tail[1..c]);
        let replaced = match token {
            Some("HOME") => Some(home.display().to_string()),
            Some("URL") => Some(moto().url.clone()),
            Some("TLSURL") => Some(tls().0.clone()),
            Some("CREDSURL") => Some(creds_server().to_string()),
            Some("CA") => Some(tls().1.display().to_string()),
            Some("CAPEM") => Some(std::fs::read_to_string(&tls().1).expect("read the CA")),
            Some(t) if t.starts_with("K:") || t.starts_with("S:") => {
                let keys = users
                    .get(&t[2..])
                    .unwrap_or_else(|| panic!("no user {} in {t}", &t[2..]));
                Some(if t.starts_with("K:") {
                    keys.access_key_id.clone()
                } else {
                    keys.secret_access_key.clone()
                })
            }
            _ => None,
        };
        match (replaced, close) {
            (Some(r), Some(c)) => {
                out.push_str(&r);
                rest = &tail[c + 1..];
            }
            _ => {
                out.push('{');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// What a user sees of one run, reduced to what the comparison looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// "ok", "usage" (exit 252 or 2) or "error".
    pub class: &'static str,
    /// stdout with the run-specific parts of an assumed-role identity masked.
    pub stdout: String,
    /// The last non-empty line of stderr on failure (empty on success).
    pub error: String,
    pub raw_code: i32,
    pub raw_stderr: String,
}

impl Seen {
    fn from(stdout: &str, stderr: &str, code: i32) -> Seen {
        let class = match code {
            0 => "ok",
            2 | 252 => "usage",
            _ => "error",
        };
        let error = if code == 0 {
            String::new()
        } else {
            let line = stderr
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .trim_end();
            // CLI v1 dies with a Python traceback on a file it cannot parse; its sentence is
            // the exception's, which awsid prints without the traceback (and without the
            // exception's class name in front).
            line.strip_prefix("botocore.exceptions.ConfigParseError: ")
                .unwrap_or(line)
                .to_string()
        };
        Seen {
            class,
            stdout: mask(stdout),
            error,
            raw_code: code,
            raw_stderr: stderr.to_string(),
        }
    }

    /// One line for the report.
    pub fn summary(&self) -> String {
        match self.class {
            "ok" => {
                let arn = self
                    .stdout
                    .lines()
                    .find_map(|l| l.trim().strip_prefix("\"Arn\": "))
                    .map(|a| a.trim_matches(|c| c == '"' || c == ','))
                    .unwrap_or_else(|| self.stdout.trim());
                format!("ok {arn}")
            }
            c => format!("{c}({}) {}", self.raw_code, self.error),
        }
    }
}

/// Masks what differs between two runs of the same assumed role: moto's random role id in
/// UserId (`AROA...`) and a generated session name (`botocore-session-<time>` in the CLI; the
/// SDK's `<prefix>-<millis>` in awsid, e.g. `web-identity-token-<millis>`). Names a profile sets itself are kept.
pub fn mask(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let rest = &s[i..];
        if let Some(after) = rest.strip_prefix("AROA") {
            let n = after
                .bytes()
                .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
                .count();
            if n >= 8 {
                out.push_str("AROA*");
                i += 4 + n;
                continue;
            }
        }
        let mut matched = false;
        for prefix in [
            "botocore-session-",
            "aws-sdk-rust-",
            "web-identity-token-profile-",
            "assume-role-from-profile-",
            "web-identity-token-",
            "awsid-",
        ] {
            if let Some(after) = rest.strip_prefix(prefix) {
                let n = after.bytes().take_while(u8::is_ascii_digit).count();
                if n >= 6 {
                    out.push_str("<session>");
                    i += prefix.len() + n;
                    matched = true;
                    break;
                }
            }
        }
        if matched {
            continue;
        }
        let ch = rest.chars().next().expect("non-empty");
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

/// The outcome of one case.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub case: Case,
    pub cli: Seen,
    pub ours: Seen,
    /// Wall time of the CLI's run and of awsid's (the compared run only).
    pub cli_time: Duration,
    pub ours_time: Duration,
}

impl Outcome {
    pub fn agree(&self) -> bool {
        self.cli.class == self.ours.class
            && self.cli.stdout == self.ours.stdout
            && self.cli.error == self.ours.error
    }
}

/// How long one process may run before it is killed (with its process group).
const PROCESS_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs `cmd` in its own process group with a time limit; (stdout, stderr, exit code).
fn run_limited(mut cmd: Command) -> (String, String, i32) {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // A session of its own: no controlling terminal (the CLI's MFA prompt then reads the null
    // stdin instead of stopping on /dev/tty), and a process group to kill as a whole.
    // SAFETY: setsid is async-signal-safe and the closure allocates nothing.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    let pid = child.id() as i32;
    let mut so = child.stdout.take().expect("stdout");
    let mut se = child.stderr.take().expect("stderr");
    let t_out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = so.read_to_end(&mut v);
        v
    });
    let t_err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = se.read_to_end(&mut v);
        v
    });
    let deadline = Instant::now() + PROCESS_TIMEOUT;
    let code = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status.code().unwrap_or(-1),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                // SAFETY: signals the process group this function created.
                unsafe {
                    libc::kill(-pid, libc::SIGKILL);
                }
                let _ = child.wait();
                break -9;
            }
        }
    };
    // Grandchildren still holding the pipes: end the group before joining the readers.
    // SAFETY: as above; ESRCH when the group is gone is fine.
    unsafe {
        libc::kill(-pid, libc::SIGKILL);
    }
    let stdout = String::from_utf8_lossy(&t_out.join().unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&t_err.join().unwrap_or_default()).into_owned();
    (stdout, stderr, code)
}

/// The shared daemon's sandbox (runtime and state dirs); cases only borrow its variables.
fn daemon_sandbox() -> &'static Mutex<Sandbox> {
    static SB: OnceLock<Mutex<Sandbox>> = OnceLock::new();
    SB.get_or_init(|| Mutex::new(Sandbox::new()))
}

/// Stops the shared daemon (call once after the last case).
pub fn stop_daemon() {
    let sb = daemon_sandbox().lock().unwrap_or_else(|e| e.into_inner());
    let _ = sb.awsid(&["daemon", "stop"], &sb.vars());
}

/// The AWS CLI, found on the test's PATH (a case may change the PATH it runs with).
fn aws_bin() -> &'static Path {
    static AWS: OnceLock<PathBuf> = OnceLock::new();
    AWS.get_or_init(|| {
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path)
            .map(|dir| dir.join("aws"))
            .find(|p| p.is_file())
            .expect("the AWS CLI (`aws`) is not on PATH")
    })
}

/// Runs one case: awsid first, then the CLI, in the same fresh HOME.
pub fn run_case(case: &Case) -> Outcome {
    let base = daemon_sandbox()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .vars();
    let sb = Sandbox::new();
    let home = sb.home.clone();
    for (rel, content, mode) in &case.files {
        let path = home.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        let data = match std::str::from_utf8(content) {
            Ok(text) => expand(text, &home).into_bytes(),
            Err(_) => content.clone(),
        };
        std::fs::write(&path, data).expect("write case file");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(*mode)).expect("chmod");
    }
    let cwd: PathBuf = match &case.cwd {
        Some(rel) => home.join(rel),
        None => home.clone(),
    };
    std::fs::create_dir_all(&cwd).expect("mkdir cwd");
    let mut vars: Vars = base
        .set("HOME", home.display().to_string())
        .set("AWS_ENDPOINT_URL", moto().url.clone())
        .set("PWD", cwd.display().to_string())
        // A safety net: anything that is not loopback (NO_PROXY) goes to a closed local port
        // instead of the network.
        .set("HTTPS_PROXY", "http://127.0.0.1:9")
        .set("HTTP_PROXY", "http://127.0.0.1:9");
    for (k, v) in &case.env {
        vars = match v {
            Some(v) => vars.set(k, expand(v, &home)),
            None => vars.unset(k),
        };
    }
    let args: Vec<String> = case.args.iter().map(|a| expand(a, &home)).collect();

    for changes in &case.warm {
        let mut warm_vars = vars.clone();
        let mut warm_cwd = cwd.clone();
        let mut write_after = Vec::new();
        for (k, v) in changes {
            match k.as_str() {
                "@cwd" => {
                    warm_cwd = home.join(v);
                    std::fs::create_dir_all(&warm_cwd).expect("mkdir warm cwd");
                    warm_vars = warm_vars.set("PWD", warm_cwd.display().to_string());
                }
                "@write" => write_after.push(home.join(v)),
                _ => warm_vars = warm_vars.set(k, expand(v, &home)),
            }
        }
        let mut cmd = Command::new(awsid_bin());
        warm_vars.apply(&mut cmd);
        cmd.current_dir(&warm_cwd).arg("whoami").args(&args);
        let _ = run_limited(cmd);
        for path in write_after {
            std::fs::write(&path, "").expect("write after warm-up");
        }
    }
    let mut ours = Command::new(awsid_bin());
    vars.apply(&mut ours);
    ours.current_dir(&cwd).arg("whoami").args(&args);
    let started = Instant::now();
    let (o_out, o_err, o_code) = run_limited(ours);
    let ours_time = started.elapsed();

    let mut cli = Command::new(aws_bin());
    vars.apply(&mut cli);
    cli.current_dir(&cwd)
        .args(["sts", "get-caller-identity"])
        .args(&args);
    let started = Instant::now();
    let (c_out, c_err, c_code) = run_limited(cli);
    let cli_time = started.elapsed();
    drop(sb);
    Outcome {
        case: case.clone(),
        cli: Seen::from(&c_out, &c_err, c_code),
        ours: Seen::from(&o_out, &o_err, o_code),
        cli_time,
        ours_time,
    }
}

/// How many `run_all` calls are under way (the last one to finish stops the daemon).
static ACTIVE_RUNS: Mutex<usize> = Mutex::new(0);

/// Runs every case, `jobs` at a time, in input order.
pub fn run_all(cases: &[Case], jobs: usize) -> Vec<Outcome> {
    let _ = users();
    *ACTIVE_RUNS.lock().unwrap_or_else(|e| e.into_inner()) += 1;
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Outcome>>> = Mutex::new(vec![None; cases.len()]);
    std::thread::scope(|s| {
        for _ in 0..jobs.max(1) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(case) = cases.get(i) else { break };
                let outcome = run_case(case);
                results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(outcome);
            });
        }
    });
    {
        let mut active = ACTIVE_RUNS.lock().unwrap_or_else(|e| e.into_inner());
        *active -= 1;
        if *active == 0 {
            stop_daemon();
        }
    }
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|o| o.expect("every case ran"))
        .collect()
}

/// Cuts a report cell to `n` characters.
pub fn cell(s: &str, n: usize) -> String {
    let one_line = s.replace('\n', "⏎");
    if one_line.chars().count() <= n {
        one_line
    } else {
        let mut t: String = one_line.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

pub use crate::rng::Rng;

//! Runs the real `awsid` client (which starts the real `awsidd`) in a private sandbox: its own
//! runtime dir, state dir and HOME, so tests never share a daemon or a config file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The directory holding the built binaries (`target/debug` next to the test executable).
pub fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    // target/debug/deps/<test> -> target/debug
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test executable lives in target/<profile>/deps")
        .to_path_buf();
    for bin in ["awsid", "awsidd"] {
        assert!(
            dir.join(bin).is_file(),
            "{} is missing: run the tests with `cargo test --workspace`, which builds both binaries",
            dir.join(bin).display()
        );
    }
    dir
}

pub fn awsid_bin() -> PathBuf {
    bin_dir().join("awsid")
}

pub fn awsidd_bin() -> PathBuf {
    bin_dir().join("awsidd")
}

/// What a process printed and how it exited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Out {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

impl Out {
    /// Asserts exit 0 and returns stdout.
    #[track_caller]
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "expected success, got {self:?}");
        &self.stdout
    }
}

pub fn run(mut cmd: Command) -> Out {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    Out {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

/// An environment built up explicitly (processes start from an empty one).
#[derive(Debug, Clone, Default)]
pub struct Vars(pub BTreeMap<String, String>);

impl Vars {
    pub fn set(mut self, k: &str, v: impl Into<String>) -> Vars {
        self.0.insert(k.to_string(), v.into());
        self
    }

    pub fn unset(mut self, k: &str) -> Vars {
        self.0.remove(k);
        self
    }

    pub fn keys(self, access_key_id: &str, secret: &str) -> Vars {
        self.set("AWS_ACCESS_KEY_ID", access_key_id)
            .set("AWS_SECRET_ACCESS_KEY", secret)
    }

    pub fn apply(&self, cmd: &mut Command) {
        cmd.env_clear().envs(&self.0);
    }
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A sandbox: its own daemon, HOME, runtime and state dirs. Stops its daemon on drop.
pub struct Sandbox {
    pub root: PathBuf,
    pub home: PathBuf,
    pub runtime: PathBuf,
    pub state: PathBuf,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let root = std::env::temp_dir().join(format!("awsid-t-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let home = root.join("home");
        let runtime = root.join("run");
        let state = root.join("state");
        std::fs::create_dir_all(home.join(".aws")).unwrap();
        std::fs::create_dir_all(&state).unwrap();
        Sandbox {
            root,
            home,
            runtime,
            state,
        }
    }

    /// The base environment: this sandbox's dirs, a region, no instance metadata (tests must
    /// never reach beyond loopback), no proxies for loopback.
    pub fn vars(&self) -> Vars {
        Vars::default()
            .set("PATH", std::env::var("PATH").unwrap_or_default())
            .set("HOME", self.home.display().to_string())
            .set("AWSID_RUNTIME_DIR", self.runtime.display().to_string())
            .set("XDG_STATE_HOME", self.state.display().to_string())
            .set(
                "XDG_CONFIG_HOME",
                self.root.join("config").display().to_string(),
            )
            .set("AWSID_IDLE_TIMEOUT", "300")
            .set("AWSID_DAEMON", awsidd_bin().display().to_string())
            .set("AWSID_LOG", "debug")
            .set("AWS_EC2_METADATA_DISABLED", "true")
            .set("AWS_DEFAULT_REGION", "us-east-1")
            .set("NO_PROXY", "127.0.0.1,localhost")
            .set("no_proxy", "127.0.0.1,localhost")
    }

    pub fn awsid(&self, args: &[&str], vars: &Vars) -> Out {
        let mut cmd = Command::new(awsid_bin());
        vars.apply(&mut cmd);
        cmd.args(args);
        run(cmd)
    }

    /// `awsid` with `args` (a `prompt` command), asked again while its segment (the last line)
    /// shows a lookup still pending (`…`, also after a marker such as `!conflict`); it must
    /// exit 0 and print nothing on stderr.
    pub fn answered_prompt(&self, args: &[&str], vars: &Vars) -> Out {
        for _ in 0..200 {
            let out = self.awsid(args, vars);
            assert_eq!(out.code, 0, "{out:?}");
            assert_eq!(out.stderr, "");
            if !out.stdout.lines().last().unwrap_or("").contains('…') {
                return out;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("the prompt stayed pending");
    }

    /// The AWS CLI, in the same environment.
    pub fn aws(&self, args: &[&str], vars: &Vars) -> Out {
        let mut cmd = Command::new("aws");
        vars.apply(&mut cmd);
        cmd.args(args);
        run(cmd)
    }

    pub fn write(&self, rel_to_home: &str, content: &str) -> PathBuf {
        let p = self.home.join(rel_to_home);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, content).unwrap();
        p
    }

    /// `awsid daemon status` as field → value.
    pub fn status(&self) -> BTreeMap<String, String> {
        let out = self.awsid(&["daemon", "status"], &self.vars());
        out.ok()
            .lines()
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect()
    }

    /// A counter from `awsid daemon status`.
    pub fn counter(&self, name: &str) -> u64 {
        let s = self.status();
        let v = s.get(name).unwrap_or_else(|| panic!("no {name} in {s:?}"));
        v.split_whitespace().next().unwrap().parse().unwrap()
    }

    /// A credentials file with profiles `alice` and `bob` (moto's two users).
    pub fn write_alice_and_bob(&self, m: &crate::moto::Moto) -> PathBuf {
        self.write(
            ".aws/credentials",
            &format!(
                "[alice]\naws_access_key_id = {}\naws_secret_access_key = {}\n\
                 [bob]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
                m.alice.access_key_id,
                m.alice.secret_access_key,
                m.bob.access_key_id,
                m.bob.secret_access_key
            ),
        )
    }

    /// A sandbox with moto's `alice` and `bob` profiles, and a shell's environment that uses
    /// `alice` against moto.
    pub fn alice(m: &crate::moto::Moto) -> (Sandbox, Vars) {
        let sb = Sandbox::new();
        sb.write_alice_and_bob(m);
        let v = sb
            .vars()
            .set("AWS_ENDPOINT_URL", m.url.clone())
            .set("AWS_PROFILE", "alice");
        (sb, v)
    }

    /// The running daemon's pid, from `awsid daemon status`.
    pub fn pid(&self) -> i32 {
        self.status()["pid"].parse().unwrap()
    }

    /// Writes `config.toml` for this sandbox's daemon.
    pub fn write_config(&self, text: &str) -> PathBuf {
        let dir = self.root.join("config/awsid");
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("config.toml");
        std::fs::write(&p, text).unwrap();
        p
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.state.join("awsid/awsidd.log")).unwrap_or_default()
    }
}

impl Default for Sandbox {
    fn default() -> Self {
        Sandbox::new()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.awsid(&["daemon", "stop"], &self.vars());
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// Whether `pid` runs (a zombie, exited but not yet reaped by its new parent, does not).
pub fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        s.rsplit(')')
            .next()
            .is_some_and(|rest| !rest.trim_start().starts_with('Z'))
    })
}

/// Waits until `pred` holds, two minutes at most (for what a daemon notices on its own
/// schedule, on a shared machine); then fails the test.
#[track_caller]
pub fn wait_until(what: &str, pred: impl Fn() -> bool) {
    for _ in 0..1200 {
        if pred() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("timed out waiting for {what}");
}

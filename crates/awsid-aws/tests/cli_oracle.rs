//! The AWS CLI as the oracle: the same credential programs run by `aws sts get-caller-identity`
//! and by `process::fetch_like_cli`; the CLI's error sentence must be ours, word for word. And
//! the CLI cache: entries written where `cli_cache` says, for generated profiles, must be taken
//! by the CLI without prompting; without one, the CLI prompts as `cli_cache::mfa_prompt` says.
//!
//! No STS call is ever made: the endpoint is 127.0.0.1:1, so a CLI that accepted the
//! credentials stops at "Could not connect to the endpoint URL".

mod common;

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use awsid_aws::cli_cache::{self, AssumeRoleArgs};
use awsid_aws::process::{self, Limits, ProcessSpec};

const ACCEPTED: &str = "Could not connect to the endpoint URL: \"http://127.0.0.1:1/\"";
const OK: &str = r#""AccessKeyId":"AKIDEXAMPLE","SecretAccessKey":"sek""#;

struct Home {
    root: PathBuf,
}

impl Home {
    fn new(tag: &str) -> Home {
        let root = std::env::temp_dir().join(format!("procs-oracle-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("home/.aws")).unwrap();
        std::fs::create_dir_all(root.join("work")).unwrap();
        Home { root }
    }
    fn home(&self) -> PathBuf {
        self.root.join("home")
    }
    fn work(&self) -> PathBuf {
        self.root.join("work")
    }
    fn env(&self) -> Vec<(OsString, OsString)> {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let home = self.home();
        vec![
            ("PATH".into(), path),
            ("HOME".into(), home.clone().into()),
            ("AWS_CONFIG_FILE".into(), home.join(".aws/config").into()),
            (
                "AWS_SHARED_CREDENTIALS_FILE".into(),
                home.join(".aws/credentials").into(),
            ),
            ("AWS_DEFAULT_REGION".into(), "us-east-1".into()),
            ("AWS_ENDPOINT_URL".into(), "http://127.0.0.1:1".into()),
            ("AWS_MAX_ATTEMPTS".into(), "1".into()),
        ]
    }
    /// `aws sts get-caller-identity --profile p`: its stderr message (the CLI writes
    /// "\n" + message + "\n").
    fn aws(&self, profile: &str) -> String {
        let mut cmd = Command::new("aws");
        cmd.args(["sts", "get-caller-identity", "--profile", profile])
            .env_clear()
            .envs(self.env())
            .current_dir(self.work())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        // SAFETY: setsid is async-signal-safe; no terminal, so an MFA prompt cannot block.
        unsafe {
            cmd.pre_exec(|| {
                libc::setsid();
                Ok(())
            });
        }
        let out = cmd.output().expect("aws runs");
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        let err = err.strip_prefix('\n').unwrap_or(&err);
        err.strip_suffix('\n').unwrap_or(err).to_string()
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn script(dir: &Path, name: &str, body: &str) {
    let p = dir.join(name);
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// (command or script body, is the CLI's wording ours exactly?)
fn cases() -> Vec<(String, bool)> {
    let echo = |json: &str| format!("echo '{json}'");
    let mut v: Vec<String> = vec![
        echo(&format!(r#"{{"Version":1,{OK}}}"#)),
        echo(&format!(r#"{{"Version":1.0,{OK}}}"#)),
        echo(&format!(r#"{{"Version":true,{OK}}}"#)),
        echo(&format!(r#"{{"Version":2,{OK}}}"#)),
        echo(&format!(r#"{{{OK}}}"#)),
        echo(&format!(r#"{{"Version":"1",{OK}}}"#)),
        echo(&format!(r#"{{"Version":null,{OK}}}"#)),
        echo(&format!(r#"{{"Version":[1,"a"],{OK}}}"#)),
        echo(&format!(r#"{{"Version":{{"a":1.5}},{OK}}}"#)),
        echo(&format!(r#"{{"Version":1e20,{OK}}}"#)),
        echo(r#"{"Version":1,"AccessKeyId":"A","Version":3,"SecretAccessKey":"s"}"#),
        echo(r#"{"Version":1,"accessKeyId":"A","secretAccessKey":"s"}"#),
        echo(r#"{"Version":1,"AccessKeyId":"A"}"#),
        echo(r#"{"Version":1,"SecretAccessKey":"s"}"#),
        echo(&format!(
            r#"{{"Version":1,{OK},"SessionToken":null,"Expiration":null}}"#
        )),
        echo(&format!(
            r#"{{"Version":1,{OK},"Expiration":"2020-01-01T00:00:00Z"}}"#
        )),
        echo(&format!(
            r#"{{"Version":1,{OK},"Expiration":"2099-01-01T00:00:00Z"}}"#
        )),
        echo(&format!(
            r#"{{"Version":1,{OK},"Expiration":"2099-01-01T00:00:00.5+02:00"}}"#
        )),
        echo(&format!(
            r#"{{"Version":1,{OK},"Expiration":"2099-01-01T00:00:00"}}"#
        )),
        echo(&format!(r#"{{"Version":1,{OK},"Expiration":""}}"#)),
        echo(&format!(r#"{{"Version":1,{OK},"Expiration":5}}"#)),
        echo("not json"),
        echo("{'Version': 1}"),
        echo(r#"{"Version":1,"AccessKeyId":"A",}"#),
        echo(r#"{"Version":1 "AccessKeyId":"A"}"#),
        echo(r#"{"Version":1,"AccessKeyId":"A\q"}"#),
        echo(&format!(
            r#"{{"Version":1,{OK},"Note":NaN,"N2":-Infinity}}"#
        )),
        echo(&format!(r#"{{"Version":NaN,{OK}}}"#)),
        echo(&format!(r#"{{"Version":Infinity,{OK}}}"#)),
        ":".into(),
        echo("[1]"),
        echo("null"),
        echo("{} {}"),
        r"printf '\377\n'".into(),
        r#"printf '\357\273\277{}'"#.into(),
        "echo 'line one' >&2; echo two >&2; exit 1".into(),
        "exit 3".into(),
        r"printf '\377' >&2; exit 1".into(),
        "kill -TERM $$".into(),
    ];
    let mut out: Vec<(String, bool)> = v.drain(..).map(|b| (b, true)).collect();
    // Commands rather than scripts (marked with a leading '!').
    for c in [
        "!./s_args.sh \"a b\" 'c d' e\\ f $HOME ~/x a|b \"x\\\"y\" 'x\\y' #c",
        "!/nonexistent/prog",
        "!nosuchprog_xyz",
        "!~/bin/creds a",
        "!./s_args.sh \"abc",
        "!./s_args.sh abc\\",
        "!/tmp",
    ] {
        out.push((c.to_string(), true));
    }
    out
}

#[test]
fn process_errors_are_the_clis_words() {
    if !common::aws_cli_available() {
        return;
    }
    let h = Home::new("proc");
    script(
        &h.work(),
        "s_args.sh",
        r#"for a in "$@"; do printf "[%s]" "$a" >&2; done; exit 1"#,
    );
    let mut config = String::new();
    let cases = cases();
    for (i, (body, _)) in cases.iter().enumerate() {
        let command = match body.strip_prefix('!') {
            Some(cmd) => cmd.to_string(),
            None => {
                script(&h.work(), &format!("s{i}.sh"), body);
                format!("./s{i}.sh")
            }
        };
        config.push_str(&format!("[profile p{i}]\ncredential_process = {command}\n"));
    }
    std::fs::write(h.home().join(".aws/config"), &config).unwrap();
    let env = h.env();
    let work = h.work();
    let results: Vec<(usize, String, Result<(), Option<String>>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|t| {
                let (h, cases, env, work, config) = (&h, &cases, &env, &work, &config);
                s.spawn(move || {
                    let mut res = Vec::new();
                    for i in (t..cases.len()).step_by(2) {
                        let cli = h.aws(&format!("p{i}"));
                        let line = config.lines().nth(2 * i + 1).unwrap();
                        let command = line.strip_prefix("credential_process = ").unwrap();
                        let limits = Limits {
                            timeout: Duration::from_secs(30),
                            ..Limits::default()
                        };
                        let spec = ProcessSpec {
                            command,
                            cwd: work,
                            env,
                            limits,
                        };
                        let ours = process::fetch_like_cli(&spec, &SystemTime::now)
                            .map(|_| ())
                            .map_err(|e| e.cli_message());
                        res.push((i, cli, ours));
                    }
                    res
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert_eq!(results.len(), cases.len());
    let mut exact = 0;
    for (i, cli, ours) in results {
        let case = &cases[i].0;
        match ours {
            Ok(()) => assert_eq!(
                cli, ACCEPTED,
                "case {i} {case:?}: CLI refused what we accept"
            ),
            Err(Some(msg)) => {
                assert_eq!(msg, cli, "case {i} {case:?}");
                exact += 1;
            }
            Err(None) => panic!("case {i} {case:?}: no CLI wording; the CLI said {cli:?}"),
        }
    }
    eprintln!(
        "{exact} error sentences identical to the CLI's, {} cases",
        cases.len()
    );
}

#[test]
fn the_cli_takes_the_cache_entries_we_locate_and_prompts_without_one() {
    if !common::aws_cli_available() {
        return;
    }
    let h = Home::new("cache");
    std::fs::write(
        h.home().join(".aws/credentials"),
        "[src]\naws_access_key_id = AKIDSRC\naws_secret_access_key = srcsecret\n",
    )
    .unwrap();
    let serial = "arn:aws:iam::123456789012:mfa/u";
    let profiles: Vec<AssumeRoleArgs> = vec![
        AssumeRoleArgs {
            role_arn: "arn:aws:iam::123456789012:role/r".into(),
            ..Default::default()
        },
        AssumeRoleArgs {
            role_arn: "arn:aws:iam::123456789012:role/ops # prod".into(),
            role_session_name: Some("séance \"x\"".into()),
            external_id: Some("ext'1".into()),
            duration_seconds: Some(" 3_600 ".into()),
            ..Default::default()
        },
        AssumeRoleArgs {
            role_arn: "arn:aws:iam::210987654321:role/Ω".into(),
            duration_seconds: Some("1h".into()),
            external_id: Some("".into()),
            ..Default::default()
        },
    ];
    let config = common::role_profiles("m", &profiles, &format!("mfa_serial = {serial}\n"));
    std::fs::write(h.home().join(".aws/config"), &config).unwrap();
    let cache = cli_cache::cache_dir(&h.home());
    std::fs::create_dir_all(&cache).unwrap();
    let exp = |secs: u64| {
        let t = SystemTime::now() + Duration::from_secs(secs);
        let s = t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs() as i64;
        // An ISO time as the CLI writes it (datetime.isoformat()).
        let out = Command::new("date")
            .args(["-u", "-d", &format!("@{s}"), "+%Y-%m-%dT%H:%M:%S+00:00"])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    for (i, p) in profiles.iter().enumerate() {
        // Without an entry: the CLI prompts (and fails at end of input).
        let mut args = p.clone();
        args.mfa_serial = Some(serial.into());
        let prompt = cli_cache::mfa_prompt(serial);
        let cli = h.aws(&format!("m{i}"));
        assert!(cli.contains(prompt.trim_end()), "m{i}: {cli:?}");
        // With an entry where we say the CLI looks: taken, no prompt.
        let entry = |expiration: &str| {
            format!(
                r#"{{"Credentials": {{"AccessKeyId": "ASIACACHED", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": "{expiration}"}}}}"#
            )
        };
        let read = cli_cache::lookup(&h.home(), &args, SystemTime::now());
        std::fs::write(&read.path, entry(&exp(3600))).unwrap();
        let (path, creds) = cli_cache::cached_role_credentials(&h.home(), &args, SystemTime::now());
        assert_eq!(path, read.path);
        assert_eq!(creds.expect("usable").access_key_id, "ASIACACHED");
        assert_eq!(
            h.aws(&format!("m{i}")),
            ACCEPTED,
            "m{i} did not use {path:?}"
        );
        // Less than 15 minutes left: neither we nor the CLI use it.
        std::fs::write(&read.path, entry(&exp(840))).unwrap();
        assert!(
            cli_cache::cached_role_credentials(&h.home(), &args, SystemTime::now())
                .1
                .is_none()
        );
        assert!(
            h.aws(&format!("m{i}")).contains(prompt.trim_end()),
            "m{i} used a near-expiry entry"
        );
        // A broken entry: the CLI fails with our sentence.
        std::fs::write(&read.path, "{}").unwrap();
        match cli_cache::lookup(&h.home(), &args, SystemTime::now()).lookup {
            cli_cache::Lookup::Broken {
                cli_message: Some(m),
                ..
            } => assert_eq!(h.aws(&format!("m{i}")), m),
            other => panic!("{other:?}"),
        }
        std::fs::remove_file(&read.path).unwrap();
    }
}

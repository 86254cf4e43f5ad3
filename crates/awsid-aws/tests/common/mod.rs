//! Helpers shared by the integration tests: the oracles (python3, botocore, the aws CLI) and a
//! small deterministic generator.
#![allow(dead_code, unused_imports)]

use std::io::Write;
use std::process::{Command, Stdio};

/// Is the oracle usable? If not, skip the test with a message, unless AWSID_REQUIRE_SHELLS=1
/// (CI), where a missing oracle is a failure.
pub fn oracle_available(what: &str, probe: &[&str]) -> bool {
    let ok = Command::new(probe[0])
        .args(&probe[1..])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        if std::env::var("AWSID_REQUIRE_SHELLS").as_deref() == Ok("1") {
            panic!("{what} is required (AWSID_REQUIRE_SHELLS=1) but not usable");
        }
        eprintln!("SKIPPED: {what} is not available");
    }
    ok
}

pub fn python_available() -> bool {
    oracle_available("python3", &["python3", "-c", "import shlex, json"])
}

pub fn botocore_available() -> bool {
    oracle_available(
        "botocore",
        &["python3", "-c", "import botocore.credentials"],
    )
}

pub fn aws_cli_available() -> bool {
    oracle_available("aws CLI", &["aws", "--version"])
}

/// Run a Python program with `input` on stdin; its stdout.
pub fn python(program: &str, input: &str) -> String {
    let mut child = Command::new("python3")
        .args(["-c", program])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 starts");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("python3 runs");
    writer.join().unwrap().unwrap();
    assert!(out.status.success(), "python failed");
    String::from_utf8(out.stdout).unwrap()
}

/// The deterministic generator the workspace's tests share (`tests/src/rng.rs`).
#[path = "../../../../tests/src/rng.rs"]
mod rng;
pub use rng::Rng;

/// Config profiles `[profile <prefix><i>]` assuming each role of `profiles` from profile
/// `src`, with `extra` lines (e.g. an `mfa_serial`) and each optional setting that is given.
pub fn role_profiles(
    prefix: &str,
    profiles: &[awsid_aws::cli_cache::AssumeRoleArgs],
    extra: &str,
) -> String {
    let mut config = String::new();
    for (i, p) in profiles.iter().enumerate() {
        config.push_str(&format!(
            "[profile {prefix}{i}]\nrole_arn = {}\nsource_profile = src\n{extra}",
            p.role_arn
        ));
        for (k, v) in [
            ("role_session_name", &p.role_session_name),
            ("external_id", &p.external_id),
            ("duration_seconds", &p.duration_seconds),
        ] {
            if let Some(v) = v {
                config.push_str(&format!("{k} = {v}\n"));
            }
        }
    }
    config
}

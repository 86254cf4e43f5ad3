//! Resolution: run GetCallerIdentity in a child process whose environment is the client's.
//!
//! [`child`] is the child's side (`awsidd resolve`, AWS SDK inside); this file is the
//! daemon's side: shape the environment the CLI's way, cap concurrent children, time out,
//! and read the outcome.

pub mod child;
pub mod expiry;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use awsid_proto::codec;
use awsid_proto::msg::{Env, Failure, FailureKind, ResolveOutcome};
use tokio::sync::Semaphore;

/// At most this many resolver children run at once (a storm of new fingerprints must not
/// fork-bomb the machine or hammer STS).
pub const MAX_CONCURRENT: usize = 4;
/// A resolution that takes longer is killed (the SDK's own retries fit well inside).
pub const HARD_TIMEOUT: Duration = Duration::from_secs(60);

/// Variables that carry credentials from the environment; `--profile` removes them, as the
/// CLI's explicit profile disables its environment provider.
const ENV_CREDENTIALS: &[&[u8]] = &[
    b"AWS_ACCESS_KEY_ID",
    b"AWS_SECRET_ACCESS_KEY",
    b"AWS_SESSION_TOKEN",
    b"AWS_SECURITY_TOKEN",
    b"AWS_CREDENTIAL_EXPIRATION",
];

/// The child's environment: the client's, with the CLI's profile rules applied.
pub fn child_env(mut env: Env, profile_override: Option<&str>) -> Env {
    // The SDK also takes the secret from SECRET_ACCESS_KEY; the CLI does not, and neither does
    // awsid's fingerprint.
    env.retain(|(k, _)| k != b"SECRET_ACCESS_KEY");
    let default_profile = env
        .iter()
        .find(|(k, v)| k == b"AWS_DEFAULT_PROFILE" && !v.is_empty())
        .map(|(_, v)| v.clone());
    let profile: Option<Vec<u8>> = match profile_override {
        Some(p) => {
            env.retain(|(k, _)| !ENV_CREDENTIALS.contains(&k.as_slice()));
            Some(p.as_bytes().to_vec())
        }
        // The CLI reads AWS_DEFAULT_PROFILE before AWS_PROFILE; the SDK knows only the latter.
        None => default_profile,
    };
    if let Some(p) = profile {
        env.retain(|(k, _)| k != b"AWS_PROFILE");
        env.push((b"AWS_PROFILE".to_vec(), p));
    }
    env
}

/// Runs one resolver child. `env` is moved in and dropped as soon as the child is spawned.
pub async fn run(exe: &Path, mut env: Env, args: &[String], limit: &Semaphore) -> ResolveOutcome {
    let _permit = limit.acquire().await;
    let mut cmd = tokio::process::Command::new(exe);
    cmd.arg("resolve")
        .args(args)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    for (k, v) in &env {
        cmd.env(OsStr::from_bytes(k), OsStr::from_bytes(v));
    }
    awsid_proto::msg::wipe(&mut env);
    drop(env);
    let spawned = cmd.spawn();
    drop(cmd);
    let child = match spawned {
        Ok(c) => c,
        Err(e) => return other(format!("cannot start the resolver {}: {e}", exe.display())),
    };
    match tokio::time::timeout(HARD_TIMEOUT, child.wait_with_output()).await {
        Err(_) => ResolveOutcome::Failure(Failure {
            kind: FailureKind::Timeout,
            code: None,
            message: format!("No answer from STS within {} s", HARD_TIMEOUT.as_secs()),
        }),
        Ok(Err(e)) => other(format!("resolver failed: {e}")),
        Ok(Ok(out)) => match codec::decode::<ResolveOutcome>(&out.stdout) {
            Ok(outcome) => outcome,
            Err(e) => other(format!("resolver exited with {} ({e})", out.status)),
        },
    }
}

fn other(message: String) -> ResolveOutcome {
    ResolveOutcome::Failure(Failure {
        kind: FailureKind::Other,
        code: None,
        message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        pairs
            .iter()
            .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect()
    }

    fn get<'a>(env: &'a Env, k: &str) -> Option<&'a [u8]> {
        env.iter()
            .find(|(n, _)| n == k.as_bytes())
            .map(|(_, v)| v.as_slice())
    }

    #[test]
    fn default_profile_wins_over_profile() {
        let e = child_env(
            env(&[("AWS_PROFILE", "a"), ("AWS_DEFAULT_PROFILE", "b")]),
            None,
        );
        assert_eq!(get(&e, "AWS_PROFILE"), Some(&b"b"[..]));
    }

    #[test]
    fn explicit_profile_drops_env_keys() {
        let e = child_env(
            env(&[
                ("AWS_ACCESS_KEY_ID", "AKIA"),
                ("AWS_SECRET_ACCESS_KEY", "s"),
                ("AWS_PROFILE", "a"),
                ("HOME", "/h"),
            ]),
            Some("c"),
        );
        assert_eq!(get(&e, "AWS_PROFILE"), Some(&b"c"[..]));
        assert_eq!(get(&e, "AWS_ACCESS_KEY_ID"), None);
        assert_eq!(get(&e, "HOME"), Some(&b"/h"[..]));
    }

    #[test]
    fn env_keys_stay_without_override() {
        let e = child_env(
            env(&[("AWS_ACCESS_KEY_ID", "AKIA"), ("AWS_PROFILE", "a")]),
            None,
        );
        assert_eq!(get(&e, "AWS_ACCESS_KEY_ID"), Some(&b"AKIA"[..]));
        assert_eq!(get(&e, "AWS_PROFILE"), Some(&b"a"[..]));
    }

    #[test]
    fn the_sdks_extra_secret_variable_is_not_passed_on() {
        let e = child_env(
            env(&[("AWS_ACCESS_KEY_ID", "AKIA"), ("SECRET_ACCESS_KEY", "s")]),
            None,
        );
        assert_eq!(get(&e, "SECRET_ACCESS_KEY"), None);
        assert_eq!(get(&e, "AWS_ACCESS_KEY_ID"), Some(&b"AKIA"[..]));
    }
}

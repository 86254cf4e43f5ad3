//! Resolution: run GetCallerIdentity in a child process whose environment is the client's.
//!
//! [`child`] is the child's side (`awsidd resolve`: it plans with `aws::chain` in the
//! client's environment and executes the plan); this file is the daemon's side: start the
//! child, cap concurrent children, time out, and read the outcome.

pub mod child;

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

/// Runs one resolver child with exactly the client's environment, in the client's working
/// directory (when it sent one). `env` is moved in and dropped as soon as the child is
/// spawned.
pub async fn run(
    exe: &Path,
    mut env: Env,
    cwd: Option<Vec<u8>>,
    args: &[String],
    limit: &Semaphore,
) -> ResolveOutcome {
    let _permit = limit.acquire().await;
    let mut cmd = tokio::process::Command::new(exe);
    if let Some(dir) = cwd.map(|c| std::path::PathBuf::from(OsStr::from_bytes(&c))) {
        if dir.is_dir() {
            cmd.current_dir(dir);
        }
    }
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

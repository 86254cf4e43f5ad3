//! Serving one request: fingerprint ([`plan`]), cache, single-flight resolution, rendering
//! ([`whoami`], [`prompt`]).

pub mod plan;
mod prompt;
mod whoami;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use awsid_proto::msg::{Env, Failure, Reply, Request, ResolveOutcome, Status};

use crate::cache::{Joined, Outcome, Waiter};
use crate::fingerprint::Fingerprint;
use crate::resolve;
use crate::state::{Daemon, Stats};

/// How long an identity from a source awsid cannot watch (credential_process, instance or
/// container metadata) is trusted at most; watched sources use `[daemon] refresh_secs`.
const TTL_OPAQUE: Duration = Duration::from_secs(5 * 60);
/// Errors are remembered briefly; any change of input is a new fingerprint anyway.
const TTL_ERROR: Duration = Duration::from_secs(3);
/// An identity is dropped this long before its credentials expire.
const EXPIRY_MARGIN: Duration = Duration::from_secs(60);

/// Serves a request. Environments that are needed beyond this call (a resolution) are taken
/// out of it; the caller wipes what is left.
pub async fn handle(d: &Arc<Daemon>, req: &mut Request) -> Reply {
    match req {
        Request::Whoami(w) => whoami::whoami(d, w).await,
        Request::Prompt(p) => prompt::prompt(d, p).await,
        Request::Status => Reply::Status(status(d)),
        Request::Flush => {
            d.cache.clear();
            d.files.clear();
            Reply::Done
        }
        Request::Shutdown => Reply::Done,
    }
}

fn status(d: &Daemon) -> Status {
    use std::sync::atomic::Ordering::Relaxed;
    Status {
        pid: std::process::id(),
        version: awsid_proto::VERSION.to_string(),
        uptime_secs: d.started.elapsed().as_secs(),
        socket: d.socket.display().to_string(),
        cached: d.cache.len() as u64,
        in_flight: d.cache.in_flight() as u64,
        hits: d.stats.hits.load(Relaxed),
        misses: d.stats.misses.load(Relaxed),
        sts_calls: d.stats.sts_calls.load(Relaxed),
        errors: d.stats.errors.load(Relaxed),
        config_path: d
            .config
            .path()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        config_error: d.config.error(),
        recent_errors: d.recent_errors(),
    }
}

/// Joins the resolution in flight for `fp`, or starts one with this environment. The
/// environment moves into the resolver task and is dropped once the child has started.
fn resolution(
    d: &Arc<Daemon>,
    fp: Fingerprint,
    env: Env,
    cwd: Option<Vec<u8>>,
    profile_override: Option<&str>,
    opaque: bool,
) -> Waiter {
    match d.cache.join(&fp) {
        Joined::Wait(rx) => rx,
        Joined::Start(tx, rx) => {
            let mut args = Vec::new();
            if let Some(p) = profile_override.filter(|p| !p.is_empty()) {
                args.push("--profile".to_string());
                args.push(p.to_string());
            }
            if d.config.current().prompt.alias_lookup {
                args.push("--alias".to_string());
                args.push("--alias-skip".to_string());
                args.push(d.alias_known().join(","));
            }
            let d = d.clone();
            tokio::spawn(async move {
                Stats::bump(&d.stats.sts_calls);
                let outcome = resolve::run(&d.resolver, env, cwd, &args, &d.resolver_limit).await;
                if let ResolveOutcome::Identity(id) = &outcome {
                    d.remember_alias(&id.account, id.alias.clone());
                }
                if let ResolveOutcome::Failure(f) = &outcome {
                    d.record_error(describe_failure(f));
                    tracing::info!(kind = ?f.kind, code = ?f.code, "resolution failed");
                } else {
                    tracing::debug!("resolved a new fingerprint");
                }
                let now = Instant::now();
                let refresh = Duration::from_secs(d.config.current().daemon.refresh_secs);
                let until = now + ttl(&outcome, opaque, refresh, SystemTime::now());
                d.cache.complete(&fp, tx, Arc::new(outcome), until, now);
            });
            rx
        }
    }
}

/// A failure as the recent-errors list keeps it (see [`render::safe_summary`]).
fn describe_failure(f: &Failure) -> String {
    format!(
        "resolution failed: {}",
        crate::render::safe_summary(f.kind, f.code.as_deref(), &f.message)
    )
}

/// Waits at most `limit` for a resolution's outcome.
async fn wait(mut rx: Waiter, limit: Duration) -> Option<Outcome> {
    match tokio::time::timeout(limit, rx.wait_for(|o| o.is_some())).await {
        Ok(Ok(outcome)) => outcome.clone(),
        _ => None,
    }
}

/// How long an outcome stays fresh.
fn ttl(outcome: &ResolveOutcome, opaque: bool, refresh: Duration, now: SystemTime) -> Duration {
    match outcome {
        ResolveOutcome::Failure(_) => TTL_ERROR,
        ResolveOutcome::Identity(id) => {
            let base = if opaque {
                TTL_OPAQUE.min(refresh)
            } else {
                refresh
            };
            match id.expires_unix {
                Some(exp) => {
                    let now = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs() as i64;
                    let left = (exp - now).max(0) as u64;
                    base.min(Duration::from_secs(left).saturating_sub(EXPIRY_MARGIN))
                }
                None => base,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use awsid_proto::msg::{FailureKind, Identity};

    fn id(expires_unix: Option<i64>) -> ResolveOutcome {
        ResolveOutcome::Identity(Identity {
            account: "1".into(),
            arn: "a".into(),
            user_id: "u".into(),
            expires_unix,
            alias: awsid_proto::msg::AliasLookup::NotAsked,
        })
    }

    #[test]
    fn recent_errors_keep_no_more_than_the_first_line() {
        let sig = Failure {
            kind: FailureKind::Service,
            code: Some("SignatureDoesNotMatch".into()),
            message: "The request signature we calculated does not match.\n\nThe Canonical \
                      String for this request should have been\n'x-amz-security-token:SECRET'"
                .into(),
        };
        let text = describe_failure(&sig);
        assert!(text.contains("SignatureDoesNotMatch") && text.contains("does not match"));
        assert!(!text.contains("SECRET"), "{text}");
        for kind in [FailureKind::Credentials, FailureKind::Other] {
            let process = Failure {
                kind,
                code: None,
                message: "external process exited. Stderr: password=SECRET".into(),
            };
            assert!(!describe_failure(&process).contains("SECRET"));
        }
    }

    #[test]
    fn ttl_never_outlives_the_credentials() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let r = Duration::from_secs(900);
        assert_eq!(ttl(&id(None), false, r, now), r);
        assert_eq!(ttl(&id(None), true, r, now), TTL_OPAQUE);
        assert_eq!(
            ttl(&id(Some(1_000_000 + 120)), false, r, now),
            Duration::from_secs(60)
        );
        assert_eq!(
            ttl(&id(Some(1_000_000 + 30)), false, r, now),
            Duration::ZERO
        );
        assert_eq!(ttl(&id(Some(10)), false, r, now), Duration::ZERO);
    }
}

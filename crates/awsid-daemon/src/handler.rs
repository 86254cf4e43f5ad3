//! Serving one request: fingerprint, cache, single-flight resolution, rendering.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use awsid_proto::envvars::is_fingerprint_var;
use awsid_proto::msg::{
    Failure, FailureKind, Reply, Request, ResolveOutcome, Status, WhoamiRequest,
};

use crate::awsfiles::expand_tilde;
use crate::cache::Joined;
use crate::fingerprint::{self, Inputs};
use crate::render::{self, Format};
use crate::resolve;
use crate::state::{Daemon, Stats};

/// How long an identity is trusted before STS is asked again (bounded by the credentials'
/// expiry), for credentials awsid can watch (variables and files) and for those it cannot
/// (credential_process, instance or container metadata).
const TTL_WATCHED: Duration = Duration::from_secs(15 * 60);
const TTL_OPAQUE: Duration = Duration::from_secs(5 * 60);
/// Errors are remembered briefly; any change of input is a new fingerprint anyway.
const TTL_ERROR: Duration = Duration::from_secs(3);
/// An identity is dropped this long before its credentials expire.
const EXPIRY_MARGIN: Duration = Duration::from_secs(60);

pub async fn handle(d: &Arc<Daemon>, req: Request) -> Reply {
    match req {
        Request::Whoami(w) => whoami(d, w).await,
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
    }
}

/// The parts of a whoami request that decide the cache key and the output format.
struct Plan {
    fingerprint: fingerprint::Fingerprint,
    output: String,
    opaque: bool,
}

/// Computes the fingerprint and output format, or the "profile not found" answer.
fn plan(d: &Daemon, req: &WhoamiRequest) -> Result<Plan, Failure> {
    let vars: BTreeMap<Vec<u8>, Vec<u8>> = req
        .env
        .iter()
        .filter(|(k, _)| is_fingerprint_var(k))
        .cloned()
        .collect();
    let var = |name: &str| {
        vars.get(name.as_bytes())
            .filter(|v| !v.is_empty())
            .map(|v| String::from_utf8_lossy(v).into_owned())
    };
    let home = var("HOME").map(PathBuf::from).or_else(|| d.home.clone());
    // The CLI's profile: --profile, AWS_DEFAULT_PROFILE, AWS_PROFILE; a named one must exist.
    let named = req
        .profile
        .clone()
        .or_else(|| var("AWS_DEFAULT_PROFILE"))
        .or_else(|| var("AWS_PROFILE"));
    let profile = named.clone().unwrap_or_else(|| "default".to_string());
    let aws_dir = home.as_deref().map(|h| h.join(".aws"));
    let file_or = |name: &str, default: &str| {
        var(name)
            .map(|p| expand_tilde(&p, home.as_deref()))
            .or_else(|| aws_dir.as_ref().map(|dir| dir.join(default)))
    };
    let config = file_or("AWS_CONFIG_FILE", "config");
    let credentials = file_or("AWS_SHARED_CREDENTIALS_FILE", "credentials");
    let none = PathBuf::new();
    let profiles = d.files.profiles(
        config.as_ref().unwrap_or(&none),
        credentials.as_ref().unwrap_or(&none),
    );
    if named.is_some() && !profiles.exists(&profile) {
        return Err(Failure {
            kind: FailureKind::ProfileNotFound,
            code: None,
            message: format!("The config profile ({profile}) could not be found"),
        });
    }
    let deps = profiles.dependencies(&profile, home.as_deref());
    let mut files: Vec<PathBuf> = config.into_iter().chain(credentials).collect();
    files.extend(deps.files);
    for name in [
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    ] {
        if let Some(p) = var(name) {
            files.push(expand_tilde(&p, home.as_deref()));
        }
    }
    let output = req
        .output
        .clone()
        .or_else(|| var("AWS_DEFAULT_OUTPUT"))
        .or_else(|| profiles.get(&profile, "output").map(str::to_string))
        .unwrap_or_else(|| "json".to_string());
    let fingerprint = fingerprint::compute(
        &d.key,
        &Inputs {
            vars: &vars,
            include_path: deps.opaque,
            profile_override: req.profile.as_deref(),
            files: &files,
        },
        SystemTime::now(),
    );
    Ok(Plan {
        fingerprint,
        output,
        opaque: deps.opaque,
    })
}

async fn whoami(d: &Arc<Daemon>, req: WhoamiRequest) -> Reply {
    let plan = match plan(d, &req) {
        Ok(p) => p,
        Err(failure) => return Reply::Whoami(render::failure(&failure)),
    };
    if !matches!(plan.output.as_str(), "json" | "text" | "table") {
        return Reply::Whoami(render::failure(&Failure {
            kind: FailureKind::Other,
            code: None,
            message: format!(
                "awsid: output format {:?} is not supported (json, text or table)",
                plan.output
            ),
        }));
    }
    let format = Format {
        output: &plan.output,
        query: req.query.as_deref(),
        term_width: req.term_width,
    };
    if let Some(outcome) = d.cache.get(&plan.fingerprint, Instant::now()) {
        Stats::bump(&d.stats.hits);
        return Reply::Whoami(render::whoami(&outcome, &format));
    }
    if !req.full_env {
        Stats::bump(&d.stats.misses);
        return Reply::NeedEnv;
    }
    let timeout = Duration::from_millis(u64::from(req.timeout_ms.max(1)));
    let mut rx = match d.cache.join(&plan.fingerprint) {
        Joined::Wait(rx) => rx,
        Joined::Start(tx, rx) => {
            let env = resolve::child_env(req.env, req.profile.as_deref());
            let d = d.clone();
            let fp = plan.fingerprint;
            let opaque = plan.opaque;
            tokio::spawn(async move {
                Stats::bump(&d.stats.sts_calls);
                let outcome = resolve::run(&d.resolver, env, &d.resolver_limit).await;
                if let ResolveOutcome::Failure(f) = &outcome {
                    Stats::bump(&d.stats.errors);
                    tracing::info!(kind = ?f.kind, code = ?f.code, "resolution failed");
                } else {
                    tracing::debug!("resolved a new fingerprint");
                }
                let now = Instant::now();
                let until = now + ttl(&outcome, opaque, SystemTime::now());
                d.cache.complete(&fp, tx, Arc::new(outcome), until, now);
            });
            rx
        }
    };
    let waited = tokio::time::timeout(timeout, rx.wait_for(|o| o.is_some())).await;
    match waited {
        Ok(Ok(outcome)) => {
            let outcome = outcome.clone().expect("waited for Some");
            Reply::Whoami(render::whoami(&outcome, &format))
        }
        _ => Reply::Whoami(render::failure(&Failure {
            kind: FailureKind::Timeout,
            code: None,
            message: format!(
                "awsid: no answer from STS within {:.1} s (--timeout)",
                timeout.as_secs_f64()
            ),
        })),
    }
}

/// How long an outcome stays fresh.
fn ttl(outcome: &ResolveOutcome, opaque: bool, now: SystemTime) -> Duration {
    match outcome {
        ResolveOutcome::Failure(_) => TTL_ERROR,
        ResolveOutcome::Identity(id) => {
            let base = if opaque { TTL_OPAQUE } else { TTL_WATCHED };
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
    use awsid_proto::msg::Identity;

    fn id(expires_unix: Option<i64>) -> ResolveOutcome {
        ResolveOutcome::Identity(Identity {
            account: "1".into(),
            arn: "a".into(),
            user_id: "u".into(),
            expires_unix,
        })
    }

    #[test]
    fn ttl_never_outlives_the_credentials() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert_eq!(ttl(&id(None), false, now), TTL_WATCHED);
        assert_eq!(ttl(&id(None), true, now), TTL_OPAQUE);
        assert_eq!(
            ttl(&id(Some(1_000_000 + 120)), false, now),
            Duration::from_secs(60)
        );
        assert_eq!(ttl(&id(Some(1_000_000 + 30)), false, now), Duration::ZERO);
        assert_eq!(ttl(&id(Some(10)), false, now), Duration::ZERO);
    }
}

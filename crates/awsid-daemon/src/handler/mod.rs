//! Serving one request: fingerprint ([`plan`]), cache, single-flight resolution, rendering
//! ([`whoami`], [`prompt`]).

pub mod plan;
mod prompt;
mod whoami;

use std::os::unix::ffi::OsStrExt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::resolve::outcome::{Failure, ResolveOutcome};
use awsid_proto::msg::{Answered, Env, Reply, Request, Status};

use crate::cache::{JobInfo, Joined, Outcome, Waiter};
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
        Request::Whoami(w) => match refused_file(&w.env, w.cwd.as_deref()) {
            Some(message) => whoami::answer(
                crate::render::failure(&Failure {
                    kind: awsid_proto::msg::FailureKind::Credentials,
                    code: None,
                    message,
                }),
                None,
                Answered::BeforeLookup,
            ),
            None => whoami::whoami(d, w).await,
        },
        Request::Prompt(p) => match refused_file(&p.env, p.cwd.as_deref()) {
            Some(_) => failed_prompt(d, p.shell),
            None => prompt::prompt(d, p).await,
        },
        Request::Status => Reply::Status(status(d)),
        Request::Flush => {
            d.cache.clear();
            d.files.clear();
            Reply::Done
        }
        Request::Shutdown => Reply::Done,
    }
}

/// A prompt marked as failed (`!error`), not settled.
fn failed_prompt(d: &Daemon, shell: awsid_proto::msg::Shell) -> Reply {
    let cfg = d.config.current();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs() as i64;
    let state = crate::prompt::State::Failed;
    let facts = crate::prompt::Facts::default();
    Reply::Prompt(awsid_proto::msg::PromptReply {
        segment: crate::prompt::segment(&cfg, shell, &state, None, &facts, now),
        settled: false,
        valid_for_secs: 0,
        watch: Vec::new(),
        whole_env: false,
    })
}

/// The answer to a shell in another mount namespace than the daemon's (`unshare -m`,
/// bubblewrap, a container sharing the runtime directory): its files are not the ones the
/// daemon sees, so it gets a marked state, never an identity (None: a request that does not
/// depend on files, served as usual).
pub fn other_namespace(d: &Daemon, req: &Request) -> Option<Reply> {
    match req {
        Request::Whoami(_) => Some(whoami::answer(
            crate::render::failure(&Failure {
                kind: awsid_proto::msg::FailureKind::Other,
                code: None,
                message: "awsid: this shell is in another mount namespace than awsidd, which \
                          cannot see its files; run a daemon inside it (set AWSID_RUNTIME_DIR to \
                          a directory of its own)"
                    .into(),
            }),
            None,
            Answered::BeforeLookup,
        )),
        Request::Prompt(p) => Some(failed_prompt(d, p.shell)),
        _ => None,
    }
}

/// The config or credentials file a client names, if the daemon refuses to read it (a file
/// above 16 MiB): such a request is answered with that error at once, and no lookup starts.
/// A FIFO, a device or a directory is no file at all, as to the CLI: it is never opened.
fn refused_file(env: &Env, cwd: Option<&[u8]>) -> Option<String> {
    let vars = awsid_aws::select::Vars::from_env(env);
    let cwd = cwd.map(|c| std::path::PathBuf::from(std::ffi::OsStr::from_bytes(c)));
    let (config, credentials) = awsid_aws::select::shared_files(&vars, cwd.as_deref());
    config
        .into_iter()
        .chain(credentials)
        // Not a regular file (a FIFO, a device, a directory): no file at all to the CLI
        // (`os.path.isfile`), never opened. A regular file too big to be one is refused.
        .filter(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file()))
        .find_map(|p| crate::state::check_file(&p).err())
}

fn status(d: &Daemon) -> Status {
    use std::sync::atomic::Ordering::Relaxed;
    Status {
        pid: std::process::id(),
        version: awsid_proto::VERSION.to_string(),
        exe: std::fs::read_link("/proc/self/exe")
            .or_else(|_| std::env::current_exe())
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        uptime_secs: d.started.elapsed().as_secs(),
        socket: d.socket.display().to_string(),
        cached: d.cache.len() as u64,
        in_flight: d.cache.in_flight() as u64,
        hits: d.stats.hits.load(Relaxed),
        misses: d.stats.misses.load(Relaxed),
        lookups: d.stats.lookups.load(Relaxed),
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
    resolution_with(d, fp, env, cwd, profile_override, opaque, None).0
}

/// [`resolution`], also returning what a waiter may tell about it (its endpoint, whether it
/// still waits for a slot). `region` is the plan's, for naming the endpoint.
fn resolution_with(
    d: &Arc<Daemon>,
    fp: Fingerprint,
    env: Env,
    cwd: Option<Vec<u8>>,
    profile_override: Option<&str>,
    opaque: bool,
    region: Option<&str>,
) -> (Waiter, Arc<JobInfo>) {
    let region = region.map(str::to_string).or_else(|| {
        ["AWS_REGION", "AWS_DEFAULT_REGION"].iter().find_map(|n| {
            env.iter()
                .find(|(k, v)| k == n.as_bytes() && !v.is_empty())
                .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
        })
    });
    // Container credentials are a source awsid cannot watch, whatever else the plan says:
    // bounded like the others (a shorter life than needed costs a lookup, never a wrong answer).
    let opaque = opaque || container_credentials(&env);
    let endpoint = || JobInfo::new(resolve::endpoint(&env, region.as_deref()));
    match d.cache.join(&fp, endpoint) {
        Joined::Wait(rx, info) => (rx, info),
        Joined::Start(flight, rx) => {
            let info = flight.info().clone();
            let mut args = Vec::new();
            if let Some(p) = profile_override.filter(|p| !p.is_empty()) {
                args.push("--profile".to_string());
                args.push(p.to_string());
            }
            let cfg = d.config.current();
            if cfg.prompt.alias_lookup {
                args.push("--alias".to_string());
                args.push("--alias-skip".to_string());
                args.push(d.alias_known().join(","));
            }
            let deadline = Duration::from_secs(cfg.daemon.resolve_timeout_secs);
            let d = d.clone();
            tokio::spawn(async move {
                // `flight` ends the lookup whatever happens to this task: dropped by a panic, it
                // still clears the in-flight mark and wakes the waiters.
                let job = resolve::Job {
                    exe: &d.resolver,
                    env,
                    cwd,
                    args: &args,
                    deadline,
                    endpoint: &flight.info().endpoint,
                };
                let ran = d
                    .scheduler
                    .run(
                        job,
                        || flight.waiters() > 0,
                        || {
                            Stats::bump(&d.stats.lookups);
                            flight.info().set_running();
                        },
                    )
                    .await;
                let outcome = match ran {
                    resolve::Ran::Done(outcome) => outcome,
                    resolve::Ran::Refused(outcome) => {
                        if let ResolveOutcome::Failure(f) = &outcome {
                            d.record_error(describe_failure(f));
                        }
                        flight.abandon(Arc::new(outcome));
                        return;
                    }
                    resolve::Ran::Dropped => {
                        tracing::debug!("dropped a queued lookup nobody waited for");
                        flight.abandon(Arc::new(ResolveOutcome::Failure(Failure {
                            kind: awsid_proto::msg::FailureKind::Timeout,
                            code: None,
                            message: "awsid: the lookup waited too long for its turn".into(),
                        })));
                        return;
                    }
                };
                if let ResolveOutcome::Identity(id) = &outcome {
                    d.remember_alias(&id.account, id.alias.clone());
                }
                if let ResolveOutcome::Failure(f) = &outcome {
                    d.record_error(describe_failure(f));
                    tracing::info!(kind = ?f.kind, code = ?f.code, "resolution failed");
                } else {
                    tracing::debug!("resolved a new fingerprint");
                }
                let refresh = Duration::from_secs(d.config.current().daemon.refresh_secs);
                let ttl = ttl(&outcome, opaque, refresh, SystemTime::now());
                flight.complete(Arc::new(outcome), ttl);
            });
            (rx, info)
        }
    }
}

/// Whether the environment names container credentials (`AWS_CONTAINER_CREDENTIALS_*_URI`).
fn container_credentials(env: &Env) -> bool {
    env.iter().any(|(k, v)| {
        !v.is_empty()
            && (k == b"AWS_CONTAINER_CREDENTIALS_FULL_URI"
                || k == b"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
    })
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
                    let left = exp.saturating_sub(now).max(0) as u64;
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
    use crate::resolve::outcome::Identity;
    use awsid_proto::msg::FailureKind;

    fn id(expires_unix: Option<i64>) -> ResolveOutcome {
        ResolveOutcome::Identity(Identity {
            account: "1".into(),
            arn: "a".into(),
            user_id: "u".into(),
            expires_unix,
            alias: crate::resolve::outcome::AliasLookup::NotAsked,
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

//! Serving one request: fingerprint ([`plan`]), cache, single-flight resolution, rendering
//! ([`whoami`], [`prompt`]; the segment itself is [`crate::segment`]).

pub mod plan;
mod prompt;
mod whoami;

use std::os::unix::ffi::OsStrExt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::resolve::outcome::{Failure, ResolveOutcome};
use awsid_proto::msg::{Answered, Env, Reply, Request, Status};

use crate::cache::{JobInfo, Joined, Outcome, Ttl, Waiter};
use crate::fingerprint::Fingerprint;
use crate::resolve;
use crate::state::{Daemon, Stats};

/// Serves a request. Environments that are needed beyond this call (a resolution) are taken
/// out of it; the caller wipes what is left.
pub async fn handle(d: &Arc<Daemon>, req: &mut Request) -> Reply {
    // A changed refresh period applies to the answers already cached, before any is served.
    let refresh = d.config.current().daemon.refresh_secs;
    d.cache.set_refresh(Duration::from_secs(refresh));
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
    let state = crate::segment::State::Failed;
    let facts = crate::segment::Facts::default();
    Reply::Prompt(awsid_proto::msg::PromptReply {
        segment: crate::segment::segment(&cfg, shell, &state, None, &facts, now),
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
        .find_map(|p| crate::filecache::check_file(&p).err())
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

/// What a lookup's caller knows of it: the plan's region and the endpoint `--endpoint-url`
/// names (to name the endpoint), and what a `whoami` adds to the resolver child's arguments.
#[derive(Default)]
pub struct Call {
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    pub args: Vec<String>,
}

/// Joins the resolution in flight for `fp`, or starts one with this environment, and tells
/// what a waiter may say about it (its endpoint, whether it still waits for a slot, how long it has run). The
/// environment moves into the resolver task and is dropped once the child has started.
/// `call` holds the plan's region (for naming the endpoint) and what a `whoami` adds.
fn resolution(
    d: &Arc<Daemon>,
    fp: Fingerprint,
    env: Env,
    cwd: Option<Vec<u8>>,
    profile_override: Option<&str>,
    opaque: bool,
    call: &Call,
) -> (Waiter, Arc<JobInfo>) {
    let region = call.region.clone().or_else(|| {
        ["AWS_REGION", "AWS_DEFAULT_REGION"].iter().find_map(|n| {
            env.iter()
                .find(|(k, v)| k == n.as_bytes() && !v.is_empty())
                .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
        })
    });
    // Container credentials are a source awsid cannot watch, whatever else the plan says:
    // bounded like the others (a shorter life than needed costs a lookup, never a wrong answer).
    let opaque = opaque || container_credentials(&env);
    let endpoint = || {
        JobInfo::new(match &call.endpoint_url {
            Some(url) => crate::render::sanitize(url).into_owned(),
            None => resolve::endpoint(&env, region.as_deref()),
        })
    };
    match d.cache.join(&fp, endpoint) {
        Joined::Wait(rx, info) => (rx, info),
        Joined::Start(flight, rx) => {
            let info = flight.info().clone();
            let mut args = Vec::new();
            if let Some(p) = profile_override.filter(|p| !p.is_empty()) {
                args.push("--profile".to_string());
                args.push(p.to_string());
            }
            args.extend(call.args.iter().cloned());
            let cfg = d.config.current();
            if cfg.prompt.alias_lookup {
                args.push("--alias".to_string());
                args.push("--alias-skip".to_string());
                args.push(d.aliases.known().join(","));
            }
            let known = d.sso_names.known();
            if !known.is_empty() {
                args.push("--sso-name-skip".to_string());
                args.push(known.join(","));
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
                    d.aliases.remember(&id.account, id.alias.clone());
                    d.sso_names.remember(&id.account, id.sso_name.clone());
                }
                if let ResolveOutcome::Failure(f) = &outcome {
                    d.record_error(describe_failure(f));
                    tracing::info!(
                        kind = f.kind.label(),
                        code = f.code.as_deref().unwrap_or("-"),
                        "resolution failed"
                    );
                } else {
                    tracing::debug!("resolved a new fingerprint");
                }
                flight.complete(Arc::new(outcome), Ttl::Refresh { opaque });
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

/// A failure as the recent-errors list keeps it (see [`crate::redact::safe_summary`]).
fn describe_failure(f: &Failure) -> String {
    format!(
        "resolution failed: {}",
        crate::redact::safe_summary(f.kind, f.code.as_deref(), &f.message)
    )
}

/// Waits at most `limit` for a resolution's outcome.
async fn wait(mut rx: Waiter, limit: Duration) -> Option<Outcome> {
    match tokio::time::timeout(limit, rx.wait_for(|o| o.is_some())).await {
        Ok(Ok(outcome)) => outcome.clone(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use awsid_proto::msg::FailureKind;

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
}

//! `prompt`: a segment within the budget. Fresh answers come from the cache; otherwise the
//! lookup starts (or is joined) and the reply waits at most the budget, then shows what there
//! is: the identity, the same fingerprint's previous identity marked stale, or "pending" with
//! an offline hint marked unconfirmed.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::resolve::outcome::{CliFailure, ResolveOutcome};
use awsid_proto::msg::{PromptReply, PromptRequest, Reply};

use super::plan::{any_racy, plan, Planned, Request};
use crate::cache::Outcome;
use crate::config::Config;
use crate::segment::{segment, Facts, State};
use crate::state::{Daemon, Stats};
use awsid_aws::errors::CliError;

/// How often a countdown must be redrawn.
const COUNTDOWN_STEP: u32 = 30;
/// A first lookup running this long is shown as a timeout naming its endpoint, not as
/// pending.
const SLOW_LOOKUP: Duration = Duration::from_secs(5);

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs() as i64
}

/// What a shell hook must watch: the files, and every directory on the path to them (the
/// path as named and the path with symlinks resolved) that a rename by this user can change.
/// A file renamed over another keeps its old mtime, `ln -sfn ~/aws-b ~/.aws` or
/// `mv ~/.aws-b ~/.aws` leave every file's mtime old: only the mtime of the directory holding
/// the renamed entry shows the change. The walk up stops before `/`, a directory owned by
/// another user (`/home`: this user cannot rename entries there) and a sticky one (`/tmp`:
/// it changes all the time; renaming one's own directory there is the case left out).
fn watch(files: &[PathBuf]) -> Vec<(String, bool)> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let me = awsid_proto::runtime::euid();
    let mut out: Vec<(String, bool)> = Vec::new();
    let mut add = |p: &Path, exists: bool| {
        let entry = (p.display().to_string(), exists);
        if !out.contains(&entry) {
            out.push(entry);
        }
    };
    let dirs = |start: Option<&Path>, add: &mut dyn FnMut(&Path, bool)| {
        let mut dir = start;
        while let Some(d) = dir.filter(|d| d.parent().is_some() && !d.as_os_str().is_empty()) {
            match std::fs::metadata(d) {
                Ok(m) if m.uid() == me && m.permissions().mode() & 0o1000 == 0 => add(d, true),
                Ok(_) => break,
                // A missing directory: its creation shows in its parent.
                Err(_) => add(d, false),
            }
            dir = d.parent();
        }
    };
    for f in files {
        add(f, f.exists());
        dirs(f.parent(), &mut add);
        if let Ok(canonical) = std::fs::canonicalize(f) {
            dirs(canonical.parent(), &mut add);
        }
    }
    out
}

/// Every file an answer depends on: the AWS files the plan read, and awsid's own config (a
/// changed format, style or class redraws even a settled answer at once). The config is
/// watched but never makes an answer "racy": it is not read through the parsed-files cache,
/// and its reload compares the whole stat identity, nanoseconds and ctime included.
fn inputs(d: &Daemon, files: &[PathBuf]) -> Vec<PathBuf> {
    let mut all = files.to_vec();
    all.extend(d.config.path().map(Path::to_path_buf));
    all
}

/// The longest any prompt answer is trusted by a hook without asking again: the refresh
/// period (an answer awsid cannot re-check by watching files gets a shorter one from its TTL).
fn max_valid(cfg: &Config) -> u32 {
    cfg.daemon.refresh_secs.clamp(1, u64::from(u32::MAX)) as u32
}

struct Shown {
    segment: String,
    /// Final for these inputs (until `valid_for`).
    settled: bool,
    valid_for_secs: u32,
}

/// What to show for an outcome. `previous` is the identity a failed refresh replaced.
fn show(
    d: &Daemon,
    cfg: &Config,
    req: &PromptRequest,
    outcome: &ResolveOutcome,
    previous: Option<&Outcome>,
    facts: &Facts,
    selects_credentials: bool,
) -> Shown {
    let now = now_unix();
    let render = |state: &State, id: Option<&crate::resolve::outcome::Identity>| {
        let facts = Facts {
            alias: id.and_then(|i| d.aliases.of(&i.account)),
            sso_name: id.and_then(|i| d.sso_names.of(&i.account)),
            ..facts.clone()
        };
        segment(cfg, req.shell, state, id, &facts, now)
    };
    match outcome {
        ResolveOutcome::Identity(id) => {
            let mut valid = u32::MAX;
            if let Some(exp) = id.expires_unix {
                let left = exp - now;
                if left <= 0 {
                    return Shown {
                        segment: render(&State::Expired, Some(id)),
                        settled: true,
                        valid_for_secs: u32::MAX,
                    };
                }
                let window = i64::from(cfg.prompt.expires_within_minutes) * 60;
                valid = if left <= window {
                    COUNTDOWN_STEP
                } else {
                    (left - window).min(i64::from(u32::MAX)) as u32
                };
            }
            Shown {
                segment: render(&State::Fresh, Some(id)),
                settled: true,
                valid_for_secs: valid,
            }
        }
        ResolveOutcome::Failure(f) => {
            let state = State::of_failure(f, &facts.endpoint);
            if state.is_transient() {
                if let Some(ResolveOutcome::Identity(prev)) = previous.map(|p| &**p) {
                    return Shown {
                        segment: render(&State::Stale, Some(prev)),
                        settled: false,
                        valid_for_secs: 0,
                    };
                }
            }
            let segment = if state == State::NoCreds && !selects_credentials {
                String::new() // no AWS in this shell at all: no segment
            } else {
                render(&state, None)
            };
            Shown {
                segment,
                settled: !state.is_transient(),
                valid_for_secs: u32::MAX,
            }
        }
    }
}

pub async fn prompt(d: &Arc<Daemon>, req: &mut PromptRequest) -> Reply {
    let started = Instant::now();
    let cfg = d.config.current();
    let budget = Duration::from_millis(u64::from(req.budget_ms.min(cfg.prompt.budget_ms)));
    let planned = plan(
        d,
        &Request {
            env: &req.env,
            full_env: req.full_env,
            cwd: req.cwd.as_deref(),
            profile_override: None,
            region_override: None,
            call_options: &[],
            call_file: None,
        },
    );
    let plan = match planned {
        Planned::Ready(p) => p,
        Planned::NeedEnv => {
            Stats::bump(&d.stats.misses);
            return Reply::NeedEnv;
        }
        Planned::Refused(r) => {
            // The CLI would stop before calling STS: shown at once, final for these inputs.
            let failure = r.error.failure();
            let state = match &r.error {
                CliError::ProfileNotFound { profile } => State::ProfileNotFound(profile.clone()),
                _ => State::of_failure(&failure, ""),
            };
            let segment = if state == State::NoCreds && !r.selects_credentials {
                String::new() // no AWS in this shell at all: no segment
            } else {
                segment(&cfg, req.shell, &state, None, &r.facts, now_unix())
            };
            let files = inputs(d, &r.files);
            let settled = !any_racy(&r.files);
            if let (true, Some(pid)) = (settled, req.hook_pid) {
                crate::stampwatch::register(&awsid_proto::dirs::stamp_file(pid), &files);
            }
            return Reply::Prompt(PromptReply {
                segment,
                settled,
                valid_for_secs: max_valid(&cfg),
                watch: watch(&files),
                // A file named through another variable: every exported one counts.
                whole_env: r.chain.whole_env,
            });
        }
    };
    let files = inputs(d, &plan.files);
    // Every answer's validity is finite: the cache entry's freshness when there is one, and
    // never beyond the refresh period.
    let reply = |shown: Shown, fresh_until: Option<Instant>| {
        let mut valid = shown.valid_for_secs.min(max_valid(&cfg));
        if let Some(until) = fresh_until {
            let left = until.saturating_duration_since(Instant::now()).as_secs();
            valid = valid.min(left.min(u64::from(u32::MAX)) as u32);
        }
        let settled = shown.settled && valid > 0 && !any_racy(&plan.files);
        if let (true, Some(pid)) = (settled, req.hook_pid) {
            crate::stampwatch::register(&awsid_proto::dirs::stamp_file(pid), &files);
        }
        Reply::Prompt(PromptReply {
            segment: shown.segment,
            settled,
            valid_for_secs: valid,
            watch: watch(&files),
            // A program answers: any exported variable can change the answer.
            whole_env: plan.chain.whole_env,
        })
    };
    let found = d.cache.lookup(&plan.fingerprint, Instant::now());
    if let Some(f) = found.as_ref().filter(|f| f.fresh) {
        Stats::bump(&d.stats.hits);
        let shown = show(
            d,
            &cfg,
            req,
            &f.outcome,
            f.previous.as_ref(),
            &plan.facts,
            plan.selects_credentials,
        );
        return reply(shown, Some(f.fresh_until));
    }
    if !req.full_env {
        Stats::bump(&d.stats.misses);
        return Reply::NeedEnv;
    }
    let (rx, job) = super::resolution(
        d,
        plan.fingerprint,
        std::mem::take(&mut req.env),
        req.cwd.take(),
        None,
        plan.opaque,
        &super::Call {
            region: plan.facts.region.clone(),
            ..Default::default()
        },
    );
    let left = budget.saturating_sub(started.elapsed());
    if let Some(outcome) = super::wait(rx, left).await {
        // The entry just stored: its freshness bounds this answer as it bounds a cache hit.
        let stored = d.cache.lookup(&plan.fingerprint, Instant::now());
        let fresh_until = Some(stored.as_ref().map_or_else(Instant::now, |f| f.fresh_until));
        let previous = stored.and_then(|f| f.previous);
        let shown = show(
            d,
            &cfg,
            req,
            &outcome,
            previous.as_ref(),
            &plan.facts,
            plan.selects_credentials,
        );
        return reply(shown, fresh_until);
    }
    // Still looking: the same fingerprint's last identity, marked stale; else its last
    // failure's state (a timeout stays a timeout while it is tried again); else pending, or a
    // timeout naming the endpoint once the lookup has run for long.
    let now = now_unix();
    let stale_identity = found.as_ref().and_then(|f| match &*f.outcome {
        ResolveOutcome::Identity(id) => Some(id.clone()),
        ResolveOutcome::Failure(_) => f.previous.as_ref().and_then(|p| match &**p {
            ResolveOutcome::Identity(id) => Some(id.clone()),
            ResolveOutcome::Failure(_) => None,
        }),
    });
    let segment = match &stale_identity {
        Some(id) => {
            let facts = Facts {
                alias: d.aliases.of(&id.account),
                sso_name: d.sso_names.of(&id.account),
                ..plan.facts.clone()
            };
            segment(&cfg, req.shell, &State::Stale, Some(id), &facts, now)
        }
        None => {
            let last_failure = found.as_ref().and_then(|f| match &*f.outcome {
                ResolveOutcome::Failure(failure) => {
                    Some(State::of_failure(failure, &plan.facts.endpoint))
                }
                ResolveOutcome::Identity(_) => None,
            });
            let slow = job.running_for().is_some_and(|t| t >= SLOW_LOOKUP);
            let state = match last_failure {
                Some(s) => s,
                None if slow => State::TimedOut(crate::segment::host_of(&job.endpoint)),
                None => State::Pending,
            };
            if state == State::NoCreds && !plan.selects_credentials {
                String::new() // no AWS in this shell at all: no segment
            } else {
                segment(&cfg, req.shell, &state, None, &plan.facts, now)
            }
        }
    };
    reply(
        Shown {
            segment,
            settled: false,
            valid_for_secs: 0,
        },
        None,
    )
}

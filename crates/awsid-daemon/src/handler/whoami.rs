//! `whoami`: the CLI's answer, from the cache when fresh, else from STS (waiting up to the
//! client's timeout).

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::resolve::outcome::{CliFailure, Failure, ResolveOutcome};
use awsid_proto::msg::{Answered, FailureKind, Reply, WhoamiAnswer, WhoamiReply, WhoamiRequest};

use super::plan::{plan, Planned, Request};
use crate::render::{self, Format};
use crate::state::{Daemon, Stats};

pub async fn whoami(d: &Arc<Daemon>, req: &mut WhoamiRequest) -> Reply {
    let planned = plan(
        d,
        &Request {
            env: &req.env,
            full_env: req.full_env,
            cwd: req.cwd.as_deref(),
            profile_override: req.profile.as_deref(),
        },
    );
    let plan = match planned {
        Planned::Ready(p) => p,
        Planned::Refused(r) => {
            // The CLI's error before any lookup: kept among the recent errors (a prompt's
            // refusals are not, or every prompt would add one).
            let failure = r.error.failure();
            d.record_error(super::describe_failure(&failure));
            return answer(render::failure(&failure), None, Answered::BeforeLookup);
        }
        Planned::NeedEnv => {
            Stats::bump(&d.stats.misses);
            return Reply::NeedEnv;
        }
    };
    let output = req.output.clone().unwrap_or(plan.output.clone());
    if !matches!(output.as_str(), "json" | "text" | "table") {
        let failure = Failure {
            kind: FailureKind::Other,
            code: None,
            message: format!("Unknown output type: {output}"),
        };
        return answer(render::failure(&failure), None, Answered::BeforeLookup);
    }
    let format = Format {
        output: &output,
        query: req.query.as_deref(),
        term_width: req.term_width,
    };
    if let Some(outcome) = d.cache.get(&plan.fingerprint, Instant::now()) {
        Stats::bump(&d.stats.hits);
        return answer(
            render::whoami(&outcome, &format),
            Some(&outcome),
            Answered::Cache,
        );
    }
    if !req.full_env {
        Stats::bump(&d.stats.misses);
        return Reply::NeedEnv;
    }
    let timeout = Duration::from_millis(u64::from(req.timeout_ms.max(1)));
    let (rx, job) = super::resolution_with(
        d,
        plan.fingerprint,
        std::mem::take(&mut req.env),
        req.cwd.take(),
        req.profile.as_deref(),
        plan.opaque,
        plan.facts.region.as_deref(),
    );
    match super::wait(rx, timeout).await {
        Some(outcome) => answer(
            render::whoami(&outcome, &format),
            Some(&outcome),
            Answered::Lookup,
        ),
        // Say what this lookup waited for: its own endpoint, or its turn behind others.
        None if job.running() => lookup_failed(&Failure {
            kind: FailureKind::Timeout,
            code: None,
            message: format!(
                "awsid: no answer from STS ({}) within {:.1} s (--timeout)",
                job.endpoint,
                timeout.as_secs_f64()
            ),
        }),
        None => lookup_failed(&Failure {
            kind: FailureKind::Timeout,
            code: None,
            message: format!(
                "awsid: the lookup did not start within {:.1} s (--timeout): the daemon is busy with {} other lookups",
                timeout.as_secs_f64(),
                d.scheduler.queued()
            ),
        }),
    }
}

/// A lookup that gave no outcome in time.
fn lookup_failed(failure: &Failure) -> Reply {
    answer(render::failure(failure), None, Answered::Lookup)
}

/// The reply: what to print, and the identity (from `outcome`) as data.
pub fn answer(printed: WhoamiReply, outcome: Option<&ResolveOutcome>, answered: Answered) -> Reply {
    let identity = match outcome {
        Some(ResolveOutcome::Identity(id)) => Some(id.caller()),
        _ => None,
    };
    Reply::Whoami(WhoamiAnswer {
        printed,
        identity,
        answered,
    })
}

//! `whoami`: the CLI's answer, from the cache when fresh, else from STS (waiting up to the
//! client's timeout).
//!
//! The CLI's global options are checked here in the CLI's order and words (`--query`,
//! `--endpoint-url`, the timeouts), then the ones that change the lookup go into its plan
//! and fingerprint: `--region` (every call), `--endpoint-url` and `--ca-bundle` (the
//! GetCallerIdentity call, as in the CLI). `--debug` adds awsid's own account of the lookup
//! on stderr (the CLI prints botocore's log there; awsid has no such log to show).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::resolve::outcome::{CliFailure, Failure, ResolveOutcome};
use awsid_proto::msg::{
    Answered, CliOptions, FailureKind, Reply, WhoamiAnswer, WhoamiReply, WhoamiRequest,
};

use super::plan::{plan, Planned, Request};
use super::Call;
use crate::output::{query, Colour, OUTPUTS};
use crate::render::{self, Format};
use crate::state::{Daemon, Stats};

/// An error the CLI raises while reading its options (255, after a blank line).
fn bad_option(message: String) -> Reply {
    let failure = Failure {
        kind: FailureKind::Other,
        code: None,
        message,
    };
    answer(render::failure(&failure), None, Answered::BeforeLookup)
}

/// Python's `int(text)`, or its error.
fn py_int(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let digits = t.strip_prefix('+').unwrap_or(t);
    digits.parse::<u64>().map_err(|_| {
        format!(
            "invalid literal for int() with base 10: {}",
            awsid_aws::pyfmt::str_repr(text)
        )
    })
}

/// Python's `urlsplit(url).scheme` (None when empty) and the rest of the URL.
fn url_scheme(url: &str) -> Option<(&str, &str)> {
    let i = url.find(':')?;
    let scheme = &url[..i];
    let ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    ok.then(|| (scheme, &url[i + 1..]))
}

/// botocore's `is_valid_endpoint_url` (or its IPv6 form): a host name of DNS labels.
fn valid_endpoint(url: &str) -> bool {
    let Some((_, rest)) = url_scheme(url) else {
        return false;
    };
    let Some(rest) = rest.strip_prefix("//") else {
        return false;
    };
    let netloc = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = netloc.rsplit('@').next().unwrap_or("");
    if let Some(v6) = host_port.strip_prefix('[') {
        return v6.split(']').next().is_some_and(|h| {
            !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit() || c == ':')
        });
    }
    let host = host_port.split(':').next().unwrap_or("");
    let host = host.strip_suffix('.').unwrap_or(host);
    !host.is_empty()
        && host.len() <= 255
        && host.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// The options that change the GetCallerIdentity call, for the fingerprint and the child.
fn call_options(
    o: &CliOptions,
    timeouts: (Option<u64>, Option<u64>),
) -> (Vec<(&'static str, String)>, Vec<String>) {
    let mut hashed = Vec::new();
    let mut args = Vec::new();
    if let Some(url) = &o.endpoint_url {
        hashed.push(("--endpoint-url", url.clone()));
        args.extend(["--endpoint-url".to_string(), url.clone()]);
    }
    if let Some(bundle) = o.ca_bundle.as_ref().filter(|b| !b.is_empty()) {
        hashed.push(("--ca-bundle", bundle.clone()));
        args.extend(["--ca-bundle".to_string(), bundle.clone()]);
    }
    if let Some(region) = o.region.as_ref().filter(|r| !r.is_empty()) {
        args.extend(["--region".to_string(), region.clone()]);
    }
    // The timeouts change how long a lookup may take, not its answer: not hashed.
    if let Some(t) = timeouts.0 {
        args.extend(["--read-timeout".to_string(), t.to_string()]);
    }
    if let Some(t) = timeouts.1 {
        args.extend(["--connect-timeout".to_string(), t.to_string()]);
    }
    (hashed, args)
}

pub async fn whoami(d: &Arc<Daemon>, req: &mut WhoamiRequest) -> Reply {
    let o = req.options.clone();
    // The CLI checks --query, then --endpoint-url, then the timeouts, before anything else.
    let query = match req.query.as_deref().map(query::compile).transpose() {
        Ok(q) => q,
        Err(message) => return bad_option(message),
    };
    if let Some(url) = &o.endpoint_url {
        if url_scheme(url).is_none() {
            return bad_option(format!(
                "Bad value for --endpoint-url \"{url}\": scheme is missing.  Must be of the \
                 form http://<hostname>/ or https://<hostname>/"
            ));
        }
    }
    let timeouts = match (
        o.read_timeout.as_deref().map(py_int).transpose(),
        o.connect_timeout.as_deref().map(py_int).transpose(),
    ) {
        (Ok(r), Ok(c)) => (r, c),
        (Err(e), _) | (_, Err(e)) => return bad_option(e),
    };
    if o.no_verify_ssl {
        let printed = WhoamiReply {
            stdout: String::new(),
            stderr: "\nawsid: --no-verify-ssl is refused: awsid never turns TLS verification \
                     off (an unverified endpoint can claim any identity); name the endpoint's \
                     CA with --ca-bundle or AWS_CA_BUNDLE\n"
                .to_string(),
            exit_code: render::EXIT_SYNTAX,
            failure: None,
        };
        return answer(printed, None, Answered::BeforeLookup);
    }
    let colour = match o.color.as_deref() {
        Some("on") => Colour::On,
        Some("off") => Colour::Off,
        _ => Colour::Auto,
    };
    let (hashed, child_args) = call_options(&o, timeouts);
    let ca_bundle = o
        .ca_bundle
        .as_deref()
        .filter(|b| !b.is_empty())
        .map(Path::new);
    let planned = plan(
        d,
        &Request {
            env: &req.env,
            full_env: req.full_env,
            cwd: req.cwd.as_deref(),
            profile_override: req.profile.as_deref(),
            region_override: o.region.as_deref(),
            call_options: &hashed,
            call_file: ca_bundle,
        },
    );
    let mut debug = Vec::new();
    let plan = match planned {
        Planned::Ready(p) => p,
        Planned::Refused(r) => {
            // The CLI's error before any lookup: kept among the recent errors (a prompt's
            // refusals are not, or every prompt would add one).
            let failure = r.error.failure();
            d.record_error(super::describe_failure(&failure));
            if o.debug {
                debug.push(format!("profile: {}", r.chain.profile.name));
                debug.push("refused before any call (the CLI stops here too)".to_string());
            }
            let printed = with_debug(render::failure(&failure), o.debug, &debug);
            return answer(printed, None, Answered::BeforeLookup);
        }
        Planned::NeedEnv => {
            Stats::bump(&d.stats.misses);
            return Reply::NeedEnv;
        }
    };
    // botocore checks the endpoint when it creates the client, after the credentials.
    if let Some(url) = o.endpoint_url.as_deref().filter(|u| !valid_endpoint(u)) {
        return bad_option(format!("Invalid endpoint: {url}"));
    }
    let output = req.output.clone().unwrap_or(plan.output.clone());
    if !OUTPUTS.contains(&output.as_str()) {
        return bad_option(format!("Unknown output type: {output}"));
    }
    let format = Format {
        output: &output,
        query: query.as_ref(),
        term_width: req.term_width,
        colour,
    };
    let endpoint = o.endpoint_url.clone();
    if o.debug {
        debug.extend(describe(&plan, endpoint.as_deref()));
    }
    if let Some(outcome) = d.cache.get(&plan.fingerprint, Instant::now()) {
        Stats::bump(&d.stats.hits);
        debug.push(
            "answer: from awsidd's cache (same fingerprint: same variables, files and options)"
                .into(),
        );
        let printed = with_debug(render::whoami(&outcome, &format), o.debug, &debug);
        return answer(printed, Some(&outcome), Answered::Cache);
    }
    if !req.full_env {
        Stats::bump(&d.stats.misses);
        return Reply::NeedEnv;
    }
    let timeout = Duration::from_millis(u64::from(req.timeout_ms.max(1)));
    let call = Call {
        region: plan.facts.region.clone(),
        endpoint_url: endpoint,
        args: child_args,
    };
    let (rx, job) = super::resolution(
        d,
        plan.fingerprint,
        std::mem::take(&mut req.env),
        req.cwd.take(),
        req.profile.as_deref(),
        plan.opaque,
        &call,
    );
    debug.push(format!("answer: asked STS ({})", job.endpoint));
    let outcome = super::wait(rx, timeout).await;
    let printed = match &outcome {
        Some(outcome) => render::whoami(outcome, &format),
        // Say what this lookup waited for: its own endpoint, or its turn behind others.
        None if job.running() => render::failure(&Failure {
            kind: FailureKind::Timeout,
            code: None,
            message: format!(
                "awsid: no answer from STS ({}) within {:.1} s (--timeout)",
                job.endpoint,
                timeout.as_secs_f64()
            ),
        }),
        None => render::failure(&Failure {
            kind: FailureKind::Timeout,
            code: None,
            message: format!(
                "awsid: the lookup did not start within {:.1} s (--timeout): the daemon is busy with {} other lookups",
                timeout.as_secs_f64(),
                d.scheduler.queued()
            ),
        }),
    };
    let printed = with_debug(printed, o.debug, &debug);
    answer(printed, outcome.as_deref(), Answered::Lookup)
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

/// `--debug`: the profile, the source, the region and the endpoint of the plan (names only:
/// nothing secret).
fn describe(plan: &super::plan::Plan, endpoint_url: Option<&str>) -> Vec<String> {
    use awsid_aws::chain::Source;
    let chain = &plan.chain;
    let named = chain
        .profile
        .named_by
        .map(|n| format!(" (named by {})", n.describe()))
        .unwrap_or_else(|| " (nothing names one)".into());
    let source = match &chain.source {
        Ok(Source::Env(_)) => "keys in the environment",
        Ok(Source::AssumeRole(_)) => "an assumed role",
        Ok(Source::WebIdentity { .. }) => "web identity",
        Ok(Source::Sso { .. }) => "SSO",
        Ok(Source::SharedCredentials { .. }) => "keys in the credentials file",
        Ok(Source::Login { .. }) => "console login",
        Ok(Source::Process { .. }) => "credential_process",
        Ok(Source::ConfigKeys { .. }) => "keys in the config file",
        Ok(Source::Ec2CredentialFile(_)) => "AWS_CREDENTIAL_FILE",
        Ok(Source::BotoConfig(_)) => "a boto config file",
        Ok(Source::Container) => "the container credentials endpoint",
        Ok(Source::InstanceMetadata) => "the instance metadata service",
        Err(_) => "none",
    };
    let region = match &chain.region {
        Some((r, from)) => format!("{} (from {})", render::sanitize(r), from.describe()),
        None => "none (the global endpoint)".into(),
    };
    let mut lines = vec![
        format!("profile: {}{named}", render::sanitize(&chain.profile.name)),
        format!("credentials: {source}"),
        format!("region: {region}"),
    ];
    if let Some(url) = endpoint_url {
        lines.push(format!(
            "endpoint: {} (--endpoint-url)",
            render::sanitize(url)
        ));
    }
    lines
}

/// Puts the `--debug` lines before the reply's own stderr.
fn with_debug(mut reply: WhoamiReply, on: bool, lines: &[String]) -> WhoamiReply {
    if on && !lines.is_empty() {
        let mut text: String = lines
            .iter()
            .map(|l| format!("awsid debug: {l}\n"))
            .collect();
        text.push_str(&reply.stderr);
        reply.stderr = text;
    }
    reply
}

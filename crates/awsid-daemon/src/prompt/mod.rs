//! Prompt segments: which state an answer is in, and how it is shown.
//!
//! Every state other than a fresh identity carries a visible marker, so a prompt never shows a
//! guess as a fact: `…` pending (with an offline account hint marked `?`), `?` stale,
//! `!expired`, `!invalid`, `!no-creds`, `!profile NAME`, `!mfa`, `!offline`, `!throttled`,
//! `!error`,
//! and `!conflict` when AWS_PROFILE and AWS_DEFAULT_PROFILE disagree.

pub mod arn;
pub mod style;
pub mod template;

use crate::resolve::outcome::{Failure, Identity};
use awsid_proto::msg::{FailureKind, Shell};

use crate::config::Config;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    Fresh,
    /// The first lookup for these inputs is still running.
    Pending,
    /// The identity of these same inputs, past its refresh time or failing to refresh.
    Stale,
    Expired,
    Invalid,
    NoCreds,
    ProfileNotFound(String),
    /// A role that needs an MFA code, without usable credentials in the CLI's cache.
    NeedsMfa,
    Offline,
    Throttled,
    Failed,
}

impl State {
    pub fn marker(&self) -> String {
        match self {
            State::Fresh => String::new(),
            State::Pending => "…".into(),
            State::Stale => "?".into(),
            State::Expired => "!expired ".into(),
            State::Invalid => "!invalid ".into(),
            State::NoCreds => "!no-creds".into(),
            // An empty name (AWS_PROFILE= set to nothing) is shown as "".
            State::ProfileNotFound(p) if p.is_empty() => "!profile \"\"".to_string(),
            State::ProfileNotFound(p) => format!("!profile {p}"),
            State::NeedsMfa => "!mfa".into(),
            State::Offline => "!offline ".into(),
            State::Throttled => "!throttled ".into(),
            State::Failed => "!error ".into(),
        }
    }

    /// The state a failed resolution puts the prompt in.
    pub fn of_failure(f: &Failure) -> State {
        match f.kind {
            FailureKind::NoCredentials => State::NoCreds,
            FailureKind::ProfileNotFound => State::ProfileNotFound(String::new()),
            FailureKind::Network | FailureKind::Timeout => State::Offline,
            FailureKind::Service => match f.code.as_deref().unwrap_or_default() {
                "ExpiredToken" | "ExpiredTokenException" | "RequestExpired" => State::Expired,
                "InvalidClientTokenId"
                | "SignatureDoesNotMatch"
                | "UnrecognizedClientException"
                | "InvalidAccessKeyId"
                | "AccessDenied" => State::Invalid,
                "Throttling"
                | "ThrottlingException"
                | "RequestLimitExceeded"
                | "TooManyRequestsException" => State::Throttled,
                _ => State::Failed,
            },
            FailureKind::NeedsMfa => State::NeedsMfa,
            FailureKind::Credentials | FailureKind::Other => State::Failed,
        }
    }

    /// Whether a failure of this kind may be temporary (the last identity stays shown, stale).
    pub fn is_transient(&self) -> bool {
        matches!(self, State::Offline | State::Throttled)
    }
}

/// What the environment and config files say, beside the answer from STS.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub profile: Option<String>,
    pub region: Option<String>,
    /// AWS_PROFILE and AWS_DEFAULT_PROFILE are both set and differ.
    pub conflict: bool,
    /// An account id known offline (access key, AWS_ACCOUNT_ID, role_arn, sso_account_id).
    pub hint: Option<String>,
    /// The account's alias, when alias lookup is on and found one.
    pub alias: Option<String>,
}

/// `42m`, `1h05m`, `30s`.
pub fn format_duration(secs: i64) -> String {
    let secs = secs.max(0);
    match secs {
        0..=59 => format!("{secs}s"),
        60..=3599 => format!("{}m", secs / 60),
        _ => format!("{}h{:02}m", secs / 3600, secs % 3600 / 60),
    }
}

/// Whether `text` matches a glob of `*` and `?`.
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Renders the segment. `identity` is the one to show (for Stale, the previous one).
pub fn segment(
    cfg: &Config,
    shell: Shell,
    state: &State,
    identity: Option<&Identity>,
    facts: &Facts,
    now_unix: i64,
) -> String {
    let principal = identity.map(|i| arn::parse(&i.arn)).unwrap_or_default();
    let mut state = state.clone();
    let mut expires_in = String::new();
    if let Some(exp) = identity.and_then(|i| i.expires_unix) {
        let left = exp - now_unix;
        if left <= 0 {
            state = State::Expired;
        } else if left <= i64::from(cfg.prompt.expires_within_minutes) * 60 {
            expires_in = format_duration(left);
        }
    }
    let (account_id, unconfirmed) = match (identity, &state) {
        (Some(i), _) => (i.account.clone(), false),
        (None, State::Pending) => (facts.hint.clone().unwrap_or_default(), true),
        _ => (String::new(), false),
    };
    let account_name = cfg.accounts.get(&account_id).cloned().unwrap_or_default();
    let alias = match identity {
        Some(_) if cfg.prompt.alias_lookup => facts.alias.clone().unwrap_or_default(),
        _ => String::new(),
    };
    // Its configured name, else its alias, else the id.
    let mut account = [&account_name, &alias, &account_id]
        .into_iter()
        .find(|v| !v.is_empty())
        .cloned()
        .unwrap_or_default();
    if unconfirmed && !account.is_empty() {
        account.push('?');
    }
    let profile = facts.profile.clone().unwrap_or_default();
    let class = cfg.classes.iter().find(|c| {
        [&account_id, &account_name, &profile]
            .iter()
            .any(|v| !v.is_empty() && glob(&c.pattern, v))
    });
    let symbol = class
        .and_then(|c| c.symbol.clone())
        .unwrap_or_else(|| cfg.prompt.symbol.clone());
    let style_spec = class
        .and_then(|c| c.style.clone())
        .unwrap_or_else(|| cfg.prompt.style.clone());
    let mut marker = state.marker();
    if facts.conflict {
        marker = format!("!conflict {marker}");
    }
    let value = |field: &str| -> String {
        let raw = match field {
            "account" => account.clone(),
            "account_id" => account_id.clone(),
            "account_name" => account_name.clone(),
            "alias" => alias.clone(),
            "principal" => principal.name.clone(),
            "role" => principal.role.clone(),
            "session" => principal.session.clone(),
            "user" => principal.user.clone(),
            "type" => principal.kind.clone(),
            "arn" => identity.map(|i| i.arn.clone()).unwrap_or_default(),
            "user_id" => identity.map(|i| i.user_id.clone()).unwrap_or_default(),
            "partition" => principal.partition.clone(),
            "profile" => profile.clone(),
            "region" => facts.region.clone().unwrap_or_default(),
            "expires_in" => expires_in.clone(),
            "state" => marker.clone(),
            "symbol" => symbol.clone(),
            _ => String::new(),
        };
        // Data from STS, the environment or the config never carries a control character to
        // the terminal (see `render::sanitize`).
        style::escape(shell, &crate::render::sanitize(&raw))
    };
    let mut nodes = template::parse(&cfg.prompt.format)
        .unwrap_or_else(|_| template::parse("{state}{account}").expect("fallback parses"));
    template::sanitize(&mut nodes);
    let text = template::render(&nodes, &value);
    let text = text.trim_end();
    let style = style::Style::parse(&style_spec).unwrap_or_default();
    style::paint(shell, &style, text)
}

#[cfg(test)]
mod tests;

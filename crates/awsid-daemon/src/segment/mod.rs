//! Prompt segments: which state an answer is in, and how it is shown.
//!
//! Every state other than a fresh identity carries a visible marker, so a prompt never shows a
//! guess as a fact: `…` pending (with an offline account hint marked `?`), `?` stale,
//! `!expired`, `!invalid`, `!no-creds`, `!profile NAME`, `!mfa`, `!login` (SSO signed out),
//! `!offline`, `!timeout HOST`, `!throttled`, `!error`, and `!conflict` when AWS_PROFILE and
//! AWS_DEFAULT_PROFILE disagree. The marker is drawn in `state_style`, the rest in the
//! class's style.
//!
//! The format and styles are compiled once per configuration load ([`Look`]).

pub mod arn;
pub mod style;
pub mod template;

use crate::resolve::outcome::{Failure, Identity};
use awsid_proto::msg::{FailureKind, Shell};

use crate::config::Config;
use style::Style;
use template::{Field, Node};

/// The prompt's format, styles and classes, compiled once per configuration load.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Look {
    format: Vec<Node>,
    style: Style,
    state_style: Style,
    classes: Vec<ClassLook>,
}

#[derive(Debug, Clone, PartialEq)]
struct ClassLook {
    pattern: String,
    style: Option<Style>,
    symbol: Option<String>,
}

impl Look {
    /// Compiles the configuration's `[prompt]` and `[[class]]` (their errors are the
    /// configuration's).
    pub fn compile(cfg: &Config) -> Result<Look, String> {
        let mut format = template::parse(&cfg.prompt.format)?;
        template::sanitize(&mut format);
        let classes = cfg
            .classes
            .iter()
            .map(|c| {
                Ok(ClassLook {
                    pattern: c.pattern.clone(),
                    style: c.style.as_deref().map(Style::parse).transpose()?,
                    symbol: c.symbol.clone(),
                })
            })
            .collect::<Result<_, String>>()?;
        Ok(Look {
            format,
            style: Style::parse(&cfg.prompt.style)?,
            state_style: Style::parse(&cfg.prompt.state_style)?,
            classes,
        })
    }
}

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
    /// A role that needs an MFA code, without usable credentials in the AWS CLI's cache.
    NeedsMfa,
    /// The SSO token is missing, expired or refused: `aws sso login`.
    Login,
    Offline,
    /// No answer from this endpoint (host) within the lookup's time limit, or a lookup that
    /// has run for long.
    TimedOut(String),
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
            State::Login => "!login".into(),
            State::Offline => "!offline ".into(),
            State::TimedOut(host) => format!("!timeout {host} "),
            State::Throttled => "!throttled ".into(),
            State::Failed => "!error ".into(),
        }
    }

    /// The state a failed resolution puts the prompt in; `endpoint` is the STS endpoint the
    /// lookup talked to (named by a timeout).
    pub fn of_failure(f: &Failure, endpoint: &str) -> State {
        match f.kind {
            FailureKind::NoCredentials => State::NoCreds,
            FailureKind::ProfileNotFound => State::ProfileNotFound(
                awsid_aws::errors::profile_not_found_name(f.message.trim())
                    .unwrap_or("?")
                    .to_string(),
            ),
            FailureKind::Network => State::Offline,
            FailureKind::Timeout => State::TimedOut(host_of(endpoint)),
            FailureKind::SsoLogin => State::Login,
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
        matches!(self, State::Offline | State::Throttled | State::TimedOut(_))
    }
}

/// The host (and port) of an endpoint URL: `https://sts.eu-west-1.amazonaws.com/` →
/// `sts.eu-west-1.amazonaws.com`.
pub fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    // Credentials in a URL (user:pass@host) are never shown.
    host.rsplit('@').next().unwrap_or_default().to_string()
}

/// What the environment and config files say, beside the answer from STS.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The profile the credentials come from (a credential tool's profile for keys it
    /// exported); None when no profile is their source.
    pub profile: Option<String>,
    pub region: Option<String>,
    /// The region in force when it is not the profile's own (a variable overrides it).
    pub other_region: Option<String>,
    /// The STS endpoint a lookup talks to, as far as the environment tells (for messages).
    pub endpoint: String,
    /// AWS_PROFILE and AWS_DEFAULT_PROFILE are both set and differ.
    pub conflict: bool,
    /// An account id known offline (access key, AWS_ACCOUNT_ID, role_arn, sso_account_id).
    pub hint: Option<String>,
    /// The account's alias, when alias lookup is on and found one.
    pub alias: Option<String>,
    /// The account's name in the SSO portal, when an SSO lookup found one.
    pub sso_name: Option<String>,
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
    let look = &cfg.look;
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
    // The user's own `[accounts]` name, else the SSO portal's (for a confirmed identity).
    let account_name = cfg
        .accounts
        .get(&account_id)
        .cloned()
        .or_else(|| identity.and(facts.sso_name.clone()))
        .unwrap_or_default();
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
    let matches = |pattern: &str| {
        [&account_id, &account_name, &profile]
            .iter()
            .any(|v| !v.is_empty() && glob(pattern, v))
    };
    // A fresh identity the user chose not to see; any other state is always shown.
    if state == State::Fresh && !facts.conflict && cfg.prompt.hide.iter().any(|h| matches(h)) {
        return String::new();
    }
    let class = look.classes.iter().find(|c| matches(&c.pattern));
    let symbol = class
        .and_then(|c| c.symbol.clone())
        .unwrap_or_else(|| cfg.prompt.symbol.clone());
    let style = class.and_then(|c| c.style.as_ref()).unwrap_or(&look.style);
    let mut marker = state.marker();
    if facts.conflict {
        marker = format!("!conflict {marker}");
    }
    let value = |field: Field| -> String {
        let raw = match field {
            Field::Account => account.clone(),
            Field::AccountId => account_id.clone(),
            Field::AccountName => account_name.clone(),
            Field::Alias => alias.clone(),
            Field::Principal => principal.name.clone(),
            Field::Role => principal.role.clone(),
            Field::Session => principal.session.clone(),
            Field::User => principal.user.clone(),
            Field::Type => principal.kind.clone(),
            Field::Arn => identity.map(|i| i.arn.clone()).unwrap_or_default(),
            Field::UserId => identity.map(|i| i.user_id.clone()).unwrap_or_default(),
            Field::Partition => principal.partition.clone(),
            Field::Profile => profile.clone(),
            Field::Region => facts.region.clone().unwrap_or_default(),
            Field::OtherRegion => facts.other_region.clone().unwrap_or_default(),
            Field::ExpiresIn => expires_in.clone(),
            Field::State => marker.clone(),
            Field::Symbol => symbol.clone(),
        };
        // Data from STS, the environment or the config never carries a control character to
        // the terminal (see `render::sanitize`).
        style::escape(shell, &crate::render::sanitize(&raw))
    };
    let pieces = template::trim_end(template::render(&look.format, &value));
    style::paint_pieces(shell, style, &look.state_style, &pieces)
}

#[cfg(test)]
mod tests;

//! Which credential source wins in an environment, and why, in words: the chain's plan
//! (`awsid_aws::chain`, the same walk the daemon fingerprints and the resolver executes)
//! worded for a person. It decides nothing itself. Only names, paths and non-secret settings
//! are reported, never a key or token.

use std::path::{Path, PathBuf};

use serde::Serialize;

use awsid_aws::chain::{Named, Plan, Role, RoleSource, Source};
use awsid_aws::errors::CliError;
use awsid_aws::select::{NamedBy, Vars};

/// Variables that hold credentials; only their names (and the key's 4-letter kind) are shown.
pub const SECRET_VARS: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
];

/// Variables through which credential tools announce an expiry (values are not secret).
const EXPIRY_VARS: &[&str] = &[
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_SESSION_EXPIRATION",
    "AWS_SSO_SESSION_EXPIRATION",
    "AWSUME_EXPIRATION",
];

/// Credential tools and the variable that shows they exported this shell's credentials.
const TOOLS: &[(&str, &str)] = &[
    ("AWS_VAULT", "aws-vault"),
    ("AWSUME_PROFILE", "awsume"),
    ("GRANTED_SSO", "granted"),
    ("AWSU_PROFILE", "awsu"),
    ("AWS_SSO_PROFILE", "aws-sso-cli"),
];

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProfileChoice {
    pub name: String,
    /// `--profile`, `AWS_DEFAULT_PROFILE`, `AWS_PROFILE`, or `default` (nothing set).
    pub from: String,
}

/// Where the credentials come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SourceKind {
    Environment,
    Profile,
    WebIdentity,
    Container,
    InstanceMetadata,
    /// The legacy EC2 credential file or boto2 config file.
    LegacyFile,
    /// No credentials.
    #[default]
    None,
    ProfileNotFound,
    /// The AWS CLI stops with another error.
    Invalid,
}

impl SourceKind {
    /// The name both reports use.
    pub fn name(self) -> &'static str {
        match self {
            SourceKind::Environment => "environment",
            SourceKind::Profile => "profile",
            SourceKind::WebIdentity => "web-identity",
            SourceKind::Container => "container",
            SourceKind::InstanceMetadata => "instance-metadata",
            SourceKind::LegacyFile => "legacy-file",
            SourceKind::None => "none",
            SourceKind::ProfileNotFound => "profile-not-found",
            SourceKind::Invalid => "invalid",
        }
    }
}

/// What one step of a profile's chain does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HopKind {
    AssumeRole,
    StaticKeys,
    Sso,
    Login,
    CredentialProcess,
    WebIdentity,
    CredentialSource,
}

impl HopKind {
    /// The kind in words, for the one-line summary.
    pub fn describe(self) -> &'static str {
        match self {
            HopKind::AssumeRole => "assumes a role",
            HopKind::StaticKeys => "static keys",
            HopKind::Sso => "IAM Identity Center (SSO)",
            HopKind::Login => "console login session",
            HopKind::CredentialProcess => "credential_process",
            HopKind::WebIdentity => "web identity token",
            HopKind::CredentialSource => "credential_source",
        }
    }

    /// The name both reports use.
    pub fn name(self) -> &'static str {
        match self {
            HopKind::AssumeRole => "assume-role",
            HopKind::StaticKeys => "static-keys",
            HopKind::Sso => "sso",
            HopKind::Login => "login",
            HopKind::CredentialProcess => "credential-process",
            HopKind::WebIdentity => "web-identity",
            HopKind::CredentialSource => "credential-source",
        }
    }
}

super::report::serialize_by_name!(SourceKind, HopKind);

/// One step of a profile's chain.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hop {
    pub profile: String,
    pub kind: HopKind,
    pub detail: String,
    /// Where the profile is defined.
    #[serde(serialize_with = "super::report::paths")]
    pub defined_in: Vec<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sso {
    pub profile: String,
    pub session: Option<String>,
    pub start_url: Option<String>,
    pub account: Option<String>,
    pub role: Option<String>,
    #[serde(serialize_with = "super::report::opt_path")]
    pub token_file: Option<PathBuf>,
    #[serde(flatten)]
    pub token: TokenState,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "token", rename_all = "lowercase")]
pub enum TokenState {
    /// No start URL or session to find the token by.
    Unknown,
    Missing,
    Unreadable {
        reason: String,
    },
    /// `refreshable`: an sso-session token with a refresh token, which the SDK renews itself.
    #[serde(rename = "present")]
    Expires {
        #[serde(rename = "expires_at")]
        at: String,
        #[serde(skip)]
        unix: Option<i64>,
        /// Whether `at` has passed (None: `at` cannot be read as a time).
        expired: Option<bool>,
        refreshable: bool,
    },
}

/// A variable (name and value, or a description of a value that is not shown).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Variable {
    pub name: String,
    pub value: String,
}

/// The region, and which setting gave it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Region {
    pub name: String,
    pub from: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Explanation {
    pub source: SourceKind,
    /// What wins, in one line.
    pub summary: String,
    pub profile: Option<ProfileChoice>,
    /// The reasoning, step by step.
    pub why: Vec<String>,
    pub chain: Vec<Hop>,
    /// Credential variables that are set (names, with a non-secret description).
    #[serde(rename = "environment_variables")]
    pub env_credentials: Vec<Variable>,
    /// Expiry variables that are set (name, value).
    #[serde(rename = "expiry_variables")]
    pub expiry_vars: Vec<Variable>,
    /// The credential tool that exported them, if one can be told.
    #[serde(rename = "exported_by")]
    pub tool: Option<String>,
    pub region: Option<Region>,
    pub sso: Option<Sso>,
    /// Reported under the report's own problems.
    #[serde(skip)]
    pub problems: Vec<String>,
    /// Every profile in the files (names only), for "profile not found".
    pub known_profiles: Vec<String>,
}

/// `AKIA… (long-term user key)`: the kind of an access key id, never the key.
fn key_kind(key: &str) -> String {
    let kind = match key.get(..4) {
        Some("AKIA") => "long-term user key",
        Some("ASIA") => "temporary session key",
        _ => "access key",
    };
    format!("{}… ({kind})", key.get(..4).unwrap_or(""))
}

pub fn explain(plan: &Plan, vars: &Vars, now: i64) -> Explanation {
    let mut ex = Explanation::default();
    let var = |n: &str| vars.get(n);
    for name in SECRET_VARS {
        if let Some(v) = var(name) {
            let desc = if *name == "AWS_ACCESS_KEY_ID" {
                key_kind(v)
            } else {
                "set (value not shown)".to_string()
            };
            ex.env_credentials.push(Variable {
                name: name.to_string(),
                value: desc,
            });
        }
    }
    for name in EXPIRY_VARS {
        if let Some(v) = var(name) {
            ex.expiry_vars.push(Variable {
                name: name.to_string(),
                value: v.to_string(),
            });
        }
    }
    ex.tool = TOOLS.iter().find_map(|(v, tool)| {
        var(v).map(|val| format!("{tool} ({v}={val})")) // profile names, not secrets
    });
    ex.known_profiles = plan.files_read.profile_names();
    let name = plan.profile.name.clone();
    let from = plan.profile.named_by.map_or("default", NamedBy::describe);
    ex.profile = Some(ProfileChoice {
        name: name.clone(),
        from: from.to_string(),
    });
    if let (Some(d), Some(p)) = (var("AWS_DEFAULT_PROFILE"), var("AWS_PROFILE")) {
        if d != p {
            let text = format!(
                "AWS_DEFAULT_PROFILE={d} and AWS_PROFILE={p} disagree: the AWS CLI and awsid use \
                 {d}, most SDKs and Terraform use {p}"
            );
            ex.problems.push(text.clone());
            ex.why.push(text);
        }
    }
    ex.region = plan.region.as_ref().map(|(r, from)| Region {
        name: r.clone(),
        from: from.describe().to_string(),
    });
    if plan.profile.explicit()
        && (var("AWS_ACCESS_KEY_ID").is_some() || var("AWS_ROLE_ARN").is_some())
    {
        ex.why.push(
            "--profile is given: credentials and web identity in the environment are ignored, \
             as by the AWS CLI"
                .into(),
        );
    }
    let source = match &plan.source {
        Ok(s) => s,
        Err(e) => {
            explain_error(e, plan, &mut ex);
            return ex;
        }
    };
    match source {
        Source::Env(keys) => {
            ex.source = SourceKind::Environment;
            let token = keys
                .token_var
                .map(|t| format!(" and {t}"))
                .unwrap_or_default();
            ex.summary = format!(
                "environment variables AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY{token}{}",
                ex.tool
                    .as_deref()
                    .map(|t| format!(", exported by {t}"))
                    .unwrap_or_default()
            );
            ex.why.push(
                "credentials in the environment come first in the chain (only --profile beats \
                 them)"
                    .into(),
            );
            if plan.profile.named_by.is_some() {
                ex.why.push(format!(
                    "{from}={name} is set but not used for credentials: environment keys win \
                     over profiles"
                ));
            }
        }
        Source::WebIdentity {
            role_arn,
            token_file,
            from_env: true,
            ..
        } => {
            ex.source = SourceKind::WebIdentity;
            ex.summary = format!(
                "web identity: role {role_arn} with the token in {}",
                token_file.display()
            );
            ex.why.push(
                "AWS_WEB_IDENTITY_TOKEN_FILE is set: web identity comes before the profile's \
                 keys in the AWS CLI's chain"
                    .into(),
            );
        }
        Source::Container => {
            ex.source = SourceKind::Container;
            ex.summary = "the container credentials endpoint".into();
            ex.why.push(
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI is set: credentials come \
                 from the container endpoint"
                    .into(),
            );
        }
        Source::InstanceMetadata => {
            ex.source = SourceKind::InstanceMetadata;
            ex.summary = "the EC2 instance metadata service (the last resort of the chain)".into();
            ex.why.push(
                "nothing else provides credentials: the CLI asks the EC2 instance metadata \
                 service, which only answers on EC2 (set AWS_EC2_METADATA_DISABLED=true to skip \
                 it)"
                .into(),
            );
        }
        Source::Ec2CredentialFile(f) | Source::BotoConfig(f) => {
            ex.source = SourceKind::LegacyFile;
            ex.summary = format!("keys in the legacy file {}", f.display());
        }
        profile_source => {
            ex.source = SourceKind::Profile;
            ex.why.push(match plan.profile.named_by {
                None => "no profile variable is set: the [default] profile is used".to_string(),
                Some(by) => format!("{} selects profile {name}", by.describe()),
            });
            hops(profile_source, plan, now, &mut ex);
            let top = ex.chain.first().map_or("profile", |h| h.kind.describe());
            ex.summary = format!(
                "profile {name} (from {}): {}",
                if from == "default" {
                    "no variable set"
                } else {
                    from
                },
                top
            );
        }
    }
    if plan.opaque && plan.whole_env {
        ex.why.push(
            "a credential_process runs a program awsid cannot watch: every exported variable \
             counts, and its answer is re-checked at least every 5 minutes"
                .into(),
        );
    }
    ex
}

fn explain_error(e: &CliError, plan: &Plan, ex: &mut Explanation) {
    let name = &plan.profile.name;
    match e {
        CliError::ProfileNotFound { profile } => {
            ex.source = SourceKind::ProfileNotFound;
            let from = plan.profile.named_by.map_or("default", NamedBy::describe);
            ex.summary = format!("profile {profile:?} (from {from}) does not exist");
            ex.why.push(format!(
                "{from} names profile {profile:?}, which is in neither file: the AWS CLI stops \
                 here"
            ));
            let mut problem = format!("the config profile ({profile}) could not be found");
            if let Some(near) = closest(profile, &ex.known_profiles) {
                problem.push_str(&format!(" (did you mean {near}?)"));
            }
            ex.problems.push(problem);
        }
        CliError::NoCredentials => {
            ex.source = SourceKind::None;
            ex.summary = "no credentials".into();
            ex.why.push(
                "AWS_EC2_METADATA_DISABLED=true: the instance metadata service is not asked".into(),
            );
            ex.problems.push(
                "no credentials: set AWS_PROFILE to a profile, or export keys (aws configure, \
                 aws sso login, aws-vault, granted…)"
                    .into(),
            );
        }
        CliError::NeedsMfa { profile, .. } => {
            ex.source = SourceKind::Invalid;
            ex.summary = format!("profile {name} needs an MFA code");
            ex.problems.push(format!(
                "profile {profile} needs an MFA code (mfa_serial): run `aws sts \
                 get-caller-identity --profile {profile}` once; awsid then uses the AWS CLI's \
                 cached credentials"
            ));
        }
        other => {
            ex.source = SourceKind::Invalid;
            ex.summary = format!("the AWS CLI stops with an error for profile {name}");
            ex.problems.push(other.to_string());
        }
    }
}

/// A known profile within two edits of a mistyped one.
fn closest<'a>(name: &str, known: &'a [String]) -> Option<&'a str> {
    fn distance(a: &str, b: &str) -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut row: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut prev = row[0];
            row[0] = i + 1;
            for (j, cb) in b.iter().enumerate() {
                let cur = row[j + 1];
                row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
                prev = cur;
            }
        }
        row[b.len()]
    }
    known
        .iter()
        .map(|k| (distance(name, k), k))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, k)| k.as_str())
}

fn defined_in(plan: &Plan, profile: &str) -> Vec<PathBuf> {
    let p = plan.files_read.profile(profile);
    let mut out = Vec::new();
    if p.config.is_some() {
        out.extend(plan.files_read.config_path.clone());
    }
    if p.credentials.is_some() {
        out.extend(plan.files_read.credentials_path.clone());
    }
    out
}

/// The hops of a profile's source, outermost first.
fn hops(source: &Source, plan: &Plan, now: i64, ex: &mut Explanation) {
    let hop = |profile: &str, kind: HopKind, detail: String| Hop {
        profile: profile.to_string(),
        kind,
        detail,
        defined_in: defined_in(plan, profile),
    };
    match source {
        Source::AssumeRole(role) => {
            let Role {
                profile,
                args,
                source,
                ..
            } = &**role;
            let mut detail = format!("role_arn {}", args.role_arn);
            if args.mfa_serial.is_some() {
                detail.push_str(" with mfa_serial (the AWS CLI's cached credentials are used)");
            }
            match source {
                RoleSource::Profile(inner) => {
                    ex.chain.push(hop(profile, HopKind::AssumeRole, detail));
                    hops(inner, plan, now, ex);
                }
                RoleSource::Named(named, _) => {
                    ex.chain.push(hop(profile, HopKind::AssumeRole, detail));
                    let which = match named {
                        Named::Environment => "Environment",
                        Named::EcsContainer => "EcsContainer",
                        Named::Ec2InstanceMetadata => "Ec2InstanceMetadata",
                    };
                    ex.chain.push(hop(
                        profile,
                        HopKind::CredentialSource,
                        format!("credential_source {which}"),
                    ));
                }
            }
        }
        Source::SharedCredentials { profile, file } | Source::ConfigKeys { profile, file } => {
            let p = plan.files_read.profile(profile);
            let kind = p.get("aws_access_key_id").map(key_kind).unwrap_or_default();
            let token = if p.has("aws_session_token") || p.has("aws_security_token") {
                " with aws_session_token"
            } else {
                ""
            };
            ex.chain.push(hop(
                profile,
                HopKind::StaticKeys,
                format!("aws_access_key_id {kind}{token} from {}", file.display()),
            ));
        }
        Source::WebIdentity {
            profile,
            role_arn,
            token_file,
            ..
        } => {
            ex.chain.push(hop(
                profile.as_deref().unwrap_or_default(),
                HopKind::WebIdentity,
                format!(
                    "role_arn {role_arn} with the token in {}",
                    token_file.display()
                ),
            ));
        }
        Source::Sso {
            profile,
            session,
            start_url,
            account_id,
            role_name,
            token_file,
            ..
        } => {
            let mut detail = format!("account {account_id}, role {role_name}");
            if let Some(s) = session {
                detail.push_str(&format!(", sso-session {s}"));
            }
            let token = token_state(token_file.as_deref(), session.is_some(), now);
            match &token {
                TokenState::Missing => ex.problems.push(format!(
                    "no SSO token for profile {profile}: run `aws sso login --profile {profile}`"
                )),
                TokenState::Expires {
                    expired: Some(true),
                    at,
                    refreshable,
                    ..
                } => {
                    if *refreshable {
                        ex.why.push(format!(
                            "the SSO access token expired at {at}; it is renewed with the \
                             session's refresh token"
                        ));
                    } else {
                        ex.problems.push(format!(
                            "the SSO token for profile {profile} expired at {at}: run `aws sso \
                             login --profile {profile}`"
                        ))
                    }
                }
                TokenState::Unreadable { reason: e } => ex
                    .problems
                    .push(format!("the SSO token cache file cannot be read: {e}")),
                _ => {}
            }
            ex.chain.push(hop(profile, HopKind::Sso, detail));
            ex.sso = Some(Sso {
                profile: profile.clone(),
                session: session.clone(),
                start_url: Some(start_url.clone()),
                account: Some(account_id.clone()),
                role: Some(role_name.clone()),
                token_file: token_file.clone(),
                token,
            });
        }
        Source::Login {
            profile, session, ..
        } => {
            ex.chain.push(hop(
                profile,
                HopKind::Login,
                format!("login_session {session}"),
            ));
            ex.problems.push(format!(
                "profile {profile} uses a console login session, which awsid cannot use yet"
            ));
        }
        Source::Process { profile, command } => {
            ex.chain.push(hop(
                profile,
                HopKind::CredentialProcess,
                format!("credential_process {}", program_of(command)),
            ));
        }
        Source::Env(_) => ex.chain.push(hop(
            "",
            HopKind::CredentialSource,
            "the environment's keys".into(),
        )),
        Source::Container => ex.chain.push(hop(
            "",
            HopKind::CredentialSource,
            "the container endpoint".into(),
        )),
        Source::InstanceMetadata => ex.chain.push(hop(
            "",
            HopKind::CredentialSource,
            "the instance metadata service".into(),
        )),
        Source::Ec2CredentialFile(f) | Source::BotoConfig(f) => ex.chain.push(hop(
            "",
            HopKind::StaticKeys,
            format!("keys in {}", f.display()),
        )),
    }
}

/// Only the program of a credential_process (split as the CLI splits it): its arguments and
/// any assignment can carry secrets.
fn program_of(command: &str) -> String {
    let words = awsid_aws::shlex::split(command).unwrap_or_default();
    let program = words
        .first()
        .filter(|w| !w.contains('='))
        .cloned()
        .unwrap_or_else(|| "(a command)".into());
    if words.len() > 1 {
        format!("{program} (arguments not shown)")
    } else {
        program
    }
}

/// What the SSO token cache file says: only `expiresAt` is read, and whether a refresh
/// token is there; the tokens themselves are never looked at.
fn token_state(file: Option<&Path>, session: bool, now: i64) -> TokenState {
    let Some(f) = file else {
        return TokenState::Unknown;
    };
    match std::fs::read(f) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => TokenState::Missing,
        Err(e) => TokenState::Unreadable {
            reason: e.to_string(),
        },
        Ok(bytes) => match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(v) => match v.get("expiresAt").and_then(|e| e.as_str()) {
                Some(at) => {
                    let unix = awsid_aws::expiry::parse_with_offset(at);
                    TokenState::Expires {
                        at: at.to_string(),
                        unix,
                        expired: unix.map(|u| u <= now),
                        refreshable: session
                            && v.get("refreshToken")
                                .and_then(|t| t.as_str())
                                .is_some_and(|t| !t.is_empty()),
                    }
                }
                None => TokenState::Unreadable {
                    reason: "no expiresAt in the token file".into(),
                },
            },
            Err(_) => TokenState::Unreadable {
                reason: "not JSON".into(),
            },
        },
    }
}

//! Which credential source wins in an environment, and why, in words: the chain's plan
//! (`awsid_aws::chain`, the same walk the daemon fingerprints and the resolver executes)
//! worded for a person. It decides nothing itself. Only names, paths and non-secret settings
//! are reported, never a key or token.

use std::path::{Path, PathBuf};

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

#[derive(Debug, Clone, PartialEq)]
pub struct ProfileChoice {
    pub name: String,
    /// `--profile`, `AWS_DEFAULT_PROFILE`, `AWS_PROFILE`, or `default` (nothing set).
    pub from: String,
}

/// One step of a profile's chain.
#[derive(Debug, Clone, PartialEq)]
pub struct Hop {
    pub profile: String,
    /// `assume-role`, `static-keys`, `sso`, `login`, `credential-process`, `web-identity`,
    /// `credential-source`.
    pub kind: &'static str,
    pub detail: String,
    /// Where the profile is defined.
    pub defined_in: Vec<PathBuf>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Sso {
    pub profile: String,
    pub session: Option<String>,
    pub start_url: Option<String>,
    pub account: Option<String>,
    pub role: Option<String>,
    pub token_file: Option<PathBuf>,
    pub token: TokenState,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TokenState {
    /// No start URL or session to find the token by.
    Unknown,
    Missing,
    Unreadable(String),
    /// `refreshable`: an sso-session token with a refresh token, which the SDK renews itself.
    Expires {
        at: String,
        unix: Option<i64>,
        refreshable: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Explanation {
    /// `environment`, `profile`, `web-identity`, `container`, `instance-metadata`, `none`,
    /// `profile-not-found`, `invalid`.
    pub source: &'static str,
    /// What wins, in one line.
    pub summary: String,
    pub profile: Option<ProfileChoice>,
    /// The reasoning, step by step.
    pub why: Vec<String>,
    pub chain: Vec<Hop>,
    /// Credential variables that are set (names, with a non-secret description).
    pub env_credentials: Vec<(String, String)>,
    /// Expiry variables that are set (name, value).
    pub expiry_vars: Vec<(String, String)>,
    /// The credential tool that exported them, if one can be told.
    pub tool: Option<String>,
    pub region: Option<(String, String)>,
    pub sso: Option<Sso>,
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
            ex.env_credentials.push((name.to_string(), desc));
        }
    }
    for name in EXPIRY_VARS {
        if let Some(v) = var(name) {
            ex.expiry_vars.push((name.to_string(), v.to_string()));
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
    ex.region = plan
        .region
        .as_ref()
        .map(|(r, from)| (r.clone(), from.describe().to_string()));
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
            ex.source = "environment";
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
            ex.source = "web-identity";
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
            ex.source = "container";
            ex.summary = "the container credentials endpoint".into();
            ex.why.push(
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI is set: credentials come \
                 from the container endpoint"
                    .into(),
            );
        }
        Source::InstanceMetadata => {
            ex.source = "instance-metadata";
            ex.summary = "the EC2 instance metadata service (the last resort of the chain)".into();
            ex.why.push(
                "nothing else provides credentials: the CLI asks the EC2 instance metadata \
                 service, which only answers on EC2 (set AWS_EC2_METADATA_DISABLED=true to skip \
                 it)"
                .into(),
            );
        }
        Source::Ec2CredentialFile(f) | Source::BotoConfig(f) => {
            ex.source = "legacy-file";
            ex.summary = format!("keys in the legacy file {}", f.display());
        }
        profile_source => {
            ex.source = "profile";
            ex.why.push(match plan.profile.named_by {
                None => "no profile variable is set: the [default] profile is used".to_string(),
                Some(by) => format!("{} selects profile {name}", by.describe()),
            });
            hops(profile_source, plan, now, &mut ex);
            let top = ex.chain.first().map(|h| h.kind).unwrap_or("profile");
            ex.summary = format!(
                "profile {name} (from {}): {}",
                if from == "default" {
                    "no variable set"
                } else {
                    from
                },
                describe_kind(top)
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
            ex.source = "profile-not-found";
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
            ex.source = "none";
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
            ex.source = "invalid";
            ex.summary = format!("profile {name} needs an MFA code");
            ex.problems.push(format!(
                "profile {profile} needs an MFA code (mfa_serial): run `aws sts \
                 get-caller-identity --profile {profile}` once; awsid then uses the AWS CLI's \
                 cached credentials"
            ));
        }
        other => {
            ex.source = "invalid";
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
    let hop = |profile: &str, kind: &'static str, detail: String| Hop {
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
                    ex.chain.push(hop(profile, "assume-role", detail));
                    hops(inner, plan, now, ex);
                }
                RoleSource::Named(named, _) => {
                    ex.chain.push(hop(profile, "assume-role", detail));
                    let which = match named {
                        Named::Environment => "Environment",
                        Named::EcsContainer => "EcsContainer",
                        Named::Ec2InstanceMetadata => "Ec2InstanceMetadata",
                    };
                    ex.chain.push(hop(
                        profile,
                        "credential-source",
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
                "static-keys",
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
                "web-identity",
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
            let token = token_state(token_file.as_deref(), session.is_some());
            match &token {
                TokenState::Missing => ex.problems.push(format!(
                    "no SSO token for profile {profile}: run `aws sso login --profile {profile}`"
                )),
                TokenState::Expires {
                    unix: Some(t),
                    at,
                    refreshable,
                } if *t <= now => {
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
                TokenState::Unreadable(e) => ex
                    .problems
                    .push(format!("the SSO token cache file cannot be read: {e}")),
                _ => {}
            }
            ex.chain.push(hop(profile, "sso", detail));
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
            ex.chain
                .push(hop(profile, "login", format!("login_session {session}")));
            ex.problems.push(format!(
                "profile {profile} uses a console login session, which awsid cannot use yet"
            ));
        }
        Source::Process { profile, command } => {
            ex.chain.push(hop(
                profile,
                "credential-process",
                format!("credential_process {}", program_of(command)),
            ));
        }
        Source::Env(_) => ex.chain.push(hop(
            "",
            "credential-source",
            "the environment's keys".into(),
        )),
        Source::Container => ex.chain.push(hop(
            "",
            "credential-source",
            "the container endpoint".into(),
        )),
        Source::InstanceMetadata => ex.chain.push(hop(
            "",
            "credential-source",
            "the instance metadata service".into(),
        )),
        Source::Ec2CredentialFile(f) | Source::BotoConfig(f) => {
            ex.chain
                .push(hop("", "static-keys", format!("keys in {}", f.display())))
        }
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
fn token_state(file: Option<&Path>, session: bool) -> TokenState {
    let Some(f) = file else {
        return TokenState::Unknown;
    };
    match std::fs::read(f) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => TokenState::Missing,
        Err(e) => TokenState::Unreadable(e.to_string()),
        Ok(bytes) => match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(v) => match v.get("expiresAt").and_then(|e| e.as_str()) {
                Some(at) => TokenState::Expires {
                    at: at.to_string(),
                    unix: awsid_aws::expiry::parse_with_offset(at),
                    refreshable: session
                        && v.get("refreshToken")
                            .and_then(|t| t.as_str())
                            .is_some_and(|t| !t.is_empty()),
                },
                None => TokenState::Unreadable("no expiresAt in the token file".into()),
            },
            Err(_) => TokenState::Unreadable("not JSON".into()),
        },
    }
}

fn describe_kind(kind: &str) -> &'static str {
    match kind {
        "assume-role" => "assumes a role",
        "static-keys" => "static keys",
        "sso" => "IAM Identity Center (SSO)",
        "login" => "console login session",
        "credential-process" => "credential_process",
        "web-identity" => "web identity token",
        "credential-source" => "credential_source",
        _ => "profile",
    }
}

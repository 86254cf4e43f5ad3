//! Which credential source wins in an environment, and why: the AWS CLI's and SDK's rules
//! written out (environment keys, `--profile` / `AWS_DEFAULT_PROFILE` / `AWS_PROFILE`, the
//! profile's role chain and its base credentials, then web identity, container and instance
//! metadata). Only names, paths and non-secret settings are reported, never a key or token.
//!
//! This explains; it does not decide. The identity awsid shows always comes from the SDK in
//! the resolver child, and `awsid doctor` shows that answer beside this explanation.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::awsfiles::{expand_tilde, sha1_hex, Profiles};

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

/// What the explanation reads.
pub struct Input<'a> {
    pub vars: &'a BTreeMap<String, String>,
    pub profile_override: Option<&'a str>,
    pub profiles: &'a Profiles,
    pub config_file: Option<&'a Path>,
    pub credentials_file: Option<&'a Path>,
    pub home: Option<&'a Path>,
    /// Unix seconds, to judge token expiry.
    pub now: i64,
}

impl Input<'_> {
    fn var(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    fn defined_in(&self, profile: &str) -> Vec<PathBuf> {
        let mut out = Vec::new();
        if let Some(c) = self.config_file {
            if self.profiles.config.profiles.contains_key(profile) {
                out.push(c.to_owned());
            }
        }
        if let Some(c) = self.credentials_file {
            if self.profiles.credentials.profiles.contains_key(profile) {
                out.push(c.to_owned());
            }
        }
        out
    }

    /// The file a profile's key is read from (credentials file first, as the SDK merges).
    fn key_file(&self, profile: &str, key: &str) -> Option<PathBuf> {
        let has = |f: &crate::awsfiles::ParsedFile| {
            f.profiles
                .get(profile)
                .and_then(|p| p.get(key))
                .is_some_and(|v| !v.is_empty())
        };
        if has(&self.profiles.credentials) {
            self.credentials_file.map(Path::to_owned)
        } else if has(&self.profiles.config) {
            self.config_file.map(Path::to_owned)
        } else {
            None
        }
    }

    fn files_text(&self) -> String {
        let show = |p: Option<&Path>| {
            p.map(|p| p.display().to_string())
                .unwrap_or_else(|| "(none: HOME is not set)".into())
        };
        format!(
            "{} or {}",
            show(self.config_file),
            show(self.credentials_file)
        )
    }
}

/// The 4-letter prefix of an access key id says what kind of key it is, and is not secret.
fn key_kind(key: &str) -> String {
    let prefix: String = key.chars().take(4).collect();
    let kind = match prefix.as_str() {
        "AKIA" => "long-term user key",
        "ASIA" => "temporary key",
        _ => "key",
    };
    format!("{prefix}… ({kind})")
}

pub fn explain(input: &Input<'_>) -> Explanation {
    let mut ex = Explanation::default();
    let var = |n: &str| input.var(n);

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
    let mut names: Vec<String> = input
        .profiles
        .config
        .profiles
        .keys()
        .chain(input.profiles.credentials.profiles.keys())
        .cloned()
        .collect();
    names.sort();
    names.dedup();
    ex.known_profiles = names;

    // Which profile the CLI would use: a variable set to an empty string counts (it names the
    // profile "", which does not exist).
    let set = |n: &str| input.vars.get(n).map(String::as_str);
    let (name, from) = match (
        input.profile_override,
        set("AWS_DEFAULT_PROFILE"),
        set("AWS_PROFILE"),
    ) {
        (Some(p), _, _) => (p.to_string(), "--profile"),
        (None, Some(p), _) => (p.to_string(), "AWS_DEFAULT_PROFILE"),
        (None, None, Some(p)) => (p.to_string(), "AWS_PROFILE"),
        (None, None, None) => ("default".to_string(), "default"),
    };
    let named = from != "default";
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
    ex.profile = Some(ProfileChoice {
        name: name.clone(),
        from: from.to_string(),
    });
    // The region STS is asked in, as the resolver picks it (the CLI's order: AWS_REGION is
    // not one of its variables).
    ex.region = var("AWS_DEFAULT_REGION")
        .map(|r| (r.to_string(), "AWS_DEFAULT_REGION".to_string()))
        .or_else(|| {
            input
                .profiles
                .get(&name, "region")
                .map(|r| (r.to_string(), format!("profile {name}")))
        });

    if let Some(r) = var("AWS_REGION") {
        if ex.region.as_ref().map(|(v, _)| v.as_str()) != Some(r) {
            ex.why.push(format!(
                "AWS_REGION={r} is set, but the AWS CLI (and awsid's STS call) use \
                 AWS_DEFAULT_REGION or the profile's region"
            ));
        }
    }

    // A named profile that does not exist is an error before anything else (the CLI's rule,
    // which awsid follows: environment keys do not rescue it).
    if named && !input.profiles.exists(&name) {
        ex.source = "profile-not-found";
        ex.summary = format!("profile {name:?} (from {from}) does not exist");
        ex.why.push(format!(
            "{from} names profile {name:?}, which is in neither file: the AWS CLI stops here"
        ));
        ex.problems.push(format!(
            "the config profile ({name}) could not be found in {}",
            input.files_text()
        ));
        return ex;
    }

    // 1. Credentials in the environment (unless --profile).
    let ak = var("AWS_ACCESS_KEY_ID");
    let sk = var("AWS_SECRET_ACCESS_KEY");
    if input.profile_override.is_some() {
        if ak.is_some() || sk.is_some() {
            ex.why.push(
                "--profile is given: credentials in the environment are ignored, as by the AWS CLI"
                    .into(),
            );
        }
    } else if ak.is_some() && sk.is_some() {
        ex.source = "environment";
        let token = if var("AWS_SESSION_TOKEN").is_some() {
            " and AWS_SESSION_TOKEN"
        } else {
            ""
        };
        ex.summary = format!(
            "environment variables AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY{token}{}",
            ex.tool
                .as_deref()
                .map(|t| format!(", exported by {t}"))
                .unwrap_or_default()
        );
        ex.why.push(
            "credentials in the environment come first in the chain (only --profile beats them)"
                .into(),
        );
        if named {
            ex.why.push(format!(
                "{from}={name} is set but not used for credentials: environment keys win over profiles"
            ));
        }
        return ex;
    } else if ak.is_some() != sk.is_some() {
        let (set, unset) = if ak.is_some() {
            ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
        } else {
            ("AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID")
        };
        ex.problems.push(format!(
            "{set} is set without {unset}: incomplete environment credentials (set both or neither)"
        ));
        ex.why.push(format!(
            "{set} is set without {unset}, so the environment provides no credentials"
        ));
    } else {
        ex.why
            .push("no credentials in the environment (AWS_ACCESS_KEY_ID is not set)".into());
    }

    // 2. The profile.
    if !input.profiles.exists(&name) {
        ex.why.push(format!(
            "no profile variable is set and there is no [default] profile in {}",
            input.files_text()
        ));
    } else {
        ex.why.push(match from {
            "default" => "no profile variable is set: the [default] profile is used".to_string(),
            _ => format!("{from} selects profile {name}"),
        });
        match chain(input, &name, &mut ex) {
            ChainEnd::Found => {
                ex.source = "profile";
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
                return ex;
            }
            ChainEnd::Invalid => {
                ex.source = "invalid";
                ex.summary = format!("profile {name} (from {from}) cannot provide credentials");
                return ex;
            }
            ChainEnd::Empty => {
                // Not an error for the CLI or the SDK: they go on down the chain.
                ex.why.push(format!(
                    "profile {name} holds no credentials (no keys, role_arn, sso_*, \
                     credential_process or web_identity_token_file): the chain goes on"
                ));
            }
        }
    }

    // 3. What the SDK tries after the files.
    if let (Some(file), Some(role)) = (var("AWS_WEB_IDENTITY_TOKEN_FILE"), var("AWS_ROLE_ARN")) {
        ex.source = "web-identity";
        ex.summary = format!("web identity: AWS_ROLE_ARN={role} with the token in {file}");
        ex.why.push(
            "AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN are set (assume-role-with-web-identity)"
                .into(),
        );
        return ex;
    }
    for v in [
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ] {
        if var(v).is_some() {
            ex.source = "container";
            ex.summary = format!("the container credentials endpoint ({v})");
            ex.why.push(format!(
                "{v} is set: credentials come from the container endpoint"
            ));
            return ex;
        }
    }
    if var("AWS_EC2_METADATA_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
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
    } else {
        ex.source = "instance-metadata";
        ex.summary = "the EC2 instance metadata service (the last resort of the chain)".into();
        ex.why.push(
            "nothing else provides credentials: the SDK asks the EC2 instance metadata service, \
             which only answers on EC2 (set AWS_EC2_METADATA_DISABLED=true to skip it)"
                .into(),
        );
    }
    ex
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

enum ChainEnd {
    Found,
    /// The profile (or its chain) is broken: problems say why.
    Invalid,
    /// The first profile holds no credentials at all.
    Empty,
}

/// Follows the profile chain as the SDK does (role_arn → source_profile / credential_source;
/// after the first hop static keys win; a base profile's order is credential_source, web
/// identity, SSO, login, credential_process, static keys).
fn chain(input: &Input<'_>, start: &str, ex: &mut Explanation) -> ChainEnd {
    let p = input.profiles;
    let mut visited: Vec<String> = Vec::new();
    let mut current = start.to_string();
    loop {
        if !p.exists(&current) {
            ex.problems.push(format!(
                "source_profile {current} (referenced from {}) does not exist",
                visited.last().map(String::as_str).unwrap_or(start)
            ));
            return ChainEnd::Invalid;
        }
        if visited.contains(&current) {
            visited.push(current);
            ex.problems
                .push(format!("source_profile loop: {}", visited.join(" → ")));
            return ChainEnd::Invalid;
        }
        visited.push(current.clone());
        let get = |k: &str| p.get(&current, k);
        let hop = |kind: &'static str, detail: String| Hop {
            profile: current.clone(),
            kind,
            detail,
            defined_in: input.defined_in(&current),
        };
        if visited.len() > 1
            && get("aws_access_key_id").is_some()
            && get("aws_secret_access_key").is_some()
        {
            ex.chain
                .push(hop("static-keys", static_detail(input, &current)));
            return ChainEnd::Found;
        }
        if let (Some(role), None) = (get("role_arn"), get("web_identity_token_file")) {
            let mut detail = format!("role_arn {role}");
            if get("mfa_serial").is_some() {
                detail.push_str(" with mfa_serial");
                ex.problems.push(format!(
                    "profile {current} needs an MFA code (mfa_serial), which a background \
                     daemon cannot ask for: use aws-vault, granted or awsume to export the \
                     role's credentials"
                ));
            }
            match (get("source_profile"), get("credential_source")) {
                (Some(_), Some(_)) => {
                    ex.chain.push(hop("assume-role", detail));
                    ex.problems.push(format!(
                        "profile {current} has both source_profile and credential_source"
                    ));
                    return ChainEnd::Invalid;
                }
                (None, None) => {
                    ex.chain.push(hop("assume-role", detail));
                    ex.problems.push(format!(
                        "profile {current} has role_arn but neither source_profile nor \
                         credential_source"
                    ));
                    return ChainEnd::Invalid;
                }
                (None, Some(source)) => {
                    ex.chain.push(hop("assume-role", detail));
                    ex.chain.push(hop(
                        "credential-source",
                        format!("credential_source {source}"),
                    ));
                    return ChainEnd::Found;
                }
                (Some(next), None) if next == current => {
                    ex.chain.push(hop(
                        "assume-role",
                        format!("{detail}, source_profile itself"),
                    ));
                    return base(input, &current, ex, false);
                }
                (Some(next), None) => {
                    ex.chain.push(hop(
                        "assume-role",
                        format!("{detail}, source_profile {next}"),
                    ));
                    current = next.to_string();
                }
            }
        } else {
            let first = visited.len() == 1;
            return base(input, &current, ex, first);
        }
    }
}

fn static_detail(input: &Input<'_>, profile: &str) -> String {
    let file = input
        .key_file(profile, "aws_access_key_id")
        .map(|f| format!(" from {}", f.display()))
        .unwrap_or_default();
    let token = if input.profiles.get(profile, "aws_session_token").is_some() {
        " with aws_session_token"
    } else {
        ""
    };
    let kind = input
        .profiles
        .get(profile, "aws_access_key_id")
        .map(key_kind)
        .unwrap_or_default();
    format!("aws_access_key_id {kind}{token}{file}")
}

/// A profile's own credentials (no role to assume).
fn base(input: &Input<'_>, profile: &str, ex: &mut Explanation, first: bool) -> ChainEnd {
    let p = input.profiles;
    let get = |k: &str| p.get(profile, k);
    let hop = |kind: &'static str, detail: String| Hop {
        profile: profile.to_string(),
        kind,
        detail,
        defined_in: input.defined_in(profile),
    };
    if let Some(source) = get("credential_source") {
        ex.chain.push(hop(
            "credential-source",
            format!("credential_source {source}"),
        ));
        return ChainEnd::Found;
    }
    if let Some(file) = get("web_identity_token_file") {
        if get("role_arn").is_none() {
            ex.problems.push(format!(
                "profile {profile} has web_identity_token_file but no role_arn"
            ));
        }
        let role = get("role_arn").unwrap_or("(no role_arn)");
        ex.chain.push(hop(
            "web-identity",
            format!(
                "role_arn {role} with the token in {}",
                expand_tilde(file, input.home).display()
            ),
        ));
        return ChainEnd::Found;
    }
    let session = get("sso_session");
    let start_url = session
        .and_then(|s| {
            p.config
                .sso_sessions
                .get(s)
                .and_then(|props| props.get("sso_start_url"))
                .map(String::as_str)
        })
        .or_else(|| get("sso_start_url"));
    if session.is_some() || get("sso_start_url").is_some() || get("sso_account_id").is_some() {
        let sso = sso(input, profile, session, start_url);
        let mut detail = match (&sso.account, &sso.role) {
            (Some(a), Some(r)) => format!("account {a}, role {r}"),
            _ => "sso_* settings".to_string(),
        };
        if let Some(s) = session {
            detail.push_str(&format!(", sso-session {s}"));
        }
        if let Some(s) = session {
            if !p.config.sso_sessions.contains_key(s) {
                ex.problems.push(format!(
                    "profile {profile} names sso_session {s}, but there is no [sso-session {s}]"
                ));
            } else if start_url.is_none() {
                ex.problems.push(format!(
                    "profile {profile} names sso_session {s}, but [sso-session {s}] has no \
                     sso_start_url"
                ));
            }
        }
        if sso.account.is_none() || sso.role.is_none() {
            ex.problems.push(format!(
                "profile {profile} needs both sso_account_id and sso_role_name"
            ));
        }
        match &sso.token {
            TokenState::Missing => ex.problems.push(format!(
                "no SSO token for profile {profile}: run `aws sso login --profile {profile}`"
            )),
            TokenState::Expires {
                unix: Some(t),
                at,
                refreshable,
            } if *t <= input.now => {
                if *refreshable {
                    ex.why.push(format!(
                        "the SSO access token expired at {at}; the SDK renews it with the \
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
        ex.chain.push(hop("sso", detail));
        ex.sso = Some(sso);
        return ChainEnd::Found;
    }
    if let Some(login) = get("login_session") {
        ex.chain
            .push(hop("login", format!("login_session {login}")));
        return ChainEnd::Found;
    }
    if let Some(cmd) = get("credential_process") {
        // Only the program: arguments can carry secrets (the SDK redacts them too), and so can
        // assignments in front of it (the command runs through a shell: `TOKEN=… prog`).
        let program = cmd
            .split_whitespace()
            .skip_while(|w| w.contains('=') || *w == "env")
            .find(|w| !w.starts_with('-'))
            .unwrap_or("(a shell command)");
        let program = if program.contains(['\'', '"', '$', '`']) {
            "(a shell command)"
        } else {
            program
        };
        let args = if cmd.trim() != program {
            " (arguments not shown)"
        } else {
            ""
        };
        ex.chain.push(hop(
            "credential-process",
            format!("credential_process {program}{args}"),
        ));
        ex.why.push(
            "a credential_process runs a program awsid cannot watch: its answer is re-checked \
             at least every 5 minutes"
                .into(),
        );
        return ChainEnd::Found;
    }
    let keys = [
        "aws_access_key_id",
        "aws_secret_access_key",
        "aws_session_token",
    ];
    if keys.iter().any(|k| get(k).is_some()) {
        if get("aws_access_key_id").is_none() || get("aws_secret_access_key").is_none() {
            ex.chain.push(hop("static-keys", "incomplete keys".into()));
            ex.problems.push(format!(
                "profile {profile} has only part of aws_access_key_id / aws_secret_access_key"
            ));
            return ChainEnd::Invalid;
        }
        ex.chain
            .push(hop("static-keys", static_detail(input, profile)));
        return ChainEnd::Found;
    }
    if first {
        return ChainEnd::Empty;
    }
    ex.problems
        .push(format!("source profile {profile} holds no credentials"));
    ChainEnd::Invalid
}

fn sso(input: &Input<'_>, profile: &str, session: Option<&str>, url: Option<&str>) -> Sso {
    let p = input.profiles;
    let token_file = input.home.and_then(|home| {
        let key = session.or(url)?;
        Some(home.join(format!(".aws/sso/cache/{}.json", sha1_hex(key))))
    });
    let token = match &token_file {
        None => TokenState::Unknown,
        Some(f) => match std::fs::read(f) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => TokenState::Missing,
            Err(e) => TokenState::Unreadable(e.to_string()),
            // Only `expiresAt` is read, and whether a refresh token exists; the tokens
            // themselves are never looked at.
            Ok(bytes) => match serde_json::from_slice::<serde_json::Value>(&bytes) {
                Ok(v) => match v.get("expiresAt").and_then(|e| e.as_str()) {
                    Some(at) => TokenState::Expires {
                        at: at.to_string(),
                        unix: crate::resolve::expiry::parse_with_offset(at),
                        // Whether one is there, not what it is.
                        refreshable: session.is_some()
                            && v.get("refreshToken")
                                .and_then(|t| t.as_str())
                                .is_some_and(|t| !t.is_empty()),
                    },
                    None => TokenState::Unreadable("no expiresAt in the token file".into()),
                },
                Err(_) => TokenState::Unreadable("not JSON".into()),
            },
        },
    };
    Sso {
        profile: profile.to_string(),
        session: session.map(str::to_string),
        start_url: url.map(str::to_string),
        account: p.get(profile, "sso_account_id").map(str::to_string),
        role: p.get(profile, "sso_role_name").map(str::to_string),
        token_file,
        token,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::awsfiles::{parse, FileKind};
    use std::sync::Arc;

    const CONFIG: &str = "\
[default]
region = eu-west-1
[profile admin]
role_arn = arn:aws:iam::222222222222:role/admin
source_profile = alice
[profile loop1]
role_arn = arn:aws:iam::1:role/x
source_profile = loop2
[profile loop2]
role_arn = arn:aws:iam::1:role/y
source_profile = loop1
[profile dangling]
role_arn = arn:aws:iam::1:role/x
source_profile = nobody
[profile sso]
sso_session = corp
sso_account_id = 333333333333
sso_role_name = ReadOnly
[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
[profile proc]
credential_process = /usr/bin/get-creds --secret hunter2
[profile proc2]
credential_process = VAULT_TOKEN=hunter2 env OTHER=hunter2 vault-creds
[profile mfa]
role_arn = arn:aws:iam::1:role/x
source_profile = alice
mfa_serial = arn:aws:iam::1:mfa/me
[profile empty]
region = us-east-2
";
    const CREDENTIALS: &str = "\
[alice]
aws_access_key_id = AKIAALICEKEY00000000
aws_secret_access_key = SECRETSECRET
";

    fn profiles(config: &str) -> Profiles {
        Profiles {
            config: Arc::new(parse(config, FileKind::Config)),
            credentials: Arc::new(parse(CREDENTIALS, FileKind::Credentials)),
        }
    }

    fn run(vars: &[(&str, &str)], over: Option<&str>, config: &str) -> Explanation {
        let vars: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let p = profiles(config);
        explain(&Input {
            vars: &vars,
            profile_override: over,
            profiles: &p,
            config_file: Some(Path::new("/h/.aws/config")),
            credentials_file: Some(Path::new("/h/.aws/credentials")),
            home: Some(Path::new("/nonexistent-home")),
            now: 1_700_000_000,
        })
    }

    #[test]
    fn environment_keys_beat_aws_profile_but_not_dash_dash_profile() {
        let keys = [
            ("AWS_ACCESS_KEY_ID", "ASIAXYZXYZXYZXYZXYZX"),
            ("AWS_SECRET_ACCESS_KEY", "s3cr3t"),
            ("AWS_SESSION_TOKEN", "t0k3n"),
            ("AWS_PROFILE", "admin"),
        ];
        let ex = run(&keys, None, CONFIG);
        assert_eq!(ex.source, "environment");
        assert!(ex.why.iter().any(|w| w.contains("AWS_PROFILE=admin")));
        assert_eq!(ex.env_credentials[0].1, "ASIA… (temporary key)");
        let text = format!("{ex:?}");
        assert!(!text.contains("s3cr3t") && !text.contains("t0k3n") && !text.contains("XYZX"));
        let ex = run(&keys, Some("alice"), CONFIG);
        assert_eq!(ex.source, "profile");
        assert_eq!(ex.chain[0].kind, "static-keys");
    }

    #[test]
    fn a_missing_or_empty_profile_is_an_error_even_with_keys() {
        let keys = [
            ("AWS_ACCESS_KEY_ID", "AKIAXYZXYZXYZXYZXYZX"),
            ("AWS_SECRET_ACCESS_KEY", "s3cr3t"),
        ];
        for (var, value) in [
            ("AWS_PROFILE", "deleted"),
            ("AWS_PROFILE", ""),
            ("AWS_DEFAULT_PROFILE", ""),
        ] {
            let mut vars = keys.to_vec();
            vars.push((var, value));
            let ex = run(&vars, None, CONFIG);
            assert_eq!(ex.source, "profile-not-found", "{var}={value:?}");
            assert_eq!(ex.profile.as_ref().unwrap().name, value);
            assert!(
                ex.problems[0].contains(&format!("({value})")),
                "{:?}",
                ex.problems
            );
        }
    }

    #[test]
    fn sso_tokens_with_a_refresh_token_are_renewed_not_a_problem() {
        let home = std::env::temp_dir().join(format!("awsid-explain-{}", std::process::id()));
        let cache = home.join(".aws/sso/cache");
        std::fs::create_dir_all(&cache).unwrap();
        let file = cache.join(format!("{}.json", sha1_hex("corp")));
        let vars: BTreeMap<String, String> = [("AWS_PROFILE".to_string(), "sso".to_string())]
            .into_iter()
            .collect();
        let p = profiles(CONFIG);
        let explain_now = || {
            explain(&Input {
                vars: &vars,
                profile_override: None,
                profiles: &p,
                config_file: None,
                credentials_file: None,
                home: Some(&home),
                now: 1_700_000_000,
            })
        };
        std::fs::write(
            &file,
            r#"{"accessToken": "A", "refreshToken": "R", "expiresAt": "2020-01-01T00:00:00Z"}"#,
        )
        .unwrap();
        let ex = explain_now();
        assert!(ex.problems.is_empty(), "{:?}", ex.problems);
        assert!(ex.why.iter().any(|w| w.contains("refresh token")));
        std::fs::write(
            &file,
            r#"{"accessToken": "A", "expiresAt": "2020-01-01T00:00:00Z"}"#,
        )
        .unwrap();
        let ex = explain_now();
        assert!(
            ex.problems[0].contains("aws sso login"),
            "{:?}",
            ex.problems
        );
        std::fs::remove_dir_all(&home).unwrap();
    }

    #[test]
    fn role_chain_is_followed_to_its_keys() {
        let ex = run(&[("AWS_PROFILE", "admin")], None, CONFIG);
        assert_eq!(ex.source, "profile");
        let kinds: Vec<_> = ex
            .chain
            .iter()
            .map(|h| (h.profile.as_str(), h.kind))
            .collect();
        assert_eq!(kinds, [("admin", "assume-role"), ("alice", "static-keys")]);
        assert!(ex.chain[1].detail.contains("/h/.aws/credentials"));
        assert!(!format!("{ex:?}").contains("SECRETSECRET"));
        assert!(ex.problems.is_empty());
    }

    #[test]
    fn default_profile_preference_and_conflict() {
        let ex = run(
            &[("AWS_PROFILE", "admin"), ("AWS_DEFAULT_PROFILE", "alice")],
            None,
            CONFIG,
        );
        assert_eq!(ex.profile.as_ref().unwrap().name, "alice");
        assert_eq!(ex.profile.as_ref().unwrap().from, "AWS_DEFAULT_PROFILE");
        assert_eq!(ex.problems.len(), 1, "{:?}", ex.problems);
    }

    #[test]
    fn broken_chains_are_problems() {
        for name in ["loop1", "dangling"] {
            let ex = run(&[("AWS_PROFILE", name)], None, CONFIG);
            assert_eq!(ex.source, "invalid", "{name}");
            assert!(!ex.problems.is_empty(), "{name}");
        }
        // A profile without credentials is passed over, as by the CLI and the SDK.
        let ex = run(
            &[
                ("AWS_PROFILE", "empty"),
                ("AWS_EC2_METADATA_DISABLED", "true"),
            ],
            None,
            CONFIG,
        );
        assert_eq!(ex.source, "none");
        assert!(ex.why.iter().any(|w| w.contains("the chain goes on")));
        let ex = run(&[("AWS_PROFILE", "nosuch")], None, CONFIG);
        assert_eq!(ex.source, "profile-not-found");
        assert!(ex.known_profiles.contains(&"alice".to_string()));
        let ex = run(&[("AWS_PROFILE", "mfa")], None, CONFIG);
        assert_eq!(ex.source, "profile");
        assert!(ex.problems[0].contains("MFA"));
    }

    #[test]
    fn sso_process_and_fallbacks() {
        let ex = run(&[("AWS_PROFILE", "sso")], None, CONFIG);
        assert_eq!(ex.chain[0].kind, "sso");
        let sso = ex.sso.unwrap();
        assert_eq!(
            sso.start_url.as_deref(),
            Some("https://corp.awsapps.com/start")
        );
        assert_eq!(sso.token, TokenState::Missing);
        assert!(sso
            .token_file
            .unwrap()
            .ends_with(format!("{}.json", sha1_hex("corp"))));

        let ex = run(&[("AWS_PROFILE", "proc")], None, CONFIG);
        assert_eq!(ex.chain[0].kind, "credential-process");
        assert!(!format!("{ex:?}").contains("hunter2"));
        let ex = run(&[("AWS_PROFILE", "proc2")], None, CONFIG);
        assert!(ex.chain[0]
            .detail
            .contains("vault-creds (arguments not shown)"));
        assert!(!format!("{ex:?}").contains("hunter2"));

        // The default profile without credentials: the chain goes on.
        let ex = run(&[("AWS_EC2_METADATA_DISABLED", "true")], None, CONFIG);
        assert_eq!(ex.source, "none");
        assert_eq!(ex.region.unwrap().0, "eu-west-1");
        let ex = run(
            &[("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/creds")],
            None,
            "",
        );
        assert_eq!(ex.source, "container");
        let ex = run(&[], None, "");
        assert_eq!(ex.source, "instance-metadata");
    }
}

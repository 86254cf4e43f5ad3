//! From a client's variables to a plan: the fingerprint, the files to watch, the output
//! format, and the facts a prompt shows beside the identity.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use awsid_proto::envvars::is_fingerprint_var;
use awsid_proto::msg::Env;

use crate::awsfiles::{expand_tilde, shared_files};
use crate::fingerprint::{self, is_racy, Inputs, Key};
use crate::prompt::{arn, Facts};
use crate::state::{Daemon, FileCache};

pub struct Plan {
    pub fingerprint: fingerprint::Fingerprint,
    /// The output format `whoami` uses without `--output`.
    pub output: String,
    /// Credentials come from somewhere awsid cannot watch.
    pub opaque: bool,
    /// Every file that went into the fingerprint.
    pub files: Vec<PathBuf>,
    pub facts: Facts,
    /// Some variable names a profile or credentials (an empty NoCredentials prompt is then
    /// shown as `!no-creds` rather than nothing).
    pub selects_credentials: bool,
}

/// A named profile that does not exist, or one its role chain needs (the CLI's errors).
pub struct ProfileNotFound {
    pub profile: String,
    /// The CLI's words for it.
    pub message: String,
    pub files: Vec<PathBuf>,
    pub facts: Facts,
}

/// Variables that show the user asked for AWS credentials in this shell.
const SELECTING: &[&str] = &[
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SESSION_TOKEN",
    "AWS_VAULT",
    "AWSUME_PROFILE",
    "AWSU_PROFILE",
    "AWS_SSO_PROFILE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
];

/// Display name of the profile, in the credential tools' order (with AWS_DEFAULT_PROFILE
/// before AWS_PROFILE, since that is the one the CLI uses).
const PROFILE_VARS: &[&str] = &[
    "AWSU_PROFILE",
    "AWS_VAULT",
    "AWSUME_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_PROFILE",
    "AWS_SSO_PROFILE",
];

pub fn plan(
    d: &Daemon,
    env: &Env,
    profile_override: Option<&str>,
) -> Result<Plan, Box<ProfileNotFound>> {
    plan_with(&d.files, &d.key, d.home.as_deref(), env, profile_override)
}

/// [`plan`] from its parts: the parsed-files cache, the fingerprint key, and the HOME to use
/// when the client sends none (`awsid doctor` plans with its own).
pub fn plan_with(
    files_cache: &FileCache,
    key: &Key,
    default_home: Option<&Path>,
    env: &Env,
    profile_override: Option<&str>,
) -> Result<Plan, Box<ProfileNotFound>> {
    let mut vars: BTreeMap<Vec<u8>, Vec<u8>> = env
        .iter()
        .filter(|(k, _)| is_fingerprint_var(k))
        .cloned()
        .collect();
    let var = |name: &str| {
        vars.get(name.as_bytes())
            .filter(|v| !v.is_empty())
            .map(|v| String::from_utf8_lossy(v).into_owned())
    };
    let home = var("HOME")
        .map(PathBuf::from)
        .or_else(|| default_home.map(Path::to_owned));
    // The CLI's profile: --profile, else the first of AWS_DEFAULT_PROFILE and AWS_PROFILE that is
    // set, even to an empty string (which names no profile: an error, as in the CLI, not the
    // default profile). A named profile must exist.
    let set = |name: &str| {
        vars.get(name.as_bytes())
            .map(|v| String::from_utf8_lossy(v).into_owned())
    };
    let named = profile_override
        .map(str::to_string)
        .or_else(|| set("AWS_DEFAULT_PROFILE"))
        .or_else(|| set("AWS_PROFILE"));
    let profile = named.clone().unwrap_or_else(|| "default".to_string());
    let (config, credentials) = shared_files(set, home.as_deref());
    let none = PathBuf::new();
    let profiles = files_cache.profiles(
        config.as_ref().unwrap_or(&none),
        credentials.as_ref().unwrap_or(&none),
    );
    let mut files: Vec<PathBuf> = config.into_iter().chain(credentials).collect();

    let conflict = matches!(
        (var("AWS_PROFILE"), var("AWS_DEFAULT_PROFILE")),
        (Some(a), Some(b)) if a != b
    );
    let region = var("AWS_REGION")
        .or_else(|| var("AWS_DEFAULT_REGION"))
        .or_else(|| profiles.get(&profile, "region").map(str::to_string));
    let hint = var("AWS_ACCESS_KEY_ID")
        .filter(|_| profile_override.is_none())
        .and_then(|k| arn::account_from_access_key(&k))
        .or_else(|| var("AWS_ACCOUNT_ID"))
        .or_else(|| {
            profiles
                .get(&profile, "role_arn")
                .map(arn::parse)
                .map(|p| p.account)
                .filter(|a| !a.is_empty())
        })
        .or_else(|| profiles.get(&profile, "sso_account_id").map(str::to_string));
    let facts = Facts {
        profile: profile_override
            .map(str::to_string)
            .or_else(|| PROFILE_VARS.iter().find_map(|v| var(v))),
        region,
        conflict,
        hint,
        alias: None,
    };

    // Keys in the environment come before a profile's role chain (not before a missing
    // profile, and never with --profile, which drops them).
    let env_keys = profile_override.is_none()
        && var("AWS_ACCESS_KEY_ID").is_some()
        && var("AWS_SECRET_ACCESS_KEY").is_some();
    let error = match profiles.cli_error(&profile, named.is_some()) {
        Some((missing, message)) if !env_keys || missing == profile => Some((missing, message)),
        _ => None,
    };
    if let Some((missing, message)) = error {
        return Err(Box::new(ProfileNotFound {
            profile: missing,
            message,
            files,
            facts,
        }));
    }
    let deps = profiles.dependencies(&profile, home.as_deref());
    files.extend(deps.files);
    for name in [
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    ] {
        if let Some(p) = var(name) {
            files.push(expand_tilde(&p, home.as_deref()));
        }
    }
    let output = var("AWS_DEFAULT_OUTPUT")
        .or_else(|| profiles.get(&profile, "output").map(str::to_string))
        .unwrap_or_else(|| "json".to_string());
    let fingerprint = fingerprint::compute(
        key,
        &Inputs {
            vars: &vars,
            include_path: deps.opaque,
            profile_override,
            files: &files,
        },
        SystemTime::now(),
    );
    let selects_credentials = SELECTING.iter().any(|v| var(v).is_some());
    for v in vars.values_mut() {
        v.fill(0); // copies of secrets: gone once hashed
    }
    Ok(Plan {
        fingerprint,
        output,
        opaque: deps.opaque,
        files,
        facts,
        selects_credentials,
    })
}

/// Whether any of the files changed too recently for a shell to trust its timestamp.
pub fn any_racy(files: &[PathBuf]) -> bool {
    let now = SystemTime::now();
    files.iter().any(|f| {
        std::fs::metadata(f)
            .and_then(|m| m.modified())
            .map(|m| is_racy(m, now))
            .unwrap_or(false)
    })
}

//! From a client's request to what the daemon needs: the chain's plan (`aws::chain`), the
//! fingerprint of the plan's inputs, the output format, and the facts a prompt shows beside
//! the identity. No rule of the CLI's chain is decided here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use awsid_proto::envvars::is_fingerprint_var;
use awsid_proto::msg::Env;

use crate::filecache::FileCache;
use crate::fingerprint::{self, is_racy, Inputs, Key};
use crate::segment::{arn, Facts};
use crate::state::Daemon;
use awsid_aws::chain::{self, Source};
use awsid_aws::errors::CliError;
use awsid_aws::select::{self, Vars};

/// Variables that change with every command or directory, left out of a whole-environment
/// fingerprint (the working directory counts on its own when the plan uses it), and the hooks'
/// marker, which names each shell.
pub const VOLATILE: &[&[u8]] = &[b"PWD", b"OLDPWD", b"SHLVL", b"_", b"AWSID_HOOK"];

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
    /// The chain's walk, for the doctor.
    pub chain: chain::Plan,
}

/// The CLI would stop before calling STS: a missing profile, a broken file, partial keys…
pub struct Refusal {
    pub error: CliError,
    /// As in [`Plan::selects_credentials`].
    pub selects_credentials: bool,
    pub files: Vec<PathBuf>,
    pub facts: Facts,
    pub chain: chain::Plan,
}

/// What a request lacks for its plan.
pub enum Planned {
    Ready(Box<Plan>),
    Refused(Box<Refusal>),
    /// The answer depends on the whole environment or the working directory, which only a
    /// full request carries.
    NeedEnv,
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

/// The profile a credential tool exported keys from, in starship's order: the name shown
/// for keys in the environment (AWS_PROFILE is not: keys in the environment win over it).
const TOOL_PROFILE_VARS: &[&str] = &[
    "AWSU_PROFILE",
    "AWS_VAULT",
    "AWSUME_PROFILE",
    "GRANTED_AWS_ROLE_PROFILE",
    "AWS_SSO_PROFILE",
];

/// A request's inputs.
pub struct Request<'a> {
    pub env: &'a Env,
    /// Whether `env` is the whole environment (with `cwd`), not just the fingerprint
    /// variables.
    pub full_env: bool,
    pub cwd: Option<&'a [u8]>,
    pub profile_override: Option<&'a str>,
    /// `whoami --region`.
    pub region_override: Option<&'a str>,
    /// Options that change the GetCallerIdentity call itself (`--endpoint-url`,
    /// `--ca-bundle`, `--no-verify-ssl`): part of the fingerprint, so an answer found with
    /// other options is never reused.
    pub call_options: &'a [(&'static str, String)],
    /// A file the call reads (`--ca-bundle`), watched like the shared files.
    pub call_file: Option<&'a Path>,
}

pub fn plan(d: &Daemon, req: &Request<'_>) -> Planned {
    plan_with(&d.files, &d.key, d.home.as_deref(), req)
}

/// [`plan`] from its parts: the parsed-files cache, the fingerprint key, and the HOME to use
/// when the client sends none (`awsid doctor` plans with its own).
pub fn plan_with(
    files_cache: &FileCache,
    key: &Key,
    default_home: Option<&Path>,
    req: &Request<'_>,
) -> Planned {
    let vars = Vars::from_env(req.env);
    let home = select::home(&vars).or_else(|| default_home.map(Path::to_owned));
    let cwd = req
        .cwd
        .map(|c| PathBuf::from(std::ffi::OsStr::from_bytes(c)));
    let (config, credentials) = select::shared_files(&vars, cwd.as_deref());
    // A shared file named relative to a directory the request did not carry.
    let relative_files = [&config, &credentials]
        .into_iter()
        .flatten()
        .any(|p| p.is_relative());
    if relative_files && !req.full_env {
        return Planned::NeedEnv;
    }
    let files = files_cache.files(config.as_deref(), credentials.as_deref());
    let now_unix = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let walked = chain::plan(chain::Input {
        vars: &vars,
        flag_profile: req.profile_override,
        flag_region: req.region_override,
        files,
        home: home.as_deref(),
        cwd: cwd.as_deref(),
        now_unix,
    });
    let mut facts = facts(&vars, &walked, req.profile_override);
    facts.endpoint = crate::resolve::endpoint(req.env, facts.region.as_deref());
    let selects_credentials = SELECTING.iter().any(|v| vars.get(v).is_some())
        || !matches!(
            walked.source,
            Ok(Source::InstanceMetadata) | Err(CliError::NoCredentials)
        );
    let call_file_relative = req.call_file.is_some_and(Path::is_relative);
    if (walked.whole_env || walked.uses_cwd || call_file_relative) && !req.full_env {
        return Planned::NeedEnv;
    }
    if let Err(e) = &walked.source {
        return Planned::Refused(Box::new(Refusal {
            error: e.clone(),
            selects_credentials,
            files: walked.files.clone(),
            facts,
            chain: walked,
        }));
    }
    // The fingerprint variables, or the whole environment when a program answers (PATH only
    // then: it decides which program runs).
    let mut hashed: BTreeMap<Vec<u8>, Vec<u8>> = req
        .env
        .iter()
        .filter(|(k, _)| {
            if walked.whole_env {
                !VOLATILE.contains(&k.as_slice())
            } else {
                is_fingerprint_var(k) && k != b"PATH"
            }
        })
        .cloned()
        .collect();
    let mut files = walked.files.clone();
    if let Some(f) = req.call_file {
        files.extend(select::absolute(&f.to_string_lossy(), cwd.as_deref()));
    }
    let mut options: Vec<(&str, String)> = req.call_options.to_vec();
    if let Some((r, _)) = walked
        .region
        .as_ref()
        .filter(|_| req.region_override.is_some())
    {
        options.push(("--region", r.clone()));
    }
    let fingerprint = fingerprint::compute(
        key,
        &Inputs {
            vars: &hashed,
            cwd: req
                .cwd
                .filter(|_| walked.uses_cwd || relative_files || call_file_relative),
            profile_override: req.profile_override.filter(|p| !p.is_empty()),
            options: &options,
            files: &files,
        },
        SystemTime::now(),
    );
    for v in hashed.values_mut() {
        v.fill(0); // copies of secrets: gone once hashed
    }
    let output = vars
        .get("AWS_DEFAULT_OUTPUT")
        .map(str::to_string)
        .or_else(|| walked.output.clone())
        .unwrap_or_else(|| "json".to_string());
    Planned::Ready(Box::new(Plan {
        fingerprint,
        output,
        opaque: walked.opaque,
        files,
        facts,
        selects_credentials,
        chain: walked,
    }))
}

use std::os::unix::ffi::OsStrExt;

/// What a prompt shows beside the identity, from the environment and the plan.
fn facts(vars: &Vars, walked: &chain::Plan, profile_override: Option<&str>) -> Facts {
    let conflict = matches!(
        (vars.get("AWS_PROFILE"), vars.get("AWS_DEFAULT_PROFILE")),
        (Some(a), Some(b)) if a != b
    );
    let profile = walked.files_read.profile(&walked.profile.name);
    let env_keys = matches!(walked.source, Ok(Source::Env(_)));
    let hint = vars
        .get("AWS_ACCESS_KEY_ID")
        .filter(|_| env_keys)
        .and_then(arn::account_from_access_key)
        .or_else(|| vars.get("AWS_ACCOUNT_ID").map(str::to_string))
        .or_else(|| {
            profile
                .get("role_arn")
                .map(arn::parse)
                .map(|p| p.account)
                .filter(|a| !a.is_empty())
        })
        .or_else(|| profile.get("sso_account_id").map(str::to_string));
    let used = used_profile(vars, walked);
    let region = walked.region.as_ref().map(|(r, _)| r.clone());
    // The region shown beside the identity: only one a variable sets over the profile's own
    // region (the used profile's, else the selected one's).
    let own = used.as_deref().unwrap_or(&walked.profile.name);
    let profile_region = walked
        .files_read
        .profile(own)
        .get("region")
        .map(str::to_string);
    let other_region = match (&walked.region, &profile_region) {
        (Some((r, from)), Some(own)) if *from != select::RegionFrom::Profile && r != own => {
            Some(r.clone())
        }
        _ => None,
    };
    Facts {
        profile: profile_override
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .or(used),
        region,
        other_region,
        endpoint: String::new(),
        conflict,
        hint,
        alias: None,
        sso_name: None,
    }
}

/// The profile the credentials really come from: the chain's profile when a profile is the
/// source, the credential tool's profile for keys it exported, none otherwise (an AWS_PROFILE
/// that environment keys override names nothing that is used).
fn used_profile(vars: &Vars, walked: &chain::Plan) -> Option<String> {
    let chosen = Some(walked.profile.name.clone());
    match &walked.source {
        Ok(Source::Env(_)) => TOOL_PROFILE_VARS
            .iter()
            .find_map(|v| vars.get(v).filter(|p| !p.is_empty()).map(str::to_string)),
        Ok(Source::WebIdentity { from_env: true, .. })
        | Ok(Source::Container)
        | Ok(Source::InstanceMetadata)
        | Ok(Source::Ec2CredentialFile(_))
        | Ok(Source::BotoConfig(_)) => None,
        Ok(_) => chosen,
        // The CLI stops on this profile (missing, broken…): it is the one in use.
        Err(_) if walked.profile.named_by.is_some() => chosen,
        Err(_) => None,
    }
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

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;

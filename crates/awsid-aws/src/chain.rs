//! The AWS CLI's credential chain, walked once into a [`Plan`].
//!
//! botocore's order (`credentials.create_credential_resolver`): environment keys (not with
//! `--profile`) → an assume-role profile → the profile's providers (web identity, SSO, the
//! shared credentials file, console login, `credential_process`, keys in the config file) →
//! the legacy `AWS_CREDENTIAL_FILE` → `~/.boto` → container → instance metadata. The first
//! source that has credentials answers; an error in any source stops the chain with the
//! CLI's sentence; none at all is "Unable to locate credentials".
//!
//! Only the last source, instance metadata, needs a network call to know whether it answers:
//! the resolver says "no credentials" when it does not.

use std::path::{Path, PathBuf};

use crate::cli_cache::{self, AssumeRoleArgs};
use crate::errors::CliError;
use crate::files::{self, Section};
use crate::select::{self, NamedBy, RegionFrom, Selection, Vars};
use crate::shared::{sha1_hex, sha256_hex, Files, Profile};

/// botocore's names for `credential_source` (compared exactly, as `is_supported` does).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Named {
    Environment,
    EcsContainer,
    Ec2InstanceMetadata,
}

/// Keys from the environment, and what the CLI read with them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvKeys {
    /// The variable holding the session token (`AWS_SECURITY_TOKEN` is read first).
    pub token_var: Option<&'static str>,
    /// `AWS_CREDENTIAL_EXPIRATION`, as Unix seconds.
    pub expires_unix: Option<i64>,
}

/// A role assumed with `AssumeRole`: the profile's settings and where the credentials that
/// assume it come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub profile: String,
    /// The AssumeRole arguments, as the profile has them.
    pub args: AssumeRoleArgs,
    /// The AWS CLI's cache file for these arguments (`~/.aws/cli/cache/<sha1>.json`).
    pub cache_file: Option<PathBuf>,
    pub source: RoleSource,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleSource {
    /// `source_profile`: that profile's own source (keys, SSO, a program, another role…).
    Profile(Box<Source>),
    /// `credential_source`.
    Named(Named, Box<Source>),
}

/// Where the credentials come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Env(EnvKeys),
    AssumeRole(Box<Role>),
    WebIdentity {
        profile: Option<String>,
        role_arn: String,
        /// The token file, made absolute against the shell's directory.
        token_file: PathBuf,
        /// The token file as the configuration names it (the CLI's errors quote it so).
        token_file_given: String,
        session_name: Option<String>,
        /// From `AWS_ROLE_ARN` / `AWS_WEB_IDENTITY_TOKEN_FILE` rather than the profile.
        from_env: bool,
    },
    Sso {
        profile: String,
        /// The `[sso-session]` name; None for a legacy profile (`sso_start_url` in it).
        session: Option<String>,
        start_url: String,
        sso_region: String,
        account_id: String,
        role_name: String,
        /// `~/.aws/sso/cache/<sha1 of the session name or start URL>.json`.
        token_file: Option<PathBuf>,
    },
    /// Keys in the credentials file.
    SharedCredentials {
        profile: String,
        file: PathBuf,
    },
    Login {
        profile: String,
        session: String,
        cache_file: Option<PathBuf>,
    },
    Process {
        profile: String,
        command: String,
    },
    /// Keys in the config file.
    ConfigKeys {
        profile: String,
        file: PathBuf,
    },
    /// `AWS_CREDENTIAL_FILE` (`AWSAccessKeyId=` / `AWSSecretKey=` lines).
    Ec2CredentialFile(PathBuf),
    /// `BOTO_CONFIG`, else `/etc/boto.cfg` or `~/.boto` (`[Credentials]`).
    BotoConfig(PathBuf),
    /// `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` / `_FULL_URI`.
    Container,
    /// The instance metadata service (no answer there: no credentials).
    InstanceMetadata,
}

/// The chain's answer for one environment.
#[derive(Debug, Clone)]
pub struct Plan {
    pub profile: Selection,
    /// The source that answers, or the CLI's error.
    pub source: Result<Source, CliError>,
    pub region: Option<(String, RegionFrom)>,
    /// Every file that can change the answer (the shared files, token files, caches…).
    pub files: Vec<PathBuf>,
    /// A program answers, or a shared file is named through another variable: any exported
    /// variable (and, for a program, the working directory) can change the answer.
    pub whole_env: bool,
    /// A relative path is resolved against the shell's working directory.
    pub uses_cwd: bool,
    /// The answer comes from somewhere awsid cannot watch (a program, a container or
    /// instance endpoint): it is re-checked within a bounded time.
    pub opaque: bool,
    /// `output` of the profile, for `whoami` without `--output`.
    pub output: Option<String>,
    /// The CA bundle the CLI verifies TLS with: `AWS_CA_BUNDLE`, else the profile's
    /// `ca_bundle` (not `SSL_CERT_FILE`, which the CLI ignores).
    pub ca_bundle: Option<PathBuf>,
    pub files_read: Files,
}

/// The inputs of a walk.
pub struct Input<'a> {
    pub vars: &'a Vars,
    pub flag_profile: Option<&'a str>,
    /// `--region` (whoami): the region of every call, whatever the environment and profile say.
    pub flag_region: Option<&'a str>,
    pub files: Files,
    pub home: Option<&'a Path>,
    /// The shell's working directory, when known.
    pub cwd: Option<&'a Path>,
    pub now_unix: i64,
}

/// How the chain reads anything beyond the two shared files (kept out of the walk so it can
/// be tested without a disk).
struct Walk<'a> {
    input: &'a Input<'a>,
    files: Vec<PathBuf>,
    whole_env: bool,
    uses_cwd: bool,
    opaque: bool,
}

pub fn plan(input: Input<'_>) -> Plan {
    let selection = select::profile(input.vars, input.flag_profile);
    let mut walk = Walk {
        input: &input,
        files: input
            .files
            .config_path
            .iter()
            .chain(input.files.credentials_path.iter())
            .cloned()
            .collect(),
        whole_env: false,
        uses_cwd: false,
        opaque: false,
    };
    let profile = input.files.profile(&selection.name);
    // A file named through another variable (`AWS_CONFIG_FILE=$DIR/config`): that variable
    // can be any, so every exported one counts.
    if [
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
        "BOTO_CONFIG",
    ]
    .iter()
    .any(|v| input.vars.set(v).is_some_and(|p| p.contains('$')))
    {
        walk.whole_env = true;
    }
    let mut source = walk.top(&selection, profile);
    let region = match input.flag_region.filter(|r| !r.is_empty()) {
        Some(r) => Some((r.to_string(), RegionFrom::Flag)),
        None => select::region(input.vars, profile.get("region")),
    };
    if let (Ok(_), Some((r, _))) = (&source, &region) {
        if !select::valid_region(r) {
            source = Err(CliError::Message(format!(
                "Provided region_name '{r}' doesn't match a supported format."
            )));
        }
    }
    let output = profile.get("output").map(str::to_string);
    // botocore: the `ca_bundle` setting (AWS_CA_BUNDLE, else the profile's), else
    // REQUESTS_CA_BUNDLE; `~` is the shell's HOME.
    let ca_bundle = input
        .vars
        .get("AWS_CA_BUNDLE")
        .or_else(|| profile.get("ca_bundle").filter(|c| !c.is_empty()))
        .or_else(|| input.vars.get("REQUESTS_CA_BUNDLE"))
        .map(|c| {
            let env = |name: &str| input.vars.set(name).map(str::to_string);
            let c = files::expand_user(c, &env, &files::passwd_home);
            if files::depends_on_cwd(&c) {
                walk.uses_cwd = true;
            }
            select::absolute(&c, input.cwd).unwrap_or_default()
        });
    walk.files.extend(ca_bundle.clone());
    let Walk {
        mut files,
        whole_env,
        uses_cwd,
        opaque,
        ..
    } = walk;
    let mut seen = std::collections::HashSet::new();
    files.retain(|f| seen.insert(f.clone()));
    Plan {
        profile: selection,
        source,
        region,
        files,
        whole_env,
        uses_cwd,
        opaque,
        output,
        ca_bundle,
        files_read: input.files.clone(),
    }
}

impl Walk<'_> {
    fn vars(&self) -> &Vars {
        self.input.vars
    }

    fn top(&mut self, selection: &Selection, profile: Profile<'_>) -> Result<Source, CliError> {
        if let Some(e) = self.input.files.parse_error() {
            return Err(e);
        }
        if selection.named_by.is_some() && !profile.exists() {
            return Err(CliError::ProfileNotFound {
                profile: selection.name.clone(),
            });
        }
        if !selection.explicit() {
            if let Some(env) = self.env_keys()? {
                return Ok(Source::Env(env));
            }
        }
        let mut visited = vec![selection.name.clone()];
        if is_role(profile) {
            return self.assume_role(&selection.name, &mut visited);
        }
        if let Some(source) = self.profile_providers(&selection.name, selection.explicit())? {
            return Ok(source);
        }
        self.after_profile()
    }

    /// botocore's EnvProvider: a non-empty `AWS_ACCESS_KEY_ID` makes it answer (or fail).
    fn env_keys(&mut self) -> Result<Option<EnvKeys>, CliError> {
        if self.vars().get("AWS_ACCESS_KEY_ID").is_none() {
            return Ok(None);
        }
        if self.vars().get("AWS_SECRET_ACCESS_KEY").is_none() {
            return Err(CliError::PartialCredentials {
                provider: "env".into(),
                missing: "AWS_SECRET_ACCESS_KEY".into(),
            });
        }
        let token_var = ["AWS_SECURITY_TOKEN", "AWS_SESSION_TOKEN"]
            .into_iter()
            .find(|v| self.vars().get(v).is_some());
        let expires_unix = match self.vars().get("AWS_CREDENTIAL_EXPIRATION") {
            None => None,
            Some(raw) => {
                let at = cli_date(raw)?;
                if at <= self.input.now_unix {
                    return Err(CliError::StillExpired);
                }
                Some(at)
            }
        };
        Ok(Some(EnvKeys {
            token_var,
            expires_unix,
        }))
    }

    /// botocore's AssumeRoleProvider for `name`, following `source_profile` recursively.
    fn assume_role(&mut self, name: &str, visited: &mut Vec<String>) -> Result<Source, CliError> {
        let files = &self.input.files;
        let profile = files.profile(name);
        let role_arn = profile.get("role_arn").unwrap_or_default().to_string();
        let source_profile = profile.get("source_profile");
        let credential_source = profile.get("credential_source");
        let source = match (source_profile, credential_source) {
            (Some(_), Some(_)) => {
                return Err(CliError::InvalidConfig(format!(
                    "The profile \"{name}\" contains both source_profile and credential_source."
                )));
            }
            (None, None) => {
                return Err(CliError::PartialCredentials {
                    provider: "assume-role".into(),
                    missing: "source_profile or credential_source".into(),
                });
            }
            (None, Some(named)) => {
                let which = match named {
                    "Environment" => Named::Environment,
                    "EcsContainer" => Named::EcsContainer,
                    "Ec2InstanceMetadata" => Named::Ec2InstanceMetadata,
                    other => {
                        return Err(CliError::InvalidConfig(format!(
                            "The credential source \"{other}\" referenced in profile \
                             \"{name}\" is not valid."
                        )));
                    }
                };
                RoleSource::Named(which, Box::new(self.named_source(which, name)?))
            }
            (Some(src), None) => {
                let src = src.to_string();
                let src_profile = files.profile(&src);
                if !src_profile.exists() {
                    return Err(CliError::InvalidConfig(format!(
                        "The source_profile \"{src}\" referenced in the profile \"{name}\" does \
                         not exist."
                    )));
                }
                if visited.contains(&src) && (src != name || !has_static_keys(src_profile)) {
                    return Err(CliError::InfiniteLoop {
                        profile: src,
                        visited: visited.clone(),
                    });
                }
                visited.push(src.clone());
                let inner = if has_static_keys(src_profile) || !is_role(src_profile) {
                    match self.profile_providers(&src, true)? {
                        Some(s) => s,
                        None => {
                            return Err(CliError::InvalidConfig(format!(
                                "The source profile \"{src}\" must have credentials."
                            )));
                        }
                    }
                } else {
                    self.assume_role(&src, visited)?
                };
                RoleSource::Profile(Box::new(inner))
            }
        };
        let args = AssumeRoleArgs {
            role_arn,
            role_session_name: profile.get("role_session_name").map(str::to_string),
            external_id: profile.get("external_id").map(str::to_string),
            mfa_serial: profile.get("mfa_serial").map(str::to_string),
            duration_seconds: profile.get("duration_seconds").map(str::to_string),
            policy: None,
        };
        // The CLI's cache entry for these arguments decides the answer while it is valid.
        let cache_file = self.input.home.and_then(|home| {
            let key = cli_cache::cache_key(&args).ok()?;
            Some(cli_cache::cache_dir(home).join(format!("{key}.json")))
        });
        self.files.extend(cache_file.clone());
        Ok(Source::AssumeRole(Box::new(Role {
            profile: name.to_string(),
            args,
            cache_file,
            source,
        })))
    }

    fn named_source(&mut self, which: Named, profile: &str) -> Result<Source, CliError> {
        let none = || CliError::Retrieval {
            provider: match which {
                Named::Environment => "Environment",
                Named::EcsContainer => "EcsContainer",
                Named::Ec2InstanceMetadata => "Ec2InstanceMetadata",
            }
            .into(),
            message: format!(
                "No credentials found in credential_source referenced in profile {profile}"
            ),
        };
        match which {
            Named::Environment => match self.env_keys()? {
                Some(env) => Ok(Source::Env(env)),
                None => Err(none()),
            },
            Named::EcsContainer => {
                if self.container_set() {
                    self.opaque = true;
                    Ok(Source::Container)
                } else {
                    Err(none())
                }
            }
            Named::Ec2InstanceMetadata => {
                if self.imds_disabled() {
                    return Err(none());
                }
                self.opaque = true;
                Ok(Source::InstanceMetadata)
            }
        }
    }

    /// botocore's ProfileProviderBuilder.providers, in order, for one profile.
    fn profile_providers(
        &mut self,
        name: &str,
        disable_env_vars: bool,
    ) -> Result<Option<Source>, CliError> {
        if let Some(s) = self.web_identity(name, disable_env_vars)? {
            return Ok(Some(s));
        }
        if let Some(s) = self.sso(name)? {
            return Ok(Some(s));
        }
        let files = &self.input.files;
        if let Some(section) = files.credentials_section(name) {
            if section.contains_key("aws_access_key_id") {
                need_secret(section, "shared-credentials-file")?;
                return Ok(Some(Source::SharedCredentials {
                    profile: name.to_string(),
                    file: files.credentials_path.clone().unwrap_or_default(),
                }));
            }
        }
        let profile = files.profile(name);
        if let Some(session) = profile
            .get("login_session")
            .filter(|_| profile.has("login_session"))
        {
            let cache_file = self.input.home.map(|h| {
                h.join(".aws/login/cache")
                    .join(format!("{}.json", sha256_hex(session)))
            });
            self.files.extend(cache_file.clone());
            return Ok(Some(Source::Login {
                profile: name.to_string(),
                session: session.to_string(),
                cache_file,
            }));
        }
        if let Some(command) = profile.get("credential_process") {
            self.whole_env = true;
            self.uses_cwd = true;
            self.opaque = true;
            return Ok(Some(Source::Process {
                profile: name.to_string(),
                command: command.to_string(),
            }));
        }
        if let Some(section) = files.config_profile(name) {
            if section.contains_key("aws_access_key_id") {
                need_secret(section, "config-file")?;
                return Ok(Some(Source::ConfigKeys {
                    profile: name.to_string(),
                    file: files.config_path.clone().unwrap_or_default(),
                }));
            }
        }
        Ok(None)
    }

    /// botocore's AssumeRoleWithWebIdentityProvider: each of the token file, role ARN and
    /// session name from its variable (unless disabled), else from the profile.
    fn web_identity(
        &mut self,
        name: &str,
        disable_env_vars: bool,
    ) -> Result<Option<Source>, CliError> {
        let profile = self.input.files.profile(name);
        let mut from_env = false;
        let mut get = |key: &str, var: &str| -> Option<String> {
            if !disable_env_vars {
                if let Some(v) = self.input.vars.set(var) {
                    from_env = true;
                    return Some(v.to_string());
                }
            }
            profile.get(key).map(str::to_string)
        };
        let token = get("web_identity_token_file", "AWS_WEB_IDENTITY_TOKEN_FILE");
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            return Ok(None);
        };
        let role_arn = get("role_arn", "AWS_ROLE_ARN").filter(|r| !r.is_empty());
        let session_name = get("role_session_name", "AWS_ROLE_SESSION_NAME");
        let Some(role_arn) = role_arn else {
            return Err(CliError::InvalidConfig(
                "The provided profile or the current environment is configured to assume role \
                 with web identity but has no role ARN configured. Ensure that the profile has \
                 the role_arnconfiguration set or the AWS_ROLE_ARN env var is set."
                    .into(),
            ));
        };
        // The token file is opened as given: a relative path is the shell's directory's.
        let token_file = PathBuf::from(token.clone());
        if token_file.is_relative() {
            self.uses_cwd = true;
        }
        let token_file = match self.input.cwd {
            Some(cwd) if token_file.is_relative() => cwd.join(token_file),
            _ => token_file,
        };
        self.files.push(token_file.clone());
        Ok(Some(Source::WebIdentity {
            profile: Some(name.to_string()),
            role_arn,
            token_file,
            token_file_given: token,
            session_name,
            from_env,
        }))
    }

    /// botocore's SSOProvider: a profile with `sso_role_name` or `sso_account_id`.
    fn sso(&mut self, name: &str) -> Result<Option<Source>, CliError> {
        let files = &self.input.files;
        let profile = files.profile(name);
        if !profile.has("sso_role_name") && !profile.has("sso_account_id") {
            return Ok(None);
        }
        let session = profile
            .get("sso_session")
            .filter(|_| profile.has("sso_session"));
        let mut merged: Vec<(String, String)> = Vec::new();
        for key in [
            "sso_start_url",
            "sso_region",
            "sso_role_name",
            "sso_account_id",
        ] {
            if let Some(v) = profile.get(key) {
                merged.push((key.to_string(), v.to_string()));
            }
        }
        if let Some(session_name) = session {
            let Some(section) = files.sso_session(session_name) else {
                return Err(CliError::InvalidConfig(format!(
                    "The specified sso-session does not exist: \"{session_name}\""
                )));
            };
            for (key, value) in section {
                let value = value.as_text().unwrap_or_default().to_string();
                if let Some(own) = profile.get(key) {
                    if own != value {
                        return Err(CliError::InvalidConfig(format!(
                            "The value for {key} is inconsistent between profile ({own}) and \
                             sso-session ({value})."
                        )));
                    }
                }
                merged.retain(|(k, _)| k != key);
                merged.push((key.clone(), value));
            }
        }
        let get = |k: &str| {
            merged
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        let mut required = vec![
            "sso_role_name",
            "sso_account_id",
            "sso_start_url",
            "sso_region",
        ];
        if session.is_some() {
            required.push("sso_session");
        }
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|k| *k != "sso_session" && get(k).is_none())
            .collect();
        if !missing.is_empty() {
            return Err(CliError::InvalidConfig(format!(
                "The profile \"{name}\" is configured to use SSO but is missing required \
                 configuration: {}",
                missing.join(", ")
            )));
        }
        let start_url = get("sso_start_url").unwrap_or_default();
        let cache_id = session
            .map(str::to_string)
            .unwrap_or_else(|| start_url.clone());
        let token_file = self.input.home.map(|h| {
            h.join(".aws/sso/cache")
                .join(format!("{}.json", sha1_hex(&cache_id)))
        });
        self.files.extend(token_file.clone());
        Ok(Some(Source::Sso {
            profile: name.to_string(),
            session: session.map(str::to_string),
            start_url,
            sso_region: get("sso_region").unwrap_or_default(),
            account_id: get("sso_account_id").unwrap_or_default(),
            role_name: get("sso_role_name").unwrap_or_default(),
            token_file,
        }))
    }

    fn imds_disabled(&self) -> bool {
        self.vars()
            .get("AWS_EC2_METADATA_DISABLED")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    fn uses_relative(&self, path: &str) -> bool {
        files::depends_on_cwd(path)
    }

    fn container_set(&self) -> bool {
        self.vars()
            .set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
            .is_some()
            || self
                .vars()
                .set("AWS_CONTAINER_CREDENTIALS_FULL_URI")
                .is_some()
    }

    /// What remains after the profile: the legacy files, container, instance metadata.
    fn after_profile(&mut self) -> Result<Source, CliError> {
        let env = |name: &str| self.input.vars.set(name).map(str::to_string);
        let home = files::passwd_home;
        let cwd = self.input.cwd;
        if let Some(file) = files::ec2_credential_file_path(&env, &home) {
            let path = select::absolute(&file, cwd).unwrap_or_default();
            self.files.push(path.clone());
            if self.uses_relative(&file) {
                self.uses_cwd = true;
            }
            match files::read_key_val_file(&file, cwd.unwrap_or(Path::new("/"))) {
                Ok(map) if map.contains_key("AWSAccessKeyId") => {
                    if !map.contains_key("AWSSecretKey") {
                        return Err(CliError::Message("'AWSSecretKey'".into()));
                    }
                    return Ok(Source::Ec2CredentialFile(path));
                }
                Ok(_) => {}
                Err(e) => return Err(CliError::Message(e.cli_message())),
            }
        }
        for file in files::boto_config_paths(&env, &home) {
            let path = select::absolute(&file, cwd).unwrap_or_default();
            self.files.push(path.clone());
            if self.uses_relative(&file) {
                self.uses_cwd = true;
            }
            let state = files::read_file(&file, cwd.unwrap_or(Path::new("/")))
                .map_err(|e| CliError::Message(e.cli_message()))?;
            let Some(raw) = state.raw() else {
                continue;
            };
            if let Some(section) = raw.section("Credentials") {
                if section.contains_key("aws_access_key_id") {
                    need_secret(section, "boto-config")?;
                    return Ok(Source::BotoConfig(path));
                }
            }
        }
        if self.container_set() {
            self.opaque = true;
            return Ok(Source::Container);
        }
        if self.imds_disabled() {
            return Err(CliError::NoCredentials);
        }
        self.opaque = true;
        Ok(Source::InstanceMetadata)
    }
}

/// An expiry as botocore reads it (dateutil): with an offset it is a time; without one, the
/// comparison with an aware "now" fails; anything else is not a date.
fn cli_date(raw: &str) -> Result<i64, CliError> {
    use crate::expiry;
    if let Some(at) = expiry::parse_with_offset(raw) {
        return Ok(at);
    }
    if expiry::parse_naive(raw).is_some() {
        return Err(CliError::BadDate(
            "can't subtract offset-naive and offset-aware datetimes".into(),
        ));
    }
    Err(CliError::BadDate(format!("Unknown string format: {raw}")))
}

/// A profile the AssumeRoleProvider takes: `role_arn` without `web_identity_token_file`.
fn is_role(profile: Profile<'_>) -> bool {
    profile.has("role_arn") && !profile.has("web_identity_token_file")
}

fn has_static_keys(profile: Profile<'_>) -> bool {
    profile.has("aws_access_key_id") || profile.has("aws_secret_access_key")
}

fn need_secret(section: &Section, provider: &str) -> Result<(), CliError> {
    if section.contains_key("aws_secret_access_key") {
        Ok(())
    } else {
        Err(CliError::PartialCredentials {
            provider: provider.into(),
            missing: "aws_secret_access_key".into(),
        })
    }
}

impl Plan {
    /// What named the profile, for the doctor.
    pub fn named_by(&self) -> Option<NamedBy> {
        self.profile.named_by
    }
}

#[cfg(test)]
#[path = "chain_tests.rs"]
mod tests;

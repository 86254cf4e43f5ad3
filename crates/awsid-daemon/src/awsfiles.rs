//! Reading the AWS shared config and credentials files, as far as the daemon needs them:
//! which profiles exist, a profile's `output`, and which other files and variables can change
//! a profile's answer (its SSO token cache file, web-identity token file, login cache,
//! `credential_process`, the `source_profile` chain).
//!
//! The daemon never resolves credentials from these files itself: the resolver child does,
//! with the AWS SDK, in the client's environment. A wrong parse here can only cost a cache miss
//! (a file missing from the fingerprint is still caught by its parent's stat), or a wrong
//! "profile not found", which the tests compare against the AWS CLI.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Key/value pairs of one section.
pub type Props = HashMap<String, String>;

/// The profiles and sso-sessions of one file.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ParsedFile {
    pub profiles: HashMap<String, Props>,
    pub sso_sessions: HashMap<String, Props>,
}

/// Which kind of file is parsed: in the config file profiles are `[profile NAME]` (and
/// `[default]`); in the credentials file every section is a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Config,
    Credentials,
}

/// Parses the INI dialect of the AWS shared files. Indented lines continue the previous key
/// (nested sections such as `s3 =`) and are ignored; comments start with `#` or `;`.
pub fn parse(text: &str, kind: FileKind) -> ParsedFile {
    let mut out = ParsedFile::default();
    // Which map the current section goes to, and its name; None = ignored section.
    let mut current: Option<(bool, String)> = None;
    for raw in text.lines() {
        let line = raw.trim_end();
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if trimmed.starts_with('[') {
            let Some(end) = trimmed.find(']') else {
                current = None;
                continue;
            };
            let header = trimmed[1..end].trim();
            current = section(header, kind);
            if let Some((is_sso, name)) = &current {
                let map = if *is_sso {
                    &mut out.sso_sessions
                } else {
                    &mut out.profiles
                };
                map.entry(name.clone()).or_default();
            }
            continue;
        }
        if line.starts_with(char::is_whitespace) {
            continue; // continuation of a nested key
        }
        let (Some((is_sso, name)), Some((k, v))) = (&current, trimmed.split_once('=')) else {
            continue;
        };
        let map = if *is_sso {
            &mut out.sso_sessions
        } else {
            &mut out.profiles
        };
        map.entry(name.clone())
            .or_default()
            .insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
    }
    out
}

fn section(header: &str, kind: FileKind) -> Option<(bool, String)> {
    match kind {
        FileKind::Credentials => Some((false, header.to_string())),
        FileKind::Config => {
            if header == "default" {
                return Some((false, "default".into()));
            }
            let mut words = header.splitn(2, char::is_whitespace);
            let (Some(first), Some(rest)) = (words.next(), words.next()) else {
                return None;
            };
            let rest = rest.trim();
            match first {
                "profile" if !rest.is_empty() => Some((false, rest.to_string())),
                "sso-session" if !rest.is_empty() => Some((true, rest.to_string())),
                _ => None,
            }
        }
    }
}

/// The config and credentials files as one view (credentials-file values win).
#[derive(Debug, Default, Clone)]
pub struct Profiles {
    pub config: Arc<ParsedFile>,
    pub credentials: Arc<ParsedFile>,
}

impl Profiles {
    pub fn exists(&self, profile: &str) -> bool {
        self.config.profiles.contains_key(profile)
            || self.credentials.profiles.contains_key(profile)
    }

    /// A property of a profile, credentials file first.
    pub fn get(&self, profile: &str, key: &str) -> Option<&str> {
        self.credentials
            .profiles
            .get(profile)
            .and_then(|p| p.get(key))
            .or_else(|| self.config.profiles.get(profile).and_then(|p| p.get(key)))
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// What, beyond the variables and the two files, can change this profile's answer.
    pub fn dependencies(&self, profile: &str, home: Option<&Path>) -> Dependencies {
        let mut deps = Dependencies::default();
        let mut seen: Vec<&str> = Vec::new();
        let mut current = profile;
        // Follow source_profile like the SDK does; stop on cycles (the SDK then errors).
        while !seen.contains(&current) && seen.len() < 16 {
            seen.push(current);
            if self.get(current, "credential_process").is_some() {
                deps.opaque = true;
            }
            if matches!(
                self.get(current, "credential_source"),
                Some("Ec2InstanceMetadata" | "EcsContainer")
            ) {
                deps.opaque = true;
            }
            if let Some(home) = home {
                let cache = home.join(".aws/sso/cache");
                if let Some(session) = self.get(current, "sso_session") {
                    deps.files
                        .push(cache.join(format!("{}.json", sha1_hex(session))));
                } else if let Some(url) = self.get(current, "sso_start_url") {
                    deps.files
                        .push(cache.join(format!("{}.json", sha1_hex(url))));
                }
                if let Some(login) = self.get(current, "login_session") {
                    let dir = home.join(".aws/login/cache");
                    deps.files
                        .push(dir.join(format!("{}.json", sha256_hex(login))));
                }
            }
            if let Some(file) = self.get(current, "web_identity_token_file") {
                deps.files.push(expand_tilde(file, home));
            }
            match self.get(current, "source_profile") {
                Some(next) => current = next,
                None => break,
            }
        }
        deps
    }
}

impl Profiles {
    /// The error the AWS CLI stops with before asking anyone, for a profile chosen by name
    /// (`named`) that provides the credentials: the profile itself missing, or a
    /// `source_profile` in its role chain missing. Returns the missing profile's name and the
    /// CLI's message. (The SDK alone would go on to other sources, such as instance metadata.)
    pub fn cli_error(&self, profile: &str, named: bool) -> Option<(String, String)> {
        if !self.exists(profile) {
            return named.then(|| {
                (
                    profile.to_string(),
                    format!("The config profile ({profile}) could not be found"),
                )
            });
        }
        let mut seen = vec![profile];
        let mut current = profile;
        while seen.len() < 32 {
            let chained = self.get(current, "role_arn").is_some()
                && self.get(current, "web_identity_token_file").is_none()
                && self.get(current, "credential_source").is_none();
            let next = match self.get(current, "source_profile") {
                Some(next) if chained && next != current => next,
                _ => return None,
            };
            if !self.exists(next) {
                return Some((
                    next.to_string(),
                    format!(
                        "The source_profile \"{next}\" referenced in the profile \"{current}\" \
                         does not exist."
                    ),
                ));
            }
            // Static keys end the chain after its first hop, as in the SDK.
            if self.get(next, "aws_access_key_id").is_some() || seen.contains(&next) {
                return None;
            }
            seen.push(next);
            current = next;
        }
        None
    }
}

/// Files and traits of a profile chain that the fingerprint must cover.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Dependencies {
    pub files: Vec<PathBuf>,
    /// Credentials come from somewhere awsid cannot watch (a `credential_process`, instance or
    /// container metadata): answers are re-checked sooner, and `PATH` joins the fingerprint.
    pub opaque: bool,
}

/// The config and credentials files: `AWS_CONFIG_FILE` / `AWS_SHARED_CREDENTIALS_FILE`
/// (`~/` expanded), else `~/.aws/config` and `~/.aws/credentials`. `var` gives a variable's
/// value even when empty: set to an empty string, such a variable means no file at all (as in
/// the CLI), not the default one.
pub fn shared_files(
    var: impl Fn(&str) -> Option<String>,
    home: Option<&Path>,
) -> (Option<PathBuf>, Option<PathBuf>) {
    let file_or = |name: &str, default: &str| match var(name) {
        Some(p) if p.is_empty() => None,
        Some(p) => Some(expand_tilde(&p, home)),
        None => home.map(|h| h.join(".aws").join(default)),
    };
    (
        file_or("AWS_CONFIG_FILE", "config"),
        file_or("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
    )
}

/// `~/` at the start of a path means the client's HOME, as in the CLI and SDK.
pub fn expand_tilde(path: &str, home: Option<&Path>) -> PathBuf {
    match (path.strip_prefix("~/"), home) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(path),
    }
}

pub fn sha1_hex(s: &str) -> String {
    sha1_smol::Sha1::from(s).digest().to_string()
}

fn sha256_hex(s: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "\
# comment
[default]
region = us-east-1
output=text

[profile admin]
role_arn = arn:aws:iam::222222222222:role/admin
source_profile = alice
s3 =
  max_concurrent_requests = 20

[profile sso]
sso_session = corp
sso_account_id = 333333333333

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start

[notaprofile]
region = eu-west-1

[profile proc]
credential_process = /bin/creds
";

    #[test]
    fn config_sections_and_keys() {
        let f = parse(CONFIG, FileKind::Config);
        assert_eq!(f.profiles["default"]["output"], "text");
        assert_eq!(f.profiles["admin"]["source_profile"], "alice");
        assert!(!f.profiles["admin"].contains_key("max_concurrent_requests"));
        assert!(!f.profiles.contains_key("notaprofile"));
        assert_eq!(
            f.sso_sessions["corp"]["sso_start_url"],
            "https://corp.awsapps.com/start"
        );
    }

    #[test]
    fn credentials_sections_are_profiles() {
        let f = parse(
            "[alice]\naws_access_key_id = AKIA\n[profile x]\n",
            FileKind::Credentials,
        );
        assert!(f.profiles.contains_key("alice"));
        assert!(f.profiles.contains_key("profile x"));
    }

    #[test]
    fn dependencies_follow_the_chain() {
        let p = Profiles {
            config: Arc::new(parse(CONFIG, FileKind::Config)),
            credentials: Arc::new(parse(
                "[alice]\naws_access_key_id = A\n",
                FileKind::Credentials,
            )),
        };
        assert!(p.exists("alice") && p.exists("admin") && !p.exists("nosuch"));
        let home = Path::new("/home/u");
        let d = p.dependencies("sso", Some(home));
        // sha1("corp")
        assert_eq!(
            d.files,
            vec![home.join(format!(".aws/sso/cache/{}.json", sha1_hex("corp")))]
        );
        assert_eq!(sha1_hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert!(!d.opaque);
        assert!(p.dependencies("proc", Some(home)).opaque);
        assert!(p.dependencies("admin", Some(home)).files.is_empty());
    }

    #[test]
    fn the_clis_profile_errors() {
        let p = Profiles {
            config: Arc::new(parse(
                "[profile dangling]\nrole_arn = r\nsource_profile = nobody\n\
                 [profile deep]\nrole_arn = r\nsource_profile = dangling\n\
                 [profile ok]\nrole_arn = r\nsource_profile = alice\n\
                 [profile env]\nrole_arn = r\ncredential_source = Environment\n",
                FileKind::Config,
            )),
            credentials: Arc::new(parse(
                "[alice]\naws_access_key_id = A\n",
                FileKind::Credentials,
            )),
        };
        assert_eq!(
            p.cli_error("nosuch", true).unwrap().1,
            "The config profile (nosuch) could not be found"
        );
        assert_eq!(p.cli_error("default", false), None);
        for (profile, referrer) in [("dangling", "dangling"), ("deep", "dangling")] {
            let (missing, message) = p.cli_error(profile, true).unwrap();
            assert_eq!(missing, "nobody");
            assert_eq!(
                message,
                format!("The source_profile \"nobody\" referenced in the profile \"{referrer}\" does not exist.")
            );
        }
        assert_eq!(p.cli_error("ok", true), None);
        assert_eq!(p.cli_error("env", true), None);
    }

    #[test]
    fn source_profile_cycles_end() {
        let p = Profiles {
            config: Arc::new(parse(
                "[profile a]\nsource_profile = b\n[profile b]\nsource_profile = a\ncredential_process = x\n",
                FileKind::Config,
            )),
            credentials: Arc::default(),
        };
        assert!(p.dependencies("a", None).opaque);
    }
}

//! What the environment selects before the chain runs: the variables as the CLI reads them,
//! which profile (named by what), where the shared files are, and the region.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use awsid_proto::msg::Env;

use crate::files;

/// The environment a plan is made for, as text (botocore reads it decoded; bytes that are
/// not UTF-8 become U+FFFD here, which can only cost a lookup, never change a rule).
#[derive(Debug, Clone, Default)]
pub struct Vars(BTreeMap<String, String>);

impl Vars {
    pub fn from_env(env: &Env) -> Vars {
        Vars(
            env.iter()
                .map(|(k, v)| {
                    (
                        String::from_utf8_lossy(k).into_owned(),
                        String::from_utf8_lossy(v).into_owned(),
                    )
                })
                .collect(),
        )
    }

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vars {
        Vars(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    /// The value when the variable is set, even to an empty string (`name in os.environ`).
    pub fn set(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// The value when set and not empty (`os.environ.get(name, '')` used as a condition).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.set(name).filter(|v| !v.is_empty())
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

/// What named the profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamedBy {
    /// `--profile` (which also turns off the environment's keys and web-identity variables).
    Flag,
    AwsDefaultProfile,
    AwsProfile,
}

impl NamedBy {
    pub fn describe(self) -> &'static str {
        match self {
            NamedBy::Flag => "--profile",
            NamedBy::AwsDefaultProfile => "AWS_DEFAULT_PROFILE",
            NamedBy::AwsProfile => "AWS_PROFILE",
        }
    }
}

/// The profile the CLI uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    pub name: String,
    /// None: nothing named one, `default` is used (and need not exist).
    pub named_by: Option<NamedBy>,
}

impl Selection {
    /// `--profile` was given: the CLI's "explicit profile", which disables environment keys.
    pub fn explicit(&self) -> bool {
        self.named_by == Some(NamedBy::Flag)
    }
}

/// `--profile` (an empty one is ignored, as by the CLI), else `AWS_DEFAULT_PROFILE`, else
/// `AWS_PROFILE`: the first one set, even to an empty string (which names profile "", an
/// error).
pub fn profile(vars: &Vars, flag: Option<&str>) -> Selection {
    if let Some(name) = flag.filter(|f| !f.is_empty()) {
        return Selection {
            name: name.to_string(),
            named_by: Some(NamedBy::Flag),
        };
    }
    for (var, by) in [
        ("AWS_DEFAULT_PROFILE", NamedBy::AwsDefaultProfile),
        ("AWS_PROFILE", NamedBy::AwsProfile),
    ] {
        if let Some(name) = vars.set(var) {
            return Selection {
                name: name.to_string(),
                named_by: Some(by),
            };
        }
    }
    Selection {
        name: "default".into(),
        named_by: None,
    }
}

/// The config and credentials files: `AWS_CONFIG_FILE` / `AWS_SHARED_CREDENTIALS_FILE`, else
/// `~/.aws/config` and `~/.aws/credentials`, with `$VAR` and `~` expanded as botocore does
/// ([`crate::files::config_file_path`]). An empty value names no file. A relative path is
/// the shell's working directory's.
pub fn shared_files(vars: &Vars, cwd: Option<&Path>) -> (Option<PathBuf>, Option<PathBuf>) {
    let env = |name: &str| vars.set(name).map(str::to_string);
    let home = crate::files::passwd_home;
    (
        absolute(&files::config_file_path(&env, &home), cwd),
        absolute(&files::credentials_file_path(&env, &home), cwd),
    )
}

/// An expanded path made absolute against the shell's directory; None for "".
pub fn absolute(path: &str, cwd: Option<&Path>) -> Option<PathBuf> {
    if path.is_empty() {
        return None;
    }
    let path = PathBuf::from(path);
    Some(match cwd {
        Some(cwd) if path.is_relative() => cwd.join(path),
        _ => path,
    })
}

/// The home directory the CLI expands `~` to: `HOME`, else the user's entry in the password
/// database.
pub fn home(vars: &Vars) -> Option<PathBuf> {
    vars.set("HOME")
        .map(str::to_string)
        .or_else(|| crate::files::passwd_home(None))
        .map(PathBuf::from)
}

/// Where the region of the call comes from (CLI v2's order: `AWS_REGION`,
/// `AWS_DEFAULT_REGION`, the profile's `region`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionFrom {
    /// `--region` (whoami): overrides the environment and the profile.
    Flag,
    AwsRegion,
    AwsDefaultRegion,
    Profile,
}

impl RegionFrom {
    pub fn describe(self) -> &'static str {
        match self {
            RegionFrom::Flag => "--region",
            RegionFrom::AwsRegion => "AWS_REGION",
            RegionFrom::AwsDefaultRegion => "AWS_DEFAULT_REGION",
            RegionFrom::Profile => "the profile's region",
        }
    }
}

/// botocore's `validate_region_name`: `^[a-zA-Z0-9](?:[a-zA-Z0-9\-]{0,61}[a-zA-Z0-9])?$`.
pub fn valid_region(r: &str) -> bool {
    let b = r.as_bytes();
    let edge = |c: &u8| c.is_ascii_alphanumeric();
    !b.is_empty()
        && b.len() <= 63
        && edge(&b[0])
        && edge(&b[b.len() - 1])
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
}

pub fn region(vars: &Vars, profile_region: Option<&str>) -> Option<(String, RegionFrom)> {
    vars.get("AWS_REGION")
        .map(|r| (r.to_string(), RegionFrom::AwsRegion))
        .or_else(|| {
            vars.get("AWS_DEFAULT_REGION")
                .map(|r| (r.to_string(), RegionFrom::AwsDefaultRegion))
        })
        .or_else(|| {
            profile_region
                .filter(|r| !r.is_empty())
                .map(|r| (r.to_string(), RegionFrom::Profile))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_precedence() {
        let v = Vars::from_pairs([("AWS_PROFILE", "a"), ("AWS_DEFAULT_PROFILE", "b")]);
        assert_eq!(profile(&v, None).name, "b");
        assert_eq!(profile(&v, Some("c")).name, "c");
        assert!(profile(&v, Some("c")).explicit());
        // An empty --profile is ignored; an empty variable names "".
        assert_eq!(profile(&v, Some("")).name, "b");
        let empty = Vars::from_pairs([("AWS_DEFAULT_PROFILE", ""), ("AWS_PROFILE", "a")]);
        assert_eq!(profile(&empty, None).name, "");
        assert_eq!(profile(&Vars::default(), None).named_by, None);
    }

    #[test]
    fn shared_files_expand_and_follow_the_directory() {
        let v = Vars::from_pairs([
            ("HOME", "/h"),
            ("X", "/x"),
            ("AWS_SHARED_CREDENTIALS_FILE", "$X/k"),
            ("AWS_CONFIG_FILE", "rel/c"),
        ]);
        let (c, k) = shared_files(&v, Some(Path::new("/w")));
        assert_eq!(c, Some(PathBuf::from("/w/rel/c")));
        assert_eq!(k, Some(PathBuf::from("/x/k")));
        let v = Vars::from_pairs([("HOME", "/h"), ("AWS_CONFIG_FILE", "")]);
        assert_eq!(
            shared_files(&v, None),
            (None, Some(PathBuf::from("/h/.aws/credentials")))
        );
    }

    #[test]
    fn region_order_is_cli_v2() {
        let v = Vars::from_pairs([
            ("AWS_REGION", "eu-west-1"),
            ("AWS_DEFAULT_REGION", "us-west-2"),
        ]);
        assert_eq!(region(&v, Some("ap-south-1")).unwrap().0, "eu-west-1");
        let v = Vars::from_pairs([("AWS_DEFAULT_REGION", "us-west-2")]);
        assert_eq!(
            region(&v, Some("ap-south-1")).unwrap().1,
            RegionFrom::AwsDefaultRegion
        );
        assert_eq!(
            region(&Vars::default(), Some("ap-south-1")).unwrap().1,
            RegionFrom::Profile
        );
        assert_eq!(region(&Vars::default(), Some("")), None);
    }
}

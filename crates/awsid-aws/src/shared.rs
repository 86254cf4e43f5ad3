//! The two shared files of one environment, as the chain reads them: the config file through
//! botocore's `load_config` view (profiles, sso-sessions, services), the credentials file
//! through `raw_config_parse` (every section a profile), and the session's `full_config`
//! merge of both, looked up key by key (credentials-file keys win) without building it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::errors::CliError;
use crate::files::{FileError, ProfileFile, Section, Value};

/// One file: not there (botocore's ConfigNotFound: an empty file to the CLI), parsed, or an
/// error the CLI stops with.
#[derive(Debug, Clone, Default)]
pub enum Loaded {
    #[default]
    Absent,
    Parsed(Arc<ProfileFile>),
    Broken(FileError),
}

impl Loaded {
    pub fn get(&self) -> Option<&ProfileFile> {
        match self {
            Loaded::Parsed(t) => Some(t),
            _ => None,
        }
    }

    /// A file's bytes as the CLI parses them.
    pub fn parse(
        bytes: &[u8],
        path: &Path,
        view: fn(&crate::files::RawFile) -> ProfileFile,
    ) -> Loaded {
        match crate::files::parse(bytes) {
            Ok(raw) => Loaded::Parsed(Arc::new(view(&raw))),
            Err(error) => Loaded::Broken(FileError {
                path: path.display().to_string(),
                error,
            }),
        }
    }

    /// Reads a file as the CLI does (`view` picks the config or the credentials view).
    pub fn read(path: &Path, view: fn(&crate::files::RawFile) -> ProfileFile) -> Loaded {
        let shown = path.display().to_string();
        match crate::files::read_file(&shown, Path::new("/")) {
            Ok(crate::files::FileState::NotFound) => Loaded::Absent,
            Ok(state) => Loaded::Parsed(Arc::new(view(&state.raw().unwrap_or_default()))),
            Err(e) => Loaded::Broken(e),
        }
    }
}

/// The two shared files of one environment.
#[derive(Debug, Default, Clone)]
pub struct Files {
    pub config_path: Option<PathBuf>,
    pub config: Loaded,
    pub credentials_path: Option<PathBuf>,
    pub credentials: Loaded,
}

/// A profile of the merged view: the config file's section, overridden key by key by the
/// credentials file's section of the same name.
#[derive(Debug, Clone, Copy, Default)]
pub struct Profile<'a> {
    pub config: Option<&'a Section>,
    pub credentials: Option<&'a Section>,
}

impl<'a> Profile<'a> {
    pub fn value(&self, key: &str) -> Option<&'a Value> {
        self.credentials
            .and_then(|s| s.get(key))
            .or_else(|| self.config.and_then(|s| s.get(key)))
    }

    /// Whether the key is present at all (even empty), as botocore's `key in profile`.
    pub fn has(&self, key: &str) -> bool {
        self.value(key).is_some()
    }

    /// A key's text (a nested block has none: "").
    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.value(key).map(|v| v.as_text().unwrap_or_default())
    }

    /// Which file holds the key (the credentials file wins).
    pub fn file_of<'f>(&self, key: &str, files: &'f Files) -> Option<&'f Path> {
        if self.credentials.is_some_and(|s| s.contains_key(key)) {
            files.credentials_path.as_deref()
        } else if self.config.is_some_and(|s| s.contains_key(key)) {
            files.config_path.as_deref()
        } else {
            None
        }
    }

    pub fn exists(&self) -> bool {
        self.config.is_some() || self.credentials.is_some()
    }
}

impl Files {
    /// Reads both files from disk (the resolver child and the doctor; the daemon keeps a
    /// cache of parsed files).
    pub fn read(config: Option<&Path>, credentials: Option<&Path>) -> Files {
        Files {
            config_path: config.map(Path::to_owned),
            config: config.map_or(Loaded::Absent, |p| {
                Loaded::read(p, crate::files::config_view)
            }),
            credentials_path: credentials.map(Path::to_owned),
            credentials: credentials.map_or(Loaded::Absent, |p| {
                Loaded::read(p, crate::files::credentials_view)
            }),
        }
    }

    /// The parse error the CLI stops with (the config file is read first).
    pub fn parse_error(&self) -> Option<CliError> {
        [&self.config, &self.credentials]
            .into_iter()
            .find_map(|l| match l {
                Loaded::Broken(e) => Some(CliError::ConfigParse {
                    path: e.path.clone(),
                    detail: e.error.to_string(),
                }),
                _ => None,
            })
    }

    /// A profile of the merged view (`session.full_config['profiles'][name]`).
    pub fn profile(&self, name: &str) -> Profile<'_> {
        Profile {
            config: self.config.get().and_then(|c| c.profiles.get(name)),
            credentials: self.credentials.get().and_then(|c| c.profiles.get(name)),
        }
    }

    /// A profile as the config file alone has it (botocore's ConfigProvider).
    pub fn config_profile(&self, name: &str) -> Option<&Section> {
        self.config.get().and_then(|c| c.profiles.get(name))
    }

    /// A section of the credentials file alone (botocore's SharedCredentialProvider).
    pub fn credentials_section(&self, name: &str) -> Option<&Section> {
        self.credentials.get().and_then(|c| c.profiles.get(name))
    }

    pub fn sso_session(&self, name: &str) -> Option<&Section> {
        self.config.get().and_then(|c| c.sso_sessions.get(name))
    }

    /// Every profile name of the merged view, sorted.
    pub fn profile_names(&self) -> Vec<String> {
        let mut names: Vec<String> = [&self.config, &self.credentials]
            .into_iter()
            .filter_map(Loaded::get)
            .flat_map(|f| f.profiles.keys().cloned())
            .collect();
        names.sort();
        names.dedup();
        names
    }
}

/// Lowercase hex sha1, as botocore names its cache files.
pub fn sha1_hex(s: &str) -> String {
    sha1_smol::Sha1::from(s).digest().to_string()
}

/// Lowercase hex sha256 (the login cache's file names).
pub fn sha256_hex(s: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

//! The AWS config and credentials files, read exactly as botocore reads them
//! (botocore 1.43 / AWS CLI v1, Python 3.11), std only.
//!
//! * [`parse`] (`ini.rs`): bytes to [`RawFile`], botocore's `raw_config_parse`.
//! * [`config_view`], [`credentials_view`], [`merged_view`] (`views.rs`): which
//!   sections are profiles, sso-sessions and services in each file, and the
//!   `Session.full_config` merge of both.
//! * [`config_file_path`], [`credentials_file_path`], [`expand_path`],
//!   [`read_file`] (`paths.rs`): where the files are and how they are opened.
//! * [`read_key_val_file`], [`boto_config_paths`] (`legacy.rs`): the legacy
//!   `AWS_CREDENTIAL_FILE` and boto2 config files at the end of the chain.
//!
//! How the CLI uses them: at start-up it parses the config file, then the
//! credentials file, into `full_config` (profile lookup and every setting);
//! a parse error in *either* file stops every command, even one whose
//! credentials come from the environment. The credential providers then read
//! the files again separately: the shared-credentials provider the
//! credentials file ([`credentials_view`]), the config-file provider the
//! config file ([`config_view`]).
//!
//! botocore (`configloader.py`) hands each file to Python 3.11's
//! `configparser.RawConfigParser()` with its defaults, then post-processes the
//! result. The parsing rules, all from those two sources:
//!
//! * The file is decoded as strict UTF-8 (the CLI's locale encoding here; a
//!   byte-order mark is *not* removed, so a file starting with one has no
//!   section header). Any invalid byte makes the whole file an error.
//! * Lines end at `\n`, `\r\n` or a lone `\r` (Python's universal newlines).
//! * A line whose stripped text starts with `#` or `;` is a comment, wherever
//!   it is indented. Comments are full-line only: `a = b # c` keeps `b # c`.
//! * `[` name `]`: the name runs to the *last* `]`, anything after it is
//!   ignored (`[profile x] (old)` is `profile x`); spaces inside are kept
//!   (`[ profile x ]` is the literal name ` profile x `).
//! * `key = value` or `key: value`: split at the first `=` or `:`, both sides
//!   stripped, the key lowercased; an empty key is an error.
//! * A line indented deeper than the line that opened the current option
//!   continues its value (joined with `\n`); empty lines inside are kept and
//!   trailing whitespace of the whole value is removed. Indentation is counted
//!   in characters of Python's whitespace (which includes U+001C..U+001F).
//! * Errors: text before the first header, a duplicate section, a duplicate
//!   key within one section, a line that is neither header nor option.
//! * `[DEFAULT]` is not a section: its keys are inherited by every section
//!   (a section's own key wins). It may appear several times.
//! * botocore turns a value that starts with a newline (`s3 =` followed by
//!   indented lines) into a map of `k = v` lines (`=` only, keys not
//!   lowercased, the last duplicate wins); such a line without `=` is an error.
//!
//! All errors are reported by the CLI with one message, see
//! [`FileError::cli_message`].
//!
//! ```
//! use awsid_aws::files::{Value, config_view, credentials_view, merged_view, parse};
//!
//! let config = parse(b"[profile default]\nregion = us-east-1\n\
//!     [default]\nregion = eu-west-1 # Ireland\ns3 =\n  max_attempts = 3\n").unwrap();
//! let creds = parse(b"[default]\naws_access_key_id = AKIA\n[profile x]\n").unwrap();
//! let full = merged_view(Some(&config), Some(&creds));
//! let default = &full.profiles["default"];
//! // the later section wins, the comment is part of the value
//! assert_eq!(default["region"].as_text(), Some("eu-west-1 # Ireland"));
//! assert!(matches!(&default["s3"], Value::Nested(m) if m["max_attempts"] == "3"));
//! assert_eq!(default["aws_access_key_id"].as_text(), Some("AKIA"));
//! // the credentials file's `[profile x]` is the profile "profile x"
//! assert!(credentials_view(&creds).profiles.contains_key("profile x"));
//! assert!(!config_view(&config).profiles.contains_key("profile x"));
//! ```

use std::collections::BTreeMap;
use std::fmt;

/// A value as botocore keeps it: a string, or a map for an indented block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Text(String),
    Nested(BTreeMap<String, String>),
}

impl Value {
    /// The string, or `None` for a nested block.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            Value::Nested(_) => None,
        }
    }
}

/// The keys of one section (lowercased), `[DEFAULT]` keys already inherited.
pub type Section = BTreeMap<String, Value>;

/// A parsed file: botocore's `raw_config_parse` result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawFile {
    /// Sections in file order, names as written (case kept). Each carries
    /// the `[DEFAULT]` keys it does not set itself.
    pub sections: Vec<(String, Section)>,
}

impl RawFile {
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| s)
    }
}

/// Why a file could not be parsed. The CLI does not show this detail (see
/// [`FileError::cli_message`]); it is for the doctor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    pub kind: ParseErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// Not valid UTF-8 (Python's `UnicodeDecodeError`).
    NotUtf8,
    /// Text before the first `[section]` header.
    MissingSectionHeader,
    DuplicateSection(String),
    DuplicateOption {
        section: String,
        option: String,
    },
    /// A line that is neither a header nor `key = value`, or has an empty key.
    InvalidLine,
    /// A line of an indented block without `=`.
    NestedWithoutEquals {
        section: String,
        option: String,
    },
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: ", self.line)?;
        match &self.kind {
            ParseErrorKind::NotUtf8 => write!(f, "the file is not valid UTF-8"),
            ParseErrorKind::MissingSectionHeader => {
                write!(f, "text before the first [section] header")
            }
            ParseErrorKind::DuplicateSection(s) => write!(f, "section '{s}' already exists"),
            ParseErrorKind::DuplicateOption { section, option } => {
                write!(f, "option '{option}' in section '{section}' already exists")
            }
            ParseErrorKind::InvalidLine => write!(f, "neither a [section] nor a key = value line"),
            ParseErrorKind::NestedWithoutEquals { section, option } => write!(
                f,
                "a line of the indented block '{option}' in section '{section}' has no '='"
            ),
        }
    }
}

impl std::error::Error for ParseError {}

/// A file that botocore refuses to parse, with the path it opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    /// The path after [`expand_path`], as the CLI prints it.
    pub path: String,
    pub error: ParseError,
}

impl FileError {
    /// botocore's `ConfigParseError` text, the same for every kind of error.
    pub fn cli_message(&self) -> String {
        format!("Unable to parse config file: {}", self.path)
    }

    /// The last line the CLI writes to stderr: it dies with a traceback (exit
    /// status 1) before running any command, whichever file is broken (the
    /// config file is read first).
    pub fn cli_stderr_line(&self) -> String {
        format!(
            "botocore.exceptions.ConfigParseError: {}",
            self.cli_message()
        )
    }
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.cli_message())
    }
}

impl std::error::Error for FileError {}

/// What reading a path gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileState {
    /// Not a regular file (missing, a directory, ...): botocore's
    /// `ConfigNotFound`, treated as an empty file.
    NotFound,
    /// A regular file that could not be opened or read: configparser skips
    /// it silently, so it counts as an empty file too.
    Unreadable,
    Parsed(RawFile),
}

impl FileState {
    /// The parsed file, empty for an unreadable one; `None` when not found.
    pub fn raw(&self) -> Option<RawFile> {
        match self {
            FileState::NotFound => None,
            FileState::Unreadable => Some(RawFile::default()),
            FileState::Parsed(raw) => Some(raw.clone()),
        }
    }
}

mod ini;
mod legacy;
mod paths;
mod views;

pub use ini::parse;
pub use legacy::{
    boto_config_paths, ec2_credential_file_path, parse_key_val, read_key_val_file, KeyValError,
};
pub use paths::{
    config_file_path, credentials_file_path, depends_on_cwd, expand_path, expand_user, passwd_home,
    read_file, read_regular, EnvLookup, HomeLookup, MAX_FILE_BYTES,
};
pub use views::{config_view, credentials_view, merged_view, shlex_split, ProfileFile};

#[cfg(test)]
mod tests;

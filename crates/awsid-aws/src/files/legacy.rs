//! The two legacy credential files at the end of botocore's chain:
//! `AWS_CREDENTIAL_FILE` (EC2 tools' `key=value` lines, `OriginalEC2Provider`)
//! and the boto2 config (`BOTO_CONFIG`, else `/etc/boto.cfg` then `~/.boto`,
//! `BotoProvider`, an INI file read with [`read_file`](super::read_file)).
//!
//! The CLI reaches them only when no earlier source answered; their errors
//! are then printed as the command's error (a plain last stderr line, no
//! traceback): [`KeyValError::cli_message`], or
//! [`FileError::cli_message`](super::FileError::cli_message) for a broken
//! boto config.

use super::paths::expand_user;
use super::{expand_path, EnvLookup, HomeLookup};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// `AWS_CREDENTIAL_FILE` if set (even empty), with `~` expanded but *not*
/// `$VARS` (botocore only calls `expanduser` here).
pub fn ec2_credential_file_path(env: EnvLookup<'_>, home: HomeLookup<'_>) -> Option<String> {
    env("AWS_CREDENTIAL_FILE").map(|v| expand_user(&v, env, home))
}

/// The boto2 config files botocore tries, in order, expanded: `BOTO_CONFIG`
/// alone if set (even empty), else `/etc/boto.cfg` and `~/.boto`. Each is
/// read with [`read_file`](super::read_file): one that is not found is
/// skipped, a parse error stops the chain, the first whose `[Credentials]`
/// section has `aws_access_key_id` answers (without `aws_secret_access_key`:
/// "Partial credentials found in boto-config, missing: aws_secret_access_key").
pub fn boto_config_paths(env: EnvLookup<'_>, home: HomeLookup<'_>) -> Vec<String> {
    match env("BOTO_CONFIG") {
        Some(v) => vec![expand_path(&v, env, home)],
        None => ["/etc/boto.cfg", "~/.boto"]
            .iter()
            .map(|p| expand_path(p, env, home))
            .collect(),
    }
}

/// Why an `AWS_CREDENTIAL_FILE` could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyValError {
    /// Could not be opened or read (missing, a directory, no permission):
    /// botocore's `ConfigNotFound`.
    NotFound { path: String },
    /// Not UTF-8: Python's `UnicodeDecodeError` text.
    Decode(String),
}

impl KeyValError {
    /// What the CLI prints (the last line of its stderr).
    pub fn cli_message(&self) -> String {
        match self {
            KeyValError::NotFound { path } => {
                format!("The specified config file ({path}) could not be found.")
            }
            KeyValError::Decode(message) => message.clone(),
        }
    }
}

impl fmt::Display for KeyValError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.cli_message())
    }
}

impl std::error::Error for KeyValError {}

/// botocore's `parse_key_val_file_contents`: every line (Python
/// `splitlines`, after universal newlines) with a `=` is `key=value`, split at
/// the first `=`, both sides stripped, keys case-sensitive, the last wins;
/// other lines are ignored.
pub fn parse_key_val(bytes: &[u8]) -> Result<BTreeMap<String, String>, KeyValError> {
    let text =
        std::str::from_utf8(bytes).map_err(|e| KeyValError::Decode(decode_error(bytes, &e)))?;
    let mut out = BTreeMap::new();
    for line in super::ini::py_splitlines(text) {
        if let Some((k, v)) = line.split_once('=') {
            out.insert(
                super::ini::py_strip(k).to_string(),
                super::ini::py_strip(v).to_string(),
            );
        }
    }
    Ok(out)
}

/// botocore's `parse_key_val_file` on an already expanded path (a relative
/// one is opened in the shell's directory `cwd`).
pub fn read_key_val_file(path: &str, cwd: &Path) -> Result<BTreeMap<String, String>, KeyValError> {
    let not_found = || KeyValError::NotFound {
        path: path.to_string(),
    };
    if path.is_empty() {
        return Err(not_found());
    }
    let bytes = super::read_regular(&cwd.join(path)).map_err(|_| not_found())?;
    parse_key_val(&bytes)
}

/// Python's `UnicodeDecodeError` message for the `utf-8` codec.
fn decode_error(bytes: &[u8], e: &std::str::Utf8Error) -> String {
    let start = e.valid_up_to();
    let first = bytes[start];
    let (len, reason) = match e.error_len() {
        _ if matches!(first, 0x80..=0xC1 | 0xF5..=0xFF) => (1, "invalid start byte"),
        Some(n) => (n, "invalid continuation byte"),
        None => (bytes.len() - start, "unexpected end of data"),
    };
    let place = if len == 1 {
        format!("byte 0x{first:02x} in position {start}")
    } else {
        format!("bytes in position {start}-{}", start + len - 1)
    };
    format!("'utf-8' codec can't decode {place}: {reason}")
}

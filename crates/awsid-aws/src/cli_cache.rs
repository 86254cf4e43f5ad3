//! The AWS CLI's cache of assumed-role credentials, `~/.aws/cli/cache/<key>.json`, read as the
//! CLI reads it, so that awsid shows an MFA-protected role the user already unlocked with an
//! `aws` command, without ever prompting.
//!
//! The rules, from botocore `credentials.py` (`AssumeRoleProvider._load_creds_via_assume_role`,
//! `BaseAssumeRoleCredentialFetcher._create_cache_key`, `CachedCredentialFetcher`) and awscli
//! `customizations/assumerole.py` (which installs `JSONFileCache("~/.aws/cli/cache")`):
//! - key = sha1 hex of `json.dumps(args, sort_keys=True)` (Python's default separators,
//!   `ensure_ascii`), args = `RoleArn`, then from the profile `RoleSessionName`
//!   (`role_session_name`, left out when empty: botocore generates one and drops it from the key),
//!   `ExternalId` (`external_id`), `SerialNumber` (`mfa_serial`), `DurationSeconds`
//!   (`int(duration_seconds)`, left out when that fails). `Policy` is never set from a profile;
//!   it is supported here (sorted, as botocore does) for completeness.
//! - the file is used when it exists (`os.path.isfile`) and its `Credentials.Expiration` is at
//!   least 15 minutes (900 s) away; otherwise the CLI calls AssumeRole (and prompts for an MFA
//!   code when the profile has `mfa_serial`).
//! - a file that exists but cannot be read or parsed, or lacks `Credentials`, `Expiration`,
//!   `AccessKeyId`, `SecretAccessKey` or `SessionToken`, makes the CLI fail (it does not fall
//!   back to AssumeRole): [`Lookup::Broken`] carries its message (`'<missing key>'`).
//! - the home directory is the CLI's `~` (`$HOME`), fixed when the CLI starts.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::credentials::Credentials;
use crate::pyfmt;
use crate::pyjson::{self, PyStr, PyValue};
use crate::timestamp::{self, TimeError};

/// botocore's `CachedCredentialFetcher.DEFAULT_EXPIRY_WINDOW_SECONDS`: an entry with less time
/// left is not used.
pub const EXPIRY_WINDOW: Duration = Duration::from_secs(15 * 60);

/// The assume-role settings of a profile, as the config parser returned them (raw strings).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssumeRoleArgs {
    pub role_arn: String,
    pub role_session_name: Option<String>,
    pub external_id: Option<String>,
    pub mfa_serial: Option<String>,
    /// The raw `duration_seconds` text; botocore keeps it only if Python's `int()` accepts it.
    pub duration_seconds: Option<String>,
    /// An inline session policy (JSON text). Not settable from a profile in botocore.
    pub policy: Option<String>,
}

/// Python's `int(text)` for the forms a config value takes: surrounding whitespace, an optional
/// sign, ASCII digits with single `_` between digits. `None` where Python raises `ValueError`
/// (and, a deliberate gap, for non-ASCII digits, which Python accepts).
pub fn python_int(text: &str) -> Option<String> {
    let t = text.trim_matches(|c: char| c.is_whitespace() || ('\x1c'..='\x1f').contains(&c));
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let b = body.as_bytes();
    if b.is_empty() || !b[0].is_ascii_digit() || !b[b.len() - 1].is_ascii_digit() {
        return None;
    }
    if !b.iter().all(|c| c.is_ascii_digit() || *c == b'_') || body.contains("__") {
        return None;
    }
    let digits: String = body.chars().filter(|c| *c != '_').collect();
    let digits = digits.trim_start_matches('0');
    Some(match (digits.is_empty(), neg) {
        (true, _) => "0".to_string(),
        (false, true) => format!("-{digits}"),
        (false, false) => digits.to_string(),
    })
}

/// Why no key could be computed (botocore would raise too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// `Policy` is not JSON (botocore's `json.loads` raises).
    Policy(String),
}

/// The JSON text botocore hashes for these arguments.
pub fn cache_key_json(args: &AssumeRoleArgs) -> Result<String, KeyError> {
    let mut m: Vec<(PyStr, PyValue)> = vec![(PyStr::new("RoleArn"), PyValue::str(&args.role_arn))];
    if let Some(name) = args.role_session_name.as_ref().filter(|n| !n.is_empty()) {
        m.push((PyStr::new("RoleSessionName"), PyValue::str(name)));
    }
    if let Some(id) = &args.external_id {
        m.push((PyStr::new("ExternalId"), PyValue::str(id)));
    }
    if let Some(serial) = &args.mfa_serial {
        m.push((PyStr::new("SerialNumber"), PyValue::str(serial)));
    }
    if let Some(n) = args.duration_seconds.as_deref().and_then(python_int) {
        m.push((PyStr::new("DurationSeconds"), PyValue::Int(n)));
    }
    if let Some(p) = &args.policy {
        let v = pyjson::loads(p).map_err(|e| KeyError::Policy(e.to_string()))?;
        m.push((PyStr::new("Policy"), v));
    }
    Ok(pyfmt::json_dumps_sorted(&PyValue::Dict(m)))
}

/// The cache key (file name without `.json`).
pub fn cache_key(args: &AssumeRoleArgs) -> Result<String, KeyError> {
    Ok(sha1_smol::Sha1::from(cache_key_json(args)?)
        .digest()
        .to_string())
}

/// `~/.aws/cli/cache` for the CLI's home directory.
pub fn cache_dir(home: &Path) -> PathBuf {
    home.join(".aws").join("cli").join("cache")
}

/// What the CLI would make of the cache for these arguments.
#[derive(Debug)]
pub enum Lookup {
    /// The CLI would use these credentials without calling STS.
    Usable(Credentials),
    /// No cache file: the CLI would call AssumeRole (prompting for MFA if configured).
    Missing,
    /// An entry with less than 15 minutes left: the CLI would call AssumeRole.
    NearExpiry { expiration: SystemTime },
    /// The CLI fails on this entry. `cli_message` is its sentence when we know it.
    Broken {
        cli_message: Option<String>,
        reason: String,
    },
}

/// The result of reading the cache: the file consulted (an input of the fingerprint) and what
/// the CLI would do with it.
#[derive(Debug)]
pub struct CacheRead {
    pub path: PathBuf,
    pub lookup: Lookup,
}

fn broken(cli: Option<String>, reason: impl Into<String>) -> Lookup {
    Lookup::Broken {
        cli_message: cli,
        reason: reason.into(),
    }
}

fn key_error(key: &str) -> Option<String> {
    Some(pyfmt::str_repr(key))
}

/// Judge a cache file's content as botocore does, at `now`.
pub fn judge(content: &[u8], key: &str, now: SystemTime) -> Lookup {
    // JSONFileCache.__getitem__: OSError or ValueError (decode, JSON) → KeyError(cache_key),
    // which escapes `_load_from_cache` and fails the command.
    let Ok(text) = std::str::from_utf8(content) else {
        return broken(key_error(key), "cache file is not UTF-8");
    };
    let Ok(doc) = pyjson::loads(text) else {
        return broken(key_error(key), "cache file is not JSON");
    };
    if !matches!(doc, PyValue::Dict(_)) {
        return broken(None, "cache file is not a JSON object");
    }
    let Some(creds) = doc.get("Credentials") else {
        return broken(key_error("Credentials"), "no Credentials in cache file");
    };
    if !matches!(creds, PyValue::Dict(_)) {
        return broken(None, "Credentials is not an object");
    }
    let Some(exp) = creds.get("Expiration") else {
        return broken(key_error("Expiration"), "no Expiration in cache file");
    };
    let exp = match exp {
        PyValue::Str(s) => match timestamp::parse_expiration(&s.text) {
            Ok(us) => us,
            Err(e @ TimeError::Unsupported(_)) => return broken(None, e.to_string()),
            Err(e) => return broken(Some(e.to_string()), e.to_string()),
        },
        other => {
            let t = pyfmt::type_name(other);
            let m = format!("Parser must be a string or character stream, not {t}");
            return broken(Some(m.clone()), m);
        }
    };
    let left = exp as i128 - timestamp::from_system_time(now) as i128;
    if left < EXPIRY_WINDOW.as_micros() as i128 {
        return Lookup::NearExpiry {
            expiration: timestamp::to_system_time(exp),
        };
    }
    let mut fields = Vec::with_capacity(3);
    for key in ["AccessKeyId", "SecretAccessKey", "SessionToken"] {
        match creds.get(key) {
            Some(PyValue::Str(s)) if !s.lossy => fields.push(s.text.clone()),
            Some(other) => {
                return broken(
                    None,
                    format!("{key} is a {}, not a string", pyfmt::type_name(other)),
                );
            }
            None => return broken(key_error(key), format!("no {key} in cache file")),
        }
    }
    let session_token = fields.pop();
    let secret_access_key = fields.pop().unwrap_or_default();
    let access_key_id = fields.pop().unwrap_or_default();
    let account_id = match creds.get("AccountId") {
        Some(PyValue::Str(s)) if !s.text.is_empty() && !s.lossy => Some(s.text.clone()),
        _ => None,
    };
    Lookup::Usable(Credentials {
        access_key_id,
        secret_access_key,
        session_token,
        expiration: Some(timestamp::to_system_time(exp)),
        account_id,
    })
}

/// Read the CLI's cache entry for `args` under `home` (the CLI's `$HOME`) at `now`.
pub fn lookup(home: &Path, args: &AssumeRoleArgs, now: SystemTime) -> CacheRead {
    let dir = cache_dir(home);
    let key = match cache_key(args) {
        Ok(k) => k,
        Err(KeyError::Policy(m)) => {
            return CacheRead {
                path: dir,
                lookup: broken(Some(m), "Policy is not JSON"),
            };
        }
    };
    let path = dir.join(format!("{key}.json"));
    // os.path.isfile: follows symlinks; anything else (absent, a directory) is "not cached".
    let is_file = std::fs::metadata(&path)
        .map(|m| m.is_file())
        .unwrap_or(false);
    if !is_file {
        return CacheRead {
            path,
            lookup: Lookup::Missing,
        };
    }
    let lookup = match crate::files::read_regular(&path) {
        Ok(bytes) => {
            let bytes = zeroize::Zeroizing::new(bytes);
            judge(&bytes, &key, now)
        }
        Err(e) => broken(key_error(&key), format!("cache file unreadable: {e}")),
    };
    CacheRead { path, lookup }
}

/// The credentials the CLI would take from its cache, and the file it read.
pub fn cached_role_credentials(
    home: &Path,
    args: &AssumeRoleArgs,
    now: SystemTime,
) -> (PathBuf, Option<Credentials>) {
    let read = lookup(home, args, now);
    match read.lookup {
        Lookup::Usable(c) => (read.path, Some(c)),
        _ => (read.path, None),
    }
}

/// What awsid should do for an assume-role profile, following the CLI.
#[derive(Debug)]
pub enum RoleState {
    /// The CLI would use these cached credentials: no STS call, no prompt.
    Cached(Credentials),
    /// `mfa_serial` and no usable entry: the CLI would prompt ("Enter MFA code for ...").
    /// A marked state for awsid ("needs MFA: run an aws command with --profile x once"),
    /// never an AssumeRole without MFA.
    NeedsMfa { mfa_serial: String },
    /// No usable entry and no MFA: the CLI calls AssumeRole itself (and writes the cache).
    AssumeRole,
    /// The CLI fails on the cache entry with this sentence (when known).
    Broken {
        cli_message: Option<String>,
        reason: String,
    },
}

/// Decide as the CLI does; also returns the cache file consulted (a fingerprint input: it
/// appears when the user runs an `aws` command with this profile).
pub fn role_state(home: &Path, args: &AssumeRoleArgs, now: SystemTime) -> (PathBuf, RoleState) {
    let read = lookup(home, args, now);
    let state = match read.lookup {
        Lookup::Usable(c) => RoleState::Cached(c),
        Lookup::Broken {
            cli_message,
            reason,
        } => RoleState::Broken {
            cli_message,
            reason,
        },
        Lookup::Missing | Lookup::NearExpiry { .. } => match &args.mfa_serial {
            Some(serial) => RoleState::NeedsMfa {
                mfa_serial: serial.clone(),
            },
            None => RoleState::AssumeRole,
        },
    };
    (read.path, state)
}

/// The prompt the CLI writes (to stderr, through `getpass`) when a profile with `mfa_serial` has
/// no usable cache entry. Without a terminal it reads stdin; at end of input it fails with an
/// empty message (`aws` then prints a blank line and exits 255).
pub fn mfa_prompt(mfa_serial: &str) -> String {
    format!("Enter MFA code for {mfa_serial}: ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(role: &str) -> AssumeRoleArgs {
        AssumeRoleArgs {
            role_arn: role.into(),
            ..Default::default()
        }
    }

    #[test]
    fn key_json_shape() {
        let mut a = args("arn:aws:iam::123456789012:role/r");
        assert_eq!(
            cache_key_json(&a).unwrap(),
            r#"{"RoleArn": "arn:aws:iam::123456789012:role/r"}"#
        );
        a.role_session_name = Some(String::new());
        a.external_id = Some(String::new());
        a.duration_seconds = Some(" 3_600 ".into());
        a.mfa_serial = Some("arn:aws:iam::123456789012:mfa/u".into());
        assert_eq!(
            cache_key_json(&a).unwrap(),
            r#"{"DurationSeconds": 3600, "ExternalId": "", "RoleArn": "arn:aws:iam::123456789012:role/r", "SerialNumber": "arn:aws:iam::123456789012:mfa/u"}"#
        );
        a.duration_seconds = Some("1h".into());
        assert!(!cache_key_json(&a).unwrap().contains("DurationSeconds"));
    }

    #[test]
    fn keys_recorded_from_botocore() {
        // Computed with botocore's AssumeRoleCredentialFetcher._create_cache_key and used by the
        // real `aws` CLI in a manual check (it took the cached credentials without prompting).
        let mut a = args("arn:aws:iam::123456789012:role/r");
        a.mfa_serial = Some("arn:aws:iam::123456789012:mfa/u".into());
        assert_eq!(
            cache_key(&a).unwrap(),
            "7624284fa66345b48bd8c2be05b0f0bfd8650632"
        );
        a.role_session_name = Some("sess".into());
        a.external_id = Some("ext".into());
        a.duration_seconds = Some("3600".into());
        assert_eq!(
            cache_key(&a).unwrap(),
            "afd1ea6576a129b8c3468132527de6f26d3a0363"
        );
    }

    #[test]
    fn python_int_forms() {
        for (t, want) in [
            ("3600", Some("3600")),
            (" 3600\n", Some("3600")),
            ("+0900", Some("900")),
            ("-5", Some("-5")),
            ("1_000", Some("1000")),
            ("00", Some("0")),
            ("1__0", None),
            ("_1", None),
            ("1_", None),
            ("3600 # one hour", None),
            ("", None),
            ("0x10", None),
            ("1.0", None),
        ] {
            assert_eq!(python_int(t).as_deref(), want, "{t:?}");
        }
    }

    fn at(s: &str) -> SystemTime {
        timestamp::to_system_time(timestamp::parse_expiration(s).unwrap())
    }

    const ENTRY: &str = r#"{"Credentials": {"AccessKeyId": "ASIA1", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": "2026-12-02T10:00:00+00:00", "AccountId": "123456789012"}, "AssumedRoleUser": {}}"#;

    #[test]
    fn expiry_window_is_fifteen_minutes() {
        let usable = judge(ENTRY.as_bytes(), "k", at("2026-12-02T09:45:00Z"));
        let Lookup::Usable(c) = usable else {
            panic!("{usable:?}")
        };
        assert_eq!(c.access_key_id, "ASIA1");
        assert_eq!(c.account_id.as_deref(), Some("123456789012"));
        let near = judge(ENTRY.as_bytes(), "k", at("2026-12-02T09:45:00.000001Z"));
        assert!(matches!(near, Lookup::NearExpiry { .. }), "{near:?}");
    }

    #[test]
    fn mfa_profiles_without_a_usable_entry_need_mfa() {
        let home = std::env::temp_dir().join(format!("procs-rolestate-{}", std::process::id()));
        let mut a = args("arn:aws:iam::123456789012:role/r");
        let now = at("2026-12-02T09:00:00Z");
        assert!(matches!(
            role_state(&home, &a, now).1,
            RoleState::AssumeRole
        ));
        a.mfa_serial = Some("arn:aws:iam::123456789012:mfa/u".into());
        let (path, state) = role_state(&home, &a, now);
        assert!(matches!(state, RoleState::NeedsMfa { .. }), "{state:?}");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, ENTRY).unwrap();
        let state = role_state(&home, &a, now).1;
        assert!(
            matches!(&state, RoleState::Cached(c) if c.access_key_id == "ASIA1"),
            "{state:?}"
        );
        // 14 minutes before expiry: the CLI would prompt again.
        let state = role_state(&home, &a, at("2026-12-02T09:46:00Z")).1;
        assert!(matches!(state, RoleState::NeedsMfa { .. }), "{state:?}");
        std::fs::remove_dir_all(&home).unwrap();
    }

    #[test]
    fn broken_entries_fail_like_the_cli() {
        let now = at("2026-12-02T08:00:00Z");
        let msg = |s: &str| match judge(s.as_bytes(), "abc", now) {
            Lookup::Broken { cli_message, .. } => cli_message,
            other => panic!("{other:?}"),
        };
        assert_eq!(msg("{bad").as_deref(), Some("'abc'"));
        assert_eq!(msg("{}").as_deref(), Some("'Credentials'"));
        assert_eq!(
            msg(r#"{"Credentials":{"AccessKeyId":"A"}}"#).as_deref(),
            Some("'Expiration'")
        );
        assert_eq!(
            msg(r#"{"Credentials":{"AccessKeyId":"A","SecretAccessKey":"s","Expiration":"2099-01-01T00:00:00Z"}}"#).as_deref(),
            Some("'SessionToken'")
        );
        assert_eq!(
            msg(r#"{"Credentials":{"Expiration":"2099-01-01T00:00:00"}}"#).as_deref(),
            Some("can't subtract offset-naive and offset-aware datetimes")
        );
    }
}

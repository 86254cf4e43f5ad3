//! A credential program's stdout, read as botocore's `ProcessProvider` reads it:
//! `json.loads(stdout.decode('utf-8'))`, then `Version` must equal 1 (Python equality: `1`, `1.0`
//! and `true` pass), then `AccessKeyId` and `SecretAccessKey` are required, `SessionToken`,
//! `Expiration` and `AccountId` optional (a `null` is as good as absent). Keys are
//! case-sensitive; duplicate keys: the last wins, as in Python.
//!
//! The JSON is read by [`crate::pyjson`] (Python's parser and messages: `NaN`, `Infinity`,
//! duplicate keys, lone surrogates accepted as Python does).
//!
//! Differences, all in the direction of refusing: a credential field that is not a string, or
//! holds a lone surrogate, is refused here (the CLI fails later, while signing); Expiration forms
//! beyond ISO 8601 (dateutil is lenient) are refused as unsupported.

use std::fmt;

use crate::credentials::Credentials;
use crate::process::CLI_PREFIX;
use crate::pyfmt;
use crate::pyjson::{self, JsonError, PyValue};
use crate::timestamp::{self, Micros, TimeError};

/// Why the output is not credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputError {
    /// stdout is not UTF-8: Python's `UnicodeDecodeError` message.
    Utf8(String),
    /// Not JSON: Python's `JSONDecodeError`.
    Json(JsonError),
    /// Valid JSON, but not an object: `'list' object has no attribute 'get'`.
    NotAnObject(&'static str),
    /// `Version` is not 1: `str()` of the value, or `<Version key not provided>`.
    Version(String),
    /// A required key is missing (botocore checks `AccessKeyId` first).
    MissingKey(&'static str),
    /// A key has a value of the wrong JSON type.
    WrongType {
        key: &'static str,
        python_type: &'static str,
    },
    /// `Expiration` is not a time the CLI can use.
    Expiration(TimeError),
    /// `Expiration` is not a string (dateutil's `TypeError`).
    ExpirationType(&'static str),
}

impl OutputError {
    /// The AWS CLI's sentence, where we know it exactly.
    pub fn cli_message(&self) -> Option<String> {
        match self {
            OutputError::Utf8(m) => Some(m.clone()),
            OutputError::Json(e) if e.msg.starts_with("maximum nesting") => None,
            OutputError::Json(e) => Some(e.to_string()),
            OutputError::NotAnObject(t) => Some(format!("'{t}' object has no attribute 'get'")),
            OutputError::Version(v) => Some(format!(
                "{CLI_PREFIX}Unsupported version '{v}' for credential process provider, supported versions: 1"
            )),
            OutputError::MissingKey(k) => Some(format!(
                "{CLI_PREFIX}Missing required key in response: '{k}'"
            )),
            OutputError::WrongType { .. } => None,
            OutputError::Expiration(TimeError::Unsupported(_)) => None,
            OutputError::Expiration(e) => Some(e.to_string()),
            OutputError::ExpirationType(t) => Some(format!(
                "Parser must be a string or character stream, not {t}"
            )),
        }
    }
}

impl fmt::Display for OutputError {
    /// Safe to log: no values from the output except the `Version` and error positions.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutputError::Json(e) => write!(f, "not JSON: {e}"),
            OutputError::WrongType { key, python_type } => {
                write!(f, "{key} must be a string, not {python_type}")
            }
            OutputError::Expiration(e) => write!(f, "Expiration: {e}"),
            other => f.write_str(&other.cli_message().unwrap_or_default()),
        }
    }
}

impl std::error::Error for OutputError {}

/// The fields botocore takes from the output, before the Expiration is interpreted.
pub struct Fields {
    pub creds: Credentials,
    /// `Expiration` when present and not `null`.
    pub expiration: Option<PyValue>,
}

/// Python's `version != 1` for a JSON value.
fn equals_one(v: &PyValue) -> bool {
    match v {
        PyValue::Bool(b) => *b,
        PyValue::Int(d) => d == "1",
        PyValue::Float(f) => *f == 1.0,
        _ => false,
    }
}

/// A credential field: a string, and not one with lone surrogates (Python keeps them and fails
/// later when signing; we refuse here).
fn credential(key: &'static str, v: &PyValue) -> Result<String, OutputError> {
    match v {
        PyValue::Str(s) if !s.lossy => Ok(s.text.clone()),
        PyValue::Str(_) => Err(OutputError::WrongType {
            key,
            python_type: "str with lone surrogates",
        }),
        other => Err(OutputError::WrongType {
            key,
            python_type: pyfmt::type_name(other),
        }),
    }
}

/// Read the fields as botocore's `_retrieve_credentials_using` does (no Expiration parsing).
pub fn parse_fields(stdout: &[u8]) -> Result<Fields, OutputError> {
    let text = pyfmt::decode_utf8(stdout).map_err(OutputError::Utf8)?;
    let parsed = pyjson::loads(text).map_err(OutputError::Json)?;
    if !matches!(parsed, PyValue::Dict(_)) {
        return Err(OutputError::NotAnObject(pyfmt::type_name(&parsed)));
    }
    match parsed.get("Version") {
        None => return Err(OutputError::Version("<Version key not provided>".into())),
        Some(v) if !equals_one(v) => return Err(OutputError::Version(pyfmt::py_str(v))),
        Some(_) => {}
    }
    // botocore: parsed['AccessKeyId'], then parsed['SecretAccessKey'] (KeyError on absence).
    let access = parsed
        .get("AccessKeyId")
        .ok_or(OutputError::MissingKey("AccessKeyId"))?;
    let secret = parsed
        .get("SecretAccessKey")
        .ok_or(OutputError::MissingKey("SecretAccessKey"))?;
    let access_key_id = credential("AccessKeyId", access)?;
    let secret_access_key = credential("SecretAccessKey", secret)?;
    let session_token = match parsed.get("SessionToken") {
        None | Some(PyValue::None) => None,
        Some(v) => Some(credential("SessionToken", v)?),
    };
    // botocore: `parsed.get('AccountId') or profile's aws_account_id`; the caller falls back.
    let account_id = match parsed.get("AccountId") {
        Some(PyValue::Str(s)) if !s.text.is_empty() && !s.lossy => Some(s.text.clone()),
        _ => None,
    };
    let expiration = match parsed.get("Expiration") {
        None | Some(PyValue::None) => None,
        Some(v) => Some(v.clone()),
    };
    let creds = Credentials {
        access_key_id,
        secret_access_key,
        session_token,
        expiration: None,
        account_id,
    };
    Ok(Fields { creds, expiration })
}

/// Interpret an `Expiration` value as botocore does (`dateutil.parser.parse`, then a comparison
/// with an aware "now").
pub fn parse_expiration(v: &PyValue) -> Result<Micros, OutputError> {
    match v {
        PyValue::Str(s) => timestamp::parse_expiration(&s.text).map_err(OutputError::Expiration),
        other => Err(OutputError::ExpirationType(pyfmt::type_name(other))),
    }
}

/// The credentials of a first run, as `ProcessProvider.load` builds them.
pub fn parse(stdout: &[u8]) -> Result<Credentials, OutputError> {
    let Fields {
        mut creds,
        expiration,
    } = parse_fields(stdout)?;
    if let Some(v) = expiration {
        creds.expiration = Some(timestamp::to_system_time(parse_expiration(&v)?));
    }
    Ok(creds)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(s: &str) -> OutputError {
        parse(s.as_bytes()).unwrap_err()
    }
    fn cli(s: &str) -> String {
        err(s)
            .cli_message()
            .unwrap_or_else(|| panic!("no CLI message for {s:?}"))
    }
    const OK: &str = r#""AccessKeyId":"AKID","SecretAccessKey":"sek""#;

    #[test]
    fn good_outputs() {
        let c = parse(format!(r#"{{"Version":1,{OK}}}"#).as_bytes()).unwrap();
        assert_eq!(
            (c.access_key_id.as_str(), c.secret_access_key.as_str()),
            ("AKID", "sek")
        );
        assert!(c.session_token.is_none() && c.expiration.is_none());
        for v in ["1.0", "true", "1e0", "0.1e1"] {
            assert!(
                parse(format!(r#"{{"Version":{v},{OK}}}"#).as_bytes()).is_ok(),
                "{v}"
            );
        }
        let c = parse(
            format!(r#"{{"Version":1,{OK},"SessionToken":"t","Expiration":"2026-01-01T00:00:00Z","AccountId":"123"}}"#)
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(c.session_token.as_deref(), Some("t"));
        assert_eq!(c.account_id.as_deref(), Some("123"));
        assert_eq!(
            c.expiration.map(timestamp::from_system_time),
            Some(1_767_225_600_000_000)
        );
        // null is absent
        let c = parse(
            format!(r#"{{"Version":1,{OK},"SessionToken":null,"Expiration":null}}"#).as_bytes(),
        )
        .unwrap();
        assert!(c.session_token.is_none() && c.expiration.is_none());
    }

    #[test]
    fn cli_sentences_recorded_from_aws_cli() {
        // Each expected string was printed by `aws sts get-caller-identity` (CLI 1.45.11).
        assert_eq!(
            cli(&format!(r#"{{"Version":2,{OK}}}"#)),
            format!(
                "{CLI_PREFIX}Unsupported version '2' for credential process provider, supported versions: 1"
            )
        );
        assert_eq!(
            cli(&format!(r#"{{{OK}}}"#)),
            format!(
                "{CLI_PREFIX}Unsupported version '<Version key not provided>' for credential process provider, supported versions: 1"
            )
        );
        assert_eq!(
            cli(&format!(r#"{{"Version":"1",{OK}}}"#)),
            format!(
                "{CLI_PREFIX}Unsupported version '1' for credential process provider, supported versions: 1"
            )
        );
        assert_eq!(
            cli(&format!(r#"{{"Version":null,{OK}}}"#)),
            format!(
                "{CLI_PREFIX}Unsupported version 'None' for credential process provider, supported versions: 1"
            )
        );
        assert_eq!(
            cli(&format!(r#"{{"Version":[1,"a"],{OK}}}"#)),
            format!(
                "{CLI_PREFIX}Unsupported version '[1, 'a']' for credential process provider, supported versions: 1"
            )
        );
        assert_eq!(
            cli(&format!(r#"{{"Version":1e20,{OK}}}"#)),
            format!(
                "{CLI_PREFIX}Unsupported version '1e+20' for credential process provider, supported versions: 1"
            )
        );
        assert_eq!(
            cli(r#"{"Version":1,"accessKeyId":"A","secretAccessKey":"s"}"#),
            format!("{CLI_PREFIX}Missing required key in response: 'AccessKeyId'")
        );
        assert_eq!(
            cli(r#"{"Version":1,"AccessKeyId":"A"}"#),
            format!("{CLI_PREFIX}Missing required key in response: 'SecretAccessKey'")
        );
        assert_eq!(
            cli("not json\n"),
            "Expecting value: line 1 column 1 (char 0)"
        );
        assert_eq!(cli(""), "Expecting value: line 1 column 1 (char 0)");
        assert_eq!(cli("[1]\n"), "'list' object has no attribute 'get'");
        assert_eq!(
            cli("\u{feff}{}"),
            "Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)"
        );
        assert_eq!(
            parse(b"\xff\n").unwrap_err().cli_message().unwrap(),
            "'utf-8' codec can't decode byte 0xff in position 0: invalid start byte"
        );
        assert_eq!(
            cli(&format!(
                r#"{{"Version":1,{OK},"Expiration":"2099-01-01T00:00:00"}}"#
            )),
            "can't subtract offset-naive and offset-aware datetimes"
        );
        assert_eq!(
            cli(&format!(r#"{{"Version":1,{OK},"Expiration":""}}"#)),
            "String does not contain a date: "
        );
    }

    #[test]
    fn python_json_positions() {
        assert_eq!(cli("\n\n  x"), "Expecting value: line 3 column 3 (char 4)");
        assert_eq!(cli("{} x"), "Extra data: line 1 column 4 (char 3)");
        assert_eq!(cli("null"), "'NoneType' object has no attribute 'get'");
        assert_eq!(cli("\"é\" é"), "Extra data: line 1 column 5 (char 4)");
    }

    #[test]
    fn refusals_beyond_the_cli() {
        assert!(matches!(
            err(r#"{"Version":1,"AccessKeyId":123,"SecretAccessKey":"s"}"#),
            OutputError::WrongType {
                key: "AccessKeyId",
                python_type: "int"
            }
        ));
        assert!(matches!(
            err(&format!(r#"{{"Version":1,{OK},"Expiration":"soon"}}"#)),
            OutputError::Expiration(TimeError::Unsupported(_))
        ));
        assert_eq!(
            cli(&format!(r#"{{"Version":1,{OK},"Expiration":5}}"#)),
            "Parser must be a string or character stream, not int"
        );
    }
}

//! `whoami` output, byte for byte as `aws sts get-caller-identity` prints it.
//!
//! json: `json.dumps(indent=4, ensure_ascii=False)` + newline, keys in model order (UserId,
//! Account, Arn). text: values of the sorted keys, tab-separated. table: awscli's table
//! formatter (its widths, centring, Python's round-half-even scaling, and the vertical layout
//! when the table is wider than the terminal; 80 columns when stdout is not a terminal).
//! Errors: the CLI's sentence on stderr (after a blank line, except "no credentials"), with
//! CLI v2 exit codes.
//!
//! Nothing that reaches a terminal carries a control character: an identity holding one is
//! refused when the resolver hands it over (`resolve::vet`), and every other text shown here or
//! in a prompt (error messages, profile and region names, config text) goes through
//! [`sanitize`] (in `sanitize.rs`), which replaces C0/C1 controls, DEL and the bidirectional
//! overrides with U+FFFD.

use awsid_aws::pyjson::{PyStr, PyValue};
use awsid_proto::msg::{FailureKind, WhoamiReply};

use crate::resolve::outcome::{Failure, Identity, ResolveOutcome};

use crate::output::{self, query::Query, Colour};

pub use crate::sanitize::{has_control, is_control, sanitize, sanitize_message};

/// CLI v2 exit codes.
pub const EXIT_SYNTAX: u8 = 252;
pub const EXIT_CONFIG: u8 = 253;
pub const EXIT_SERVICE: u8 = 254;
pub const EXIT_OTHER: u8 = 255;

/// How to print: `--output`, `--query`, `--color`, and the terminal width when stdout is a
/// terminal.
pub struct Format<'a> {
    pub output: &'a str,
    pub query: Option<&'a Query>,
    pub term_width: Option<u16>,
    pub colour: Colour,
}

pub fn whoami(outcome: &ResolveOutcome, fmt: &Format<'_>) -> WhoamiReply {
    match outcome {
        ResolveOutcome::Identity(id) => identity(id, fmt),
        ResolveOutcome::Failure(f) => failure(f),
    }
}

pub fn failure(f: &Failure) -> WhoamiReply {
    let (message, exit_code) = match f.kind {
        FailureKind::NoCredentials => (
            "Unable to locate credentials. You can configure credentials by running \"aws configure\"."
                .to_string(),
            EXIT_CONFIG,
        ),
        FailureKind::ProfileNotFound => (f.message.clone(), EXIT_CONFIG),
        // The whole sentence (botocore's ClientError), written by the resolver.
        FailureKind::Service => (f.message.clone(), EXIT_SERVICE),
        FailureKind::Credentials | FailureKind::NeedsMfa | FailureKind::SsoLogin => {
            (f.message.clone(), EXIT_CONFIG)
        }
        FailureKind::Network | FailureKind::Timeout | FailureKind::Other => {
            (f.message.clone(), EXIT_OTHER)
        }
    };
    let message = sanitize_message(&message);
    // The CLI prints "no credentials" bare and every other exception after a blank line.
    let stderr = if f.kind == FailureKind::NoCredentials {
        format!("{message}\n")
    } else {
        format!("\n{message}\n")
    };
    WhoamiReply {
        stdout: String::new(),
        stderr,
        exit_code,
        failure: Some(f.kind),
    }
}

fn identity(id: &Identity, fmt: &Format<'_>) -> WhoamiReply {
    // Vetted already (see the module doc); sanitized again so no path can print a control.
    let field = |s: &str| PyValue::str(sanitize(s).into_owned());
    // Model order, as the CLI's response dict has it.
    let response = PyValue::Dict(vec![
        (PyStr::new("UserId"), field(&id.user_id)),
        (PyStr::new("Account"), field(&id.account)),
        (PyStr::new("Arn"), field(&id.arn)),
    ]);
    match output::format("GetCallerIdentity", &response, fmt) {
        Ok(stdout) => WhoamiReply {
            stdout,
            stderr: String::new(),
            exit_code: 0,
            failure: None,
        },
        // A query that fails on this answer (a type error, an unknown function): the CLI's
        // exception text.
        Err(message) => failure(&Failure {
            kind: FailureKind::Other,
            code: None,
            message,
        }),
    }
}

/// A JSON string as Python's `json.dumps(..., ensure_ascii=False)` writes it, with every
/// control character escaped (see [`is_control`]).
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    awsid_aws::pyfmt::dump_str_with(s, false, is_control, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moto() -> ResolveOutcome {
        ResolveOutcome::Identity(Identity {
            account: "123456789012".into(),
            arn: "arn:aws:sts::123456789012:user/moto".into(),
            user_id: "AKIAIOSFODNN7EXAMPLE".into(),
            expires_unix: None,
            alias: crate::resolve::outcome::AliasLookup::NotAsked,
            sso_name: crate::resolve::outcome::AliasLookup::NotAsked,
        })
    }

    fn out(output: &str, query: Option<&str>, width: Option<u16>) -> String {
        let query = query.map(|q| crate::output::query::compile(q).unwrap());
        whoami(
            &moto(),
            &Format {
                output,
                query: query.as_ref(),
                term_width: width,
                colour: Colour::Auto,
            },
        )
        .stdout
    }

    // Expected bytes below were captured from `aws sts get-caller-identity` (awscli 1.45)
    // against moto_server with stdout redirected to a file.
    #[test]
    fn json_is_byte_identical() {
        assert_eq!(
            out("json", None, None),
            "{\n    \"UserId\": \"AKIAIOSFODNN7EXAMPLE\",\n    \"Account\": \"123456789012\",\n    \"Arn\": \"arn:aws:sts::123456789012:user/moto\"\n}\n"
        );
        assert_eq!(out("json", None, None).len(), 122);
    }

    #[test]
    fn text_and_queries() {
        assert_eq!(
            out("text", None, None),
            "123456789012\tarn:aws:sts::123456789012:user/moto\tAKIAIOSFODNN7EXAMPLE\n"
        );
        assert_eq!(out("json", Some("Account"), None), "\"123456789012\"\n");
        assert_eq!(out("text", Some("Account"), None), "123456789012\n");
        assert_eq!(out("json", Some("Foo"), None), "null\n");
        assert_eq!(out("text", Some("Foo"), None), "None\n");
        assert_eq!(out("table", Some("Foo"), None), "");
        assert_eq!(
            out("table", Some("Account"), None),
            "-------------------\n|GetCallerIdentity|\n+-----------------+\n"
        );
    }

    #[test]
    fn table_turns_vertical_when_too_wide() {
        let expected = "\
----------------------------------------------------
|                 GetCallerIdentity                |
+---------+----------------------------------------+
|  Account|  123456789012                          |
|  Arn    |  arn:aws:sts::123456789012:user/moto   |
|  UserId |  AKIAIOSFODNN7EXAMPLE                  |
+---------+----------------------------------------+
";
        assert_eq!(out("table", None, None), expected);
    }

    #[test]
    fn table_with_headers_on_a_wide_terminal_keeps_the_row_layout() {
        let t = whoami(
            &moto(),
            &Format {
                output: "table",
                query: None,
                term_width: Some(200),
                colour: Colour::Auto,
            },
        )
        .stdout;
        let lines: Vec<&str> = t.lines().collect();
        assert!(
            lines[3].contains("Account") && lines[3].contains("UserId"),
            "{t}"
        );
        assert!(
            lines[5].contains("\x1b[1m\x1b[34m123456789012\x1b[0m"),
            "{t}"
        );
        // colorama's autoreset: a reset after every write, so after every line end too.
        assert!(lines[1..lines.len() - 1]
            .iter()
            .all(|l| l.starts_with("\x1b[0m\x1b[0m") && l.ends_with("\x1b[0m\x1b[0m")));
        assert!(t.ends_with("\n\x1b[0m"));
    }

    #[test]
    fn errors_use_the_cli_words_and_v2_codes() {
        let r = failure(&Failure {
            kind: FailureKind::Service,
            code: Some("ExpiredToken".into()),
            message: "An error occurred (ExpiredToken) when calling the GetCallerIdentity \
                      operation: The security token included in the request is expired"
                .into(),
        });
        assert_eq!(r.stderr, "\nAn error occurred (ExpiredToken) when calling the GetCallerIdentity operation: The security token included in the request is expired\n");
        assert_eq!(r.exit_code, 254);
        assert!(r.stdout.is_empty());
        let r = failure(&Failure {
            kind: FailureKind::NoCredentials,
            code: None,
            message: String::new(),
        });
        assert_eq!(r.exit_code, 253);
        assert_eq!(
            r.stderr,
            "Unable to locate credentials. You can configure credentials by running \"aws configure\".\n"
        );
    }

    #[test]
    fn json_escapes_like_python() {
        assert_eq!(json_string("a\"b\\c\n\u{1}é"), "\"a\\\"b\\\\c\\n\\u0001é\"");
    }
}

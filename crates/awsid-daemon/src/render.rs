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
//! [`sanitize`], which replaces C0/C1 controls, DEL and the bidirectional overrides with U+FFFD.

use std::borrow::Cow;

use crate::resolve::outcome::{Failure, Identity, ResolveOutcome};
use awsid_proto::msg::{FailureKind, WhoamiReply};

/// Shown in place of a control character.
pub const REPLACEMENT: char = '\u{FFFD}';

/// A character that must never reach a terminal from data: C0 and C1 controls, DEL, and the
/// bidirectional marks and overrides (which can make `prod` read as `dorp`).
pub fn is_control(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

pub fn has_control(s: &str) -> bool {
    s.chars().any(is_control)
}

/// `s` with every control character replaced by U+FFFD.
pub fn sanitize(s: &str) -> Cow<'_, str> {
    if has_control(s) {
        Cow::Owned(
            s.chars()
                .map(|c| if is_control(c) { REPLACEMENT } else { c })
                .collect(),
        )
    } else {
        Cow::Borrowed(s)
    }
}

/// Like [`sanitize`], keeping line breaks and tabs (for multi-line messages on stderr).
pub fn sanitize_message(s: &str) -> String {
    s.chars()
        .map(|c| {
            if is_control(c) && c != '\n' && c != '\t' {
                REPLACEMENT
            } else {
                c
            }
        })
        .collect()
}

/// CLI v2 exit codes.
pub const EXIT_SYNTAX: u8 = 252;
pub const EXIT_CONFIG: u8 = 253;
pub const EXIT_SERVICE: u8 = 254;
pub const EXIT_OTHER: u8 = 255;

/// How to print: `--output`, `--query`, and the terminal width when stdout is a terminal.
pub struct Format<'a> {
    pub output: &'a str,
    pub query: Option<&'a str>,
    pub term_width: Option<u16>,
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
        FailureKind::Service => (
            format!(
                "An error occurred ({}) when calling the GetCallerIdentity operation: {}",
                f.code.as_deref().unwrap_or("Unknown"),
                if f.message.is_empty() { "Unknown" } else { &f.message }
            ),
            EXIT_SERVICE,
        ),
        FailureKind::Credentials | FailureKind::NeedsMfa => (f.message.clone(), EXIT_CONFIG),
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

/// A failure in words safe to keep or show beyond the shell that met it: its kind, its code and
/// the first line of its message; nothing of a message that can quote a secret (a credential
/// provider's error can carry what a credential_process printed; the rest of a service error
/// can carry the canonical request, session token included).
pub fn safe_summary(kind: FailureKind, code: Option<&str>, message: &str) -> String {
    let code = code.map(|c| format!(", {c}")).unwrap_or_default();
    let text = match kind {
        FailureKind::Credentials | FailureKind::Other => {
            "details withheld (they can quote what a credential provider printed); \
             `awsid whoami` in that shell shows them"
        }
        _ => message
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or_default(),
    };
    format!("{kind:?}{code}: {text}")
}

fn syntax_error(message: String) -> WhoamiReply {
    WhoamiReply {
        stdout: String::new(),
        stderr: format!("\n{message}\n"),
        exit_code: EXIT_SYNTAX,
        failure: None,
    }
}

fn identity(id: &Identity, fmt: &Format<'_>) -> WhoamiReply {
    // Vetted already (see the module doc); sanitized again so no path can print a control.
    let (user_id, account, arn) = (
        sanitize(&id.user_id),
        sanitize(&id.account),
        sanitize(&id.arn),
    );
    // Model order, as the CLI prints JSON.
    let fields = [
        ("UserId", &*user_id),
        ("Account", &*account),
        ("Arn", &*arn),
    ];
    let stdout = match fmt.query {
        None => match fmt.output {
            "text" => {
                let mut sorted = fields;
                sorted.sort_by_key(|(k, _)| *k);
                let values: Vec<&str> = sorted.iter().map(|(_, v)| *v).collect();
                format!("{}\n", values.join("\t"))
            }
            "table" => {
                let mut sorted = fields;
                sorted.sort_by_key(|(k, _)| *k);
                let headers: Vec<&str> = sorted.iter().map(|(k, _)| *k).collect();
                let values: Vec<&str> = sorted.iter().map(|(_, v)| *v).collect();
                table::render(
                    "GetCallerIdentity",
                    Some((&headers, &values)),
                    fmt.term_width,
                )
            }
            _ => {
                let body: Vec<String> = fields
                    .iter()
                    .map(|(k, v)| format!("    {}: {}", json_string(k), json_string(v)))
                    .collect();
                format!("{{\n{}\n}}\n", body.join(",\n"))
            }
        },
        Some(q) => {
            if q.is_empty() || !q.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return syntax_error(format!(
                    "awsid: --query supports a field name (Account, Arn or UserId), not {q:?}"
                ));
            }
            let value = fields.iter().find(|(k, _)| *k == q).map(|(_, v)| *v);
            match (fmt.output, value) {
                ("text", Some(v)) => format!("{v}\n"),
                ("text", None) => "None\n".to_string(),
                // A scalar in a table: the CLI prints the title section only.
                ("table", Some(_)) => table::render("GetCallerIdentity", None, fmt.term_width),
                ("table", None) => String::new(),
                (_, Some(v)) => format!("{}\n", json_string(v)),
                (_, None) => "null\n".to_string(),
            }
        }
    };
    WhoamiReply {
        stdout,
        stderr: String::new(),
        exit_code: 0,
        failure: None,
    }
}

/// A JSON string as Python's `json.dumps(..., ensure_ascii=False)` writes it.
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || is_control(c) => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// awscli's `MultiTable` for one section, as `get-caller-identity` needs it.
mod table {
    const BLUE_BRIGHT: &str = "\x1b[1m\x1b[34m";
    const RESET: &str = "\x1b[0m";

    /// Display width as awscli counts it (east-asian wide characters count 2; approximated by
    /// the CJK ranges).
    fn text_len(s: &str) -> usize {
        s.chars()
            .map(|c| {
                let u = c as u32;
                if (0x1100..=0x115F).contains(&u)
                    || (0x2E80..=0xA4CF).contains(&u)
                    || (0xAC00..=0xD7A3).contains(&u)
                    || (0xF900..=0xFAFF).contains(&u)
                    || (0xFF00..=0xFF60).contains(&u)
                    || (0xFFE0..=0xFFE6).contains(&u)
                {
                    2
                } else {
                    1
                }
            })
            .sum()
    }

    struct Section {
        title: String,
        headers: Vec<String>,
        rows: Vec<Vec<String>>,
        max_widths: Vec<usize>,
    }

    impl Section {
        fn update_widths(&mut self, row: &[String]) {
            if self.max_widths.is_empty() {
                self.max_widths = row.iter().map(|s| text_len(s)).collect();
            } else {
                for (w, s) in self.max_widths.iter_mut().zip(row) {
                    *w = (*w).max(text_len(s));
                }
            }
        }

        fn widths(&self, padding: usize, max_width: Option<usize>) -> Vec<usize> {
            let unscaled: Vec<usize> = self.max_widths.iter().map(|w| w + padding).collect();
            let Some(max_width) = max_width else {
                return unscaled;
            };
            if unscaled.is_empty() {
                return unscaled;
            }
            let scale = max_width as f64 / unscaled.iter().sum::<usize>() as f64;
            // Python's round(): ties to even.
            let mut scaled: Vec<i64> = unscaled
                .iter()
                .map(|w| (scale * *w as f64).round_ties_even() as i64)
                .collect();
            let mut off_by = scaled.iter().sum::<i64>() - max_width as i64;
            while off_by != 0 {
                let order: Vec<usize> = if off_by < 0 {
                    (0..scaled.len()).rev().collect()
                } else {
                    (0..scaled.len()).collect()
                };
                for i in order {
                    if off_by > 0 {
                        scaled[i] -= 1;
                        off_by -= 1;
                    } else {
                        scaled[i] += 1;
                        off_by += 1;
                    }
                    if off_by == 0 {
                        break;
                    }
                }
            }
            scaled.into_iter().map(|w| w.max(0) as usize).collect()
        }

        fn total_width(&self) -> usize {
            let total: usize = self.widths(0, None).iter().map(|w| w + 4).sum::<usize>() + 2;
            total.max(text_len(&self.title) + 2)
        }
    }

    fn center(text: &str, length: usize, left: &str, right: &str) -> String {
        let tl = text_len(text) as i64;
        let start = (length as i64 / 2 - tl / 2 - 1).max(0);
        let so_far = left.len() as i64 + start + tl;
        let right_spaces = (length as i64 - right.len() as i64 - so_far).max(0);
        format!(
            "{left}{}{text}{}{right}",
            " ".repeat(start as usize),
            " ".repeat(right_spaces as usize)
        )
    }

    fn align_left(text: &str, styled: &str, length: usize, left: &str, right: &str) -> String {
        let tl = text_len(text);
        let padding = if length >= tl + 2 + left.len() + right.len() {
            2
        } else {
            0
        };
        let so_far = left.len() + padding + tl;
        let fill = length.saturating_sub(so_far + right.len());
        format!(
            "{left}{}{styled}{}{right}",
            " ".repeat(padding),
            " ".repeat(fill)
        )
    }

    fn line_break(widths: &[usize]) -> String {
        let mut s = String::new();
        for (i, w) in widths.iter().enumerate() {
            if i == 0 {
                s.push_str(&format!("+{}+", "-".repeat(w.saturating_sub(2))));
            } else {
                s.push_str(&format!("{}+", "-".repeat(w.saturating_sub(1))));
            }
        }
        s.push('\n');
        s
    }

    /// Renders a titled section with an optional header row and one row of values.
    pub fn render(title: &str, row: Option<(&[&str], &[&str])>, term_width: Option<u16>) -> String {
        let mut section = Section {
            title: title.to_string(),
            headers: Vec::new(),
            rows: Vec::new(),
            max_widths: Vec::new(),
        };
        if let Some((headers, values)) = row {
            let headers: Vec<String> = headers.iter().map(|s| s.to_string()).collect();
            let values: Vec<String> = values.iter().map(|s| s.to_string()).collect();
            section.update_widths(&headers);
            section.update_widths(&values);
            section.headers = headers;
            section.rows.push(values);
        }
        let terminal = term_width.map(usize::from).unwrap_or(80);
        let mut max_width = section.total_width();
        if max_width > terminal && section.rows.len() == 1 && !section.headers.is_empty() {
            // The CLI turns a one-row table that does not fit into key/value rows.
            let headers = std::mem::take(&mut section.headers);
            let values = section.rows.remove(0);
            section.max_widths.clear();
            for (h, v) in headers.into_iter().zip(values) {
                let r = vec![h, v];
                section.update_widths(&r);
                section.rows.push(r);
            }
            max_width = section.total_width();
        }
        let colour = term_width.is_some();
        let mut out = "-".repeat(max_width);
        out.push('\n');
        out.push_str(&center(&section.title, max_width, "|", "|"));
        out.push('\n');
        if section.headers.is_empty() && section.rows.is_empty() {
            out.push_str(&format!("+{}+\n", "-".repeat(max_width.saturating_sub(2))));
            return out;
        }
        let widths = section.widths(4, Some(max_width));
        if !section.headers.is_empty() {
            out.push_str(&line_break(&widths));
            for (i, (w, h)) in widths.iter().zip(&section.headers).enumerate() {
                out.push_str(&center(h, *w, if i == 0 { "|" } else { "" }, "|"));
            }
            out.push('\n');
        }
        out.push_str(&line_break(&widths));
        for row in &section.rows {
            for (i, (w, cell)) in widths.iter().zip(row).enumerate() {
                let styled = if colour {
                    format!("{BLUE_BRIGHT}{cell}{RESET}")
                } else {
                    cell.clone()
                };
                out.push_str(&align_left(
                    cell,
                    &styled,
                    *w,
                    if i == 0 { "|" } else { "" },
                    "|",
                ));
            }
            out.push('\n');
        }
        out.push_str(&line_break(&widths));
        out
    }
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
        })
    }

    fn out(output: &str, query: Option<&str>, width: Option<u16>) -> String {
        whoami(
            &moto(),
            &Format {
                output,
                query,
                term_width: width,
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
        assert!(lines
            .iter()
            .all(|l| !l.contains('\x1b') || l.starts_with('|')));
    }

    #[test]
    fn errors_use_the_cli_words_and_v2_codes() {
        let r = failure(&Failure {
            kind: FailureKind::Service,
            code: Some("ExpiredToken".into()),
            message: "The security token included in the request is expired".into(),
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

//! Python's `shlex.split(s)` (posix mode, no comments), which botocore uses to split a
//! `credential_process` command (`compat_shell_split` on every platform but Windows).
//!
//! The rules, from CPython's `shlex.shlex.read_token` with `posix=True`, `whitespace_split=True`
//! and no commenters:
//! - words are separated by runs of `' '`, `'\t'`, `'\r'`, `'\n'` (only these four);
//! - `'...'` keeps everything literally; `"..."` keeps everything except that a backslash escapes
//!   only `"` and `\` (before any other character the backslash is kept);
//! - outside quotes a backslash takes the next character literally (a backslash-newline is a
//!   newline, not a line continuation);
//! - quotes may touch other text (`a"b c"d` is one word `ab cd`); `""` alone is an empty word;
//! - nothing else is special: no `~`, `$VAR`, globbing, `|`, `;` or `#` comments.
//!
//! Errors carry Python's own messages.

use std::fmt;

/// Why a command could not be split; `Display` gives Python's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitError {
    /// A `'` or `"` was never closed.
    NoClosingQuotation,
    /// The command ends with a lone backslash (outside quotes or inside `"`).
    NoEscapedCharacter,
}

impl fmt::Display for SplitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SplitError::NoClosingQuotation => "No closing quotation",
            SplitError::NoEscapedCharacter => "No escaped character",
        })
    }
}

impl std::error::Error for SplitError {}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Whitespace,
    Word,
    Quote(char),
}

fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Split `s` exactly as Python's `shlex.split(s)` does.
pub fn split(s: &str) -> Result<Vec<String>, SplitError> {
    let mut words = Vec::new();
    let mut token = String::new();
    // Python tracks "quoted" per token so that `''` yields an empty word.
    let mut quoted = false;
    let mut state = State::Whitespace;
    let mut chars = s.chars();
    loop {
        let Some(c) = chars.next() else {
            return match state {
                State::Quote(_) => Err(SplitError::NoClosingQuotation),
                State::Whitespace | State::Word => {
                    if !token.is_empty() || quoted {
                        words.push(token);
                    }
                    Ok(words)
                }
            };
        };
        match state {
            State::Whitespace | State::Word => {
                if is_ws(c) {
                    if !token.is_empty() || quoted {
                        words.push(std::mem::take(&mut token));
                        quoted = false;
                    }
                    state = State::Whitespace;
                } else if c == '\\' {
                    // Escape outside quotes: the next character, whatever it is, literally.
                    let Some(next) = chars.next() else {
                        return Err(SplitError::NoEscapedCharacter);
                    };
                    token.push(next);
                    state = State::Word;
                } else if c == '\'' || c == '"' {
                    quoted = true;
                    state = State::Quote(c);
                } else {
                    token.push(c);
                    state = State::Word;
                }
            }
            State::Quote(q) => {
                if c == q {
                    state = State::Word;
                } else if q == '"' && c == '\\' {
                    let Some(next) = chars.next() else {
                        return Err(SplitError::NoEscapedCharacter);
                    };
                    if next != '\\' && next != '"' {
                        token.push('\\');
                    }
                    token.push(next);
                } else {
                    token.push(c);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Vec<String> {
        split(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    #[test]
    fn plain_words_and_whitespace() {
        assert_eq!(ok("a b\tc\r\nd"), ["a", "b", "c", "d"]);
        assert_eq!(ok("   "), Vec::<String>::new());
        assert_eq!(ok(""), Vec::<String>::new());
        // Only four whitespace characters: a vertical tab or form feed is part of a word.
        assert_eq!(ok("a\x0bb\x0cc"), ["a\x0bb\x0cc"]);
    }

    #[test]
    fn quotes() {
        assert_eq!(ok(r#""a b" 'c d'"#), ["a b", "c d"]);
        assert_eq!(ok(r#"a"b c"d"#), ["ab cd"]);
        assert_eq!(ok(r#""" ''"#), ["", ""]);
        assert_eq!(
            ok(r#"'a\b' "a\b" "a\\b" "a\"b""#),
            [r"a\b", r"a\b", r"a\b", r#"a"b"#]
        );
        assert_eq!(ok(r#"'it'"'"'s'"#), ["it's"]);
    }

    #[test]
    fn escapes_outside_quotes() {
        assert_eq!(ok(r"a\ b \'x\' \\"), ["a b", "'x'", r"\"]);
        assert_eq!(ok("a\\\nb"), ["a\nb"]);
    }

    #[test]
    fn nothing_else_is_special() {
        assert_eq!(
            ok("~/bin/creds $HOME a|b c;d #e *"),
            ["~/bin/creds", "$HOME", "a|b", "c;d", "#e", "*"]
        );
    }

    #[test]
    fn errors_carry_python_messages() {
        assert_eq!(
            split("a 'b").unwrap_err().to_string(),
            "No closing quotation"
        );
        assert_eq!(
            split("a \"b").unwrap_err().to_string(),
            "No closing quotation"
        );
        assert_eq!(
            split("a\\").unwrap_err().to_string(),
            "No escaped character"
        );
        assert_eq!(
            split("\"a\\").unwrap_err().to_string(),
            "No escaped character"
        );
    }
}

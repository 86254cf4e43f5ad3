//! Python's `json.loads` (CPython 3.11's C scanner): what it accepts (also `NaN`, `Infinity`,
//! `-Infinity`, lone surrogates; duplicate keys, the last wins) and its error messages with their
//! positions (`msg: line L column C (char N)`, N counted in characters).

use std::fmt;

/// A value as `json.loads` returns it.
#[derive(Debug, Clone, PartialEq)]
pub enum PyValue {
    None,
    Bool(bool),
    /// Decimal digits, normalised (`-0` → `0`).
    Int(String),
    Float(f64),
    Str(PyStr),
    List(Vec<PyValue>),
    /// Insertion order of first appearance; a repeated key keeps its place and takes the last
    /// value, as a Python dict built from pairs does.
    Dict(Vec<(PyStr, PyValue)>),
}

/// A Python `str`. Lone surrogates (legal in Python, impossible in Rust) become U+FFFD in `text`
/// and set `lossy`: such a string must not be used as a credential.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PyStr {
    pub text: String,
    pub lossy: bool,
}

impl Drop for PyStr {
    /// Parsed documents hold secrets (credential programs' output, cache files).
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.text);
    }
}

impl PyStr {
    pub fn new(text: impl Into<String>) -> PyStr {
        PyStr {
            text: text.into(),
            lossy: false,
        }
    }
}

impl PyValue {
    pub fn str(text: impl Into<String>) -> PyValue {
        PyValue::Str(PyStr::new(text))
    }

    /// `d.get(key)` on a dict.
    pub fn get(&self, key: &str) -> Option<&PyValue> {
        match self {
            PyValue::Dict(pairs) => pairs
                .iter()
                .find(|(k, _)| k.text == key && !k.lossy)
                .map(|(_, v)| v),
            _ => None,
        }
    }
}

/// `JSONDecodeError`; `Display` is Python's `str(e)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    pub msg: &'static str,
    /// Position in characters.
    pub pos: usize,
    pub line: usize,
    pub col: usize,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: line {} column {} (char {})",
            self.msg, self.line, self.col, self.pos
        )
    }
}

impl std::error::Error for JsonError {}

const MAX_DEPTH: usize = 512;

struct Parser<'a> {
    s: &'a [char],
    depth: usize,
}

enum Fail {
    /// `StopIteration(idx)`: no value starts here.
    NoValue(usize),
    Error(&'static str, usize),
}

fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

impl Parser<'_> {
    fn at(&self, i: usize) -> Option<char> {
        self.s.get(i).copied()
    }

    fn skip_ws(&self, mut i: usize) -> usize {
        while self.at(i).is_some_and(is_ws) {
            i += 1;
        }
        i
    }

    fn starts(&self, i: usize, word: &str) -> bool {
        let n = word.chars().count();
        self.s.len() >= i + n && word.chars().zip(&self.s[i..i + n]).all(|(a, b)| a == *b)
    }

    /// `scan_once(s, idx)`.
    fn value(&mut self, i: usize) -> Result<(PyValue, usize), Fail> {
        let Some(c) = self.at(i) else {
            return Err(Fail::NoValue(i));
        };
        match c {
            '"' => {
                let (s, end) = self.string(i + 1)?;
                return Ok((PyValue::Str(s), end));
            }
            '{' | '[' => {
                if self.depth >= MAX_DEPTH {
                    return Err(Fail::Error("maximum nesting depth exceeded", i));
                }
                self.depth += 1;
                let r = if c == '{' {
                    self.object(i + 1)
                } else {
                    self.array(i + 1)
                };
                self.depth -= 1;
                return r;
            }
            'n' if self.starts(i, "null") => return Ok((PyValue::None, i + 4)),
            't' if self.starts(i, "true") => return Ok((PyValue::Bool(true), i + 4)),
            'f' if self.starts(i, "false") => return Ok((PyValue::Bool(false), i + 5)),
            'N' if self.starts(i, "NaN") => return Ok((PyValue::Float(f64::NAN), i + 3)),
            'I' if self.starts(i, "Infinity") => return Ok((PyValue::Float(f64::INFINITY), i + 8)),
            '-' if self.starts(i, "-Infinity") => {
                return Ok((PyValue::Float(f64::NEG_INFINITY), i + 9));
            }
            _ => {}
        }
        self.number(i)
    }

    /// NUMBER_RE = `(-?(?:0|[1-9]\d*))(\.\d+)?([eE][-+]?\d+)?`
    fn number(&self, start: usize) -> Result<(PyValue, usize), Fail> {
        let digit = |i: usize| self.at(i).is_some_and(|c| c.is_ascii_digit());
        let mut i = start;
        if self.at(i) == Some('-') {
            i += 1;
        }
        match self.at(i) {
            Some('0') => i += 1,
            Some('1'..='9') => {
                while digit(i) {
                    i += 1;
                }
            }
            _ => return Err(Fail::NoValue(start)),
        }
        let mut float = false;
        if self.at(i) == Some('.') && digit(i + 1) {
            float = true;
            i += 1;
            while digit(i) {
                i += 1;
            }
        }
        if matches!(self.at(i), Some('e' | 'E')) {
            let mut j = i + 1;
            if matches!(self.at(j), Some('-' | '+')) {
                j += 1;
            }
            if digit(j) {
                float = true;
                while digit(j) {
                    j += 1;
                }
                i = j;
            }
        }
        let text: String = self.s[start..i].iter().collect();
        let v = if float {
            PyValue::Float(text.parse().unwrap_or(f64::NAN))
        } else {
            let (neg, digits) = match text.strip_prefix('-') {
                Some(d) => (true, d),
                None => (false, text.as_str()),
            };
            let digits = digits.trim_start_matches('0');
            PyValue::Int(match (digits.is_empty(), neg) {
                (true, _) => "0".into(),
                (false, true) => format!("-{digits}"),
                (false, false) => digits.into(),
            })
        };
        Ok((v, i))
    }

    fn hex4(&self, i: usize) -> Option<u32> {
        let chunk = self.s.get(i..i + 4)?;
        if matches!(chunk[1], 'x' | 'X') {
            return None;
        }
        chunk
            .iter()
            .try_fold(0u32, |acc, c| Some(acc * 16 + c.to_digit(16)?))
    }

    /// `scanstring(s, end)`: `start` is just after the opening quote.
    fn string(&self, start: usize) -> Result<(PyStr, usize), Fail> {
        let begin = start - 1;
        let mut out = PyStr::new(String::new());
        let mut i = start;
        loop {
            let Some(c) = self.at(i) else {
                return Err(Fail::Error("Unterminated string starting at", begin));
            };
            match c {
                '"' => return Ok((out, i + 1)),
                '\\' => {
                    let Some(e) = self.at(i + 1) else {
                        return Err(Fail::Error("Unterminated string starting at", begin));
                    };
                    if e != 'u' {
                        let ch = match e {
                            '"' => '"',
                            '\\' => '\\',
                            '/' => '/',
                            'b' => '\u{8}',
                            'f' => '\u{c}',
                            'n' => '\n',
                            'r' => '\r',
                            't' => '\t',
                            _ => return Err(Fail::Error("Invalid \\escape", i)),
                        };
                        out.text.push(ch);
                        i += 2;
                        continue;
                    }
                    // C scanner: needs 4 hex digits and at least one character after them.
                    let u = i + 1;
                    if u + 5 >= self.s.len() {
                        return Err(Fail::Error("Invalid \\uXXXX escape", u));
                    }
                    let Some(mut cp) = self.hex4(u + 1) else {
                        return Err(Fail::Error("Invalid \\uXXXX escape", u));
                    };
                    i = u + 5;
                    if (0xd800..=0xdbff).contains(&cp)
                        && self.at(i) == Some('\\')
                        && self.at(i + 1) == Some('u')
                        && i + 6 < self.s.len()
                    {
                        let Some(low) = self.hex4(i + 2) else {
                            return Err(Fail::Error("Invalid \\uXXXX escape", i + 1));
                        };
                        if (0xdc00..=0xdfff).contains(&low) {
                            cp = 0x10000 + (((cp - 0xd800) << 10) | (low - 0xdc00));
                            i += 6;
                        }
                    }
                    match char::from_u32(cp) {
                        Some(ch) => out.text.push(ch),
                        None => {
                            out.text.push('\u{fffd}');
                            out.lossy = true;
                        }
                    }
                }
                c if (c as u32) < 0x20 => {
                    return Err(Fail::Error("Invalid control character at", i));
                }
                c => {
                    out.text.push(c);
                    i += 1;
                }
            }
        }
    }

    fn object(&mut self, start: usize) -> Result<(PyValue, usize), Fail> {
        let mut pairs: Vec<(PyStr, PyValue)> = Vec::new();
        let mut i = self.skip_ws(start);
        match self.at(i) {
            Some('}') => return Ok((PyValue::Dict(pairs), i + 1)),
            Some('"') => {}
            _ => {
                return Err(Fail::Error(
                    "Expecting property name enclosed in double quotes",
                    i,
                ));
            }
        }
        loop {
            let (key, after) = self.string(i + 1)?;
            i = self.skip_ws(after);
            if self.at(i) != Some(':') {
                return Err(Fail::Error("Expecting ':' delimiter", i));
            }
            i = self.skip_ws(i + 1);
            let (value, after) = match self.value(i) {
                Ok(v) => v,
                Err(Fail::NoValue(at)) => return Err(Fail::Error("Expecting value", at)),
                Err(e) => return Err(e),
            };
            match pairs.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = value,
                None => pairs.push((key, value)),
            }
            i = self.skip_ws(after);
            match self.at(i) {
                Some('}') => return Ok((PyValue::Dict(pairs), i + 1)),
                Some(',') => {}
                _ => return Err(Fail::Error("Expecting ',' delimiter", i)),
            }
            i = self.skip_ws(i + 1);
            if self.at(i) != Some('"') {
                return Err(Fail::Error(
                    "Expecting property name enclosed in double quotes",
                    i,
                ));
            }
        }
    }

    fn array(&mut self, start: usize) -> Result<(PyValue, usize), Fail> {
        let mut items = Vec::new();
        let mut i = self.skip_ws(start);
        if self.at(i) == Some(']') {
            return Ok((PyValue::List(items), i + 1));
        }
        loop {
            let (value, after) = match self.value(i) {
                Ok(v) => v,
                Err(Fail::NoValue(at)) => return Err(Fail::Error("Expecting value", at)),
                Err(e) => return Err(e),
            };
            items.push(value);
            i = self.skip_ws(after);
            match self.at(i) {
                Some(']') => return Ok((PyValue::List(items), i + 1)),
                Some(',') => {}
                _ => return Err(Fail::Error("Expecting ',' delimiter", i)),
            }
            i = self.skip_ws(i + 1);
        }
    }
}

fn error(chars: &[char], msg: &'static str, pos: usize) -> JsonError {
    let before = &chars[..pos.min(chars.len())];
    let line = before.iter().filter(|c| **c == '\n').count() + 1;
    let col = match before.iter().rposition(|c| *c == '\n') {
        Some(nl) => pos - nl,
        None => pos + 1,
    };
    JsonError {
        msg,
        pos,
        line,
        col,
    }
}

/// `json.loads(text)`.
pub fn loads(text: &str) -> Result<PyValue, JsonError> {
    let chars = zeroize::Zeroizing::new(text.chars().collect::<Vec<char>>());
    if chars.first() == Some(&'\u{feff}') {
        return Err(error(
            &chars,
            "Unexpected UTF-8 BOM (decode using utf-8-sig)",
            0,
        ));
    }
    let mut p = Parser {
        s: &chars,
        depth: 0,
    };
    let start = p.skip_ws(0);
    match p.value(start) {
        Ok((v, end)) => {
            let end = p.skip_ws(end);
            if end != chars.len() {
                return Err(error(&chars, "Extra data", end));
            }
            Ok(v)
        }
        Err(Fail::NoValue(at)) => Err(error(&chars, "Expecting value", at)),
        Err(Fail::Error(msg, at)) => Err(error(&chars, msg, at)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(s: &str) -> String {
        loads(s).unwrap_err().to_string()
    }

    #[test]
    fn values() {
        assert_eq!(loads(" 1 ").unwrap(), PyValue::Int("1".into()));
        assert_eq!(loads("-0").unwrap(), PyValue::Int("0".into()));
        assert_eq!(loads("1.5e3").unwrap(), PyValue::Float(1500.0));
        assert!(matches!(loads("NaN").unwrap(), PyValue::Float(f) if f.is_nan()));
        assert_eq!(
            loads("[-Infinity]").unwrap(),
            PyValue::List(vec![PyValue::Float(f64::NEG_INFINITY)])
        );
        assert_eq!(loads(r#""\uD83D\uDE00""#).unwrap(), PyValue::str("😀"));
        let lone = loads(r#""\ud800A""#).unwrap();
        assert_eq!(
            lone,
            PyValue::Str(PyStr {
                text: "\u{fffd}A".into(),
                lossy: true
            })
        );
        let d = loads(r#"{"a": 1, "b": 2, "a": 3}"#).unwrap();
        assert_eq!(
            d,
            PyValue::Dict(vec![
                (PyStr::new("a"), PyValue::Int("3".into())),
                (PyStr::new("b"), PyValue::Int("2".into()))
            ])
        );
    }

    #[test]
    fn python_messages() {
        // Each pair printed by python3.11 `json.loads`.
        for (s, want) in [
            (r#""\x""#, "Invalid \\escape: line 1 column 2 (char 1)"),
            (
                "\"a\u{1}\"",
                "Invalid control character at: line 1 column 3 (char 2)",
            ),
            (
                r#""\u12""#,
                "Invalid \\uXXXX escape: line 1 column 3 (char 2)",
            ),
            (
                "\"abc",
                "Unterminated string starting at: line 1 column 1 (char 0)",
            ),
            (
                r#"{"a" 1}"#,
                "Expecting ':' delimiter: line 1 column 6 (char 5)",
            ),
            (
                r#"{"a":1 "b"}"#,
                "Expecting ',' delimiter: line 1 column 8 (char 7)",
            ),
            (
                r#"{"a":1,}"#,
                "Expecting property name enclosed in double quotes: line 1 column 8 (char 7)",
            ),
            ("[1,\n]", "Expecting value: line 2 column 1 (char 4)"),
            (
                "{'a':1}",
                "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
            ),
            ("01", "Extra data: line 1 column 2 (char 1)"),
            ("-", "Expecting value: line 1 column 1 (char 0)"),
            (" ", "Expecting value: line 1 column 2 (char 1)"),
            (
                "\"\\u1234",
                "Invalid \\uXXXX escape: line 1 column 3 (char 2)",
            ),
            (
                "\"\\ud83d\\ude00",
                "Invalid \\uXXXX escape: line 1 column 9 (char 8)",
            ),
            (
                "\"\\ud83d\\uzzzz\"",
                "Invalid \\uXXXX escape: line 1 column 9 (char 8)",
            ),
            (
                "\"\\ud83d\\",
                "Unterminated string starting at: line 1 column 1 (char 0)",
            ),
            (
                "\u{feff}{}",
                "Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)",
            ),
        ] {
            assert_eq!(msg(s), want, "{s:?}");
        }
    }
}

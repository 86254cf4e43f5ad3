//! How Python prints the values the CLI's messages and cache keys are built from: `str()` and
//! `repr()` of JSON values as `json.loads` returns them, `json.dumps(sort_keys=True)`, the
//! `'utf-8' codec can't decode ...` message, and the type names in `TypeError`s.
//!
//! Values are [`PyValue`]s from [`crate::pyjson::loads`], so integers of any size print
//! exactly as Python's `int` does.

use crate::pyjson::PyValue;

/// Python's `repr(float)` (also its `str()` and `json.dumps` text for finite values).
pub fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    // Rust's `{:e}` gives the shortest round-trip digits, like Python's repr.
    let sci = format!("{:e}", f);
    let (mantissa, exp) = sci.split_once('e').expect("{:e} has an exponent");
    let exp: i32 = exp.parse().expect("exponent is an integer");
    let (neg, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let sign = if neg { "-" } else { "" };
    if (-4..16).contains(&exp) {
        let n = digits.len() as i32;
        let body = if exp < 0 {
            format!("0.{}{}", "0".repeat((-exp - 1) as usize), digits)
        } else if exp + 1 >= n {
            format!("{}{}.0", digits, "0".repeat((exp + 1 - n) as usize))
        } else {
            let (a, b) = digits.split_at((exp + 1) as usize);
            format!("{a}.{b}")
        };
        format!("{sign}{body}")
    } else {
        let (first, rest) = digits.split_at(1);
        let mant = if rest.is_empty() {
            first.to_string()
        } else {
            format!("{first}.{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{mant}e{esign}{:02}", exp.abs())
    }
}

/// Python's type name for the value `json.loads` gives (`type(v).__name__`).
pub fn type_name(v: &PyValue) -> &'static str {
    match v {
        PyValue::None => "NoneType",
        PyValue::Bool(_) => "bool",
        PyValue::Int(_) => "int",
        PyValue::Float(_) => "float",
        PyValue::Str(_) => "str",
        PyValue::List(_) => "list",
        PyValue::Dict(_) => "dict",
    }
}

/// Python's `str(v)`.
pub fn py_str(v: &PyValue) -> String {
    match v {
        PyValue::Str(s) => s.text.clone(),
        other => py_repr(other),
    }
}

/// Python's `repr(v)`.
pub fn py_repr(v: &PyValue) -> String {
    match v {
        PyValue::None => "None".into(),
        PyValue::Bool(true) => "True".into(),
        PyValue::Bool(false) => "False".into(),
        PyValue::Int(d) => d.clone(),
        PyValue::Float(f) => float_repr(*f),
        PyValue::Str(s) => str_repr(&s.text),
        PyValue::List(items) => {
            let inner: Vec<String> = items.iter().map(py_repr).collect();
            format!("[{}]", inner.join(", "))
        }
        PyValue::Dict(pairs) => {
            let inner: Vec<String> = pairs
                .iter()
                .map(|(k, v)| format!("{}: {}", str_repr(&k.text), py_repr(v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
    }
}

/// Python's `repr(str)`: single quotes unless the text has `'` and no `"`. Printable non-ASCII
/// characters are kept; C0/C1 controls are escaped. (Python also escapes other non-printable
/// code points such as unassigned ones or U+2028; those are rare enough to ignore here.)
pub fn str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || (0x7f..=0xa0).contains(&(c as u32)) || c == '\u{ad}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// `json.dumps(v, sort_keys=True)` with Python's defaults (`ensure_ascii=True`, separators
/// `", "` and `": "`), for a value as `json.loads` returned it.
pub fn json_dumps_sorted(v: &PyValue) -> String {
    let mut out = String::new();
    dump(v, true, (", ", ": "), &mut out);
    out
}

/// `json.dumps(v, separators=(',', ':'))` (ASCII, keys in their order).
pub fn json_dumps_compact(v: &PyValue) -> String {
    let mut out = String::new();
    dump(v, false, (",", ":"), &mut out);
    out
}

/// `json.dumps` of a scalar other than a string (null, a bool, a number); false for the rest.
pub fn dump_scalar(v: &PyValue, out: &mut String) -> bool {
    match v {
        PyValue::None => out.push_str("null"),
        PyValue::Bool(true) => out.push_str("true"),
        PyValue::Bool(false) => out.push_str("false"),
        PyValue::Int(d) => out.push_str(d),
        PyValue::Float(f) if f.is_nan() => out.push_str("NaN"),
        PyValue::Float(f) if f.is_infinite() => {
            out.push_str(if *f > 0.0 { "Infinity" } else { "-Infinity" })
        }
        PyValue::Float(f) => out.push_str(&float_repr(*f)),
        _ => return false,
    }
    true
}

fn dump(v: &PyValue, sort: bool, (item_sep, key_sep): (&str, &str), out: &mut String) {
    if dump_scalar(v, out) {
        return;
    }
    match v {
        PyValue::Str(s) => dump_str(&s.text, out),
        PyValue::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(item_sep);
                }
                dump(item, sort, (item_sep, key_sep), out);
            }
            out.push(']');
        }
        PyValue::Dict(pairs) => {
            let mut entries: Vec<_> = pairs.iter().collect();
            if sort {
                // Python sorts str keys by code point; UTF-8 byte order is the same order.
                entries.sort_by(|a, b| a.0.text.cmp(&b.0.text));
            }
            out.push('{');
            for (i, (k, val)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(item_sep);
                }
                dump_str(&k.text, out);
                out.push_str(key_sep);
                dump(val, sort, (item_sep, key_sep), out);
            }
            out.push('}');
        }
        _ => unreachable!("scalars are dumped above"),
    }
}

/// A JSON string as Python's `json.dumps(ensure_ascii=True)` writes it.
pub fn dump_str(s: &str, out: &mut String) {
    dump_str_with(s, true, |_| false, out)
}

/// A JSON string as Python's `json.dumps` writes it: with `ensure_ascii`, every character
/// outside `' '..='~'` as `\uXXXX` (UTF-16 units); without it, control characters (below
/// U+0020) and the characters `escape` picks as `\uXXXX`, the rest as they are.
pub fn dump_str_with(s: &str, ensure_ascii: bool, escape: impl Fn(char) -> bool, out: &mut String) {
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
            ' '..='~' => out.push(c),
            c if ensure_ascii || (c as u32) < 0x20 || escape(c) => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{:04x}", unit));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `bytes.decode('utf-8')`: the text, or Python's `UnicodeDecodeError` message.
pub fn decode_utf8(bytes: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(bytes).map_err(|e| {
        let start = e.valid_up_to();
        let first = bytes[start];
        let (len, reason) = match e.error_len() {
            None => (bytes.len() - start, "unexpected end of data"),
            Some(n) => {
                let valid_lead = matches!(first, 0xc2..=0xf4);
                (
                    n,
                    if valid_lead {
                        "invalid continuation byte"
                    } else {
                        "invalid start byte"
                    },
                )
            }
        };
        if len == 1 {
            format!("'utf-8' codec can't decode byte 0x{first:02x} in position {start}: {reason}")
        } else {
            let end = start + len - 1;
            format!("'utf-8' codec can't decode bytes in position {start}-{end}: {reason}")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(json: &str) -> PyValue {
        crate::pyjson::loads(json).unwrap()
    }

    #[test]
    fn floats_print_like_python() {
        for (f, want) in [
            (1.0, "1.0"),
            (1e20, "1e+20"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (-2.5, "-2.5"),
            (123.456, "123.456"),
            (-0.0, "-0.0"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
        ] {
            assert_eq!(float_repr(f), want, "{f}");
        }
    }

    #[test]
    fn str_and_repr() {
        assert_eq!(py_str(&v("2")), "2");
        assert_eq!(py_str(&v("-0")), "0");
        assert_eq!(py_str(&v("1e20")), "1e+20");
        assert_eq!(py_str(&v("\"1\"")), "1");
        assert_eq!(py_str(&v("null")), "None");
        assert_eq!(py_str(&v("[1, \"a\", true]")), "[1, 'a', True]");
        assert_eq!(py_str(&v(r#"{"a": "it's"}"#)), r#"{'a': "it's"}"#);
        assert_eq!(
            py_str(&v("123456789012345678901234567890")),
            "123456789012345678901234567890"
        );
    }

    #[test]
    fn dumps_sorted_ascii() {
        assert_eq!(
            json_dumps_sorted(&v(
                r#"{"b": 1, "a": [1.0, "é\n", null], "c": {"y": 1, "x": 2}}"#
            )),
            r#"{"a": [1.0, "\u00e9\n", null], "b": 1, "c": {"x": 2, "y": 1}}"#
        );
        assert_eq!(json_dumps_sorted(&v(r#""😀""#)), r#""\ud83d\ude00""#);
    }

    #[test]
    fn utf8_errors() {
        assert_eq!(
            decode_utf8(b"\xff\n").unwrap_err(),
            "'utf-8' codec can't decode byte 0xff in position 0: invalid start byte"
        );
        assert_eq!(
            decode_utf8(b"ab\xe2\x82").unwrap_err(),
            "'utf-8' codec can't decode bytes in position 2-3: unexpected end of data"
        );
        assert_eq!(
            decode_utf8(b"\xe2x").unwrap_err(),
            "'utf-8' codec can't decode byte 0xe2 in position 0: invalid continuation byte"
        );
    }
}

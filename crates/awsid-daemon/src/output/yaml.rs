//! `--output yaml` and `yaml-stream` (CLI v2): `ruamel.yaml`'s safe dumper in block style, as
//! CLI v2's `YAMLDumper` calls it. Mapping keys are sorted (the safe representer sorts them),
//! strings are plain unless YAML 1.2 would read them as something else or they hold an
//! indicator (then single-quoted, else double-quoted), and a plain scalar alone in a document
//! is followed by the document end marker `...`.

use awsid_aws::pyfmt::float_repr;
use awsid_aws::pyjson::PyValue;

/// The emitter's line width (ruamel's `best_width`).
const BEST_WIDTH: usize = 80;

pub fn format(v: &PyValue) -> String {
    let mut e = Emitter::default();
    if is_block(v) {
        e.block(v, 0);
    } else {
        e.open_ended = e.scalar(v, 0);
    }
    e.write("\n");
    if e.open_ended {
        e.out.push_str("...\n");
    }
    e.out
}

/// A non-empty collection (written in block style; empty ones are `[]` and `{}`).
fn is_block(v: &PyValue) -> bool {
    match v {
        PyValue::Dict(d) => !d.is_empty(),
        PyValue::List(l) => !l.is_empty(),
        _ => false,
    }
}

#[derive(Default)]
struct Emitter {
    out: String,
    column: usize,
    open_ended: bool,
}

impl Emitter {
    fn write(&mut self, s: &str) {
        match s.rfind('\n') {
            Some(i) => self.column = s[i + 1..].chars().count(),
            None => self.column += s.chars().count(),
        }
        self.out.push_str(s);
    }

    fn newline_indent(&mut self, indent: usize) {
        self.write("\n");
        self.write(&" ".repeat(indent));
    }

    /// A non-empty collection whose first entry starts at the cursor; later entries start on
    /// new lines at `indent`.
    fn block(&mut self, v: &PyValue, indent: usize) {
        match v {
            PyValue::Dict(pairs) => {
                let mut sorted: Vec<_> = pairs.iter().collect();
                sorted.sort_by(|a, b| a.0.text.cmp(&b.0.text));
                for (i, (k, val)) in sorted.into_iter().enumerate() {
                    if i > 0 {
                        self.newline_indent(indent);
                    }
                    self.scalar_text(&k.text, indent + 2, true);
                    self.write(":");
                    match val {
                        PyValue::Dict(_) if is_block(val) => {
                            self.newline_indent(indent + 2);
                            self.block(val, indent + 2);
                        }
                        // A sequence in a mapping is not indented (ruamel's default).
                        PyValue::List(_) if is_block(val) => {
                            self.newline_indent(indent);
                            self.block(val, indent);
                        }
                        _ => {
                            self.write(" ");
                            self.scalar(val, indent + 2);
                        }
                    }
                }
            }
            PyValue::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.newline_indent(indent);
                    }
                    self.write("- ");
                    if is_block(item) {
                        self.block(item, indent + 2);
                    } else {
                        self.scalar(item, indent + 2);
                    }
                }
            }
            _ => {}
        }
    }

    /// Writes a scalar; whether it was written plain.
    fn scalar(&mut self, v: &PyValue, indent: usize) -> bool {
        match v {
            PyValue::None => self.write("null"),
            PyValue::Bool(b) => self.write(if *b { "true" } else { "false" }),
            PyValue::Int(d) => self.write(d),
            PyValue::Float(f) => self.write(&float_text(*f)),
            PyValue::Str(s) => return self.scalar_text(&s.text, indent, false),
            PyValue::Dict(_) => {
                self.write("{}");
                return false;
            }
            PyValue::List(_) => {
                self.write("[]");
                return false;
            }
        }
        true
    }

    fn scalar_text(&mut self, s: &str, indent: usize, simple_key: bool) -> bool {
        let a = analyze(s);
        let plain_ok = a.allow_block_plain && !(simple_key && (s.is_empty() || a.multiline));
        if plain_ok && resolves_to_str(s) {
            self.plain(s, indent);
            true
        } else if s.contains(['\'', '\n']) {
            // ruamel prefers double quotes for text with a quote or a line break.
            self.double_quoted(s);
            false
        } else if a.allow_single_quoted && !(simple_key && a.multiline) {
            self.single_quoted(s, indent);
            false
        } else {
            self.double_quoted(s);
            false
        }
    }

    fn plain(&mut self, s: &str, indent: usize) {
        self.folded(s, indent, "", "");
    }

    fn single_quoted(&mut self, s: &str, indent: usize) {
        self.folded(&s.replace('\'', "''"), indent, "'", "'");
    }

    /// Writes text that may break at a single space once past the line width (the emitter's
    /// `write_plain` and `write_single_quoted`).
    fn folded(&mut self, s: &str, indent: usize, open: &str, close: &str) {
        self.write(open);
        let chars: Vec<char> = s.chars().collect();
        let mut start = 0;
        let mut i = 0;
        while i < chars.len() {
            if chars[i] == ' ' {
                let run_end = chars[i..].iter().take_while(|c| **c == ' ').count() + i;
                let word: String = chars[start..i].iter().collect();
                self.write(&word);
                if run_end == i + 1 && self.column > BEST_WIDTH && i != 0 && run_end != chars.len()
                {
                    self.newline_indent(indent);
                } else {
                    self.write(&" ".repeat(run_end - i));
                }
                start = run_end;
                i = run_end;
            } else {
                i += 1;
            }
        }
        let rest: String = chars[start..].iter().collect();
        self.write(&rest);
        self.write(close);
    }

    fn double_quoted(&mut self, s: &str) {
        let mut out = String::from("\"");
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\0' => out.push_str("\\0"),
                '\u{7}' => out.push_str("\\a"),
                '\u{8}' => out.push_str("\\b"),
                '\t' => out.push_str("\\t"),
                '\n' => out.push_str("\\n"),
                '\u{b}' => out.push_str("\\v"),
                '\u{c}' => out.push_str("\\f"),
                '\r' => out.push_str("\\r"),
                '\u{1b}' => out.push_str("\\e"),
                '\u{85}' => out.push_str("\\N"),
                '\u{a0}' => out.push_str("\\_"),
                '\u{2028}' => out.push_str("\\L"),
                '\u{2029}' => out.push_str("\\P"),
                c if printable(c) => out.push(c),
                c if (c as u32) <= 0xff => out.push_str(&format!("\\x{:02X}", c as u32)),
                c if (c as u32) <= 0xffff => out.push_str(&format!("\\u{:04X}", c as u32)),
                c => out.push_str(&format!("\\U{:08X}", c as u32)),
            }
        }
        out.push('"');
        self.write(&out);
    }
}

/// ruamel's `represent_float`: `repr(f).lower()`, `.inf`, `.nan`.
fn float_text(f: f64) -> String {
    if f.is_nan() {
        ".nan".into()
    } else if f.is_infinite() {
        if f > 0.0 { ".inf" } else { "-.inf" }.into()
    } else {
        float_repr(f).to_lowercase()
    }
}

fn printable(c: char) -> bool {
    let u = c as u32;
    c == '\n'
        || (0x20..=0x7e).contains(&u)
        || u == 0x85
        || ((0xa0..=0xd7ff).contains(&u)
            || (0xe000..=0xfffd).contains(&u)
            || (0x10000..0x10ffff).contains(&u))
            && u != 0xfeff
}

struct Analysis {
    multiline: bool,
    allow_block_plain: bool,
    allow_single_quoted: bool,
}

const BREAKS: &[char] = &['\n', '\u{85}', '\u{2028}', '\u{2029}'];

/// The emitter's `analyze_scalar` (block context; unicode allowed).
fn analyze(s: &str) -> Analysis {
    if s.is_empty() {
        return Analysis {
            multiline: false,
            allow_block_plain: true,
            allow_single_quoted: true,
        };
    }
    let chars: Vec<char> = s.chars().collect();
    let ws = |c: char| {
        matches!(
            c,
            '\0' | ' ' | '\t' | '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}'
        )
    };
    let mut block_indicators = s.starts_with("---") || s.starts_with("...");
    let (mut line_breaks, mut special) = (false, false);
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut previous_space, mut previous_break) = (false, false);
    let mut preceded_by_ws = true;
    let mut followed_by_ws = chars.len() == 1 || ws(chars[1]);
    let last = chars.len() - 1;
    for (i, &c) in chars.iter().enumerate() {
        if i == 0 {
            if "#,[]{}&*!|>'\"%@`".contains(c) {
                block_indicators = true;
            }
            if (c == '?' || c == ':') && followed_by_ws {
                block_indicators = true;
            }
            if c == '-' && followed_by_ws {
                block_indicators = true;
            }
        } else {
            if c == ':' && followed_by_ws {
                block_indicators = true;
            }
            if c == '#' && preceded_by_ws {
                block_indicators = true;
            }
        }
        if BREAKS.contains(&c) {
            line_breaks = true;
        }
        if !printable(c) {
            special = true;
        }
        if c == ' ' {
            leading_space |= i == 0;
            trailing_space |= i == last;
            break_space |= previous_break;
            previous_space = true;
            previous_break = false;
        } else if BREAKS.contains(&c) {
            leading_break |= i == 0;
            trailing_break |= i == last;
            space_break |= previous_space;
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_ws = ws(c);
        followed_by_ws = i + 2 >= chars.len() || ws(chars[i + 2]);
    }
    let mut allow_block_plain = true;
    let mut allow_single_quoted = true;
    if leading_space || leading_break || trailing_space || trailing_break {
        allow_block_plain = false;
    }
    if break_space {
        allow_block_plain = false;
        allow_single_quoted = false;
    }
    if space_break || special {
        allow_block_plain = false;
        allow_single_quoted = false;
    }
    if line_breaks || block_indicators {
        allow_block_plain = false;
    }
    Analysis {
        multiline: line_breaks,
        allow_block_plain,
        allow_single_quoted,
    }
}

/// Whether YAML 1.2 (ruamel's resolver) reads the plain text as a string: not null, a
/// boolean, a number, a timestamp, `<<` or `=`.
fn resolves_to_str(s: &str) -> bool {
    let first = s.chars().next();
    if matches!(s, "" | "~" | "null" | "Null" | "NULL" | "<<" | "=") {
        return false;
    }
    if matches!(s, "true" | "True" | "TRUE" | "false" | "False" | "FALSE") {
        return false;
    }
    if first.is_some_and(|c| c.is_ascii_digit() || "+-.".contains(c))
        && (is_int(s) || is_float(s) || is_timestamp(s))
    {
        return false;
    }
    true
}

fn all(s: &str, f: impl Fn(char) -> bool) -> bool {
    !s.is_empty() && s.chars().all(f)
}

fn unsign(s: &str) -> &str {
    s.strip_prefix(['+', '-']).unwrap_or(s)
}

/// `[-+]?0b[0-1_]+ | [-+]?0o?[0-7_]+ | [-+]?[0-9_]+ | [-+]?0x[0-9a-fA-F_]+`
fn is_int(s: &str) -> bool {
    let u = unsign(s);
    if let Some(b) = u.strip_prefix("0b") {
        return all(b, |c| c == '0' || c == '1' || c == '_');
    }
    if let Some(x) = u.strip_prefix("0x") {
        return all(x, |c| c.is_ascii_hexdigit() || c == '_');
    }
    if let Some(o) = u.strip_prefix("0o") {
        return all(o, |c| ('0'..='7').contains(&c) || c == '_');
    }
    all(u, |c| c.is_ascii_digit() || c == '_')
}

/// `[-+]?[0-9][0-9_]*\.[0-9_]*([eE][-+]?[0-9]+)? | [-+]?[0-9][0-9_]*[eE][-+]?[0-9]+
///  | \.[0-9_]+([eE][-+][0-9]+)? | [-+]?\.(inf|Inf|INF) | \.(nan|NaN|NAN)`
fn is_float(s: &str) -> bool {
    let u = unsign(s);
    if matches!(u, ".inf" | ".Inf" | ".INF") || matches!(s, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    let exp_ok = |e: &str, sign_required: bool| {
        let digits = match e.strip_prefix(['+', '-']) {
            Some(d) => d,
            None if sign_required => return false,
            None => e,
        };
        all(digits, |c| c.is_ascii_digit())
    };
    let (mantissa, exp) = match u.find(['e', 'E']) {
        Some(i) => (&u[..i], Some(&u[i + 1..])),
        None => (u, None),
    };
    if let Some(frac) = s.strip_prefix('.') {
        let (m, e) = match frac.find(['e', 'E']) {
            Some(i) => (&frac[..i], Some(&frac[i + 1..])),
            None => (frac, None),
        };
        return all(m, |c| c.is_ascii_digit() || c == '_') && e.is_none_or(|e| exp_ok(e, true));
    }
    let starts_digit = mantissa.chars().next().is_some_and(|c| c.is_ascii_digit());
    if !starts_digit {
        return false;
    }
    match mantissa.split_once('.') {
        Some((int, frac)) => {
            all(int, |c| c.is_ascii_digit() || c == '_')
                && frac.chars().all(|c| c.is_ascii_digit() || c == '_')
                && exp.is_none_or(|e| exp_ok(e, false))
        }
        None => {
            all(mantissa, |c| c.is_ascii_digit() || c == '_')
                && exp.is_some_and(|e| exp_ok(e, false))
        }
    }
}

/// `YYYY-MM-DD`, or a date and time as YAML's timestamp type writes them.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let d = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    if b.len() == 10
        && (0..4).all(d)
        && b[4] == b'-'
        && d(5)
        && d(6)
        && b[7] == b'-'
        && d(8)
        && d(9)
    {
        return true;
    }
    // [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(\.[0-9]*)?
    //   ([ \t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?
    let mut i = 0;
    let digits = |i: &mut usize, min: usize, max: usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() && *i - start < max {
            *i += 1;
        }
        *i - start >= min
    };
    let lit = |i: &mut usize, c: u8| {
        if b.get(*i) == Some(&c) {
            *i += 1;
            true
        } else {
            false
        }
    };
    if !(digits(&mut i, 4, 4)
        && lit(&mut i, b'-')
        && digits(&mut i, 1, 2)
        && lit(&mut i, b'-')
        && digits(&mut i, 1, 2))
    {
        return false;
    }
    if !(lit(&mut i, b'T') || lit(&mut i, b't')) {
        let start = i;
        while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    if !(digits(&mut i, 1, 2)
        && lit(&mut i, b':')
        && digits(&mut i, 2, 2)
        && lit(&mut i, b':')
        && digits(&mut i, 2, 2))
    {
        return false;
    }
    if lit(&mut i, b'.') {
        digits(&mut i, 0, usize::MAX);
    }
    while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
        i += 1;
    }
    if i == b.len() {
        return true;
    }
    if lit(&mut i, b'Z') {
        return i == b.len();
    }
    if lit(&mut i, b'+') || lit(&mut i, b'-') {
        if !digits(&mut i, 1, 2) {
            return false;
        }
        if lit(&mut i, b':') && !digits(&mut i, 2, 2) {
            return false;
        }
        return i == b.len();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use awsid_aws::pyjson;

    /// Values as JSON, dumped by ruamel.yaml (CLI v2's YAML library: `YAML(typ='safe')`,
    /// block style) and by [`format`]: the bytes must be equal.
    const CASES: &[&str] = &[
        r##"{"UserId": "AIDAEXAMPLE", "Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/x"}"##,
        r##"{"UserId": "AROAEXAMPLE:botocore-session-1", "Account": "000000000000", "Arn": "arn:aws:sts::000000000000:assumed-role/r/s@x.com"}"##,
        r##"[{"b": 1, "a": [1, 2, {"z": null}]}]"##,
        r##""abc""##,
        r##""123""##,
        "1.5",
        "1e16",
        "-0.0",
        "5",
        "true",
        "null",
        "[]",
        "{}",
        r##"{"a": {}, "b": [], "c": {"d": {"e": "f"}}, "g": [[1, [2]], {"h": "i"}]}"##,
        r##"["yes", "on", "1_0", "0o7", "0b1", "0x1F", "2001-01-01", "2001-1-1 1:02:03", "2001-01-01T01:02:03.5Z", "", "~", "=", "<<", "a: b", "- x"]"##,
        r##"["a\nb", {"k": "a\nb"}, "- a", "#x", "a #b", ":x", "?", "a:", "@x", "`x", "it's", "\u00e9", "\t", "\ufeff", " lead", "trail ", "Null", "1e5", ".5", "+1", "-", "--", "---x", "...x", "-x", "a,b", "[x", "{x", "!x", "&x", "*x", "|x", ">x", "'x", "\"x", "%x", "x]", "x}", ".inf", "-.Inf", ".NaN", "1.", "1_000.5e3", "0.", "TRUE", "false"]"##,
        r##"["x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x ", {"k": "word word word word word word word word word word word word word word word word word word word word word word"}, ["deep deep deep deep deep deep deep deep deep deep deep deep deep deep deep deep deep deep"]]"##,
        r##""plain words plain words plain words plain words plain words plain words plain words plain words""##,
        r##"{"": 1, "a b": "c d", "1": "k", "true": [], "x:y": {"a": "b"}}"##,
    ];

    #[test]
    fn yaml_is_byte_identical_to_ruamel() {
        let script = "import sys, json\nfrom ruamel.yaml import YAML\n\
            y = YAML(typ='safe')\ny.default_flow_style = False\n\
            for line in sys.stdin:\n    y.dump(json.loads(line), sys.stdout)\n    \
            sys.stdout.write(chr(0))\n";
        let mut child = std::process::Command::new("python3")
            .arg("-c")
            .arg(script)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3");
        let input: String = CASES.iter().map(|c| format!("{c}\n")).collect();
        std::io::Write::write_all(child.stdin.as_mut().unwrap(), input.as_bytes()).unwrap();
        drop(child.stdin.take());
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "ruamel.yaml 0.17 (CLI v2's) is needed: pip install 'ruamel.yaml==0.17.21'"
        );
        let expected: Vec<&str> = std::str::from_utf8(&out.stdout)
            .unwrap()
            .split('\0')
            .collect();
        for (case, want) in CASES.iter().zip(expected) {
            let v = pyjson::loads(case).unwrap();
            assert_eq!(format(&v), want, "value: {case}");
        }
    }
}

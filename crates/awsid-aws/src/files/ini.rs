//! The INI dialect: Python 3.11 `configparser.RawConfigParser()` defaults
//! plus botocore's nested blocks (see the rules in `files.rs`).

use super::{ParseError, ParseErrorKind, RawFile, Section, Value};
use std::collections::{BTreeMap, HashSet};

/// Python's `str.isspace()` (also what `str.strip()` and `re`'s `\s` use).
fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

pub(super) fn py_strip(s: &str) -> &str {
    s.trim_matches(py_space)
}

/// Case pairs added in Unicode 16: Rust lowercases these letters, Python
/// 3.11 (Unicode 14) leaves them alone. The differential test compares the
/// whole table with Python's.
const UNCASED_IN_PYTHON: &[(char, char)] = &[
    ('\u{1C89}', '\u{1C89}'),
    ('\u{A7CB}', '\u{A7CC}'),
    ('\u{A7CE}', '\u{A7CE}'),
    ('\u{A7D2}', '\u{A7D2}'),
    ('\u{A7D4}', '\u{A7D4}'),
    ('\u{A7DA}', '\u{A7DA}'),
    ('\u{A7DC}', '\u{A7DC}'),
    ('\u{10D50}', '\u{10D65}'),
    ('\u{16EA0}', '\u{16EB8}'),
];

/// Python 3.11's `str.lower()` (full mappings, final sigma).
pub(super) fn py_lower(s: &str) -> String {
    let uncased = |c: char| UNCASED_IN_PYTHON.iter().any(|&(a, b)| (a..=b).contains(&c));
    if !s.chars().any(uncased) {
        return s.to_lowercase();
    }
    // Lowercase with those letters masked by a private-use character (not
    // cased, not case-ignorable, like an unassigned one), then put them back.
    const MASK: char = '\u{E000}';
    let mut kept = s.chars().filter(|&c| c == MASK || uncased(c));
    let masked: String = s
        .chars()
        .map(|c| if uncased(c) { MASK } else { c })
        .collect();
    masked
        .to_lowercase()
        .chars()
        .map(|c| {
            if c == MASK {
                kept.next().unwrap_or(MASK)
            } else {
                c
            }
        })
        .collect()
}

/// Python's `str.splitlines()`.
pub(super) fn py_splitlines(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut iter = s.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        let is_break = matches!(
            c,
            '\n' | '\r'
                | '\u{0b}'
                | '\u{0c}'
                | '\u{1c}'
                | '\u{1d}'
                | '\u{1e}'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        );
        if !is_break {
            continue;
        }
        out.push(&s[start..i]);
        let mut end = i + c.len_utf8();
        if c == '\r' && iter.peek().map(|&(_, n)| n) == Some('\n') {
            iter.next();
            end += 1;
        }
        start = end;
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

/// Lines as Python's text mode yields them (universal newlines), without the
/// line ending.
fn lines(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                out.push(&text[start..i]);
                i += 1;
                start = i;
            }
            b'\r' => {
                out.push(&text[start..i]);
                i += if bytes.get(i + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                start = i;
            }
            _ => i += 1,
        }
    }
    if start < bytes.len() {
        out.push(&text[start..]);
    }
    out
}

/// The header of a `[...]` line (already stripped), as configparser's
/// `\[(?P<header>.+)\]` matches it: up to the last `]`.
fn section_header(line: &str) -> Option<&str> {
    let rest = line.strip_prefix('[')?;
    let end = rest.rfind(']')?;
    (end > 0).then(|| &rest[..end])
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    Defaults,
    Section(usize),
}

/// Each option's line number and value lines.
type RawOptions = BTreeMap<String, (usize, Vec<String>)>;

/// Parse a config or credentials file the way botocore's `raw_config_parse`
/// does (with its default `parse_subsections=True`).
pub fn parse(bytes: &[u8]) -> Result<RawFile, ParseError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let valid = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default();
        ParseError {
            // the bad byte's line: the lines before it (a partial one included),
            // plus one when the bad byte starts a line
            line: lines(valid).len()
                + usize::from(valid.is_empty() || valid.ends_with(['\n', '\r'])),
            kind: ParseErrorKind::NotUtf8,
        }
    })?;
    let mut defaults: RawOptions = BTreeMap::new();
    let mut sections: Vec<(String, RawOptions)> = Vec::new();
    let mut seen = HashSet::new();
    let mut current: Option<Target> = None;
    // The option that continuation lines extend; `Some("")` after an empty key.
    let mut option: Option<String> = None;
    let mut indent_level = 0usize;
    // configparser keeps going after a bad line and reports it at the end,
    // unless a fatal error (duplicate, missing header) comes first.
    let mut pending: Option<ParseError> = None;

    for (index, line) in lines(text).into_iter().enumerate() {
        let lineno = index + 1;
        let value = py_strip(line);
        if value.starts_with('#') || value.starts_with(';') {
            continue;
        }
        let active = match (current, option.as_deref()) {
            (Some(t), Some(o)) if !o.is_empty() => Some((t, o.to_string())),
            _ => None,
        };
        if value.is_empty() {
            if let Some((t, o)) = active {
                push_line(&mut defaults, &mut sections, t, &o, String::new());
            }
            continue;
        }
        let indent = line.chars().take_while(|&c| py_space(c)).count();
        if let Some((t, o)) = active.filter(|_| indent > indent_level) {
            push_line(&mut defaults, &mut sections, t, &o, value.to_string());
            continue;
        }
        indent_level = indent;
        if let Some(name) = section_header(value) {
            if name != "DEFAULT" && !seen.insert(name) {
                return Err(ParseError {
                    line: lineno,
                    kind: ParseErrorKind::DuplicateSection(name.to_string()),
                });
            }
            current = Some(if name == "DEFAULT" {
                Target::Defaults
            } else {
                sections.push((name.to_string(), BTreeMap::new()));
                Target::Section(sections.len() - 1)
            });
            option = None;
            continue;
        }
        let Some(target) = current else {
            return Err(ParseError {
                line: lineno,
                kind: ParseErrorKind::MissingSectionHeader,
            });
        };
        let Some(split) = value.find(['=', ':']) else {
            pending.get_or_insert(ParseError {
                line: lineno,
                kind: ParseErrorKind::InvalidLine,
            });
            continue;
        };
        let name = py_lower(value[..split].trim_end_matches(py_space));
        let val = py_strip(&value[split + 1..]);
        if name.is_empty() {
            pending.get_or_insert(ParseError {
                line: lineno,
                kind: ParseErrorKind::InvalidLine,
            });
        }
        let options = options_of(&mut defaults, &mut sections, target);
        if options.contains_key(&name) {
            let section = match target {
                Target::Defaults => "DEFAULT".to_string(),
                Target::Section(i) => sections[i].0.clone(),
            };
            return Err(ParseError {
                line: lineno,
                kind: ParseErrorKind::DuplicateOption {
                    section,
                    option: name,
                },
            });
        }
        options.insert(name.clone(), (lineno, vec![val.to_string()]));
        option = Some(name);
    }
    if let Some(e) = pending {
        return Err(e);
    }

    let join = |(line, parts): &(usize, Vec<String>)| {
        let text = parts.join("\n");
        (*line, text.trim_end_matches(py_space).to_string())
    };
    let defaults: BTreeMap<String, (usize, String)> =
        defaults.iter().map(|(k, v)| (k.clone(), join(v))).collect();
    let mut out = Vec::with_capacity(sections.len());
    for (name, options) in &sections {
        let mut merged: BTreeMap<String, (usize, String)> =
            options.iter().map(|(k, v)| (k.clone(), join(v))).collect();
        for (k, v) in &defaults {
            merged.entry(k.clone()).or_insert_with(|| v.clone());
        }
        let mut section = Section::new();
        for (key, (line, text)) in merged {
            let value = if text.starts_with('\n') {
                Value::Nested(parse_nested(&text).ok_or_else(|| ParseError {
                    line,
                    kind: ParseErrorKind::NestedWithoutEquals {
                        section: name.clone(),
                        option: key.clone(),
                    },
                })?)
            } else {
                Value::Text(text)
            };
            section.insert(key, value);
        }
        out.push((name.clone(), section));
    }
    Ok(RawFile { sections: out })
}

fn options_of<'a>(
    defaults: &'a mut RawOptions,
    sections: &'a mut [(String, RawOptions)],
    target: Target,
) -> &'a mut RawOptions {
    match target {
        Target::Defaults => defaults,
        Target::Section(i) => &mut sections[i].1,
    }
}

/// Append a line to the value of option `name`.
fn push_line(
    defaults: &mut RawOptions,
    sections: &mut [(String, RawOptions)],
    target: Target,
    name: &str,
    line: String,
) {
    if let Some((_, parts)) = options_of(defaults, sections, target).get_mut(name) {
        parts.push(line);
    }
}

/// botocore's `_parse_nested`.
fn parse_nested(text: &str) -> Option<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for line in py_splitlines(text) {
        let line = py_strip(line);
        if line.is_empty() {
            continue;
        }
        let (k, v) = line.split_once('=')?;
        out.insert(py_strip(k).to_string(), py_strip(v).to_string());
    }
    Some(out)
}

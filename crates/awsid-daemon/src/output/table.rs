//! `--output table`: awscli's `TableFormatter` and `MultiTable` (its widths, centring,
//! Python's round-half-even scaling, nested sections with their indentation, and the vertical
//! layout when the table is wider than the terminal; 80 columns when stdout is not a
//! terminal).

use awsid_aws::pyfmt::py_str;
use awsid_aws::pyjson::PyValue;

const BLUE_BRIGHT: &str = "\x1b[1m\x1b[34m";
const DIM_YELLOW: &str = "\x1b[2m\x1b[33m";
const RESET: &str = "\x1b[0m";

/// Display width as awscli counts it: east-asian wide, full-width and ambiguous characters
/// count 2 (approximated by their main ranges).
fn text_len(s: &str) -> i64 {
    s.chars()
        .map(|c| {
            let u = c as u32;
            if (0x1100..=0x115F).contains(&u)
                || (0x2E80..=0xA4CF).contains(&u)
                || (0xAC00..=0xD7A3).contains(&u)
                || (0xF900..=0xFAFF).contains(&u)
                || (0xFF00..=0xFF60).contains(&u)
                || (0xFFE0..=0xFFE6).contains(&u)
                || u == 0xFFFD
            {
                2
            } else {
                1
            }
        })
        .sum()
}

#[derive(Default)]
struct Section {
    title: String,
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
    indent_level: i64,
    num_cols: Option<usize>,
    max_widths: Vec<i64>,
}

impl Section {
    fn update_widths(&mut self, row: &[String]) {
        if self.max_widths.is_empty() {
            self.max_widths = row.iter().map(|s| text_len(s)).collect();
        } else {
            for (i, s) in row.iter().enumerate() {
                if let Some(w) = self.max_widths.get_mut(i) {
                    *w = (*w).max(text_len(s));
                }
            }
        }
    }

    fn add_header(&mut self, headers: Vec<String>) {
        self.update_widths(&headers);
        if self.num_cols.is_none() {
            self.num_cols = Some(headers.len());
        }
        self.headers = headers;
    }

    fn add_row(&mut self, row: Vec<String>) -> Result<(), String> {
        let n = *self.num_cols.get_or_insert(row.len());
        if row.len() != n {
            return Err(format!(
                "Row should have {n} elements, instead it has {}",
                row.len()
            ));
        }
        self.update_widths(&row);
        self.rows.push(row);
        Ok(())
    }

    fn widths(&self, padding: i64, max_width: Option<i64>) -> Vec<i64> {
        let unscaled: Vec<i64> = self.max_widths.iter().map(|w| w + padding).collect();
        let Some(max_width) = max_width else {
            return unscaled;
        };
        if unscaled.is_empty() {
            return unscaled;
        }
        let scale = max_width as f64 / unscaled.iter().sum::<i64>() as f64;
        // Python's round(): ties to even.
        let mut scaled: Vec<i64> = unscaled
            .iter()
            .map(|w| (scale * *w as f64).round_ties_even() as i64)
            .collect();
        let mut off_by = scaled.iter().sum::<i64>() - max_width;
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
        scaled
    }

    fn total_width(&self, padding: i64, outer: i64) -> i64 {
        let total: i64 = self
            .widths(0, None)
            .iter()
            .map(|w| w + padding)
            .sum::<i64>()
            + 2;
        (text_len(&self.title) + 2 + 2 * outer).max(total + 2 * outer)
    }
}

fn spaces(n: i64) -> String {
    " ".repeat(n.max(0) as usize)
}

fn center(text: &str, len: i64, left: &str, right: &str, text_length: i64) -> String {
    let start = len.div_euclid(2) - text_length.div_euclid(2) - 1;
    let so_far = text_len(left) + start + text_length;
    let right_spaces = len - text_len(right) - so_far;
    format!(
        "{left}{}{text}{}{right}",
        spaces(start),
        spaces(right_spaces)
    )
}

fn align_left(text: &str, len: i64, left: &str, right: &str, text_length: i64) -> String {
    let computed = text_length + 2 + text_len(left) + text_len(right);
    let padding = if len - computed >= 0 { 2 } else { 0 };
    let so_far = left.chars().count() as i64 + padding + text_length;
    format!(
        "{left}{}{text}{}{right}",
        spaces(padding),
        spaces(len - so_far - right.chars().count() as i64)
    )
}

struct Table {
    sections: Vec<Section>,
    colour: bool,
}

impl Table {
    fn current(&mut self) -> Result<&mut Section, String> {
        self.sections
            .last_mut()
            .ok_or_else(|| "'NoneType' object has no attribute 'add_row'".to_string())
    }

    fn new_section(&mut self, title: &str, indent_level: i64) {
        self.sections.push(Section {
            title: title.to_string(),
            indent_level,
            ..Section::default()
        });
    }

    fn max_width(&self) -> i64 {
        self.sections
            .iter()
            .map(|s| s.total_width(4, s.indent_level))
            .max()
            .unwrap_or(0)
    }

    fn render(mut self, terminal: i64) -> String {
        let mut max_width = self.max_width();
        if max_width > terminal {
            for s in self.sections.iter_mut() {
                if s.rows.len() == 1 && !s.headers.is_empty() {
                    let headers = std::mem::take(&mut s.headers);
                    let row = s.rows.remove(0);
                    let mut vertical = Section {
                        title: std::mem::take(&mut s.title),
                        indent_level: s.indent_level,
                        ..Section::default()
                    };
                    for (h, v) in headers.into_iter().zip(row) {
                        let _ = vertical.add_row(vec![h, v]);
                    }
                    *s = vertical;
                }
            }
            max_width = self.max_width();
        }
        let mut out = "-".repeat(max_width.max(0) as usize);
        out.push('\n');
        if self.colour {
            out.push_str(RESET);
        }
        for s in &self.sections {
            self.section(s, max_width, &mut out);
        }
        out
    }

    fn section(&self, s: &Section, max_width: i64, out: &mut String) {
        let bar = if self.colour {
            format!("{DIM_YELLOW}|{RESET}")
        } else {
            "|".to_string()
        };
        let indent = bar.repeat(s.indent_level.max(0) as usize);
        // In colour, awscli writes through colorama with autoreset: every write (the left
        // indentation, the line, the right indentation, the newline) is followed by a reset.
        let reset = if self.colour { RESET } else { "" };
        let mut line = |text: String| {
            for part in [indent.as_str(), text.as_str(), indent.as_str(), "\n"] {
                out.push_str(part);
                out.push_str(reset);
            }
        };
        let max_width = max_width - s.indent_level * 2;
        if !s.title.is_empty() {
            line(center(&s.title, max_width, "|", "|", text_len(&s.title)));
            if s.headers.is_empty() && s.rows.is_empty() {
                line(format!("+{}+", "-".repeat((max_width - 2).max(0) as usize)));
            }
        }
        let line_break = |widths: &[i64]| {
            let mut l = String::new();
            for (i, w) in widths.iter().enumerate() {
                if i == 0 {
                    l.push_str(&format!("+{}+", "-".repeat((w - 2).max(0) as usize)));
                } else {
                    l.push_str(&format!("{}+", "-".repeat((w - 1).max(0) as usize)));
                }
            }
            l
        };
        if !s.headers.is_empty() {
            let widths = s.widths(4, Some(max_width));
            let mut current = String::new();
            for (i, (w, h)) in widths.iter().zip(&s.headers).enumerate() {
                current.push_str(&center(
                    h,
                    *w,
                    if i == 0 { "|" } else { "" },
                    "|",
                    text_len(h),
                ));
            }
            line(line_break(&widths));
            line(current);
        }
        if s.rows.is_empty() {
            return;
        }
        let widths = s.widths(4, Some(max_width));
        if widths.is_empty() {
            return;
        }
        line(line_break(&widths));
        for row in &s.rows {
            let mut current = String::new();
            for (i, (w, cell)) in widths.iter().zip(row).enumerate() {
                let styled = if self.colour {
                    format!("{BLUE_BRIGHT}{cell}{RESET}")
                } else {
                    cell.clone()
                };
                current.push_str(&align_left(
                    &styled,
                    *w,
                    if i == 0 { "|" } else { "" },
                    "|",
                    text_len(cell),
                ));
            }
            line(current);
        }
        line(line_break(&widths));
    }
}

fn is_scalar(v: &PyValue) -> bool {
    !matches!(v, PyValue::List(_) | PyValue::Dict(_))
}

/// Python's truth value (`if not current`).
fn truthy(v: &PyValue) -> bool {
    match v {
        PyValue::None => false,
        PyValue::Bool(b) => *b,
        PyValue::Int(d) => !d.trim_start_matches('-').trim_start_matches('0').is_empty(),
        PyValue::Float(f) => *f != 0.0,
        PyValue::Str(s) => !s.text.is_empty(),
        PyValue::List(l) => !l.is_empty(),
        PyValue::Dict(d) => !d.is_empty(),
    }
}

/// Python's `for element in current: current[element]` on a list element that is not a
/// dict: the error it raises, if any.
fn keys_of(v: &PyValue) -> Result<(), String> {
    let name = awsid_aws::pyfmt::type_name(v);
    match v {
        PyValue::Dict(_) => Ok(()),
        PyValue::Str(s) if s.text.is_empty() => Ok(()),
        PyValue::Str(_) => Err("string indices must be integers, not 'str'".into()),
        PyValue::List(l) => match l.first() {
            None => Ok(()),
            Some(first) => Err(format!(
                "list indices must be integers or slices, not {}",
                awsid_aws::pyfmt::type_name(first)
            )),
        },
        _ => Err(format!("'{name}' object is not iterable")),
    }
}

fn sorted_keys(v: &PyValue) -> (Vec<String>, Vec<String>) {
    let mut headers = Vec::new();
    let mut more = Vec::new();
    if let PyValue::Dict(pairs) = v {
        for (k, val) in pairs {
            if is_scalar(val) {
                headers.push(k.text.clone());
            } else {
                more.push(k.text.clone());
            }
        }
    }
    headers.sort();
    more.sort();
    (headers, more)
}

impl Table {
    fn build(
        &mut self,
        title: Option<&str>,
        current: &PyValue,
        indent: i64,
    ) -> Result<bool, String> {
        if !truthy(current) {
            return Ok(false);
        }
        if let Some(t) = title {
            self.new_section(t, indent);
        }
        match current {
            PyValue::List(items) => {
                if matches!(items[0], PyValue::Dict(_)) {
                    self.sub_table_from_list(items, indent, title)?;
                } else {
                    for item in items {
                        match item {
                            i if is_scalar(i) => self.current()?.add_row(vec![py_str(i)])?,
                            PyValue::List(inner) if inner.iter().all(is_scalar) => self
                                .current()?
                                .add_row(inner.iter().map(py_str).collect())?,
                            // Iterating a dict gives its keys, which are scalars.
                            PyValue::Dict(pairs) => self
                                .current()?
                                .add_row(pairs.iter().map(|(k, _)| k.text.clone()).collect())?,
                            other => {
                                self.build(None, other, 0)?;
                            }
                        }
                    }
                }
            }
            PyValue::Dict(_) => self.sub_table_from_dict(current, indent)?,
            _ => {}
        }
        Ok(true)
    }

    fn sub_table_from_dict(&mut self, current: &PyValue, indent: i64) -> Result<(), String> {
        let (headers, more) = sorted_keys(current);
        let get = |k: &str| current.get(k).map(py_str).unwrap_or_default();
        if headers.len() == 1 {
            let row = vec![headers[0].clone(), get(&headers[0])];
            self.current()?.add_row(row)?;
        } else if !headers.is_empty() {
            let row = headers.iter().map(|k| get(k)).collect();
            let s = self.current()?;
            s.add_header(headers);
            s.add_row(row)?;
        }
        for k in more {
            if let Some(v) = current.get(&k) {
                self.build(Some(&k), v, indent + 1)?;
            }
        }
        Ok(())
    }

    fn sub_table_from_list(
        &mut self,
        items: &[PyValue],
        indent: i64,
        title: Option<&str>,
    ) -> Result<(), String> {
        let mut headers: Vec<String> = Vec::new();
        let mut more: Vec<String> = Vec::new();
        for item in items {
            keys_of(item)?;
            let (h, m) = sorted_keys(item);
            headers.extend(h);
            more.extend(m);
        }
        headers.sort();
        headers.dedup();
        more.sort();
        more.dedup();
        self.current()?.add_header(headers.clone());
        for (i, element) in items.iter().enumerate() {
            if i > 0 && !more.is_empty() {
                self.new_section(title.unwrap_or(""), indent);
                self.current()?.add_header(headers.clone());
            }
            if !matches!(element, PyValue::Dict(_)) {
                return Err(format!(
                    "'{}' object has no attribute 'get'",
                    awsid_aws::pyfmt::type_name(element)
                ));
            }
            let row = headers
                .iter()
                .map(|h| element.get(h).map(py_str).unwrap_or_default())
                .collect();
            self.current()?.add_row(row)?;
            for k in &more {
                if let Some(v) = element.get(k) {
                    self.build(Some(k), v, indent + 1)?;
                }
            }
        }
        Ok(())
    }
}

/// The table for `value` under `title`, or nothing for a false value; an error in Python's
/// words where awscli's formatter fails.
pub fn format(
    title: &str,
    value: &PyValue,
    term_width: Option<u16>,
    colour: bool,
) -> Result<String, String> {
    let mut table = Table {
        sections: Vec::new(),
        colour,
    };
    if !table.build(Some(title), value, 0)? {
        return Ok(String::new());
    }
    Ok(table.render(term_width.map_or(80, i64::from)))
}

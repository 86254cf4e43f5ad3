//! What `whoami` prints for an answer: `--query` (JMESPath) applied to the CLI's response, then
//! `--output` json, text, table (as awscli formats them) or yaml / yaml-stream (CLI v2).
//!
//! Strings other than JSON's (which escapes them) have their control characters but tabs and
//! line feeds replaced first (see `render::sanitize`): a query's literal cannot paint the
//! terminal.

pub mod json;
pub mod query;
pub mod table;
pub mod text;
pub mod yaml;

use awsid_aws::pyjson::{PyStr, PyValue};

use crate::render::Format;
use crate::sanitize::{is_control, REPLACEMENT};

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colour {
    On,
    Off,
    /// Colour when stdout is a terminal.
    Auto,
}

/// The output formats `--output` accepts (CLI v2's list).
pub const OUTPUTS: &[&str] = &["json", "text", "table", "yaml", "yaml-stream"];

/// `response` after the query, in the output format; or the CLI's error text.
pub fn format(title: &str, response: &PyValue, fmt: &Format<'_>) -> Result<String, String> {
    let result = match fmt.query {
        Some(q) => q.search(response)?,
        None => response.clone(),
    };
    let empty_dict = matches!(&result, PyValue::Dict(d) if d.is_empty());
    Ok(match fmt.output {
        "json" if empty_dict => String::new(),
        "json" => json::indented(&result) + "\n",
        "text" => text::format(&clean(result))?,
        "table" => {
            let colour = match fmt.colour {
                Colour::On => true,
                Colour::Off => false,
                Colour::Auto => fmt.term_width.is_some(),
            };
            table::format(title, &clean(result), fmt.term_width, colour)?
        }
        "yaml" if empty_dict => String::new(),
        "yaml" => yaml::format(&clean(result)),
        "yaml-stream" => yaml::format(&PyValue::List(vec![clean(result)])),
        other => return Err(format!("Unknown output type: {other}")),
    })
}

/// The value with every control character (and line separator) in its strings replaced, but
/// tabs and line feeds (which print as the CLI prints them).
fn clean(v: PyValue) -> PyValue {
    let fix = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if (is_control(c) && c != '\t' && c != '\n') || matches!(c, '\u{2028}' | '\u{2029}')
                {
                    REPLACEMENT
                } else {
                    c
                }
            })
            .collect()
    };
    match v {
        PyValue::Str(s) => PyValue::str(fix(&s.text)),
        PyValue::List(items) => PyValue::List(items.into_iter().map(clean).collect()),
        PyValue::Dict(pairs) => PyValue::Dict(
            pairs
                .into_iter()
                .map(|(k, v)| (PyStr::new(fix(&k.text)), clean(v)))
                .collect(),
        ),
        other => other,
    }
}

//! Python's `json.dumps(indent=4, ensure_ascii=False)`, as `--output json` prints (JMESPath's
//! `to_string` uses `pyfmt::json_dumps_compact`).

use awsid_aws::pyfmt::dump_scalar;
use awsid_aws::pyjson::PyValue;

use crate::render::json_string;

/// `json.dumps(v, indent=4, ensure_ascii=False)`.
pub fn indented(v: &PyValue) -> String {
    let mut out = String::new();
    pretty(v, 0, &mut out);
    out
}

fn pretty(v: &PyValue, level: usize, out: &mut String) {
    if dump_scalar(v, out) {
        return;
    }
    let pad = |n: usize| "    ".repeat(n);
    match v {
        PyValue::Str(s) => out.push_str(&json_string(&s.text)),
        PyValue::List(items) if items.is_empty() => out.push_str("[]"),
        PyValue::Dict(pairs) if pairs.is_empty() => out.push_str("{}"),
        PyValue::List(items) => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(",\n");
                }
                out.push_str(&pad(level + 1));
                pretty(item, level + 1, out);
            }
            out.push('\n');
            out.push_str(&pad(level));
            out.push(']');
        }
        PyValue::Dict(pairs) => {
            out.push_str("{\n");
            for (i, (k, item)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push_str(",\n");
                }
                out.push_str(&pad(level + 1));
                out.push_str(&json_string(&k.text));
                out.push_str(": ");
                pretty(item, level + 1, out);
            }
            out.push('\n');
            out.push_str(&pad(level));
            out.push('}');
        }
        _ => {}
    }
}

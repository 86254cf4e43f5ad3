//! `--output text`: awscli's `text.format_text`.

use awsid_aws::pyfmt::py_str;
use awsid_aws::pyjson::PyValue;

/// The text, or the error awscli's formatter raises on a list mixing objects with other
/// values.
pub fn format(v: &PyValue) -> Result<String, String> {
    let mut out = String::new();
    item(v, None, None, &mut out)?;
    Ok(out)
}

fn is_scalar(v: &PyValue) -> bool {
    !matches!(v, PyValue::List(_) | PyValue::Dict(_))
}

fn item(
    v: &PyValue,
    identifier: Option<&str>,
    scalar_keys: Option<&[String]>,
    out: &mut String,
) -> Result<(), String> {
    match v {
        PyValue::Dict(_) => dict(scalar_keys, v, identifier, out),
        PyValue::List(items) => list(items, identifier, out),
        other => {
            out.push_str(&py_str(other));
            out.push('\n');
            Ok(())
        }
    }
}

fn list(items: &[PyValue], identifier: Option<&str>, out: &mut String) -> Result<(), String> {
    if items.is_empty() {
        return Ok(());
    }
    if items.iter().any(|e| matches!(e, PyValue::Dict(_))) {
        let keys = all_scalar_keys(items)?;
        for e in items {
            item(e, identifier, Some(&keys), out)?;
        }
    } else if items.iter().any(|e| matches!(e, PyValue::List(_))) {
        let (scalars, rest): (Vec<&PyValue>, Vec<&PyValue>) =
            items.iter().partition(|e| is_scalar(e));
        if !scalars.is_empty() {
            scalar_list(&scalars, identifier, out);
        }
        for e in rest {
            item(e, identifier, None, out)?;
        }
    } else {
        let all: Vec<&PyValue> = items.iter().collect();
        scalar_list(&all, identifier, out);
    }
    Ok(())
}

fn scalar_list(items: &[&PyValue], identifier: Option<&str>, out: &mut String) {
    match identifier {
        Some(id) => {
            for i in items {
                out.push_str(&format!("{}\t{}\n", id.to_uppercase(), py_str(i)));
            }
        }
        None => {
            let parts: Vec<String> = items.iter().map(|i| py_str(i)).collect();
            out.push_str(&parts.join("\t"));
            out.push('\n');
        }
    }
}

fn all_scalar_keys(items: &[PyValue]) -> Result<Vec<String>, String> {
    let mut keys: Vec<String> = Vec::new();
    for e in items {
        let PyValue::Dict(pairs) = e else {
            return Err(format!(
                "'{}' object has no attribute 'items'",
                awsid_aws::pyfmt::type_name(e)
            ));
        };
        for (k, v) in pairs {
            if is_scalar(v) && !keys.contains(&k.text) {
                keys.push(k.text.clone());
            }
        }
    }
    keys.sort();
    Ok(keys)
}

fn dict(
    scalar_keys: Option<&[String]>,
    v: &PyValue,
    identifier: Option<&str>,
    out: &mut String,
) -> Result<(), String> {
    let PyValue::Dict(pairs) = v else {
        return Ok(());
    };
    let mut scalars: Vec<String> = Vec::new();
    let mut rest: Vec<(&str, &PyValue)> = Vec::new();
    match scalar_keys {
        None => {
            let mut sorted: Vec<_> = pairs.iter().collect();
            sorted.sort_by(|a, b| a.0.text.cmp(&b.0.text));
            for (k, val) in sorted {
                if is_scalar(val) {
                    scalars.push(py_str(val));
                } else {
                    rest.push((&k.text, val));
                }
            }
        }
        Some(keys) => {
            for k in keys {
                scalars.push(v.get(k).map(py_str).unwrap_or_default());
            }
            let mut remaining: Vec<_> = pairs
                .iter()
                .filter(|(k, _)| !keys.contains(&k.text))
                .collect();
            remaining.sort_by(|a, b| a.0.text.cmp(&b.0.text));
            remaining.dedup_by(|a, b| a.0.text == b.0.text);
            rest.extend(remaining.into_iter().map(|(k, val)| (k.text.as_str(), val)));
        }
    }
    if !scalars.is_empty() {
        if let Some(id) = identifier {
            scalars.insert(0, id.to_uppercase());
        }
        out.push_str(&scalars.join("\t"));
        out.push('\n');
    }
    for (k, val) in rest {
        item(val, Some(k), None, out)?;
    }
    Ok(())
}

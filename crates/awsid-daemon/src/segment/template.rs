//! The segment template: `{field}` is replaced; `[ ... ]` shows its content only when every
//! field directly inside it is non-empty; `\{`, `\[`, `\]`, `\\` are literal characters.

/// Every field a template may name.
pub const FIELDS: &[&str] = &[
    "account",
    "account_id",
    "account_name",
    "alias",
    "principal",
    "role",
    "session",
    "user",
    "type",
    "arn",
    "user_id",
    "partition",
    "profile",
    "region",
    "expires_in",
    "state",
    "symbol",
];

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Text(String),
    Field(&'static str),
    Group(Vec<Node>),
}

/// Replaces control characters in the template's literal text (see `render::sanitize`).
pub fn sanitize(nodes: &mut [Node]) {
    for node in nodes {
        match node {
            Node::Text(t) => {
                if crate::render::has_control(t) {
                    *t = crate::render::sanitize(t).into_owned();
                }
            }
            Node::Group(inner) => sanitize(inner),
            Node::Field(_) => {}
        }
    }
}

/// Parses a template; unknown fields and unbalanced brackets are errors.
pub fn parse(format: &str) -> Result<Vec<Node>, String> {
    let mut chars = format.chars().peekable();
    let nodes = parse_seq(&mut chars, false)?;
    Ok(nodes)
}

pub fn check(format: &str) -> Result<(), String> {
    parse(format).map(|_| ())
}

fn parse_seq(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    in_group: bool,
) -> Result<Vec<Node>, String> {
    let mut nodes = Vec::new();
    let mut text = String::new();
    let flush = |text: &mut String, nodes: &mut Vec<Node>| {
        if !text.is_empty() {
            nodes.push(Node::Text(std::mem::take(text)));
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(n) => text.push(n),
                None => return Err("format ends with a lone backslash".into()),
            },
            '{' => {
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(n) => name.push(n),
                        None => return Err(format!("format: unclosed {{{name}")),
                    }
                }
                let field = FIELDS.iter().find(|f| **f == name).ok_or_else(|| {
                    format!(
                        "format: unknown field {{{name}}} (fields: {})",
                        FIELDS.join(", ")
                    )
                })?;
                flush(&mut text, &mut nodes);
                nodes.push(Node::Field(field));
            }
            '[' => {
                flush(&mut text, &mut nodes);
                nodes.push(Node::Group(parse_seq(chars, true)?));
            }
            ']' if in_group => {
                flush(&mut text, &mut nodes);
                return Ok(nodes);
            }
            ']' => return Err("format: ] without [".into()),
            c => text.push(c),
        }
    }
    if in_group {
        return Err("format: [ without ]".into());
    }
    flush(&mut text, &mut nodes);
    Ok(nodes)
}

/// Renders parsed nodes with `value(field)`.
pub fn render(nodes: &[Node], value: &dyn Fn(&str) -> String) -> String {
    let mut out = String::new();
    for node in nodes {
        match node {
            Node::Text(t) => out.push_str(t),
            Node::Field(f) => out.push_str(&value(f)),
            Node::Group(inner) => {
                let complete = inner.iter().all(|n| match n {
                    Node::Field(f) => !value(f).is_empty(),
                    _ => true,
                });
                if complete {
                    out.push_str(&render(inner, value));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(format: &str, pairs: &[(&str, &str)]) -> String {
        let nodes = parse(format).unwrap();
        render(&nodes, &|f| {
            pairs
                .iter()
                .find(|(k, _)| *k == f)
                .map(|(_, v)| v.to_string())
                .unwrap_or_default()
        })
    }

    #[test]
    fn fields_groups_and_escapes() {
        let f = "{account}[:{principal}][ ({expires_in})]";
        assert_eq!(
            r(f, &[("account", "prod"), ("principal", "admin")]),
            "prod:admin"
        );
        assert_eq!(
            r(f, &[("account", "prod"), ("expires_in", "5m")]),
            "prod (5m)"
        );
        assert_eq!(r("\\[{user}\\]", &[("user", "bob")]), "[bob]");
        assert_eq!(r("[a[{user}]b]", &[]), "ab");
    }

    #[test]
    fn errors() {
        assert!(parse("{nope}").unwrap_err().contains("unknown field"));
        assert!(parse("[{account}").is_err());
        assert!(parse("{account").is_err());
        assert!(parse("a]").is_err());
    }
}

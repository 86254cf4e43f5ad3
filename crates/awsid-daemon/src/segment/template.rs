//! The segment template: `{field}` is replaced; `[ ... ]` shows its content only when every
//! field directly inside it is non-empty; `\{`, `\[`, `\]`, `\\` are literal characters.

/// Declares the fields once: the enum, and the name a template writes for each.
macro_rules! fields {
    ($($variant:ident = $name:literal,)*) => {
        /// A field a template may name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Field {
            $($variant,)*
        }

        impl Field {
            /// Every field, in the documented order.
            pub const ALL: &'static [Field] = &[$(Field::$variant,)*];

            /// The name a template writes between braces.
            pub fn name(self) -> &'static str {
                match self {
                    $(Field::$variant => $name,)*
                }
            }
        }
    };
}

fields! {
    Account = "account",
    AccountId = "account_id",
    AccountName = "account_name",
    Alias = "alias",
    Principal = "principal",
    Role = "role",
    Session = "session",
    User = "user",
    Type = "type",
    Arn = "arn",
    UserId = "user_id",
    Partition = "partition",
    Profile = "profile",
    Region = "region",
    OtherRegion = "other_region",
    ExpiresIn = "expires_in",
    State = "state",
    Symbol = "symbol",
}

impl Field {
    fn named(name: &str) -> Option<Field> {
        Field::ALL.iter().copied().find(|f| f.name() == name)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Text(String),
    Field(Field),
    Group(Vec<Node>),
}

/// Replaces control characters in the template's literal text (see `render::sanitize`).
pub fn sanitize(nodes: &mut [Node]) {
    for node in nodes {
        match node {
            Node::Text(t) => {
                if crate::sanitize::has_control(t) {
                    *t = crate::sanitize::sanitize(t).into_owned();
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
                let field = Field::named(&name).ok_or_else(|| {
                    let names: Vec<&str> = Field::ALL.iter().map(|f| f.name()).collect();
                    format!(
                        "format: unknown field {{{name}}} (fields: {})",
                        names.join(", ")
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

/// One piece of a rendered segment: text, and whether it is the state's marker (drawn in the
/// state's style).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub text: String,
    pub marker: bool,
}

/// Renders parsed nodes with `value(field)`.
pub fn render(nodes: &[Node], value: &dyn Fn(Field) -> String) -> Vec<Piece> {
    let mut out = Vec::new();
    render_into(nodes, value, &mut out);
    out
}

fn render_into(nodes: &[Node], value: &dyn Fn(Field) -> String, out: &mut Vec<Piece>) {
    for node in nodes {
        match node {
            Node::Text(t) => out.push(Piece {
                text: t.clone(),
                marker: false,
            }),
            Node::Field(f) => out.push(Piece {
                text: value(*f),
                marker: *f == Field::State,
            }),
            Node::Group(inner) => {
                let complete = inner.iter().all(|n| match n {
                    Node::Field(f) => !value(*f).is_empty(),
                    _ => true,
                });
                if complete {
                    render_into(inner, value, out);
                }
            }
        }
    }
}

/// The pieces without the trailing white space of the whole, and without empty pieces.
pub fn trim_end(mut pieces: Vec<Piece>) -> Vec<Piece> {
    pieces.retain(|p| !p.text.is_empty());
    while let Some(last) = pieces.last_mut() {
        let kept = last.text.trim_end().len();
        last.text.truncate(kept);
        if !last.text.is_empty() {
            break;
        }
        pieces.pop();
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(format: &str, pairs: &[(&str, &str)]) -> String {
        let nodes = parse(format).unwrap();
        let pieces = render(&nodes, &|f| {
            pairs
                .iter()
                .find(|(k, _)| *k == f.name())
                .map(|(_, v)| v.to_string())
                .unwrap_or_default()
        });
        pieces.into_iter().map(|p| p.text).collect()
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
    fn every_field_parses_by_its_name_and_trailing_space_is_trimmed() {
        for f in Field::ALL {
            assert_eq!(
                parse(&format!("{{{}}}", f.name())).unwrap(),
                vec![Node::Field(*f)]
            );
        }
        let pieces = trim_end(render(&parse("{state} {account}").unwrap(), &|f| match f {
            Field::State => "!x ".into(),
            _ => String::new(),
        }));
        assert_eq!(
            pieces,
            vec![Piece {
                text: "!x".into(),
                marker: true
            }]
        );
    }

    #[test]
    fn errors() {
        assert!(parse("{nope}").unwrap_err().contains("unknown field"));
        assert!(parse("[{account}").is_err());
        assert!(parse("{account").is_err());
        assert!(parse("a]").is_err());
    }
}

//! `--query`: JMESPath as the AWS CLI evaluates it (the Python `jmespath` package).
//!
//! The expression is parsed by the JMESPath project's Rust crate; it is evaluated here, over
//! [`PyValue`]s, because the crate's objects are sorted maps while Python's keep their order
//! (`{b: Arn, a: Account}` and `@` print in the order the CLI prints them). Every rule below
//! is the Python interpreter's (`jmespath/visitor.py`, `functions.py`), with its error
//! messages.

use awsid_aws::pyfmt::{self, py_str};
use awsid_aws::pyjson::{self, PyStr, PyValue};
use jmespath::ast::{Ast, Comparator};

/// A compiled `--query`.
pub struct Query {
    expression: String,
    ast: Ast,
}

/// The CLI's message for a query it cannot compile (`Bad value for --query …`).
pub fn compile(expression: &str) -> Result<Query, String> {
    let bad = |detail: String| format!("Bad value for --query {expression}: {detail}");
    if expression.is_empty() {
        return Err(bad("Invalid JMESPath expression: cannot be empty.".into()));
    }
    match jmespath::parse(expression) {
        Ok(ast) => Ok(Query {
            expression: expression.to_string(),
            ast,
        }),
        Err(e) => {
            let chars = expression.chars().count();
            let reason = match &e.reason {
                jmespath::ErrorReason::Parse(r) => r.clone(),
                other => other.to_string(),
            };
            // Python's lexer errors put the caret under the offending character; its parser's
            // one to the right (the expression is printed in quotes there).
            if let Some(lexer) = lexer_message(&reason) {
                return Err(bad(format!(
                    "Bad jmespath expression: {lexer}:\n{expression}\n{}^",
                    " ".repeat(e.offset)
                )));
            }
            if e.offset >= chars {
                Err(bad(format!(
                    "Invalid jmespath expression: Incomplete expression:\n\"{expression}\"\n{}^",
                    " ".repeat(chars + 1)
                )))
            } else {
                Err(bad(format!(
                    "Invalid jmespath expression: Parse error at column {}, {reason}, for \
                     expression:\n\"{expression}\"\n{}^",
                    e.offset,
                    " ".repeat(e.offset + 1)
                )))
            }
        }
    }
}

/// The crate's lexer errors, in the words of Python's lexer.
fn lexer_message(reason: &str) -> Option<String> {
    if let Some(rest) = reason.strip_prefix("Unclosed ") {
        let wrapper = rest.chars().next()?;
        return Some(format!("Unclosed {wrapper} delimiter"));
    }
    if let Some(c) = reason.strip_prefix("Invalid character: ") {
        return Some(format!("Unknown token {c}"));
    }
    if reason.starts_with("'=' is not valid") {
        return Some("Unknown token '='".into());
    }
    None
}

/// A runtime error, in Python's words (the CLI prints the exception's text).
pub type Failed = String;

enum Val<'a> {
    Data(PyValue),
    /// `&expr`, only meaningful as a function argument.
    Expref(&'a Ast),
}

impl Query {
    pub fn search(&self, data: &PyValue) -> Result<PyValue, Failed> {
        match self.eval(&self.ast, data)? {
            Val::Data(v) => Ok(v),
            Val::Expref(_) => Err("Object of type _Expression is not JSON serializable".into()),
        }
    }

    fn data(&self, ast: &Ast, value: &PyValue) -> Result<PyValue, Failed> {
        match self.eval(ast, value)? {
            Val::Data(v) => Ok(v),
            // Python would carry the _Expression object on; nothing the CLI prints uses it.
            Val::Expref(_) => Ok(PyValue::None),
        }
    }

    fn eval<'a>(&'a self, ast: &'a Ast, value: &PyValue) -> Result<Val<'a>, Failed> {
        let v = match ast {
            Ast::Identity { .. } => value.clone(),
            Ast::Field { name, .. } => field(value, name),
            Ast::Subexpr { lhs, rhs, .. } => {
                let left = self.data(lhs, value)?;
                return self.eval(rhs, &left);
            }
            Ast::Index { idx, .. } => match value {
                PyValue::List(items) => {
                    let n = items.len() as i64;
                    let i = i64::from(*idx);
                    let i = if i < 0 { n + i } else { i };
                    if (0..n).contains(&i) {
                        items[i as usize].clone()
                    } else {
                        PyValue::None
                    }
                }
                _ => PyValue::None,
            },
            Ast::Slice {
                start, stop, step, ..
            } => match value {
                PyValue::List(items) => {
                    if *step == 0 {
                        return Err("slice step cannot be zero".into());
                    }
                    PyValue::List(slice(items, *start, *stop, *step))
                }
                _ => PyValue::None,
            },
            Ast::Literal { offset, value: lit } => literal(&self.expression, *offset, lit),
            Ast::MultiList { elements, .. } => {
                if matches!(value, PyValue::None) {
                    PyValue::None
                } else {
                    let mut out = Vec::with_capacity(elements.len());
                    for e in elements {
                        out.push(self.data(e, value)?);
                    }
                    PyValue::List(out)
                }
            }
            Ast::MultiHash { elements, .. } => {
                if matches!(value, PyValue::None) {
                    PyValue::None
                } else {
                    let mut out: Vec<(PyStr, PyValue)> = Vec::with_capacity(elements.len());
                    for kv in elements {
                        let v = self.data(&kv.value, value)?;
                        insert(&mut out, &kv.key, v);
                    }
                    PyValue::Dict(out)
                }
            }
            Ast::Projection { lhs, rhs, .. } => {
                let base = self.data(lhs, value)?;
                match base {
                    PyValue::List(items) => {
                        let mut out = Vec::new();
                        for item in &items {
                            let v = self.data(rhs, item)?;
                            if !matches!(v, PyValue::None) {
                                out.push(v);
                            }
                        }
                        PyValue::List(out)
                    }
                    _ => PyValue::None,
                }
            }
            Ast::ObjectValues { node, .. } => match self.data(node, value)? {
                PyValue::Dict(pairs) => PyValue::List(pairs.into_iter().map(|(_, v)| v).collect()),
                _ => PyValue::None,
            },
            Ast::Flatten { node, .. } => match self.data(node, value)? {
                PyValue::List(items) => {
                    let mut out = Vec::new();
                    for item in items {
                        match item {
                            PyValue::List(inner) => out.extend(inner),
                            other => out.push(other),
                        }
                    }
                    PyValue::List(out)
                }
                _ => PyValue::None,
            },
            Ast::Condition {
                predicate, then, ..
            } => {
                if is_true(&self.data(predicate, value)?) {
                    return self.eval(then, value);
                }
                PyValue::None
            }
            Ast::Comparison {
                comparator,
                lhs,
                rhs,
                ..
            } => {
                let l = self.data(lhs, value)?;
                let r = self.data(rhs, value)?;
                compare(comparator, &l, &r)?
            }
            Ast::And { lhs, rhs, .. } => {
                let l = self.data(lhs, value)?;
                if !is_true(&l) {
                    l
                } else {
                    self.data(rhs, value)?
                }
            }
            Ast::Or { lhs, rhs, .. } => {
                let l = self.data(lhs, value)?;
                if is_true(&l) {
                    l
                } else {
                    self.data(rhs, value)?
                }
            }
            Ast::Not { node, .. } => {
                let v = self.data(node, value)?;
                // `!0` is false: 0 is not false in JMESPath.
                let zero = matches!(num(&v), Some(n) if n.is_zero());
                PyValue::Bool(!zero && !py_truthy(&v))
            }
            Ast::Expref { ast, .. } => return Ok(Val::Expref(ast)),
            Ast::Function { name, args, .. } => {
                let mut resolved = Vec::with_capacity(args.len());
                for a in args {
                    resolved.push(self.eval(a, value)?);
                }
                self.call(name, resolved)?
            }
        };
        Ok(Val::Data(v))
    }
}

fn field(value: &PyValue, name: &str) -> PyValue {
    value.get(name).cloned().unwrap_or(PyValue::None)
}

/// `d[key] = v`: a repeated key keeps its place and takes the new value.
fn insert(pairs: &mut Vec<(PyStr, PyValue)>, key: &str, v: PyValue) {
    match pairs.iter_mut().find(|(k, _)| k.text == key) {
        Some((_, old)) => *old = v,
        None => pairs.push((PyStr::new(key), v)),
    }
}

/// A literal as Python's lexer reads it: the source text between the backticks, `\``
/// unescaped, through `json.loads` (keeps object order; falls back to a string, as
/// the deprecated form does). Raw strings `'…'` come from the crate.
fn literal(expression: &str, offset: usize, parsed: &jmespath::Rcvar) -> PyValue {
    let rest: String = expression.chars().skip(offset).collect();
    if let Some(body) = rest.strip_prefix('`') {
        let mut text = String::new();
        let mut chars = body.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' if chars.peek() == Some(&'`') => {
                    text.push('`');
                    chars.next();
                }
                '`' => break,
                c => text.push(c),
            }
        }
        if let Ok(v) = pyjson::loads(text.trim_start()) {
            return v;
        }
        return PyValue::str(text);
    }
    from_variable(parsed)
}

fn from_variable(v: &jmespath::Variable) -> PyValue {
    use jmespath::Variable as V;
    match v {
        V::Null | V::Expref(_) => PyValue::None,
        V::Bool(b) => PyValue::Bool(*b),
        V::String(s) => PyValue::str(s.clone()),
        V::Number(n) => match n.as_i64() {
            Some(i) => PyValue::Int(i.to_string()),
            None => PyValue::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        V::Array(items) => PyValue::List(items.iter().map(|i| from_variable(i)).collect()),
        V::Object(m) => PyValue::Dict(
            m.iter()
                .map(|(k, v)| (PyStr::new(k.clone()), from_variable(v)))
                .collect(),
        ),
    }
}

/// Python's slice of a list.
fn slice(items: &[PyValue], start: Option<i32>, stop: Option<i32>, step: i32) -> Vec<PyValue> {
    let len = items.len() as i64;
    let step = i64::from(step);
    let clamp = |i: Option<i32>, default: i64| -> i64 {
        match i {
            None => default,
            Some(i) => {
                let i = i64::from(i);
                let i = if i < 0 { i + len } else { i };
                if step > 0 {
                    i.clamp(0, len)
                } else {
                    i.clamp(-1, len - 1)
                }
            }
        }
    };
    let (start, stop) = if step > 0 {
        (clamp(start, 0), clamp(stop, len))
    } else {
        (clamp(start, len - 1), clamp(stop, -1))
    };
    let mut out = Vec::new();
    let mut i = start;
    while (step > 0 && i < stop) || (step < 0 && i > stop) {
        out.push(items[i as usize].clone());
        i += step;
    }
    out
}

/// A number as Python holds it.
#[derive(Clone, Copy, PartialEq, PartialOrd)]
enum Num {
    Int(i128),
    Float(f64),
}

impl Num {
    fn f(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
    }
    fn is_zero(self) -> bool {
        self.f() == 0.0
    }
    fn value(self) -> PyValue {
        match self {
            Num::Int(i) => PyValue::Int(i.to_string()),
            Num::Float(f) => PyValue::Float(f),
        }
    }
    fn cmp(self, other: Num) -> Option<std::cmp::Ordering> {
        match (self, other) {
            (Num::Int(a), Num::Int(b)) => Some(a.cmp(&b)),
            (a, b) => a.f().partial_cmp(&b.f()),
        }
    }
}

fn num(v: &PyValue) -> Option<Num> {
    match v {
        PyValue::Int(d) => Some(
            d.parse::<i128>()
                .map(Num::Int)
                .unwrap_or_else(|_| Num::Float(d.parse().unwrap_or(f64::INFINITY))),
        ),
        PyValue::Float(f) => Some(Num::Float(*f)),
        _ => None,
    }
}

/// Python's `bool(v)`.
fn py_truthy(v: &PyValue) -> bool {
    match v {
        PyValue::None => false,
        PyValue::Bool(b) => *b,
        PyValue::Int(_) | PyValue::Float(_) => num(v).is_some_and(|n| !n.is_zero()),
        PyValue::Str(s) => !s.text.is_empty(),
        PyValue::List(l) => !l.is_empty(),
        PyValue::Dict(d) => !d.is_empty(),
    }
}

/// JMESPath truth: false, null, "", [] and {} are false; 0 is true.
fn is_true(v: &PyValue) -> bool {
    match v {
        PyValue::None | PyValue::Bool(false) => false,
        PyValue::Str(s) => !s.text.is_empty(),
        PyValue::List(l) => !l.is_empty(),
        PyValue::Dict(d) => !d.is_empty(),
        // Python's `0 == False`: only the value `False` itself is false, but `value == ''`…
        // never hold for numbers.
        _ => true,
    }
}

/// Python's `==` (where `True == 1` and `1 == 1.0`).
fn py_eq(a: &PyValue, b: &PyValue) -> bool {
    let as_num = |v: &PyValue| match v {
        PyValue::Bool(b) => Some(Num::Int(i128::from(*b))),
        other => num(other),
    };
    match (a, b) {
        (PyValue::None, PyValue::None) => true,
        (PyValue::Str(x), PyValue::Str(y)) => x.text == y.text,
        (PyValue::List(x), PyValue::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| py_eq(p, q))
        }
        (PyValue::Dict(x), PyValue::Dict(y)) => {
            x.len() == y.len()
                && x.iter().all(|(k, v)| {
                    y.iter()
                        .find(|(k2, _)| k2.text == k.text)
                        .is_some_and(|(_, v2)| py_eq(v, v2))
                })
        }
        _ => match (as_num(a), as_num(b)) {
            (Some(x), Some(y)) => x.cmp(y) == Some(std::cmp::Ordering::Equal),
            _ => false,
        },
    }
}

/// JMESPath's equality: 0 and 1 never equal a boolean.
fn jp_eq(a: &PyValue, b: &PyValue) -> bool {
    let special = |x: &PyValue, y: &PyValue| {
        num(x).is_some_and(|n| n.f() == 0.0 || n.f() == 1.0) && matches!(y, PyValue::Bool(_))
    };
    if special(a, b) || special(b, a) {
        return false;
    }
    py_eq(a, b)
}

fn type_name(v: &PyValue) -> &'static str {
    pyfmt::type_name(v)
}

fn compare(op: &Comparator, l: &PyValue, r: &PyValue) -> Result<PyValue, Failed> {
    use std::cmp::Ordering::*;
    let ord = match op {
        Comparator::Equal => return Ok(PyValue::Bool(jp_eq(l, r))),
        Comparator::NotEqual => return Ok(PyValue::Bool(!jp_eq(l, r))),
        _ => {
            let comparable = |v: &PyValue| matches!(v, PyValue::Str(_)) || num(v).is_some();
            if !(comparable(l) && comparable(r)) {
                return Ok(PyValue::None);
            }
            match (l, r) {
                (PyValue::Str(a), PyValue::Str(b)) => Some(a.text.cmp(&b.text)),
                (PyValue::Str(_), _) | (_, PyValue::Str(_)) => {
                    let sym = match op {
                        Comparator::LessThan => "<",
                        Comparator::LessThanEqual => "<=",
                        Comparator::GreaterThan => ">",
                        _ => ">=",
                    };
                    return Err(format!(
                        "'{sym}' not supported between instances of '{}' and '{}'",
                        type_name(l),
                        type_name(r)
                    ));
                }
                _ => num(l).and_then(|a| num(r).and_then(|b| a.cmp(b))),
            }
        }
    };
    let Some(ord) = ord else {
        return Ok(PyValue::Bool(false)); // NaN compares false
    };
    Ok(PyValue::Bool(match op {
        Comparator::LessThan => ord == Less,
        Comparator::LessThanEqual => ord != Greater,
        Comparator::GreaterThan => ord == Greater,
        _ => ord != Less,
    }))
}

/// The JMESPath type of a Python type name (`TYPES_MAP`).
fn jp_type(py: &str) -> &'static str {
    match py {
        "bool" => "boolean",
        "list" => "array",
        "dict" => "object",
        "NoneType" => "null",
        "str" => "string",
        "float" | "int" => "number",
        "_Expression" => "expref",
        _ => "unknown",
    }
}

fn val_type(v: &Val<'_>) -> &'static str {
    match v {
        Val::Data(d) => type_name(d),
        Val::Expref(_) => "_Expression",
    }
}

/// `str(value)` of a function argument in a type error.
fn shown(v: &Val<'_>) -> String {
    match v {
        Val::Data(d) => py_str(d),
        Val::Expref(_) => "<jmespath.visitor._Expression object>".into(),
    }
}

fn type_error(function: &str, value: &Val<'_>, actual: &str, expected: &[&str]) -> Failed {
    let expected: Vec<String> = expected.iter().map(|t| pyfmt::str_repr(t)).collect();
    format!(
        "In function {function}(), invalid type for value: {}, expected one of: [{}], \
         received: \"{actual}\"",
        shown(value),
        expected.join(", ")
    )
}

/// The signature of each function: argument types, and whether the last is variadic.
fn signature(name: &str) -> Option<(&'static [&'static [&'static str]], bool)> {
    const ANY: &[&str] = &[];
    Some(match name {
        "abs" | "ceil" | "floor" => (&[&["number"]], false),
        "avg" | "sum" => (&[&["array-number"]], false),
        "not_null" => (&[ANY], true),
        "to_array" | "to_string" | "to_number" | "type" => (&[ANY], false),
        "contains" => (&[&["array", "string"], ANY], false),
        "length" => (&[&["string", "array", "object"]], false),
        "ends_with" | "starts_with" => (&[&["string"], &["string"]], false),
        "reverse" => (&[&["array", "string"]], false),
        "join" => (&[&["string"], &["array-string"]], false),
        "map" => (&[&["expref"], &["array"]], false),
        "max" | "min" => (&[&["array-number", "array-string"]], false),
        "merge" => (&[&["object"]], true),
        "sort" => (&[&["array-string", "array-number"]], false),
        "keys" | "values" => (&[&["object"]], false),
        "sort_by" | "min_by" | "max_by" => (&[&["array"], &["expref"]], false),
        _ => return None,
    })
}

/// Python's `_type_check_single`, with its subtype rules.
fn check_type(function: &str, arg: &Val<'_>, types: &[&str]) -> Result<(), Failed> {
    let py = val_type(arg);
    let mut allowed: Vec<&str> = Vec::new();
    let mut subtypes: Vec<&str> = Vec::new();
    for t in types {
        let (base, sub) = match t.split_once('-') {
            Some((b, s)) => (b, Some(s)),
            None => (*t, None),
        };
        allowed.push(base);
        subtypes.extend(sub);
    }
    if !allowed.contains(&jp_type(py)) || (jp_type(py) == "expref") != allowed.contains(&"expref") {
        return Err(type_error(function, arg, jp_type(py), types));
    }
    let Val::Data(PyValue::List(items)) = arg else {
        return Ok(());
    };
    match subtypes.as_slice() {
        [] => Ok(()),
        [one] => {
            for item in items {
                let t = type_name(item);
                if jp_type(t) != *one {
                    return Err(type_error(function, &Val::Data(item.clone()), t, types));
                }
            }
            Ok(())
        }
        many => {
            let Some(first) = items.first() else {
                return Ok(());
            };
            let t = jp_type(type_name(first));
            if !many.contains(&t) {
                return Err(type_error(
                    function,
                    &Val::Data(first.clone()),
                    type_name(first),
                    types,
                ));
            }
            for item in items {
                if jp_type(type_name(item)) != t {
                    return Err(type_error(
                        function,
                        &Val::Data(item.clone()),
                        type_name(item),
                        types,
                    ));
                }
            }
            Ok(())
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        "argument"
    } else {
        "arguments"
    }
}

impl Query {
    fn call(&self, name: &str, args: Vec<Val<'_>>) -> Result<PyValue, Failed> {
        let Some((sig, variadic)) = signature(name) else {
            return Err(format!("Unknown function: {name}()"));
        };
        if variadic && args.len() < sig.len() {
            return Err(format!(
                "Expected at least {} {} for function {name}(), received {}",
                sig.len(),
                plural(sig.len()),
                args.len()
            ));
        }
        if !variadic && args.len() != sig.len() {
            return Err(format!(
                "Expected {} {} for function {name}(), received {}",
                sig.len(),
                plural(sig.len()),
                args.len()
            ));
        }
        for (arg, types) in args.iter().zip(sig.iter()) {
            if !types.is_empty() {
                check_type(name, arg, types)?;
            }
        }
        let mut data: Vec<PyValue> = Vec::new();
        let mut exprefs: Vec<&Ast> = Vec::new();
        for a in args {
            match a {
                Val::Data(d) => data.push(d),
                Val::Expref(e) => exprefs.push(e),
            }
        }
        let arg = |i: usize| data.get(i).cloned().unwrap_or(PyValue::None);
        let text = |v: &PyValue| match v {
            PyValue::Str(s) => s.text.clone(),
            _ => String::new(),
        };
        let list = |v: PyValue| match v {
            PyValue::List(l) => l,
            _ => Vec::new(),
        };
        Ok(match name {
            "abs" => match num(&arg(0)) {
                Some(Num::Int(i)) => Num::Int(i.abs()).value(),
                Some(Num::Float(f)) => PyValue::Float(f.abs()),
                None => PyValue::None,
            },
            "ceil" | "floor" => match num(&arg(0)) {
                Some(Num::Float(f)) if f.is_finite() => {
                    let r = if name == "ceil" { f.ceil() } else { f.floor() };
                    PyValue::Int(format!("{r:.0}"))
                }
                Some(Num::Float(_)) => {
                    return Err("cannot convert float infinity to integer".into());
                }
                Some(n) => n.value(),
                None => PyValue::None,
            },
            "avg" => {
                let items = list(arg(0));
                if items.is_empty() {
                    PyValue::None
                } else {
                    let total = sum(&items);
                    PyValue::Float(total.f() / items.len() as f64)
                }
            }
            "sum" => sum(&list(arg(0))).value(),
            "not_null" => data
                .into_iter()
                .find(|v| !matches!(v, PyValue::None))
                .unwrap_or(PyValue::None),
            "to_array" => match arg(0) {
                PyValue::List(l) => PyValue::List(l),
                other => PyValue::List(vec![other]),
            },
            "to_string" => match arg(0) {
                PyValue::Str(s) => PyValue::Str(s),
                other => PyValue::str(pyfmt::json_dumps_compact(&other)),
            },
            "to_number" => match arg(0) {
                v @ (PyValue::Int(_) | PyValue::Float(_)) => v,
                PyValue::Str(s) => to_number(&s.text),
                _ => PyValue::None,
            },
            "type" => PyValue::str(jp_type(type_name(&arg(0)))),
            "contains" => match (arg(0), arg(1)) {
                (PyValue::Str(s), PyValue::Str(needle)) => {
                    PyValue::Bool(s.text.contains(needle.text.as_str()))
                }
                (PyValue::Str(_), other) => {
                    return Err(format!(
                        "'in <string>' requires string as left operand, not {}",
                        type_name(&other)
                    ));
                }
                (PyValue::List(items), needle) => {
                    PyValue::Bool(items.iter().any(|i| py_eq(i, &needle)))
                }
                _ => PyValue::None,
            },
            "length" => PyValue::Int(
                match arg(0) {
                    PyValue::Str(s) => s.text.chars().count(),
                    PyValue::List(l) => l.len(),
                    PyValue::Dict(d) => d.len(),
                    _ => 0,
                }
                .to_string(),
            ),
            "ends_with" => PyValue::Bool(text(&arg(0)).ends_with(&text(&arg(1)))),
            "starts_with" => PyValue::Bool(text(&arg(0)).starts_with(&text(&arg(1)))),
            "reverse" => match arg(0) {
                PyValue::Str(s) => PyValue::str(s.text.chars().rev().collect::<String>()),
                PyValue::List(mut l) => {
                    l.reverse();
                    PyValue::List(l)
                }
                _ => PyValue::None,
            },
            "join" => {
                let sep = text(&arg(0));
                let parts: Vec<String> = list(arg(1)).iter().map(text).collect();
                PyValue::str(parts.join(&sep))
            }
            "map" => {
                let mut out = Vec::new();
                for item in list(arg(0)) {
                    out.push(self.data(exprefs[0], &item)?);
                }
                PyValue::List(out)
            }
            "max" | "min" => {
                let items = list(arg(0));
                let mut best: Option<PyValue> = None;
                for item in items {
                    let better = match &best {
                        None => true,
                        Some(b) => {
                            let ord = order(&item, b);
                            if name == "max" {
                                ord == std::cmp::Ordering::Greater
                            } else {
                                ord == std::cmp::Ordering::Less
                            }
                        }
                    };
                    if better {
                        best = Some(item);
                    }
                }
                best.unwrap_or(PyValue::None)
            }
            "merge" => {
                let mut out: Vec<(PyStr, PyValue)> = Vec::new();
                for d in data {
                    if let PyValue::Dict(pairs) = d {
                        for (k, v) in pairs {
                            insert(&mut out, &k.text, v);
                        }
                    }
                }
                PyValue::Dict(out)
            }
            "sort" => {
                let mut items = list(arg(0));
                items.sort_by(order);
                PyValue::List(items)
            }
            "keys" | "values" => match arg(0) {
                PyValue::Dict(pairs) => PyValue::List(
                    pairs
                        .into_iter()
                        .map(|(k, v)| if name == "keys" { PyValue::Str(k) } else { v })
                        .collect(),
                ),
                _ => PyValue::None,
            },
            "sort_by" | "min_by" | "max_by" => self.by(name, list(arg(0)), exprefs[0])?,
            _ => return Err(format!("Unknown function: {name}()")),
        })
    }

    /// `sort_by`, `min_by`, `max_by`: keys must be all numbers or all strings.
    fn by(&self, name: &str, items: Vec<PyValue>, expr: &Ast) -> Result<PyValue, Failed> {
        if items.is_empty() {
            return Ok(if name == "sort_by" {
                PyValue::List(items)
            } else {
                PyValue::None
            });
        }
        let mut keyed = Vec::with_capacity(items.len());
        let allowed: &[&str] = &["number", "string"];
        let required = if name == "sort_by" {
            let first = self.data(expr, &items[0])?;
            let t = jp_type(type_name(&first));
            if !allowed.contains(&t) {
                return Err(type_error(
                    "sort_by",
                    &Val::Data(items[0].clone()),
                    t,
                    &["string", "number"],
                ));
            }
            Some(t)
        } else {
            None
        };
        for item in items {
            let key = self.data(expr, &item)?;
            let t = jp_type(type_name(&key));
            let ok = match required {
                Some(r) => t == r,
                None => allowed.contains(&t),
            };
            if !ok {
                let expected: &[&str] = match required {
                    Some("number") => &["number"],
                    Some(_) => &["string"],
                    None => allowed,
                };
                return Err(type_error(name, &Val::Data(key), t, expected));
            }
            keyed.push((key, item));
        }
        for w in keyed.windows(2) {
            if matches!(w[0].0, PyValue::Str(_)) != matches!(w[1].0, PyValue::Str(_)) {
                return Err(format!(
                    "'<' not supported between instances of '{}' and '{}'",
                    type_name(&w[1].0),
                    type_name(&w[0].0)
                ));
            }
        }
        Ok(match name {
            "sort_by" => {
                keyed.sort_by(|a, b| order(&a.0, &b.0));
                PyValue::List(keyed.into_iter().map(|(_, v)| v).collect())
            }
            _ => {
                let mut best = 0;
                for i in 1..keyed.len() {
                    let ord = order(&keyed[i].0, &keyed[best].0);
                    let better = if name == "max_by" {
                        ord == std::cmp::Ordering::Greater
                    } else {
                        ord == std::cmp::Ordering::Less
                    };
                    if better {
                        best = i;
                    }
                }
                keyed.swap_remove(best).1
            }
        })
    }
}

/// The order Python's `<` gives numbers and strings (checked to be of one kind).
fn order(a: &PyValue, b: &PyValue) -> std::cmp::Ordering {
    match (a, b) {
        (PyValue::Str(x), PyValue::Str(y)) => x.text.cmp(&y.text),
        _ => match (num(a), num(b)) {
            (Some(x), Some(y)) => x.cmp(y).unwrap_or(std::cmp::Ordering::Equal),
            _ => std::cmp::Ordering::Equal,
        },
    }
}

fn sum(items: &[PyValue]) -> Num {
    let mut total = Num::Int(0);
    for n in items.iter().filter_map(num) {
        total = match (total, n) {
            (Num::Int(a), Num::Int(b)) => a
                .checked_add(b)
                .map(Num::Int)
                .unwrap_or(Num::Float(a as f64 + b as f64)),
            (a, b) => Num::Float(a.f() + b.f()),
        };
    }
    total
}

/// Python's `int(s)`, else `float(s)`, else None.
fn to_number(s: &str) -> PyValue {
    let t = s.trim();
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    let int_like = !digits.is_empty()
        && !digits.starts_with('_')
        && !digits.ends_with('_')
        && !digits.contains("__")
        && digits.chars().all(|c| c.is_ascii_digit() || c == '_');
    if int_like {
        let clean: String = t.chars().filter(|c| *c != '_' && *c != '+').collect();
        if let Ok(i) = clean.parse::<i128>() {
            return PyValue::Int(i.to_string());
        }
        return PyValue::Int(clean.trim_start_matches('-').to_string()); // huge: digits as is
    }
    let lower = t.to_ascii_lowercase();
    let special = [
        "inf",
        "+inf",
        "-inf",
        "infinity",
        "+infinity",
        "-infinity",
        "nan",
        "+nan",
        "-nan",
    ];
    if special.contains(&lower.as_str())
        || t.chars()
            .all(|c| c.is_ascii_digit() || "+-._eE".contains(c))
    {
        if let Ok(f) = t.replace('_', "").parse::<f64>() {
            return PyValue::Float(f);
        }
    }
    PyValue::None
}

#[cfg(test)]
mod tests {
    use super::*;
    use awsid_aws::pyfmt::py_repr;

    fn identity() -> PyValue {
        PyValue::Dict(vec![
            (PyStr::new("UserId"), PyValue::str("AIDAEXAMPLE")),
            (PyStr::new("Account"), PyValue::str("123456789012")),
            (
                PyStr::new("Arn"),
                PyValue::str("arn:aws:iam::123456789012:user/moto"),
            ),
        ])
    }

    fn q(expr: &str) -> String {
        match compile(expr).and_then(|q| q.search(&identity())) {
            Ok(v) => py_repr(&v),
            Err(e) => format!("ERR {e}"),
        }
    }

    #[test]
    fn order_is_kept_as_python_keeps_it() {
        assert_eq!(
            q("{b: Arn, a: Account}"),
            "{'b': 'arn:aws:iam::123456789012:user/moto', 'a': '123456789012'}"
        );
        assert_eq!(q("keys(@)"), "['UserId', 'Account', 'Arn']");
        assert_eq!(
            q("*"),
            "['AIDAEXAMPLE', '123456789012', 'arn:aws:iam::123456789012:user/moto']"
        );
        assert_eq!(
            q("merge(@, `{\"z\": 1, \"Account\": 2}`) | keys(@)"),
            "['UserId', 'Account', 'Arn', 'z']"
        );
    }

    #[test]
    fn python_semantics() {
        assert_eq!(q("[Account, Nope]"), "['123456789012', None]");
        assert_eq!(q("length(Arn)"), "35");
        assert_eq!(q("`1` == `true`"), "False");
        assert_eq!(q("!`0`"), "False");
        assert_eq!(q("avg(`[1, 2]`)"), "1.5");
        assert_eq!(q("sum(`[1, 2]`)"), "3");
        assert_eq!(q("to_number('12')"), "12");
        assert_eq!(q("to_string(`[1, \"é\"]`)"), "'[1,\"\\\\u00e9\"]'");
        assert_eq!(q("`[1,2,3,4]`[::-2]"), "[4, 2]");
        assert_eq!(
            q("Account > `5`"),
            "ERR '>' not supported between instances of 'str' and 'int'"
        );
        assert_eq!(
            q("length(`1`)"),
            "ERR In function length(), invalid type for value: 1, expected one of: ['string', 'array', 'object'], received: \"number\""
        );
        assert_eq!(q("nope(@)"), "ERR Unknown function: nope()");
        assert_eq!(
            q("abs(`1`, `2`)"),
            "ERR Expected 1 argument for function abs(), received 2"
        );
    }

    #[test]
    fn compile_errors_name_the_query() {
        let e = compile("[").err().unwrap();
        assert_eq!(
            e,
            "Bad value for --query [: Invalid jmespath expression: Incomplete expression:\n\"[\"\n  ^"
        );
        assert!(compile("").is_err());
    }
}

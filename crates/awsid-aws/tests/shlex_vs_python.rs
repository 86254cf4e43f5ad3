//! Differential: our shlex::split against Python's shlex.split over generated commands.

mod common;

use awsid_aws::shlex;
use serde_json::{json, Value};

const ALPHABET: &[&str] = &[
    "a", "b", "x", " ", " ", "\t", "\n", "\r", "'", "'", "\"", "\"", "\\", "\\", "~", "$", "$HOME",
    "|", "#", ";", "*", "é", "😀", "\x0b", "\x0c", "./c.sh", "=",
];

/// What goes inside quotes: escapes of every kind, including those Python keeps verbatim.
const INNER: &[&str] = &[
    "a", "b c", "\\\"", "\\\\", "\\$", "\\n", "\\'", "\\a", "$", "'", "é", "\t", "~", "|",
];

#[test]
fn split_matches_python_shlex() {
    if !common::python_available() {
        return;
    }
    let mut rng = common::Rng::new(0x5eed_1234);
    let mut cases: Vec<String> = [
        "", " ", "a", "''", r#""""#, r"\", r#"a"b"#, r#""\""#, r#"'\'"#,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    while cases.len() < 1500 {
        cases.push(rng.string(ALPHABET, 12));
    }
    // Well-formed commands built from quoted and escaped segments, some then cut short.
    while cases.len() < 3000 {
        let mut cmd = String::new();
        for _ in 0..=rng.below(4) {
            for _ in 0..=rng.below(3) {
                let inner = rng.string(INNER, 5);
                match rng.below(4) {
                    0 => cmd.push_str(&format!("'{}'", inner.replace('\'', ""))),
                    1 => cmd.push_str(&format!("\"{inner}\"")),
                    2 => cmd.push_str(&format!("\\{}", *rng.pick(INNER))),
                    _ => cmd.push_str(&inner.replace(['\'', '"', '\\'], "")),
                }
            }
            const SEPS: &[&str] = &[" ", "  ", "\t", "\n"];
            let sep = rng.pick(SEPS);
            cmd.push_str(sep);
        }
        if rng.below(4) == 0 {
            let cut = rng.below(cmd.chars().count() + 1);
            cmd = cmd.chars().take(cut).collect();
        }
        cases.push(cmd);
    }
    let input: String = cases.iter().map(|c| json!(c).to_string() + "\n").collect();
    let program = r#"
import sys, json, shlex
for line in sys.stdin:
    s = json.loads(line)
    try:
        print(json.dumps({"ok": shlex.split(s)}))
    except ValueError as e:
        print(json.dumps({"err": str(e)}))
"#;
    let out = common::python(program, &input);
    let answers: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers.len(), cases.len());
    let (mut words, mut errors) = (0, 0);
    for (case, want) in cases.iter().zip(&answers) {
        let got = match shlex::split(case) {
            Ok(v) => {
                words += 1;
                json!({ "ok": v })
            }
            Err(e) => {
                errors += 1;
                json!({ "err": e.to_string() })
            }
        };
        assert_eq!(&got, want, "case {case:?}");
    }
    // The generator must exercise both outcomes substantially.
    assert!(
        words > 500 && errors > 500,
        "words {words}, errors {errors}"
    );
}

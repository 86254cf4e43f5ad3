//! Differential test: generated config/credentials files, parsed by our code
//! and by botocore itself (one python3 process for the whole batch), must
//! give the same result, including which files are errors.
//!
//! Skips (with a message) when python3 or botocore is missing, unless
//! `AWSID_REQUIRE_SHELLS=1` is set, then it fails.
//! `AWSFILES_DIFF_CASES=n` changes the number of generated files (default 800, a quarter of them character soup);
//! `AWSFILES_DIFF_KEEP=1` keeps them (they are kept anyway on a disagreement).

use awsid_aws::files::{
    config_view, ec2_credential_file_path, expand_path, merged_view, passwd_home, read_file,
    read_key_val_file, FileState, KeyValError, ProfileFile, RawFile, Section, Value,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const SCRIPT: &str = r#"
import json, os, sys
import botocore.configloader as cl
import botocore.session
from botocore.utils import parse_key_val_file

def error(e):
    return {"error": type(e).__name__}

with open(sys.argv[1], encoding="utf-8") as f:
    jobs = json.load(f)
for job in jobs:
    kind = job["kind"]
    if kind == "parse":
        try:
            out = {"raw": cl.raw_config_parse(job["path"]), "view": cl.load_config(job["path"])}
        except Exception as e:
            out = error(e)
    elif kind == "full":
        saved = dict(os.environ)
        os.environ["AWS_CONFIG_FILE"] = job["config"]
        os.environ["AWS_SHARED_CREDENTIALS_FILE"] = job["credentials"]
        try:
            out = {"full": botocore.session.Session().full_config}
        except Exception as e:
            out = error(e)
        finally:
            os.environ.clear()
            os.environ.update(saved)
    elif kind == "keyval":
        try:
            out = {"kv": parse_key_val_file(job["path"])}
        except Exception as e:
            out = {"error": type(e).__name__, "message": str(e)}
    elif kind == "expand":
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(job["env"])
        try:
            value = job["value"]
            if job["vars"] == "yes":
                value = os.path.expandvars(value)
            out = {"path": os.path.expanduser(value)}
        except Exception as e:
            out = error(e)
        finally:
            os.environ.clear()
            os.environ.update(saved)
    print(json.dumps(out, sort_keys=True), flush=True)
"#;

// ---------------------------------------------------------------- JSON

/// Python's `json.dumps` of a string (ensure_ascii): the crate's own writer.
fn json_str(out: &mut String, s: &str) {
    awsid_aws::pyfmt::dump_str(s, out);
}

enum Json {
    Str(String),
    Obj(BTreeMap<String, Json>),
}

impl Json {
    fn render(&self, out: &mut String) {
        match self {
            Json::Str(s) => json_str(out, s),
            Json::Obj(map) => {
                out.push('{');
                for (i, (k, v)) in map.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    json_str(out, k);
                    out.push_str(": ");
                    v.render(out);
                }
                out.push('}');
            }
        }
    }
    fn text(&self) -> String {
        let mut s = String::new();
        self.render(&mut s);
        s
    }
}

fn obj<I: IntoIterator<Item = (String, Json)>>(items: I) -> Json {
    Json::Obj(items.into_iter().collect())
}

fn s(x: &str) -> Json {
    Json::Str(x.to_string())
}

fn section_json(section: &Section) -> Json {
    obj(section.iter().map(|(k, v)| {
        let v = match v {
            Value::Text(t) => s(t),
            Value::Nested(m) => obj(m.iter().map(|(a, b)| (a.clone(), s(b)))),
        };
        (k.clone(), v)
    }))
}

fn sections_json(map: &BTreeMap<String, Section>) -> Json {
    obj(map.iter().map(|(k, v)| (k.clone(), section_json(v))))
}

fn raw_json(raw: &RawFile) -> Json {
    obj(raw
        .sections
        .iter()
        .map(|(k, v)| (k.clone(), section_json(v))))
}

/// `load_config`'s dict: other sections at the top, then the three maps.
fn view_json(view: &ProfileFile) -> BTreeMap<String, Json> {
    let mut top: BTreeMap<String, Json> = view
        .other
        .iter()
        .map(|(k, v)| (k.clone(), section_json(v)))
        .collect();
    top.insert("profiles".into(), sections_json(&view.profiles));
    top.insert("sso_sessions".into(), sections_json(&view.sso_sessions));
    top.insert("services".into(), sections_json(&view.services));
    top
}

fn error_json(name: &str) -> Json {
    obj([("error".to_string(), s(name))])
}

// ---------------------------------------------------------------- generator

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn percent(&mut self, p: usize) -> bool {
        self.below(100) < p
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

const HEADERS: &[&str] = &[
    "default",
    "default",
    "profile dev",
    "profile prod",
    "profile ops",
    "profile default",
    "profile café",
    "profile 日本",
    "profile  spaced",
    " profile padded ",
    "profile \"quoted name\"",
    "profile 'single'",
    "profile \"x\"",
    "profile a b",
    "profile",
    "profiles many",
    "profilex glued",
    "profile\ttab",
    "profile \"open",
    "profile back\\ slash",
    "profile trailing\\",
    "profile ''",
    "Profile Upper",
    "Default",
    "DEFAULT",
    "sso-session corp",
    "sso-session",
    "sso-session \"my sso\"",
    "services local",
    "services",
    "preview",
    "plugins",
    "my prof",
    "a]b",
    "=",
    "profile x] [y",
];

const HEADER_TAILS: &[&str] = &["", "", "", "", " (old account)", " ; note", " # note", "]"];

const KEYS: &[&str] = &[
    "region",
    "output",
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "role_arn",
    "source_profile",
    "credential_process",
    "sso_session",
    "sso_start_url",
    "mfa_serial",
    "Region",
    "AWS_Access_Key_ID",
    "ca_bundle",
    "web_identity_token_file",
    "key with spaces",
    "ÉCOLE",
    "ΣΑΣ",
    "İstanbul",
    "dotted.key",
    "x",
    "endpoint_url",
    "cli_pager",
    "duration_seconds",
    "external_id",
    "role_session_name",
];

const DELIMS: &[&str] = &[
    "=", "=", " = ", " = ", ":", ": ", " : ", "\t=\t", "= ", "=\u{a0}",
];

const VALUES: &[&str] = &[
    "",
    "us-east-1",
    "eu-west-1 # Ireland",
    "arn:aws:iam::123456789012:role/ops # production",
    "AKIAEXAMPLE ; old laptop",
    "a=b",
    "k: v",
    "  spaced  ",
    "café",
    "日本語",
    "quote \"x\"",
    "~/bin/creds --flag",
    "$HOME/x",
    "trailing\u{a0}",
    "tab\tinside",
    "#hash",
    ";semi",
    "[notasection]",
    "x\u{1c}y",
    "x\u{85}y",
];

const NESTED: &[&str] = &[
    "max_attempts = 3",
    "mode=standard",
    "signature_version = s3v4",
    "a = b = c",
    "addressing_style: path",
    "UPPER = Case",
    "no equals here",
    "# comment in block",
    "; other comment",
    "",
    "k=v # tail",
    "x=1\u{1c}y=2",
];

const INDENTS: &[&str] = &[
    "  ", "    ", "\t", " \t", "\u{a0}", "\u{3000}", "\u{1c}", "\u{b}", "\u{c}",
];

const COMMENTS: &[&str] = &[
    "# a comment",
    "; a comment",
    "#",
    ";",
    "#[profile x]",
    "# key = value",
];

fn gen_file(rng: &mut Rng) -> Vec<u8> {
    let messy = rng.percent(30);
    let eol = match rng.below(20) {
        0..=13 => "\n",
        14..=17 => "\r\n",
        18 => "\r",
        _ => "mixed",
    };
    let mut lines: Vec<String> = Vec::new();
    if rng.percent(15) {
        lines.push(rng.pick(COMMENTS).to_string());
    }
    if rng.percent(5) {
        lines.push(String::new());
    }
    if messy && rng.percent(5) {
        lines.push("region = before-any-header".to_string());
    }
    let sections = 1 + rng.below(5);
    let mut used_headers = Vec::new();
    for _ in 0..sections {
        let mut name = rng.pick(HEADERS);
        while used_headers.contains(&name) && rng.percent(90) {
            name = rng.pick(HEADERS);
        }
        used_headers.push(name);
        let mut header = format!("[{name}]{}", rng.pick(HEADER_TAILS));
        if rng.percent(if messy { 15 } else { 3 }) {
            header = format!("{}{header}", rng.pick(INDENTS));
        }
        lines.push(header);
        let mut key_indent = String::new();
        if rng.percent(if messy { 20 } else { 5 }) {
            key_indent = rng.pick(INDENTS).to_string();
        }
        let options = rng.below(6);
        let mut used_keys = Vec::new();
        let mut key = |rng: &mut Rng| {
            let mut k = rng.pick(KEYS);
            while used_keys.contains(&k) && rng.percent(95) {
                k = rng.pick(KEYS);
            }
            used_keys.push(k);
            k
        };
        for _ in 0..options {
            match rng.below(100) {
                0..=69 => {
                    let value = rng.pick(VALUES);
                    let delim = rng.pick(DELIMS);
                    let line = format!("{key_indent}{}{delim}{value}", key(rng));
                    lines.push(line);
                    if rng.percent(if messy { 15 } else { 3 }) {
                        lines.push(format!(
                            "{key_indent}{}{}",
                            rng.pick(INDENTS),
                            rng.pick(COMMENTS)
                        ));
                    }
                    if rng.percent(if messy { 12 } else { 4 }) {
                        if rng.percent(40) {
                            lines.push(rng.pick(&["", "  ", "\t"]).to_string());
                        }
                        lines.push(format!("{key_indent}{}continued value", rng.pick(INDENTS)));
                    }
                }
                70..=77 => {
                    lines.push(format!(
                        "{}{}",
                        rng.pick(&["", "", "  ", "\t"]),
                        rng.pick(COMMENTS)
                    ));
                }
                78..=83 => lines.push(rng.pick(&["", "", "   ", "\t", "\u{a0}"]).to_string()),
                84..=93 => {
                    let name = rng.pick(&["s3", "sts", "S3", "ec2", "dynamodb", "Sts"]);
                    lines.push(format!(
                        "{key_indent}{name}{}",
                        rng.pick(&[" =", "=", " = ", ":"])
                    ));
                    let inner = 1 + rng.below(3);
                    for _ in 0..inner {
                        let indent = if rng.percent(85) {
                            "  "
                        } else {
                            rng.pick(INDENTS)
                        };
                        let line = if messy && rng.percent(50) {
                            rng.pick(NESTED)
                        } else {
                            rng.pick(&NESTED[..4])
                        };
                        lines.push(format!("{key_indent}{indent}{line}"));
                    }
                }
                94..=97 if messy => {
                    lines.push(format!("{key_indent}{}{}", rng.pick(INDENTS), key(rng)));
                }
                98.. if messy => {
                    if rng.percent(50) {
                        lines.push("just some words".to_string());
                    } else if rng.percent(50) {
                        lines.push("=novalue".to_string());
                    } else {
                        lines.push(format!("{key_indent}{}", key(rng)));
                    }
                }
                _ => lines.push(format!("{key_indent}{} = {}", key(rng), rng.pick(VALUES))),
            }
        }
    }
    let mut text = String::new();
    if rng.percent(3) {
        text.push('\u{feff}');
    }
    for (i, line) in lines.iter().enumerate() {
        text.push_str(line);
        let last = i + 1 == lines.len();
        if last && rng.percent(15) {
            break;
        }
        text.push_str(match eol {
            "mixed" => rng.pick(&["\n", "\r\n", "\r"]),
            e => e,
        });
    }
    let mut bytes = text.into_bytes();
    if rng.percent(4) {
        let bad: &[&[u8]] = &[b"\xe9", b"\xff", b"\xed\xa0\x80", b"\xc3", b"\xc0\xaf"];
        let at = rng.below(bytes.len() + 1);
        let pos = (0..=at)
            .rev()
            .find(|&p| p == bytes.len() || bytes[p] < 0x80 || bytes[p] >= 0xC0);
        let pos = pos.unwrap_or(0);
        let insert = bad[rng.below(bad.len())];
        bytes.splice(pos..pos, insert.iter().copied());
    }
    bytes
}

/// Character soup over the characters the grammar cares about, for corner
/// cases the line generator does not think of.
fn gen_soup(rng: &mut Rng) -> Vec<u8> {
    const ALPHABET: &[&str] = &[
        "[", "]", "=", ":", "#", ";", " ", " ", "\t", "\n", "\n", "\n", "\r", "\r\n", "a", "b",
        "B", "profile ", "default", "\"", "'", "\\", "\u{1c}", "\u{a0}", "\u{85}", "\u{2028}",
        "\u{b}", "\u{c}", "\u{feff}", "Σ", "é", "DEFAULT",
    ];
    let mut text = String::new();
    if rng.percent(70) {
        text.push_str(rng.pick(&[
            "[a]\n",
            "[profile b]\n",
            "[DEFAULT]\n",
            "[default]\nk = v\n",
        ]));
    }
    for _ in 0..rng.below(60) {
        text.push_str(rng.pick(ALPHABET));
    }
    text.into_bytes()
}

/// `key=value` soup for the EC2 credential file, with broken UTF-8.
fn gen_key_val(rng: &mut Rng) -> Vec<u8> {
    const PIECES: &[&[u8]] = &[
        b"AWSAccessKeyId",
        b"AWSSecretKey",
        b"=",
        b"=",
        b" ",
        b"\t",
        b"\n",
        b"\n",
        b"\r",
        b"\r\n",
        b"AKID",
        b"x",
        b"\x0b",
        b"\x1c",
        "\u{85}".as_bytes(),
        "\u{2028}".as_bytes(),
        "\u{a0}".as_bytes(),
        "\u{feff}".as_bytes(),
        b"#",
        b"[Credentials]",
    ];
    const BAD: &[&[u8]] = &[
        b"\xe9",
        b"\xff",
        b"\x80",
        b"\xc0\xaf",
        b"\xe2\x82",
        b"\xed\xa0\x80",
        b"\xf0\x9f\x98",
        b"\xf4\x90\x80\x80",
        b"\xe0\x80\x80",
        b"\xc3",
        b"\xf5",
    ];
    let mut out = Vec::new();
    for _ in 0..rng.below(40) {
        out.extend_from_slice(PIECES[rng.below(PIECES.len())]);
    }
    if rng.percent(40) {
        let at = rng.below(out.len() + 1);
        let bad = BAD[rng.below(BAD.len())];
        // at a char boundary, so that only the inserted bytes are bad
        let at = (0..=at)
            .rev()
            .find(|&p| std::str::from_utf8(&out[..p]).is_ok())
            .unwrap_or(0);
        out.splice(at..at, bad.iter().copied());
    }
    out
}

// ---------------------------------------------------------------- jobs

enum Job {
    Parse(PathBuf),
    KeyVal(PathBuf),
    Full(PathBuf, PathBuf),
    /// value, environment, whether `$VARS` are expanded too (else `~` only)
    Expand(String, BTreeMap<String, String>, bool),
}

fn job_json(job: &Job) -> Json {
    let p = |p: &Path| s(p.to_str().unwrap());
    match job {
        Job::Parse(path) => obj([("kind".into(), s("parse")), ("path".into(), p(path))]),
        Job::KeyVal(path) => obj([("kind".into(), s("keyval")), ("path".into(), p(path))]),
        Job::Full(c, k) => obj([
            ("kind".into(), s("full")),
            ("config".into(), p(c)),
            ("credentials".into(), p(k)),
        ]),
        Job::Expand(value, env, vars) => obj([
            ("kind".into(), s("expand")),
            ("value".into(), s(value)),
            ("vars".into(), s(if *vars { "yes" } else { "no" })),
            (
                "env".into(),
                obj(env.iter().map(|(k, v)| (k.clone(), s(v)))),
            ),
        ]),
    }
}

fn read(path: &Path) -> Result<FileState, &'static str> {
    read_file(path.to_str().unwrap(), Path::new("/")).map_err(|_| "ConfigParseError")
}

/// A short name for why our parser refused a file (for the summary).
fn error_kind(path: &Path) -> Option<String> {
    let e = read_file(path.to_str().unwrap(), Path::new("/")).err()?;
    let name = format!("{:?}", e.error.kind);
    Some(
        name.split([' ', '('])
            .next()
            .unwrap_or_default()
            .to_string(),
    )
}

fn ours(job: &Job) -> Json {
    match job {
        Job::Parse(path) => match read(path) {
            Err(e) => error_json(e),
            Ok(FileState::NotFound) => error_json("ConfigNotFound"),
            Ok(state) => {
                let raw = state.raw().unwrap();
                obj([
                    ("raw".into(), raw_json(&raw)),
                    ("view".into(), Json::Obj(view_json(&config_view(&raw)))),
                ])
            }
        },
        Job::Full(c, k) => {
            let config = match read(c) {
                Err(e) => return error_json(e),
                Ok(state) => state.raw(),
            };
            let creds = match read(k) {
                Err(e) => return error_json(e),
                Ok(state) => state.raw(),
            };
            let view = merged_view(config.as_ref(), creds.as_ref());
            let full = if config.is_some() {
                view_json(&view)
            } else {
                // botocore: `{'profiles': {}}` when the config file is missing
                [("profiles".to_string(), sections_json(&view.profiles))].into()
            };
            obj([("full".into(), Json::Obj(full))])
        }
        Job::KeyVal(path) => match read_key_val_file(path.to_str().unwrap(), Path::new("/")) {
            Ok(kv) => obj([("kv".into(), obj(kv.iter().map(|(k, v)| (k.clone(), s(v)))))]),
            Err(e) => {
                let name = match e {
                    KeyValError::NotFound { .. } => "ConfigNotFound",
                    KeyValError::Decode(_) => "UnicodeDecodeError",
                };
                obj([
                    ("error".into(), s(name)),
                    ("message".into(), s(&e.cli_message())),
                ])
            }
        },
        Job::Expand(value, env, vars) => {
            let lookup = |name: &str| env.get(name).cloned();
            let path = if *vars {
                expand_path(value, &lookup, &passwd_home)
            } else {
                // what botocore does with AWS_CREDENTIAL_FILE
                let env = |name: &str| match name {
                    "AWS_CREDENTIAL_FILE" => Some(value.clone()),
                    _ => lookup(name),
                };
                ec2_credential_file_path(&env, &passwd_home).unwrap()
            };
            obj([("path".into(), s(&path))])
        }
    }
}

fn expand_jobs(rng: &mut Rng, n: usize) -> Vec<Job> {
    let values = [
        "~/.aws/config",
        "~",
        "~/",
        "~root/.aws/credentials",
        "~nosuchuser/x",
        "~root",
        "$HOME/.aws/credentials",
        "${HOME}/.aws/config",
        "${HOME/x",
        "$NOPE/x",
        "${}",
        "$$HOME",
        "$",
        "$1/x",
        "$A$B",
        "${A}${B}",
        "~$A/x",
        "$TILDE/x",
        "/etc/$A-${B}.cfg",
        "relative/$A",
        "${A B}",
        "$Ünï",
        "",
    ];
    let homes = ["/home/u", "/home/u/", "/", "", "//", "/home/$A"];
    let mut jobs = Vec::new();
    for _ in 0..n {
        let mut env = BTreeMap::new();
        if rng.percent(80) {
            env.insert(
                "HOME".to_string(),
                homes[rng.below(homes.len())].to_string(),
            );
        }
        for (name, vals) in [
            ("A", &["a", "", "$B", "~", "x/y"][..]),
            ("B", &["b", "${A}", "/abs"][..]),
            ("TILDE", &["~", "~root"][..]),
            ("A B", &["spaced"][..]),
        ] {
            if rng.percent(60) {
                env.insert(name.to_string(), vals[rng.below(vals.len())].to_string());
            }
        }
        let value = values[rng.below(values.len())].to_string();
        jobs.push(Job::Expand(value, env, rng.percent(75)));
    }
    jobs
}

fn python_with_botocore() -> Option<String> {
    let out = Command::new("python3")
        .args(["-c", "import botocore; print(botocore.__version__)"])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

#[test]
fn generated_files_agree_with_botocore() {
    let Some(version) = python_with_botocore() else {
        let msg = "python3 with botocore not found";
        if std::env::var("AWSID_REQUIRE_SHELLS").as_deref() == Ok("1") {
            panic!("{msg}, and AWSID_REQUIRE_SHELLS=1 requires it");
        }
        eprintln!("differential test skipped: {msg}");
        return;
    };
    let cases: usize = std::env::var("AWSFILES_DIFF_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(800);
    let dir = std::env::temp_dir().join(format!("awsfiles-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut rng = Rng(0x5EED_AB1E);
    let mut jobs = Vec::new();
    let mut files = Vec::new();
    for i in 0..cases {
        let path = dir.join(format!("f{i}"));
        let bytes = if i % 4 == 3 {
            gen_soup(&mut rng)
        } else {
            gen_file(&mut rng)
        };
        std::fs::write(&path, bytes).unwrap();
        files.push(path.clone());
        jobs.push(Job::Parse(path));
    }
    // Every letter Rust lowercases, as a key (one section each), and final sigma.
    let mut table = String::new();
    let sigma = [
        "ΑΣ",
        "ΑΣΑ",
        "Σ",
        "ΑΣ\u{1c89}",
        "Α\u{1c89}Σ",
        "ΑΣ.",
        "Α.Σ",
        "\u{1c89}Σ",
    ];
    let letters = (0..=0x10FFFFu32)
        .filter_map(char::from_u32)
        .filter(|c| c.to_lowercase().ne(std::iter::once(*c)))
        .map(|c| format!("k{c}x"));
    for (i, key) in sigma
        .iter()
        .map(|s| s.to_string())
        .chain(letters)
        .enumerate()
    {
        table.push_str(&format!("[s{i}]\n{key} = 1\n"));
    }
    let case_table = dir.join("case-table");
    std::fs::write(&case_table, table).unwrap();
    jobs.push(Job::Parse(case_table));
    // Paths that are not regular files, and an empty file.
    let sub = dir.join("a-directory");
    std::fs::create_dir_all(&sub).unwrap();
    let empty = dir.join("empty");
    std::fs::write(&empty, b"").unwrap();
    jobs.push(Job::Parse(sub.clone()));
    jobs.push(Job::Parse(dir.join("missing")));
    jobs.push(Job::Parse(empty));
    // Config + credentials pairs through botocore's Session.full_config,
    // mostly files that parse (chosen by our parser; botocore still judges).
    let good: Vec<PathBuf> = files
        .iter()
        .filter(|p| read_file(p.to_str().unwrap(), Path::new("/")).is_ok())
        .cloned()
        .collect();
    let pairs = cases / 4;
    for _ in 0..pairs {
        let pick = |rng: &mut Rng| match rng.below(12) {
            0 => dir.join("missing"),
            1 => sub.clone(),
            2..=3 => files[rng.below(files.len())].clone(),
            _ => good[rng.below(good.len())].clone(),
        };
        let (c, k) = (pick(&mut rng), pick(&mut rng));
        jobs.push(Job::Full(c, k));
    }
    jobs.extend(expand_jobs(&mut rng, 200));
    // AWS_CREDENTIAL_FILE: dedicated key=value soup, and every generated file.
    for i in 0..cases / 4 {
        let path = dir.join(format!("kv{i}"));
        std::fs::write(&path, gen_key_val(&mut rng)).unwrap();
        jobs.push(Job::KeyVal(path));
    }
    jobs.extend(files.iter().map(|p| Job::KeyVal(p.clone())));
    jobs.push(Job::KeyVal(sub.clone()));
    jobs.push(Job::KeyVal(dir.join("missing")));

    let job_file = dir.join("jobs.json");
    let list = jobs.iter().map(|j| job_json(j).text()).collect::<Vec<_>>();
    std::fs::write(&job_file, format!("[{}]", list.join(", "))).unwrap();
    let out = Command::new("python3")
        .args(["-c", SCRIPT])
        .arg(&job_file)
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(theirs.len(), jobs.len(), "one answer per job");

    let mut tally: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for (job, want) in jobs.iter().zip(&theirs) {
        let got = ours(job).text();
        let kind = match job {
            Job::Parse(_) => "files",
            Job::Full(..) => "config+credentials pairs",
            Job::Expand(..) => "path expansions",
            Job::KeyVal(..) => "AWS_CREDENTIAL_FILE (key=value) files",
        };
        if let Some(k) = match job {
            Job::Parse(p) => error_kind(p),
            _ => None,
        } {
            *kinds.entry(k).or_default() += 1;
        }
        let entry = tally.entry(kind).or_default();
        entry.0 += 1;
        if want.starts_with("{\"error\"") {
            entry.2 += 1;
        }
        if &got == want {
            entry.1 += 1;
        } else {
            let input = match job {
                Job::Parse(p) | Job::KeyVal(p) => format!(
                    "{:?}",
                    std::fs::read(p).map(|b| String::from_utf8_lossy(&b).into_owned())
                ),
                Job::Full(c, k) => format!("{} + {}", c.display(), k.display()),
                Job::Expand(..) => job_json(job).text(),
            };
            failures.push(format!(
                "input: {input}\n  botocore: {want}\n  ours:     {got}"
            ));
        }
    }
    println!("botocore {version}, seed 0x5EED_AB1E:");
    for (kind, (total, agree, errors)) in &tally {
        println!("  {kind}: {agree}/{total} agree ({errors} are errors in botocore)");
    }
    println!("  our error kinds over the files: {kinds:?}");
    if failures.is_empty() && std::env::var_os("AWSFILES_DIFF_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(
        failures.is_empty(),
        "{} disagreements (files kept in {}):\n{}",
        failures.len(),
        dir.display(),
        failures
            .iter()
            .take(15)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

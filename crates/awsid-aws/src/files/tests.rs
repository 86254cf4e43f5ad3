//! Table-driven tests, one row per rule. Each expected value was checked
//! against botocore 1.43.11 (`raw_config_parse` / `load_config`).

use super::ini::py_splitlines;
use super::*;
use std::path::Path;

/// `[name] key="value" nested={k="v"}` per section, or `ERR <kind>`.
fn render(input: &str) -> String {
    render_bytes(input.as_bytes())
}

fn render_bytes(input: &[u8]) -> String {
    match parse(input) {
        Err(e) => {
            let kind = format!("{:?}", e.kind);
            format!("ERR {}", kind.split([' ', '(']).next().unwrap())
        }
        Ok(raw) => raw
            .sections
            .iter()
            .map(|(name, section)| format!("[{name}]{}", render_section(section)))
            .collect::<Vec<_>>()
            .join(" "),
    }
}

fn render_section(section: &Section) -> String {
    section
        .iter()
        .map(|(k, v)| match v {
            Value::Text(t) => format!(" {k}={t:?}"),
            Value::Nested(m) => {
                let inner: Vec<String> = m.iter().map(|(a, b)| format!("{a}={b:?}")).collect();
                format!(" {k}={{{}}}", inner.join(","))
            }
        })
        .collect()
}

/// (rule, file, expected `render`)
const INI_CASES: &[(&str, &str, &str)] = &[
    // values and delimiters
    (
        "equals",
        "[a]\nregion = eu-west-1\n",
        r#"[a] region="eu-west-1""#,
    ),
    (
        "colon",
        "[a]\nregion: eu-west-1\n",
        r#"[a] region="eu-west-1""#,
    ),
    (
        "first delimiter wins",
        "[a]\nx:y=z\nu=v:w\n",
        r#"[a] u="v:w" x="y=z""#,
    ),
    ("spaces around", "[a]\n  x  =   y  \n", r#"[a] x="y""#),
    ("empty value", "[a]\nx =\n", r#"[a] x="""#),
    (
        "inline # kept",
        "[a]\nrole_arn = arn:x # production\n",
        r##"[a] role_arn="arn:x # production""##,
    ),
    (
        "inline ; kept",
        "[a]\nk = AKIA ; old laptop\n",
        r#"[a] k="AKIA ; old laptop""#,
    ),
    ("nbsp stripped", "[a]\nx = \u{a0}y\u{a0}\n", r#"[a] x="y""#),
    // key names
    ("keys lowercased", "[a]\nRegion = x\n", r#"[a] region="x""#),
    ("unicode lowercase", "[a]\nΣΑΣ = x\n", r#"[a] σας="x""#),
    (
        "space inside key",
        "[a]\nkey with spaces = x\n",
        r#"[a] key with spaces="x""#,
    ),
    // comments
    (
        "comment lines",
        "# c\n; c\n[a]\n# x = 1\nx = 2\n",
        r#"[a] x="2""#,
    ),
    (
        "indented comment after header",
        "[a]\n  # c\nx = 1\n",
        r#"[a] x="1""#,
    ),
    (
        "indented comment after key",
        "[a]\nx = 1\n  # c\ny = 2\n",
        r#"[a] x="1" y="2""#,
    ),
    (
        "comment inside continuation",
        "[a]\nx = 1\n  # c\n  more\n",
        r#"[a] x="1\nmore""#,
    ),
    // continuation and indentation
    ("continuation", "[a]\nx = 1\n  more\n", r#"[a] x="1\nmore""#),
    (
        "continuation keeps # and =",
        "[a]\nx = 1\n  b = c # d\n",
        r#"[a] x="1\nb = c # d""#,
    ),
    (
        "empty line inside value",
        "[a]\nx = 1\n\n  more\n",
        r#"[a] x="1\n\nmore""#,
    ),
    (
        "trailing empty lines dropped",
        "[a]\nx = 1\n\n\n[b]\n",
        r#"[a] x="1" [b]"#,
    ),
    (
        "keys indented under header",
        "[a]\n  x = 1\n  y = 2\n",
        r#"[a] x="1" y="2""#,
    ),
    ("indented header", "  [a]\nx = 1\n", r#"[a] x="1""#),
    (
        "deeper line continues",
        "[a]\n  x = 1\n    y = 2\n",
        r#"[a] x="1\ny = 2""#,
    ),
    (
        "tab indents",
        "[a]\nx = 1\n\ty = 2\n",
        r#"[a] x="1\ny = 2""#,
    ),
    (
        "U+001C is whitespace to Python",
        "[a]\nx = 1\n\u{1c}y = 2\n",
        "[a] x=\"1\\ny = 2\"",
    ),
    (
        "header line ends a value",
        "[a]\nx = 1\n[b]\n  y = 2\n",
        r#"[a] x="1" [b] y="2""#,
    ),
    // section headers
    (
        "header tail ignored",
        "[profile x] (old account)\n",
        "[profile x]",
    ),
    ("header runs to last ]", "[a]b] tail\n", "[a]b]"),
    ("header spaces kept", "[ profile x ]\n", "[ profile x ]"),
    ("header case kept", "[Default]\nx=1\n", r#"[Default] x="1""#),
    ("empty header invalid", "[]\n", "ERR MissingSectionHeader"),
    ("[] inside section", "[a]\n[]\n", "ERR InvalidLine"),
    // [DEFAULT]
    (
        "DEFAULT inherited",
        "[DEFAULT]\nregion = x\n[a]\n[b]\nregion = y\n",
        r#"[a] region="x" [b] region="y""#,
    ),
    (
        "DEFAULT after sections",
        "[a]\n[DEFAULT]\nk = v\n",
        r#"[a] k="v""#,
    ),
    (
        "DEFAULT twice",
        "[DEFAULT]\na=1\n[DEFAULT]\nb=2\n[s]\n",
        r#"[s] a="1" b="2""#,
    ),
    ("DEFAULT only", "[DEFAULT]\na=1\n", ""),
    (
        "DEFAULT key twice",
        "[DEFAULT]\na=1\n[DEFAULT]\na=2\n",
        "ERR DuplicateOption",
    ),
    (
        "lowercase default is a section",
        "[default]\na=1\n",
        r#"[default] a="1""#,
    ),
    // nested blocks
    (
        "nested",
        "[a]\ns3 =\n  max_attempts = 3\n  Mode=Std\n",
        r#"[a] s3={Mode="Std",max_attempts="3"}"#,
    ),
    (
        "nested last wins",
        "[a]\ns3 =\n  k = 1\n  k = 2\n",
        r#"[a] s3={k="2"}"#,
    ),
    (
        "nested after empty line",
        "[a]\ns3 =\n\n  k = 1\n",
        r#"[a] s3={k="1"}"#,
    ),
    (
        "nested splits at first =",
        "[a]\ns3 =\n  k = a = b\n",
        r#"[a] s3={k="a = b"}"#,
    ),
    (
        "nested colon line",
        "[a]\ns3 =\n  k: v\n",
        "ERR NestedWithoutEquals",
    ),
    ("nested only empty", "[a]\ns3 =\n\n\n", r#"[a] s3="""#),
    (
        "value on first line not nested",
        "[a]\ns3 = x\n  k = v\n",
        r#"[a] s3="x\nk = v""#,
    ),
    (
        "nested via DEFAULT",
        "[DEFAULT]\ns3 =\n  k = v\n[a]\n",
        r#"[a] s3={k="v"}"#,
    ),
    ("bad nested DEFAULT unused", "[DEFAULT]\ns3 =\n  oops\n", ""),
    (
        "bad nested DEFAULT used",
        "[DEFAULT]\ns3 =\n  oops\n[a]\n",
        "ERR NestedWithoutEquals",
    ),
    // line endings and encoding
    ("CRLF", "[a]\r\nx = 1\r\n", r#"[a] x="1""#),
    ("lone CR", "[a]\rx = 1\r", r#"[a] x="1""#),
    ("no final newline", "[a]\nx = 1", r#"[a] x="1""#),
    (
        "BOM is not stripped",
        "\u{feff}[a]\nx = 1\n",
        "ERR MissingSectionHeader",
    ),
    (
        "unicode names",
        "[profile café]\nrégion = 日本\n",
        r#"[profile café] région="日本""#,
    ),
    // errors
    (
        "text before header",
        "x = 1\n[a]\n",
        "ERR MissingSectionHeader",
    ),
    ("duplicate section", "[a]\n[a]\n", "ERR DuplicateSection"),
    (
        "duplicate key",
        "[a]\nregion = x\nRegion = y\n",
        "ERR DuplicateOption",
    ),
    (
        "same key in two sections",
        "[a]\nx=1\n[b]\nx=2\n",
        r#"[a] x="1" [b] x="2""#,
    ),
    (
        "line without delimiter",
        "[a]\njust words\n",
        "ERR InvalidLine",
    ),
    ("empty key", "[a]\n= x\n", "ERR InvalidLine"),
    (
        "bad line then duplicate",
        "[a]\noops\n[a]\n",
        "ERR DuplicateSection",
    ),
    ("empty file", "", ""),
];

#[test]
fn ini_rules() {
    let mut failed = Vec::new();
    for (name, input, want) in INI_CASES {
        let got = render(input);
        if got != *want {
            failed.push(format!("{name}: {input:?}\n   want {want}\n   got  {got}"));
        }
    }
    assert!(failed.is_empty(), "\n{}", failed.join("\n"));
}

const RENDER_PY: &str = r#"
import sys
import botocore.configloader as cl
def q(s):
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n') + '"'
for path in sys.argv[1:]:
    try:
        raw = cl.raw_config_parse(path)
    except Exception as e:
        print("ERR")
        continue
    out = []
    for name, section in raw.items():
        text = "[" + name + "]"
        for k in sorted(section):
            v = section[k]
            if isinstance(v, dict):
                text += " " + k + "={" + ",".join(a + "=" + q(v[a]) for a in sorted(v)) + "}"
            else:
                text += " " + k + "=" + q(v)
        out.append(text)
    print(" ".join(out).replace("\n", "\\n"))
"#;

/// The expectations above are botocore's: checked here when python3 with
/// botocore is available (skipped otherwise, failed with AWSID_REQUIRE_SHELLS=1).
#[test]
fn ini_cases_agree_with_botocore() {
    let have = std::process::Command::new("python3")
        .args(["-c", "import botocore"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        assert!(
            std::env::var("AWSID_REQUIRE_SHELLS").as_deref() != Ok("1"),
            "python3 with botocore is required"
        );
        eprintln!("skipped: python3 with botocore not found");
        return;
    }
    let dir = std::env::temp_dir().join(format!("awsfiles-cases-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let paths: Vec<_> = INI_CASES
        .iter()
        .enumerate()
        .map(|(i, (_, input, _))| {
            let p = dir.join(format!("c{i}"));
            std::fs::write(&p, input).unwrap();
            p
        })
        .collect();
    let out = std::process::Command::new("python3")
        .args(["-c", RENDER_PY])
        .args(&paths)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let theirs: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        theirs.len(),
        INI_CASES.len(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for ((name, input, want), got) in INI_CASES.iter().zip(theirs) {
        let want = if want.starts_with("ERR") { "ERR" } else { want };
        assert_eq!(
            got, want,
            "botocore disagrees with the table: {name}: {input:?}"
        );
    }
}

#[test]
fn invalid_utf8_is_an_error() {
    for bytes in [
        &b"[a]\nx = caf\xe9\n"[..],
        b"[a]\n\xff",
        b"[a]\nx = \xed\xa0\x80\n",
    ] {
        assert_eq!(render_bytes(bytes), "ERR NotUtf8", "{bytes:?}");
    }
    let e = parse(b"[a]\nx = 1\ny = caf\xe9\n").unwrap_err();
    assert_eq!(e.line, 3);
    assert_eq!(parse(b"[a]\rx = 1\r\ny = caf\xe9").unwrap_err().line, 3);
    assert_eq!(parse(b"[a]\n\xe9").unwrap_err().line, 2);
    assert_eq!(parse(b"\xe9").unwrap_err().line, 1);
}

#[test]
fn error_lines_and_details() {
    let e = parse(b"[a]\nx = 1\n\nX = 2\n").unwrap_err();
    assert_eq!(e.line, 4);
    assert_eq!(
        e.to_string(),
        "line 4: option 'x' in section 'a' already exists"
    );
    let e = parse(b"[a]\ns3 =\n  oops\n").unwrap_err();
    assert_eq!(e.line, 2);
}

fn names(map: &BTreeMap<String, Section>) -> Vec<&str> {
    map.keys().map(String::as_str).collect()
}

#[test]
fn config_file_section_names() {
    // header -> (profile, sso-session, services, other); "" = dropped
    let cases: &[(&str, [&str; 4])] = &[
        ("default", ["default", "", "", ""]),
        ("profile dev", ["dev", "", "", ""]),
        ("profile  dev", ["dev", "", "", ""]),
        ("profile\tdev", ["dev", "", "", ""]),
        ("profile café", ["café", "", "", ""]),
        ("profile \"x y\"", ["x y", "", "", ""]),
        ("profile 'x'", ["x", "", "", ""]),
        ("profile ''", ["", "", "", ""]),
        ("profile a\\ b", ["a b", "", "", ""]),
        ("profile \"a\\\"b\"", ["a\"b", "", "", ""]),
        ("profile \"a\\nb\"", ["a\\nb", "", "", ""]),
        ("profile a b", ["", "", "", ""]),
        ("profile", ["", "", "", ""]),
        ("profile \"open", ["", "", "", ""]),
        ("profile end\\", ["", "", "", ""]),
        ("profiles x", ["x", "", "", ""]),
        ("profilex y", ["y", "", "", ""]),
        ("Profile x", ["", "", "", "Profile x"]),
        (" profile x ", ["", "", "", " profile x "]),
        ("Default", ["", "", "", "Default"]),
        ("sso-session corp", ["", "corp", "", ""]),
        ("sso-session", ["", "", "", ""]),
        ("services local", ["", "", "local", ""]),
        ("preview", ["", "", "", "preview"]),
        ("my prof", ["", "", "", "my prof"]),
    ];
    for (header, want) in cases {
        let raw = parse(format!("[{header}]\nk = v\n").as_bytes()).unwrap();
        let view = config_view(&raw);
        let got = [
            &view.profiles,
            &view.sso_sessions,
            &view.services,
            &view.other,
        ]
        .map(|m| names(m).first().copied().unwrap_or(""));
        // `profile ''` names the profile "" (kept, but empty like "dropped")
        assert_eq!(&got, want, "[{header}]");
    }
    let raw = parse(b"[profile '']\n").unwrap();
    assert_eq!(names(&config_view(&raw).profiles), [""]);
}

#[test]
fn later_section_wins_for_the_same_profile() {
    let raw = parse(b"[profile default]\nregion = a\nx = 1\n[default]\nregion = b\n").unwrap();
    let view = config_view(&raw);
    let default = &view.profiles["default"];
    assert_eq!(default.get("region"), Some(&Value::Text("b".into())));
    assert_eq!(default.get("x"), None, "sections are not merged");
    let raw = parse(b"[default]\nregion = b\n[profile default]\nregion = a\n").unwrap();
    let region = config_view(&raw).profiles["default"]["region"].clone();
    assert_eq!(region, Value::Text("a".into()));
}

#[test]
fn credentials_file_sections_are_literal_profiles() {
    let raw = parse(b"[profile x]\na=1\n[my prof]\nb=2\n[default]\n").unwrap();
    let view = credentials_view(&raw);
    assert_eq!(names(&view.profiles), ["default", "my prof", "profile x"]);
}

#[test]
fn merged_view_credentials_win_key_by_key() {
    let config =
        parse(b"[default]\nregion = r\naws_access_key_id = C\n[profile p]\nx = 1\n").unwrap();
    let creds = parse(b"[default]\naws_access_key_id = K\n[p]\ny = 2\n[only]\nz = 3\n").unwrap();
    let view = merged_view(Some(&config), Some(&creds));
    let text = |p: &str, k: &str| view.profiles[p].get(k).and_then(Value::as_text);
    assert_eq!(text("default", "region"), Some("r"));
    assert_eq!(text("default", "aws_access_key_id"), Some("K"));
    assert_eq!(text("p", "x"), Some("1"));
    assert_eq!(text("p", "y"), Some("2"));
    assert_eq!(text("only", "z"), Some("3"));
    let view = merged_view(None, Some(&creds));
    assert_eq!(names(&view.profiles), ["default", "only", "p"]);
}

#[test]
fn path_expansion() {
    let env = |name: &str| match name {
        "HOME" => Some("/home/u/".to_string()),
        "A" => Some("a".to_string()),
        "EMPTY" => Some(String::new()),
        "REF" => Some("$A".to_string()),
        _ => None,
    };
    let no_home = |name: &str| if name == "HOME" { None } else { env(name) };
    let users = |user: Option<&str>| match user {
        None => Some("/root".to_string()),
        Some("bob") => Some("/home/bob".to_string()),
        _ => None,
    };
    let cases: &[(&str, &str)] = &[
        ("~/.aws/config", "/home/u/.aws/config"),
        ("~", "/home/u"),
        ("~bob/x", "/home/bob/x"),
        ("~nobody/x", "~nobody/x"),
        ("$HOME/.aws/credentials", "/home/u//.aws/credentials"),
        ("${A}/x", "a/x"),
        ("$A$A", "aa"),
        ("$Ax", "$Ax"),
        ("$NOPE/x", "$NOPE/x"),
        ("${EMPTY}x", "x"),
        ("$REF", "$A"),
        ("${A", "${A"),
        ("$", "$"),
        ("~$A", "~a"),
        ("relative", "relative"),
        ("", ""),
    ];
    for (value, want) in cases {
        assert_eq!(&expand_path(value, &env, &users), want, "{value}");
    }
    assert_eq!(expand_path("~/x", &no_home, &users), "/root/x");
    let root_home = |n: &str| (n == "HOME").then(|| "/".to_string());
    assert_eq!(expand_path("~", &root_home, &users), "/");
    assert_eq!(config_file_path(&env, &users), "/home/u/.aws/config");
    let set = |n: &str| match n {
        "AWS_SHARED_CREDENTIALS_FILE" => Some("$HOME/creds".to_string()),
        "AWS_CONFIG_FILE" => Some(String::new()),
        _ => env(n),
    };
    assert_eq!(credentials_file_path(&set, &users), "/home/u//creds");
    assert_eq!(config_file_path(&set, &users), "", "set but empty: no file");
}

#[test]
fn reading_paths() {
    let dir = std::env::temp_dir().join(format!("awsfiles-unit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let d = dir.to_str().unwrap().to_string();
    assert_eq!(
        read_file(&d, Path::new("/")),
        Ok(FileState::NotFound),
        "a directory"
    );
    assert_eq!(
        read_file(&format!("{d}/missing"), Path::new("/")),
        Ok(FileState::NotFound)
    );
    assert_eq!(read_file("", Path::new("/")), Ok(FileState::NotFound));
    let bad = format!("{d}/bad");
    std::fs::write(&bad, "[a]\n[a]\n").unwrap();
    let err = read_file(&bad, Path::new("/")).unwrap_err();
    assert_eq!(
        err.cli_message(),
        format!("Unable to parse config file: {bad}")
    );
    assert_eq!(
        err.cli_stderr_line(),
        format!("botocore.exceptions.ConfigParseError: Unable to parse config file: {bad}")
    );
    let good = format!("{d}/good");
    std::fs::write(&good, "[a]\nx = 1\n").unwrap();
    let Ok(FileState::Parsed(raw)) = read_file(&good, Path::new("/")) else {
        panic!("parsed")
    };
    assert_eq!(raw.section("a").unwrap()["x"], Value::Text("1".into()));
    // relative paths are the shell's: opened in its directory, shown as given
    assert!(matches!(read_file("good", &dir), Ok(FileState::Parsed(_))));
    assert_eq!(read_file("good", Path::new("/")), Ok(FileState::NotFound));
    let err = read_file("bad", &dir).unwrap_err();
    assert_eq!(err.cli_message(), "Unable to parse config file: bad");
    assert!(depends_on_cwd("good") && depends_on_cwd("~nobody/x"));
    assert!(!depends_on_cwd("/x") && !depends_on_cwd(""));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn python_helpers() {
    assert_eq!(
        py_splitlines("a\nb\r\nc\rd\u{b}e\u{85}f\u{2028}g\n"),
        ["a", "b", "c", "d", "e", "f", "g"]
    );
    assert_eq!(py_splitlines("a\n\nb"), ["a", "", "b"]);
    let split = |s: &str| shlex_split(s);
    assert_eq!(
        split("a  'b c' \"d\\\"e\" f\\ g"),
        Some(vec!["a".into(), "b c".into(), "d\"e".into(), "f g".into()])
    );
    assert_eq!(split("a ''"), Some(vec!["a".into(), String::new()]));
    assert_eq!(split("  "), Some(vec![]));
    assert_eq!(split("'a\\'"), Some(vec!["a\\".into()]));
    assert_eq!(split("\"a"), None);
    assert_eq!(split("a\\"), None);
}

#[test]
fn legacy_files() {
    let kv = parse_key_val(
        b"AWSAccessKeyId = A=B\r\njunk line\nAWSSecretKey=s\x0bx = 1\n key=2\nkey =3",
    )
    .unwrap();
    let got: Vec<(&str, &str)> = kv.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(
        got,
        [
            ("AWSAccessKeyId", "A=B"),
            ("AWSSecretKey", "s"),
            ("key", "3"),
            ("x", "1")
        ]
    );
    let msg = |b: &[u8]| parse_key_val(b).unwrap_err().cli_message();
    assert_eq!(
        msg(b"AWSAccessKeyId=caf\xe9\n"),
        "'utf-8' codec can't decode byte 0xe9 in position 18: invalid continuation byte"
    );
    assert_eq!(
        msg(b"a\xff"),
        "'utf-8' codec can't decode byte 0xff in position 1: invalid start byte"
    );
    assert_eq!(
        msg(b"a\xe2\x82x"),
        "'utf-8' codec can't decode bytes in position 1-2: invalid continuation byte"
    );
    assert_eq!(
        msg(b"a\xe2\x82"),
        "'utf-8' codec can't decode bytes in position 1-2: unexpected end of data"
    );

    let env = |n: &str| match n {
        "HOME" => Some("/h".to_string()),
        "AWS_CREDENTIAL_FILE" => Some("~/$HOME/creds".to_string()),
        _ => None,
    };
    let users = |_: Option<&str>| None;
    assert_eq!(
        ec2_credential_file_path(&env, &users).as_deref(),
        Some("/h/$HOME/creds")
    );
    assert_eq!(
        boto_config_paths(&env, &users),
        ["/etc/boto.cfg", "/h/.boto"]
    );
    let boto = |n: &str| (n == "BOTO_CONFIG").then(|| "$HOME/b".to_string());
    assert_eq!(boto_config_paths(&boto, &users), ["$HOME/b"]);
    let err = read_key_val_file("/nonexistent/x", Path::new("/")).unwrap_err();
    assert_eq!(
        err.cli_message(),
        "The specified config file (/nonexistent/x) could not be found."
    );
    assert!(read_key_val_file("", Path::new("/")).is_err());
}

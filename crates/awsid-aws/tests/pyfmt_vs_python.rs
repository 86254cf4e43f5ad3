//! Differential: how Python prints floats, JSON values (`str()`), and UTF-8 decode errors.

mod common;

use awsid_aws::pyfmt;
use serde_json::json;

#[test]
fn float_repr_matches_python() {
    if !common::python_available() {
        return;
    }
    let mut rng = common::Rng::new(42);
    let mut floats: Vec<f64> = vec![0.1, 1e16, 1e15, 1e16 - 2.0, 1e-4, 1e-5, 5e-324, 123456.789];
    while floats.len() < 3000 {
        let f = match rng.below(3) {
            0 => f64::from_bits(rng.next_u64()),
            1 => (rng.next_u64() % 1_000_000) as f64 / 10f64.powi(rng.below(12) as i32),
            _ => 10f64.powi(rng.below(40) as i32 - 20) * (rng.below(100) as f64),
        };
        if f.is_finite() {
            floats.push(f);
        }
    }
    let input: String = floats
        .iter()
        .map(|f| format!("{}\n", f.to_bits()))
        .collect();
    let out = common::python(
        "import sys, struct\nfor l in sys.stdin: print(repr(struct.unpack('<d', int(l).to_bytes(8, 'little'))[0]))",
        &input,
    );
    for (f, want) in floats.iter().zip(out.lines()) {
        assert_eq!(pyfmt::float_repr(*f), want, "bits {:#x}", f.to_bits());
    }
}

#[test]
fn str_of_json_values_matches_python() {
    if !common::python_available() {
        return;
    }
    let texts = [
        "1",
        "-0",
        "1.0",
        "1e20",
        "1E-7",
        "2.50",
        "123456789012345678901234567890",
        "true",
        "null",
        "\"it's\"",
        "\"say \\\"hi\\\"\"",
        "\"both ' and \\\"\"",
        "\"tab\\tnl\\n\\u0001\\u007f\\u00a0é😀\\\\\"",
        "[1, \"a\", [true, null], {}]",
        "{\"k\": \"v\", \"n\": {\"x\": 1.5}}",
        "[]",
        "\"\"",
    ];
    let input: String = texts.iter().map(|t| json!(t).to_string() + "\n").collect();
    let out = common::python(
        "import sys, json\nfor l in sys.stdin: print(json.dumps(str(json.loads(json.loads(l)))))",
        &input,
    );
    for (t, want) in texts.iter().zip(out.lines()) {
        let v = awsid_aws::pyjson::loads(t).unwrap();
        let want: String = serde_json::from_str(want).unwrap();
        assert_eq!(pyfmt::py_str(&v), want, "{t}");
    }
}

#[test]
fn utf8_errors_match_python() {
    if !common::python_available() {
        return;
    }
    let mut rng = common::Rng::new(7);
    let pieces: &[&[u8]] = &[
        b"a",
        b"\xc3\xa9",
        b"\xe2\x82\xac",
        b"\xf0\x9f\x98\x80",
        b"\xff",
        b"\x80",
        b"\xc0",
        b"\xc3",
        b"\xe2\x82",
        b"\xf0\x9f",
        b"\xed\xa0\x80",
        b"\xf4\x90\x80\x80",
        b"\xe0\x80",
        b"\xf5",
    ];
    let mut cases = Vec::new();
    while cases.len() < 2000 {
        let n = rng.below(6);
        let bytes: Vec<u8> = (0..n).flat_map(|_| rng.pick(pieces).to_vec()).collect();
        cases.push(bytes);
    }
    let input: String = cases.iter().map(|b| hex(b) + "\n").collect();
    let program = r#"
import sys, json
for l in sys.stdin:
    try:
        bytes.fromhex(l.strip()).decode('utf-8'); print(json.dumps(None))
    except UnicodeDecodeError as e:
        print(json.dumps(str(e)))
"#;
    let out = common::python(program, &input);
    let mut errors = 0;
    for (b, want) in cases.iter().zip(out.lines()) {
        let want: Option<String> = serde_json::from_str(want).unwrap();
        let got = pyfmt::decode_utf8(b).err();
        errors += got.is_some() as usize;
        assert_eq!(got, want, "{}", hex(b));
    }
    assert!(errors > 500);
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

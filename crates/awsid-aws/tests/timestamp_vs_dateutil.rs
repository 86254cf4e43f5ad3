//! Differential: Expiration parsing against botocore's parser (`dateutil.parser.parse`).
//! Every time we accept must be the instant dateutil gives; every "naive" must be naive there;
//! forms we call unsupported are only counted.

mod common;

use awsid_aws::timestamp::{parse_expiration, TimeError};
use serde_json::{json, Value};

#[test]
fn accepted_times_are_dateutils_instants() {
    if !common::oracle_available("dateutil", &["python3", "-c", "import dateutil.parser"]) {
        return;
    }
    let mut rng = common::Rng::new(2026);
    let mut cases = vec![
        String::new(),
        "  ".into(),
        "soon".into(),
        "2026-02-30T00:00:00Z".into(),
    ];
    while cases.len() < 2000 {
        let y = 1970 + rng.below(130);
        let (mo, d) = (1 + rng.below(12), 1 + rng.below(31));
        let (h, mi, s) = (rng.below(24), rng.below(60), rng.below(60));
        let sep = *rng.pick(&["T", " ", "t"]);
        let frac = match rng.below(4) {
            0 => String::new(),
            n => format!(
                ".{}",
                &format!("{:09}", rng.below(1_000_000_000))[..[1, 6, 9][n - 1]]
            ),
        };
        let secs = if rng.below(8) == 0 {
            String::new()
        } else {
            format!(":{s:02}{frac}")
        };
        let oh = rng.below(15);
        let om = *rng.pick(&[0, 30, 45]);
        let zone = match rng.below(8) {
            0 => String::new(),
            1 => "Z".into(),
            2 => " UTC".into(),
            3 => format!("+{oh:02}:{om:02}"),
            4 => format!("-{oh:02}{om:02}"),
            5 => format!("+{oh:02}"),
            6 => "+00:00".into(),
            _ => "z".into(),
        };
        cases.push(format!(
            "{y:04}-{mo:02}-{d:02}{sep}{h:02}:{mi:02}{secs}{zone}"
        ));
    }
    let input: String = cases.iter().map(|c| json!(c).to_string() + "\n").collect();
    let program = r#"
import sys, json, datetime
from dateutil.parser import parse
epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
for l in sys.stdin:
    s = json.loads(l)
    try:
        dt = parse(s)
    except Exception as e:
        print(json.dumps({"error": str(e)})); continue
    if dt.tzinfo is None:
        print(json.dumps("naive"))
    else:
        print(json.dumps((dt - epoch) // datetime.timedelta(microseconds=1)))
"#;
    let out = common::python(program, &input);
    let (mut same, mut unsupported) = (0, 0);
    for (case, line) in cases.iter().zip(out.lines()) {
        let want: Value = serde_json::from_str(line).unwrap();
        match parse_expiration(case) {
            Ok(us) => {
                assert_eq!(want, json!(us), "{case:?}");
                same += 1;
            }
            Err(TimeError::Naive) => assert_eq!(want, json!("naive"), "{case:?}"),
            Err(TimeError::Empty(_)) => assert_eq!(
                want["error"].as_str(),
                Some(format!("String does not contain a date: {case}").as_str()),
                "{case:?}"
            ),
            Err(TimeError::Unsupported(_)) => unsupported += 1,
        }
    }
    eprintln!("{same} instants identical to dateutil's, {unsupported} refused as unsupported");
    assert!(same > 1000);
}

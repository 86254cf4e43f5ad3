//! Differential: our CLI-cache key against botocore's own `_create_cache_key`, with the
//! arguments built from profile values exactly as `AssumeRoleProvider` builds them.

mod common;

use awsid_aws::cli_cache::{cache_key, AssumeRoleArgs};
use serde_json::json;

const PIECES: &[&str] = &[
    "arn:aws:iam::123456789012:role/",
    "ops",
    "a b",
    "é",
    "😀",
    "\"",
    "'",
    "\\",
    "/",
    ":",
    "#",
    " # prod",
    "\t",
    "\u{7f}",
    "\u{1}",
    "Ω",
    "=",
];
const DURATIONS: &[&str] = &[
    "3600",
    " 900 ",
    "1_000",
    "1__0",
    "abc",
    "",
    "-5",
    "+7",
    "00",
    "1.5",
    "3600 # one hour",
    "123456789012345678901234567890",
    "\t43200\n",
];
const POLICIES: &[&str] = &[
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
    r#"{"b": 1, "a": {"d": [1.0, 2.5, 1e20, -0.0], "c": "é😀"}}"#,
    r#"{"z": null, "y": true, "x": 123456789012345678901234567890, "w": 0.0001}"#,
    r#"[3, 2, 1]"#,
];

fn maybe(rng: &mut common::Rng, s: String) -> Option<String> {
    if rng.below(3) == 0 {
        None
    } else {
        Some(s)
    }
}

#[test]
fn key_matches_botocore() {
    if !common::botocore_available() {
        return;
    }
    let mut rng = common::Rng::new(0xcafe_f00d);
    let mut cases = Vec::new();
    for i in 0..400 {
        let session = rng.string(PIECES, 3);
        let external = rng.string(PIECES, 4);
        let serial = format!("arn:aws:iam::123456789012:mfa/{}", rng.string(PIECES, 2));
        let duration = rng.pick(DURATIONS).to_string();
        let policy = rng.pick(POLICIES).to_string();
        cases.push(AssumeRoleArgs {
            role_arn: rng.string(PIECES, 5),
            role_session_name: maybe(&mut rng, session),
            external_id: maybe(&mut rng, external),
            mfa_serial: maybe(&mut rng, serial),
            duration_seconds: maybe(&mut rng, duration),
            policy: if i % 5 == 0 { Some(policy) } else { None },
        });
    }
    let input: String = cases
        .iter()
        .map(|a| {
            json!({
                "role_arn": a.role_arn,
                "role_session_name": a.role_session_name,
                "external_id": a.external_id,
                "mfa_serial": a.mfa_serial,
                "duration_seconds": a.duration_seconds,
                "policy": a.policy,
            })
            .to_string()
                + "\n"
        })
        .collect();
    // AssumeRoleProvider._get_role_config / _load_creds_via_assume_role, then the fetcher.
    let program = r#"
import sys, json
from botocore.credentials import AssumeRoleCredentialFetcher
for line in sys.stdin:
    p = json.loads(line)
    extra = {}
    if p["role_session_name"] is not None: extra["RoleSessionName"] = p["role_session_name"]
    if p["external_id"] is not None: extra["ExternalId"] = p["external_id"]
    if p["mfa_serial"] is not None: extra["SerialNumber"] = p["mfa_serial"]
    if p["duration_seconds"] is not None:
        try: extra["DurationSeconds"] = int(p["duration_seconds"])
        except ValueError: pass
    if p["policy"] is not None: extra["Policy"] = p["policy"]
    f = AssumeRoleCredentialFetcher(None, None, p["role_arn"], extra_args=extra)
    print(f._cache_key)
"#;
    let out = common::python(program, &input);
    let keys: Vec<&str> = out.lines().collect();
    assert_eq!(keys.len(), cases.len());
    for (args, want) in cases.iter().zip(keys) {
        assert_eq!(cache_key(args).unwrap(), want, "{args:?}");
    }
}

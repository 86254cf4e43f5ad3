//! The chain, table by table: environment and files in, source (or the CLI's error) out.
//! Each row is a rule learnt from botocore (and compared with the CLI in
//! `tests/tests/cli_diff.rs`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::*;
use crate::files::{config_view, credentials_view, parse, FileError};
use crate::shared::Loaded;

const NOW: i64 = 1_800_000_000;

fn loaded(
    text: &str,
    view: fn(&crate::files::RawFile) -> crate::files::ProfileFile,
    path: &str,
) -> Loaded {
    match parse(text.as_bytes()) {
        Ok(raw) => Loaded::Parsed(Arc::new(view(&raw))),
        Err(error) => Loaded::Broken(FileError {
            path: path.into(),
            error,
        }),
    }
}

fn walk(vars: &[(&str, &str)], flag: Option<&str>, config: &str, creds: &str) -> Plan {
    let vars = Vars::from_pairs(vars.iter().copied());
    let files = Files {
        config_path: Some(PathBuf::from("/h/.aws/config")),
        config: loaded(config, config_view, "/h/.aws/config"),
        credentials_path: Some(PathBuf::from("/h/.aws/credentials")),
        credentials: loaded(creds, credentials_view, "/h/.aws/credentials"),
    };
    plan(Input {
        vars: &vars,
        flag_profile: flag,
        flag_region: None,
        files,
        home: Some(Path::new("/nonexistent-awsid-home")),
        cwd: Some(Path::new("/work")),
        now_unix: NOW,
    })
}

/// A short name for the source, or the CLI's sentence.
fn answer(p: &Plan) -> String {
    match &p.source {
        Err(e) => format!("error: {e}"),
        Ok(s) => describe(s),
    }
}

fn describe(s: &Source) -> String {
    match s {
        Source::Env(_) => "env".into(),
        Source::AssumeRole(r) => {
            let inner = match &r.source {
                RoleSource::Profile(s) => describe(s),
                RoleSource::Named(n, _) => format!("{n:?}"),
            };
            format!("role {} ({}) <- {inner}", r.profile, r.args.role_arn)
        }
        Source::WebIdentity {
            role_arn, from_env, ..
        } => format!(
            "web-identity {role_arn}{}",
            if *from_env { " (env)" } else { "" }
        ),
        Source::Sso { profile, .. } => format!("sso {profile}"),
        Source::SharedCredentials { profile, .. } => format!("credentials-file {profile}"),
        Source::Login { profile, .. } => format!("login {profile}"),
        Source::Process { profile, .. } => format!("process {profile}"),
        Source::ConfigKeys { profile, .. } => format!("config-file {profile}"),
        Source::Ec2CredentialFile(_) => "ec2-file".into(),
        Source::BotoConfig(_) => "boto".into(),
        Source::Container => "container".into(),
        Source::InstanceMetadata => "imds".into(),
    }
}

type Var = (&'static str, &'static str);
/// name, environment, --profile, expected answer, credentials file.
type Row = (
    &'static str,
    Vec<Var>,
    Option<&'static str>,
    &'static str,
    String,
);
/// name, environment, the CLI's sentence.
type ErrorRow = (&'static str, Vec<Var>, &'static str);

const NO_IMDS: (&str, &str) = ("AWS_EC2_METADATA_DISABLED", "true");
const KEYS: [(&str, &str); 2] = [
    ("AWS_ACCESS_KEY_ID", "AKIAENV"),
    ("AWS_SECRET_ACCESS_KEY", "s"),
];
const WEB: [(&str, &str); 2] = [
    ("AWS_ROLE_ARN", "arn:aws:iam::1:role/web"),
    ("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/token"),
];

#[test]
fn the_chain_in_botocores_order() {
    let creds = "[default]\naws_access_key_id = A\naws_secret_access_key = S\n\
                 [alice]\naws_access_key_id = A\naws_secret_access_key = S\n";
    let config = "[profile admin]\nrole_arn = arn:aws:iam::2:role/admin\nsource_profile = alice\n\
                  [profile both]\ncredential_process = /bin/creds\n\
                  [profile proc]\ncredential_process = /bin/creds\n\
                  [profile cfgkeys]\naws_access_key_id = A\naws_secret_access_key = S\n\
                  [profile webprof]\nrole_arn = arn:aws:iam::3:role/p\nweb_identity_token_file = t\n\
                  [profile sso]\nsso_session = corp\nsso_account_id = 4\nsso_role_name = R\n\
                  [sso-session corp]\nsso_start_url = https://x\nsso_region = us-east-1\n\
                  [profile empty]\nregion = eu-west-1\n";
    let creds_both = format!("{creds}[both]\naws_access_key_id = A\naws_secret_access_key = S\n");
    fn e(v: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        v.iter().copied().chain([NO_IMDS]).collect()
    }
    #[rustfmt::skip]
    let rows: Vec<Row> = vec![
        ("env keys first", e(&KEYS), None, "env", creds.into()),
        ("env keys beat AWS_PROFILE", e(&[KEYS[0], KEYS[1], ("AWS_PROFILE", "admin")]), None, "env", creds.into()),
        ("--profile drops env keys", e(&KEYS), Some("alice"), "credentials-file alice", creds.into()),
        ("an empty --profile is ignored", e(&KEYS), Some(""), "env", creds.into()),
        ("AWS_DEFAULT_PROFILE before AWS_PROFILE", e(&[("AWS_PROFILE", "admin"), ("AWS_DEFAULT_PROFILE", "alice")]), None, "credentials-file alice", creds.into()),
        ("role chain", e(&[("AWS_PROFILE", "admin")]), None, "role admin (arn:aws:iam::2:role/admin) <- credentials-file alice", creds.into()),
        // Class 1: web identity before the credentials file; --profile turns the variables off.
        ("web identity before shared keys", e(&WEB), None, "web-identity arn:aws:iam::1:role/web (env)", creds.into()),
        ("--profile turns web identity variables off", e(&WEB), Some("default"), "credentials-file default", creds.into()),
        ("AWS_ROLE_ARN overrides the profile's role_arn", e(&[WEB[0]]), Some("webprof"), "web-identity arn:aws:iam::3:role/p", creds.into()),
        ("variables override the profile key by key", e(&[WEB[0], ("AWS_PROFILE", "webprof")]), None, "web-identity arn:aws:iam::1:role/web (env)", creds.into()),
        // Class 2: keys in the credentials file before credential_process.
        ("shared keys before credential_process", e(&[("AWS_PROFILE", "both")]), None, "credentials-file both", creds_both.clone()),
        ("credential_process", e(&[("AWS_PROFILE", "proc")]), None, "process proc", creds.into()),
        ("keys in the config file last", e(&[("AWS_PROFILE", "cfgkeys")]), None, "config-file cfgkeys", creds.into()),
        ("sso", e(&[("AWS_PROFILE", "sso")]), None, "sso sso", creds.into()),
        ("a profile without credentials goes on down the chain", vec![("AWS_PROFILE", "empty")], None, "imds", creds.into()),
        ("instance metadata last", vec![], None, "imds", String::new()),
        ("container before instance metadata", vec![("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1/c")], None, "container", String::new()),
        ("default used when nothing is named", e(&[]), None, "credentials-file default", creds.into()),
    ];
    for (name, vars, flag, want, creds) in rows {
        let p = walk(&vars, flag, config, &creds);
        assert_eq!(answer(&p), want, "{name}");
    }
}

#[test]
fn the_clis_errors() {
    let config = "[profile dangling]\nrole_arn = r\nsource_profile = nobody\n\
                  [profile deep]\nrole_arn = r\nsource_profile = dangling\n\
                  [profile both]\nrole_arn = r\nsource_profile = a\ncredential_source = Environment\n\
                  [profile neither]\nrole_arn = r\n\
                  [profile badsource]\nrole_arn = r\ncredential_source = environment\n\
                  [profile envsource]\nrole_arn = r\ncredential_source = Environment\n\
                  [profile loop1]\nrole_arn = r\nsource_profile = loop2\n\
                  [profile loop2]\nrole_arn = r\nsource_profile = loop1\n\
                  [profile nocreds]\nrole_arn = r\nsource_profile = empty\n\
                  [profile empty]\nregion = x\n\
                  [profile webnorole]\nweb_identity_token_file = /t\n\
                  [profile ssohalf]\nsso_account_id = 1\n\
                  [profile ssonosession]\nsso_session = gone\nsso_account_id = 1\nsso_role_name = r\n";
    let creds = "[half]\naws_access_key_id = A\n";
    #[rustfmt::skip]
    let rows: Vec<ErrorRow> = vec![
        ("missing profile", vec![("AWS_PROFILE", "nosuch")], "The config profile (nosuch) could not be found"),
        ("missing profile even with env keys", vec![KEYS[0], KEYS[1], ("AWS_PROFILE", "nosuch")], "The config profile (nosuch) could not be found"),
        ("empty profile variable names \"\"", vec![("AWS_PROFILE", "")], "The config profile () could not be found"),
        ("class 4: key without secret", vec![KEYS[0]], "Partial credentials found in env, missing: AWS_SECRET_ACCESS_KEY"),
        ("class 4: empty secret", vec![KEYS[0], ("AWS_SECRET_ACCESS_KEY", "")], "Partial credentials found in env, missing: AWS_SECRET_ACCESS_KEY"),
        ("class 4: key without secret in the file", vec![("AWS_PROFILE", "half")], "Partial credentials found in shared-credentials-file, missing: aws_secret_access_key"),
        ("class 11: expired environment keys", vec![KEYS[0], KEYS[1], ("AWS_CREDENTIAL_EXPIRATION", "2020-01-01T00:00:00Z")], "Credentials were refreshed, but the refreshed credentials are still expired."),
        ("class 11: unparseable expiry", vec![KEYS[0], KEYS[1], ("AWS_CREDENTIAL_EXPIRATION", "soon")], "Unknown string format: soon"),
        ("class 11: naive expiry", vec![KEYS[0], KEYS[1], ("AWS_CREDENTIAL_EXPIRATION", "2030-01-01T00:00:00")], "can't subtract offset-naive and offset-aware datetimes"),
        ("missing source_profile", vec![("AWS_PROFILE", "dangling")], "The source_profile \"nobody\" referenced in the profile \"dangling\" does not exist."),
        ("missing source_profile deeper", vec![("AWS_PROFILE", "deep")], "The source_profile \"nobody\" referenced in the profile \"dangling\" does not exist."),
        ("both sources", vec![("AWS_PROFILE", "both")], "The profile \"both\" contains both source_profile and credential_source."),
        ("neither source", vec![("AWS_PROFILE", "neither")], "Partial credentials found in assume-role, missing: source_profile or credential_source"),
        ("credential_source is case-sensitive", vec![("AWS_PROFILE", "badsource")], "The credential source \"environment\" referenced in profile \"badsource\" is not valid."),
        ("credential_source Environment without keys", vec![("AWS_PROFILE", "envsource")], "Error when retrieving credentials from Environment: No credentials found in credential_source referenced in profile envsource"),
        ("a loop", vec![("AWS_PROFILE", "loop1")], "Infinite loop in credential configuration detected. Attempting to load from profile loop1 which has already been visited. Visited profiles: ['loop1', 'loop2']"),
        ("a source profile without credentials", vec![("AWS_PROFILE", "nocreds")], "The source profile \"empty\" must have credentials."),
        ("web identity without a role", vec![("AWS_PROFILE", "webnorole")], "The provided profile or the current environment is configured to assume role with web identity but has no role ARN configured. Ensure that the profile has the role_arnconfiguration set or the AWS_ROLE_ARN env var is set."),
        ("web identity token variable without a role", vec![WEB[1]], "The provided profile or the current environment is configured to assume role with web identity but has no role ARN configured. Ensure that the profile has the role_arnconfiguration set or the AWS_ROLE_ARN env var is set."),
        ("sso missing settings", vec![("AWS_PROFILE", "ssohalf")], "The profile \"ssohalf\" is configured to use SSO but is missing required configuration: sso_role_name, sso_start_url, sso_region"),
        ("sso-session missing", vec![("AWS_PROFILE", "ssonosession")], "The specified sso-session does not exist: \"gone\""),
        ("no credentials at all", vec![NO_IMDS], "Unable to locate credentials. You can configure credentials by running \"aws configure\"."),
    ];
    for (name, vars, want) in rows {
        let p = walk(&vars, None, config, creds);
        assert_eq!(answer(&p), format!("error: {want}"), "{name}");
    }
}

#[test]
fn the_files_as_botocore_reads_them() {
    let creds = "[profile x]\naws_access_key_id = A\naws_secret_access_key = S\n";
    // Class 9: `[profile x]` in the credentials file is the profile "profile x".
    assert_eq!(
        answer(&walk(&[NO_IMDS, ("AWS_PROFILE", "x")], None, "", creds)),
        "error: The config profile (x) could not be found"
    );
    assert_eq!(
        answer(&walk(
            &[NO_IMDS, ("AWS_PROFILE", "profile x")],
            None,
            "",
            creds
        )),
        "credentials-file profile x"
    );
    // Class 3: of `[profile default]` and a later `[default]`, the later one.
    let config = "[profile default]\nrole_arn = arn:aws:iam::1:role/early\nsource_profile = k\n\
                  [default]\nrole_arn = arn:aws:iam::1:role/late\nsource_profile = k\n\
                  [profile k]\naws_access_key_id = A\naws_secret_access_key = S\n";
    assert!(answer(&walk(&[NO_IMDS], None, config, "")).contains("role/late"));
    // Class 5: inline comments are part of the value.
    let config = "[default]\nrole_arn = arn:aws:iam::1:role/ops # production\nsource_profile = k\n\
                  [profile k]\naws_access_key_id = A\naws_secret_access_key = S\n";
    assert!(answer(&walk(&[NO_IMDS], None, config, "")).contains("role/ops # production"));
    // Class 6: a duplicate key stops every command; a colon and indented keys are fine.
    let dup = "[default]\nregion = a\nregion = b\n";
    assert_eq!(
        answer(&walk(&[KEYS[0], KEYS[1]], None, dup, "")),
        "error: Unable to parse config file: /h/.aws/config"
    );
    let lenient =
        "[profile c] (old account)\n  region: eu-west-1\n  # note\ncredential_process: /bin/x\n";
    let p = walk(&[NO_IMDS, ("AWS_PROFILE", "c")], None, lenient, "");
    assert_eq!(answer(&p), "process c");
    assert_eq!(
        p.region.map(|r| r.0),
        Some("eu-west-1".into()),
        "keys indented under a header"
    );
    // `[DEFAULT]` is inherited by every section.
    let p = walk(
        &[NO_IMDS, ("AWS_PROFILE", "z")],
        None,
        "[DEFAULT]\nregion = ap-south-1\n[profile z]\n",
        "",
    );
    assert_eq!(p.region.map(|r| r.0), Some("ap-south-1".into()));
}

#[test]
fn what_a_plan_depends_on() {
    let config = "[profile proc]\ncredential_process = ./creds.sh\n\
                  [profile mfa]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = k\nmfa_serial = arn:aws:iam::1:mfa/me\n\
                  [profile k]\naws_access_key_id = A\naws_secret_access_key = S\n\
                  [profile web]\nrole_arn = arn:aws:iam::1:role/w\nweb_identity_token_file = token\n";
    // Class 13: a program answers, so every variable and the directory count.
    let p = walk(&[("AWS_PROFILE", "proc")], None, config, "");
    assert!(p.whole_env && p.uses_cwd && p.opaque);
    let p = walk(&[("AWS_PROFILE", "k")], None, config, "");
    assert!(!p.whole_env && !p.uses_cwd && !p.opaque);
    // Class 12: an MFA role's answer is the CLI's cache file for its arguments.
    let p = walk(&[("AWS_PROFILE", "mfa")], None, config, "");
    let Ok(Source::AssumeRole(role)) = &p.source else {
        panic!("{}", answer(&p))
    };
    assert_eq!(
        role.args.mfa_serial.as_deref(),
        Some("arn:aws:iam::1:mfa/me")
    );
    let cache = role.cache_file.clone().unwrap();
    assert!(cache.starts_with("/nonexistent-awsid-home/.aws/cli/cache"));
    assert!(p.files.contains(&cache));
    // A file named through another variable: any variable can change it.
    let p = walk(
        &[("AWS_PROFILE", "k"), ("AWS_CONFIG_FILE", "$DIR/config")],
        None,
        config,
        "",
    );
    assert!(p.whole_env);
    // A relative token file is the shell's directory's.
    let p = walk(&[("AWS_PROFILE", "web")], None, config, "");
    assert!(p.uses_cwd);
    assert!(p.files.contains(&PathBuf::from("/work/token")));
    // The SSO token cache file is watched.
    let sso = "[profile s]\nsso_start_url = https://u\nsso_region = r\nsso_account_id = 1\nsso_role_name = n\n";
    let p = walk(&[("AWS_PROFILE", "s")], None, sso, "");
    let want = format!(
        "/nonexistent-awsid-home/.aws/sso/cache/{}.json",
        crate::shared::sha1_hex("https://u")
    );
    assert!(p.files.contains(&PathBuf::from(want)), "{:?}", p.files);
}

//! What the prompt shows, table-driven: an environment and config files in, one rendered
//! segment out (the plan's facts rendered over the identity STS would confirm).

use super::*;
use crate::config::Config;
use crate::resolve::outcome::{AliasLookup, Identity};
use crate::segment::{segment, State};
use awsid_proto::msg::Shell;

const CONFIG: &str = "[default]\nregion = us-east-1\n\
                      [profile prod-admin]\nregion = eu-west-1\n\
                      [profile dev]\nregion = us-east-1\n";
const CREDENTIALS: &str = "[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = s\n\
                           [prod-admin]\naws_access_key_id = AKIAPROD\naws_secret_access_key = s\n\
                           [dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = s\n";

const AWSID: &str = "[prompt]\nstyle = \"\"\nstate_style = \"\"\n\
                     format = \"{symbol}{state}{account}[ {profile}][ @{other_region}]\"\n\
                     hide = [\"default\"]\n\
                     [[class]]\nmatch = \"prod*\"\nsymbol = \"P \"\n";

/// Variables of one case.
type EnvVars<'a> = Vec<(&'a str, &'a str)>;

/// The segment for `vars` (HOME and the files are added), the identity confirmed.
fn shown(home: &Path, vars: &[(&str, &str)], cfg: &Config) -> String {
    let mut env: Env = vec![(b"HOME".to_vec(), home.display().to_string().into_bytes())];
    env.extend(
        vars.iter()
            .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec())),
    );
    let planned = plan_with(
        &FileCache::default(),
        &crate::fingerprint::Key::random(),
        Some(home),
        &Request {
            env: &env,
            full_env: true,
            cwd: Some(b"/"),
            profile_override: None,
            region_override: None,
            call_options: &[],
            call_file: None,
        },
    );
    let facts = match planned {
        Planned::Ready(p) => p.facts,
        Planned::Refused(r) => r.facts,
        Planned::NeedEnv => panic!("a full request needs nothing more"),
    };
    let id = Identity {
        account: "123456789012".into(),
        arn: "arn:aws:iam::123456789012:user/u".into(),
        user_id: "AIDA".into(),
        expires_unix: None,
        alias: AliasLookup::NotAsked,
        sso_name: AliasLookup::NotAsked,
    };
    segment(cfg, Shell::Plain, &State::Fresh, Some(&id), &facts, 0)
}

#[test]
fn env_and_files_in_one_segment_out() {
    let dir = std::env::temp_dir().join(format!("awsid-plan-{}", std::process::id()));
    std::fs::create_dir_all(dir.join(".aws")).unwrap();
    std::fs::write(dir.join(".aws/config"), CONFIG).unwrap();
    std::fs::write(dir.join(".aws/credentials"), CREDENTIALS).unwrap();
    let cfg = Config::parse(AWSID).unwrap();
    let keys: &[(&str, &str)] = &[
        ("AWS_ACCESS_KEY_ID", "AKIAENVKEYS"),
        ("AWS_SECRET_ACCESS_KEY", "s"),
    ];
    let with = |extra: &[(&'static str, &'static str)]| -> EnvVars<'static> {
        let mut v: EnvVars = keys.to_vec();
        v.extend_from_slice(extra);
        v
    };
    let cases: Vec<(&str, EnvVars, &str)> = vec![
        (
            "the profile is the source: named, and its class matches",
            vec![("AWS_PROFILE", "prod-admin")],
            "P 123456789012 prod-admin",
        ),
        (
            "keys in the environment win: an AWS_PROFILE they override is not shown nor matched",
            with(&[("AWS_PROFILE", "prod-admin")]),
            "123456789012",
        ),
        (
            "aws-vault's exported profile names the keys",
            with(&[("AWS_VAULT", "prod-admin"), ("AWS_REGION", "eu-west-1")]),
            "P 123456789012 prod-admin",
        ),
        (
            "granted's exported profile names the keys",
            with(&[
                ("GRANTED_AWS_ROLE_PROFILE", "dev"),
                ("AWS_PROFILE", "dev"),
                ("AWS_REGION", "us-east-1"),
            ]),
            "123456789012 dev",
        ),
        (
            "a region variable that differs from the profile's own is shown",
            vec![("AWS_PROFILE", "dev"), ("AWS_REGION", "ap-south-1")],
            "123456789012 dev @ap-south-1",
        ),
        (
            "the same region as the profile's is not",
            vec![("AWS_PROFILE", "dev"), ("AWS_DEFAULT_REGION", "us-east-1")],
            "123456789012 dev",
        ),
        ("a hidden default identity shows nothing", vec![], ""),
        (
            "keys of no profile, no region variable: the account alone",
            keys.to_vec(),
            "123456789012",
        ),
    ];
    for (what, vars, want) in cases {
        assert_eq!(shown(&dir, &vars, &cfg), want, "{what}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

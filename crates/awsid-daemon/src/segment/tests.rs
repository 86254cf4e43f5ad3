//! Every state in every shell mode, as snapshots.

use super::*;
use crate::config::Config;
use crate::resolve::outcome::Identity;

const NOW: i64 = 1_800_000_000;

fn id(expires: Option<i64>) -> Identity {
    Identity {
        account: "123456789012".into(),
        arn: "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice"
            .into(),
        user_id: "AROAEXAMPLE:alice".into(),
        expires_unix: expires,
        alias: crate::resolve::outcome::AliasLookup::NotAsked,
        sso_name: crate::resolve::outcome::AliasLookup::NotAsked,
    }
}

fn facts() -> Facts {
    Facts {
        profile: Some("dev".into()),
        region: Some("eu-west-1".into()),
        other_region: None,
        endpoint: "https://sts.eu-west-1.amazonaws.com".into(),
        conflict: false,
        hint: Some("210987654321".into()),
        alias: None,
        sso_name: None,
    }
}

fn plain_cfg() -> Config {
    Config::parse("[prompt]\nstyle = \"\"\nstate_style = \"\"\n").unwrap()
}

#[test]
fn every_state_is_visibly_distinct() {
    let c = plain_cfg();
    let f = facts();
    let show = |s: &State, i: Option<&Identity>| segment(&c, Shell::Plain, s, i, &f, NOW);
    let fresh = id(None);
    let cases: Vec<(String, &str)> = vec![
        (show(&State::Fresh, Some(&fresh)), "123456789012:Admin"),
        (show(&State::Pending, None), "…210987654321?"),
        (show(&State::Stale, Some(&fresh)), "?123456789012:Admin"),
        (show(&State::Expired, None), "!expired"),
        (show(&State::Invalid, None), "!invalid"),
        (show(&State::NoCreds, None), "!no-creds"),
        (
            show(&State::ProfileNotFound("nosuch".into()), None),
            "!profile nosuch",
        ),
        (show(&State::Offline, None), "!offline"),
        (show(&State::Login, None), "!login"),
        (show(&State::NeedsMfa, None), "!mfa"),
        (
            show(&State::TimedOut("sts.amazonaws.com".into()), None),
            "!timeout sts.amazonaws.com",
        ),
        (show(&State::Throttled, None), "!throttled"),
        (show(&State::Failed, None), "!error"),
        (
            show(&State::Fresh, Some(&id(Some(NOW + 42 * 60 + 5)))),
            "123456789012:Admin (42m)",
        ),
        (
            show(&State::Fresh, Some(&id(Some(NOW - 1)))),
            "!expired 123456789012:Admin",
        ),
        (
            show(&State::Fresh, Some(&id(Some(NOW + 3 * 3600)))),
            "123456789012:Admin",
        ),
    ];
    for (got, want) in &cases {
        assert_eq!(got, want);
    }
    // The thirteen states (the last three cases are the fresh state with an expiry).
    let mut seen: Vec<&String> = cases[..13].iter().map(|(g, _)| g).collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 13, "two states look alike");
    let conflict = Facts {
        conflict: true,
        ..facts()
    };
    assert_eq!(
        segment(
            &c,
            Shell::Plain,
            &State::Fresh,
            Some(&fresh),
            &conflict,
            NOW
        ),
        "!conflict 123456789012:Admin"
    );
}

#[test]
fn every_shell_mode() {
    let c = Config::parse(
        "[prompt]\nstyle = \"bold red\"\n[accounts]\n\"123456789012\" = \"50%#$off\"\n",
    )
    .unwrap();
    let f = facts();
    let i = id(None);
    let got: Vec<String> = [
        Shell::Bash,
        Shell::BashVar,
        Shell::Zsh,
        Shell::Fish,
        Shell::Tmux,
        Shell::Plain,
    ]
    .iter()
    .map(|s| segment(&c, *s, &State::Fresh, Some(&i), &f, NOW))
    .collect();
    assert_eq!(
        got,
        vec![
            "\\[\x1b[1;31m\\]50%#\\$off:Admin\\[\x1b[0m\\]".to_string(),
            "\x01\x1b[1;31m\x0250%#$off:Admin\x01\x1b[0m\x02".to_string(),
            "%{\x1b[1;31m%}50%%#$off:Admin%{\x1b[0m%}".to_string(),
            "\x1b[1;31m50%#$off:Admin\x1b[0m".to_string(),
            "#[fg=red,bold]50%##$off:Admin#[default]".to_string(),
            "50%#$off:Admin".to_string(),
        ]
    );
}

#[test]
fn classes_match_id_name_or_profile_first_match_wins() {
    let c = Config::parse(
        "[prompt]\nformat = \"{symbol}{account}\"\nstyle = \"\"\n\
         [accounts]\n\"123456789012\" = \"prod-main\"\n\
         [[class]]\nmatch = \"prod*\"\nsymbol = \"P \"\n\
         [[class]]\nmatch = \"dev\"\nsymbol = \"D \"\n",
    )
    .unwrap();
    let i = id(None);
    assert_eq!(
        segment(&c, Shell::Plain, &State::Fresh, Some(&i), &facts(), NOW),
        "P prod-main"
    );
    let other = Identity {
        account: "999999999999".into(),
        ..id(None)
    };
    assert_eq!(
        segment(&c, Shell::Plain, &State::Fresh, Some(&other), &facts(), NOW),
        "D 999999999999"
    );
}

#[test]
fn failures_map_to_states() {
    use crate::resolve::outcome::Failure;
    use awsid_proto::msg::FailureKind;
    let f = |kind, code: Option<&str>| {
        State::of_failure(
            &Failure {
                kind,
                code: code.map(str::to_string),
                message: String::new(),
            },
            "https://sts.eu-west-1.amazonaws.com",
        )
    };
    assert_eq!(
        f(FailureKind::Service, Some("ExpiredToken")),
        State::Expired
    );
    assert_eq!(
        f(FailureKind::Service, Some("InvalidClientTokenId")),
        State::Invalid
    );
    assert_eq!(
        f(FailureKind::Service, Some("Throttling")),
        State::Throttled
    );
    assert_eq!(f(FailureKind::Network, None), State::Offline);
    assert_eq!(
        f(FailureKind::Timeout, None),
        State::TimedOut("sts.eu-west-1.amazonaws.com".into())
    );
    assert_eq!(f(FailureKind::SsoLogin, None), State::Login);
    assert_eq!(f(FailureKind::NoCredentials, None), State::NoCreds);
    // A profile that vanished between the plan and the lookup: named, never as `!profile ""`
    // (the marker of an empty AWS_PROFILE).
    let gone = awsid_aws::errors::CliError::ProfileNotFound {
        profile: "corp".into(),
    };
    let failure = Failure {
        kind: FailureKind::ProfileNotFound,
        code: None,
        message: gone.to_string(),
    };
    assert_eq!(
        State::of_failure(&failure, "https://sts.amazonaws.com"),
        State::ProfileNotFound("corp".into())
    );
    assert!(State::Offline.is_transient() && !State::Invalid.is_transient());
}

#[test]
fn globs() {
    assert!(glob("*prod*", "my-prod-1"));
    assert!(glob("12345678901?", "123456789012"));
    assert!(!glob("prod", "production"));
    assert!(glob("*", ""));
}

/// Every field the template knows is documented in the default file (one list: the enum).
#[test]
fn every_field_is_documented_in_the_default_config() {
    let doc = awsid_proto::DEFAULT_CONFIG;
    let start = doc.find("# Fields:").expect("a Fields: paragraph");
    let end = start + doc[start..].find("\nformat =").expect("format after it");
    let words: Vec<&str> = doc[start..end]
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .collect();
    for f in template::Field::ALL {
        assert!(words.contains(&f.name()), "{} is not documented", f.name());
    }
}

#[test]
fn the_account_name_is_yours_then_the_sso_portals_then_the_alias() {
    let with = |config: &str, sso: Option<&str>, alias: Option<&str>| {
        let c = Config::parse(&format!(
            "[prompt]\nstyle = \"\"\nformat = \"{{account}}\"\nalias_lookup = true\n{config}"
        ))
        .unwrap();
        let f = Facts {
            sso_name: sso.map(str::to_string),
            alias: alias.map(str::to_string),
            ..facts()
        };
        segment(&c, Shell::Plain, &State::Fresh, Some(&id(None)), &f, NOW)
    };
    let mine = "[accounts]\n\"123456789012\" = \"mine\"\n";
    assert_eq!(with(mine, Some("Portal"), Some("alias")), "mine");
    assert_eq!(with("", Some("Portal"), Some("alias")), "Portal");
    assert_eq!(with("", None, Some("alias")), "alias");
    assert_eq!(with("", None, None), "123456789012");
    // Never for an identity not yet confirmed.
    let c = Config::parse("[prompt]\nstyle = \"\"\nformat = \"{account}\"\n").unwrap();
    let f = Facts {
        sso_name: Some("Portal".into()),
        ..facts()
    };
    assert_eq!(
        segment(&c, Shell::Plain, &State::Pending, None, &f, NOW),
        "210987654321?"
    );
}

//! `awsid whoami` against moto_server, compared with `aws sts get-caller-identity` run in the
//! same environment: stdout byte for byte, the same error sentence on stderr, no identity on
//! stdout when the CLI prints none, and CLI v2 exit codes where the v1 CLI here says 255.

use awsid_tests::harness::{Out, Sandbox, Vars};
use awsid_tests::moto::moto;

/// Runs both with the same arguments; asserts they agree; returns ours.
#[track_caller]
fn same_as_cli(sb: &Sandbox, args: &[&str], vars: &Vars) -> Out {
    let mut cli_args = vec!["sts", "get-caller-identity"];
    cli_args.extend_from_slice(args);
    let mut our_args = vec!["whoami"];
    our_args.extend_from_slice(args);
    let cli = sb.aws(&cli_args, vars);
    let ours = sb.awsid(&our_args, vars);
    assert_eq!(
        ours.stdout, cli.stdout,
        "stdout differs for {args:?}\nours: {ours:?}\ncli: {cli:?}"
    );
    if cli.code == 0 {
        assert_eq!(ours.code, 0, "{ours:?}");
        assert!(ours.stderr.is_empty(), "{ours:?}");
    } else {
        assert!(ours.stdout.is_empty());
        assert_eq!(ours.stderr, cli.stderr, "stderr differs for {args:?}");
        assert_ne!(ours.code, 0);
    }
    ours
}

fn write_profiles(sb: &Sandbox) {
    let m = moto();
    sb.write(
        ".aws/credentials",
        &format!(
            "[default]\naws_access_key_id = {a}\naws_secret_access_key = {as_}\n\n\
             [alice]\naws_access_key_id = {a}\naws_secret_access_key = {as_}\n\n\
             [bob]\naws_access_key_id = {b}\naws_secret_access_key = {bs}\n\n\
             [tabular]\naws_access_key_id = {a}\naws_secret_access_key = {as_}\n",
            a = m.alice.access_key_id,
            as_ = m.alice.secret_access_key,
            b = m.bob.access_key_id,
            bs = m.bob.secret_access_key
        ),
    );
    sb.write(
        ".aws/config",
        "[default]\nregion = us-east-1\n\n\
         [profile admin]\nrole_arn = arn:aws:iam::222222222222:role/admin\nsource_profile = alice\n\n\
         [profile tabular]\noutput = table\nregion = us-east-1\n",
    );
}

fn base(sb: &Sandbox) -> Vars {
    sb.vars().set("AWS_ENDPOINT_URL", moto().url.clone())
}

#[test]
fn env_keys_of_two_users_in_two_accounts_in_every_output_format() {
    let m = moto();
    let sb = Sandbox::new();
    for user in [&m.alice, &m.bob] {
        let v = base(&sb).keys(&user.access_key_id, &user.secret_access_key);
        let json = same_as_cli(&sb, &[], &v);
        assert!(
            json.stdout.contains(&format!("\"Arn\": \"{}\"", user.arn)),
            "{json:?}"
        );
        assert!(json.stdout.contains(&user.account));
        same_as_cli(&sb, &["--output", "text"], &v);
        same_as_cli(&sb, &["--output", "table"], &v);
        let q = same_as_cli(&sb, &["--query", "Account", "--output", "text"], &v);
        assert_eq!(q.stdout, format!("{}\n", user.account));
        same_as_cli(&sb, &["--query", "Arn"], &v);
    }
    assert_ne!(m.alice.account, m.bob.account);
}

#[test]
fn profiles_precedence_and_missing_profiles() {
    let m = moto();
    let sb = Sandbox::new();
    write_profiles(&sb);
    let v = base(&sb);

    // The default profile from the credentials file.
    let out = same_as_cli(&sb, &[], &v);
    assert!(out.stdout.contains(&m.alice.arn));

    // AWS_PROFILE selects bob.
    let out = same_as_cli(&sb, &[], &v.clone().set("AWS_PROFILE", "bob"));
    assert!(out.stdout.contains(&m.bob.arn));

    // Keys in the environment beat AWS_PROFILE's files.
    let keys = v
        .clone()
        .set("AWS_PROFILE", "bob")
        .keys(&m.alice.access_key_id, &m.alice.secret_access_key);
    let out = same_as_cli(&sb, &[], &keys);
    assert!(out.stdout.contains(&m.alice.arn));

    // ...but an explicit --profile disables them.
    let out = same_as_cli(&sb, &["--profile", "bob"], &keys);
    assert!(out.stdout.contains(&m.bob.arn));

    // AWS_DEFAULT_PROFILE is read before AWS_PROFILE, as the CLI does.
    let out = same_as_cli(
        &sb,
        &[],
        &v.clone()
            .set("AWS_PROFILE", "alice")
            .set("AWS_DEFAULT_PROFILE", "bob"),
    );
    assert!(out.stdout.contains(&m.bob.arn));

    // A named profile that does not exist is an error, even with keys in the environment.
    for vars in [
        v.clone().set("AWS_PROFILE", "nosuch"),
        keys.clone().set("AWS_PROFILE", "nosuch"),
    ] {
        let out = same_as_cli(&sb, &[], &vars);
        assert_eq!(
            out.stderr,
            "\nThe config profile (nosuch) could not be found\n"
        );
        assert_eq!(out.code, 253);
    }
    let out = same_as_cli(&sb, &["--profile", "nosuch"], &v);
    assert_eq!(out.code, 253);
    // A profile variable set to an empty string names profile "": also an error, not the
    // default profile (AWS_DEFAULT_PROFILE= wins over a set AWS_PROFILE, as in the CLI).
    for vars in [
        v.clone().set("AWS_PROFILE", ""),
        v.clone().set("AWS_DEFAULT_PROFILE", ""),
        v.clone()
            .set("AWS_DEFAULT_PROFILE", "")
            .set("AWS_PROFILE", "alice"),
    ] {
        let out = same_as_cli(&sb, &[], &vars);
        assert_eq!(out.stderr, "\nThe config profile () could not be found\n");
        assert_eq!(out.code, 253);
    }
    // AWS_CONFIG_FILE set to an empty string means no config file, not the default one.
    let out = same_as_cli(
        &sb,
        &[],
        &v.clone()
            .set("AWS_PROFILE", "admin")
            .set("AWS_CONFIG_FILE", ""),
    );
    assert_eq!(
        out.stderr,
        "\nThe config profile (admin) could not be found\n"
    );

    // A role chain whose source_profile is missing: the CLI's error (the SDK alone would go on
    // to instance metadata), unless keys in the environment come first.
    let config = sb.home.join(".aws/config");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        format!("{text}\n[profile dangling]\nrole_arn = arn:aws:iam::222222222222:role/admin\nsource_profile = nobody\n"),
    )
    .unwrap();
    let out = same_as_cli(&sb, &[], &v.clone().set("AWS_PROFILE", "dangling"));
    assert_eq!(
        out.stderr,
        "\nThe source_profile \"nobody\" referenced in the profile \"dangling\" does not exist.\n"
    );
    assert_eq!(out.code, 253);
    let out = same_as_cli(&sb, &[], &keys.clone().set("AWS_PROFILE", "dangling"));
    assert_eq!(out.code, 0);
    std::fs::write(&config, text).unwrap();

    // The profile's `output` setting, and AWS_DEFAULT_OUTPUT above it.
    same_as_cli(&sb, &[], &v.clone().set("AWS_PROFILE", "tabular"));
    let out = same_as_cli(
        &sb,
        &[],
        &v.clone()
            .set("AWS_PROFILE", "tabular")
            .set("AWS_DEFAULT_OUTPUT", "text"),
    );
    assert_eq!(out.stdout.matches('\t').count(), 2, "{out:?}");
}

#[test]
fn assume_role_profile_lands_in_the_role_account() {
    let sb = Sandbox::new();
    write_profiles(&sb);
    let v = base(&sb).set("AWS_PROFILE", "admin");
    let cli = sb.aws(&["sts", "get-caller-identity", "--output", "text"], &v);
    let ours = sb.awsid(&["whoami", "--output", "text"], &v);
    let fields =
        |o: &Out| -> Vec<String> { o.ok().trim_end().split('\t').map(str::to_string).collect() };
    let (c, o) = (fields(&cli), fields(&ours));
    // Account, Arn, UserId. The session name differs by design (the CLI names it
    // botocore-session-<time>, the SDK its own), so compare up to the role.
    assert_eq!(o[0], "222222222222");
    assert_eq!(o[0], c[0]);
    let role = "arn:aws:sts::222222222222:assumed-role/admin/";
    assert!(
        o[1].starts_with(role) && c[1].starts_with(role),
        "{o:?} {c:?}"
    );
    let role_id = |s: &str| s.split(':').next().unwrap_or_default().to_string();
    assert_eq!(role_id(&o[2]), role_id(&c[2]));
}

#[test]
fn no_credentials_at_all() {
    let sb = Sandbox::new();
    let v = base(&sb);
    let out = same_as_cli(&sb, &[], &v);
    assert_eq!(
        out.stderr,
        "Unable to locate credentials. You can configure credentials by running \"aws configure\".\n"
    );
    assert_eq!(out.code, 253);
}

#[test]
fn no_region_uses_the_global_endpoint() {
    // The v1 CLI refuses to run without a region; awsid answers like CLI v2 (global endpoint).
    let m = moto();
    let sb = Sandbox::new();
    let v = base(&sb)
        .unset("AWS_DEFAULT_REGION")
        .keys(&m.alice.access_key_id, &m.alice.secret_access_key);
    let out = sb.awsid(&["whoami", "--query", "Arn", "--output", "text"], &v);
    assert_eq!(out.ok(), format!("{}\n", m.alice.arn));
}

#[test]
fn endpoint_url_sts_is_honoured() {
    let m = moto();
    let sb = Sandbox::new();
    let v = sb
        .vars()
        .set("AWS_ENDPOINT_URL", "http://127.0.0.1:9") // discard port: would fail
        .set("AWS_ENDPOINT_URL_STS", m.url.clone())
        .keys(&m.bob.access_key_id, &m.bob.secret_access_key);
    same_as_cli(&sb, &[], &v);
    let out = sb.awsid(&["whoami", "--query", "Account", "--output", "text"], &v);
    assert_eq!(out.ok(), format!("{}\n", m.bob.account));
}

/// `--endpoint-url` and `--region` are part of the lookup: an answer found through one endpoint
/// or region is never reused for another, and the same options are answered from the cache.
#[test]
fn endpoint_and_region_options_never_reuse_another_lookup() {
    let m = moto();
    let fake = awsid_tests::fake_sts::FakeSts::start();
    let sb = Sandbox::new();
    let v = base(&sb).keys(&m.alice.access_key_id, &m.alice.secret_access_key);
    let account = |args: &[&str]| {
        let mut all = vec!["whoami", "--query", "Account", "--output", "text"];
        all.extend_from_slice(args);
        let out = sb.awsid(&all, &v);
        assert_eq!(out.code, 0, "{args:?}: {out:?}");
        out.stdout.trim().to_string()
    };
    let url = fake.url();
    assert_eq!(account(&[]), m.alice.account);
    assert_eq!(
        account(&["--endpoint-url", &url]),
        awsid_tests::fake_sts::ACCOUNT
    );
    assert_eq!(fake.calls(&m.alice.access_key_id), 1);
    // The same options again: the cached answer.
    assert_eq!(
        account(&["--endpoint-url", &url]),
        awsid_tests::fake_sts::ACCOUNT
    );
    assert_eq!(fake.calls(&m.alice.access_key_id), 1);
    // Without the option: moto's answer, not the fake's.
    assert_eq!(account(&[]), m.alice.account);
    // Another region through the same endpoint: a lookup of its own.
    assert_eq!(
        account(&["--endpoint-url", &url, "--region", "eu-west-1"]),
        awsid_tests::fake_sts::ACCOUNT
    );
    assert_eq!(fake.calls(&m.alice.access_key_id), 2);
    // An unreachable endpoint fails; it is not answered from another endpoint's cache.
    let out = sb.awsid(&["whoami", "--endpoint-url", "http://127.0.0.1:9"], &v);
    assert_ne!(out.code, 0, "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");
}

/// `--query` (JMESPath) and `--output yaml|yaml-stream` on a real answer: the query's result
/// in CLI v2's YAML (keys sorted, an all-digit account quoted).
#[test]
fn query_and_yaml_outputs() {
    let m = moto();
    let sb = Sandbox::new();
    let v = base(&sb).keys(&m.alice.access_key_id, &m.alice.secret_access_key);
    same_as_cli(&sb, &["--query", "[Account,Arn]"], &v);
    same_as_cli(
        &sb,
        &["--query", "{a: Account, id: UserId}", "--output", "table"],
        &v,
    );
    let yaml = sb.awsid(&["whoami", "--output", "yaml"], &v);
    assert_eq!(
        yaml.stdout,
        format!(
            "Account: '{}'\nArn: {}\nUserId: {}\n",
            m.alice.account, m.alice.arn, m.alice.user_id
        ),
        "{yaml:?}"
    );
    let stream = sb.awsid(
        &[
            "whoami",
            "--output",
            "yaml-stream",
            "--query",
            "{id: Account}",
        ],
        &v,
    );
    assert_eq!(stream.stdout, format!("- id: '{}'\n", m.alice.account));
}

//! `awsid prompt` end to end: identities, states, the budget, config, and never failing.

use awsid_tests::fake_sts::FakeSts;
use awsid_tests::harness::{Sandbox, Vars};
use awsid_tests::moto::moto;

const SECRET: &str = "secretsecretsecretsecretsecretsecretsecr";

/// The segment once the lookup has finished (prompts show "…" until then).
fn prompt(sb: &Sandbox, v: &Vars) -> String {
    for _ in 0..200 {
        let out = sb.awsid(&["prompt", "--shell", "plain", "--budget-ms", "1000"], v);
        assert_eq!(out.code, 0, "{out:?}");
        assert_eq!(out.stderr, "");
        if !out.stdout.starts_with('…') {
            return out.stdout;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("the prompt stayed pending");
}

#[test]
fn shows_the_shells_own_identity_and_follows_aws_profile() {
    let m = moto();
    let sb = Sandbox::new();
    sb.write_alice_and_bob(m);
    sb.write_config("[accounts]\n\"222222222222\" = \"bobs-account\"\n");
    let v = sb.vars().set("AWS_ENDPOINT_URL", m.url.clone());
    assert_eq!(
        prompt(&sb, &v.clone().set("AWS_PROFILE", "alice")),
        "123456789012:alice"
    );
    assert_eq!(
        prompt(&sb, &v.clone().set("AWS_PROFILE", "bob")),
        "bobs-account:bob"
    );
    assert_eq!(
        prompt(&sb, &v.clone().set("AWS_PROFILE", "alice")),
        "123456789012:alice"
    );
    assert_eq!(
        prompt(&sb, &v.clone().set("AWS_PROFILE", "nosuch")),
        "!profile nosuch"
    );
    assert_eq!(
        prompt(
            &sb,
            &v.clone()
                .set("AWS_PROFILE", "alice")
                .set("AWS_DEFAULT_PROFILE", "bob")
        ),
        "!conflict bobs-account:bob"
    );
    // No AWS at all: no segment.
    assert_eq!(prompt(&sb, &sb.vars()), "");
}

#[test]
fn error_states_from_sts() {
    let sts = FakeSts::start();
    let sb = Sandbox::new();
    let v = |key: &str| {
        sb.vars()
            .set("AWS_ENDPOINT_URL", sts.url())
            .keys(key, SECRET)
    };
    assert_eq!(prompt(&sb, &v("AKIAEXPIRED000000002")), "!expired");
    assert_eq!(prompt(&sb, &v("AKIAINVALID000000002")), "!invalid");
    assert_eq!(prompt(&sb, &v("AKIATHROTTLE00000002")), "!throttled");
    assert_eq!(prompt(&sb, &v("AKIARESET00000000002")), "!offline");
    // Keys but a profile with nothing: no credentials, marked.
    sb.write(".aws/config", "[profile empty]\nregion = us-east-1\n");
    let out = prompt(&sb, &sb.vars().set("AWS_PROFILE", "empty"));
    assert_eq!(out, "!no-creds");
}

#[test]
fn the_budget_holds_against_a_hanging_sts_and_the_answer_arrives_later() {
    let sts = FakeSts::start();
    let sb = Sandbox::new();
    let v = sb
        .vars()
        .set("AWS_ENDPOINT_URL", sts.url())
        .set("AWS_ACCOUNT_ID", "999988887777")
        .keys("AKIAHANG000000000003", SECRET);
    let out = sb.awsid(&["prompt", "--budget-ms", "200"], &v);
    // Pending, with the offline hint marked unconfirmed; exit 0; the lookup goes on.
    assert_eq!(out.code, 0);
    assert_eq!(out.stdout, "…999988887777?");
    assert_eq!(sb.counter("in flight"), 1);
    // A slow (not hanging) STS: pending first, the identity at a later prompt.
    let slow = sb
        .vars()
        .set("AWS_ENDPOINT_URL", sts.url())
        .keys("AKIASLOW000000000003", SECRET);
    let first = sb.awsid(&["prompt", "--budget-ms", "50"], &slow);
    assert_eq!(first.stdout, "…");
    let mut later = String::new();
    for _ in 0..100 {
        later = sb.awsid(&["prompt", "--budget-ms", "50"], &slow).stdout;
        if later != "…" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(later, "111122223333:akiaslow000000000003");
}

#[test]
fn a_prompt_never_fails_loudly() {
    let sb = Sandbox::new();
    let v = sb
        .vars()
        .set("AWSID_DAEMON", "/nonexistent/awsidd")
        .keys("AKIAGOOD000000000003", SECRET);
    let out = sb.awsid(&["prompt", "--shell", "zsh"], &v);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "", "")
    );
    let out = sb.awsid(&["prompt", "--shell", "bash", "--hook", "1"], &v);
    assert_eq!((out.code, out.stdout.as_str()), (0, "0\t0\t\t-\n"));
}

#[test]
fn config_classes_reload_and_a_bad_file_keeps_the_last_good_one() {
    let sts = FakeSts::start();
    let sb = Sandbox::new();
    let v = sb
        .vars()
        .set("AWS_ENDPOINT_URL", sts.url())
        .keys("AKIAGOOD000000000004", SECRET);
    sb.write_config(
        "[prompt]\nbudget_ms = 3000\nformat = \"{symbol}{account_name}/{type}\"\n[accounts]\n\"111122223333\" = \"prod\"\n\
         [[class]]\nmatch = \"prod\"\nstyle = \"bold red\"\nsymbol = \"P \"\n",
    );
    let out = sb.awsid(&["prompt", "--shell", "zsh", "--budget-ms", "3000"], &v);
    assert_eq!(out.stdout, "%{\x1b[1;31m%}P prod/user%{\x1b[0m%}");
    // Broken: reported, and the last good config stays in force.
    std::thread::sleep(std::time::Duration::from_millis(20));
    sb.write_config("[prompt]\nformat = \"{nosuchfield}\"\n");
    let out = sb.awsid(&["prompt", "--shell", "plain"], &v);
    assert_eq!(out.stdout, "P prod/user");
    let status = sb.awsid(&["daemon", "status"], &v).stdout;
    assert!(status.contains("unknown field {nosuchfield}"), "{status}");
    // Fixed: the new one is used at once.
    sb.write_config("[prompt]\nformat = \"<{account_id}>\"\nstyle = \"\"\n");
    assert_eq!(sb.awsid(&["prompt"], &v).stdout, "<111122223333>");
}

#[test]
fn config_default_prints_the_documented_defaults() {
    let sb = Sandbox::new();
    let out = sb.awsid(&["config", "--default"], &sb.vars());
    assert_eq!(out.ok(), awsid_proto::DEFAULT_CONFIG);
    assert!(out.stdout.contains("budget_ms = 100"));
}

#[test]
fn account_alias_lookup_is_opt_in_and_a_denial_is_remembered() {
    // moto: an account with an alias.
    let m = moto();
    let made = std::process::Command::new("python3")
        .args([
            "-c",
            "import boto3,sys; boto3.client('iam', endpoint_url=sys.argv[1], region_name='us-east-1', \
             aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3])\
             .create_account_alias(AccountAlias='moto-corp')",
            &m.url,
            &m.alice.access_key_id,
            &m.alice.secret_access_key,
        ])
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    assert!(made.status.success(), "{made:?}");
    let sb = Sandbox::new();
    let v = sb
        .vars()
        .set("AWS_ENDPOINT_URL", m.url.clone())
        .keys(&m.alice.access_key_id, &m.alice.secret_access_key);
    // Off by default: the id.
    assert_eq!(prompt(&sb, &v), "123456789012:alice");
    // ({state} shows "…" while the lookup runs: the helper waits that out.)
    sb.write_config(
        "[prompt]\nalias_lookup = true\nstyle = \"\"\nformat = \"{state}{account} {alias}\"\n",
    );
    sb.awsid(&["flush"], &v).ok();
    assert_eq!(prompt(&sb, &v), "moto-corp moto-corp");

    // The fake answers every IAM call with an error: a denial, not shown, asked once a day.
    let sts = FakeSts::start();
    let sb = Sandbox::new();
    sb.write_config("[prompt]\nalias_lookup = true\n");
    for key in ["AKIAGOOD000000000005", "AKIAGOOD000000000006"] {
        let v = sb
            .vars()
            .set("AWS_ENDPOINT_URL", sts.url())
            .keys(key, SECRET);
        assert_eq!(
            prompt(&sb, &v),
            format!("111122223333:{}", key.to_lowercase())
        );
    }
    assert_eq!(sts.action_calls("ListAccountAliases"), 1);
}

#[test]
fn the_bash_notation_is_asked_for_by_name_never_switched_by_the_hook_flag() {
    let m = moto();
    let sb = Sandbox::new();
    sb.write_alice_and_bob(m);
    let v = sb
        .vars()
        .set("AWS_ENDPOINT_URL", m.url.clone())
        .set("AWS_PROFILE", "alice");
    prompt(&sb, &v); // cached from here on
    let ask = |shell: &str, hook: bool| {
        let mut args = vec!["prompt", "--shell", shell, "--budget-ms", "5000"];
        if hook {
            args.extend(["--hook", "1"]);
        }
        let out = sb.awsid(&args, &v);
        let text = out.ok();
        // The segment (after the hook's line).
        let segment = if hook {
            text.split_once('\n').unwrap().1
        } else {
            text
        };
        segment.to_string()
    };
    for hook in [false, true] {
        // For a PS1 string: `\[…\]`.
        let ps1 = ask("bash", hook);
        assert!(ps1.contains("\\[\x1b[") && !ps1.contains('\x01'), "{ps1:?}");
        // For a variable PS1 expands (the bash hook's $AWSID_SEGMENT): raw readline markers.
        let var = ask("bash-var", hook);
        assert!(var.contains("\x01\x1b[") && !var.contains("\\["), "{var:?}");
    }
}

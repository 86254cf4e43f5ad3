//! The user's configuration end to end: `awsid config --check` words a bad file as the daemon's
//! parser does (line and column, exit 253) without needing a daemon, and a running daemon
//! applies an edited file to the answers it already holds.

use awsid_tests::harness::{Sandbox, Vars};
use awsid_tests::moto::moto;

/// `awsid config --check [PATH]`: valid, invalid (with where), absent, unreadable.
#[test]
fn config_check_uses_the_daemons_parser_and_the_clis_exit_codes() {
    let sb = Sandbox::new();
    let v = sb.vars();
    // No file of one's own: the defaults, which are valid.
    let out = sb.awsid(&["config", "--check"], &v);
    assert!(out.ok().contains("not present"), "{out:?}");

    let file = sb.write_config("[prompt]\nstyle = \"bold red\"\n[daemon]\nrefresh_secs = 60\n");
    let out = sb.awsid(&["config", "--check"], &v);
    assert_eq!(out.ok(), format!("{}: valid\n", file.display()));

    for (text, at, what) in [
        (
            "[prompt]\nstyle = \"chartreuse\"\n",
            "line 2, column 9",
            "chartreuse",
        ),
        (
            "[prompt]\n\n[daemon]\nrefresh = 60\n",
            "line 4, column 1",
            "refresh",
        ),
        (
            "[daemon]\nrefresh_secs = \"soon\"\n",
            "line 2, column 16",
            "u64",
        ),
        ("[prompt\n", "line 1", "]"),
    ] {
        std::fs::write(&file, text).unwrap();
        let out = sb.awsid(&["config", "--check"], &v);
        assert_eq!(out.code, 253, "{text:?}: {out:?}");
        assert!(out.stdout.is_empty(), "{out:?}");
        assert!(
            out.stderr
                .starts_with(&format!("awsid: {}: ", file.display()))
                && out.stderr.contains(at)
                && out.stderr.contains(what),
            "{text:?}: {out:?}"
        );
    }

    // A file named on the command line, good and bad; a missing one is an error.
    let other = sb.write("elsewhere.toml", "[prompt]\nbudget_ms = 250\n");
    let out = sb.awsid(&["config", "--check", other.to_str().unwrap()], &v);
    assert_eq!(out.ok(), format!("{}: valid\n", other.display()));
    let missing = sb.home.join("missing.toml");
    let out = sb.awsid(&["config", "--check", missing.to_str().unwrap()], &v);
    assert_eq!(out.code, 255, "{out:?}");
    assert!(out.stderr.contains("missing.toml"), "{out:?}");

    // Checking starts no daemon.
    assert_eq!(sb.awsid(&["daemon", "status"], &v).code, 3);
}

/// `--check` runs the awsidd that clients would start; without one it says so.
#[test]
fn config_check_without_awsidd_says_so() {
    let sb = Sandbox::new();
    let v = sb.vars().set(
        "AWSID_DAEMON",
        sb.root.join("no-awsidd").display().to_string(),
    );
    let out = sb.awsid(&["config", "--check"], &v);
    assert_eq!(out.code, 255, "{out:?}");
    assert!(out.stderr.contains("no-awsidd"), "{out:?}");
}

/// The hook's line and the segment, once the lookup has finished.
fn prompt_line(sb: &Sandbox, v: &Vars) -> (String, String) {
    let args = [
        "prompt",
        "--shell",
        "zsh",
        "--budget-ms",
        "2000",
        "--hook",
        "4242",
    ];
    let out = sb.answered_prompt(&args, v);
    let (hook, segment) = out.stdout.split_once('\n').expect("a hook line");
    (hook.to_string(), segment.to_string())
}

/// A settled answer names the config among the files its hook watches, and the next prompt
/// after an edit shows the new format and style, from the same cached identity.
#[test]
fn an_edited_config_applies_to_a_cached_answer_at_once() {
    let m = moto();
    let sb = Sandbox::new();
    sb.write_alice_and_bob(m);
    let file =
        sb.write_config("[prompt]\nstyle = \"\"\nformat = \"{state}<{account}:{principal}>\"\n");
    let v = sb
        .vars()
        .set("AWS_ENDPOINT_URL", m.url.clone())
        .set("AWS_PROFILE", "alice");
    let (_, segment) = prompt_line(&sb, &v);
    assert_eq!(segment, format!("<{}:alice>", m.alice.account));
    // Settled once the files are older than the racy window.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let (hook, _) = prompt_line(&sb, &v);
    let sts = sb.counter("lookups");
    assert!(hook.starts_with("1\t"), "settled: {hook:?}");
    assert!(
        hook.split('\t')
            .any(|w| w == format!("+{}", file.display())),
        "the hook watches the config: {hook:?}"
    );
    std::fs::write(
        &file,
        "[prompt]\nstyle = \"red\"\nformat = \"{state}({account}|{principal})\"\n",
    )
    .unwrap();
    let (_, segment) = prompt_line(&sb, &v);
    assert_eq!(
        segment,
        format!("%{{\x1b[31m%}}({}|alice)%{{\x1b[0m%}}", m.alice.account),
        "new format and style"
    );
    assert_eq!(sb.counter("lookups"), sts, "from the cache");
}

/// A shorter `refresh_secs` applies to the answers already cached: the next request after it
/// has passed asks STS again (it once applied only to later lookups).
#[test]
fn a_shorter_refresh_applies_to_cached_answers() {
    let m = moto();
    let (sb, v) = Sandbox::alice(m);
    let whoami = || sb.awsid(&["whoami", "--query", "Account", "--output", "text"], &v);
    assert_eq!(whoami().ok().trim(), m.alice.account);
    assert_eq!(whoami().ok().trim(), m.alice.account);
    let sts = sb.counter("lookups");
    sb.write_config("[daemon]\nrefresh_secs = 1\n");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert_eq!(whoami().ok().trim(), m.alice.account);
    assert_eq!(sb.counter("lookups"), sts + 1, "looked up again");
}

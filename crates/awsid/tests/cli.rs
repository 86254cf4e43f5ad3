//! The client's command line, without a daemon. (Also makes `cargo test --workspace` build
//! the `awsid` binary that the end-to-end tests in `tests/` run.)

use std::process::Command;

fn awsid(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_awsid"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn help_on_every_command_and_version() {
    for args in [
        &["--help"][..],
        &["whoami", "--help"],
        &["daemon", "--help"],
        &["daemon", "status", "--help"],
        &["flush", "--help"],
    ] {
        let out = awsid(args);
        assert!(out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage: awsid"),
            "{args:?}"
        );
    }
    let out = awsid(&["--version"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("awsid {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn bad_usage_exits_252_like_the_cli() {
    let out = awsid(&["whoami", "--output", "yaml-ish"]);
    assert_eq!(out.status.code(), Some(252));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--output"));
    assert_eq!(awsid(&["nonsense"]).status.code(), Some(252));
}

//! Exit codes the README and `--help` promise, for the cases a user meets first.

use awsid_tests::harness::Sandbox;

/// A `--timeout` that is not a positive number of seconds is bad usage (252, as the AWS CLI v2
/// exits on a parameter it refuses), not an "other error" (255); the client says why.
#[test]
fn an_invalid_timeout_is_a_usage_error() {
    let sb = Sandbox::new();
    let v = sb.vars();
    for bad in ["0", "-1", "nan", "inf", "soon"] {
        let out = sb.awsid(&["whoami", &format!("--timeout={bad}")], &v);
        assert_eq!(out.code, 252, "--timeout {bad}: {out:?}");
        assert!(out.stderr.contains("--timeout"), "{out:?}");
        assert!(out.stdout.is_empty(), "{out:?}");
    }
}

/// `awsid daemon status` exits 3 when awsidd is not running (as `systemctl status` does), and
/// 0 once it runs; `daemon status --help` says so.
#[test]
fn daemon_status_exits_3_when_not_running() {
    let sb = Sandbox::new();
    let v = sb.vars();
    let out = sb.awsid(&["daemon", "status"], &v);
    assert_eq!(out.code, 3, "{out:?}");
    assert!(out.stdout.contains("not running"), "{out:?}");
    sb.awsid(&["daemon", "start"], &v).ok();
    sb.awsid(&["daemon", "status"], &v).ok();
    let help = sb.awsid(&["daemon", "status", "--help"], &v);
    assert!(help.ok().contains("3 when it is not"), "{help:?}");
}

//! The daemon's command line. (Also makes `cargo test --workspace` build the `awsidd` binary
//! that the end-to-end tests in `tests/` run.)

use std::process::Command;

#[test]
fn help_version_and_unknown_arguments() {
    let bin = env!("CARGO_BIN_EXE_awsidd");
    let out = Command::new(bin).arg("--help").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("AWSID_RUNTIME_DIR"));
    let out = Command::new(bin).arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("awsidd {}\n", env!("CARGO_PKG_VERSION"))
    );
    let out = Command::new(bin).arg("bogus").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

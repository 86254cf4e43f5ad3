//! `awsidd`, the awsid daemon: all of it lives in the `awsid-daemon` crate.

fn main() -> std::process::ExitCode {
    awsid_daemon::main()
}

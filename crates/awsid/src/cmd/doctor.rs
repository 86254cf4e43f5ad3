//! `awsid doctor`: explain this shell's identity. The explaining (config files, credential
//! chain, daemon state) is done by `awsidd doctor`, which this command becomes (exec): the
//! client parses no AWS or awsid config itself.

use std::os::unix::process::CommandExt;

use crate::spawn;

/// Explain which credentials this shell uses and why, what awsid watches, and how the daemon
/// is doing.
///
/// Shows this shell's set-up (whether its hook is loaded, the segment its prompt shows, the STS
/// endpoint and region), the credential source that wins here (environment keys, which profile
/// and from which variable, role chain, SSO session and token expiry, credential_process), who
/// answered the identity, the variables and files that make up the cache key (names and paths,
/// never secret values), the configuration in force, the daemon's state (pid, version,
/// executable, uptime, socket and permissions, cache, counters) and the time each step took.
/// Only this shell's errors are shown, each once. It works when the daemon is stopped (it then
/// asks STS directly and does not start the daemon) or the configuration is broken.
///
/// Exits 0 when nothing is wrong, 1 when it lists problems.
#[derive(clap::Args)]
pub struct Args {
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Explain this profile instead (as `awsid whoami --profile`).
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,
    /// Do not ask STS or the daemon for the identity (explain the files and variables only).
    #[arg(long)]
    offline: bool,
}

pub fn run(args: Args) -> u8 {
    let daemon = spawn::daemon_path();
    let mut cmd = std::process::Command::new(&daemon);
    cmd.arg("doctor");
    if args.json {
        cmd.arg("--json");
    }
    if args.offline {
        cmd.arg("--offline");
    }
    if let Some(p) = &args.profile {
        cmd.arg("--profile").arg(p);
    }
    cmd.arg("--client-version").arg(awsid_proto::VERSION);
    if let Ok(exe) = std::env::current_exe() {
        cmd.arg("--client-exe").arg(exe);
    }
    let err = cmd.exec();
    super::fail(format!(
        "cannot run {} for the report: {err}\n\
         awsid doctor needs the daemon binary awsidd: put it next to awsid or on PATH, or set \
         AWSID_DAEMON (cargo install --locked --path crates/awsid)",
        daemon.display()
    ))
}

//! `awsid config`: where the configuration lives, the documented defaults, and a check of a
//! file by the daemon's own parser.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;

use crate::spawn;

/// Show the configuration file's path, print the documented defaults, or check a file.
///
/// --check runs `awsidd check-config`: the file goes through the very parser the daemon loads
/// it with (the client parses no configuration), whether or not a daemon is running. It
/// prints `PATH: valid` and exits 0, or prints the error with its line and column and exits
/// 253 (as the AWS CLI exits on bad configuration); 255 when the file cannot be read or
/// awsidd cannot be run. A running daemon reloads a changed file by itself, and a file it
/// refuses leaves the last good configuration in force (`awsid daemon status` says so).
#[derive(clap::Args)]
pub struct Args {
    /// Print the default configuration, with every setting documented.
    #[arg(long, conflicts_with = "check")]
    default: bool,
    /// Check the configuration file (or PATH) as awsidd would load it.
    #[arg(long, value_name = "PATH", num_args = 0..=1)]
    check: Option<Option<OsString>>,
}

pub fn run(args: Args) -> u8 {
    if args.default {
        print!("{}", awsid_proto::DEFAULT_CONFIG);
        return 0;
    }
    if let Some(path) = args.check {
        let awsidd = spawn::daemon_path();
        let mut cmd = std::process::Command::new(&awsidd);
        cmd.arg("check-config").args(path);
        // Only returns on failure.
        let e = cmd.exec();
        return super::fail(format_args!("cannot run {}: {e}", awsidd.display()));
    }
    match awsid_proto::runtime::config_file() {
        Some(p) if p.exists() => println!("{}", p.display()),
        Some(p) => println!("{} (not present: defaults in force)", p.display()),
        None => println!("no configuration path: neither XDG_CONFIG_HOME nor HOME is set"),
    }
    0
}

//! `awsid whoami`: a drop-in for `aws sts get-caller-identity`.
//!
//! The daemon renders the answer (the client parses no config): this file only gathers the
//! environment, asks, and prints what it is told, with the CLI's exit codes.

use std::io::Write;
use std::time::Duration;

use awsid_proto::client::unexpected;
use awsid_proto::envvars;
use awsid_proto::msg::{Reply, Request, WhoamiRequest};

use crate::client;

/// Print the AWS identity this shell acts as, like `aws sts get-caller-identity`.
///
/// Byte for byte the CLI's output with the same options in the same environment, and its
/// errors and exit codes (254 STS error, 253 configuration or no credentials, 255 other),
/// answered from the daemon's cache while the credentials are unchanged.
#[derive(clap::Args)]
pub struct Args {
    /// Output format (default: $AWS_DEFAULT_OUTPUT, else the profile's `output`, else json).
    #[arg(long, value_parser = ["json", "text", "table"])]
    output: Option<String>,
    /// Print one field only: Account, Arn or UserId.
    #[arg(long, value_name = "FIELD")]
    query: Option<String>,
    /// Use this profile from the config files; as with the AWS CLI, credentials in the
    /// environment are then ignored (an empty NAME is ignored; the last one given counts).
    #[arg(long, value_name = "NAME", overrides_with = "profile")]
    profile: Option<String>,
    /// Give up after this many seconds without an answer from STS.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    timeout: f64,
}

/// The width of the terminal on stdout, if stdout is one.
fn stdout_width() -> Option<u16> {
    // SAFETY: TIOCGWINSZ fills a winsize struct we own; isatty has no preconditions.
    unsafe {
        if libc::isatty(1) != 1 {
            return None;
        }
        let mut ws: libc::winsize = std::mem::zeroed();
        if libc::ioctl(1, libc::TIOCGWINSZ, &mut ws) == 0 && ws.ws_col > 0 {
            Some(ws.ws_col)
        } else {
            Some(80)
        }
    }
}

pub fn run(args: Args) -> u8 {
    if !(args.timeout > 0.0 && args.timeout.is_finite()) {
        return super::fail("--timeout must be a positive number of seconds");
    }
    let timeout = Duration::from_secs_f64(args.timeout.min(3600.0));
    let mut client = match client::new() {
        Ok(c) => c,
        Err(e) => return super::fail(e),
    };
    client.read_timeout = timeout + Duration::from_secs(2);
    let req = Request::Whoami(WhoamiRequest {
        env: envvars::current(false),
        full_env: false,
        cwd: None,
        profile: args.profile.filter(|p| !p.is_empty()),
        output: args.output,
        query: args.query,
        term_width: stdout_width(),
        timeout_ms: timeout.as_millis().min(u32::MAX as u128) as u32,
    });
    match client.ask(req, Some(&client::Autostart), || envvars::current(true)) {
        Ok(Reply::Whoami(answer)) => {
            let printed = answer.printed;
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(printed.stdout.as_bytes());
            let _ = out.flush();
            if !printed.stderr.is_empty() {
                let _ = std::io::stderr().write_all(printed.stderr.as_bytes());
            }
            printed.exit_code
        }
        Ok(other) => super::fail(unexpected(other)),
        Err(e) => super::fail(e),
    }
}

//! `awsid whoami`: a drop-in for `aws sts get-caller-identity`.
//!
//! The daemon renders the answer (the client parses no config): this file only gathers the
//! environment, asks, and prints what it is told, with the CLI's exit codes.

use std::io::Write;
use std::time::Duration;

use awsid_proto::client::unexpected;
use awsid_proto::envvars;
use awsid_proto::msg::{CliOptions, Reply, Request, WhoamiRequest};

use crate::client;

/// Print the AWS identity this shell acts as, like `aws sts get-caller-identity`.
///
/// Byte for byte the CLI's output with the same options in the same environment, and its
/// errors and exit codes (252 usage, 253 configuration or no credentials, 254 STS error, 255
/// other), answered from the daemon's cache while the credentials and options are unchanged.
/// The AWS CLI's global options that make sense for this call are accepted; --no-verify-ssl is
/// refused (awsid never turns TLS verification off).
#[derive(clap::Args)]
pub struct Args {
    /// Output format (default: $AWS_DEFAULT_OUTPUT, else the profile's `output`, else json).
    /// yaml and yaml-stream are CLI v2's.
    #[arg(long, value_name = "FORMAT", overrides_with = "output",
          value_parser = ["json", "text", "table", "yaml", "yaml-stream"])]
    output: Option<String>,
    /// A JMESPath query on the answer, as the AWS CLI's --query (e.g. Account,
    /// '[Account,Arn]', '{id: Account}').
    #[arg(
        long,
        value_name = "JMESPATH",
        overrides_with = "query",
        allow_hyphen_values = true
    )]
    query: Option<String>,
    /// Use this profile from the config files; as with the AWS CLI, credentials in the
    /// environment are then ignored (an empty NAME is ignored; the last one given counts).
    #[arg(long, value_name = "NAME", overrides_with = "profile")]
    profile: Option<String>,
    /// The region to use: overrides AWS_REGION, AWS_DEFAULT_REGION and the profile's region.
    #[arg(long, value_name = "REGION", overrides_with = "region")]
    region: Option<String>,
    /// Send the GetCallerIdentity call to this URL (overrides every configured endpoint).
    #[arg(long, value_name = "URL", overrides_with = "endpoint_url")]
    endpoint_url: Option<String>,
    /// Verify the GetCallerIdentity call's TLS with this CA bundle.
    #[arg(long, value_name = "FILE", overrides_with = "ca_bundle")]
    ca_bundle: Option<String>,
    /// Refused: awsid never turns TLS verification off (use --ca-bundle).
    #[arg(long, overrides_with = "no_verify_ssl")]
    no_verify_ssl: bool,
    /// The longest a socket read may wait, in seconds (0: no limit; default 60).
    #[arg(long, value_name = "SECONDS", overrides_with = "cli_read_timeout")]
    cli_read_timeout: Option<String>,
    /// The longest a connection may take, in seconds (0: no limit; default 60).
    #[arg(long, value_name = "SECONDS", overrides_with = "cli_connect_timeout")]
    cli_connect_timeout: Option<String>,
    /// Colour in --output table: on, off, or auto (when stdout is a terminal).
    #[arg(long, value_name = "WHEN", overrides_with = "color", value_parser = ["on", "off", "auto"])]
    color: Option<String>,
    /// Say on stderr how the answer was found: profile, credential source, region, endpoint,
    /// cache or STS (awsid's own lines; the AWS CLI prints botocore's log instead).
    #[arg(long, overrides_with = "debug")]
    debug: bool,
    /// Accepted for compatibility: awsid never pages its output.
    #[arg(long, overrides_with = "no_cli_pager")]
    no_cli_pager: bool,
    /// Accepted for compatibility: GetCallerIdentity has no pages.
    #[arg(long, overrides_with = "no_paginate")]
    no_paginate: bool,
    /// Give up after this many seconds without an answer from STS.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0, value_parser = positive_secs)]
    timeout: f64,
}

/// A positive, finite number of seconds; anything else is a usage error (exit 252).
fn positive_secs(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() => Ok(v),
        _ => Err("must be a positive number of seconds".into()),
    }
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
        options: Box::new(CliOptions {
            region: args.region,
            endpoint_url: args.endpoint_url,
            ca_bundle: args.ca_bundle,
            no_verify_ssl: args.no_verify_ssl,
            read_timeout: args.cli_read_timeout,
            connect_timeout: args.cli_connect_timeout,
            color: args.color,
            debug: args.debug,
        }),
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

/// A usage error in `awsid whoami`'s arguments, worded as the AWS CLI words it: unknown
/// options are listed (`Unknown options: --foo`), a bad choice or a missing value is
/// argparse's `aws: error: argument …` line. Exit 252 (CLI v2).
pub fn usage_error(e: &clap::Error) -> Option<u8> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let arg = || match e.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(s)) => s.split_whitespace().next().unwrap_or("").to_string(),
        _ => String::new(),
    };
    let line = match e.kind() {
        ErrorKind::UnknownArgument => format!("Unknown options: {}", arg()),
        ErrorKind::InvalidValue if matches!(e.get(ContextKind::InvalidValue), Some(ContextValue::String(v)) if v.is_empty()) =>
        {
            format!("aws: error: argument {}: expected one argument", arg())
        }
        ErrorKind::InvalidValue => {
            // awscli's argparse: the choices two to a line, each padded to 40 columns.
            let choices: Vec<String> = match e.get(ContextKind::ValidValue) {
                Some(ContextValue::Strings(v)) => v.clone(),
                _ => Vec::new(),
            };
            let lines: Vec<String> = choices
                .chunks(2)
                .map(|pair| {
                    let cells: Vec<String> = pair.iter().map(|c| format!("{c:<40}")).collect();
                    cells.join(" | ")
                })
                .collect();
            format!(
                "aws: error: argument {}: Invalid choice, valid choices are:\n\n{}",
                arg(),
                lines.join("\n")
            )
        }
        _ => return None,
    };
    eprintln!(
        "usage: awsid whoami [options]\nTo see help text, you can run:\n\n  awsid whoami --help\n\n{line}"
    );
    Some(252)
}

//! `awsid config`: where the configuration lives, and the documented defaults.

use std::process::ExitCode;

/// Show the configuration file's path, or print the documented defaults.
#[derive(clap::Args)]
pub struct Args {
    /// Print the default configuration, with every setting documented.
    #[arg(long)]
    default: bool,
}

pub fn run(args: Args) -> ExitCode {
    if args.default {
        print!("{}", awsid_proto::DEFAULT_CONFIG);
        return ExitCode::SUCCESS;
    }
    match awsid_proto::runtime::config_file() {
        Some(p) if p.exists() => println!("{}", p.display()),
        Some(p) => println!("{} (not present: defaults in force)", p.display()),
        None => println!("no configuration path: neither XDG_CONFIG_HOME nor HOME is set"),
    }
    ExitCode::SUCCESS
}

//! `awsid config`: where the configuration lives, and the documented defaults.

/// Show the configuration file's path, or print the documented defaults.
#[derive(clap::Args)]
pub struct Args {
    /// Print the default configuration, with every setting documented.
    #[arg(long)]
    default: bool,
}

pub fn run(args: Args) -> u8 {
    if args.default {
        print!("{}", awsid_proto::DEFAULT_CONFIG);
        return 0;
    }
    match awsid_proto::runtime::config_file() {
        Some(p) if p.exists() => println!("{}", p.display()),
        Some(p) => println!("{} (not present: defaults in force)", p.display()),
        None => println!("no configuration path: neither XDG_CONFIG_HOME nor HOME is set"),
    }
    0
}

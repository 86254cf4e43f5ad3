//! `awsid completions bash|zsh|fish|nu`: print a completion script (the files under
//! `shell/completions/`, embedded).

use awsid_proto::msg::Shell;

/// Print the completion script for a shell.
#[derive(clap::Args)]
pub struct Args {
    #[arg(value_parser = super::shell_parser(Some(super::INTERACTIVE), &[]))]
    shell: Shell,
}

const BASH: &str = include_str!("../../../../shell/completions/awsid.bash");
const ZSH: &str = include_str!("../../../../shell/completions/_awsid");
const FISH: &str = include_str!("../../../../shell/completions/awsid.fish");
const NU: &str = include_str!("../../../../shell/completions/awsid.nu");

pub fn run(args: Args) -> u8 {
    print!(
        "{}",
        match args.shell {
            Shell::Bash => BASH,
            Shell::Zsh => ZSH,
            Shell::Fish => FISH,
            Shell::Nu => NU,
            other => super::not_interactive(other),
        }
    );
    0
}

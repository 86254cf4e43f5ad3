//! `awsid completions bash|zsh|fish|nu`: print a completion script (the files under
//! `shell/completions/`, embedded).

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
    Nu,
}

/// Print the completion script for a shell.
#[derive(clap::Args)]
pub struct Args {
    shell: CompletionShell,
}

const BASH: &str = include_str!("../../../../shell/completions/awsid.bash");
const ZSH: &str = include_str!("../../../../shell/completions/_awsid");
const FISH: &str = include_str!("../../../../shell/completions/awsid.fish");
const NU: &str = include_str!("../../../../shell/completions/awsid.nu");

pub fn run(args: Args) -> u8 {
    print!(
        "{}",
        match args.shell {
            CompletionShell::Bash => BASH,
            CompletionShell::Zsh => ZSH,
            CompletionShell::Fish => FISH,
            CompletionShell::Nu => NU,
        }
    );
    0
}

//! `awsid completions bash|zsh|fish|nu`: print a completion script (the files under
//! `shell/completions/`, embedded).

use awsid_proto::msg::Shell;

/// Print the completion script for a shell.
#[derive(clap::Args)]
#[command(after_long_help = LINES)]
pub struct Args {
    #[arg(value_parser = super::shell_parser(Some(super::INTERACTIVE), &[]))]
    shell: Shell,
}

/// The lines to use, as in the README (tests/tests/readme.rs runs them in real shells).
const LINES: &str = "\
Load them:
  bash   add to ~/.bashrc:  source <(awsid completions bash)
         (or, with the bash-completion package, run once:
          mkdir -p ~/.local/share/bash-completion/completions &&
          awsid completions bash > ~/.local/share/bash-completion/completions/awsid)
  zsh    add to ~/.zshrc:   autoload -Uz compinit && compinit && source <(awsid completions zsh)
         (if ~/.zshrc already runs compinit: source <(awsid completions zsh) after it)
  fish   run once:  mkdir -p ~/.config/fish/completions &&
                    awsid completions fish > ~/.config/fish/completions/awsid.fish
  nu     add to config.nu (after the `awsid init nu` lines):
         awsid completions nu | save -f ($nu.data-dir | path join \"vendor/autoload/awsid-completions.nu\")
";

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

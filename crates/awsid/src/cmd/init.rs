//! `awsid init bash|zsh|fish`: print the shell integration (the files under `shell/`, with the
//! path of this binary filled in).

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum InitShell {
    Bash,
    Zsh,
    Fish,
}

/// Print the shell integration for bash, zsh or fish.
///
/// Add `eval "$(awsid init bash)"` to ~/.bashrc, `eval "$(awsid init zsh)"` to ~/.zshrc, or
/// `awsid init fish | source` to config.fish. It keeps $AWSID_SEGMENT up to date before each
/// prompt (without running anything when nothing changed) and defines `awsid_prompt`.
#[derive(clap::Args)]
pub struct Args {
    shell: InitShell,
    /// Also put the segment in the prompt: in front of PS1 (bash), in RPROMPT (zsh), in
    /// fish_right_prompt (fish).
    #[arg(long)]
    add_to_prompt: bool,
}

const BASH: &str = include_str!("../../../../shell/awsid.bash");
const ZSH: &str = include_str!("../../../../shell/awsid.zsh");
const FISH: &str = include_str!("../../../../shell/awsid.fish");

/// Single-quotes a value for bash, zsh and fish alike.
fn quote(s: &str, fish: bool) -> String {
    if fish {
        format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

pub fn script(shell: InitShell, add_to_prompt: bool) -> String {
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "awsid".into());
    let (text, fish) = match shell {
        InitShell::Bash => (BASH, false),
        InitShell::Zsh => (ZSH, false),
        InitShell::Fish => (FISH, true),
    };
    text.replace("@AWSID@", &quote(&exe, fish))
        .replace("@ADD_TO_PROMPT@", if add_to_prompt { "1" } else { "0" })
}

pub fn run(args: Args) -> u8 {
    print!("{}", script(args.shell, args.add_to_prompt));
    0
}

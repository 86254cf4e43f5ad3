//! `awsid init bash|zsh|fish|nu`: print the shell integration (the files under `shell/`), with
//! the path of this binary, this build's version, and every list a hook needs filled in from
//! the one Rust definition: the fingerprint variables and path variables
//! (`awsid_proto::envvars`), the runtime-directory rules and socket name
//! (`awsid_proto::runtime`), the text protocol's version and the default budget.

use awsid_proto::msg::Shell;
use awsid_proto::{envvars, runtime};

/// Print the shell integration for bash, zsh, fish or nushell.
///
/// It keeps $AWSID_SEGMENT up to date before each prompt (without running anything when
/// nothing changed) and defines `awsid_prompt`; with --add-to-prompt it also shows the
/// segment. Without it your prompt does not change: use $AWSID_SEGMENT in it yourself.
#[derive(clap::Args)]
#[command(after_long_help = LINES)]
pub struct Args {
    #[arg(value_parser = super::shell_parser(Some(super::INTERACTIVE), &[]))]
    shell: Shell,
    /// Also put the segment in the prompt: in front of PS1 (bash), in RPROMPT (zsh), in
    /// fish_right_prompt (fish), in front of the right prompt (nu).
    #[arg(long)]
    add_to_prompt: bool,
}

/// The lines to paste, as in the README (tests/tests/readme.rs runs them in real shells).
const LINES: &str = "\
Add one line at the end of your shell's startup file (after anything that sets your prompt),
then open a new shell:
  ~/.bashrc                    eval \"$(awsid init bash --add-to-prompt)\"
  ~/.zshrc                     eval \"$(awsid init zsh --add-to-prompt)\"
  ~/.config/fish/config.fish   awsid init fish --add-to-prompt | source
  nushell, in config.nu (`config nu`), both lines:
    mkdir ($nu.data-dir | path join \"vendor/autoload\")
    awsid init nu --add-to-prompt | save -f ($nu.data-dir | path join \"vendor/autoload/awsid.nu\")
";

const BASH: &str = include_str!("../../../../shell/awsid.bash");
const ZSH: &str = include_str!("../../../../shell/awsid.zsh");
const FISH: &str = include_str!("../../../../shell/awsid.fish");
const NU: &str = include_str!("../../../../shell/awsid.nu");

#[derive(Clone, Copy, PartialEq)]
enum Quoting {
    Sh,
    Fish,
    Nu,
}

/// Quotes a value for the shell: single quotes for bash, zsh and fish, a raw string for nu
/// (`r#'…'#`, with as many `#` as it takes).
fn quote(s: &str, q: Quoting) -> String {
    match q {
        Quoting::Fish => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
        Quoting::Sh => format!("'{}'", s.replace('\'', r"'\''")),
        Quoting::Nu => {
            let mut hashes = String::from("#");
            while s.contains(&format!("'{hashes}")) {
                hashes.push('#');
            }
            format!("r{hashes}'{s}'{hashes}")
        }
    }
}

/// A name from the Rust lists, checked to be a plain identifier (it is written into shell
/// code unquoted, and into patterns where no character may be special).
fn name(n: &[u8]) -> &str {
    let s = std::str::from_utf8(n).unwrap_or("");
    assert!(
        !s.is_empty()
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && !s.as_bytes()[0].is_ascii_digit(),
        "not a plain variable name: {s:?}"
    );
    s
}

fn prefixes() -> impl Iterator<Item = &'static str> {
    envvars::PREFIXES.iter().map(|p| name(p))
}

fn exact() -> impl Iterator<Item = &'static str> {
    envvars::EXACT.iter().map(|p| name(p))
}

/// bash: the names to look at, `${!AWS_*} … HOME PATH …` (no fork: expansions only).
fn bash_names() -> String {
    prefixes()
        .map(|p| format!("${{!{p}*}}"))
        .chain(exact().map(str::to_string))
        .collect::<Vec<_>>()
        .join(" ")
}

/// bash: every variable name, for answers that depend on the whole environment.
fn bash_all_names() -> String {
    ('A'..='Z')
        .chain('a'..='z')
        .chain(['_'])
        .map(|c| format!("${{!{c}*}}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// zsh: a glob over names, `(AWS_*|…|HOME|PATH|…)`.
fn zsh_pattern() -> String {
    let alts: Vec<String> = prefixes()
        .map(|p| format!("{p}*"))
        .chain(exact().map(str::to_string))
        .collect();
    format!("({})", alts.join("|"))
}

/// zsh: the path-valued variables, as `case` alternatives.
fn zsh_path_vars() -> String {
    envvars::PATH_VARS
        .iter()
        .map(|p| name(p))
        .collect::<Vec<_>>()
        .join("|")
}

/// zsh: sets `dir` to the runtime directory, by [`runtime::runtime_dir_from`]'s rules.
fn zsh_runtime_dir() -> String {
    format!(
        "dir=${{{dir}:-${{{xdg}:+${xdg}/{sub}}}}}\n        [[ -n $dir ]] || dir={fallback}$EUID",
        dir = runtime::DIR_VAR,
        xdg = runtime::XDG_VAR,
        sub = runtime::XDG_SUBDIR,
        fallback = runtime::FALLBACK_PREFIX,
    )
}

/// fish: a regex matching a whole name (with `string match --entire`).
fn name_regex() -> String {
    let pre: Vec<&str> = prefixes().collect();
    let ex: Vec<&str> = exact().collect();
    format!("^(?:{})|^(?:{})$", pre.join("|"), ex.join("|"))
}

/// nu: a row condition for `where` over names, `$it starts-with 'AWS_' or … or $it in [HOME …]`
/// (operators only: a regex or a closure per name costs several times more).
fn nu_name_test() -> String {
    let pre = prefixes().map(|p| format!("$it starts-with '{p}'"));
    let ex: Vec<&str> = exact().collect();
    pre.chain([format!("$it in [{}]", ex.join(" "))])
        .collect::<Vec<_>>()
        .join(" or ")
}

pub fn script(shell: Shell, add_to_prompt: bool) -> String {
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "awsid".into());
    let (text, q) = match shell {
        Shell::Bash => (BASH, Quoting::Sh),
        Shell::Zsh => (ZSH, Quoting::Sh),
        Shell::Fish => (FISH, Quoting::Fish),
        Shell::Nu => (NU, Quoting::Nu),
        other => super::not_interactive(other),
    };
    let filled = text
        .replace("@AWSID@", &quote(&exe, q))
        .replace("@ADD_TO_PROMPT@", if add_to_prompt { "1" } else { "0" })
        .replace("@VERSION@", &quote(awsid_proto::VERSION, q))
        .replace(
            "@BUDGET_MS@",
            &crate::cmd::prompt::DEFAULT_BUDGET_MS.to_string(),
        )
        .replace("@TEXT_PROTOCOL@", awsid_proto::TEXT_PROTOCOL)
        .replace("@SOCKET_NAME@", runtime::SOCKET_NAME)
        .replace("@BASH_NAMES@", &bash_names())
        .replace("@BASH_ALL_NAMES@", &bash_all_names())
        .replace("@ZSH_PATTERN@", &zsh_pattern())
        .replace("@ZSH_PATH_VARS@", &zsh_path_vars())
        .replace("@ZSH_RUNTIME_DIR@", &zsh_runtime_dir())
        .replace("@FISH_REGEX@", &quote(&name_regex(), Quoting::Fish))
        .replace("@NU_NAME_TEST@", &nu_name_test());
    debug_assert!(!has_placeholder(&filled), "an unfilled placeholder");
    filled
}

/// Whether `@NAME@` (capitals and underscores) is left in a script.
fn has_placeholder(s: &str) -> bool {
    s.split('@')
        .skip(1)
        .collect::<Vec<_>>()
        .windows(2)
        .any(|w| !w[0].is_empty() && w[0].bytes().all(|b| b.is_ascii_uppercase() || b == b'_'))
}

pub fn run(args: Args) -> u8 {
    print!("{}", script(args.shell, args.add_to_prompt));
    0
}

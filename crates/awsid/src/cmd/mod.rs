//! One file per subcommand.

pub mod completions;
pub mod config;
pub mod daemon;
pub mod doctor;
pub mod flush;
pub mod init;
pub mod prompt;
pub mod service;
pub mod whoami;

use std::io::Write;

use awsid_proto::msg::Shell;

/// A `--shell` or shell argument: one of `shells` (None: any), by name (the one list of
/// names is `Shell::ALL`); `hidden` ones are accepted but not offered.
pub fn shell_parser(
    shells: Option<&'static [Shell]>,
    hidden: &'static [Shell],
) -> impl clap::builder::TypedValueParser<Value = Shell> {
    use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
    PossibleValuesParser::new(
        Shell::ALL
            .iter()
            .filter(|(s, _)| shells.is_none_or(|only| only.contains(s)))
            .map(|(s, name)| PossibleValue::new(*name).hide(hidden.contains(s))),
    )
    .map(|name| Shell::from_name(&name).expect("a name from Shell::ALL"))
}

/// The shells `awsid init` and `awsid completions` write scripts for.
pub const INTERACTIVE: &[Shell] = &[Shell::Bash, Shell::Zsh, Shell::Fish, Shell::Nu];

/// For a shell the parser refused already.
#[track_caller]
pub fn not_interactive(shell: Shell) -> ! {
    unreachable!("{} is refused by the argument parser", shell.name())
}

/// Prints `awsid: <message>` on stderr and returns the "other error" exit code (255, as the CLI).
pub fn fail(message: impl std::fmt::Display) -> u8 {
    let _ = writeln!(std::io::stderr(), "awsid: {message}");
    255
}

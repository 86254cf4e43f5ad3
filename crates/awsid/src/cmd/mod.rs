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

/// Prints `awsid: <message>` on stderr and returns the "other error" exit code (255, as the CLI).
pub fn fail(message: impl std::fmt::Display) -> u8 {
    let _ = writeln!(std::io::stderr(), "awsid: {message}");
    255
}

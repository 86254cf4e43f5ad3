//! `awsid`: who am I on AWS, in this shell?
//!
//! The tiny client. It links no async runtime and no AWS SDK and parses no config file: it
//! gathers the fingerprint variables of its own environment, asks the daemon (`awsidd`) over a
//! local socket, and prints the answer. See `crates/awsid-daemon` for everything else.

// No Rust runtime start-up: `lang_start` would read /proc/self/maps (through glibc's
// pthread_getattr_np, with sscanf) to place the main thread's stack guard, about a tenth of the
// instructions of a prompt. The client sets up what it needs itself (SIGPIPE is left at its
// default: a closed pipe ends the process quietly, as for any Unix tool).
#![no_main]

mod client;
mod cmd;
mod spawn;

use clap::{Parser, Subcommand};

/// Who am I on AWS, in this shell? Answers like `aws sts get-caller-identity`, from a cache
/// kept by a background daemon (awsidd) per credential fingerprint.
#[derive(Parser)]
#[command(
    name = "awsid",
    version,
    about,
    long_about = "Who am I on AWS, in this shell?\n\n\
        awsid answers like `aws sts get-caller-identity` in about a millisecond and puts the \
        answer in your prompt. A background daemon (awsidd, started on demand) asks STS once per \
        set of credentials and caches the answer under a fingerprint of the shell's AWS \
        variables and files; any change to them is a new lookup, so the answer is always this \
        shell's own.",
    after_long_help = AFTER_HELP,
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

const AFTER_HELP: &str = "\
Getting started:
  awsid whoami          who am I here (same output as the AWS CLI)
  awsid doctor          why this identity, and is awsid healthy?
  Put the identity in your prompt: add this line at the end of your shell's startup file
  (after anything that sets your prompt), then open a new shell:
    ~/.bashrc                    eval \"$(awsid init bash --add-to-prompt)\"
    ~/.zshrc                     eval \"$(awsid init zsh --add-to-prompt)\"
    ~/.config/fish/config.fish   awsid init fish --add-to-prompt | source
    nushell: see `awsid init --help`
  Completions: `awsid completions --help`.

Environment:
  AWS_*, AWSU*, GRANTED_*, HOME, PATH, proxies and CA settings
                        read from the shell on every call; they decide the identity
  AWSID_BUDGET_MS       how long `awsid prompt` waits for an answer (default 100)
  AWSID_RUNTIME_DIR     socket directory (default $XDG_RUNTIME_DIR/awsid, else /tmp/awsid-$UID)
  AWSID_DAEMON          the awsidd binary (default: next to awsid, else on PATH)
  AWSID_IDLE_TIMEOUT    seconds without requests before awsidd exits (0 = never)
  AWSID_LOG             awsidd's log filter (e.g. debug)

Files:
  $XDG_CONFIG_HOME/awsid/config.toml   configuration (`awsid config --default` documents it)
  $XDG_STATE_HOME/awsid/awsidd.log     the daemon's log (never holds secrets)

Exit status (whoami, as AWS CLI v2): 0 ok, 252 usage, 253 no credentials or bad
configuration, 254 STS refused, 255 other. `awsid prompt` always exits 0.
";

#[derive(Subcommand)]
enum Command {
    Whoami(cmd::whoami::Args),
    Prompt(cmd::prompt::Args),
    Init(cmd::init::Args),
    Config(cmd::config::Args),
    /// Start, stop, restart or inspect the background daemon (awsidd).
    Daemon {
        #[command(subcommand)]
        action: cmd::daemon::Action,
    },
    /// Drop every cached identity; the next request asks STS again.
    Flush,
    Doctor(cmd::doctor::Args),
    Completions(cmd::completions::Args),
    Service(cmd::service::Args),
}

/// The C entry point (see `#![no_main]` above); `std::env::args` still works on glibc.
#[unsafe(no_mangle)]
pub extern "C" fn main(
    _argc: std::ffi::c_int,
    _argv: *const *const std::ffi::c_char,
) -> std::ffi::c_int {
    let code = run();
    // Flushes stdout and exits.
    std::process::exit(code.into())
}

fn run() -> u8 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            if std::env::args().nth(1).as_deref() == Some("whoami") {
                if let Some(code) = cmd::whoami::usage_error(&e) {
                    return code;
                }
            }
            let _ = e.print();
            // Usage errors exit 252 like the AWS CLI v2; --help and --version exit 0.
            return if e.use_stderr() { 252 } else { 0 };
        }
    };
    match cli.command {
        Command::Whoami(args) => cmd::whoami::run(args),
        Command::Prompt(args) => cmd::prompt::run(args),
        Command::Init(args) => cmd::init::run(args),
        Command::Config(args) => cmd::config::run(args),
        Command::Daemon { action } => cmd::daemon::run(action),
        Command::Flush => cmd::flush::run(),
        Command::Doctor(args) => cmd::doctor::run(args),
        Command::Completions(args) => cmd::completions::run(args),
        Command::Service(args) => cmd::service::run(args),
    }
}

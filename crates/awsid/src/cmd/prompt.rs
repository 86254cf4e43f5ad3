//! `awsid prompt`: the prompt segment, within a time budget, never failing loudly.
//!
//! Whatever happens (no daemon, a broken pipe, a timeout) it exits 0 and prints an empty or
//! marked segment. With `--hook PID` (used by the shell integration) it first prints one line
//! for the hook: `settled<TAB>valid-for-seconds<TAB>stamp-file<TAB>flags<TAB>±file…`, then the
//! segment. Every wait (start-up, connect, write, read, replacing a daemon of another build) ends
//! by the budget.

use std::io::Write;
use std::time::{Duration, Instant};

use awsid_proto::envvars;
use awsid_proto::msg::{PromptReply, PromptRequest, Reply, Request, Shell};
use awsid_proto::runtime;

use crate::client;

/// Print the prompt segment for this shell.
///
/// The account (or its name), the principal, and a countdown when the credentials expire soon;
/// a marked state when there is no fresh answer (`…` pending, `?` stale, `!expired`,
/// `!no-creds`, `!profile-not-found`, …). Always exits 0 and never waits past its budget.
#[derive(clap::Args)]
pub struct Args {
    /// Escaping of colours: bash `\[…\]` (a PS1 string), zsh `%{…%}`, fish and nu raw ANSI,
    /// tmux `#[…]`, plain none.
    /// (`bash-var`, for a variable PS1 expands, is what the bash hook asks for.)
    #[arg(long, value_parser = super::shell_parser(None, &[Shell::BashVar]), default_value = "plain")]
    shell: Shell,
    /// Wait at most this long, in milliseconds (default: $AWSID_BUDGET_MS, else 100).
    #[arg(long, value_name = "MS")]
    budget_ms: Option<u32>,
    /// (For the shell integration.) Print the hook's line first; PID names the shell.
    #[arg(long, value_name = "PID", hide = true)]
    hook: Option<u32>,
}

/// The budget when neither `--budget-ms` nor `$AWSID_BUDGET_MS` says (`awsid init` writes it
/// into the zsh hook, which talks to the socket itself).
pub const DEFAULT_BUDGET_MS: u32 = 100;

/// Asks the daemon (starting it if needed) within the budget; None on any failure.
fn ask(shell: Shell, budget: Duration, hook_pid: Option<u32>) -> Option<PromptReply> {
    let mut client = client::new().ok()?;
    client.deadline = Some(Instant::now() + budget);
    let req = Request::Prompt(PromptRequest {
        env: envvars::current(false),
        full_env: false,
        cwd: None,
        shell,
        budget_ms: budget.as_millis() as u32,
        hook_pid,
    });
    match client.ask(req, Some(&client::Autostart), || envvars::current(true)) {
        Ok(Reply::Prompt(p)) => Some(p),
        _ => None,
    }
}

pub fn run(args: Args) -> u8 {
    let budget_ms = args
        .budget_ms
        .or_else(|| std::env::var("AWSID_BUDGET_MS").ok()?.parse().ok())
        .unwrap_or(DEFAULT_BUDGET_MS);
    let budget = Duration::from_millis(u64::from(budget_ms));
    let stamp = args.hook.and_then(runtime::touch_stamp);
    let reply = ask(args.shell, budget, args.hook.filter(|_| stamp.is_some()));
    let mut out = match (&reply, args.hook.is_some()) {
        (Some(r), true) => r.hook_text(stamp.as_deref()),
        (None, true) => format!("{}\n", awsid_proto::msg::UNSETTLED_LINE),
        (Some(r), false) => r.segment.clone(),
        (None, false) => String::new(),
    };
    // SAFETY: isatty has no preconditions.
    if args.hook.is_none() && unsafe { libc::isatty(1) } == 1 {
        out.push('\n');
    }
    let _ = std::io::stdout().write_all(out.as_bytes());
    0
}

//! `awsidd`: the awsid daemon, as a library whose [`main`] the `awsidd` binary of the `awsid`
//! package runs (one package, one `cargo install`, both binaries; the `awsid` binary itself
//! never links this crate).
//!
//! It caches GetCallerIdentity answers per credential fingerprint and serves the `awsid`
//! client over a private local socket. Layout:
//! - [`server`]: socket, peer checks, frames, shutdown;
//! - [`handler`]: one request: fingerprint, cache, single-flight, render;
//! - [`fingerprint`]: the cache key over the inputs the plan (`awsid_aws::chain`) lists;
//! - [`cache`]: the bounded identity cache with single-flight;
//! - [`resolve`]: GetCallerIdentity in a child process with the client's environment;
//! - [`render`] and [`output`]: output byte-identical to `aws sts get-caller-identity`;
//! - [`segment`]: the prompt segment (states, template, styles, ARNs);
//! - [`redact`]: what of a failure may be kept or shown beyond its shell;
//! - [`state`]: the daemon's shared state, with [`filecache`] (parsed AWS files, by
//!   [`filestat`]) and [`aliases`];
//! - [`doctor`]: `awsid doctor`, a one-shot report run beside the daemon.

mod aliases;
mod cache;
mod config;
mod doctor;
mod filecache;
mod filestat;
mod fingerprint;
mod handler;
mod logging;
mod output;
mod redact;
mod render;
mod resolve;
mod sanitize;
mod segment;
mod selfexe;
mod server;
mod stampwatch;
mod state;

use std::process::ExitCode;
use std::time::Duration;

use awsid_proto::runtime;

const HELP: &str = "\
awsidd: the awsid daemon. It caches AWS STS GetCallerIdentity answers per credential
fingerprint and answers the `awsid` client over a private local socket. Clients start it on
demand; you rarely run it yourself (see `awsid daemon --help`).

Usage: awsidd [serve]      run the daemon in the foreground
       awsidd doctor       explain this environment's identity (see `awsid doctor --help`)
       awsidd check-config [PATH]
                           check a configuration file (see `awsid config --help`)
       awsidd resolve      (internal) resolve one identity in this environment

Environment:
  AWSID_RUNTIME_DIR    socket directory (default $XDG_RUNTIME_DIR/awsid, else /tmp/awsid-$UID)
  AWSID_LOG            log filter, e.g. debug (default info); log file under $XDG_STATE_HOME/awsid
  AWSID_IDLE_TIMEOUT   exit after this many seconds without requests (default: the config's
                       [daemon] idle_timeout_secs, 0 = never)
  AWSID_RESOLVER       run this program (with `resolve`) instead of this binary to resolve
  XDG_CONFIG_HOME      the config is $XDG_CONFIG_HOME/awsid/config.toml (`awsid config --default`)

Options:
  -h, --help     Print help
  -V, --version  Print version
";

/// The whole `awsidd` program: `serve` (the default), `resolve`, `doctor`, `--help`,
/// `--version`.
pub fn main() -> ExitCode {
    let arg = std::env::args().nth(1);
    match arg.as_deref() {
        None | Some("serve") => serve(),
        Some("resolve") => resolve::child::main(),
        Some("doctor") => doctor::main(std::env::args().skip(2)),
        Some("check-config") => config::check_main(std::env::args_os().skip(2)),
        Some("-h" | "--help" | "help") => {
            print!("{HELP}");
            ExitCode::SUCCESS
        }
        Some("-V" | "--version") => {
            println!("awsidd {}", awsid_proto::VERSION);
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("awsidd: unknown argument {other:?}\n\n{HELP}");
            ExitCode::from(2)
        }
    }
}

fn serve() -> ExitCode {
    // Everything the daemon creates is private to its user.
    // SAFETY: umask has no preconditions.
    unsafe {
        libc::umask(0o077);
    }
    let log = logging::init();
    match serve_inner() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("awsidd: {e:#} (log: {})", log.display());
            ExitCode::FAILURE
        }
    }
}

fn serve_inner() -> anyhow::Result<()> {
    let dir = runtime::runtime_dir();
    runtime::ensure_dir(&dir)?;
    let socket = awsid_proto::dirs::socket(&dir);
    match server::clear_leftover_socket(&socket) {
        // Someone else already serves: not a failure (a service manager must not restart us in
        // a loop, e.g. after a client replaced the service's daemon during an upgrade).
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            tracing::info!("{e}; leaving it be");
            eprintln!("awsidd: {e}; leaving it be");
            return Ok(());
        }
        other => other?,
    }
    let idle = std::env::var("AWSID_IDLE_TIMEOUT")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or_else(|| {
            config::Live::new(config::path())
                .current()
                .daemon
                .idle_timeout_secs
        });
    let idle = config::clamp_idle(idle);
    let idle = (idle > 0).then(|| Duration::from_secs(idle));
    // AWSID_RESOLVER replaces the resolver program (tests that feed the daemon random input
    // use it to make sure nothing random ever reaches the network).
    let exe = match std::env::var_os("AWSID_RESOLVER").filter(|v| !v.is_empty()) {
        Some(p) => std::path::PathBuf::from(p),
        None => std::env::current_exe()?,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = server::bind(&socket)?;
        let pidfile = awsid_proto::dirs::pid_file(&dir);
        std::fs::write(&pidfile, format!("{}\n", std::process::id()))?;
        tracing::info!(
            pid = std::process::id(),
            version = awsid_proto::VERSION,
            socket = %socket.display(),
            "awsidd listening"
        );
        let d = state::Daemon::new(socket.clone(), exe);
        let result = server::run(d, listener, idle).await;
        // Only our own pid file: another daemon may have replaced this one.
        let ours = format!("{}\n", std::process::id());
        if std::fs::read_to_string(&pidfile).is_ok_and(|p| p == ours) {
            let _ = std::fs::remove_file(&pidfile);
        }
        match result? {
            // Uninstalled: nothing will start a daemon here again; leave no files behind.
            server::Stopped::Exe(selfexe::Change::Removed) => {
                selfexe::remove_runtime_leftovers(&dir)
            }
            server::Stopped::Exe(selfexe::Change::Replaced) | server::Stopped::Asked => {}
        }
        anyhow::Ok(())
    })?;
    tracing::info!("awsidd stopped");
    Ok(())
}

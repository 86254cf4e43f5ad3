//! `awsid daemon start|stop|status|restart`.

use awsid_proto::client::{unexpected, Client, ClientError};
use awsid_proto::msg::{Answer, Reply, Request, Status};

use crate::client;
use crate::spawn;

#[derive(clap::Subcommand)]
pub enum Action {
    /// Start awsidd unless it is running (clients also start it on demand); says which.
    Start,
    /// Stop awsidd (its socket is removed; the cache is lost); says whether it was running.
    Stop,
    /// Show pid, version, executable, uptime, cached fingerprints, hits, misses, lookups and
    /// errors.
    ///
    /// Exits 0 when awsidd is running, 3 when it is not (as `systemctl status` and LSB init
    /// scripts do), 255 on any other error.
    Status,
    /// Stop awsidd, then start it again.
    Restart,
}

pub fn run(action: Action) -> u8 {
    let client = match client::new() {
        Ok(c) => c,
        Err(e) => return super::fail(e),
    };
    let result = match action {
        Action::Start => start(&client),
        Action::Stop => stop(&client),
        Action::Restart => stop(&client).and_then(|()| start(&client)),
        Action::Status => return status(&client),
    };
    match result {
        Ok(()) => 0,
        Err(e) => super::fail(e),
    }
}

/// The daemon answering on the socket: its version and pid (from its status, or from its pid
/// file when it speaks another protocol).
struct Running {
    version: String,
    pid: Option<u32>,
    /// Its executable, as it reports it (ours) or as /proc shows it (another build).
    exe: Option<String>,
    ours: bool,
}

fn running(client: &Client) -> Result<Option<Running>, ClientError> {
    match client.exchange(&Request::Status) {
        Ok(Answer::Ours(resp)) => {
            let (pid, exe) = match resp.body {
                Reply::Status(s) => (Some(s.pid), Some(s.exe)),
                _ => (None, None),
            };
            Ok(Some(Running {
                version: resp.version,
                pid,
                exe,
                ours: true,
            }))
        }
        Ok(Answer::OtherVersion(version)) => {
            let pid: Option<u32> = std::fs::read_to_string(
                client::dir(client).join(awsid_proto::runtime::PID_FILE_NAME),
            )
            .ok()
            .and_then(|p| p.trim().parse().ok());
            let exe = pid
                .and_then(|p| std::fs::read_link(format!("/proc/{p}/exe")).ok())
                .map(|e| e.display().to_string());
            Ok(Some(Running {
                version,
                pid,
                exe,
                ours: false,
            }))
        }
        Err(ClientError::NotRunning(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// `(pid 1234, /path/to/awsidd)`: the process and the executable it runs (Linux shows a
/// removed one as `… (deleted)`).
fn which(r: &Running) -> String {
    match (r.pid, r.exe.as_deref().filter(|e| !e.is_empty())) {
        (Some(pid), Some(exe)) => format!(" (pid {pid}, {exe})"),
        (Some(pid), None) => format!(" (pid {pid})"),
        (None, _) => String::new(),
    }
}

fn start(client: &Client) -> Result<(), ClientError> {
    let already = match running(client)? {
        Some(r) if r.ours => true,
        Some(r) => {
            return Err(ClientError::Protocol(format!(
                "awsidd {} is running{}, not this build ({}); `awsid daemon restart` replaces it",
                r.version,
                which(&r),
                awsid_proto::VERSION
            )))
        }
        None => {
            spawn::start(client)?;
            false
        }
    };
    match running(client)? {
        Some(r) if r.ours => {
            let what = if already {
                "is already running"
            } else {
                "started"
            };
            println!("awsidd {} {what}{}", r.version, which(&r));
            Ok(())
        }
        Some(r) => Err(ClientError::Protocol(spawn::mismatch(&r.version))),
        None => Err(ClientError::NotRunning(client.socket().to_path_buf())),
    }
}

fn stop(client: &Client) -> Result<(), ClientError> {
    let before = running(client)?;
    if client::stop(client)? {
        match before {
            Some(r) => println!("awsidd {} stopped{}", r.version, pid_only(r.pid)),
            None => println!("awsidd stopped"),
        }
    } else {
        println!("awsidd was not running");
    }
    Ok(())
}

fn pid_only(pid: Option<u32>) -> String {
    pid.map(|p| format!(" (pid {p})")).unwrap_or_default()
}

fn status(client: &Client) -> u8 {
    match client.exchange(&Request::Status) {
        Ok(Answer::Ours(resp)) => match resp.body {
            Reply::Status(s) => {
                print!("{}", format_status(&s));
                0
            }
            other => super::fail(unexpected(other)),
        },
        Ok(Answer::OtherVersion(v)) => super::fail(format!(
            "awsidd {v} is running, not this build ({}); `awsid daemon restart` replaces it",
            awsid_proto::VERSION
        )),
        Err(ClientError::NotRunning(p)) => {
            println!("awsidd is not running (socket {})", p.display());
            3
        }
        Err(e) => super::fail(e),
    }
}

fn format_status(s: &Status) -> String {
    let up = s.uptime_secs;
    let uptime = match up {
        0..=59 => format!("{up}s"),
        60..=3599 => format!("{}m {}s", up / 60, up % 60),
        _ => format!("{}h {}m", up / 3600, up % 3600 / 60),
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut recent = String::new();
    for e in &s.recent_errors {
        recent.push_str(&format!(
            "  {}s ago: {}\n",
            now.saturating_sub(e.at_unix),
            e.what
        ));
    }
    if !recent.is_empty() {
        recent.insert_str(0, "recent errors (oldest first):\n");
    }
    format!(
        "awsidd is running\n\
         pid:        {}\n\
         version:    {}\n\
         executable: {}\n\
         uptime:     {uptime}\n\
         socket:     {}\n\
         cached:     {} fingerprints\n\
         in flight:  {}\n\
         hits:       {}\n\
         misses:     {}\n\
         lookups:    {}\n\
         errors:     {}\n\
         config:     {}{}\n\
         {recent}",
        s.pid,
        s.version,
        s.exe,
        s.socket,
        s.cached,
        s.in_flight,
        s.hits,
        s.misses,
        s.lookups,
        s.errors,
        if s.config_path.is_empty() {
            "(none)"
        } else {
            &s.config_path
        },
        match &s.config_error {
            // A multi-line error (TOML's) stays under its label.
            Some(e) => format!(
                " (BROKEN, last good one in force:\n{})",
                e.lines()
                    .map(|l| format!("            {l}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
            None => String::new(),
        }
    )
}

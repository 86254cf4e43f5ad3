//! `awsid daemon start|stop|status|restart`.

use awsid_proto::client::{unexpected, Client, ClientError};
use awsid_proto::msg::{Answer, Reply, Request, Status};

use crate::client;
use crate::spawn;

#[derive(clap::Subcommand)]
pub enum Action {
    /// Start awsidd unless it is running (clients also start it on demand).
    Start,
    /// Stop awsidd (its socket is removed; the cache is lost).
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
        Action::Stop => client::stop(&client).map(|was_running| {
            if !was_running {
                eprintln!("awsidd was not running");
            }
        }),
        Action::Restart => client::stop(&client).and_then(|_| start(&client)),
        Action::Status => return status(&client),
    };
    match result {
        Ok(()) => 0,
        Err(e) => super::fail(e),
    }
}

fn start(client: &Client) -> Result<(), ClientError> {
    match client.exchange(&Request::Status) {
        Ok(Answer::Ours(_)) => Ok(()),
        Ok(Answer::OtherVersion(v)) => Err(ClientError::OtherBuild(v)),
        Err(ClientError::NotRunning(_)) => spawn::start(client),
        Err(e) => Err(e),
    }
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

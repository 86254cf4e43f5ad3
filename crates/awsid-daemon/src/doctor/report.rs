//! The doctor's report as text for people, and as JSON (the report's types, serialized) for
//! scripts. Neither ever holds a secret value (the explanation keeps none). The text report
//! keeps every line under [`WIDTH`] columns and prints each error once.

use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use awsid_proto::msg::Status;
use serde::{Serialize, Serializer};

use super::explain::TokenState;
use super::{AnsweredBy, Hook, Report, Running};

/// The widest a line of the text report may be (columns).
pub const WIDTH: usize = 99;
/// The width of the labels.
const W: usize = 12;

/// Implements `Serialize` as `name()` for enums whose names the text report prints too.
macro_rules! serialize_by_name {
    ($($t:ty),*) => {$(
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.name())
            }
        }
    )*};
}
pub(crate) use serialize_by_name;

fn ms_value(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e5).round() / 100.0
}

pub fn ms<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(ms_value(*d))
}

pub fn path<S: Serializer>(p: &Path, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&p.display().to_string())
}

pub fn opt_path<S: Serializer>(p: &Option<PathBuf>, s: S) -> Result<S::Ok, S::Error> {
    match p {
        Some(p) => path(p, s),
        None => s.serialize_none(),
    }
}

pub fn paths<S: Serializer>(p: &[PathBuf], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(p.iter().map(|p| p.display().to_string()))
}

pub fn octal<S: Serializer>(mode: &Option<u32>, s: S) -> Result<S::Ok, S::Error> {
    match mode {
        Some(m) => s.serialize_str(&format!("{m:04o}")),
        None => s.serialize_none(),
    }
}

pub fn settings<S: Serializer>(v: &[(&'static str, String)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(v.iter().map(|(k, v)| (k, v)))
}

/// The daemon's status as the JSON report shows it (the fields are checked against
/// `awsid_proto::msg::Status` by the compiler). Recent errors are left out: they can be
/// other shells', and the report is about this one (`awsid daemon status` lists them).
#[derive(Serialize)]
#[serde(remote = "Status")]
pub struct StatusDef {
    pub pid: u32,
    pub version: String,
    pub exe: String,
    pub uptime_secs: u64,
    pub cached: u64,
    pub in_flight: u64,
    pub hits: u64,
    pub misses: u64,
    pub lookups: u64,
    pub errors: u64,
    pub config_path: String,
    pub config_error: Option<String>,
}

pub fn json(r: &Report) -> String {
    let mut text = serde_json::to_string_pretty(r).unwrap_or_default();
    text.push('\n');
    text
}

fn mode_text(mode: Option<u32>, owner: Option<u32>) -> String {
    match (mode, owner) {
        (Some(m), Some(o)) => format!("mode {m:04o}, owner uid {o}"),
        _ => "missing".into(),
    }
}

fn duration_words(secs: i64) -> String {
    let s = secs.abs();
    let text = match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m", s / 60),
        3600..=86_399 => format!("{}h {}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d {}h", s / 86_400, s % 86_400 / 3600),
    };
    if secs < 0 {
        format!("{text} ago")
    } else {
        format!("in {text}")
    }
}

fn token_text(t: &TokenState, now: i64) -> String {
    match t {
        TokenState::Unknown => "unknown (no sso_start_url or sso_session)".into(),
        TokenState::Missing => "missing: run `aws sso login`".into(),
        TokenState::Unreadable { reason } => format!("unreadable ({reason})"),
        TokenState::Expires {
            at,
            unix: Some(u),
            expired: Some(true),
            refreshable,
        } => format!(
            "EXPIRED at {at} ({}){}",
            duration_words(u - now),
            if *refreshable {
                "; renewed with the session's refresh token"
            } else {
                ""
            }
        ),
        TokenState::Expires {
            at, unix: Some(u), ..
        } => format!("valid until {at} ({})", duration_words(u - now)),
        TokenState::Expires { at, .. } => format!("expires at {at}"),
    }
}

/// Writes `text` after `first`, wrapped at spaces to [`WIDTH`] columns, its further lines
/// (and the lines of a multi-line text) after `indent` spaces. A word too long for a line is
/// cut.
fn wrap(out: &mut String, first: &str, indent: usize, text: &str) {
    let pad = " ".repeat(indent);
    let mut line = first.to_string();
    let mut fresh = true;
    let flush = |out: &mut String, line: &mut String| {
        out.push_str(line.trim_end());
        out.push('\n');
        *line = pad.clone();
    };
    for (i, paragraph) in text.split('\n').enumerate() {
        if i > 0 {
            flush(out, &mut line);
            fresh = true;
        }
        for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
            let used = line.chars().count();
            let len = word.chars().count();
            if !fresh && used + 1 + len > WIDTH {
                flush(out, &mut line);
                fresh = true;
            }
            if !fresh {
                line.push(' ');
            }
            let mut rest: Vec<char> = word.chars().collect();
            while line.chars().count() + rest.len() > WIDTH {
                let room = WIDTH.saturating_sub(line.chars().count()).max(1);
                line.extend(rest.drain(..room.min(rest.len())));
                flush(out, &mut line);
            }
            line.extend(rest);
            fresh = false;
        }
    }
    flush(out, &mut line);
}

fn line(out: &mut String, label: &str, value: impl std::fmt::Display) {
    wrap(out, &format!("  {label:<W$} "), W + 3, &value.to_string());
}

fn more(out: &mut String, value: impl std::fmt::Display) {
    line(out, "", value);
}

/// Lines under one label: the first after the label, the others below it.
fn lines(out: &mut String, label: &str, values: impl IntoIterator<Item = String>) {
    for (i, v) in values.into_iter().enumerate() {
        line(out, if i == 0 { label } else { "" }, v);
    }
}

fn heading(out: &mut String, r: &Report, title: &str, step: &str) {
    let took = r
        .steps
        .iter()
        .find(|s| s.step == step)
        .map(|s| format!("  ({:.1} ms)", ms_value(s.ms)))
        .unwrap_or_default();
    let _ = writeln!(out, "{title}{took}");
}

pub fn human(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "awsid doctor");
    line(
        &mut out,
        "awsid",
        format!(
            "{} ({})",
            r.client_version.as_deref().unwrap_or("?"),
            r.client_exe.as_deref().unwrap_or("?")
        ),
    );
    line(
        &mut out,
        "awsidd",
        format!(
            "{} ({})",
            r.awsidd_version,
            r.daemon_exe.as_deref().unwrap_or("?")
        ),
    );
    out.push('\n');

    setup(&mut out, r);
    credentials(&mut out, r);
    identity(&mut out, r);
    fingerprint(&mut out, r);
    config(&mut out, r);
    daemon(&mut out, r);

    let steps: Vec<String> = r
        .steps
        .iter()
        .map(|s| format!("{} {:.1} ms", s.step, ms_value(s.ms)))
        .collect();
    wrap(&mut out, "Timings: ", 2, &steps.join(", "));
    out.push('\n');

    if r.problems.is_empty() {
        out.push_str("No problems found.\n");
    } else {
        out.push_str("Problems:\n");
        for p in &r.problems {
            let text = match &p.short {
                Some((section, short)) => format!("{short} (see {section} above)"),
                None => p.text.clone(),
            };
            wrap(&mut out, "  - ", 4, &text);
        }
    }
    out
}

fn setup(out: &mut String, r: &Report) {
    let s = &r.setup;
    let _ = writeln!(out, "Set-up");
    let hook = match &s.hook {
        Hook::Loaded { shell } => format!("loaded in this shell ({shell})"),
        Hook::Inherited { shell, pid } => format!(
            "not this shell's: {} was exported by process {pid} ({shell}), not by the shell \
             that ran this (`awsid init --help` says how to load it)",
            super::HOOK_VAR
        ),
        Hook::NotLoaded => "not loaded in this shell (`awsid init --help` says how)".into(),
    };
    line(out, "hook", hook);
    let segment = match (&s.segment, &r.daemon.running, &r.identity) {
        (Some(seg), _, _) if seg.is_empty() => "empty (no AWS credentials in this shell)".into(),
        (Some(seg), _, _) => format!("{seg:?} (without colours)"),
        (None, _, None) => "not asked (--offline)".into(),
        (None, Running::Yes(_), _) => "awsidd did not answer in time".into(),
        (None, _, _) => "not asked: awsidd is not running here (a prompt starts it)".into(),
    };
    line(out, "segment", segment);
    let region = match &r.credentials.region {
        Some(reg) => format!("region {}, from {}", reg.name, reg.from),
        None => "no region set: the global endpoint".into(),
    };
    line(out, "sts", format!("{} ({region})", s.sts_endpoint));
    out.push('\n');
}

fn credentials(out: &mut String, r: &Report) {
    let c = &r.credentials;
    heading(out, r, "Credentials", "credentials");
    line(
        out,
        "source",
        format!("{} [{}]", c.summary, c.source.name()),
    );
    lines(
        out,
        "chain",
        c.chain.iter().enumerate().map(|(i, hop)| {
            let files: Vec<String> = hop
                .defined_in
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            format!(
                "{}{}: {}, {}{}",
                if i > 0 { "└ " } else { "" },
                hop.profile,
                hop.kind.name(),
                hop.detail,
                if files.is_empty() {
                    String::new()
                } else {
                    format!("  [{}]", files.join(", "))
                }
            )
        }),
    );
    lines(out, "why", c.why.iter().map(|w| format!("- {w}")));
    if !c.env_credentials.is_empty() {
        let vars: Vec<String> = c
            .env_credentials
            .iter()
            .map(|v| format!("{}: {}", v.name, v.value))
            .collect();
        line(out, "env keys", vars.join("; "));
    }
    if let Some(t) = &c.tool {
        line(out, "exported by", t);
    }
    for v in &c.expiry_vars {
        line(out, "expiry", format!("{}={}", v.name, v.value));
    }
    if let Some(sso) = &c.sso {
        if let Some(url) = &sso.start_url {
            line(out, "sso", format!("start URL {url}"));
        }
        if let Some(f) = &sso.token_file {
            line(
                out,
                "sso token",
                format!("{} ({})", token_text(&sso.token, r.now), f.display()),
            );
        }
    }
    out.push('\n');
}

fn identity(out: &mut String, r: &Report) {
    let Some(id) = &r.identity else {
        return;
    };
    heading(out, r, "Identity", "identity");
    match (&id.who, &id.error) {
        (Some(who), _) => {
            line(out, "account", &who.account);
            line(out, "arn", &who.arn);
            line(out, "user id", &who.user_id);
        }
        (None, Some(_)) if id.explained => line(out, "error", "(see Problems below)"),
        (None, Some(e)) => line(out, "error", e),
        (None, None) => {}
    }
    line(
        out,
        "answered",
        match id.answered_by {
            AnsweredBy::Cache => "by awsidd, from its cache",
            AnsweredBy::DaemonLookup => "by awsidd, which looked it up for this request",
            AnsweredBy::Nobody => "by nobody: the AWS CLI stops before any lookup too",
            AnsweredBy::Direct => {
                "by a lookup of this report's own (awsidd is not running, not this build, or \
                 not trusted)"
            }
        },
    );
    out.push('\n');
}

fn fingerprint(out: &mut String, r: &Report) {
    let f = &r.fingerprint;
    let _ = writeln!(out, "Cache key (fingerprint inputs; names and paths only)");
    line(out, "variables", f.variables.join(" "));
    lines(
        out,
        "files",
        f.files.iter().map(|w| {
            format!(
                "{}{}",
                w.path.display(),
                if w.exists { "" } else { " (missing)" }
            )
        }),
    );
    if let Some(p) = &f.profile_override {
        line(out, "--profile", p);
    }
    if f.includes_path {
        line(
            out,
            "PATH",
            "included (the chain runs a program awsid cannot watch)",
        );
    }
    out.push('\n');
}

fn config(out: &mut String, r: &Report) {
    let cfg = &r.config;
    heading(out, r, "Configuration", "config");
    let file = match (&cfg.path, cfg.exists, &cfg.error) {
        (None, _, _) => "no path (neither XDG_CONFIG_HOME nor HOME is set): defaults".to_string(),
        (Some(p), false, _) => format!("{} (not present: defaults in force)", p.display()),
        (Some(p), true, None) => format!("{} (loaded)", p.display()),
        (Some(p), true, Some(_)) => format!(
            "{} is BROKEN; awsidd keeps its last good configuration (the defaults when it \
             starts); below: the defaults",
            p.display()
        ),
    };
    line(out, "file", file);
    if let Some(e) = &cfg.error {
        line(out, "error", e);
    }
    for (k, v) in &cfg.settings {
        more(out, format!("{k} = {v}"));
    }
    out.push('\n');
}

fn daemon(out: &mut String, r: &Report) {
    let d = &r.daemon;
    heading(out, r, "Daemon", "daemon");
    match &d.running {
        Running::No => line(
            out,
            "state",
            "not running (any awsid command starts it; or `awsid daemon start`)",
        ),
        Running::OtherBuild { version } => line(
            out,
            "state",
            format!("another build is running: awsidd {version}"),
        ),
        Running::Broken { error } => line(out, "state", format!("unreachable: {error}")),
        Running::Yes(s) => {
            line(out, "state", "running");
            line(out, "pid", s.pid);
            line(out, "version", &s.version);
            line(out, "executable", &s.exe);
            line(
                out,
                "uptime",
                duration_words(s.uptime_secs as i64).trim_start_matches("in "),
            );
            line(
                out,
                "cache",
                format!(
                    "{} fingerprint{}, {} in flight",
                    s.cached,
                    if s.cached == 1 { "" } else { "s" },
                    s.in_flight
                ),
            );
            line(
                out,
                "requests",
                format!(
                    "{} hits, {} misses, {} lookups, {} errors (all shells)",
                    s.hits, s.misses, s.lookups, s.errors
                ),
            );
            match (&s.config_error, &r.config.error) {
                (Some(e), Some(ours)) if e == ours => line(
                    out,
                    "its config",
                    "BROKEN (the error above), last good one in force",
                ),
                (Some(e), _) => line(
                    out,
                    "its config",
                    format!("BROKEN, last good one in force: {e}"),
                ),
                (None, _) => {}
            }
        }
    }
    line(
        out,
        "socket",
        format!(
            "{} ({})",
            d.socket.display(),
            mode_text(d.socket_mode, d.socket_owner)
        ),
    );
    line(
        out,
        "runtime dir",
        format!(
            "{} ({}{})",
            d.runtime_dir.display(),
            mode_text(d.dir_mode, d.dir_owner),
            match (&d.dir_problem, d.dir_mode) {
                (Some(_), _) => ": REFUSED",
                (None, Some(_)) => ": private, ok",
                (None, None) => ": created on first use",
            }
        ),
    );
    line(out, "log", d.log_file.display());
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_lines_narrow_and_indents_every_line() {
        let mut out = String::new();
        let long = "word ".repeat(60);
        let text = format!(
            "first line\nTOML parse error at line 1\n{long}\n{}",
            "x".repeat(250)
        );
        line(&mut out, "error", &text);
        for l in out.lines() {
            assert!(l.chars().count() <= WIDTH, "{l:?}");
        }
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], format!("  {:<W$} first line", "error"));
        assert_eq!(
            lines[1],
            format!("{}TOML parse error at line 1", " ".repeat(W + 3))
        );
        assert!(lines[2..].iter().all(|l| l.starts_with(&" ".repeat(W + 3))));
        // Every character is kept.
        let kept: String = out.split_whitespace().skip(1).collect();
        let given: String = text.split_whitespace().collect();
        assert_eq!(kept, given);
    }
}

//! The doctor's report as text for people and as JSON for scripts. Both show the same facts;
//! neither ever holds a secret value (the explanation keeps none).

use std::fmt::Write;
use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};

use super::explain::TokenState;
use super::{Report, Running};

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e5).round() / 100.0
}

fn step_ms(r: &Report, name: &str) -> String {
    r.steps
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, d)| format!("  ({:.1} ms)", ms(*d)))
        .unwrap_or_default()
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
        TokenState::Unreadable(e) => format!("unreadable ({e})"),
        TokenState::Expires {
            at,
            unix: Some(u),
            refreshable,
        } if *u <= now => format!(
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
        TokenState::Expires { at, unix: None, .. } => format!("expires at {at}"),
    }
}

const W: usize = 12;

fn line(out: &mut String, label: &str, value: impl std::fmt::Display) {
    let _ = writeln!(out, "  {label:<W$} {value}");
}

fn more(out: &mut String, value: impl std::fmt::Display) {
    let _ = writeln!(out, "  {:<W$} {value}", "");
}

pub fn human(r: &Report) -> String {
    let mut out = String::new();
    let c = &r.credentials;
    let _ = writeln!(
        out,
        "awsid doctor: awsid {} ({}), awsidd {} ({})\n",
        r.client_version.as_deref().unwrap_or("?"),
        r.client_exe.as_deref().unwrap_or("?"),
        awsid_proto::VERSION,
        r.daemon_exe.as_deref().unwrap_or("?"),
    );

    let _ = writeln!(out, "Credentials{}", step_ms(r, "credentials"));
    line(&mut out, "source", format!("{} [{}]", c.summary, c.source));
    for (i, hop) in c.chain.iter().enumerate() {
        let files: Vec<String> = hop
            .defined_in
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        let text = format!(
            "{}{}: {}, {}{}",
            if i > 0 { "└ " } else { "" },
            hop.profile,
            hop.kind,
            hop.detail,
            if files.is_empty() {
                String::new()
            } else {
                format!("  [{}]", files.join(", "))
            }
        );
        if i == 0 {
            line(&mut out, "chain", text);
        } else {
            more(&mut out, text);
        }
    }
    for (i, w) in c.why.iter().enumerate() {
        if i == 0 {
            line(&mut out, "why", format!("- {w}"));
        } else {
            more(&mut out, format!("- {w}"));
        }
    }
    if !c.env_credentials.is_empty() {
        let vars: Vec<String> = c
            .env_credentials
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        line(&mut out, "env keys", vars.join("; "));
    }
    if let Some(t) = &c.tool {
        line(&mut out, "exported by", t);
    }
    for (k, v) in &c.expiry_vars {
        line(&mut out, "expiry", format!("{k}={v}"));
    }
    if let Some(sso) = &c.sso {
        if let Some(url) = &sso.start_url {
            line(&mut out, "sso", format!("start URL {url}"));
        }
        if let Some(f) = &sso.token_file {
            line(
                &mut out,
                "sso token",
                format!("{} ({})", token_text(&sso.token, r.now), f.display()),
            );
        }
    }
    match &c.region {
        Some((region, from)) => line(&mut out, "region", format!("{region} (from {from})")),
        None => line(
            &mut out,
            "region",
            "none set (awsid asks the global STS endpoint)",
        ),
    }
    out.push('\n');

    if let Some(id) = &r.identity {
        let _ = writeln!(out, "Identity{}", step_ms(r, "identity"));
        match &id.result {
            Ok((account, arn, user_id)) => {
                line(&mut out, "account", account);
                line(&mut out, "arn", arn);
                line(&mut out, "user id", user_id);
            }
            Err(e) => line(&mut out, "error", e),
        }
        line(
            &mut out,
            "answered",
            match id.answered_by {
                "cache" => "by awsidd, from its cache",
                "sts-via-daemon" => "by awsidd, which asked STS",
                "nobody" => {
                    "by nobody: a profile it needs does not exist (the AWS CLI stops there too)"
                }
                _ => "by STS directly (awsidd is not running, not this build, or not trusted)",
            },
        );
        out.push('\n');
    }

    let f = &r.fingerprint;
    let _ = writeln!(out, "Cache key (fingerprint inputs; names and paths only)");
    line(&mut out, "variables", f.variables.join(" "));
    for (i, (path, exists)) in f.files.iter().enumerate() {
        let text = format!(
            "{}{}",
            path.display(),
            if *exists { "" } else { " (missing)" }
        );
        if i == 0 {
            line(&mut out, "files", text);
        } else {
            more(&mut out, text);
        }
    }
    if let Some(p) = &f.profile_override {
        line(&mut out, "--profile", p);
    }
    if f.includes_path {
        line(
            &mut out,
            "PATH",
            "included (the chain runs a program awsid cannot watch)",
        );
    }
    out.push('\n');

    let cfg = &r.config;
    let _ = writeln!(out, "Configuration{}", step_ms(r, "config"));
    let file = match (&cfg.path, cfg.exists, &cfg.error) {
        (None, _, _) => "no path (neither XDG_CONFIG_HOME nor HOME is set): defaults".to_string(),
        (Some(p), false, _) => format!("{} (not present: defaults in force)", p.display()),
        (Some(p), true, None) => format!("{} (loaded)", p.display()),
        (Some(p), true, Some(e)) => format!(
            "{} is BROKEN: {e}\n  {:<W$} awsidd keeps its last good configuration (the defaults when it starts); below: the defaults",
            p.display(),
            ""
        ),
    };
    line(&mut out, "file", file);
    for (k, v) in &cfg.settings {
        more(&mut out, format!("{k} = {v}"));
    }
    out.push('\n');

    let d = &r.daemon;
    let _ = writeln!(out, "Daemon{}", step_ms(r, "daemon"));
    match &d.running {
        Running::No => line(
            &mut out,
            "state",
            "not running (any awsid command starts it; or `awsid daemon start`)",
        ),
        Running::OtherBuild(v) => line(
            &mut out,
            "state",
            format!("another build is running: awsidd {v}"),
        ),
        Running::Broken(e) => line(&mut out, "state", format!("unreachable: {e}")),
        Running::Yes(s) => {
            line(&mut out, "state", "running");
            line(&mut out, "pid", s.pid);
            line(&mut out, "version", &s.version);
            line(
                &mut out,
                "uptime",
                duration_words(s.uptime_secs as i64).trim_start_matches("in "),
            );
            line(
                &mut out,
                "cache",
                format!(
                    "{} fingerprint{}, {} in flight",
                    s.cached,
                    if s.cached == 1 { "" } else { "s" },
                    s.in_flight
                ),
            );
            line(
                &mut out,
                "requests",
                format!(
                    "{} hits, {} misses, {} STS calls, {} errors",
                    s.hits, s.misses, s.sts_calls, s.errors
                ),
            );
            if let Some(e) = &s.config_error {
                line(
                    &mut out,
                    "its config",
                    format!("BROKEN, last good one in force: {e}"),
                );
            }
            for (i, e) in s.recent_errors.iter().enumerate() {
                let text = format!("{}: {}", duration_words(e.at_unix as i64 - r.now), e.what);
                if i == 0 {
                    line(&mut out, "errors", text);
                } else {
                    more(&mut out, text);
                }
            }
        }
    }
    line(
        &mut out,
        "socket",
        format!(
            "{} ({})",
            d.socket.display(),
            mode_text(d.socket_mode, d.socket_owner)
        ),
    );
    line(
        &mut out,
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
    line(&mut out, "log", d.log_file.display());
    out.push('\n');

    let steps: Vec<String> = r
        .steps
        .iter()
        .map(|(n, d)| format!("{n} {:.1} ms", ms(*d)))
        .collect();
    let _ = writeln!(out, "Timings: {}\n", steps.join(", "));

    if r.problems.is_empty() {
        out.push_str("No problems found.\n");
    } else {
        out.push_str("Problems:\n");
        for p in &r.problems {
            let _ = writeln!(out, "  - {p}");
        }
    }
    out
}

fn path(p: &Path) -> Value {
    Value::String(p.display().to_string())
}

pub fn json(r: &Report) -> String {
    let c = &r.credentials;
    let sso = c.sso.as_ref().map(|s| {
        let (state, expires_at, expired, refreshable) = match &s.token {
            TokenState::Unknown => ("unknown", None, None, None),
            TokenState::Missing => ("missing", None, None, None),
            TokenState::Unreadable(_) => ("unreadable", None, None, None),
            TokenState::Expires {
                at,
                unix,
                refreshable,
            } => (
                "present",
                Some(at.clone()),
                unix.map(|u| u <= r.now),
                Some(*refreshable),
            ),
        };
        json!({
            "profile": s.profile,
            "session": s.session,
            "start_url": s.start_url,
            "account": s.account,
            "role": s.role,
            "token_file": s.token_file.as_deref().map(path),
            "token": state,
            "expires_at": expires_at,
            "expired": expired,
            "refreshable": refreshable,
        })
    });
    let credentials = json!({
        "source": c.source,
        "summary": c.summary,
        "profile": c.profile.as_ref().map(|p| json!({"name": p.name, "from": p.from})),
        "why": c.why,
        "chain": c.chain.iter().map(|h| json!({
            "profile": h.profile,
            "kind": h.kind,
            "detail": h.detail,
            "defined_in": h.defined_in.iter().map(|p| path(p)).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "environment_variables": c.env_credentials.iter().map(|(k, v)| json!({"name": k, "value": v})).collect::<Vec<_>>(),
        "expiry_variables": c.expiry_vars.iter().map(|(k, v)| json!({"name": k, "value": v})).collect::<Vec<_>>(),
        "exported_by": c.tool,
        "region": c.region.as_ref().map(|(r, f)| json!({"name": r, "from": f})),
        "sso": sso,
        "known_profiles": c.known_profiles,
    });
    let identity = r.identity.as_ref().map(|id| match &id.result {
        Ok((account, arn, user_id)) => json!({
            "ok": true, "account": account, "arn": arn, "user_id": user_id,
            "answered_by": id.answered_by, "ms": ms(id.took),
        }),
        Err(e) => {
            json!({"ok": false, "error": e, "answered_by": id.answered_by, "ms": ms(id.took)})
        }
    });
    let f = &r.fingerprint;
    let d = &r.daemon;
    let (state, status) = match &d.running {
        Running::No => ("stopped", Value::Null),
        Running::OtherBuild(v) => ("other-build", json!({"version": v})),
        Running::Broken(e) => ("unreachable", json!({"error": e})),
        Running::Yes(s) => (
            "running",
            json!({
                "pid": s.pid,
                "version": s.version,
                "uptime_secs": s.uptime_secs,
                "cached": s.cached,
                "in_flight": s.in_flight,
                "hits": s.hits,
                "misses": s.misses,
                "sts_calls": s.sts_calls,
                "errors": s.errors,
                "config_path": s.config_path,
                "config_error": s.config_error,
                "recent_errors": s.recent_errors.iter().map(|e| json!({"at_unix": e.at_unix, "what": e.what})).collect::<Vec<_>>(),
            }),
        ),
    };
    let octal = |m: Option<u32>| m.map(|m| format!("{m:04o}"));
    let report = json!({
        "awsid_version": r.client_version,
        "awsid_path": r.client_exe,
        "awsidd_version": awsid_proto::VERSION,
        "awsidd_path": r.daemon_exe,
        "credentials": credentials,
        "identity": identity,
        "fingerprint": {
            "variables": f.variables,
            "files": f.files.iter().map(|(p, e)| json!({"path": path(p), "exists": e})).collect::<Vec<_>>(),
            "includes_path": f.includes_path,
            "profile_override": f.profile_override,
        },
        "config": {
            "path": r.config.path.as_deref().map(path),
            "exists": r.config.exists,
            "source": if r.config.exists && r.config.error.is_none() { "file" } else { "defaults" },
            "error": r.config.error,
            "settings": r.config.settings.iter().map(|(k, v)| (k.to_string(), Value::String(v.clone()))).collect::<serde_json::Map<_, _>>(),
        },
        "daemon": {
            "state": state,
            "status": status,
            "socket": path(&d.socket),
            "socket_mode": octal(d.socket_mode),
            "socket_owner": d.socket_owner,
            "runtime_dir": path(&d.runtime_dir),
            "runtime_dir_mode": octal(d.dir_mode),
            "runtime_dir_owner": d.dir_owner,
            "runtime_dir_problem": d.dir_problem,
            "log_file": path(&d.log_file),
        },
        "steps": r.steps.iter().map(|(n, d)| json!({"step": n, "ms": ms(*d)})).collect::<Vec<_>>(),
        "problems": r.problems,
    });
    let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
    text.push('\n');
    text
}

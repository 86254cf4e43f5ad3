//! The user's configuration (`config.toml`), reloaded when the file changes.
//!
//! Defaults come from the documented default file (`awsid config --default` prints the same
//! text). A file that fails to parse is reported (status, log) and the last good configuration
//! stays in force.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub prompt: Prompt,
    #[serde(default)]
    pub accounts: BTreeMap<String, String>,
    #[serde(default, rename = "class")]
    pub classes: Vec<Class>,
    pub daemon: DaemonSection,
    /// The prompt's format and styles, compiled (see [`crate::prompt::Look`]).
    #[serde(skip)]
    pub look: crate::prompt::Look,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Prompt {
    pub format: String,
    pub symbol: String,
    pub style: String,
    pub state_style: String,
    pub hide: Vec<String>,
    pub budget_ms: u32,
    pub expires_within_minutes: u32,
    pub alias_lookup: bool,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Class {
    #[serde(rename = "match")]
    pub pattern: String,
    pub style: Option<String>,
    pub symbol: Option<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DaemonSection {
    pub idle_timeout_secs: u64,
    pub refresh_secs: u64,
    pub resolve_timeout_secs: u64,
}

/// The range each duration of the configuration is clamped to (a value outside it is taken as
/// the nearest bound, never as an overflow): (min, max).
pub const IDLE_TIMEOUT_SECS: (u64, u64) = (0, 30 * 24 * 3600);
pub const REFRESH_SECS: (u64, u64) = (1, 7 * 24 * 3600);
pub const RESOLVE_TIMEOUT_SECS: (u64, u64) = (1, 300);
pub const BUDGET_MS: (u32, u32) = (0, 60_000);
pub const EXPIRES_WITHIN_MINUTES: (u32, u32) = (0, 7 * 24 * 60);

/// The idle timeout in seconds, clamped (also for `AWSID_IDLE_TIMEOUT`).
pub fn clamp_idle(secs: u64) -> u64 {
    secs.clamp(IDLE_TIMEOUT_SECS.0, IDLE_TIMEOUT_SECS.1)
}

/// The same shape with every field optional: what a user file may contain.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserConfig {
    #[serde(default)]
    prompt: UserPrompt,
    #[serde(default)]
    accounts: BTreeMap<String, String>,
    #[serde(default, rename = "class")]
    classes: Vec<Class>,
    #[serde(default)]
    daemon: UserDaemon,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserPrompt {
    format: Option<String>,
    symbol: Option<String>,
    style: Option<String>,
    state_style: Option<String>,
    hide: Option<Vec<String>>,
    budget_ms: Option<u32>,
    expires_within_minutes: Option<u32>,
    alias_lookup: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserDaemon {
    idle_timeout_secs: Option<u64>,
    refresh_secs: Option<u64>,
    resolve_timeout_secs: Option<u64>,
}

impl Config {
    pub fn defaults() -> Config {
        let mut c: Config =
            toml::from_str(awsid_proto::DEFAULT_CONFIG).expect("the default config parses");
        c.look = crate::prompt::Look::compile(&c).expect("the default look compiles");
        c
    }

    /// Parses a user file over the defaults.
    pub fn parse(text: &str) -> Result<Config, String> {
        let user: UserConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut c = Config::defaults();
        let p = user.prompt;
        if let Some(v) = p.format {
            c.prompt.format = v;
        }
        if let Some(v) = p.symbol {
            c.prompt.symbol = v;
        }
        if let Some(v) = p.style {
            c.prompt.style = v;
        }
        if let Some(v) = p.state_style {
            c.prompt.state_style = v;
        }
        if let Some(v) = p.hide {
            c.prompt.hide = v;
        }
        if let Some(v) = p.budget_ms {
            c.prompt.budget_ms = v.clamp(BUDGET_MS.0, BUDGET_MS.1);
        }
        if let Some(v) = p.expires_within_minutes {
            c.prompt.expires_within_minutes =
                v.clamp(EXPIRES_WITHIN_MINUTES.0, EXPIRES_WITHIN_MINUTES.1);
        }
        if let Some(v) = p.alias_lookup {
            c.prompt.alias_lookup = v;
        }
        c.accounts.extend(user.accounts);
        c.classes = user.classes;
        let d = user.daemon;
        if let Some(v) = d.idle_timeout_secs {
            c.daemon.idle_timeout_secs = clamp_idle(v);
        }
        if let Some(v) = d.refresh_secs {
            c.daemon.refresh_secs = v.clamp(REFRESH_SECS.0, REFRESH_SECS.1);
        }
        if let Some(v) = d.resolve_timeout_secs {
            c.daemon.resolve_timeout_secs = v.clamp(RESOLVE_TIMEOUT_SECS.0, RESOLVE_TIMEOUT_SECS.1);
        }
        c.look = crate::prompt::Look::compile(&c)?;
        Ok(c)
    }
}

/// `$XDG_CONFIG_HOME/awsid/config.toml`, else `~/.config/awsid/config.toml`.
pub fn path() -> Option<PathBuf> {
    awsid_proto::runtime::config_file()
}

type Stamp = Option<(u64, u64, i64, i64, i64, i64)>;

struct Loaded {
    stamp: Stamp,
    config: Arc<Config>,
    error: Option<String>,
}

/// The configuration in force, re-read when the file's stat changes.
pub struct Live {
    path: Option<PathBuf>,
    inner: Mutex<Loaded>,
}

fn stamp(path: &Path) -> Stamp {
    let m = std::fs::metadata(path).ok()?;
    Some((
        m.dev(),
        m.ino(),
        m.mtime(),
        m.mtime_nsec(),
        m.ctime(),
        m.ctime_nsec(),
    ))
}

impl Live {
    pub fn new(path: Option<PathBuf>) -> Live {
        let live = Live {
            path,
            inner: Mutex::new(Loaded {
                stamp: None,
                config: Arc::new(Config::defaults()),
                error: None,
            }),
        };
        live.current();
        live
    }

    /// The configuration in force (reloading first if the file changed).
    pub fn current(&self) -> Arc<Config> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let Some(path) = &self.path else {
            return inner.config.clone();
        };
        let now = stamp(path);
        if now == inner.stamp && now.is_some() {
            return inner.config.clone();
        }
        inner.stamp = now;
        if now.is_none() {
            inner.config = Arc::new(Config::defaults());
            inner.error = None;
            return inner.config.clone();
        }
        // Never blocking on a FIFO, never reading a device or a huge file.
        match crate::state::read_regular(path)
            .and_then(|t| String::from_utf8(t).map_err(|e| e.to_string()))
            .and_then(|t| Config::parse(&t))
        {
            Ok(c) => {
                tracing::info!(path = %path.display(), "configuration loaded");
                inner.config = Arc::new(c);
                inner.error = None;
            }
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "bad configuration; keeping the last good one");
                inner.error = Some(format!("{}: {e}", path.display()));
            }
        }
        inner.config.clone()
    }

    /// The last load error, if the file in force is not the file on disk.
    pub fn error(&self) -> Option<String> {
        self.current();
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .error
            .clone()
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse_and_user_values_override() {
        let d = Config::defaults();
        assert_eq!(d.prompt.budget_ms, 100);
        let c = Config::parse(
            "[prompt]\nstyle = \"red\"\n[accounts]\n\"123456789012\" = \"prod\"\n[[class]]\nmatch = \"prod\"\nstyle = \"bold red\"\n",
        )
        .unwrap();
        assert_eq!(c.prompt.style, "red");
        assert_eq!(c.prompt.format, d.prompt.format);
        assert_eq!(c.accounts["123456789012"], "prod");
        assert_eq!(c.classes.len(), 1);
    }

    #[test]
    fn bad_files_are_refused_with_a_reason() {
        assert!(Config::parse("[prompt]\nnonsense = 1\n").is_err());
        assert!(Config::parse("[prompt]\nstyle = \"chartreuse\"\n")
            .unwrap_err()
            .contains("chartreuse"));
        assert!(Config::parse("[prompt]\nformat = \"{nosuchfield}\"\n").is_err());
        assert!(Config::parse("not toml [").is_err());
    }

    /// Every duration is clamped: `refresh_secs = 9223372036854775807` once made `now + ttl`
    /// overflow and panic the resolver task.
    #[test]
    fn every_duration_is_clamped() {
        let c = Config::parse(
            "[daemon]\nrefresh_secs = 9223372036854775807\nidle_timeout_secs = 18446744073709551615\n\
             resolve_timeout_secs = 0\n[prompt]\nbudget_ms = 4294967295\nexpires_within_minutes = 4294967295\n",
        )
        .unwrap();
        assert_eq!(c.daemon.refresh_secs, REFRESH_SECS.1);
        assert_eq!(c.daemon.idle_timeout_secs, IDLE_TIMEOUT_SECS.1);
        assert_eq!(c.daemon.resolve_timeout_secs, RESOLVE_TIMEOUT_SECS.0);
        assert_eq!(c.prompt.budget_ms, BUDGET_MS.1);
        assert_eq!(c.prompt.expires_within_minutes, EXPIRES_WITHIN_MINUTES.1);
        let c =
            Config::parse("[daemon]\nrefresh_secs = 0\nresolve_timeout_secs = 100000\n").unwrap();
        assert_eq!(c.daemon.refresh_secs, 1);
        assert_eq!(c.daemon.resolve_timeout_secs, RESOLVE_TIMEOUT_SECS.1);
    }

    #[test]
    fn live_reload_keeps_the_last_good_config() {
        let dir = std::env::temp_dir().join(format!("awsid-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("config.toml");
        std::fs::write(&file, "[prompt]\nstyle = \"red\"\n").unwrap();
        let live = Live::new(Some(file.clone()));
        assert_eq!(live.current().prompt.style, "red");
        std::fs::write(&file, "[prompt]\nstyle = 3\n").unwrap();
        assert_eq!(live.current().prompt.style, "red");
        assert!(live.error().is_some());
        std::fs::write(&file, "[prompt]\nstyle = \"blue\"\n").unwrap();
        assert_eq!(live.current().prompt.style, "blue");
        assert!(live.error().is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

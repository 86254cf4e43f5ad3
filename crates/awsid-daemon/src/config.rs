//! The user's configuration (`config.toml`), reloaded when the file changes.
//!
//! Defaults come from the documented default file (`awsid config --default` prints the same
//! text). A file that fails to parse is reported (status, log) and the last good configuration
//! stays in force.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};

use serde::{Deserialize, Deserializer};
use toml::de::{DeTable, DeValue};

use crate::filestat::FileStat;

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub prompt: Prompt,
    #[serde(default)]
    pub accounts: BTreeMap<String, String>,
    #[serde(default, rename = "class")]
    pub classes: Vec<Class>,
    pub daemon: DaemonSection,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Prompt {
    #[serde(deserialize_with = "checked_format")]
    pub format: String,
    pub symbol: String,
    #[serde(deserialize_with = "checked_style")]
    pub style: String,
    pub budget_ms: u32,
    pub expires_within_minutes: u32,
    pub alias_lookup: bool,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Class {
    #[serde(rename = "match")]
    pub pattern: String,
    #[serde(default, deserialize_with = "checked_style_opt")]
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

/// A user file laid over the documented defaults, value by value: tables merge (a key the user
/// sets replaces the default's, recursively), anything else the user writes replaces the
/// default whole (`[[class]]` lists included). What the merge yields is deserialized once, so
/// the defaults and the user's values pass the same checks, with the user's line and column.
fn overlay<'i>(user: &mut DeTable<'i>, defaults: DeTable<'i>) {
    for (key, default) in defaults {
        match user.get_mut(&key) {
            None => {
                user.insert(key, default);
            }
            Some(mine) => {
                if let (DeValue::Table(mine), DeValue::Table(default)) =
                    (mine.get_mut(), default.into_inner())
                {
                    overlay(mine, default);
                }
            }
        }
    }
}

/// A `format` the template language accepts.
fn checked_format<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let v = String::deserialize(d)?;
    crate::segment::template::check(&v).map_err(serde::de::Error::custom)?;
    Ok(v)
}

/// A `style` the style language accepts.
fn checked_style<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let v = String::deserialize(d)?;
    crate::segment::style::Style::parse(&v).map_err(serde::de::Error::custom)?;
    Ok(v)
}

/// An optional `style` (a class's), checked as [`checked_style`].
fn checked_style_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    checked_style(d).map(Some)
}

impl Config {
    /// The documented defaults (`awsid config --default`).
    pub fn defaults() -> Config {
        static DEFAULTS: LazyLock<Config> =
            LazyLock::new(|| Config::parse("").expect("the default config parses"));
        DEFAULTS.clone()
    }

    /// Parses a user file over the defaults. The error names the line and column, as the TOML
    /// parser words it.
    pub fn parse(text: &str) -> Result<Config, String> {
        let mut user = DeTable::parse(text).map_err(|e| e.to_string())?;
        let defaults = DeTable::parse(awsid_proto::DEFAULT_CONFIG)
            .expect("the default config is TOML")
            .into_inner();
        overlay(user.get_mut(), defaults);
        let mut config =
            Config::deserialize(toml::de::Deserializer::from(user)).map_err(|mut e| {
                e.set_input(Some(text));
                e.to_string()
            })?;
        config.clamp();
        Ok(config)
    }

    /// The one place every duration is clamped to its range (defaults included).
    fn clamp(&mut self) {
        let (p, d) = (&mut self.prompt, &mut self.daemon);
        p.budget_ms = p.budget_ms.clamp(BUDGET_MS.0, BUDGET_MS.1);
        p.expires_within_minutes = p
            .expires_within_minutes
            .clamp(EXPIRES_WITHIN_MINUTES.0, EXPIRES_WITHIN_MINUTES.1);
        d.idle_timeout_secs = clamp_idle(d.idle_timeout_secs);
        d.refresh_secs = d.refresh_secs.clamp(REFRESH_SECS.0, REFRESH_SECS.1);
        d.resolve_timeout_secs = d
            .resolve_timeout_secs
            .clamp(RESOLVE_TIMEOUT_SECS.0, RESOLVE_TIMEOUT_SECS.1);
    }
}

/// `$XDG_CONFIG_HOME/awsid/config.toml`, else `~/.config/awsid/config.toml`.
pub fn path() -> Option<PathBuf> {
    awsid_proto::dirs::config_file()
}

/// `awsidd check-config [PATH]`, what `awsid config --check` runs: the file (the user's by
/// default) through the same parser the daemon loads it with. Exit 0 and `PATH: valid` on
/// stdout; exit 253 (the AWS CLI's "bad configuration") and the parser's words, with line and
/// column, on stderr; 255 when the file cannot be read; 252 for bad usage.
pub fn check_main(mut args: impl Iterator<Item = std::ffi::OsString>) -> std::process::ExitCode {
    use std::process::ExitCode;
    let (given, extra) = (args.next(), args.next());
    if extra.is_some() {
        eprintln!("awsid: usage: awsidd check-config [PATH]");
        return ExitCode::from(252);
    }
    let explicit = given.is_some();
    let Some(file) = given.map(PathBuf::from).or_else(path) else {
        eprintln!("awsid: no configuration path: neither XDG_CONFIG_HOME nor HOME is set");
        return ExitCode::from(255);
    };
    let shown = file.display();
    let text = match crate::filecache::read_regular(&file) {
        // No file of one's own is a valid state (the defaults); a file named that is not
        // there is a mistake.
        Err(_) if !explicit && std::fs::symlink_metadata(&file).is_err() => {
            println!("{shown}: not present: the defaults are in force");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("awsid: {e}");
            return ExitCode::from(255);
        }
        Ok(bytes) => bytes,
    };
    match String::from_utf8(text)
        .map_err(|e| format!("not UTF-8 text: {e}"))
        .and_then(|t| Config::parse(&t))
    {
        Ok(_) => {
            println!("{shown}: valid");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("awsid: {shown}: {}", e.trim_end());
            ExitCode::from(253)
        }
    }
}

struct Loaded {
    /// The stat identity of the file loaded (None: no file).
    stat: Option<FileStat>,
    config: Arc<Config>,
    error: Option<String>,
}

/// The configuration in force, re-read when the file's stat changes.
pub struct Live {
    path: Option<PathBuf>,
    inner: Mutex<Loaded>,
}

impl Live {
    pub fn new(path: Option<PathBuf>) -> Live {
        let live = Live {
            path,
            inner: Mutex::new(Loaded {
                stat: None,
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
        let now = FileStat::read(path);
        if now == inner.stat && now.is_some() {
            return inner.config.clone();
        }
        inner.stat = now;
        if now.is_none() {
            inner.config = Arc::new(Config::defaults());
            inner.error = None;
            return inner.config.clone();
        }
        // Never blocking on a FIFO, never reading a device or a huge file.
        match crate::filecache::read_regular(path)
            .and_then(|t| String::from_utf8(t).map_err(|e| e.to_string()))
            .and_then(|t| Config::parse(&t))
        {
            Ok(c) => {
                tracing::info!(path = %path.display(), "configuration loaded");
                if c.prompt.alias_lookup && !cfg!(feature = "account-alias") {
                    tracing::warn!(
                        "alias_lookup is on, but this awsidd was built without the \
                         `account-alias` feature: no alias is looked up"
                    );
                }
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

    /// Errors name where in the user's file they are: syntax, unknown keys, wrong types and
    /// values the prompt's languages refuse alike.
    #[test]
    fn errors_name_the_line_and_column() {
        for (text, line, what) in [
            (
                "[prompt]\nstyle = \"chartreuse\"\n",
                "line 2, column 9",
                "chartreuse",
            ),
            ("\n[daemon]\nnonsense = 1\n", "line 3, column 1", "nonsense"),
            (
                "[prompt]\n\nbudget_ms = \"x\"\n",
                "line 3, column 13",
                "expected u32",
            ),
            (
                "[[class]]\nmatch = \"p\"\nstyle = \"bold pink\"\n",
                "line 3",
                "pink",
            ),
            ("[prompt]\nformat = \"{nosuch}\"\n", "line 2", "nosuch"),
            ("a = [\n", "line 1, column 6", "unclosed array"),
            ("prompt = 3\n", "line 1", "Prompt"),
        ] {
            let e = Config::parse(text).unwrap_err();
            assert!(e.contains(line) && e.contains(what), "{text:?}: {e}");
        }
    }

    /// Tables merge key by key over the defaults; other values replace them.
    #[test]
    fn user_values_lie_over_the_defaults() {
        let d = Config::defaults();
        let c = Config::parse("[daemon]\nrefresh_secs = 60\n[accounts]\n\"1\" = \"a\"\n").unwrap();
        assert_eq!(c.daemon.refresh_secs, 60);
        assert_eq!(c.daemon.resolve_timeout_secs, d.daemon.resolve_timeout_secs);
        assert_eq!(c.prompt, d.prompt);
        assert_eq!(c.accounts.len(), 1);
        assert!(d.classes.is_empty() && d.accounts.is_empty());
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

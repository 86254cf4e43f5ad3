//! Every path awsid uses, in one place: the socket and its directory, the pid file and the
//! start-up lock, the shells' stamp files, the log, the configuration and the service files.
//!
//! Base directories come from the `directories` crate ([`BaseDirs`]): on Linux it follows the
//! XDG base directory rules (`$XDG_CONFIG_HOME`, `$XDG_STATE_HOME`, each used only when it is an
//! absolute path, else `~/.config`, `~/.local/state`).
//!
//! On macOS its own choice is `~/Library/Application Support` for configuration and no state
//! directory at all; awsid keeps the XDG layout there instead, as starship and atuin do, so a
//! user's dotfiles (and the README) name one path on both systems: `~/.config/awsid`. See
//! [`xdg_home`], the rule applied on macOS, which a test holds equal to the crate's on Linux.
//!
//! Two rules are awsid's own. A process without `HOME` (`env -i`, some service managers) gets
//! no home from the password database: only the XDG variables then count, and the log goes to
//! the runtime directory. The runtime directory follows [`runtime_dir_from`], which the zsh
//! hook repeats in zsh (`awsid init` fills it in from the constants below): `$AWSID_RUNTIME_DIR`,
//! else `$XDG_RUNTIME_DIR/awsid`, else `/tmp/awsid-$UID` (`directories` has no runtime directory
//! on macOS).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use directories::BaseDirs;

/// File name of the socket inside the runtime directory.
pub const SOCKET_NAME: &str = "awsidd.sock";
/// File name of the start-up lock inside the runtime directory.
pub const START_LOCK_NAME: &str = "start.lock";
/// File name of the daemon's pid file inside the runtime directory.
pub const PID_FILE_NAME: &str = "awsidd.pid";
/// The directory of the shell hooks' stamp files inside the runtime directory.
pub const STAMPS_NAME: &str = "stamps";
/// awsid's directory inside each base directory.
pub const APP: &str = "awsid";

/// The variable naming the runtime directory itself (used when set and non-empty).
pub const DIR_VAR: &str = "AWSID_RUNTIME_DIR";
/// Else this variable's directory (when set and non-empty), joined with [`XDG_SUBDIR`].
pub const XDG_VAR: &str = "XDG_RUNTIME_DIR";
pub const XDG_SUBDIR: &str = APP;
/// Else this prefix followed by the effective uid.
pub const FALLBACK_PREFIX: &str = "/tmp/awsid-";

/// The runtime directory for this user, from the given variable lookup. (`awsid init` writes
/// these same rules into the zsh hook from the constants above.)
pub fn runtime_dir_from(var: impl Fn(&str) -> Option<OsString>) -> PathBuf {
    let nonempty = |name: &str| var(name).filter(|v| !v.is_empty());
    if let Some(dir) = nonempty(DIR_VAR) {
        return PathBuf::from(dir);
    }
    if let Some(dir) = nonempty(XDG_VAR) {
        return PathBuf::from(dir).join(XDG_SUBDIR);
    }
    PathBuf::from(format!("{FALLBACK_PREFIX}{}", crate::runtime::euid()))
}

/// The runtime directory for this process's environment.
pub fn runtime_dir() -> PathBuf {
    runtime_dir_from(|name| std::env::var_os(name))
}

/// The daemon's socket in runtime directory `dir`.
pub fn socket(dir: &Path) -> PathBuf {
    dir.join(SOCKET_NAME)
}

/// The daemon's pid file in runtime directory `dir`.
pub fn pid_file(dir: &Path) -> PathBuf {
    dir.join(PID_FILE_NAME)
}

/// The start-up lock in runtime directory `dir`.
pub fn start_lock(dir: &Path) -> PathBuf {
    dir.join(START_LOCK_NAME)
}

/// Directory of the shell hooks' stamp files (one per shell process).
pub fn stamp_dir() -> PathBuf {
    runtime_dir().join(STAMPS_NAME)
}

/// The stamp file of shell `pid`.
pub fn stamp_file(pid: u32) -> PathBuf {
    stamp_dir().join(pid.to_string())
}

/// A base directory: XDG's rule, applied as on Linux on every Unix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Base {
    /// `$XDG_CONFIG_HOME`, else `~/.config`.
    Config,
    /// `$XDG_STATE_HOME`, else `~/.local/state`.
    State,
}

impl Base {
    fn var(self) -> &'static str {
        match self {
            Base::Config => "XDG_CONFIG_HOME",
            Base::State => "XDG_STATE_HOME",
        }
    }

    fn under_home(self) -> &'static str {
        match self {
            Base::Config => ".config",
            Base::State => ".local/state",
        }
    }
}

/// The XDG rule for `base` from a variable lookup and a home directory: the variable when it
/// is an absolute path, else the directory under home. This is the rule on macOS; on Linux
/// the `directories` crate applies the same one (a test holds them equal).
pub fn xdg_home(
    base: Base,
    var: impl Fn(&str) -> Option<OsString>,
    home: Option<&Path>,
) -> Option<PathBuf> {
    var(base.var())
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| Some(home?.join(base.under_home())))
}

/// The home directory, from `HOME` only (never guessed from the password database).
fn base_dirs() -> Option<BaseDirs> {
    std::env::var_os("HOME").filter(|h| !h.is_empty())?;
    BaseDirs::new()
}

/// The home directory (`HOME`, when set and non-empty).
pub fn home() -> Option<PathBuf> {
    base_dirs().map(|b| b.home_dir().to_path_buf())
}

/// A base directory for this process's environment.
pub fn base(base: Base) -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name);
    let Some(dirs) = base_dirs() else {
        return xdg_home(base, var, None);
    };
    if cfg!(target_os = "macos") {
        return xdg_home(base, var, Some(dirs.home_dir()));
    }
    match base {
        Base::Config => Some(dirs.config_dir().to_path_buf()),
        Base::State => dirs
            .state_dir()
            .map(Path::to_path_buf)
            .or_else(|| xdg_home(base, var, Some(dirs.home_dir()))),
    }
}

/// The configuration file: `<config base>/awsid/config.toml`.
pub fn config_file() -> Option<PathBuf> {
    Some(base(Base::Config)?.join(APP).join("config.toml"))
}

/// The daemon's log file: `<state base>/awsid/awsidd.log`, else in the runtime directory.
pub fn log_file() -> PathBuf {
    match base(Base::State) {
        Some(dir) => dir.join(APP).join("awsidd.log"),
        None => runtime_dir().join("awsidd.log"),
    }
}

/// Where systemd looks for the user unit: `<config base>/systemd/user/awsidd.service`.
pub fn systemd_unit() -> Option<PathBuf> {
    Some(base(Base::Config)?.join("systemd/user/awsidd.service"))
}

/// Where launchd looks for the agent: `~/Library/LaunchAgents/dev.awsid.awsidd.plist`.
pub fn launchd_plist() -> Option<PathBuf> {
    Some(home()?.join("Library/LaunchAgents/dev.awsid.awsidd.plist"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<OsString> {
        move |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| OsString::from(v))
        }
    }

    /// The layout kept on macOS: the XDG one, `~/.config/awsid` and `~/.local/state/awsid`,
    /// not `~/Library/Application Support`.
    #[test]
    fn the_xdg_rule_for_each_base() {
        let home = Some(Path::new("/Users/u"));
        assert_eq!(
            xdg_home(Base::Config, env(&[]), home),
            Some(PathBuf::from("/Users/u/.config"))
        );
        assert_eq!(
            xdg_home(Base::State, env(&[]), home),
            Some(PathBuf::from("/Users/u/.local/state"))
        );
        let set = env(&[("XDG_CONFIG_HOME", "/c"), ("XDG_STATE_HOME", "/s")]);
        assert_eq!(xdg_home(Base::Config, &set, home), Some("/c".into()));
        assert_eq!(xdg_home(Base::State, &set, None), Some("/s".into()));
        // Empty or relative: not a base directory (the XDG specification), home's instead.
        let odd = env(&[("XDG_CONFIG_HOME", ""), ("XDG_STATE_HOME", "rel")]);
        assert_eq!(
            xdg_home(Base::Config, &odd, home),
            Some("/Users/u/.config".into())
        );
        assert_eq!(xdg_home(Base::State, &odd, None), None);
    }

    /// On Linux the `directories` crate gives what the rule above gives, so macOS and Linux
    /// share one layout.
    #[cfg(target_os = "linux")]
    #[test]
    fn the_crate_agrees_with_the_rule_on_linux() {
        let Some(dirs) = base_dirs() else {
            return;
        };
        let var = |n: &str| std::env::var_os(n);
        for b in [Base::Config, Base::State] {
            assert_eq!(base(b), xdg_home(b, var, Some(dirs.home_dir())), "{b:?}");
        }
        assert_eq!(
            config_file(),
            Some(dirs.config_dir().join("awsid/config.toml"))
        );
    }
}

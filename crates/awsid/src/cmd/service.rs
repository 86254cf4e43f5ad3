//! `awsid service [systemd|launchd] [--install|--uninstall]`: the daemon as a login service.
//!
//! The templates are the files under `service/`, with awsidd's absolute path filled in.
//! Installing only writes the file and says which command enables it: awsid never runs
//! systemctl or launchctl itself, and on-demand start stays the default.

use std::path::{Path, PathBuf};

use crate::spawn;

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Manager {
    /// A systemd user unit (Linux).
    Systemd,
    /// A launchd agent (macOS).
    Launchd,
}

/// Print or install a service that runs awsidd at login (systemd user unit or launchd agent).
///
/// Without a flag the file is printed. --install writes it (to
/// $XDG_CONFIG_HOME/systemd/user/awsidd.service or ~/Library/LaunchAgents/dev.awsid.awsidd.plist)
/// and prints the command that enables it; --uninstall removes it. Clients keep starting awsidd
/// on demand whenever it is not running, so a service is optional.
#[derive(clap::Args)]
pub struct Args {
    /// Which service manager (default: launchd on macOS, else systemd).
    manager: Option<Manager>,
    /// Write the file where the service manager looks for it.
    #[arg(long, conflicts_with = "uninstall")]
    install: bool,
    /// Remove the installed file.
    #[arg(long)]
    uninstall: bool,
    /// Replace or remove a file awsid did not write (or a symlink) at that path.
    #[arg(long)]
    force: bool,
}

const SYSTEMD: &str = include_str!("../../../../service/awsidd.service");
const LAUNCHD: &str = include_str!("../../../../service/dev.awsid.awsidd.plist");

/// awsidd's absolute path (a service manager has no useful PATH).
fn daemon_abs() -> Result<PathBuf, String> {
    let p = spawn::daemon_path();
    let found = if p.components().count() > 1 {
        Some(p.clone())
    } else {
        std::env::var_os("PATH").and_then(|path| {
            std::env::split_paths(&path)
                .map(|d| d.join(&p))
                .find(|c| c.is_file())
        })
    };
    let found = found.ok_or_else(|| {
        format!(
            "cannot find {} (next to awsid, on PATH or in $AWSID_DAEMON); \
             install it with `cargo install --locked --path crates/awsid`",
            p.display()
        )
    })?;
    let abs = if found.is_absolute() {
        found
    } else {
        std::env::current_dir()
            .map_err(|e| e.to_string())?
            .join(found)
    };
    Ok(abs)
}

/// The unit or plist for this awsidd.
pub fn render(manager: Manager, awsidd: &Path) -> Result<String, String> {
    let path = awsidd
        .to_str()
        .ok_or_else(|| format!("{} is not valid UTF-8", awsidd.display()))?;
    if path.contains(['\n', '\r', '"', '\\']) {
        return Err(format!("cannot write {path:?} into a service file"));
    }
    Ok(match manager {
        // systemd: quoted (spaces), `%` is a specifier and is doubled.
        Manager::Systemd => {
            SYSTEMD.replace("@AWSIDD@", &format!("\"{}\"", path.replace('%', "%%")))
        }
        Manager::Launchd => LAUNCHD.replace(
            "@AWSIDD@",
            &path
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;"),
        ),
    })
}

/// Where the service manager looks for the file.
fn install_path(manager: Manager) -> Result<PathBuf, String> {
    match manager {
        Manager::Systemd => awsid_proto::dirs::systemd_unit(),
        Manager::Launchd => awsid_proto::dirs::launchd_plist(),
    }
    .ok_or_else(|| "HOME is not set".to_string())
}

fn enable_hint(manager: Manager, path: &Path) -> String {
    match manager {
        Manager::Systemd => "awsid daemon stop   # the service starts its own\n\
             systemctl --user daemon-reload\n\
             systemctl --user enable --now awsidd"
            .to_string(),
        Manager::Launchd => format!(
            "awsid daemon stop   # the service starts its own\n\
             launchctl bootstrap gui/$(id -u) {}",
            path.display()
        ),
    }
}

fn disable_hint(manager: Manager) -> &'static str {
    match manager {
        Manager::Systemd => "systemctl --user daemon-reload",
        Manager::Launchd => "launchctl bootout gui/$(id -u)/dev.awsid.awsidd   # if it is loaded",
    }
}

/// A line every template starts with: how a file awsid wrote is recognised.
fn written_by_awsid(manager: Manager, text: &str) -> bool {
    text.contains(match manager {
        Manager::Systemd => "# awsidd as a systemd user service.",
        Manager::Launchd => "awsidd as a launchd agent",
    })
}

/// What is at `path` now, without following a symlink.
enum Existing {
    Nothing,
    Same,
    Ours,
    Foreign(&'static str),
}

fn existing(manager: Manager, path: &Path, new: Option<&str>) -> Result<Existing, String> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Existing::Nothing),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    if meta.file_type().is_symlink() {
        return Ok(Existing::Foreign("a symlink"));
    }
    if !meta.is_file() {
        return Ok(Existing::Foreign("not a regular file"));
    }
    let text = std::fs::read_to_string(path).unwrap_or_default();
    Ok(if Some(text.as_str()) == new {
        Existing::Same
    } else if written_by_awsid(manager, &text) {
        Existing::Ours
    } else {
        Existing::Foreign("a file awsid did not write")
    })
}

fn run_inner(args: Args) -> Result<(), String> {
    let manager = args.manager.unwrap_or(if cfg!(target_os = "macos") {
        Manager::Launchd
    } else {
        Manager::Systemd
    });
    if args.uninstall {
        let path = install_path(manager)?;
        let wants = path.with_file_name("default.target.wants/awsidd.service");
        if manager == Manager::Systemd && std::fs::symlink_metadata(&wants).is_ok() {
            // systemctl cannot disable a unit whose file is gone: disable first.
            return Err(format!(
                "awsidd.service is enabled ({} exists): run `systemctl --user disable --now \
                 awsidd` first, then this again",
                wants.display()
            ));
        }
        match existing(manager, &path, None)? {
            Existing::Nothing => {
                println!("{} is not installed", path.display());
                return Ok(());
            }
            Existing::Foreign(what) if !args.force => {
                return Err(format!(
                    "{} is {what}; not removing it (--force does)",
                    path.display()
                ))
            }
            _ => {}
        }
        std::fs::remove_file(&path).map_err(|e| format!("removing {}: {e}", path.display()))?;
        println!("removed {}", path.display());
        println!("then: {}", disable_hint(manager));
        return Ok(());
    }
    let text = render(manager, &daemon_abs()?)?;
    if !args.install {
        print!("{text}");
        return Ok(());
    }
    let path = install_path(manager)?;
    match existing(manager, &path, Some(&text))? {
        Existing::Same => {
            println!("{} is installed and up to date", path.display());
            println!("enable it with:\n{}", enable_hint(manager, &path));
            return Ok(());
        }
        Existing::Foreign(what) if !args.force => {
            return Err(format!(
                "{} is {what}; not replacing it (--force does)",
                path.display()
            ))
        }
        _ => {}
    }
    let dir = path
        .parent()
        .ok_or_else(|| format!("{} has no parent directory", path.display()))?;
    std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    // A new file renamed into place: never half written, and a symlink is replaced, not
    // followed.
    let tmp = dir.join(format!(".awsidd.{}.tmp", std::process::id()));
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, &path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            format!("writing {}: {e}", path.display())
        })?;
    println!("wrote {}", path.display());
    println!("enable it with:\n{}", enable_hint(manager, &path));
    Ok(())
}

pub fn run(args: Args) -> u8 {
    match run_inner(args) {
        Ok(()) => 0,
        Err(e) => super::fail(e),
    }
}

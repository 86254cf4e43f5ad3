//! What the shell tests drive: whether a tool is installed, and an interactive shell in a
//! private tmux server.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::harness::{run, Sandbox, Vars};

/// Whether `tool` is on PATH. A missing one is skipped with a note, or is a failure when
/// `AWSID_REQUIRE_SHELLS` is set (as `.ci/run` does, after installing them all).
pub fn have(tool: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found {
        assert!(
            std::env::var_os("AWSID_REQUIRE_SHELLS").is_none(),
            "{tool} is required (AWSID_REQUIRE_SHELLS is set)"
        );
        eprintln!("skipping: {tool} is not installed");
    }
    found
}

/// Single-quotes a word for sh.
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// An interactive shell in a private tmux server (killed on drop), started from exactly
/// `vars`.
pub struct Tmux {
    socket: PathBuf,
}

/// How long a wait lasts before the test fails.
const WAIT_STEPS: u32 = 300;
const WAIT_STEP: Duration = Duration::from_millis(50);

impl Tmux {
    /// Starts `argv` in a 200×50 pane; `name` tells apart several servers of one sandbox.
    pub fn start(sb: &Sandbox, name: &str, vars: &Vars, argv: &[impl AsRef<str>]) -> Tmux {
        let socket = sb.root.join(format!("{name}.sock"));
        let launcher = sb.root.join(format!("{name}.sh"));
        let mut script = String::from("#!/bin/sh\nexec env -i");
        for (k, v) in &vars.0 {
            script.push_str(&format!(" {}={}", k, sh_quote(v)));
        }
        for a in argv {
            script.push(' ');
            script.push_str(&sh_quote(a.as_ref()));
        }
        script.push('\n');
        std::fs::write(&launcher, script).unwrap();
        let mut cmd = Command::new("tmux");
        cmd.arg("-S")
            .arg(&socket)
            .args([
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                "200",
                "-y",
                "50",
                "sh",
            ])
            .arg(&launcher);
        let t = Tmux { socket };
        run(cmd).ok();
        t
    }

    pub fn tmux(&self, args: &[&str]) -> String {
        let mut cmd = Command::new("tmux");
        cmd.arg("-S").arg(&self.socket).args(args);
        run(cmd).stdout
    }

    pub fn type_text(&self, text: &str) {
        self.tmux(&["send-keys", "-l", text]);
    }

    pub fn key(&self, key: &str) {
        self.tmux(&["send-keys", key]);
    }

    pub fn send_line(&self, line: &str) {
        self.type_text(line);
        self.key("Enter");
    }

    pub fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p"])
    }

    /// Waits (15 s at most) until the screen satisfies `pred`; returns it.
    pub fn wait(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let mut screen = String::new();
        for _ in 0..WAIT_STEPS {
            screen = self.screen();
            if pred(&screen) {
                return screen;
            }
            std::thread::sleep(WAIT_STEP);
        }
        panic!("timed out waiting for {what}; screen:\n{screen}");
    }

    /// Waits until the screen's last non-empty line satisfies `pred`; returns that line.
    pub fn wait_last_line(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let screen = self.wait(what, |s| pred(last_line(s)));
        last_line(&screen).to_string()
    }
}

/// The last line of a screen that is not blank (where the prompt is).
pub fn last_line(screen: &str) -> &str {
    screen
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
    }
}

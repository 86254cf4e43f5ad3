//! The README's first day, run as written on an empty home: the install line, the init lines
//! in real bash, zsh and fish (a segment must show), the completion lines (a completion must
//! show), `awsid doctor`, the upgrade line (the old daemon leaves, the prompt still works) and
//! the uninstall lines (no daemon left running, nothing left behind, even with shells open).
//!
//! Every command comes out of README.md (its code blocks and tables), so a README that stops
//! working breaks this test. The environment is a user's: HOME is a fresh directory seeded
//! from /etc/skel (its ~/.bashrc sets PS1 before the line is added), the XDG directories are
//! the defaults under it, and nothing points awsid at its binaries. What differs from a real
//! first day, for the test's sake only:
//! - cargo's own state: `CARGO_HOME` is the real one (its registry cache: no network,
//!   `CARGO_NET_OFFLINE`), `CARGO_INSTALL_ROOT` is the fresh home's `~/.cargo`, and
//!   `CARGO_TARGET_DIR` is kept between runs (`<target>/readme`) so that the install is an
//!   incremental build; the release profile is made cheap (no LTO, opt-level 0, incremental)
//!   through `CARGO_PROFILE_RELEASE_*`. The command lines themselves are the README's.
//! - an STS that answers on loopback (`AWS_ENDPOINT_URL`, tests/src/fake_sts.rs), and a
//!   credentials file, as a user's existing AWS set-up.
//!
//! Needs cargo, bash, zsh, fish and tmux (`.ci/run` installs them).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use awsid_tests::fake_sts::FakeSts;
use awsid_tests::harness::{alive, bin_dir, run, wait_until, Out, Sandbox, Vars};
use awsid_tests::term::{have, Tmux};

// ---------------------------------------------------------------------------------------------
// Reading the README.

fn readme() -> String {
    std::fs::read_to_string(repo().join("README.md")).unwrap()
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The text from `start` to the next `end` after it.
fn section<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let a = text
        .find(start)
        .unwrap_or_else(|| panic!("README has no {start:?}"));
    let rest = &text[a + start.len()..];
    &rest[..rest.find(end).unwrap_or(rest.len())]
}

/// The ```sh blocks of a text.
fn sh_blocks(text: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut cur: Option<String> = None;
    for line in text.lines() {
        match (&mut cur, line.trim_end()) {
            (None, "```sh") => cur = Some(String::new()),
            (Some(b), "```") => {
                blocks.push(std::mem::take(b));
                cur = None;
            }
            (Some(b), l) => {
                b.push_str(l);
                b.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

/// The rows of the Markdown tables in a text, as cells (`\|` unescaped), header and rule
/// left out.
fn table_rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .filter(|l| l.starts_with('|') && !l.starts_with("|---"))
        .map(|l| {
            let mut cells = Vec::new();
            let mut cell = String::new();
            let mut chars = l.trim().trim_matches('|').chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '\\' if chars.peek() == Some(&'|') => {
                        cell.push('|');
                        chars.next();
                    }
                    '|' => cells.push(std::mem::take(&mut cell).trim().to_string()),
                    c => cell.push(c),
                }
            }
            cells.push(cell.trim().to_string());
            cells
        })
        .collect()
}

/// The first `code` span of a cell.
fn code(cell: &str) -> Option<String> {
    let a = cell.find('`')?;
    let rest = &cell[a + 1..];
    Some(rest[..rest.find('`')?].to_string())
}

/// `~/x` → `<home>/x`.
fn at_home(home: &Path, path: &str) -> PathBuf {
    home.join(path.strip_prefix("~/").expect("a path under ~"))
}

/// The lines the README asks a user to add or run for one shell: `(file to add to, line)`
/// or `(None, command to run once)`.
struct Lines {
    /// The init line and the file it goes in.
    init: (String, String),
    completions: Vec<(Option<String>, String)>,
}

fn lines_for(readme: &str, shell: &str) -> Lines {
    let install = section(readme, "## Install\n", "**Completions**");
    let inits: Vec<(String, String)> = table_rows(install)
        .into_iter()
        .filter(|r| r[0] == shell)
        .map(|r| (code(&r[1]).unwrap(), code(&r[2]).unwrap()))
        .collect();
    assert_eq!(inits.len(), 1, "one {shell} init line in Install");
    // The same line in "The prompt", where it is shown again.
    let prompt = section(readme, "## The prompt\n", "Without `--add-to-prompt`");
    let again: Vec<String> = table_rows(prompt)
        .into_iter()
        .filter(|r| r[0].starts_with(&format!("{shell},")))
        .map(|r| code(&r[1]).unwrap())
        .collect();
    assert_eq!(
        again,
        [inits[0].1.clone()],
        "{shell}: The prompt and Install differ"
    );
    let completions = section(readme, "**Completions**", "**Upgrade**");
    let completions = table_rows(completions)
        .into_iter()
        .filter(|r| r[0] == shell)
        .map(|r| {
            let line = code(&r[2]).unwrap();
            if r[1].starts_with("run once") {
                (None, line)
            } else {
                let file = code(&r[1]).unwrap_or_else(|| panic!("where? {r:?}"));
                (Some(file), line)
            }
        })
        .collect::<Vec<_>>();
    assert!(!completions.is_empty(), "no {shell} completions line");
    Lines {
        init: inits[0].clone(),
        completions,
    }
}

// ---------------------------------------------------------------------------------------------
// A user's machine.

struct Day {
    sb: Sandbox,
    home: PathBuf,
    xdg_runtime: PathBuf,
    vars: Vars,
}

/// PATH without any directory that holds an awsid binary (so only the sandbox's is found).
fn clean_path() -> String {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs: Vec<PathBuf> = std::env::split_paths(&path)
        .filter(|d| !d.join("awsid").exists() && !d.join("awsidd").exists())
        .collect();
    std::env::join_paths(dirs)
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

fn cargo_home() -> String {
    std::env::var("CARGO_HOME").unwrap_or_else(|_| {
        format!(
            "{}/.cargo",
            std::env::var("HOME").expect("HOME of the test process")
        )
    })
}

impl Day {
    fn new(sts: &FakeSts) -> Day {
        let sb = Sandbox::new();
        let home = sb.root.join("user");
        std::fs::create_dir_all(&home).unwrap();
        // A new account's home: what /etc/skel gives (on Debian, a ~/.bashrc that sets PS1).
        if let Ok(entries) = std::fs::read_dir("/etc/skel") {
            for e in entries.flatten() {
                if e.path().is_file() {
                    std::fs::copy(e.path(), home.join(e.file_name())).unwrap();
                }
            }
        }
        // The user's AWS set-up: default credentials, an STS on loopback.
        std::fs::create_dir_all(home.join(".aws")).unwrap();
        std::fs::write(
            home.join(".aws/credentials"),
            "[default]\naws_access_key_id = AKIAGOOD000000000077\n\
             aws_secret_access_key = s3cr3tREADMEs3cr3tREADMEs3cr3tREADME0077\n",
        )
        .unwrap();
        let xdg_runtime = sb.root.join("xdg-run");
        std::fs::create_dir_all(&xdg_runtime).unwrap();
        std::fs::set_permissions(
            &xdg_runtime,
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .unwrap();
        let mut path = format!("{}/.cargo/bin:", home.display());
        if let Some(dir) = std::env::var_os("CARGO")
            .map(PathBuf::from)
            .and_then(|c| c.parent().map(Path::to_path_buf))
        {
            path.push_str(&format!("{}:", dir.display()));
        }
        path.push_str(&clean_path());
        let target = bin_dir().parent().unwrap().join("readme");
        let mut vars = Vars::default()
            .set("HOME", home.display().to_string())
            .set("USER", "alice")
            .set("PATH", path)
            .set("TERM", "xterm")
            .set("LANG", "C.UTF-8")
            .set("XDG_RUNTIME_DIR", xdg_runtime.display().to_string())
            // The user's AWS set-up.
            .set("AWS_ENDPOINT_URL", sts.url())
            .set("AWS_DEFAULT_REGION", "us-east-1")
            .set("AWS_EC2_METADATA_DISABLED", "true")
            .set("NO_PROXY", "127.0.0.1,localhost")
            // Should the test fail half-way, its daemon leaves by itself.
            .set("AWSID_IDLE_TIMEOUT", "900")
            // cargo's state (see the module's comment).
            .set("CARGO_HOME", cargo_home())
            .set(
                "CARGO_INSTALL_ROOT",
                home.join(".cargo").display().to_string(),
            )
            .set("CARGO_TARGET_DIR", target.display().to_string())
            .set("CARGO_NET_OFFLINE", "true")
            .set("CARGO_TERM_COLOR", "never")
            .set("CARGO_PROFILE_RELEASE_LTO", "false")
            .set("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
            .set("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "256")
            .set("CARGO_PROFILE_RELEASE_INCREMENTAL", "true");
        for k in ["RUSTUP_HOME", "RUSTUP_TOOLCHAIN"] {
            if let Ok(v) = std::env::var(k) {
                vars = vars.set(k, v);
            }
        }
        if std::env::var_os("RUSTUP_HOME").is_none() {
            let real = format!("{}/.rustup", std::env::var("HOME").unwrap_or_default());
            if Path::new(&real).is_dir() {
                vars = vars.set("RUSTUP_HOME", real);
            }
        }
        Day {
            sb,
            home,
            xdg_runtime,
            vars,
        }
    }

    /// Runs README text with bash (`-e`: the first failing command fails it), in the checkout.
    fn sh(&self, script: &str) -> Out {
        let mut cmd = Command::new("bash");
        self.vars.apply(&mut cmd);
        cmd.current_dir(repo()).args(["-e", "-c", script]);
        run(cmd)
    }

    /// Appends a line to a file under ~, as a user would with an editor.
    fn add_line(&self, file: &str, line: &str) {
        let path = at_home(&self.home, file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut text = std::fs::read_to_string(&path).unwrap_or_default();
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(line);
        text.push('\n');
        std::fs::write(&path, text).unwrap();
    }

    fn runtime_dir(&self) -> PathBuf {
        self.xdg_runtime.join("awsid")
    }

    /// The pid of the daemon of this home, if one runs.
    fn daemon_pid(&self) -> Option<i32> {
        let pid = std::fs::read_to_string(self.runtime_dir().join("awsidd.pid")).ok()?;
        let pid: i32 = pid.trim().parse().ok()?;
        alive(pid).then_some(pid)
    }

    /// Every running awsidd whose executable is (or was) under this home.
    fn daemons(&self) -> Vec<i32> {
        let home = self.home.display().to_string();
        std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
            .filter(|pid| {
                std::fs::read_link(format!("/proc/{pid}/exe"))
                    .is_ok_and(|exe| exe.to_string_lossy().starts_with(&home))
            })
            .collect()
    }

    fn shell(&self, name: &str) -> Tmux {
        // An interactive shell as a terminal starts it: it reads the startup file itself.
        let argv = [name, "-i"];
        Tmux::start(&self.sb, name, &self.vars, &argv)
    }
}

impl Drop for Day {
    fn drop(&mut self) {
        // A failed test leaves no daemon behind.
        for pid in self.daemons() {
            // SAFETY: kill has no memory-safety preconditions.
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
        }
    }
}

/// Presses Enter until the screen shows `want` (a first prompt may show the lookup pending).
fn enter_until(t: &Tmux, what: &str, want: &str) -> String {
    for _ in 0..60 {
        let screen = t.screen();
        if screen.contains(want) {
            return screen;
        }
        t.key("Enter");
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!("{what}: {want:?} never showed; screen:\n{}", t.screen());
}

/// Completes `awsid daemon re` to `awsid daemon restart`.
fn completes(t: &Tmux, shell: &str) {
    t.key("C-c");
    t.wait(&format!("{shell}: an empty line"), |s| {
        !s.lines().any(|l| l.contains("awsid daemon"))
    });
    t.type_text("awsid daemon re");
    t.wait(&format!("{shell}: the typed text"), |s| {
        s.contains("awsid daemon re")
    });
    // Tab until it completes (a shell busy redrawing its prompt may miss the first one).
    for _ in 0..20 {
        t.key("Tab");
        std::thread::sleep(Duration::from_millis(300));
        if t.screen().contains("awsid daemon restart") {
            break;
        }
    }
    t.wait(&format!("{shell}: completion of `awsid daemon re`"), |s| {
        s.contains("awsid daemon restart")
    });
    t.key("C-c");
}

#[test]
fn the_readme_first_day_works_as_written() {
    for tool in ["cargo", "bash", "zsh", "fish", "tmux"] {
        if !have(tool) {
            return;
        }
    }
    let readme = readme();
    let sts = FakeSts::start();
    let day = Day::new(&sts);
    let account = "AKIAGOOD000000000077".to_lowercase();

    // Install.
    let install = &sh_blocks(section(&readme, "## Install\n", "**Completions**"))[0];
    let started = Instant::now();
    let out = day.sh(install);
    assert_eq!(out.code, 0, "{install}: {out:?}");
    eprintln!(
        "install ({install:?}) took {:.0} s",
        started.elapsed().as_secs_f64()
    );
    for bin in ["awsid", "awsidd"] {
        assert!(day.home.join(".cargo/bin").join(bin).is_file(), "{bin}");
    }

    // The lines, then a new shell of each kind: a segment shows, completions complete.
    let mut shells = Vec::new();
    for shell in ["bash", "zsh", "fish"] {
        let lines = lines_for(&readme, shell);
        day.add_line(&lines.init.0, &lines.init.1);
        for (file, line) in &lines.completions {
            match file {
                Some(f) => day.add_line(f, line),
                None => {
                    let out = day.sh(line);
                    assert_eq!(out.code, 0, "{line}: {out:?}");
                }
            }
        }
        let t = day.shell(shell);
        let screen = enter_until(&t, &format!("{shell} prompt"), &account);
        eprintln!("{shell}:\n{screen}");
        completes(&t, shell);
        shells.push((shell, t));
    }
    let bash = &shells[0].1;

    // The doctor, in the shell the README set up.
    assert!(
        section(&readme, "## Install\n", "**Completions**")
            .contains("`awsid doctor` checks the set-up"),
        "README names `awsid doctor`"
    );
    bash.key("C-c");
    bash.send_line("clear; awsid doctor; echo \"doctor-$?-exit\"");
    let screen = bash.wait("the doctor", |s| {
        s.lines()
            .any(|l| l.starts_with("doctor-") && l.ends_with("-exit") && !l.contains('$'))
    });
    assert!(screen.contains("doctor-0-exit"), "{screen}");

    // Upgrade: the same line; the old daemon leaves, a new one answers the next prompt.
    let old = day.daemon_pid().expect("a daemon runs");
    let upgrade = &sh_blocks(section(&readme, "**Upgrade**", "**Uninstall**"))[0];
    let out = day.sh(upgrade);
    assert_eq!(out.code, 0, "{upgrade}: {out:?}");
    wait_until("the old daemon to leave after the upgrade", || !alive(old));
    bash.send_line("clear");
    enter_until(bash, "bash prompt after the upgrade", &account);
    let new = day.daemon_pid().expect("a new daemon");
    assert_ne!(new, old);
    assert_eq!(
        std::fs::read_link(format!("/proc/{new}/exe")).unwrap(),
        day.home.join(".cargo/bin/awsidd")
    );

    // Uninstall, with every shell still open and prompting.
    let uninstall = &sh_blocks(section(&readme, "**Uninstall**", "###"))[0];
    let script: String = uninstall
        .lines()
        .filter(|l| !l.contains("# only with the service"))
        .map(|l| format!("{l}\n"))
        .collect();
    let out = day.sh(&script);
    assert_eq!(out.code, 0, "{script}: {out:?}");
    for (_, t) in &shells {
        t.key("Enter");
    }
    wait_until("every daemon to leave after the uninstall", || {
        for (_, t) in &shells {
            t.key("Enter");
        }
        day.daemons().is_empty()
    });
    // Shells keep prompting; none starts a daemon again.
    for _ in 0..10 {
        for (_, t) in &shells {
            t.key("Enter");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(day.daemons(), Vec::<i32>::new());
    for gone in [
        day.home.join(".cargo/bin/awsid"),
        day.home.join(".cargo/bin/awsidd"),
        day.home.join(".config/awsid"),
        day.home.join(".local/state/awsid"),
        day.runtime_dir(),
    ] {
        assert!(!gone.exists(), "{} is left", gone.display());
    }
}

#[test]
fn readme_tables_parse() {
    let rows = table_rows("| a | `x \\| y` |\n|---|---|\n| b | c |\n");
    assert_eq!(rows, [vec!["a", "`x | y`"], vec!["b", "c"]]);
    assert_eq!(code("add to `~/.bashrc`"), Some("~/.bashrc".into()));
    assert_eq!(sh_blocks("x\n```sh\na\nb\n```\n"), ["a\nb\n"]);
}

/// `--help` gives the very lines the README gives (and the test above runs): `awsid --help`
/// and `awsid init --help` the init lines, `awsid completions --help` the completion lines.
#[test]
fn help_gives_the_lines_the_readme_gives() {
    let readme = readme();
    let help = |args: &[&str]| {
        let mut cmd = Command::new(awsid_tests::harness::awsid_bin());
        cmd.args(args);
        // One space for every run of blanks: a line may be wrapped in the help.
        run(cmd)
            .ok()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let (top, init, completions) = (
        help(&["--help"]),
        help(&["init", "--help"]),
        help(&["completions", "--help"]),
    );
    for shell in ["bash", "zsh", "fish"] {
        let lines = lines_for(&readme, shell);
        for h in [&top, &init] {
            assert!(h.contains(&lines.init.1), "{:?} not in {h}", lines.init.1);
        }
        for (_, line) in &lines.completions {
            assert!(completions.contains(line), "{line:?} not in {completions}");
        }
    }
    assert!(
        !top.contains("init bash)"),
        "a line without --add-to-prompt: {top}"
    );
}

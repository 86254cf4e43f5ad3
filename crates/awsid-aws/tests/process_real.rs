//! Real processes: scripts on disk run through `process::run` / `fetch_like_cli`.

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use awsid_aws::process::{self, Exit, Limits, ProcessError, ProcessSpec, Stream};
use awsid_aws::process_output::OutputError;

static SEQ: AtomicUsize = AtomicUsize::new(0);

/// A fresh directory for one test, removed at the end.
struct Dir(PathBuf);

impl Dir {
    fn new() -> Dir {
        let n = SEQ.fetch_add(1, Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("procs-test-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Dir(p)
    }
    fn script(&self, rel: &str, body: &str) -> PathBuf {
        let p = self.0.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn env(pairs: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
    pairs.iter().map(|(k, v)| (k.into(), v.into())).collect()
}

fn std_env() -> Vec<(OsString, OsString)> {
    env(&[("PATH", "/usr/bin:/bin")])
}

fn limits(ms: u64) -> Limits {
    Limits {
        timeout: Duration::from_millis(ms),
        ..Limits::default()
    }
}

fn run_in(
    cwd: &Path,
    command: &str,
    env: &[(OsString, OsString)],
    limits: Limits,
) -> Result<process::Output, ProcessError> {
    process::run(&ProcessSpec {
        command,
        cwd,
        env,
        limits,
    })
}

/// Dead: gone, or a zombie waiting for whoever reaps orphans.
fn dead(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z'),
    }
}

fn wait_dead(pid: i32) -> bool {
    // The kill is synchronous for the leader; an orphan may take a moment to be torn down.
    for _ in 0..200 {
        if dead(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

fn pids(file: &Path) -> Vec<i32> {
    std::fs::read_to_string(file)
        .unwrap()
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect()
}

const GOOD: &str = r#"{"Version": 1, "AccessKeyId": "AKIDEXAMPLE", "SecretAccessKey": "sek"}"#;

#[test]
fn a_hanging_program_and_its_child_die_at_the_deadline() {
    let d = Dir::new();
    let pidfile = d.0.join("pids");
    d.script(
        "hang.sh",
        &format!(
            "sleep 300 & echo $! > {p}; echo $$ >> {p}; sleep 300",
            p = pidfile.display()
        ),
    );
    let started = Instant::now();
    let err = run_in(&d.0, "./hang.sh", &std_env(), limits(500))
        .err()
        .expect("must time out");
    assert!(matches!(err, ProcessError::Timeout { .. }), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "did not stop at the deadline"
    );
    let pids = pids(&pidfile);
    assert_eq!(pids.len(), 2);
    for pid in pids {
        assert!(wait_dead(pid), "pid {pid} survived");
    }
}

#[test]
fn a_child_holding_stdout_after_the_leader_exits_is_killed_too() {
    let d = Dir::new();
    let pidfile = d.0.join("pids");
    d.script(
        "bg.sh",
        &format!(
            "sleep 300 & echo $! > {}; echo '{GOOD}'; exit 0",
            pidfile.display()
        ),
    );
    let err = run_in(&d.0, "./bg.sh", &std_env(), limits(500))
        .err()
        .expect("must time out");
    assert!(matches!(err, ProcessError::Timeout { .. }), "{err:?}");
    for pid in pids(&pidfile) {
        assert!(wait_dead(pid), "pid {pid} survived");
    }
}

#[test]
fn floods_are_killed_and_reported() {
    let d = Dir::new();
    d.script("out.sh", "exec yes AKIDEXAMPLE");
    d.script("err.sh", "head -c 5000000 /dev/zero >&2; echo done");
    let small = Limits {
        timeout: Duration::from_secs(20),
        max_stdout: 64 * 1024,
        max_stderr: 64 * 1024,
    };
    let err = run_in(&d.0, "./out.sh", &std_env(), small).err().unwrap();
    assert!(
        matches!(
            err,
            ProcessError::Flood {
                stream: Stream::Stdout,
                limit: 65536
            }
        ),
        "{err:?}"
    );
    let err = run_in(&d.0, "./err.sh", &std_env(), small).err().unwrap();
    assert!(
        matches!(
            err,
            ProcessError::Flood {
                stream: Stream::Stderr,
                ..
            }
        ),
        "{err:?}"
    );
    // Exactly at the cap is fine.
    d.script("exact.sh", "head -c 65536 /dev/zero >&2; exit 0");
    assert!(run_in(&d.0, "./exact.sh", &std_env(), small).is_ok());
}

#[test]
fn relative_programs_resolve_against_the_given_directory() {
    let d = Dir::new();
    d.script("work/creds.sh", &format!("echo '{GOOD}'"));
    let work = d.0.join("work");
    let out = run_in(&work, "./creds.sh", &std_env(), limits(10_000)).unwrap();
    assert_eq!(std::str::from_utf8(&out.stdout).unwrap().trim(), GOOD);
    // The same command from another directory: not found, in Python's words.
    let err = run_in(&d.0, "./creds.sh", &std_env(), limits(10_000))
        .err()
        .unwrap();
    assert_eq!(
        err.cli_message().unwrap(),
        "[Errno 2] No such file or directory: './creds.sh'"
    );
}

#[test]
fn bare_names_use_the_given_path_in_order() {
    let d = Dir::new();
    d.script("a/mycreds", "echo from-a >&2; exit 1");
    d.script("b/mycreds", "echo from-b >&2; exit 1");
    std::fs::write(d.0.join("noexec/mycreds"), "").ok();
    let p = |s: &str| d.0.join(s).display().to_string();
    let path_ab = format!("{}:{}", p("a"), p("b"));
    let stderr_of = |cwd: &Path, path: &str| match run_in(
        cwd,
        "mycreds",
        &env(&[("PATH", path)]),
        limits(10_000),
    ) {
        Err(ProcessError::Failed { stderr, .. }) => {
            String::from_utf8(stderr.expose().to_vec()).unwrap()
        }
        other => panic!("{:?}", other.err()),
    };
    assert_eq!(stderr_of(&d.0, &path_ab), "from-a\n");
    assert_eq!(
        stderr_of(&d.0, &format!("/nonexistent:{}", p("b"))),
        "from-b\n"
    );
    // An empty entry, or a relative one, is the working directory (Python joins and execs).
    assert_eq!(stderr_of(&d.0.join("b"), ":/nonexistent"), "from-b\n");
    assert_eq!(stderr_of(&d.0, "a"), "from-a\n");
    // A non-executable match is remembered and reported even if nothing else is found.
    std::fs::create_dir_all(d.0.join("n")).unwrap();
    std::fs::write(d.0.join("n/mycreds"), "").unwrap();
    let err = run_in(
        &d.0,
        "mycreds",
        &env(&[("PATH", &format!("{}:/nonexistent", p("n")))]),
        limits(10_000),
    )
    .err()
    .unwrap();
    assert_eq!(
        err.cli_message().unwrap(),
        "[Errno 13] Permission denied: 'mycreds'"
    );
    // ... but a later executable match wins.
    assert_eq!(
        stderr_of(&d.0, &format!("{}:{}", p("n"), p("a"))),
        "from-a\n"
    );
}

#[test]
fn without_path_the_default_is_bin_usr_bin_and_nothing_is_expanded() {
    let d = Dir::new();
    let cmd = "sh -c 'printf \"%s\" \"$0\" >&2; exit 1' '$HOME ~ |'";
    match run_in(&d.0, cmd, &[], limits(10_000)) {
        Err(ProcessError::Failed {
            exit: Exit::Code(1),
            stderr,
        }) => assert_eq!(stderr.expose(), b"$HOME ~ |"),
        other => panic!("{:?}", other.err()),
    }
    let err = run_in(&d.0, "~/bin/creds a", &std_env(), limits(10_000))
        .err()
        .unwrap();
    assert_eq!(
        err.cli_message().unwrap(),
        "[Errno 2] No such file or directory: '~/bin/creds'"
    );
    let err = run_in(&d.0, "nosuchprog_xyz", &std_env(), limits(10_000))
        .err()
        .unwrap();
    assert_eq!(
        err.cli_message().unwrap(),
        "[Errno 2] No such file or directory: 'nosuchprog_xyz'"
    );
    let err = run_in(&d.0, "/tmp", &std_env(), limits(10_000))
        .err()
        .unwrap();
    assert_eq!(
        err.cli_message().unwrap(),
        "[Errno 13] Permission denied: '/tmp'"
    );
    assert_eq!(
        run_in(&d.0, "   ", &std_env(), limits(10_000))
            .err()
            .unwrap()
            .cli_message()
            .unwrap(),
        "list index out of range"
    );
    assert_eq!(
        run_in(&d.0, "x 'y", &std_env(), limits(10_000))
            .err()
            .unwrap()
            .cli_message()
            .unwrap(),
        "No closing quotation"
    );
}

#[test]
fn environment_directory_and_stdin_are_exactly_the_given_ones() {
    let d = Dir::new();
    d.script(
        "show.sh",
        r#"printf '%s|%s|%s|' "${MARK-unset}" "${PATH}" "$(pwd)" >&2; cat >&2; env >&2; exit 7"#,
    );
    let given = env(&[("PATH", "/usr/bin:/bin"), ("MARK", "m1")]);
    // Precondition: this process has variables that must not leak (cargo sets CARGO_*).
    assert!(std::env::vars_os().any(|(k, _)| k != "PATH" && k != "MARK"));
    let started = Instant::now();
    match run_in(&d.0, "./show.sh", &given, limits(20_000)) {
        Err(ProcessError::Failed {
            exit: Exit::Code(7),
            stderr,
        }) => {
            let text = String::from_utf8(stderr.expose().to_vec()).unwrap();
            let want = format!("m1|/usr/bin:/bin|{}|", d.0.display());
            assert!(text.starts_with(&want), "{text}");
            // What the shell itself adds is allowed; nothing from this process.
            for line in text[want.len()..].lines() {
                let name = line.split('=').next().unwrap();
                assert!(
                    ["PATH", "MARK", "PWD", "OLDPWD", "SHLVL", "_"].contains(&name),
                    "leaked {name}"
                );
            }
        }
        other => panic!("{:?}", other.err()),
    }
    // `cat` saw end of input at once: stdin is /dev/null, not the test's stdin.
    assert!(started.elapsed() < Duration::from_secs(15));
    // A working directory that is gone, or a file: reported, nothing run.
    let err = run_in(&d.0.join("gone"), "./show.sh", &given, limits(20_000))
        .err()
        .unwrap();
    assert!(
        matches!(err, ProcessError::Spawn { errno: 2, .. }),
        "{err:?}"
    );
    let err = run_in(&d.0.join("show.sh"), "./show.sh", &given, limits(20_000))
        .err()
        .unwrap();
    assert!(
        matches!(
            err,
            ProcessError::Spawn {
                errno: libc::ENOTDIR,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn a_failure_keeps_stderr_out_of_display_and_in_the_cli_message() {
    let d = Dir::new();
    d.script(
        "fail.sh",
        "echo 'password=hunter2' >&2; echo second >&2; exit 1",
    );
    let err = run_in(&d.0, "./fail.sh", &std_env(), limits(10_000))
        .err()
        .unwrap();
    assert!(!err.to_string().contains("hunter2"), "{err}");
    assert!(!format!("{err:?}").contains("hunter2"), "{err:?}");
    assert_eq!(
        err.cli_message().unwrap(),
        "Error when retrieving credentials from custom-process: password=hunter2\nsecond\n"
    );
    d.script("sig.sh", "kill -TERM $$");
    let err = run_in(&d.0, "./sig.sh", &std_env(), limits(10_000))
        .err()
        .unwrap();
    assert!(
        matches!(
            err,
            ProcessError::Failed {
                exit: Exit::Signal(15),
                ..
            }
        ),
        "{err:?}"
    );
    d.script("bin.sh", r"printf '\377' >&2; exit 1");
    let err = run_in(&d.0, "./bin.sh", &std_env(), limits(10_000))
        .err()
        .unwrap();
    assert_eq!(
        err.cli_message().unwrap(),
        "'utf-8' codec can't decode byte 0xff in position 0: invalid start byte"
    );
}

/// A program that counts its runs and answers an Expiration `first` (then `later`) seconds away.
fn counted(d: &Dir, name: &str, first: &str, later: &str) -> (String, PathBuf) {
    let counter = d.0.join(format!("{name}.count"));
    let body = format!(
        r#"n=$(cat {c} 2>/dev/null || echo 0); n=$((n+1)); echo $n > {c}
secs={first}; [ "$n" -ge 2 ] && secs={later}
[ "$secs" = fail ] && {{ echo failing >&2; exit 1; }}
[ "$secs" = noexp ] && {{ echo '{{"Version":1,"AccessKeyId":"AKID2","SecretAccessKey":"s"}}'; exit 0; }}
exp=$(date -u -d "@$(( $(date +%s) + secs ))" +%Y-%m-%dT%H:%M:%SZ)
echo "{{\"Version\":1,\"AccessKeyId\":\"AKID$n\",\"SecretAccessKey\":\"s\",\"SessionToken\":\"t\",\"Expiration\":\"$exp\"}}""#,
        c = counter.display()
    );
    d.script(name, &body);
    (format!("./{name}"), counter)
}

#[test]
fn expiry_within_fifteen_minutes_runs_the_program_again_like_the_cli() {
    let d = Dir::new();
    let env = std_env();
    // (first, second, expected access key or error, runs) — each row observed with `aws` 1.45.
    let rows: &[(&str, &str, Result<&str, &str>, u32)] = &[
        ("1200", "1200", Ok("AKID1"), 1),
        ("720", "3600", Ok("AKID2"), 2),
        ("300", "3600", Ok("AKID2"), 2),
        ("300", "60", Ok("AKID2"), 2),
        ("-100", "3600", Ok("AKID2"), 2),
        ("720", "fail", Ok("AKID1"), 2),
        (
            "300",
            "fail",
            Err("Error when retrieving credentials from custom-process: failing\n"),
            2,
        ),
        ("-100", "-100", Err(process::STILL_EXPIRED), 2),
        // A second answer without Expiration fails even in the advisory window.
        (
            "300",
            "noexp",
            Err("Parser must be a string or character stream, not NoneType"),
            2,
        ),
        (
            "720",
            "noexp",
            Err("Parser must be a string or character stream, not NoneType"),
            2,
        ),
    ];
    for (i, (first, second, want, runs)) in rows.iter().enumerate() {
        let (cmd, counter) = counted(&d, &format!("c{i}.sh"), first, second);
        let spec = ProcessSpec {
            command: &cmd,
            cwd: &d.0,
            env: &env,
            limits: limits(20_000),
        };
        let got = process::fetch_like_cli(&spec, &SystemTime::now);
        match (got, want) {
            (Ok(c), Ok(key)) => assert_eq!(c.access_key_id, *key, "row {i}"),
            (Err(e), Err(msg)) => assert_eq!(e.cli_message().unwrap(), *msg, "row {i}"),
            (got, want) => panic!(
                "row {i}: got {:?}, want {want:?}",
                got.map(|c| c.access_key_id.clone())
            ),
        }
        let n: u32 = std::fs::read_to_string(counter)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert_eq!(n, *runs, "row {i} runs");
    }
}

#[test]
fn bad_outputs_from_real_programs() {
    let d = Dir::new();
    let env = std_env();
    let cases: &[(&str, &str)] = &[
        (
            "echo 'not json'",
            "Expecting value: line 1 column 1 (char 0)",
        ),
        (":", "Expecting value: line 1 column 1 (char 0)"),
        ("echo '[1]'", "'list' object has no attribute 'get'"),
        (
            r#"echo '{"Version":2,"AccessKeyId":"A","SecretAccessKey":"s"}'"#,
            "Error when retrieving credentials from custom-process: Unsupported version '2' for credential process provider, supported versions: 1",
        ),
        (
            r#"echo '{"Version":1,"accessKeyId":"A","secretAccessKey":"s"}'"#,
            "Error when retrieving credentials from custom-process: Missing required key in response: 'AccessKeyId'",
        ),
        (
            r#"echo '{"Version":1,"AccessKeyId":"A","SecretAccessKey":"s","Expiration":"2020-01-01T00:00:00Z"}'"#,
            process::STILL_EXPIRED,
        ),
    ];
    for (i, (body, want)) in cases.iter().enumerate() {
        d.script(&format!("b{i}.sh"), body);
        let cmd = format!("./b{i}.sh");
        let spec = ProcessSpec {
            command: &cmd,
            cwd: &d.0,
            env: &env,
            limits: limits(20_000),
        };
        let err = process::fetch_like_cli(&spec, &SystemTime::now)
            .err()
            .unwrap_or_else(|| panic!("case {i} succeeded"));
        assert_eq!(err.cli_message().as_deref(), Some(*want), "case {i}");
    }
    // The kind is kept for callers that word it themselves.
    d.script("lower.sh", r#"echo '{"Version":1,"accesskeyid":"A"}'"#);
    let spec = ProcessSpec {
        command: "./lower.sh",
        cwd: &d.0,
        env: &env,
        limits: limits(20_000),
    };
    assert!(matches!(
        process::fetch_once(&spec),
        Err(ProcessError::Output(OutputError::MissingKey("AccessKeyId")))
    ));
}

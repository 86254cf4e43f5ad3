//! Faults, load and hostile neighbours: a storm of new fingerprints, a refresh that fails, an
//! idle daemon, another user, a thousand concurrent clients, idle and slow connections.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use awsid_proto::envvars::is_fingerprint_var;
use awsid_proto::msg::{Reply, Request, Response, WhoamiRequest};
use awsid_proto::{codec, frame, runtime};
use awsid_tests::fake_sts::FakeSts;
use awsid_tests::harness::{Sandbox, Vars};

const SECRET: &str = "secretsecretsecretsecretsecretsecretsecr";

fn vars(sb: &Sandbox, sts: &FakeSts, key: &str) -> Vars {
    sb.vars()
        .set("AWS_ENDPOINT_URL", sts.url())
        .keys(key, SECRET)
}

fn open_fds(pid: i32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count()
}

/// Waits (up to 5 s) for the daemon's descriptors to return to `before`.
fn assert_fds_back(pid: i32, before: usize) {
    let mut now = open_fds(pid);
    for _ in 0..100 {
        if now <= before {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
        now = open_fds(pid);
    }
    assert!(now <= before, "fds {before} -> {now}");
}

fn rss_kib(pid: i32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap()
}

#[test]
fn a_storm_of_new_fingerprints_is_resolved_at_most_four_at_a_time() {
    let sts = FakeSts::start();
    let sb = Sandbox::new();
    sb.awsid(&["daemon", "start"], &sb.vars()).ok();
    std::thread::scope(|s| {
        let hs: Vec<_> = (0..16)
            .map(|i| {
                let v = vars(&sb, &sts, &format!("AKIASLOWSTORM{i:07}"));
                let sb = &sb;
                s.spawn(move || sb.awsid(&["whoami", "--output", "text"], &v))
            })
            .collect();
        for h in hs {
            h.join().unwrap().ok();
        }
    });
    assert_eq!(sts.total_calls(), 16);
    assert!(sts.max_in_flight() <= 4, "{} at once", sts.max_in_flight());
    assert!(
        sts.max_in_flight() >= 2,
        "the storm was not concurrent at all"
    );
}

#[test]
fn a_refresh_that_fails_keeps_the_identity_visible_marked_stale() {
    let sts = FakeSts::start();
    let sb = Sandbox::new();
    sb.write_config("[daemon]\nrefresh_secs = 1\n[prompt]\nstyle = \"\"\nbudget_ms = 5000\n");
    let v = vars(&sb, &sts, "AKIAFLAKY00000000001");
    let prompt = || sb.awsid(&["prompt", "--budget-ms", "5000"], &v).stdout;
    assert_eq!(prompt(), "111122223333:akiaflaky00000000001");
    std::thread::sleep(Duration::from_millis(1200));
    // Past its refresh time; the refresh is reset by the network: the same identity, stale.
    assert_eq!(prompt(), "?111122223333:akiaflaky00000000001");
    // (Whether the prompt waited for the failed refresh or answered first, the refresh went out.)
    for _ in 0..100 {
        if sts.calls("AKIAFLAKY00000000001") >= 2 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(sts.calls("AKIAFLAKY00000000001") >= 2);
    // whoami does not show stale answers: it says what the CLI would.
    let out = sb.awsid(&["whoami"], &v);
    assert_eq!(out.code, 255, "{out:?}");
}

#[test]
fn an_idle_daemon_exits_and_removes_its_socket() {
    let sts = FakeSts::start();
    let sb = Sandbox::new();
    let v = vars(&sb, &sts, "AKIAGOOD000000000020").set("AWSID_IDLE_TIMEOUT", "1");
    sb.awsid(&["whoami"], &v).ok();
    let sock = sb.runtime.join(runtime::SOCKET_NAME);
    assert!(sock.exists());
    for _ in 0..100 {
        if !sock.exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!sock.exists(), "the idle daemon is still there");
    assert!(sb.log().contains("idle timeout"));
}

fn whoami_frame(v: &Vars) -> Vec<u8> {
    let env =
        v.0.iter()
            .filter(|(k, _)| is_fingerprint_var(k.as_bytes()))
            .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect();
    let req = Request::Whoami(WhoamiRequest {
        env,
        full_env: false,
        cwd: None,
        profile: None,
        output: Some("text".into()),
        query: Some("Account".into()),
        term_width: None,
        timeout_ms: 10_000,
    });
    let payload = codec::encode(&req);
    let mut buf = frame::encode_header(payload.len()).to_vec();
    buf.extend_from_slice(&payload);
    buf
}

#[test]
fn a_peer_of_another_uid_is_refused() {
    if runtime::euid() != 0 || !std::path::Path::new("/usr/bin/setpriv").exists() {
        eprintln!("skipping: needs root and setpriv");
        return;
    }
    let sts = FakeSts::start();
    let sb = Sandbox::new();
    let v = vars(&sb, &sts, "AKIAGOOD000000000021");
    sb.awsid(&["whoami"], &v).ok();
    let sock = sb.runtime.join(runtime::SOCKET_NAME);
    let hex: String = whoami_frame(&v)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    // uid 65534 with CAP_DAC_OVERRIDE gets through the 0700 directory, so it is the daemon's
    // own peer check that must refuse it.
    // It connects (or the test would prove nothing), then gets no answer: the daemon hangs up
    // (a broken pipe on send, a reset or end of stream on receive).
    let script = "import socket,sys\n\
        s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(5)\n\
        try:\n  s.sendall(bytes.fromhex(sys.argv[2])); d=s.recv(1<<16)\n\
        except (BrokenPipeError, ConnectionResetError): d=b''\n\
        print('connected', len(d))";
    let out = std::process::Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=+dac_override",
            "--ambient-caps=+dac_override",
            "python3",
            "-c",
            script,
        ])
        .arg(&sock)
        .arg(&hex)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "connected 0",
        "another user got an answer"
    );
    assert!(sb.log().contains("refusing a peer of another user"));
    // We, the owner, are still answered.
    let mut s = UnixStream::connect(&sock).unwrap();
    s.write_all(&whoami_frame(&v)).unwrap();
    let resp: Response = codec::decode(&frame::read_frame(&mut s).unwrap()).unwrap();
    assert!(matches!(resp.body, Reply::Whoami(w) if w.printed.stdout == "111122223333\n"));
}

#[test]
fn a_thousand_concurrent_clients_all_answered_and_resources_return() {
    let clients: usize = std::env::var("AWSID_LOAD_CLIENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let sts = FakeSts::start();
    let sb = Sandbox::new();
    let v = vars(&sb, &sts, "AKIAGOOD000000000022");
    sb.awsid(&["whoami"], &v).ok();
    let pid = sb.pid();
    let sock = sb.runtime.join(runtime::SOCKET_NAME);
    let fds_before = open_fds(pid);
    let rss_before = rss_kib(pid);
    let req = whoami_frame(&v);
    let barrier = std::sync::Barrier::new(clients);
    let errors: usize = std::thread::scope(|s| {
        let hs: Vec<_> = (0..clients)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    let run = || -> std::io::Result<bool> {
                        let mut c = UnixStream::connect(&sock)?;
                        c.set_read_timeout(Some(Duration::from_secs(30)))?;
                        c.write_all(&req)?;
                        let resp: Response = codec::decode(&frame::read_frame(&mut c)?)
                            .map_err(|e| std::io::Error::other(e.to_string()))?;
                        Ok(matches!(resp.body, Reply::Whoami(w) if w.printed.stdout == "111122223333\n"))
                    };
                    usize::from(!matches!(run(), Ok(true)))
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(errors, 0, "{errors} of {clients} clients failed");
    // Every connection closed: descriptors back to where they were.
    assert_fds_back(pid, fds_before);
    let rss_after = rss_kib(pid);
    assert!(
        rss_after < rss_before + 64 * 1024,
        "RSS grew from {rss_before} KiB to {rss_after} KiB"
    );
    assert_eq!(sts.total_calls(), 1);
}

#[test]
fn idle_and_slow_connections_do_not_hold_up_a_healthy_client() {
    let sts = FakeSts::start();
    let sb = Sandbox::new();
    let v = vars(&sb, &sts, "AKIAGOOD000000000023");
    sb.awsid(&["whoami"], &v).ok();
    let pid = sb.pid();
    let fds_before = open_fds(pid);
    let sock = sb.runtime.join(runtime::SOCKET_NAME);
    // Three hundred connections that never say anything...
    let idle: Vec<UnixStream> = (0..300)
        .map(|_| UnixStream::connect(&sock).unwrap())
        .collect();
    // ...and ten that dribble a header one byte at a time.
    let header = frame::encode_header(4);
    std::thread::scope(|s| {
        for _ in 0..10 {
            let sock = &sock;
            s.spawn(move || {
                let Ok(mut c) = UnixStream::connect(sock) else {
                    return;
                };
                for b in header {
                    if c.write_all(&[b]).is_err() {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(300));
                }
            });
        }
        // Meanwhile a shell asks and is answered.
        std::thread::sleep(Duration::from_millis(200));
        let out = sb.awsid(&["whoami", "--query", "Account", "--output", "text"], &v);
        assert_eq!(out.ok(), "111122223333\n");
    });
    // The daemon closes connections that send nothing within their first-frame time.
    let mut buf = [0u8; 1];
    let mut closed = 0;
    for mut c in idle {
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        if matches!(c.read(&mut buf), Ok(0) | Err(_)) {
            closed += 1;
        }
    }
    assert_eq!(closed, 300);
    assert_fds_back(pid, fds_before);
}

/// Polls `cond` every 100 ms for up to `secs`.
fn wait_until(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let end = std::time::Instant::now() + Duration::from_secs(secs);
    while std::time::Instant::now() < end {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    cond()
}

/// Processes whose command line contains `marker`.
fn processes_with(marker: &str) -> Vec<i32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        if String::from_utf8_lossy(&cmdline).contains(marker) {
            out.push(pid);
        }
    }
    out
}

/// A resolver that never answers: a shell script that starts `sleep <marker>` and waits.
fn hanging_resolver(sb: &Sandbox, marker: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let script = sb.root.join("hanging-resolver");
    std::fs::write(&script, format!("#!/bin/sh\nsleep {marker}\n")).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

/// Issue 12: 10,000 queued lookups once grew the daemon from 6 to 187 MiB, and each still ran
/// long after its client left. Now the queue is bounded (count and bytes), refuses beyond,
/// and drops queued lookups nobody waits for.
#[test]
fn the_lookup_queue_is_bounded_and_forgets_lookups_nobody_waits_for() {
    let sb = Sandbox::new();
    let marker = format!("3000.{}{}", std::process::id(), 7);
    sb.write_config("[daemon]\nresolve_timeout_secs = 300\n");
    let v = sb.vars().set(
        "AWSID_RESOLVER",
        hanging_resolver(&sb, &marker).display().to_string(),
    );
    sb.awsid(&["daemon", "start"], &v).ok();
    let pid = sb.pid();
    let sock = sb.runtime.join(runtime::SOCKET_NAME);
    let rss_before = rss_kib(pid);
    let padding = "x".repeat(16 * 1024);
    let lookups = 3000;
    for i in 0..lookups {
        let mut env: Vec<(Vec<u8>, Vec<u8>)> =
            v.0.iter()
                .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
                .collect();
        env.push((
            b"AWS_ACCESS_KEY_ID".to_vec(),
            format!("AKIAQUEUE{i:011}").into_bytes(),
        ));
        env.push((b"AWS_SECRET_ACCESS_KEY".to_vec(), SECRET.into()));
        env.push((b"PADDING".to_vec(), padding.clone().into_bytes()));
        let req = Request::Whoami(WhoamiRequest {
            env,
            full_env: true,
            cwd: None,
            profile: None,
            output: None,
            query: None,
            term_width: None,
            timeout_ms: 1,
        });
        let mut c = UnixStream::connect(&sock).unwrap();
        frame::write_frame(&mut c, &codec::encode(&req)).unwrap();
        let resp: Response = codec::decode(&frame::read_frame(&mut c).unwrap()).unwrap();
        // Every client is answered at once (a timeout, or "too many lookups waiting").
        let Reply::Whoami(w) = resp.body else {
            panic!("{:?}", resp.body)
        };
        assert_eq!(w.printed.exit_code, 255, "{w:?}");
    }
    let in_flight = sb.counter("in flight");
    let rss_after = rss_kib(pid);
    eprintln!(
        "{lookups} lookups of 16 KiB each while all hang: {in_flight} in flight, RSS {rss_before} -> {rss_after} KiB"
    );
    // 4 active + 28 lingering + at most 256 queued.
    assert!(in_flight <= 4 + 28 + 256, "{in_flight} lookups in flight");
    assert!(
        rss_after < rss_before + 48 * 1024,
        "RSS grew from {rss_before} KiB to {rss_after} KiB"
    );
    // Nobody waits for the queued ones: they are dropped; the running ones stay.
    assert!(
        wait_until(40, || sb.counter("in flight") <= 4 + 28),
        "queued lookups nobody waits for were kept: {} in flight",
        sb.counter("in flight")
    );
    let running = processes_with(&marker).len();
    assert!(running <= 4 + 28, "{running} resolver children");
    // Stopping the daemon stops every child it started.
    sb.awsid(&["daemon", "stop"], &v).ok();
    assert!(
        wait_until(10, || processes_with(&marker).is_empty()),
        "left behind: {:?}",
        processes_with(&marker)
    );
}

/// Issue 12: `refresh_secs` near `i64::MAX` made `now + ttl` overflow and panic the resolver
/// task, which left its fingerprint "in flight" for ever. Every duration is clamped now, and a
/// guard ends a lookup whatever happens to its task.
#[test]
fn absurd_durations_in_the_config_cannot_wedge_a_lookup() {
    let sts = FakeSts::start();
    let sb = Sandbox::new();
    sb.write_config(
        "[daemon]\nrefresh_secs = 9223372036854775807\nidle_timeout_secs = 18446744073709551615\n\
         [prompt]\nbudget_ms = 4294967295\nexpires_within_minutes = 4294967295\n",
    );
    let v = vars(&sb, &sts, "AKIAGOOD000000000031");
    let out = sb.awsid(&["whoami", "--output", "text", "--timeout", "10"], &v);
    assert!(out.ok().contains("akiagood000000000031"), "{out:?}");
    assert_eq!(sb.counter("in flight"), 0);
    // Cached, and the daemon still serves other shells.
    let again = sb.awsid(&["whoami", "--output", "text"], &v);
    assert_eq!(again.ok(), out.stdout);
    let other = vars(&sb, &sts, "AKIAGOOD000000000032");
    sb.awsid(&["whoami"], &other).ok();
    assert_eq!(sts.calls("AKIAGOOD000000000031"), 1);
    assert!(!sb.log().contains("panicked"), "{}", sb.log());
}

/// Issue 12: a shell whose `AWS_CONFIG_FILE` named a FIFO blocked the daemon's only thread in
/// `open()`: nobody else was served and `awsid daemon stop` failed; `/dev/zero` read until
/// memory ran out. Now such a file is no file at all, as to the CLI (`os.path.isfile`): never
/// opened, and the shell gets the answer the CLI gives it (here: its keys in the environment).
#[test]
fn a_fifo_or_a_device_named_as_an_aws_file_blocks_nobody() {
    let sts = FakeSts::start();
    let sb = Sandbox::new();
    let good = vars(&sb, &sts, "AKIAGOOD000000000051");
    // A settled answer first: this shell's prompt must keep being served from the cache.
    sb.awsid(&["whoami"], &good).ok();
    let cached = sb.awsid(
        &["prompt", "--shell", "plain", "--budget-ms", "5000"],
        &good,
    );
    assert!(cached.ok().contains("111122223333"), "{cached:?}");
    let fifo = sb.root.join("config.fifo");
    let c = std::ffi::CString::new(fifo.display().to_string()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let fifo_shell =
        vars(&sb, &sts, "AKIAGOOD000000000052").set("AWS_CONFIG_FILE", fifo.display().to_string());
    let zero_shell =
        vars(&sb, &sts, "AKIAGOOD000000000053").set("AWS_SHARED_CREDENTIALS_FILE", "/dev/zero");
    std::thread::scope(|s| {
        let f = s.spawn(|| sb.awsid(&["whoami", "--timeout", "10"], &fifo_shell));
        let z = s.spawn(|| sb.awsid(&["whoami", "--timeout", "10"], &zero_shell));
        let fp = s.spawn(|| {
            sb.awsid(
                &["prompt", "--shell", "plain", "--budget-ms", "5000"],
                &fifo_shell,
            )
        });
        std::thread::sleep(Duration::from_millis(300));
        // Meanwhile the cached shell is served.
        let again = sb.awsid(
            &["prompt", "--shell", "plain", "--budget-ms", "5000"],
            &good,
        );
        assert_eq!(again.ok(), cached.stdout);
        let out = f.join().unwrap();
        assert_eq!(out.code, 0, "{out:?}");
        assert!(out.stdout.contains("akiagood000000000052"), "{out:?}");
        let out = z.join().unwrap();
        assert_eq!(out.code, 0, "{out:?}");
        assert!(out.stdout.contains("akiagood000000000053"), "{out:?}");
        let p = fp.join().unwrap();
        assert!(p.ok().contains("akiagood000000000052"), "{p:?}");
    });
    // And the daemon stops when asked.
    sb.awsid(&["daemon", "stop"], &sb.vars()).ok();
}

/// Issue 12: with neither HOME nor XDG_STATE_HOME set the daemon opened its log in the runtime
/// directory *before* checking it, following symlinks: someone else's symlink made it append
/// to the victim's files. Now the directory is checked first and the file opened O_NOFOLLOW.
#[test]
fn the_log_is_never_written_through_a_symlink() {
    use std::os::unix::fs::PermissionsExt;
    let sb = Sandbox::new();
    let victim = sb.root.join("victim-profile");
    std::fs::write(&victim, "# victim\n").unwrap();
    // A runtime directory that is a symlink to a private directory holding a symlinked log.
    let real = sb.root.join("real-run");
    std::fs::create_dir(&real).unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::os::unix::fs::symlink(&victim, real.join("awsidd.log")).unwrap();
    let linked = sb.root.join("linked-run");
    std::os::unix::fs::symlink(&real, &linked).unwrap();
    let mut cmd = std::process::Command::new(awsid_tests::harness::awsidd_bin());
    cmd.env_clear()
        .env("AWSID_RUNTIME_DIR", &linked)
        .env("AWSID_LOG", "debug")
        .arg("serve");
    let out = awsid_tests::harness::run(cmd);
    assert_ne!(out.code, 0, "{out:?}");
    assert!(out.stderr.contains("symlink"), "{out:?}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "# victim\n");
    // A proper runtime directory whose log file is a symlink: the daemon runs, logging to
    // stderr, and never writes the victim.
    std::fs::create_dir_all(&sb.runtime).unwrap();
    std::fs::set_permissions(&sb.runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::os::unix::fs::symlink(&victim, sb.runtime.join("awsidd.log")).unwrap();
    let v = sb.vars().unset("HOME").unset("XDG_STATE_HOME");
    sb.awsid(&["daemon", "start"], &v).ok();
    sb.awsid(&["daemon", "status"], &v).ok();
    sb.awsid(&["daemon", "stop"], &v).ok();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "# victim\n");
}

/// Issue 12: a daemon whose runtime directory was removed (systemd-logind removes
/// /run/user/$UID at the last logout) ran for ever, unreachable. Now it exits; and stamp
/// files of shells that are gone are removed.
#[test]
fn a_daemon_whose_socket_is_gone_exits_and_stamps_of_dead_shells_are_swept() {
    let sb = Sandbox::new();
    let stamps = sb.runtime.join("stamps");
    std::fs::create_dir_all(&stamps).unwrap();
    let dead = {
        let mut c = std::process::Command::new("true").spawn().unwrap();
        c.wait().unwrap();
        c.id()
    };
    std::fs::write(stamps.join(dead.to_string()), "").unwrap();
    std::fs::write(stamps.join(std::process::id().to_string()), "").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&sb.runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    sb.awsid(&["daemon", "start"], &sb.vars()).ok();
    let pid = sb.pid();
    assert!(
        wait_until(10, || !stamps.join(dead.to_string()).exists()),
        "the stamp of a shell that is gone stayed"
    );
    assert!(stamps.join(std::process::id().to_string()).exists());
    std::fs::remove_dir_all(&sb.runtime).unwrap();
    let alive = || {
        std::path::Path::new(&format!("/proc/{pid}")).exists() && {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            !stat.contains(") Z ")
        }
    };
    assert!(
        wait_until(30, || !alive()),
        "the daemon runs on without its socket"
    );
}

/// Issue 12: a timed-out resolution killed the resolver child only; the credential_process it
/// started (and that program's children) lived on. Now the whole process group is killed at
/// the deadline.
#[test]
fn a_hung_credential_process_and_its_children_die_at_the_deadline() {
    use std::os::unix::fs::PermissionsExt;
    let sb = Sandbox::new();
    let marker = format!("3000.{}{}", std::process::id(), 3);
    let script = sb.root.join("hung-credential-process");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nsleep {marker} &\nsleep {marker}\n"),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    sb.write(
        ".aws/config",
        &format!(
            "[profile hung]\ncredential_process = {}\n",
            script.display()
        ),
    );
    sb.write_config("[daemon]\nresolve_timeout_secs = 3\n");
    let v = sb.vars().set("AWS_PROFILE", "hung");
    let out = sb.awsid(&["whoami", "--timeout", "20"], &v);
    // The resolver ends the program (its own process group) 1 s before the lookup's deadline.
    assert_eq!(out.code, 253, "{out:?}");
    assert!(
        out.stderr
            .contains("credential_process ran longer than 2s and was killed"),
        "{out:?}"
    );
    let left = || processes_with(&marker);
    let gone = wait_until(10, || left().is_empty());
    let leftovers = left();
    for pid in &leftovers {
        // SAFETY: plain kill of a process this test started (through the daemon).
        unsafe {
            libc::kill(*pid, libc::SIGKILL);
        }
    }
    assert!(gone, "left behind: {leftovers:?}");
}

/// Runs `awsid` with `vars` and a stack limit that lets a process receive `env_bytes` of
/// environment (the kernel allows a quarter of the stack limit for it).
fn awsid_with_big_env(args: &[&str], vars: &Vars) -> awsid_tests::harness::Out {
    use std::os::unix::process::CommandExt;
    let mut cmd = std::process::Command::new(awsid_tests::harness::awsid_bin());
    vars.apply(&mut cmd);
    cmd.args(args);
    // SAFETY: only getrlimit/setrlimit, async-signal-safe, between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let mut r = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            if libc::getrlimit(libc::RLIMIT_STACK, &mut r) == 0 {
                r.rlim_cur = (64 << 20).min(r.rlim_max);
                libc::setrlimit(libc::RLIMIT_STACK, &r);
            }
            Ok(())
        });
    }
    awsid_tests::harness::run(cmd)
}

/// Issue 12: a shell with more than 256 KiB of environment (`nix develop`, a CI runner) got an
/// empty prompt and a failing whoami ("frame exceeds the 262144 byte limit"). 4 MiB works now,
/// through the daemon and into the resolver child.
#[test]
fn a_shell_with_four_mib_of_environment_is_answered() {
    let sts = FakeSts::start();
    let sb = Sandbox::new();
    sb.write_config("[prompt]\nstyle = \"\"\nbudget_ms = 8000\n");
    sb.awsid(&["daemon", "start"], &sb.vars()).ok();
    let mut v = vars(&sb, &sts, "AKIAGOOD000000000061");
    let chunk = "n".repeat(64 * 1024);
    for i in 0..64 {
        v = v.set(&format!("NIX_BIG_{i:02}"), chunk.clone());
    }
    let out = awsid_with_big_env(&["whoami", "--output", "text"], &v);
    assert!(out.ok().contains("akiagood000000000061"), "{out:?}");
    let v = v.set("AWS_ACCESS_KEY_ID", "AKIAGOOD000000000062");
    let p = awsid_with_big_env(&["prompt", "--shell", "plain", "--budget-ms", "8000"], &v);
    assert_eq!(p.ok(), "111122223333:akiagood000000000062", "{p:?}");
}

/// Issue 12: TZ was not in the fingerprint although AWSUME_EXPIRATION is read in the shell's
/// time zone, so a shell whose credentials had expired showed another shell's countdown.
#[test]
fn shells_in_different_time_zones_get_their_own_expiry() {
    let sts = FakeSts::start();
    let sb = Sandbox::new();
    sb.write_config(
        "[prompt]\nstyle = \"\"\nbudget_ms = 8000\nformat = \"{state}{account}[ ({expires_in})]\"\n",
    );
    let in_30_min = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 30 * 60;
    let date = std::process::Command::new("date")
        .args(["-u", "-d", &format!("@{in_30_min}"), "+%Y-%m-%dT%H:%M:%S"])
        .output()
        .unwrap();
    let local = String::from_utf8(date.stdout).unwrap().trim().to_string();
    let base = vars(&sb, &sts, "AKIAGOOD000000000071").set("AWSUME_EXPIRATION", local);
    // In UTC the credentials expire in 30 minutes...
    let utc = base.clone().set("TZ", "UTC0");
    let p = sb.awsid(&["prompt", "--shell", "plain", "--budget-ms", "8000"], &utc);
    assert!(p.ok().starts_with("111122223333 ("), "{p:?}");
    // ...two hours east of UTC the same local time passed 90 minutes ago.
    let east = base.set("TZ", "UTC-2");
    let p = sb.awsid(
        &["prompt", "--shell", "plain", "--budget-ms", "8000"],
        &east,
    );
    assert!(p.ok().starts_with("!expired"), "{p:?}");
}

/// Issue 12: container credentials were cached 15 minutes (refresh_secs), not the documented
/// 5 of a source awsid cannot watch.
#[test]
fn container_credentials_are_rechecked_within_five_minutes() {
    let sts = FakeSts::start();
    let sb = Sandbox::new();
    sb.write_config("[prompt]\nstyle = \"\"\nbudget_ms = 8000\n");
    let v = sb.vars().set("AWS_ENDPOINT_URL", sts.url()).set(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        sts.container_url("AKIACONTAINER0000001"),
    );
    let out = sb.awsid(&["whoami", "--output", "text"], &v);
    assert!(out.ok().contains("akiacontainer0000001"), "{out:?}");
    // The hook's line says how long the answer stays valid.
    let p = sb.awsid(
        &[
            "prompt",
            "--shell",
            "plain",
            "--budget-ms",
            "8000",
            "--hook",
            "1",
        ],
        &v,
    );
    let line = p.ok().lines().next().unwrap().to_string();
    let fields: Vec<&str> = line.split('\t').collect();
    assert_eq!(fields[0], "1", "{p:?}");
    let valid: u64 = fields[1].parse().unwrap();
    assert!(valid <= 300, "valid for {valid} s: {p:?}");
}

/// Issue 12: a shell in another mount namespace (`unshare -m`, bubblewrap, a container sharing
/// the runtime directory) was answered from the daemon's files, not its own. It now gets a
/// marked state. (Skipped where this test cannot create a mount namespace.)
#[test]
fn a_shell_in_another_mount_namespace_is_never_answered_from_the_daemons_files() {
    let can = std::process::Command::new("unshare")
        .args(["-m", "true"])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !can {
        eprintln!("skipped: `unshare -m` is not permitted here");
        return;
    }
    let sts = FakeSts::start();
    let sb = Sandbox::new();
    sb.write_config("[prompt]\nstyle = \"\"\n");
    let v = vars(&sb, &sts, "AKIAGOOD000000000081");
    // Settled in the daemon's namespace.
    sb.awsid(&["whoami"], &v).ok();
    let settled = sb.awsid(&["prompt", "--shell", "plain", "--budget-ms", "5000"], &v);
    assert!(settled.ok().contains("111122223333"), "{settled:?}");
    let unshared = |args: &[&str]| {
        let mut cmd = std::process::Command::new("unshare");
        v.apply(&mut cmd);
        cmd.args(["-m", "--"])
            .arg(awsid_tests::harness::awsid_bin())
            .args(args);
        awsid_tests::harness::run(cmd)
    };
    let w = unshared(&["whoami"]);
    assert_eq!(w.code, 255, "{w:?}");
    assert!(w.stderr.contains("another mount namespace"), "{w:?}");
    let p = unshared(&["prompt", "--shell", "plain", "--budget-ms", "5000"]);
    assert!(p.ok().starts_with("!error"), "{p:?}");
    // The daemon's own namespace is still answered.
    assert_eq!(
        sb.awsid(&["prompt", "--shell", "plain", "--budget-ms", "5000"], &v)
            .ok(),
        settled.stdout
    );
}

/// The daemon's own config file as a FIFO: reported as a broken config, never waited on.
#[test]
fn a_fifo_as_the_daemons_config_file_is_reported_not_waited_on() {
    let sts = FakeSts::start();
    let sb = Sandbox::new();
    let config = sb.write_config("");
    std::fs::remove_file(&config).unwrap();
    let c = std::ffi::CString::new(config.display().to_string()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let out = sb.awsid(
        &["whoami", "--output", "text", "--timeout", "10"],
        &vars(&sb, &sts, "AKIAGOOD000000000091"),
    );
    assert!(out.ok().contains("akiagood000000000091"), "{out:?}");
    let status = sb.awsid(&["daemon", "status"], &sb.vars());
    assert!(status.ok().contains("not a regular file"), "{status:?}");
}

/// A whoami whose lookup never got its turn says so, instead of "no answer from STS" (which
/// would blame an endpoint it never reached).
#[test]
fn a_lookup_still_waiting_for_its_turn_says_so() {
    let sb = Sandbox::new();
    let marker = format!("3000.{}{}", std::process::id(), 5);
    sb.write_config("[daemon]\nresolve_timeout_secs = 300\n");
    let v = sb.vars().set(
        "AWSID_RESOLVER",
        hanging_resolver(&sb, &marker).display().to_string(),
    );
    sb.awsid(&["daemon", "start"], &v).ok();
    let sock = sb.runtime.join(runtime::SOCKET_NAME);
    // Every active slot and lingering place taken by lookups that hang (clients gone).
    for i in 0..(4 + 28 + 4) {
        let mut env: Vec<(Vec<u8>, Vec<u8>)> =
            v.0.iter()
                .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
                .collect();
        env.push((
            b"AWS_ACCESS_KEY_ID".to_vec(),
            format!("AKIATURN{i:012}").into_bytes(),
        ));
        env.push((b"AWS_SECRET_ACCESS_KEY".to_vec(), SECRET.into()));
        let req = Request::Whoami(WhoamiRequest {
            env,
            full_env: true,
            cwd: None,
            profile: None,
            output: None,
            query: None,
            term_width: None,
            timeout_ms: 1,
        });
        let mut c = UnixStream::connect(&sock).unwrap();
        frame::write_frame(&mut c, &codec::encode(&req)).unwrap();
        frame::read_frame(&mut c).unwrap();
    }
    assert!(
        wait_until(20, || processes_with(&marker).len() >= 4 + 28),
        "only {} lookups running",
        processes_with(&marker).len()
    );
    let out = sb.awsid(
        &["whoami", "--timeout", "2"],
        &v.clone().keys("AKIATURNLAST00000001", SECRET),
    );
    assert_eq!(out.code, 255, "{out:?}");
    assert!(out.stderr.contains("did not start within 2.0 s"), "{out:?}");
    sb.awsid(&["daemon", "stop"], &v).ok();
    assert!(wait_until(10, || processes_with(&marker).is_empty()));
}

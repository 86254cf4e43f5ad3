//! A lifecycle with no leftovers: `awsid daemon start|stop|restart` say what they did; a
//! daemon whose executable is removed (uninstalled) or replaced (upgraded) leaves by itself,
//! the removed one with its runtime directory; a client whose daemon binary is another build
//! says what to do instead of asking for a restart that cannot help.

use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};

use awsid_proto::msg::{Reply, Request, Response};
use awsid_proto::{codec, frame, runtime, VERSION};
use awsid_tests::fake_sts::FakeSts;
use awsid_tests::harness::{alive, awsidd_bin, wait_until, Sandbox, Vars};

/// A copy of awsidd of its own (so that the test may remove or replace it), and the vars
/// that make the client start it.
fn own_daemon(sb: &Sandbox, sts: &FakeSts) -> (PathBuf, Vars) {
    let dir = sb.root.join("bin");
    std::fs::create_dir_all(&dir).unwrap();
    let exe = dir.join("awsidd");
    std::fs::copy(awsidd_bin(), &exe).unwrap();
    let v = sb
        .vars()
        .set("AWSID_DAEMON", exe.display().to_string())
        .set("AWS_ENDPOINT_URL", sts.url())
        .keys(
            "AKIAGOOD000000000090",
            "s3cr3tLIFECYCLEs3cr3tLIFECYCLE00000090",
        );
    (exe, v)
}

fn replace(exe: &Path) {
    let new = exe.with_extension("new");
    std::fs::copy(awsidd_bin(), &new).unwrap();
    std::fs::rename(&new, exe).unwrap();
}

#[test]
fn start_stop_and_restart_say_what_they_did() {
    let sts = FakeSts::start();
    let sb = Sandbox::new();
    let (exe, v) = own_daemon(&sb, &sts);
    let out = sb.awsid(&["daemon", "stop"], &v);
    assert_eq!(out.ok(), "awsidd was not running\n");

    let out = sb.awsid(&["daemon", "start"], &v);
    let pid = sb.pid();
    assert_eq!(
        out.ok(),
        format!("awsidd {VERSION} started (pid {pid}, {})\n", exe.display())
    );
    let out = sb.awsid(&["daemon", "start"], &v);
    assert_eq!(
        out.ok(),
        format!(
            "awsidd {VERSION} is already running (pid {pid}, {})\n",
            exe.display()
        )
    );

    let out = sb.awsid(&["daemon", "restart"], &v);
    let new = sb.pid();
    assert_ne!(new, pid);
    assert_eq!(
        out.ok(),
        format!(
            "awsidd {VERSION} stopped (pid {pid})\nawsidd {VERSION} started (pid {new}, {})\n",
            exe.display()
        )
    );
    let out = sb.awsid(&["daemon", "stop"], &v);
    assert_eq!(out.ok(), format!("awsidd {VERSION} stopped (pid {new})\n"));
    wait_until("the stopped daemon to exit", || !alive(new));
}

#[test]
fn a_daemon_whose_executable_is_removed_leaves_and_takes_its_runtime_dir() {
    let sts = FakeSts::start();
    let sb = Sandbox::new();
    let (exe, v) = own_daemon(&sb, &sts);
    sb.awsid(&["whoami"], &v).ok();
    let pid = sb.pid();
    // Shells leave stamps in the runtime directory; those go too.
    sb.awsid(&["prompt", "--shell", "bash", "--hook", "4242"], &v);
    std::fs::remove_file(&exe).unwrap();
    wait_until("the daemon to leave", || !alive(pid));
    assert!(
        !sb.runtime.exists(),
        "left behind: {:?}",
        std::fs::read_dir(&sb.runtime).map(|d| d.flatten().map(|e| e.path()).collect::<Vec<_>>())
    );
    assert!(sb.log().contains("removed or replaced"), "{}", sb.log());
}

#[test]
fn a_daemon_whose_executable_is_replaced_leaves_and_the_next_client_starts_the_new_one() {
    let sts = FakeSts::start();
    let sb = Sandbox::new();
    let (exe, v) = own_daemon(&sb, &sts);
    sb.awsid(&["whoami"], &v).ok();
    let pid = sb.pid();
    // As `cargo install` does: the new file renamed over the old one.
    replace(&exe);
    wait_until("the old daemon to leave", || !alive(pid));
    assert!(sb
        .awsid(&["whoami"], &v)
        .ok()
        .contains("akiagood000000000090"));
    let new = sb.pid();
    assert_ne!(new, pid);
    // The new one runs the new file, and stays.
    assert_eq!(std::fs::read_link(format!("/proc/{new}/exe")).unwrap(), exe);
}

/// The binary the client starts is itself another build: a restart cannot help, and the
/// message says what does (and names the file).
#[test]
fn a_daemon_binary_of_another_build_is_named_with_what_to_do() {
    let sb = Sandbox::new();
    runtime::ensure_dir(&sb.runtime).unwrap();
    let sock = sb.runtime.join(runtime::SOCKET_NAME);
    // The "awsidd" the client starts only leaves a mark; the thread below plays that daemon.
    let mark = sb.root.join("started");
    let fake = sb.root.join("old-awsidd");
    // It stays a while (a daemon that exits at once is reported as such), then leaves.
    let fake_pid = sb.root.join("fake.pid");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\necho $$ > '{}'\ntouch '{}'\nexec sleep 60\n",
            fake_pid.display(),
            mark.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let old = {
        let sock = sock.clone();
        let mark = mark.clone();
        std::thread::spawn(move || {
            // Two lives: the running one, then the one the client starts from the same file.
            for life in 0..2 {
                if life == 1 {
                    wait_until("the client to start the daemon again", || mark.exists());
                }
                let listener = UnixListener::bind(&sock).unwrap();
                for conn in listener.incoming() {
                    let mut conn = conn.unwrap();
                    let Ok(payload) = frame::read_frame(&mut conn) else {
                        continue;
                    };
                    let req: Request = codec::decode(&payload).unwrap();
                    let mut resp = Response::new(Reply::Done);
                    resp.version = "0.0.1".into();
                    frame::write_frame(&mut conn, &codec::encode(&resp)).unwrap();
                    if matches!(req, Request::Shutdown) || life == 1 {
                        std::fs::remove_file(&sock).unwrap();
                        break;
                    }
                }
            }
        })
    };
    let v = sb
        .vars()
        .set("AWSID_DAEMON", fake.display().to_string())
        .keys(
            "AKIAGOOD000000000091",
            "s3cr3tLIFECYCLEs3cr3tLIFECYCLE00000091",
        );
    let out = sb.awsid(&["whoami"], &v);
    old.join().unwrap();
    if let Some(pid) = std::fs::read_to_string(&fake_pid)
        .ok()
        .and_then(|p| p.trim().parse::<i32>().ok())
    {
        // SAFETY: plain kill(2) of the script started above.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
    }
    assert_eq!(out.code, 255, "{out:?}");
    assert!(out.stderr.contains(&fake.display().to_string()), "{out:?}");
    assert!(out.stderr.contains("is awsidd 0.0.1"), "{out:?}");
    assert!(
        out.stderr
            .contains("cargo install --locked --path crates/awsid"),
        "{out:?}"
    );
    assert!(!out.stderr.contains("daemon restart"), "{out:?}");
}

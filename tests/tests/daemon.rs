//! The daemon's life: started once by many shells, leftover sockets, other versions, hostile
//! frames, the runtime directory rules, a clean environment, SIGTERM, and no secret in its log.

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::time::Duration;

use awsid_proto::frame::{self, HEADER_LEN, MAX_FRAME};
use awsid_proto::msg::{Reply, Request, Response};
use awsid_proto::{codec, runtime, PROTOCOL_VERSION};
use awsid_tests::fake_sts::FakeSts;
use awsid_tests::harness::{awsidd_bin, run, Sandbox, Vars};

const SECRET: &str = "s3cr3tVALUEthatMUSTneverLEAKanywhere0001";

fn vars(sb: &Sandbox, sts: &FakeSts, key: &str) -> Vars {
    sb.vars()
        .set("AWS_ENDPOINT_URL", sts.url())
        .keys(key, SECRET)
}

#[test]
fn two_dozen_shells_starting_at_once_start_one_daemon() {
    let sts = FakeSts::start();
    let sb = Sandbox::new();
    let v = vars(&sb, &sts, "AKIAGOOD000000000010");
    std::thread::scope(|s| {
        let hs: Vec<_> = (0..24)
            .map(|_| s.spawn(|| sb.awsid(&["whoami"], &v)))
            .collect();
        for h in hs {
            h.join().unwrap().ok();
        }
    });
    let log = sb.log();
    assert_eq!(log.matches("awsidd listening").count(), 1, "{log}");
    assert!(!log.contains("already answers"), "{log}");
}

#[test]
fn daemon_environment_is_clean_and_secrets_stay_out_of_logs_and_disk() {
    let sts = FakeSts::start();
    let sb = Sandbox::new();
    let v = vars(&sb, &sts, "AKIAGOOD000000000011").set("AWS_SESSION_TOKEN", SECRET);
    sb.awsid(&["whoami"], &v).ok();
    sb.awsid(&["whoami"], &v).ok();
    let pid = sb.pid();
    let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap();
    let environ = String::from_utf8_lossy(&environ);
    assert!(
        !environ.contains("AWS_"),
        "daemon inherited AWS variables: {environ}"
    );
    assert!(!environ.contains(SECRET));
    // Debug-level log, runtime and state dirs: the secret appears nowhere.
    let log = sb.log();
    assert!(log.contains("DEBUG"), "the test runs at debug level: {log}");
    assert!(!log.contains(SECRET));
    for dir in [&sb.runtime, &sb.state] {
        for entry in walk(dir) {
            let bytes = std::fs::read(&entry).unwrap_or_default();
            assert!(
                !String::from_utf8_lossy(&bytes).contains(SECRET),
                "{} holds the secret",
                entry.display()
            );
        }
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if p.is_file() {
            out.push(p);
        }
    }
    out
}

#[test]
fn a_leftover_socket_is_replaced() {
    let sts = FakeSts::start();
    let sb = Sandbox::new();
    runtime::ensure_dir(&sb.runtime).unwrap();
    let sock = sb.runtime.join(runtime::SOCKET_NAME);
    // A socket file nobody listens on: bind, then drop the listener without unlinking.
    drop(UnixListener::bind(&sock).unwrap());
    assert!(sock.exists());
    let v = vars(&sb, &sts, "AKIAGOOD000000000012");
    sb.awsid(&["whoami"], &v).ok();
    assert!(sb.log().contains("removing a leftover socket"));
}

fn raw(sb: &Sandbox) -> UnixStream {
    let s = UnixStream::connect(sb.runtime.join(runtime::SOCKET_NAME)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

/// Reads one reply frame (any version) and then expects the daemon to close.
fn error_reply_then_close(mut s: UnixStream) -> String {
    let mut h = [0u8; HEADER_LEN];
    s.read_exact(&mut h).unwrap();
    let header = frame::parse_header(&h).unwrap();
    assert_eq!(header.version, PROTOCOL_VERSION);
    let mut payload = vec![0u8; header.len as usize];
    s.read_exact(&mut payload).unwrap();
    let resp: Response = codec::decode(&payload).unwrap();
    // Closed: end of stream, or a reset when our unread garbage was still queued.
    let mut rest = Vec::new();
    match s.read_to_end(&mut rest) {
        Ok(0) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        other => panic!("connection must be closed, got {other:?} {rest:?}"),
    }
    match resp.body {
        Reply::Error(e) => e,
        other => panic!("expected an error reply, got {other:?}"),
    }
}

#[test]
fn hostile_frames_close_one_connection_and_the_daemon_serves_on() {
    let sts = FakeSts::start();
    let sb = Sandbox::new();
    let v = vars(&sb, &sts, "AKIAGOOD000000000013");
    sb.awsid(&["daemon", "start"], &v).ok();

    // Garbage.
    let mut s = raw(&sb);
    s.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    assert!(error_reply_then_close(s).contains("bad magic"));

    // An oversized length: refused from the header alone.
    let mut s = raw(&sb);
    let mut h = frame::encode_header(0);
    h[6..].copy_from_slice(&(MAX_FRAME + 1).to_le_bytes());
    s.write_all(&h).unwrap();
    assert!(error_reply_then_close(s).contains("exceeds"));

    // Another protocol version: answered in ours, so that client knows to restart us.
    let mut s = raw(&sb);
    let mut h = frame::encode_header(1);
    h[4..6].copy_from_slice(&(PROTOCOL_VERSION + 7).to_le_bytes());
    // One write: the daemon may close as soon as it has read the header.
    s.write_all(&[&h[..], &[0]].concat()).unwrap();
    assert!(error_reply_then_close(s).contains("protocol version"));

    // A well-framed payload that is not a request.
    let mut s = raw(&sb);
    frame::write_frame(&mut s, &[0xff; 16]).unwrap();
    assert!(error_reply_then_close(s).contains("malformed"));

    // A half header, then silence, while a healthy client is served at once.
    let mut idle = raw(&sb);
    idle.write_all(&h[..3]).unwrap();
    let out = sb.awsid(&["whoami"], &v);
    assert!(out.ok().contains("akiagood000000000013"));
    assert!(sb.counter("errors") >= 4);

    // Several requests on one connection are fine.
    let mut s = raw(&sb);
    for _ in 0..3 {
        frame::write_frame(&mut s, &codec::encode(&Request::Status)).unwrap();
        let resp: Response = codec::decode(&frame::read_frame(&mut s).unwrap()).unwrap();
        assert!(matches!(resp.body, Reply::Status(_)));
        assert_eq!(resp.version, awsid_proto::VERSION);
    }
}

#[test]
fn a_daemon_of_another_version_is_replaced_and_the_call_retried() {
    let sts = FakeSts::start();
    let sb = Sandbox::new();
    runtime::ensure_dir(&sb.runtime).unwrap();
    let sock = sb.runtime.join(runtime::SOCKET_NAME);
    let listener = UnixListener::bind(&sock).unwrap();
    // A pretend old daemon: answers everything as version 0.0.1, exits on Shutdown.
    let old = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for conn in listener.incoming() {
            let mut conn = conn.unwrap();
            let Ok(payload) = frame::read_frame(&mut conn) else {
                continue;
            };
            let req: Request = codec::decode(&payload).unwrap();
            let shutdown = matches!(req, Request::Shutdown);
            seen.push(req);
            let mut resp = Response::new(Reply::Done);
            resp.version = "0.0.1".into();
            frame::write_frame(&mut conn, &codec::encode(&resp)).unwrap();
            if shutdown {
                std::fs::remove_file(&sock).unwrap();
                break;
            }
        }
        seen
    });
    let v = vars(&sb, &sts, "AKIAGOOD000000000014");
    let out = sb.awsid(&["whoami"], &v);
    assert!(out.ok().contains("akiagood000000000014"), "{out:?}");
    let seen = old.join().unwrap();
    assert!(matches!(seen.first(), Some(Request::Whoami(_))), "{seen:?}");
    assert!(matches!(seen.last(), Some(Request::Shutdown)), "{seen:?}");
    assert_eq!(sb.status()["version"], awsid_proto::VERSION);
}

/// A stand-in for a daemon of an earlier release that speaks another wire protocol (as the
/// release before protocol 2 did): a Python script named `awsidd` (so /proc/PID/comm says so),
/// answering every frame in protocol 1 and leaving on SIGTERM, as the real one does.
const OLD_PROTOCOL_DAEMON: &str = r#"
import os, signal, socket, struct, sys
path, pidfile = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX)
s.bind(path)
s.listen(8)
with open(pidfile, "w") as f:
    f.write(f"{os.getpid()}\n")
def bye(*_):
    os.unlink(path)
    sys.exit(0)
signal.signal(signal.SIGTERM, bye)
print("ready", flush=True)
while True:
    c, _ = s.accept()
    try:
        c.recv(65536)
        body = b"an older awsidd"
        c.sendall(b"AWID" + struct.pack("<HI", 1, len(body)) + body)
    finally:
        c.close()
"#;

#[test]
fn an_upgrade_across_protocols_replaces_the_old_daemon() {
    let python = run({
        let mut c = std::process::Command::new("python3");
        c.args(["-c", "import sys; print(sys.executable)"]);
        c
    });
    let sts = FakeSts::start();
    let sb = Sandbox::new();
    runtime::ensure_dir(&sb.runtime).unwrap();
    let script = sb.root.join("old/awsidd");
    std::fs::create_dir_all(script.parent().unwrap()).unwrap();
    // The interpreter itself in the #! line (not `env`), so the process stays named awsidd.
    std::fs::write(
        &script,
        format!("#!{}\n{OLD_PROTOCOL_DAEMON}", python.ok().trim()),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut old = std::process::Command::new(&script)
        .arg(sb.runtime.join(runtime::SOCKET_NAME))
        .arg(sb.runtime.join(runtime::PID_FILE_NAME))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut ready = [0u8; 6];
    old.stdout.take().unwrap().read_exact(&mut ready).unwrap();
    assert_eq!(&ready, b"ready\n");
    let comm = std::fs::read_to_string(format!("/proc/{}/comm", old.id())).unwrap();
    assert_eq!(comm.trim(), "awsidd");

    let v = vars(&sb, &sts, "AKIAGOOD000000000015");
    let out = sb.awsid(&["whoami"], &v);
    assert!(out.ok().contains("akiagood000000000015"), "{out:?}");
    let status = old.wait().unwrap();
    assert!(
        status.success(),
        "the old daemon was not asked to leave: {status:?}"
    );
    assert_eq!(sb.status()["version"], awsid_proto::VERSION);
    assert_ne!(sb.pid(), old.id() as i32);
}

#[test]
fn runtime_dir_that_is_open_a_symlink_or_foreign_is_refused() {
    let sb = Sandbox::new();
    let v = sb.vars();

    std::fs::create_dir_all(&sb.runtime).unwrap();
    std::fs::set_permissions(&sb.runtime, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = sb.awsid(&["whoami"], &v);
    assert_eq!(out.code, 255);
    assert!(out.stderr.contains("lets group or others in"), "{out:?}");
    let mut cmd = std::process::Command::new(awsidd_bin());
    v.apply(&mut cmd);
    let d = run(cmd);
    assert_eq!(d.code, 1, "{d:?}");
    assert!(d.stderr.contains("lets group or others in"), "{d:?}");

    std::fs::remove_dir(&sb.runtime).unwrap();
    let real = sb.root.join("real-run");
    std::fs::create_dir(&real).unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::os::unix::fs::symlink(&real, &sb.runtime).unwrap();
    let out = sb.awsid(&["whoami"], &v);
    assert!(out.stderr.contains("symlink"), "{out:?}");

    if runtime::euid() == 0 {
        std::fs::remove_file(&sb.runtime).unwrap();
        std::fs::create_dir(&sb.runtime).unwrap();
        std::fs::set_permissions(&sb.runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
        std::os::unix::fs::chown(&sb.runtime, Some(65534), Some(65534)).unwrap();
        let mut cmd = std::process::Command::new(awsidd_bin());
        v.apply(&mut cmd);
        let d = run(cmd);
        assert_eq!(d.code, 1, "{d:?}");
        assert!(d.stderr.contains("owned by uid 65534"), "{d:?}");
        std::fs::remove_dir(&sb.runtime).unwrap();
    }
}

#[test]
fn sigterm_and_stop_remove_the_socket() {
    let sts = FakeSts::start();
    let sb = Sandbox::new();
    let v = vars(&sb, &sts, "AKIAGOOD000000000015");
    sb.awsid(&["daemon", "start"], &v).ok();
    let sock = sb.runtime.join(runtime::SOCKET_NAME);
    assert!(sock.exists());
    let pid = sb.pid();
    // SAFETY: plain kill(2).
    unsafe {
        libc::kill(pid, libc::SIGTERM);
    }
    for _ in 0..500 {
        if !sock.exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(!sock.exists(), "socket left behind after SIGTERM");
    assert!(!sb.runtime.join(runtime::PID_FILE_NAME).exists());

    // The next client starts a new one; `daemon stop` removes the socket too.
    sb.awsid(&["whoami"], &v).ok();
    assert_ne!(sb.pid(), pid);
    sb.awsid(&["daemon", "stop"], &v).ok();
    assert!(!sock.exists());
    let out = sb.awsid(&["daemon", "status"], &v);
    assert_eq!(out.code, 3);
    assert!(out.stdout.contains("not running"));
}

#[test]
fn kill_9_then_the_next_client_restarts_it() {
    let sts = FakeSts::start();
    let sb = Sandbox::new();
    let v = vars(&sb, &sts, "AKIAGOOD000000000016");
    sb.awsid(&["whoami"], &v).ok();
    let pid = sb.pid();
    // SAFETY: plain kill(2).
    unsafe {
        libc::kill(pid, libc::SIGKILL);
    }
    std::thread::sleep(Duration::from_millis(100));
    assert!(sb
        .awsid(&["whoami"], &v)
        .ok()
        .contains("akiagood000000000016"));
    assert_ne!(sb.pid(), pid);
}

//! `awsid service`: the systemd unit and launchd plist it prints are valid (systemd-analyze
//! verify, Python's plistlib), name the real awsidd, survive awkward paths, install and
//! uninstall where the service managers look, and the unit's command really serves.

use std::path::Path;
use std::process::Command;

use awsid_tests::harness::{awsidd_bin, run, Sandbox, Vars};
use awsid_tests::term::have;

/// `systemd-analyze verify` on a unit file: no error and no warning.
fn verify_unit(sb: &Sandbox, unit: &Path) {
    if !have("systemd-analyze") {
        return;
    }
    let xdg = sb.root.join("xdg-run");
    std::fs::create_dir_all(&xdg).unwrap();
    let mut cmd = Command::new("systemd-analyze");
    cmd.env("XDG_RUNTIME_DIR", &xdg)
        .env("SYSTEMD_LOG_LEVEL", "warning")
        .args(["--user", "verify"])
        .arg(unit);
    let out = run(cmd);
    assert_eq!(out.code, 0, "systemd-analyze verify failed: {out:?}");
    assert!(out.stderr.trim().is_empty(), "warnings: {out:?}");
}

/// The ExecStart command of a unit, unquoted.
fn exec_start(unit: &str) -> Vec<String> {
    let line = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("ExecStart");
    let (path, rest) = line
        .strip_prefix('"')
        .and_then(|l| l.split_once('"'))
        .expect("quoted path");
    let mut words = vec![path.replace("%%", "%")];
    words.extend(rest.split_whitespace().map(str::to_string));
    words
}

#[test]
fn systemd_unit_is_valid_and_its_command_serves() {
    let sb = Sandbox::new();
    let v = sb.vars();
    let unit = sb.awsid(&["service", "systemd"], &v);
    let text = unit.ok().to_string();
    let cmd = exec_start(&text);
    assert_eq!(cmd, [awsidd_bin().display().to_string(), "serve".into()]);
    assert!(text.contains("Environment=AWSID_IDLE_TIMEOUT=0"));
    let file = sb.root.join("awsidd.service");
    std::fs::write(&file, &text).unwrap();
    verify_unit(&sb, &file);

    // What systemd would run: it serves, and `awsid daemon stop` ends it with success (so
    // Restart=on-failure leaves it stopped).
    let mut daemon = Command::new(&cmd[0]);
    v.apply(&mut daemon);
    daemon.args(&cmd[1..]).env("AWSID_IDLE_TIMEOUT", "0");
    let mut child = daemon.spawn().unwrap();
    let mut up = false;
    for _ in 0..500 {
        if sb.runtime.join("awsidd.sock").exists() {
            up = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(up, "the unit's command did not serve");
    assert_eq!(sb.pid(), child.id() as i32);
    sb.awsid(&["daemon", "stop"], &v).ok();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

#[test]
fn awkward_daemon_paths_are_quoted() {
    let sb = Sandbox::new();
    let dir = sb.root.join("with space%and percent");
    std::fs::create_dir_all(&dir).unwrap();
    let awsidd = dir.join("awsidd");
    std::os::unix::fs::symlink(awsidd_bin(), &awsidd).unwrap();
    let v = sb.vars().set("AWSID_DAEMON", awsidd.display().to_string());
    let text = sb.awsid(&["service", "systemd"], &v).ok().to_string();
    assert_eq!(exec_start(&text)[0], awsidd.display().to_string());
    let file = sb.root.join("awsidd.service");
    std::fs::write(&file, &text).unwrap();
    verify_unit(&sb, &file);

    let plist = sb.awsid(&["service", "launchd"], &v).ok().to_string();
    check_plist(&sb, &plist, &awsidd.display().to_string());

    // A daemon path that cannot go into a unit is refused, not written half-quoted.
    let v = sb.vars().set("AWSID_DAEMON", "/tmp/evil\"path/awsidd");
    let out = sb.awsid(&["service", "systemd"], &v);
    assert_ne!(out.code, 0, "{out:?}");
    assert!(out.stdout.is_empty());
}

fn check_plist(sb: &Sandbox, plist: &str, awsidd: &str) {
    let file = sb.root.join("awsidd.plist");
    std::fs::write(&file, plist).unwrap();
    let mut cmd = Command::new("python3");
    cmd.args([
        "-c",
        "import plistlib,sys,json; d=plistlib.load(open(sys.argv[1],'rb')); print(json.dumps(d))",
    ])
    .arg(&file);
    let out = run(cmd);
    let d: serde_json::Value = serde_json::from_str(out.ok()).unwrap();
    assert_eq!(d["Label"], "dev.awsid.awsidd");
    assert_eq!(d["ProgramArguments"], serde_json::json!([awsidd, "serve"]));
    assert_eq!(d["EnvironmentVariables"]["AWSID_IDLE_TIMEOUT"], "0");
    assert_eq!(d["RunAtLoad"], true);
    assert_eq!(d["KeepAlive"]["SuccessfulExit"], false);
}

#[test]
fn launchd_plist_is_valid() {
    let sb = Sandbox::new();
    let plist = sb
        .awsid(&["service", "launchd"], &sb.vars())
        .ok()
        .to_string();
    check_plist(&sb, &plist, &awsidd_bin().display().to_string());
}

#[test]
fn install_and_uninstall_where_the_managers_look() {
    let sb = Sandbox::new();
    let v: Vars = sb.vars();
    let printed = sb.awsid(&["service", "systemd"], &v).ok().to_string();
    let out = sb.awsid(&["service", "systemd", "--install"], &v);
    let unit = sb.root.join("config/systemd/user/awsidd.service");
    assert!(out.ok().contains(&unit.display().to_string()), "{out:?}");
    assert!(
        out.stdout.contains("systemctl --user enable --now awsidd"),
        "{out:?}"
    );
    assert_eq!(std::fs::read_to_string(&unit).unwrap(), printed);

    let out = sb.awsid(&["service", "launchd", "--install"], &v);
    let plist = sb.home.join("Library/LaunchAgents/dev.awsid.awsidd.plist");
    assert!(out.ok().contains("launchctl bootstrap"), "{out:?}");
    assert!(plist.is_file());

    let out = sb.awsid(&["service", "systemd", "--uninstall"], &v);
    assert!(out.ok().contains("removed"), "{out:?}");
    assert!(!unit.exists());
    let out = sb.awsid(&["service", "systemd", "--uninstall"], &v);
    assert!(out.ok().contains("is not installed"), "{out:?}");
    sb.awsid(&["service", "launchd", "--uninstall"], &v).ok();
    assert!(!plist.exists());

    let out = sb.awsid(&["service", "systemd", "--install", "--uninstall"], &v);
    assert_eq!(
        out.code, 252,
        "conflicting flags are a usage error: {out:?}"
    );
}

#[test]
fn install_and_uninstall_leave_what_is_not_theirs_alone() {
    let sb = Sandbox::new();
    let v: Vars = sb.vars();
    let unit = sb.root.join("config/systemd/user/awsidd.service");
    std::fs::create_dir_all(unit.parent().unwrap()).unwrap();

    // Installing twice: the second time changes nothing.
    sb.awsid(&["service", "systemd", "--install"], &v).ok();
    let out = sb.awsid(&["service", "systemd", "--install"], &v);
    assert!(out.ok().contains("up to date"), "{out:?}");

    // An older unit awsid wrote (another awsidd path) is replaced without --force.
    let ours = std::fs::read_to_string(&unit).unwrap();
    std::fs::write(&unit, ours.replace("serve", "serve --old")).unwrap();
    sb.awsid(&["service", "systemd", "--install"], &v).ok();
    assert_eq!(std::fs::read_to_string(&unit).unwrap(), ours);

    // Someone else's file is neither replaced nor removed without --force.
    std::fs::write(&unit, "[Service]\nExecStart=/usr/bin/mine\n").unwrap();
    for flag in ["--install", "--uninstall"] {
        let out = sb.awsid(&["service", "systemd", flag], &v);
        assert_eq!(out.code, 255, "{out:?}");
        assert!(out.stderr.contains("--force"), "{out:?}");
        assert!(std::fs::read_to_string(&unit)
            .unwrap()
            .contains("/usr/bin/mine"));
    }
    sb.awsid(&["service", "systemd", "--install", "--force"], &v)
        .ok();
    assert_eq!(std::fs::read_to_string(&unit).unwrap(), ours);

    // A symlink (say, into a dotfiles repository) is not written through.
    let target = sb.root.join("dotfiles-unit");
    std::fs::write(&target, "kept\n").unwrap();
    std::fs::remove_file(&unit).unwrap();
    std::os::unix::fs::symlink(&target, &unit).unwrap();
    let out = sb.awsid(&["service", "systemd", "--install"], &v);
    assert!(out.stderr.contains("a symlink"), "{out:?}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "kept\n");
    sb.awsid(&["service", "systemd", "--install", "--force"], &v)
        .ok();
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "kept\n");
    assert!(!std::fs::symlink_metadata(&unit)
        .unwrap()
        .file_type()
        .is_symlink());

    // An enabled unit must be disabled before its file goes (systemctl needs the file).
    let wants = unit.with_file_name("default.target.wants");
    std::fs::create_dir_all(&wants).unwrap();
    std::os::unix::fs::symlink(&unit, wants.join("awsidd.service")).unwrap();
    let out = sb.awsid(&["service", "systemd", "--uninstall"], &v);
    assert!(
        out.stderr.contains("systemctl --user disable --now awsidd"),
        "{out:?}"
    );
    assert!(unit.exists());
    std::fs::remove_file(wants.join("awsidd.service")).unwrap();
    sb.awsid(&["service", "systemd", "--uninstall"], &v).ok();
    assert!(!unit.exists());
}

#[test]
fn a_second_daemon_leaves_the_first_be_and_exits_successfully() {
    // What a service manager sees when a client already started awsidd: success, so
    // Restart=on-failure does not loop.
    let sb = Sandbox::new();
    let v = sb.vars();
    sb.awsid(&["daemon", "start"], &v).ok();
    let first = sb.pid();
    let mut cmd = Command::new(awsidd_bin());
    v.apply(&mut cmd);
    cmd.arg("serve");
    let out = run(cmd);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stderr.contains("already answers"), "{out:?}");
    assert_eq!(sb.pid(), first);
}

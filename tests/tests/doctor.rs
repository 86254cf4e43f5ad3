//! `awsid doctor` against moto: the credential source it reports for environment keys, a
//! static profile, an assume-role profile, a missing profile and no credentials; with the
//! daemon stopped and running; with a broken configuration; the set-up of this shell (hook,
//! segment, endpoint); where the answer came from, whatever other shells do meanwhile. No
//! secret value may ever appear in its output, human or JSON; no line is 100 columns or wider.

use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use std::process::Command;

use awsid_proto::msg::Request;
use awsid_proto::{codec, frame};
use awsid_tests::harness::{awsid_bin, awsidd_bin, run, Out, Sandbox, Vars};
use awsid_tests::moto::moto;
use serde_json::Value;

fn base(sb: &Sandbox) -> Vars {
    sb.vars().set("AWS_ENDPOINT_URL", moto().url.clone())
}

fn write_profiles(sb: &Sandbox) {
    sb.write_alice_and_bob(moto());
    sb.write(
        ".aws/config",
        "[profile admin]\nrole_arn = arn:aws:iam::222222222222:role/admin\nsource_profile = alice\n",
    );
}

/// Every secret the sandbox holds.
fn secrets() -> Vec<String> {
    let m = moto();
    vec![
        m.alice.secret_access_key.clone(),
        m.bob.secret_access_key.clone(),
        // The key ids are not secret to AWS, but the report shows only their kind.
        m.alice.access_key_id.clone(),
        m.bob.access_key_id.clone(),
        "SESSIONTOKENVALUE".to_string(),
        "SSOACCESSTOKEN".to_string(),
        "SSOREFRESHTOKEN".to_string(),
        "hunter2".to_string(),
    ]
}

#[track_caller]
fn assert_no_secret(out: &Out) {
    for s in secrets() {
        assert!(
            !out.stdout.contains(&s) && !out.stderr.contains(&s),
            "secret {s:?} in the report:\n{}{}",
            out.stdout,
            out.stderr
        );
    }
}

/// Runs `awsid doctor --json` and the human report; checks both for secrets; returns the JSON
/// and the human text.
#[track_caller]
fn doctor(sb: &Sandbox, extra: &[&str], vars: &Vars) -> (Value, Out, Out) {
    let mut args = vec!["doctor", "--json"];
    args.extend_from_slice(extra);
    let json = sb.awsid(&args, vars);
    assert_no_secret(&json);
    let report: Value = serde_json::from_str(&json.stdout)
        .unwrap_or_else(|e| panic!("doctor --json printed no JSON ({e}): {json:?}"));
    let mut args = vec!["doctor"];
    args.extend_from_slice(extra);
    let human = sb.awsid(&args, vars);
    assert_no_secret(&human);
    assert_eq!(human.code, json.code, "{human:?}");
    for line in human.stdout.lines() {
        assert!(
            line.chars().count() < 100,
            "a line of 100 columns or more: {line:?}"
        );
    }
    (report, json, human)
}

fn identity_error(r: &Value) -> &str {
    r["identity"]["error"].as_str().unwrap_or_default()
}

fn source(r: &Value) -> &str {
    r["credentials"]["source"].as_str().unwrap_or("")
}

fn chain_kinds(r: &Value) -> Vec<String> {
    r["credentials"]["chain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn environment_keys_with_the_daemon_stopped_then_running() {
    let sb = Sandbox::new();
    write_profiles(&sb);
    let m = moto();
    let v = base(&sb)
        .keys(&m.alice.access_key_id, &m.alice.secret_access_key)
        .set("AWS_PROFILE", "bob")
        .set("AWS_CREDENTIAL_EXPIRATION", "2099-01-01T00:00:00Z");

    // No daemon yet: the doctor asks STS itself and does not start one.
    let (r, json, human) = doctor(&sb, &[], &v);
    assert_eq!(json.code, 0, "{json:?}");
    assert_eq!(source(&r), "environment");
    assert_eq!(r["daemon"]["state"], "stopped");
    assert_eq!(r["identity"]["ok"], true, "{r}");
    assert_eq!(r["identity"]["account"], m.alice.account.as_str());
    assert_eq!(r["identity"]["arn"], m.alice.arn.as_str());
    assert_eq!(r["identity"]["answered_by"], "direct-lookup");
    let why = r["credentials"]["why"].to_string();
    assert!(why.contains("AWS_PROFILE=bob"), "{why}");
    let vars = r["credentials"]["environment_variables"].to_string();
    assert!(vars.contains("AKIA… (long-term user key)"), "{vars}");
    assert!(vars.contains("AWS_SECRET_ACCESS_KEY"), "{vars}");
    let fp = r["fingerprint"]["variables"].to_string();
    for name in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_PROFILE",
        "HOME",
    ] {
        assert!(fp.contains(name), "{name} not in {fp}");
    }
    assert!(
        !sb.runtime.join("awsidd.sock").exists(),
        "doctor started a daemon"
    );
    assert!(
        human
            .stdout
            .contains("environment variables AWS_ACCESS_KEY_ID"),
        "{human:?}"
    );
    assert!(human.stdout.contains("not running"), "{human:?}");
    assert!(human.stdout.contains("No problems found."), "{human:?}");
    // Every step is timed.
    let steps: Vec<&str> = r["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        ["environment", "credentials", "config", "daemon", "identity"]
    );

    // With a daemon that has the answer cached.
    sb.awsid(&["whoami"], &v).ok();
    let (r, json, human) = doctor(&sb, &[], &v);
    assert_eq!(json.code, 0, "{json:?}");
    assert_eq!(r["daemon"]["state"], "running");
    assert_eq!(r["daemon"]["status"]["pid"], sb.pid());
    let socket_mode = u32::from_str_radix(r["daemon"]["socket_mode"].as_str().unwrap(), 8).unwrap();
    assert_eq!(
        socket_mode & 0o077,
        0,
        "socket open to others: {socket_mode:o}"
    );
    assert_eq!(r["daemon"]["runtime_dir_mode"], "0700");
    assert_eq!(r["identity"]["answered_by"], "cache", "{r}");
    assert_eq!(r["identity"]["account"], m.alice.account.as_str());
    assert!(human.stdout.contains("from its cache"), "{human:?}");
    assert!(
        human.stdout.contains(&format!("pid          {}", sb.pid())),
        "{human:?}"
    );
}

#[test]
fn static_and_assume_role_profiles() {
    let sb = Sandbox::new();
    write_profiles(&sb);
    let m = moto();

    let (r, json, human) = doctor(&sb, &[], &base(&sb).set("AWS_PROFILE", "bob"));
    assert_eq!(json.code, 0, "{json:?}");
    assert_eq!(source(&r), "profile");
    assert_eq!(r["credentials"]["profile"]["name"], "bob");
    assert_eq!(r["credentials"]["profile"]["from"], "AWS_PROFILE");
    assert_eq!(chain_kinds(&r), ["static-keys"]);
    let credentials = sb.home.join(".aws/credentials").display().to_string();
    assert_eq!(
        r["credentials"]["chain"][0]["defined_in"][0],
        credentials.as_str()
    );
    assert_eq!(r["identity"]["account"], m.bob.account.as_str());
    assert!(
        human
            .stdout
            .contains("profile bob (from AWS_PROFILE): static keys"),
        "{human:?}"
    );

    // --profile beats keys in the environment, and says so.
    let v = base(&sb).keys(&m.bob.access_key_id, &m.bob.secret_access_key);
    let (r, _, _) = doctor(&sb, &["--profile", "admin"], &v);
    assert_eq!(source(&r), "profile");
    assert_eq!(r["credentials"]["profile"]["from"], "--profile");
    assert_eq!(chain_kinds(&r), ["assume-role", "static-keys"]);
    assert_eq!(r["credentials"]["chain"][1]["profile"], "alice");
    assert!(r["credentials"]["why"]
        .to_string()
        .contains("--profile is given"));
    assert_eq!(r["identity"]["account"], "222222222222", "{r}");
    let arn = r["identity"]["arn"].as_str().unwrap();
    assert!(
        arn.starts_with("arn:aws:sts::222222222222:assumed-role/admin/"),
        "{arn}"
    );
    assert_eq!(r["fingerprint"]["profile_override"], "admin");
}

#[test]
fn missing_profile_and_no_credentials_are_problems() {
    let sb = Sandbox::new();
    write_profiles(&sb);
    let (r, json, human) = doctor(&sb, &[], &base(&sb).set("AWS_PROFILE", "nosuch"));
    assert_eq!(json.code, 1, "{json:?}");
    assert_eq!(source(&r), "profile-not-found");
    let known = r["credentials"]["known_profiles"].to_string();
    assert!(
        known.contains("alice") && known.contains("admin"),
        "{known}"
    );
    assert_eq!(r["identity"]["ok"], false);
    assert!(
        r["identity"]["error"]
            .as_str()
            .unwrap()
            .contains("could not be found"),
        "{r}"
    );
    assert!(human.stdout.contains("Problems:"), "{human:?}");
    assert!(human
        .stdout
        .contains("the config profile (nosuch) could not be found"));

    // The profile's error once in the text report, with its "did you mean".
    assert_eq!(
        human
            .stdout
            .to_lowercase()
            .matches("could not be found")
            .count(),
        1,
        "{human:?}"
    );
    let (r, _, human) = doctor(&sb, &[], &base(&sb).set("AWS_PROFILE", "alicee"));
    assert!(
        r["problems"].to_string().contains("did you mean alice?"),
        "{r}"
    );
    assert!(human.stdout.contains("did you mean alice?"), "{human:?}");

    let empty = Sandbox::new();
    // Through a running daemon this time, which lists the failure among its errors; the
    // doctor shows this shell's error only, once.
    let v = base(&empty);
    assert_eq!(empty.awsid(&["whoami"], &v).code, 253);
    let (r, json, human) = doctor(&empty, &[], &v);
    assert_eq!(json.code, 1, "{json:?}");
    assert_eq!(source(&r), "none");
    assert_eq!(r["identity"]["ok"], false);
    assert_eq!(r["identity"]["answered_by"], "nobody", "{r}");
    assert!(r["identity"]["error"]
        .as_str()
        .unwrap()
        .contains("Unable to locate credentials"));
    assert!(r["daemon"]["status"].get("recent_errors").is_none(), "{r}");
    assert!(human.stdout.contains("no credentials"), "{human:?}");
    assert!(!human.stdout.contains("NoCredentials"), "{human:?}");
    let status = empty.awsid(&["daemon", "status"], &v);
    assert!(
        status
            .ok()
            .contains("no credentials: Unable to locate credentials"),
        "{status:?}"
    );
}

#[test]
fn broken_config_is_reported_and_the_rest_still_works() {
    let sb = Sandbox::new();
    write_profiles(&sb);
    let path = sb.write_config("[prompt]\nstyle = \"no-such-colour\"\n");
    let (r, json, human) = doctor(&sb, &[], &base(&sb).set("AWS_PROFILE", "alice"));
    assert_eq!(json.code, 1, "{json:?}");
    assert_eq!(r["config"]["path"], path.display().to_string().as_str());
    assert_eq!(r["config"]["source"], "defaults");
    assert!(r["config"]["error"].is_string(), "{r}");
    assert!(human.stdout.contains("is BROKEN"), "{human:?}");
    // The identity is still there.
    assert_eq!(r["identity"]["account"], moto().alice.account.as_str());

    std::fs::write(&path, "[prompt]\nbudget_ms = 250\n").unwrap();
    let (r, json, _) = doctor(&sb, &["--offline"], &base(&sb).set("AWS_PROFILE", "alice"));
    assert_eq!(json.code, 0, "{json:?}");
    assert_eq!(r["config"]["source"], "file");
    assert_eq!(r["config"]["settings"]["prompt.budget_ms"], "250");
    assert!(r["identity"].is_null(), "--offline asks nobody: {r}");
}

#[test]
fn sso_token_and_credential_process_are_explained_offline() {
    let sb = Sandbox::new();
    sb.write(
        ".aws/config",
        "[profile corp]\nsso_session = corp\nsso_account_id = 333333333333\nsso_role_name = ReadOnly\n\
         [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n\
         [profile proc]\ncredential_process = /usr/bin/fetch-creds --password hunter2\n\
         [profile failing]\ncredential_process = sh -c 'echo password=hunter2 >&2; exit 1'\n",
    );
    // sha1("corp"): the CLI's token cache file name for an sso-session. Without a refresh
    // token, an expired access token needs `aws sso login`.
    sb.write(
        ".aws/sso/cache/ee0bfd2552fbd840c02cc48b6e823320543c450f.json",
        "{\"accessToken\": \"SSOACCESSTOKEN\", \"expiresAt\": \"2020-01-01T00:00:00Z\"}",
    );
    let (r, json, human) = doctor(&sb, &["--offline"], &base(&sb).set("AWS_PROFILE", "corp"));
    assert_eq!(json.code, 1, "{json:?}");
    assert_eq!(chain_kinds(&r), ["sso"]);
    let sso = &r["credentials"]["sso"];
    assert_eq!(sso["token"], "present", "{r}");
    assert_eq!(sso["expired"], true, "{r}");
    assert_eq!(sso["refreshable"], false, "{r}");
    assert_eq!(sso["expires_at"], "2020-01-01T00:00:00Z");
    assert!(r["problems"]
        .to_string()
        .contains("aws sso login --profile corp"));
    assert!(
        human.stdout.contains("EXPIRED at 2020-01-01T00:00:00Z"),
        "{human:?}"
    );
    // With a refresh token the SDK renews it: not a problem.
    sb.write(
        ".aws/sso/cache/ee0bfd2552fbd840c02cc48b6e823320543c450f.json",
        "{\"accessToken\": \"SSOACCESSTOKEN\", \"refreshToken\": \"SSOREFRESHTOKEN\", \
         \"expiresAt\": \"2020-01-01T00:00:00Z\"}",
    );
    let (r, json, _) = doctor(&sb, &["--offline"], &base(&sb).set("AWS_PROFILE", "corp"));
    assert_eq!(json.code, 0, "{json:?}");
    assert_eq!(r["credentials"]["sso"]["refreshable"], true, "{r}");
    // The token file is part of the cache key.
    assert!(r["fingerprint"]["files"]
        .to_string()
        .contains("ee0bfd2552fbd840c02cc48b6e823320543c450f.json"));

    let (r, json, _) = doctor(&sb, &["--offline"], &base(&sb).set("AWS_PROFILE", "proc"));
    assert_eq!(json.code, 0, "{json:?}");
    assert_eq!(chain_kinds(&r), ["credential-process"]);
    let detail = r["credentials"]["chain"][0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("/usr/bin/fetch-creds (arguments not shown)"),
        "{detail}"
    );
    assert_eq!(r["fingerprint"]["includes_path"], true);

    // A failing credential_process that prints a secret: `awsid whoami` shows its output, as
    // the CLI does, but neither the doctor nor the daemon's recent errors repeat it.
    let v = base(&sb).set("AWS_PROFILE", "failing");
    let out = sb.awsid(&["whoami"], &v);
    assert_ne!(out.code, 0, "{out:?}");
    let (r, json, _) = doctor(&sb, &[], &v);
    assert_eq!(json.code, 1, "{json:?}");
    assert_eq!(r["identity"]["ok"], false, "{r}");
    assert!(identity_error(&r).contains("withheld"), "{r}");
    let status = sb.awsid(&["daemon", "status"], &v);
    assert!(status.ok().contains("withheld"), "{status:?}");
    assert_no_secret(&status);
    sb.awsid(&["daemon", "stop"], &v).ok();
    let (r, _, _) = doctor(&sb, &[], &v);
    assert_eq!(r["identity"]["answered_by"], "direct-lookup", "{r}");
    assert!(identity_error(&r).contains("withheld"), "{r}");
}

#[test]
fn a_runtime_directory_open_to_others_is_a_problem() {
    use std::os::unix::fs::PermissionsExt;
    let sb = Sandbox::new();
    write_profiles(&sb);
    std::fs::create_dir_all(&sb.runtime).unwrap();
    std::fs::set_permissions(&sb.runtime, std::fs::Permissions::from_mode(0o755)).unwrap();
    let v = base(&sb).set("AWS_PROFILE", "alice");
    let (r, json, human) = doctor(&sb, &["--offline"], &v);
    assert_eq!(json.code, 1, "{json:?}");
    assert_eq!(r["daemon"]["runtime_dir_mode"], "0755");
    let problem = r["daemon"]["runtime_dir_problem"]
        .as_str()
        .unwrap_or_default();
    assert!(problem.contains("chmod 700"), "{r}");
    assert!(r["problems"].to_string().contains("chmod 700"));
    assert!(human.stdout.contains("REFUSED"), "{human:?}");

    // A daemon behind such a directory is sent nothing (it could be an impostor): the doctor
    // asks STS itself.
    std::fs::set_permissions(&sb.runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    sb.awsid(&["whoami"], &v).ok();
    let before = sb.status();
    std::fs::set_permissions(&sb.runtime, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (r, _, _) = doctor(&sb, &[], &v);
    std::fs::set_permissions(&sb.runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    assert_eq!(r["daemon"]["state"], "unreachable", "{r}");
    assert_eq!(r["identity"]["answered_by"], "direct-lookup", "{r}");
    assert_eq!(r["identity"]["account"], moto().alice.account.as_str());
    let after = sb.status();
    assert_eq!(before["hits"], after["hits"]);
    assert_eq!(before["misses"], after["misses"]);
}

#[test]
fn without_awsidd_the_doctor_says_how_to_install_it() {
    let sb = Sandbox::new();
    let v = base(&sb).set("AWSID_DAEMON", "/nonexistent/awsidd");
    let out = sb.awsid(&["doctor"], &v);
    assert_eq!(out.code, 255, "{out:?}");
    assert!(out.stderr.contains("/nonexistent/awsidd"), "{out:?}");
    assert!(
        out.stderr
            .contains("cargo install --locked --path crates/awsid"),
        "{out:?}"
    );
}

/// A relay in front of a sandbox's daemon, in a runtime directory of its own: it forwards
/// every request, and before it forwards the first `whoami`, another shell's `awsid whoami`
/// (a miss: a lookup of another fingerprint) runs to its end.
struct Relay {
    dir: PathBuf,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Relay {
    fn start(sb: &Sandbox, other_shell: Vars) -> Relay {
        use std::os::unix::fs::PermissionsExt;
        let dir = sb.root.join("relay");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        let listener = UnixListener::bind(dir.join("awsidd.sock")).unwrap();
        let daemon = sb.runtime.join("awsidd.sock");
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut fired = false;
            for conn in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut conn) = conn else { continue };
                let Ok(request) = frame::read_frame(&mut conn) else {
                    continue;
                };
                let whoami = matches!(codec::decode(&request), Ok(Request::Whoami(_)));
                if whoami && !fired {
                    fired = true;
                    let mut other = Command::new(awsid_bin());
                    other_shell.apply(&mut other);
                    other.arg("whoami");
                    let out = run(other);
                    assert_eq!(out.code, 0, "the other shell: {out:?}");
                }
                let mut upstream = std::os::unix::net::UnixStream::connect(&daemon).unwrap();
                frame::write_frame(&mut upstream, &request).unwrap();
                let reply = frame::read_frame(&mut upstream).unwrap();
                let _ = frame::write_frame(&mut conn, &reply);
            }
        });
        Relay {
            dir,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = std::os::unix::net::UnixStream::connect(self.dir.join("awsidd.sock"));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[test]
fn an_answer_from_the_cache_says_so_whatever_other_shells_do_meanwhile() {
    let sb = Sandbox::new();
    write_profiles(&sb);
    let m = moto();
    let v = base(&sb).set("AWS_PROFILE", "alice");
    assert_eq!(sb.awsid(&["whoami"], &v).code, 0);
    // Another shell's miss lands between the doctor's requests; the doctor's own answer still
    // comes from the cache.
    let relay = Relay::start(&sb, base(&sb).set("AWS_PROFILE", "bob"));
    let through_relay = v
        .clone()
        .set("AWSID_RUNTIME_DIR", relay.dir.display().to_string());
    let out = sb.awsid(&["doctor", "--json"], &through_relay);
    drop(relay);
    let r: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out:?}"));
    assert_eq!(r["identity"]["account"], m.alice.account.as_str(), "{r}");
    assert_eq!(r["identity"]["answered_by"], "cache", "{r}");
    // The other shell's lookup did happen in between.
    assert_eq!(sb.counter("lookups"), 2);

    // A lookup for this request says so.
    let v = base(&sb).set("AWS_PROFILE", "admin");
    let out = sb.awsid(&["doctor", "--json"], &v);
    let r: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out:?}"));
    assert_eq!(r["identity"]["answered_by"], "daemon-lookup", "{r}");
    let human = sb.awsid(&["doctor", "--profile", "alice"], &v);
    assert!(
        human.stdout.contains("looked it up for this request"),
        "{human:?}"
    );
}

#[test]
fn the_set_up_of_this_shell_hook_segment_endpoint_and_daemon_binary() {
    let sb = Sandbox::new();
    write_profiles(&sb);
    let v = base(&sb).set("AWS_PROFILE", "alice");
    // No hook: the report says so, and how to get one.
    let (r, json, human) = doctor(&sb, &[], &v);
    assert_eq!(json.code, 0, "{json:?}");
    assert_eq!(r["setup"]["hook"]["state"], "not-loaded", "{r}");
    assert!(human.stdout.contains("awsid init --help"), "{human:?}");
    assert_eq!(r["setup"]["sts_endpoint"], moto().url.as_str(), "{r}");
    assert!(
        human
            .stdout
            .contains(&format!("{} (region us-east-1", moto().url)),
        "{human:?}"
    );
    // The daemon runs by now (the doctor asked it nothing: it was not running before); the
    // segment is what this shell's prompt shows.
    sb.awsid(&["whoami"], &v).ok();
    let (r, _, human) = doctor(&sb, &[], &v);
    let segment = sb.awsid(&["prompt", "--shell", "plain"], &v);
    assert_eq!(r["setup"]["segment"], segment.ok(), "{r}");
    assert!(!segment.ok().is_empty());
    assert!(
        human.stdout.contains(&format!("{:?}", segment.ok())),
        "{human:?}"
    );
    // The running daemon's binary, in the doctor and in `awsid daemon status`.
    let exe = awsidd_bin().canonicalize().unwrap().display().to_string();
    assert_eq!(r["daemon"]["status"]["exe"], exe.as_str(), "{r}");
    assert!(human.stdout.contains(&exe), "{human:?}");
    assert_eq!(sb.status()["executable"], exe);

    // The endpoint a profile names (as the resolver hands it to the SDK), else the region's.
    sb.write(
        ".aws/config",
        "[profile ep]\nendpoint_url = http://127.0.0.1:9\n[profile west]\nregion = eu-west-1\n",
    );
    let (r, _, _) = doctor(&sb, &["--offline"], &sb.vars().set("AWS_PROFILE", "ep"));
    assert_eq!(r["setup"]["sts_endpoint"], "http://127.0.0.1:9", "{r}");
    let west = sb
        .vars()
        .set("AWS_PROFILE", "west")
        .unset("AWS_DEFAULT_REGION");
    let (r, _, _) = doctor(&sb, &["--offline"], &west);
    assert_eq!(
        r["setup"]["sts_endpoint"], "https://sts.eu-west-1.amazonaws.com",
        "{r}"
    );

    // The marker the hooks export: this process started `awsid doctor`, as a shell would.
    let me = std::process::id();
    let hooked = v.clone().set("AWSID_HOOK", format!("bash:{me}"));
    let (r, _, human) = doctor(&sb, &["--offline"], &hooked);
    assert_eq!(r["setup"]["hook"]["state"], "loaded", "{r}");
    assert_eq!(r["setup"]["hook"]["shell"], "bash", "{r}");
    assert!(
        human.stdout.contains("loaded in this shell (bash)"),
        "{human:?}"
    );
    // Exported by another shell (one that started this one): not this shell's own.
    let inherited = v.clone().set("AWSID_HOOK", "zsh:1");
    let (r, _, _) = doctor(&sb, &["--offline"], &inherited);
    assert_eq!(r["setup"]["hook"]["state"], "inherited", "{r}");
    assert_eq!(r["setup"]["hook"]["pid"], 1, "{r}");
}

#[test]
fn a_real_bash_with_the_hook_loaded_is_recognised() {
    let sb = Sandbox::new();
    write_profiles(&sb);
    let v = base(&sb).set("AWS_PROFILE", "alice");
    let awsid = awsid_bin().display().to_string();
    let mut cmd = Command::new("bash");
    v.apply(&mut cmd);
    cmd.args([
        "--noprofile",
        "--norc",
        "-i",
        "-c",
        &format!("eval \"$('{awsid}' init bash)\"; '{awsid}' doctor --json --offline; true"),
    ]);
    let out = run(cmd);
    let r: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out:?}"));
    assert_eq!(r["setup"]["hook"]["state"], "loaded", "{r}");
    assert_eq!(r["setup"]["hook"]["shell"], "bash", "{r}");
}

#[test]
fn a_real_nu_with_the_hook_loaded_is_recognised() {
    if Command::new("nu").arg("--version").output().is_err() {
        eprintln!("nu is not installed: skipped");
        return;
    }
    let sb = Sandbox::new();
    let v = base(&sb);
    let awsid = awsid_bin().display().to_string();
    let script = sb.root.join("awsid.nu");
    let out = sb.awsid(&["init", "nu"], &v);
    std::fs::write(&script, out.ok()).unwrap();
    let mut cmd = Command::new("nu");
    v.apply(&mut cmd);
    cmd.args([
        "--no-config-file",
        "-c",
        &format!(
            "source '{}'; ^'{awsid}' doctor --json --offline",
            script.display()
        ),
    ]);
    let out = run(cmd);
    let r: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out:?}"));
    assert_eq!(r["setup"]["hook"]["state"], "loaded", "{r}");
    assert_eq!(r["setup"]["hook"]["shell"], "nu", "{r}");
}

#[test]
fn a_multi_line_configuration_error_is_printed_once_and_indented() {
    let sb = Sandbox::new();
    write_profiles(&sb);
    sb.write_config("[prompt\nstyle = 1\n");
    let v = base(&sb).set("AWS_PROFILE", "alice");
    sb.awsid(&["whoami"], &v).ok();
    let (r, json, human) = doctor(&sb, &[], &v);
    assert_eq!(json.code, 1, "{json:?}");
    let error = r["config"]["error"].as_str().unwrap();
    assert!(
        error.lines().count() > 1,
        "not a multi-line error: {error:?}"
    );
    let first = error.lines().next().unwrap().trim();
    assert_eq!(human.stdout.matches(first).count(), 1, "{}", human.stdout);
    // Its lines keep the report's indentation.
    let at = human
        .stdout
        .lines()
        .position(|l| l.contains(first))
        .unwrap();
    let next = human.stdout.lines().nth(at + 1).unwrap();
    assert!(next.starts_with("               "), "{}", human.stdout);
    // So does `awsid daemon status`.
    let status = sb.awsid(&["daemon", "status"], &v);
    let text = status.ok();
    assert_eq!(text.matches(first).count(), 1, "{text}");
    let at = text.lines().position(|l| l.contains(first)).unwrap();
    assert!(
        text.lines().nth(at).unwrap().starts_with("            "),
        "{text}"
    );
    assert!(
        text.lines()
            .nth(at + 1)
            .unwrap()
            .starts_with("            "),
        "{text}"
    );
}

//! The CLI writes, we read: `aws` assumes roles against moto_server (loopback) and caches the
//! answer in ~/.aws/cli/cache; `cli_cache::lookup` must find that very file and use it.

mod common;

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use awsid_aws::cli_cache::{self, AssumeRoleArgs, Lookup};

struct Moto(Child);

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_moto() -> (Moto, u16) {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("moto_server starts");
    let moto = Moto(child);
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "moto_server did not listen"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    (moto, port)
}

#[test]
fn entries_the_cli_wrote_are_found_and_used() {
    if !common::aws_cli_available()
        || !common::oracle_available("moto_server", &["sh", "-c", "command -v moto_server"])
    {
        return;
    }
    let (_moto, port) = start_moto();
    let root = std::env::temp_dir().join(format!("procs-roundtrip-{}", std::process::id()));
    let home = root.join("home");
    std::fs::create_dir_all(home.join(".aws")).unwrap();
    std::fs::write(
        home.join(".aws/credentials"),
        "[src]\naws_access_key_id = AKIDSRC\naws_secret_access_key = srcsecret\n",
    )
    .unwrap();
    let profiles = [
        AssumeRoleArgs {
            role_arn: "arn:aws:iam::222222222222:role/plain".into(),
            ..Default::default()
        },
        AssumeRoleArgs {
            role_arn: "arn:aws:iam::222222222222:role/named".into(),
            role_session_name: Some("awsid-test".into()),
            external_id: Some("ext-123".into()),
            duration_seconds: Some("3600".into()),
            ..Default::default()
        },
        AssumeRoleArgs {
            role_arn: "arn:aws:iam::333333333333:role/x".into(),
            duration_seconds: Some(" 7_200 ".into()),
            ..Default::default()
        },
    ];
    let config = common::role_profiles("r", &profiles, "");
    std::fs::write(home.join(".aws/config"), config).unwrap();
    for (i, args) in profiles.iter().enumerate() {
        let before = cli_cache::lookup(&home, args, SystemTime::now());
        assert!(
            matches!(before.lookup, Lookup::Missing),
            "r{i}: {:?}",
            before.lookup
        );
        let out = Command::new("aws")
            .args(["sts", "get-caller-identity", "--profile", &format!("r{i}")])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &home)
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "r{i}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let read = cli_cache::lookup(&home, args, SystemTime::now());
        assert!(
            read.path.is_file(),
            "r{i}: the CLI wrote elsewhere than {:?}",
            read.path
        );
        let Lookup::Usable(creds) = read.lookup else {
            panic!("r{i}: {:?}", read.lookup)
        };
        assert!(creds.access_key_id.starts_with("ASIA"), "r{i}");
        assert!(
            creds.session_token.is_some() && creds.expiration.is_some(),
            "r{i}"
        );
        let account = &args.role_arn["arn:aws:iam::".len()..][..12];
        assert_eq!(creds.account_id.as_deref(), Some(account), "r{i}");
    }
    let files = std::fs::read_dir(cli_cache::cache_dir(&home))
        .unwrap()
        .count();
    assert_eq!(files, profiles.len(), "one cache file per profile");
    let _ = std::fs::remove_dir_all(&root);
}

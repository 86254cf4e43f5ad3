//! One daemon, many shells: each client gets the identity of its own environment, and a
//! changed file shows on the very next call.

use std::os::unix::fs::MetadataExt;

use awsid_tests::harness::{Sandbox, Vars};
use awsid_tests::moto::{moto, Keys};

fn arn_of(sb: &Sandbox, v: &Vars) -> String {
    sb.awsid(&["whoami", "--query", "Arn", "--output", "text"], v)
        .ok()
        .trim_end()
        .to_string()
}

#[test]
fn concurrent_clients_with_different_environments_never_see_each_other() {
    let m = moto();
    let sb = Sandbox::new();
    let base = sb.vars().set("AWS_ENDPOINT_URL", m.url.clone());
    sb.write(
        ".aws/credentials",
        &format!(
            "[bob]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            m.bob.access_key_id, m.bob.secret_access_key
        ),
    );
    // Three environments: alice by keys, bob by keys, bob by profile.
    let envs: Vec<(Vars, &str)> = vec![
        (
            base.clone()
                .keys(&m.alice.access_key_id, &m.alice.secret_access_key),
            &m.alice.arn,
        ),
        (
            base.clone()
                .keys(&m.bob.access_key_id, &m.bob.secret_access_key),
            &m.bob.arn,
        ),
        (base.clone().set("AWS_PROFILE", "bob"), &m.bob.arn),
    ];
    std::thread::scope(|s| {
        for t in 0..12 {
            let envs = &envs;
            let sb = &sb;
            s.spawn(move || {
                for i in 0..6 {
                    let (v, want) = &envs[(t + i) % envs.len()];
                    assert_eq!(&arn_of(sb, v), want, "thread {t} iteration {i}");
                }
            });
        }
    });
    // Three fingerprints, so three resolutions however the 72 requests interleaved.
    assert_eq!(sb.counter("lookups"), 3);
    assert_eq!(sb.counter("cached"), 3);
}

fn credentials(k: &Keys) -> String {
    format!(
        "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        k.access_key_id, k.secret_access_key
    )
}

#[test]
fn credentials_file_rewritten_in_place_shows_the_new_identity_at_once() {
    let m = moto();
    let sb = Sandbox::new();
    let v = sb.vars().set("AWS_ENDPOINT_URL", m.url.clone());
    let (alice, bob) = (credentials(&m.alice), credentials(&m.bob));
    assert_eq!(alice.len(), bob.len(), "the test needs same-size files");
    let path = sb.write(".aws/credentials", &alice);
    assert_eq!(arn_of(&sb, &v), m.alice.arn);
    assert_eq!(arn_of(&sb, &v), m.alice.arn);
    let before = std::fs::metadata(&path).unwrap();

    // Same inode, same size, and the old mtime put back: only the content (and ctime) differ.
    let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    std::fs::write(&path, &bob).unwrap();
    f.set_modified(before.modified().unwrap()).unwrap();
    let after = std::fs::metadata(&path).unwrap();
    assert_eq!(
        (
            before.ino(),
            before.size(),
            before.mtime(),
            before.mtime_nsec()
        ),
        (after.ino(), after.size(), after.mtime(), after.mtime_nsec())
    );
    assert_eq!(arn_of(&sb, &v), m.bob.arn);

    // And straight back, within the same second.
    std::fs::write(&path, &alice).unwrap();
    assert_eq!(arn_of(&sb, &v), m.alice.arn);
    std::fs::write(&path, &bob).unwrap();
    assert_eq!(arn_of(&sb, &v), m.bob.arn);
}

#[test]
fn warm_answers_come_from_the_cache() {
    let m = moto();
    let sb = Sandbox::new();
    let v = sb
        .vars()
        .set("AWS_ENDPOINT_URL", m.url.clone())
        .keys(&m.alice.access_key_id, &m.alice.secret_access_key);
    for _ in 0..5 {
        assert_eq!(arn_of(&sb, &v), m.alice.arn);
    }
    assert_eq!(sb.counter("lookups"), 1);
    assert_eq!(sb.counter("hits"), 4);
    // flush drops the cache: the next call asks STS again.
    sb.awsid(&["flush"], &v).ok();
    assert_eq!(arn_of(&sb, &v), m.alice.arn);
    assert_eq!(sb.counter("lookups"), 2);
}

#[test]
fn a_relative_config_path_means_the_shells_directory() {
    let m = moto();
    let sb = Sandbox::new();
    let v = sb
        .vars()
        .set("AWS_ENDPOINT_URL", m.url.clone())
        .set("AWS_SHARED_CREDENTIALS_FILE", "creds");
    let (a, b) = (sb.root.join("a"), sb.root.join("b"));
    for (dir, k) in [(&a, &m.alice), (&b, &m.bob)] {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("creds"), credentials(k)).unwrap();
    }
    for (dir, want) in [(&a, &m.alice.arn), (&b, &m.bob.arn), (&a, &m.alice.arn)] {
        let mut cmd = std::process::Command::new(awsid_tests::harness::awsid_bin());
        v.apply(&mut cmd);
        cmd.current_dir(dir)
            .args(["whoami", "--query", "Arn", "--output", "text"]);
        let out = awsid_tests::harness::run(cmd);
        assert_eq!(out.ok().trim_end(), want.as_str());
    }
}

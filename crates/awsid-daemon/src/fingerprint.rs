//! The credential fingerprint: a keyed hash over everything that can change the answer.
//!
//! Inputs, as the plan (`aws::chain`) lists them: the fingerprint variables the client sent
//! (secrets included: they decide the identity), or its whole environment when a program
//! answers, the working directory when a path is relative to it, the `--profile` override,
//! and the stat identity of every file that can change
//! the answer (dev, inode, size, mtime and ctime in ns). ctime catches a rewrite that restores
//! the old mtime. A file modified within [`RACY_WINDOW`] also has its content hashed, as git
//! does for "racy" index entries: two writes inside one timestamp tick would otherwise look
//! identical.
//!
//! The key is random per daemon process, so fingerprints reveal nothing about the secrets
//! that went into them, and nothing in the cache holds a secret in clear.

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Files changed this recently are hashed by content too.
pub const RACY_WINDOW: Duration = Duration::from_secs(2);
/// Larger files are never read for the racy check (their stat still counts).
const MAX_CONTENT_HASH: u64 = 1 << 20;

pub type Fingerprint = [u8; 32];

/// A per-process random key.
pub struct Key([u8; 32]);

impl Key {
    pub fn random() -> Key {
        let mut k = [0u8; 32];
        getrandom::fill(&mut k).expect("the OS random source is unavailable");
        Key(k)
    }
}

/// Everything a fingerprint is computed from.
pub struct Inputs<'a> {
    /// The variables that count, sorted by name: the fingerprint variables, or the whole
    /// environment when a program answers (the plan decides).
    pub vars: &'a BTreeMap<Vec<u8>, Vec<u8>>,
    /// The shell's working directory, when the answer depends on it.
    pub cwd: Option<&'a [u8]>,
    /// `whoami --profile`.
    pub profile_override: Option<&'a str>,
    /// `whoami` options that change the lookup (`--region`, `--endpoint-url`, …), by name.
    pub options: &'a [(&'a str, String)],
    pub files: &'a [PathBuf],
}

fn put(h: &mut blake3::Hasher, bytes: &[u8]) {
    h.update(&(bytes.len() as u64).to_le_bytes());
    h.update(bytes);
}

pub fn compute(key: &Key, inputs: &Inputs<'_>, now: SystemTime) -> Fingerprint {
    let mut h = blake3::Hasher::new_keyed(&key.0);
    put(&mut h, b"awsid fingerprint v1");
    for (name, value) in inputs.vars {
        put(&mut h, name);
        put(&mut h, value);
    }
    match inputs.cwd {
        Some(cwd) => {
            h.update(&[1]);
            put(&mut h, cwd);
        }
        None => {
            h.update(&[0]);
        }
    }
    match inputs.profile_override {
        Some(p) => {
            h.update(&[1]);
            put(&mut h, p.as_bytes());
        }
        None => {
            h.update(&[0]);
        }
    }
    h.update(&(inputs.options.len() as u64).to_le_bytes());
    for (name, value) in inputs.options {
        put(&mut h, name.as_bytes());
        put(&mut h, value.as_bytes());
    }
    for file in inputs.files {
        put(&mut h, file.as_os_str().as_encoded_bytes());
        file_state(&mut h, file, now);
    }
    *h.finalize().as_bytes()
}

/// Whether a file last modified at `mtime` is too recent to trust its stat alone.
pub fn is_racy(mtime: SystemTime, now: SystemTime) -> bool {
    match now.duration_since(mtime) {
        Ok(age) => age < RACY_WINDOW,
        Err(_) => true, // modified "in the future": clock skew, trust nothing
    }
}

fn file_state(h: &mut blake3::Hasher, path: &Path, now: SystemTime) {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            h.update(&[0]);
            put(h, format!("{:?}", e.kind()).as_bytes());
            return;
        }
    };
    h.update(&[1]);
    crate::filestat::FileStat::of(&meta).hash_into(h);
    let racy = meta.modified().map(|m| is_racy(m, now)).unwrap_or(true);
    if racy && meta.is_file() && meta.size() <= MAX_CONTENT_HASH {
        // Non-blocking: a FIFO swapped in since the stat must not block the daemon.
        use std::os::unix::fs::OpenOptionsExt;
        let opened = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(path)
            .ok()
            .filter(|f| f.metadata().is_ok_and(|m| m.is_file()));
        if let Some(mut f) = opened {
            let mut content = Vec::new();
            if f.by_ref()
                .take(MAX_CONTENT_HASH)
                .read_to_end(&mut content)
                .is_ok()
            {
                h.update(&[2]);
                put(h, &content);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<Vec<u8>, Vec<u8>> {
        pairs
            .iter()
            .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect()
    }

    fn fp(key: &Key, v: &BTreeMap<Vec<u8>, Vec<u8>>, files: &[PathBuf]) -> Fingerprint {
        compute(
            key,
            &Inputs {
                vars: v,
                cwd: None,
                profile_override: None,
                options: &[],
                files,
            },
            SystemTime::now(),
        )
    }

    #[test]
    fn every_variable_counts_and_keys_differ_per_process() {
        let k = Key::random();
        let a = vars(&[("AWS_PROFILE", "dev")]);
        let b = vars(&[("AWS_PROFILE", "prod")]);
        assert_ne!(fp(&k, &a, &[]), fp(&k, &b, &[]));
        assert_eq!(fp(&k, &a, &[]), fp(&k, &a, &[]));
        // Length prefixes: moving a byte between name and value changes the hash.
        assert_ne!(
            fp(&k, &vars(&[("AWS_A", "BC")]), &[]),
            fp(&k, &vars(&[("AWS_AB", "C")]), &[])
        );
        assert_ne!(fp(&k, &a, &[]), fp(&Key::random(), &a, &[]));
    }

    #[test]
    fn the_working_directory_counts_only_when_given() {
        let k = Key::random();
        let v = vars(&[("AWS_PROFILE", "p")]);
        let with = |cwd: Option<&[u8]>| {
            compute(
                &k,
                &Inputs {
                    vars: &v,
                    cwd,
                    profile_override: None,
                    options: &[],
                    files: &[],
                },
                SystemTime::now(),
            )
        };
        assert_ne!(with(Some(b"/a")), with(Some(b"/b")));
        assert_ne!(with(None), with(Some(b"")));
        assert_eq!(with(Some(b"/a")), with(Some(b"/a")));
    }

    #[test]
    fn same_size_rewrite_with_restored_mtime_changes_the_fingerprint() {
        let dir = std::env::temp_dir().join(format!("awsid-fp-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("credentials");
        std::fs::write(&file, "key=AAAA").unwrap();
        let k = Key::random();
        let files = vec![file.clone()];
        let v = vars(&[]);
        let before = fp(&k, &v, &files);
        let mtime = std::fs::metadata(&file).unwrap().modified().unwrap();
        std::fs::write(&file, "key=BBBB").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&file)
            .unwrap()
            .set_modified(mtime)
            .unwrap();
        assert_ne!(before, fp(&k, &v, &files));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn racy_window() {
        let now = SystemTime::now();
        assert!(is_racy(now, now));
        assert!(is_racy(now + Duration::from_secs(60), now));
        assert!(!is_racy(now - Duration::from_secs(10), now));
    }
}

//! Helpers shared by the integration tests: the oracles (python3, botocore, the aws CLI) and a
//! small deterministic generator.
#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Stdio};

/// Is the oracle usable? If not, skip the test with a message, unless AWSID_REQUIRE_SHELLS=1
/// (CI), where a missing oracle is a failure.
pub fn oracle_available(what: &str, probe: &[&str]) -> bool {
    let ok = Command::new(probe[0])
        .args(&probe[1..])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        if std::env::var("AWSID_REQUIRE_SHELLS").as_deref() == Ok("1") {
            panic!("{what} is required (AWSID_REQUIRE_SHELLS=1) but not usable");
        }
        eprintln!("SKIPPED: {what} is not available");
    }
    ok
}

pub fn python_available() -> bool {
    oracle_available("python3", &["python3", "-c", "import shlex, json"])
}

pub fn botocore_available() -> bool {
    oracle_available(
        "botocore",
        &["python3", "-c", "import botocore.credentials"],
    )
}

pub fn aws_cli_available() -> bool {
    oracle_available("aws CLI", &["aws", "--version"])
}

/// Run a Python program with `input` on stdin; its stdout.
pub fn python(program: &str, input: &str) -> String {
    let mut child = Command::new("python3")
        .args(["-c", program])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 starts");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("python3 runs");
    writer.join().unwrap().unwrap();
    assert!(out.status.success(), "python failed");
    String::from_utf8(out.stdout).unwrap()
}

/// xorshift64*: deterministic, no dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    /// A string of up to `max` pieces drawn from `alphabet`.
    pub fn string(&mut self, alphabet: &[&str], max: usize) -> String {
        let n = self.below(max + 1);
        (0..n).map(|_| *self.pick(alphabet)).collect()
    }
}

//! A mutation fuzzer for what arrives on the socket, runnable on the stable toolchain.
//!
//! Seeds from `tests/fuzz/corpus/` (kept in the repository; `AWSID_FUZZ_WRITE_SEEDS=1`
//! regenerates them) are mutated (bit flips, random bytes, inserts, deletes, duplicated
//! ranges, splices, truncation, interesting length fields and varint prefixes) and fed to:
//! - the frame decoder and message decoder, in process (fast: many executions per second);
//! - a real daemon over its socket (slow: frames, text requests and request handling), which
//!   must keep answering a healthy client.
//!
//! Not coverage-guided (stable Rust); the coverage-guided targets (cargo-fuzz, nightly) are in
//! `fuzz/`. This is a plain random mutation fuzzer with a fixed seed per run (printed, and settable with AWSID_FUZZ_SEED). CI runs a
//! smoke run; `AWSID_FUZZ_SECS=600 cargo test -p awsid-tests --test fuzz -- --nocapture`
//! runs longer. A crashing input is written to `target/fuzz-crashes/`.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use awsid_proto::msg::{
    Answered, CallerIdentity, PromptRequest, Reply, Request, Response, Shell, Status, WhoamiAnswer,
    WhoamiReply, WhoamiRequest,
};
use awsid_proto::{codec, frame, runtime};
use awsid_tests::fake_sts::FakeSts;
use awsid_tests::harness::Sandbox;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus")
}

fn framed(payload: &[u8]) -> Vec<u8> {
    let mut v = frame::encode_header(payload.len()).to_vec();
    v.extend_from_slice(payload);
    v
}

/// The seeds: every request kind, replies, text requests, and some garbage.
fn seeds() -> Vec<(String, Vec<u8>)> {
    let env = vec![
        (b"AWS_PROFILE".to_vec(), b"dev".to_vec()),
        (
            b"AWS_ACCESS_KEY_ID".to_vec(),
            b"AKIAFUZZ000000000001".to_vec(),
        ),
        (b"HOME".to_vec(), b"/nonexistent-fuzz-home".to_vec()),
        (b"AWS_EC2_METADATA_DISABLED".to_vec(), b"true".to_vec()),
    ];
    let whoami = Request::Whoami(WhoamiRequest {
        env: env.clone(),
        full_env: false,
        cwd: None,
        profile: Some("dev".into()),
        output: Some("table".into()),
        query: Some("Account".into()),
        term_width: Some(80),
        timeout_ms: 50,
    });
    let prompt = Request::Prompt(PromptRequest {
        hook_pid: Some(424242),
        env,
        full_env: false,
        cwd: None,
        shell: Shell::Zsh,
        budget_ms: 10,
    });
    let reply = Response::new(Reply::Whoami(WhoamiAnswer {
        printed: WhoamiReply {
            stdout: "{}\n".into(),
            stderr: String::new(),
            exit_code: 0,
            failure: None,
        },
        identity: Some(CallerIdentity {
            account: "111122223333".into(),
            arn: "arn:aws:iam::111122223333:user/a".into(),
            user_id: "AIDA".into(),
        }),
        answered: Answered::Cache,
    }));
    let status = Response::new(Reply::Status(Status::default()));
    vec![
        ("whoami".into(), framed(&codec::encode(&whoami))),
        ("prompt".into(), framed(&codec::encode(&prompt))),
        ("status".into(), framed(&codec::encode(&Request::Status))),
        ("flush".into(), framed(&codec::encode(&Request::Flush))),
        ("reply".into(), framed(&codec::encode(&reply))),
        ("status-reply".into(), framed(&codec::encode(&status))),
        (
            "text".into(),
            b"AWTX2\x00zsh\x00100\x00424242\x00AWS_PROFILE=dev\x00HOME=/nonexistent-fuzz-home\x00\x00"
                .to_vec(),
        ),
        ("http".into(), b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec()),
    ]
}

fn load_corpus() -> Vec<Vec<u8>> {
    let dir = corpus_dir();
    if std::env::var_os("AWSID_FUZZ_WRITE_SEEDS").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        for (name, bytes) in seeds() {
            std::fs::write(dir.join(format!("{name}.bin")), bytes).unwrap();
        }
    }
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    let corpus: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
    assert!(
        corpus.len() >= 8,
        "the corpus in {} is missing",
        dir.display()
    );
    corpus
}

fn mutate(rng: &mut Rng, corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut d = corpus[rng.below(corpus.len())].clone();
    for _ in 0..=rng.below(4) {
        let len = d.len();
        match rng.below(9) {
            0 if len > 0 => {
                let i = rng.below(len);
                d[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                d[i] = rng.next() as u8;
            }
            2 => {
                let i = rng.below(len + 1);
                let n = 1 + rng.below(16);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                d.splice(i..i, bytes);
            }
            3 if len > 0 => {
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(32));
                d.drain(i..i + n);
            }
            4 if len > 0 => {
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(64));
                let chunk = d[i..i + n].to_vec();
                let at = rng.below(d.len() + 1);
                d.splice(at..at, chunk);
            }
            5 => {
                let other = &corpus[rng.below(corpus.len())];
                let cut = rng.below(d.len() + 1);
                let from = rng.below(other.len() + 1);
                d.truncate(cut);
                d.extend_from_slice(&other[from..]);
            }
            6 if len > 0 => d.truncate(rng.below(len)),
            7 if len >= frame::HEADER_LEN => {
                let interesting = [
                    0u32,
                    1,
                    255,
                    65_535,
                    frame::MAX_FRAME,
                    frame::MAX_FRAME + 1,
                    u32::MAX,
                ];
                let v = interesting[rng.below(interesting.len())];
                d[6..10].copy_from_slice(&v.to_le_bytes());
            }
            8 if len > frame::HEADER_LEN => {
                // Varint prefixes (bincode lengths): 251 = u16, 252 = u32, 253 = u64 follow.
                let i = frame::HEADER_LEN + rng.below(len - frame::HEADER_LEN);
                d[i] = [250u8, 251, 252, 253, 254, 255][rng.below(6)];
            }
            _ => {}
        }
    }
    d
}

/// The in-process target: header, then both message types. Must never panic.
fn decode_target(data: &[u8]) {
    if data.len() < frame::HEADER_LEN {
        let _ = frame::read_frame(&mut &data[..]);
        return;
    }
    let mut h = [0u8; frame::HEADER_LEN];
    h.copy_from_slice(&data[..frame::HEADER_LEN]);
    let _ = frame::parse_header(&h);
    let _ = frame::read_frame(&mut &data[..]);
    let payload = &data[frame::HEADER_LEN..];
    let _ = codec::decode::<Request>(payload);
    let _ = codec::decode::<Response>(payload);
}

fn fuzz_secs(default: f64) -> f64 {
    std::env::var("AWSID_FUZZ_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn seed() -> u64 {
    std::env::var("AWSID_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        })
}

fn save_crash(data: &[u8]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/fuzz-crashes");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(format!("crash-{}.bin", blake_ish(data)));
    std::fs::write(&p, data).unwrap();
    p
}

fn blake_ish(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
    })
}

#[test]
fn corpus_matches_the_current_encoding() {
    // A seed that no longer decodes would make the fuzzer start from garbage only.
    let dir = corpus_dir();
    for (name, bytes) in seeds() {
        let stored = std::fs::read(dir.join(format!("{name}.bin"))).unwrap();
        assert_eq!(
            stored, bytes,
            "seed {name} is stale: run with AWSID_FUZZ_WRITE_SEEDS=1"
        );
    }
}

#[test]
fn fuzz_decoders_in_process() {
    let corpus = load_corpus();
    let seed = seed();
    let mut rng = Rng(seed);
    let secs = fuzz_secs(3.0);
    let start = Instant::now();
    let mut execs = 0u64;
    while start.elapsed().as_secs_f64() < secs {
        let data = mutate(&mut rng, &corpus);
        if std::panic::catch_unwind(|| decode_target(&data)).is_err() {
            panic!(
                "decoder panicked; input saved to {}",
                save_crash(&data).display()
            );
        }
        execs += 1;
    }
    eprintln!(
        "fuzz (decoders): {execs} executions in {:.1} s, 0 crashes, seed {seed}",
        start.elapsed().as_secs_f64()
    );
    assert!(execs > 1000);
}

/// Whether any complete frame in `data` (the daemon serves several per connection) is a
/// well-formed Shutdown request.
fn asks_shutdown(mut data: &[u8]) -> bool {
    while data.len() >= frame::HEADER_LEN {
        let mut h = [0u8; frame::HEADER_LEN];
        h.copy_from_slice(&data[..frame::HEADER_LEN]);
        let Ok(header) = frame::check_header(&h) else {
            return false;
        };
        let end = frame::HEADER_LEN + header.len as usize;
        if data.len() < end {
            return false;
        }
        match codec::decode::<Request>(&data[frame::HEADER_LEN..end]) {
            Ok(Request::Shutdown) => return true,
            Ok(_) => data = &data[end..],
            Err(_) => return false,
        }
    }
    false
}

/// Sends one input, reads until the daemon closes or goes quiet.
fn throw(sock: &std::path::Path, data: &[u8]) {
    let Ok(mut s) = UnixStream::connect(sock) else {
        return;
    };
    let _ = s.set_read_timeout(Some(Duration::from_millis(300)));
    let _ = s.write_all(data);
    let _ = s.shutdown(std::net::Shutdown::Write);
    let mut buf = [0u8; 4096];
    while let Ok(n) = s.read(&mut buf) {
        if n == 0 {
            break;
        }
    }
}

fn healthy(sock: &std::path::Path) -> bool {
    let Ok(mut s) = UnixStream::connect(sock) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    if frame::write_frame(&mut s, &codec::encode(&Request::Status)).is_err() {
        return false;
    }
    match frame::read_frame(&mut s).map(|p| codec::decode::<Response>(&p)) {
        Ok(Ok(r)) => matches!(r.body, Reply::Status(_)),
        _ => false,
    }
}

#[test]
fn fuzz_a_real_daemon_over_its_socket() {
    let corpus = load_corpus();
    let sts = FakeSts::start();
    let sb = Sandbox::new();
    // Random requests may ask for resolutions with random environments: the resolver is
    // replaced by /bin/false, so none of them can reach any network.
    let v = sb
        .vars()
        .set("AWS_ENDPOINT_URL", sts.url())
        .set("AWSID_RESOLVER", "/bin/false");
    sb.awsid(&["daemon", "start"], &v).ok();
    let sock = sb.runtime.join(runtime::SOCKET_NAME);
    let pid: i32 = sb.status()["pid"].parse().unwrap();
    let seed = seed();
    eprintln!("fuzz (daemon socket): seed {seed}");
    let mut rng = Rng(seed);
    let secs = fuzz_secs(4.0);
    let start = Instant::now();
    let mut execs = 0u64;
    let mut shutdowns = 0u64;
    while start.elapsed().as_secs_f64() < secs {
        let data = mutate(&mut rng, &corpus);
        // A well-formed Shutdown is a legitimate request (the owner may stop its daemon):
        // the fuzzer does not send those.
        if asks_shutdown(&data) {
            shutdowns += 1;
            continue;
        }
        throw(&sock, &data);
        execs += 1;
        if execs.is_multiple_of(50) && !healthy(&sock) {
            panic!(
                "the daemon stopped answering; last input saved to {}",
                save_crash(&data).display()
            );
        }
    }
    assert!(healthy(&sock), "the daemon stopped answering");
    assert_eq!(sts.total_calls(), 0, "a random request reached STS");
    assert_eq!(
        sb.status()["pid"].parse::<i32>().unwrap(),
        pid,
        "the daemon restarted"
    );
    eprintln!(
        "fuzz (daemon socket): {execs} inputs in {:.1} s, daemon alive, seed {seed} \
         ({shutdowns} well-formed Shutdown requests not sent)",
        start.elapsed().as_secs_f64()
    );
}

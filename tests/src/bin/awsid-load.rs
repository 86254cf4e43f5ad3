//! Load generator for bench/run.py: many concurrent clients over the daemon's socket, without
//! a process per request.
//!
//! awsid-load warm SOCKET CLIENTS SECONDS
//!     CLIENTS threads, each on its own connection, sending this process's fingerprint
//!     variables as `whoami` requests back to back for SECONDS; prints requests per second.
//! awsid-load fingerprints SOCKET COUNT CONCURRENCY
//!     COUNT whoami requests with distinct AWS_ACCESS_KEY_IDs (each a miss, resolved with the
//!     whole environment, as the client does); prints how many got an identity.

use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use awsid_proto::client::{ask_with_env, unexpected, Client, Connection};
use awsid_proto::envvars::is_fingerprint_var;
use awsid_proto::msg::{Answer, Env, Reply, Request, WhoamiRequest};

fn env(full: bool, key: Option<&str>) -> Env {
    let mut env: Env = std::env::vars_os()
        .filter(|(k, _)| full || is_fingerprint_var(k.as_bytes()))
        .filter(|(k, _)| key.is_none() || k.as_bytes() != b"AWS_ACCESS_KEY_ID")
        .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
        .collect();
    if let Some(key) = key {
        env.push((b"AWS_ACCESS_KEY_ID".to_vec(), key.as_bytes().to_vec()));
    }
    env
}

fn whoami(env: Env) -> Request {
    Request::Whoami(WhoamiRequest {
        env,
        full_env: false,
        cwd: None,
        profile: None,
        output: None,
        query: Some("Account".into()),
        term_width: None,
        timeout_ms: 60_000,
    })
}

fn client(socket: &str) -> Client {
    let mut c = Client::new(PathBuf::from(socket));
    c.read_timeout = Duration::from_secs(90);
    c
}

/// One request on an open connection, and the miss protocol's second one when needed.
fn ask(conn: &mut Connection, req: Request, key: Option<&str>) -> Option<Reply> {
    ask_with_env(
        req,
        || env(true, key),
        |r| match conn.exchange(r)? {
            Answer::Ours(resp) => Ok(resp.body),
            Answer::OtherVersion(v) => Err(unexpected(Reply::Error(format!("awsidd {v}")))),
        },
    )
    .ok()
}

fn identified(reply: Option<Reply>) -> bool {
    matches!(reply, Some(Reply::Whoami(w)) if w.identity.is_some())
}

fn warm(socket: &str, clients: usize, seconds: f64) {
    let req = whoami(env(false, None));
    let done = AtomicU64::new(0);
    let errors = AtomicU64::new(0);
    let until = Instant::now() + Duration::from_secs_f64(seconds);
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..clients {
            s.spawn(|| {
                let Ok(mut c) = client(socket).connect() else {
                    errors.fetch_add(1, Ordering::Relaxed);
                    return;
                };
                while Instant::now() < until {
                    if identified(ask(&mut c, req.clone(), None)) {
                        done.fetch_add(1, Ordering::Relaxed);
                    } else {
                        errors.fetch_add(1, Ordering::Relaxed);
                        return;
                    }
                }
            });
        }
    });
    let secs = start.elapsed().as_secs_f64();
    let n = done.load(Ordering::Relaxed);
    println!(
        "requests {n} seconds {secs:.2} per_second {:.0} errors {}",
        n as f64 / secs,
        errors.load(Ordering::Relaxed)
    );
}

fn fingerprints(socket: &str, count: usize, concurrency: usize) {
    let next = AtomicU64::new(0);
    let ok = AtomicU64::new(0);
    std::thread::scope(|s| {
        for _ in 0..concurrency {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                if i >= count {
                    return;
                }
                let key = format!("AKIALOAD{i:012}");
                let Ok(mut c) = client(socket).connect() else {
                    continue;
                };
                let req = whoami(env(false, Some(&key)));
                if identified(ask(&mut c, req, Some(&key))) {
                    ok.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    println!(
        "fingerprints {count} identities {}",
        ok.load(Ordering::Relaxed)
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let num = |i: usize| -> f64 {
        args.get(i)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("usage: see the source of awsid-load"))
    };
    match args.get(1).map(String::as_str) {
        Some("warm") => warm(&args[2], num(3) as usize, num(4)),
        Some("fingerprints") => fingerprints(&args[2], num(3) as usize, num(4) as usize),
        _ => {
            eprintln!("usage: awsid-load warm SOCKET CLIENTS SECONDS | fingerprints SOCKET COUNT CONCURRENCY");
            std::process::exit(2);
        }
    }
}

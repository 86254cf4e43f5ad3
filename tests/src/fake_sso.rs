//! A fake of the AWS IAM Identity Center (SSO) portal, for SSO profiles in tests: moto has
//! no SSO portal.
//!
//! Plain HTTP/1.1 over std threads, one request per connection, on 127.0.0.1. It answers
//! * `GET /federation/credentials?role_name=R&account_id=A` (GetRoleCredentials) with keys
//!   whose access key id is [`ACCESS_KEY_ID`] (any STS fake or moto key the test picks);
//! * `GET /assignment/accounts` (ListAccounts) with the accounts it was given, or a 403
//!   `ForbiddenException` when built with [`FakeSso::refusing_list`].
//!
//! Both want the header `x-amz-sso_bearer_token` equal to [`TOKEN`] (else 401
//! `UnauthorizedException`). Calls are counted per operation, whatever their answer.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The access token the portal accepts (the test writes it in the SSO cache file).
pub const TOKEN: &str = "fake-sso-access-token";

/// A running fake portal; stops accepting when dropped.
pub struct FakeSso {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

struct Shared {
    stop: AtomicBool,
    refuse_list: bool,
    /// (account id, account name) answered by ListAccounts.
    accounts: Vec<(String, String)>,
    /// (access key id, secret) answered by GetRoleCredentials.
    keys: (String, String),
    calls: Mutex<HashMap<&'static str, usize>>,
}

impl FakeSso {
    /// A portal that lists `accounts` and hands out `keys`.
    pub fn start(accounts: &[(&str, &str)], keys: (&str, &str)) -> FakeSso {
        FakeSso::new(accounts, keys, false)
    }

    /// A portal that hands out `keys` but refuses ListAccounts (403).
    pub fn refusing_list(keys: (&str, &str)) -> FakeSso {
        FakeSso::new(&[], keys, true)
    }

    fn new(accounts: &[(&str, &str)], keys: (&str, &str), refuse_list: bool) -> FakeSso {
        let listener = TcpListener::bind("127.0.0.1:0").expect("fake SSO: bind");
        let addr = listener.local_addr().expect("fake SSO: local_addr");
        listener
            .set_nonblocking(true)
            .expect("fake SSO: nonblocking");
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            refuse_list,
            accounts: accounts
                .iter()
                .map(|(a, n)| (a.to_string(), n.to_string()))
                .collect(),
            keys: (keys.0.to_string(), keys.1.to_string()),
            calls: Mutex::new(HashMap::new()),
        });
        let s = Arc::clone(&shared);
        std::thread::spawn(move || {
            while !s.stop.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((conn, _)) => {
                        let s = Arc::clone(&s);
                        std::thread::spawn(move || serve(conn, &s));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        FakeSso { addr, shared }
    }

    /// The portal's URL (for `AWS_ENDPOINT_URL_SSO`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How many calls of `operation` (`GetRoleCredentials`, `ListAccounts`) were made.
    pub fn calls(&self, operation: &str) -> usize {
        let calls = self.shared.calls.lock().unwrap_or_else(|e| e.into_inner());
        calls.get(operation).copied().unwrap_or(0)
    }
}

impl Drop for FakeSso {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
    }
}

fn serve(mut conn: TcpStream, s: &Shared) {
    let _ = conn.set_nonblocking(false);
    let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
        if head.len() > 64 * 1024 {
            return;
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let target = head.split_whitespace().nth(1).unwrap_or("").to_string();
    let token_ok = head.lines().any(|l| {
        l.split_once(':').is_some_and(|(k, v)| {
            k.trim().eq_ignore_ascii_case("x-amz-sso_bearer_token") && v.trim() == TOKEN
        })
    });
    let path = target.split('?').next().unwrap_or("");
    let operation = match path {
        "/federation/credentials" => "GetRoleCredentials",
        "/assignment/accounts" => "ListAccounts",
        _ => "Other",
    };
    *s.calls
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(operation)
        .or_insert(0) += 1;
    let error = |status: &str, kind: &str| {
        (
            status.to_string(),
            format!("{{\"message\":\"fake SSO portal: {kind}\"}}"),
            kind.to_string(),
        )
    };
    let (status, body, kind) = if !token_ok {
        error("401 Unauthorized", "UnauthorizedException")
    } else if operation == "GetRoleCredentials" {
        let expires_ms = (std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 3600)
            * 1000;
        let body = format!(
            "{{\"roleCredentials\":{{\"accessKeyId\":\"{}\",\"secretAccessKey\":\"{}\",\
             \"sessionToken\":\"fake-sso-session\",\"expiration\":{expires_ms}}}}}",
            s.keys.0, s.keys.1
        );
        ("200 OK".to_string(), body, String::new())
    } else if operation == "ListAccounts" && s.refuse_list {
        error("403 Forbidden", "ForbiddenException")
    } else if operation == "ListAccounts" {
        let list: Vec<String> = s
            .accounts
            .iter()
            .map(|(a, n)| {
                format!(
                    "{{\"accountId\":\"{a}\",\"accountName\":\"{n}\",\
                     \"emailAddress\":\"root@example.com\"}}"
                )
            })
            .collect();
        let body = format!("{{\"accountList\":[{}]}}", list.join(","));
        ("200 OK".to_string(), body, String::new())
    } else {
        error("404 Not Found", "ResourceNotFoundException")
    };
    let mut response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n",
        body.len()
    );
    if !kind.is_empty() {
        response.push_str(&format!("x-amzn-ErrorType: {kind}\r\n"));
    }
    response.push_str("\r\n");
    response.push_str(&body);
    let _ = conn.write_all(response.as_bytes());
    let _ = conn.flush();
}

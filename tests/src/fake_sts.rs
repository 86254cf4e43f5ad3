//! A fault-injecting fake of the AWS STS `GetCallerIdentity` endpoint.
//!
//! Plain HTTP/1.1 over std threads: one accept thread, one thread per
//! connection, keep-alive supported. The behaviour of each call is chosen by
//! markers inside the access key id taken from the SigV4 `Credential=`:
//!
//! | marker      | behaviour                                                       |
//! |-------------|-----------------------------------------------------------------|
//! | `HANG`      | read the request, answer nothing, hold the connection (≤ 60 s)  |
//! | `RESET`     | read the request, close with a TCP RST                          |
//! | `SLOW`      | sleep 300 ms, then continue with the remaining markers          |
//! | `EXPIRED`   | 400 `ExpiredToken`                                              |
//! | `INVALID`   | 403 `InvalidClientTokenId`                                      |
//! | `THROTTLE`  | 400 `Throttling`                                                |
//! | `SERVERERR` | 500 `InternalFailure` (Type `Receiver`)                         |
//! | `HOSTILEERR`| 403 `InvalidClientTokenId` whose message holds escape sequences |
//! | `HOSTILE`   | 200 success whose Arn holds escape sequences (as XML references)|
//! | otherwise   | 200 success, account `111122223333`                             |
//!
//! `GET /container-credentials/KEY` serves container credentials (as
//! `AWS_CONTAINER_CREDENTIALS_FULL_URI` expects) for access key id KEY.
//!
//! Markers are matched case-sensitively, in the order of the table. Every
//! `GetCallerIdentity` request is counted per access key id, whatever its
//! outcome. A request that is not `GetCallerIdentity` gets 400
//! `InvalidAction` and is not counted; one without any credential gets 403
//! `MissingAuthenticationToken` and is counted under the empty key id.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// `GET {CONTAINER_PATH}KEY` answers container credentials for access key id KEY.
pub const CONTAINER_PATH: &str = "/container-credentials/";
const CONTAINER_SECRET: &str = "containersecretcontainersecretcontainers";

/// Account every successful identity belongs to.
pub const ACCOUNT: &str = "111122223333";

const XMLNS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
/// How often blocked reads wake up to look at the stop flag.
const POLL: Duration = Duration::from_millis(50);
/// Longest a connection may sit idle, or a `HANG` request be held.
const MAX_HOLD: Duration = Duration::from_secs(60);
const SLOW_DELAY: Duration = Duration::from_millis(300);
const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: usize = 1024 * 1024;

/// A running fake STS; stops accepting when dropped.
pub struct FakeSts {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

struct Shared {
    stop: AtomicBool,
    calls: Mutex<HashMap<String, usize>>,
    /// GetCallerIdentity requests being answered now, and the most ever at once.
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    /// Requests for other actions (answered `InvalidAction`), by action.
    other_actions: Mutex<HashMap<String, usize>>,
    request_seq: AtomicU64,
}

impl Shared {
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Counts a call; returns how many calls this key has made, this one included.
    fn count(&self, key: &str) -> usize {
        let mut calls = self.calls.lock().unwrap_or_else(|e| e.into_inner());
        let n = calls.entry(key.to_owned()).or_insert(0);
        *n += 1;
        *n
    }

    /// A fresh UUID-shaped request id (not random, just unique enough).
    fn request_id(&self) -> String {
        let seq = self.request_seq.fetch_add(1, Ordering::Relaxed);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let a = mix(seq ^ nanos.rotate_left(17) ^ u64::from(std::process::id()));
        let b = mix(a ^ seq.wrapping_add(0x5851_f42d_4c95_7f2d));
        format!(
            "{:08x}-{:04x}-4{:03x}-{:x}{:03x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            8 + (b >> 62),
            (b >> 48) & 0xfff,
            b & 0xffff_ffff_ffff
        )
    }
}

/// SplitMix64 finaliser.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl FakeSts {
    /// Binds 127.0.0.1 on a free port and starts serving in the background.
    pub fn start() -> FakeSts {
        let listener = TcpListener::bind("127.0.0.1:0").expect("fake STS: bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("fake STS: local_addr");
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            calls: Mutex::new(HashMap::new()),
            other_actions: Mutex::new(HashMap::new()),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            request_seq: AtomicU64::new(0),
        });
        let acceptor = {
            let shared = Arc::clone(&shared);
            thread::Builder::new()
                .name("fake-sts-accept".into())
                .spawn(move || accept_loop(listener, shared))
                .expect("fake STS: spawn accept thread")
        };
        FakeSts {
            addr,
            shared,
            acceptor: Some(acceptor),
        }
    }

    /// A URL serving container credentials for `access_key_id`.
    pub fn container_url(&self, access_key_id: &str) -> String {
        format!("http://{}{CONTAINER_PATH}{access_key_id}", self.addr)
    }

    /// Base URL, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `GetCallerIdentity` requests seen signed with `access_key_id`.
    pub fn calls(&self, access_key_id: &str) -> usize {
        let calls = self.shared.calls.lock().unwrap_or_else(|e| e.into_inner());
        calls.get(access_key_id).copied().unwrap_or(0)
    }

    /// The most GetCallerIdentity requests that were ever being answered at once.
    pub fn max_in_flight(&self) -> usize {
        self.shared.max_in_flight.load(Ordering::SeqCst)
    }

    /// Requests for another action (e.g. `ListAccountAliases`), all answered `InvalidAction`.
    pub fn action_calls(&self, action: &str) -> usize {
        let calls = self
            .shared
            .other_actions
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        calls.get(action).copied().unwrap_or(0)
    }

    /// `GetCallerIdentity` requests seen, all keys together.
    pub fn total_calls(&self) -> usize {
        let calls = self.shared.calls.lock().unwrap_or_else(|e| e.into_inner());
        calls.values().sum()
    }
}

impl Drop for FakeSts {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept() so it sees the flag.
        let woke = TcpStream::connect_timeout(&self.addr, Duration::from_secs(2)).is_ok();
        if let Some(acceptor) = self.acceptor.take() {
            // Without the wake-up the accept thread might block forever; then
            // leave it detached rather than hang the test.
            if woke || acceptor.is_finished() {
                let _ = acceptor.join();
            }
        }
        // Connection threads notice the flag within POLL and close.
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for conn in listener.incoming() {
        if shared.stopped() {
            break;
        }
        match conn {
            Ok(stream) => {
                let shared = Arc::clone(&shared);
                let spawned =
                    thread::Builder::new()
                        .name("fake-sts-conn".into())
                        .spawn(move || {
                            let _ = Conn::new(stream, shared).and_then(|mut c| c.serve());
                        });
                if spawned.is_err() {
                    thread::sleep(POLL);
                }
            }
            // e.g. EMFILE: back off instead of spinning.
            Err(_) => thread::sleep(POLL),
        }
    }
}

struct Request {
    method: String,
    target: String,
    http10: bool,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn has_token(&self, name: &str, token: &str) -> bool {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }

    fn keep_alive(&self) -> bool {
        if self.http10 {
            self.has_token("connection", "keep-alive")
        } else {
            !self.has_token("connection", "close")
        }
    }

    /// Form parameters from the query string and, for form bodies, the body.
    fn params(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Some((_, query)) = self.target.split_once('?') {
            out.extend(parse_form(query));
        }
        if self.method.eq_ignore_ascii_case("POST") {
            out.extend(parse_form(&String::from_utf8_lossy(&self.body)));
        }
        out
    }

    /// The access key id: SigV4 `Authorization` header first, then a
    /// presigned `X-Amz-Credential` query parameter.
    fn access_key_id(&self, params: &[(String, String)]) -> Option<String> {
        if let Some(auth) = self.header("authorization") {
            if let Some(idx) = auth.find("Credential=") {
                let rest = &auth[idx + "Credential=".len()..];
                let end = rest.find(['/', ',', ' ']).unwrap_or(rest.len());
                return Some(rest[..end].to_owned());
            }
        }
        params
            .iter()
            .find(|(k, _)| k == "X-Amz-Credential")
            .map(|(_, v)| v.split('/').next().unwrap_or_default().to_owned())
    }
}

enum Outcome {
    Success,
    Error {
        status: u16,
        code: &'static str,
        message: String,
    },
    Hang,
    Reset,
}

fn error(status: u16, code: &'static str, message: impl Into<String>) -> Outcome {
    Outcome::Error {
        status,
        code,
        message: message.into(),
    }
}

/// Decrements the in-flight count when a request's handling ends.
struct InFlight(Arc<Shared>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

fn outcome_for(key: &str, nth: usize) -> Outcome {
    // FLAKY: the first call succeeds, every later one is reset (a refresh that fails).
    if key.contains("FLAKY") && nth > 1 {
        return Outcome::Reset;
    }
    if key.contains("HANG") {
        return Outcome::Hang;
    }
    if key.contains("RESET") {
        return Outcome::Reset;
    }
    if key.contains("SLOW") {
        thread::sleep(SLOW_DELAY);
    }
    if key.contains("HOSTILEERR") {
        return error(403, "InvalidClientTokenId", HOSTILE_TEXT);
    }
    if key.contains("EXPIRED") {
        error(
            400,
            "ExpiredToken",
            "The security token included in the request is expired",
        )
    } else if key.contains("INVALID") {
        error(
            403,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        )
    } else if key.contains("THROTTLE") {
        error(400, "Throttling", "Rate exceeded")
    } else if key.contains("SERVERERR") {
        error(500, "InternalFailure", "An internal error occurred")
    } else {
        Outcome::Success
    }
}

/// Why reading stopped without a complete request.
enum ReadEnd {
    /// Peer closed, idle too long, or the server is stopping.
    Closed,
    /// Unparseable request: answer 400 and close.
    Bad(&'static str),
}

impl From<io::Error> for ReadEnd {
    fn from(_: io::Error) -> Self {
        ReadEnd::Closed
    }
}

struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    shared: Arc<Shared>,
}

impl Conn {
    fn new(stream: TcpStream, shared: Arc<Shared>) -> io::Result<Conn> {
        stream.set_nonblocking(false)?;
        stream.set_read_timeout(Some(POLL))?;
        stream.set_write_timeout(Some(Duration::from_secs(10)))?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            buf: Vec::new(),
            shared,
        })
    }

    fn serve(&mut self) -> io::Result<()> {
        loop {
            let req = match self.read_request() {
                Ok(req) => req,
                Err(ReadEnd::Closed) => return Ok(()),
                Err(ReadEnd::Bad(why)) => {
                    let id = self.shared.request_id();
                    let body = error_body("Sender", "InvalidRequest", why, &id);
                    self.respond(400, &id, &body, false)?;
                    return Ok(());
                }
            };
            let keep_alive = req.keep_alive();
            let id = self.shared.request_id();
            // Container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI): the key is the path.
            if let Some(key) = req.target.strip_prefix(CONTAINER_PATH) {
                let body = format!(
                    "{{\"AccessKeyId\":\"{key}\",\"SecretAccessKey\":\"{CONTAINER_SECRET}\",\
                     \"Token\":\"container-token\",\"Expiration\":\"2099-01-01T00:00:00Z\"}}"
                );
                self.respond(200, &id, &body, keep_alive)?;
                if !keep_alive {
                    return Ok(());
                }
                continue;
            }
            let params = req.params();
            let action = params
                .iter()
                .find(|(k, _)| k == "Action")
                .map(|(_, v)| v.as_str());
            if action != Some("GetCallerIdentity") {
                *self
                    .shared
                    .other_actions
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .entry(action.unwrap_or("").to_owned())
                    .or_insert(0) += 1;
                let message = format!(
                    "Could not find operation {} for version 2011-06-15",
                    action.unwrap_or("")
                );
                let body = error_body("Sender", "InvalidAction", &message, &id);
                self.respond(400, &id, &body, keep_alive)?;
            } else {
                let key = req.access_key_id(&params);
                let nth = self.shared.count(key.as_deref().unwrap_or(""));
                let now = self.shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                self.shared.max_in_flight.fetch_max(now, Ordering::SeqCst);
                let _done = InFlight(Arc::clone(&self.shared));
                let outcome = match &key {
                    Some(key) => outcome_for(key, nth),
                    None => error(
                        403,
                        "MissingAuthenticationToken",
                        "Request is missing Authentication Token",
                    ),
                };
                match outcome {
                    Outcome::Success => {
                        let body = success_body(key.as_deref().unwrap_or(""), &id);
                        self.respond(200, &id, &body, keep_alive)?;
                    }
                    Outcome::Error {
                        status,
                        code,
                        message,
                    } => {
                        let kind = if status >= 500 { "Receiver" } else { "Sender" };
                        let body = error_body(kind, code, &message, &id);
                        self.respond(status, &id, &body, keep_alive)?;
                    }
                    Outcome::Hang => {
                        self.hold();
                        return Ok(());
                    }
                    Outcome::Reset => {
                        self.reset();
                        return Ok(());
                    }
                }
            }
            if !keep_alive {
                let _ = self.stream.shutdown(Shutdown::Write);
                return Ok(());
            }
        }
    }

    /// Reads more bytes into `buf`. `Ok(false)`: EOF, stop flag or deadline.
    fn fill(&mut self, deadline: Instant) -> io::Result<bool> {
        let mut chunk = [0u8; 8192];
        loop {
            if self.shared.stopped() || Instant::now() >= deadline {
                return Ok(false);
            }
            match self.stream.read(&mut chunk) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    return Ok(true);
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock
                            | io::ErrorKind::TimedOut
                            | io::ErrorKind::Interrupted
                    ) => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Takes `n` bytes off the front of `buf`, reading as needed.
    fn take(&mut self, n: usize, deadline: Instant) -> Result<Vec<u8>, ReadEnd> {
        while self.buf.len() < n {
            if !self.fill(deadline)? {
                return Err(ReadEnd::Closed);
            }
        }
        Ok(self.buf.drain(..n).collect())
    }

    /// Takes one CRLF-terminated line (without the CRLF) off `buf`.
    fn take_line(&mut self, deadline: Instant) -> Result<String, ReadEnd> {
        loop {
            if let Some(pos) = find(&self.buf, b"\r\n") {
                let line = self.take(pos + 2, deadline)?;
                return Ok(String::from_utf8_lossy(&line[..pos]).into_owned());
            }
            if self.buf.len() > MAX_HEAD {
                return Err(ReadEnd::Bad("line too long"));
            }
            if !self.fill(deadline)? {
                return Err(ReadEnd::Closed);
            }
        }
    }

    fn read_request(&mut self) -> Result<Request, ReadEnd> {
        let deadline = Instant::now() + MAX_HOLD;
        // Head: everything up to the blank line.
        let head_len = loop {
            // Tolerate stray CRLFs between pipelined requests.
            while self.buf.starts_with(b"\r\n") {
                self.buf.drain(..2);
            }
            if let Some(pos) = find(&self.buf, b"\r\n\r\n") {
                break pos + 4;
            }
            if self.buf.len() > MAX_HEAD {
                return Err(ReadEnd::Bad("request head too large"));
            }
            if !self.fill(deadline)? {
                return Err(ReadEnd::Closed);
            }
        };
        let head = self.take(head_len, deadline)?;
        let head = String::from_utf8_lossy(&head[..head_len - 4]).into_owned();
        let mut lines = head.split("\r\n");
        let mut parts = lines.next().unwrap_or("").split_whitespace();
        let (Some(method), Some(target), Some(version), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(ReadEnd::Bad("malformed request line"));
        };
        if !version.starts_with("HTTP/1.") {
            return Err(ReadEnd::Bad("unsupported HTTP version"));
        }
        let mut headers = Vec::new();
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                return Err(ReadEnd::Bad("malformed header line"));
            };
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
        let mut req = Request {
            method: method.to_owned(),
            target: target.to_owned(),
            http10: version == "HTTP/1.0",
            headers,
            body: Vec::new(),
        };

        if req.has_token("expect", "100-continue") {
            self.stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        }
        if req.has_token("transfer-encoding", "chunked") {
            req.body = self.read_chunked(deadline)?;
        } else if let Some(len) = req.header("content-length") {
            let len: usize = len
                .parse()
                .map_err(|_| ReadEnd::Bad("bad Content-Length"))?;
            if len > MAX_BODY {
                return Err(ReadEnd::Bad("body too large"));
            }
            req.body = self.take(len, deadline)?;
        }
        Ok(req)
    }

    fn read_chunked(&mut self, deadline: Instant) -> Result<Vec<u8>, ReadEnd> {
        let mut body = Vec::new();
        loop {
            let line = self.take_line(deadline)?;
            let size = line.split(';').next().unwrap_or("").trim();
            let size =
                usize::from_str_radix(size, 16).map_err(|_| ReadEnd::Bad("bad chunk size"))?;
            if size == 0 {
                // Trailers, up to the blank line.
                while !self.take_line(deadline)?.is_empty() {}
                return Ok(body);
            }
            if body.len() + size > MAX_BODY {
                return Err(ReadEnd::Bad("body too large"));
            }
            body.extend(self.take(size, deadline)?);
            if self.take(2, deadline)? != b"\r\n" {
                return Err(ReadEnd::Bad("bad chunk terminator"));
            }
        }
    }

    fn respond(
        &mut self,
        status: u16,
        request_id: &str,
        body: &str,
        keep_alive: bool,
    ) -> io::Result<()> {
        let reason = match status {
            200 => "OK",
            400 => "Bad Request",
            403 => "Forbidden",
            500 => "Internal Server Error",
            _ => "Unknown",
        };
        let connection = if keep_alive { "keep-alive" } else { "close" };
        let response = format!(
            "HTTP/1.1 {status} {reason}\r\n\
             x-amzn-RequestId: {request_id}\r\n\
             Content-Type: text/xml\r\n\
             Content-Length: {}\r\n\
             Connection: {connection}\r\n\
             \r\n\
             {body}",
            body.len()
        );
        self.stream.write_all(response.as_bytes())?;
        self.stream.flush()
    }

    /// `HANG`: say nothing until the peer closes, the server stops or
    /// `MAX_HOLD` passes. Whatever else arrives is discarded.
    fn hold(&mut self) {
        let deadline = Instant::now() + MAX_HOLD;
        while let Ok(true) = self.fill(deadline) {
            self.buf.clear();
        }
    }

    /// `RESET`: close with SO_LINGER 0 so the kernel sends RST, not FIN.
    fn reset(&mut self) {
        let linger = libc::linger {
            l_onoff: 1,
            l_linger: 0,
        };
        // SAFETY: the fd is owned by `self.stream` and open for this call;
        // the option value points at a live `linger` of the size passed.
        unsafe {
            libc::setsockopt(
                self.stream.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_LINGER,
                (&linger as *const libc::linger).cast(),
                std::mem::size_of::<libc::linger>() as libc::socklen_t,
            );
        }
        // The socket is closed (with RST) when the thread drops `self`.
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn parse_form(s: &str) -> impl Iterator<Item = (String, String)> + '_ {
    s.split('&').filter(|p| !p.is_empty()).map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (url_decode(k), url_decode(v))
    })
}

fn url_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

fn error_body(kind: &str, code: &str, message: &str, request_id: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"{XMLNS}\"><Error><Type>{kind}</Type><Code>{code}</Code>\
         <Message>{}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
        // The hostile text goes out as the character references it is made of.
        if message == HOSTILE_TEXT {
            message.to_string()
        } else {
            xml_escape(message)
        }
    )
}

/// Escape sequences as XML character references: set the window title, clear the screen,
/// write the clipboard (OSC 52).
pub const HOSTILE_TEXT: &str = "&#x1b;]0;pwned&#x7;&#x1b;[2J&#x1b;]52;c;cHduZWQ=&#x7;";

fn success_body(key: &str, request_id: &str) -> String {
    let key_xml = xml_escape(key);
    let mut lower = xml_escape(&key.to_lowercase());
    if key.contains("HOSTILE") {
        lower.push_str(HOSTILE_TEXT);
    }
    format!(
        "<GetCallerIdentityResponse xmlns=\"{XMLNS}\"><GetCallerIdentityResult>\
         <Arn>arn:aws:iam::{ACCOUNT}:user/{lower}</Arn><UserId>{key_xml}</UserId>\
         <Account>{ACCOUNT}</Account></GetCallerIdentityResult><ResponseMetadata>\
         <RequestId>{request_id}</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "Action=GetCallerIdentity&Version=2011-06-15";

    fn connect(sts: &FakeSts) -> TcpStream {
        let s = TcpStream::connect(sts.addr).expect("connect");
        // Safety net only: no test relies on this firing.
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        s
    }

    fn request(key: &str, body: &str, extra: &str) -> String {
        format!(
            "POST / HTTP/1.1\r\nHost: sts.us-east-1.amazonaws.com\r\n\
             Content-Type: application/x-www-form-urlencoded\r\n\
             authorization: AWS4-HMAC-SHA256 Credential={key}/20261128/us-east-1/sts/aws4_request, \
             SignedHeaders=host;x-amz-date, Signature=00\r\n\
             X-Amz-Date: 20261128T101500Z\r\n{extra}Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
    }

    /// Reads one response; returns (status, lower-cased headers, body).
    fn read_response(s: &mut TcpStream, buf: &mut Vec<u8>) -> (u16, Vec<(String, String)>, String) {
        let mut chunk = [0u8; 4096];
        let head_end = loop {
            if let Some(pos) = find(buf, b"\r\n\r\n") {
                break pos + 4;
            }
            let n = s.read(&mut chunk).expect("read head");
            assert!(n > 0, "connection closed before a response head");
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8(buf.drain(..head_end).collect()).unwrap();
        let mut lines = head.trim_end().split("\r\n");
        let status: u16 = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers: Vec<(String, String)> = lines
            .map(|l| {
                let (n, v) = l.split_once(':').unwrap();
                (n.trim().to_ascii_lowercase(), v.trim().to_owned())
            })
            .collect();
        let len: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .map(|(_, v)| v.parse().unwrap())
            .unwrap_or(0);
        while buf.len() < len {
            let n = s.read(&mut chunk).expect("read body");
            assert!(n > 0, "connection closed inside a response body");
            buf.extend_from_slice(&chunk[..n]);
        }
        let body = String::from_utf8(buf.drain(..len).collect()).unwrap();
        (status, headers, body)
    }

    fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn success_body_and_count() {
        let sts = FakeSts::start();
        assert!(sts.url().starts_with("http://127.0.0.1:"));
        let mut s = connect(&sts);
        s.write_all(request("AKIDOKAY", BODY, "").as_bytes())
            .unwrap();
        let (status, headers, body) = read_response(&mut s, &mut Vec::new());
        assert_eq!(status, 200);
        assert_eq!(header(&headers, "content-type"), Some("text/xml"));
        let rid = header(&headers, "x-amzn-requestid").expect("request id header");
        assert_eq!(rid.len(), 36);
        assert_eq!(
            body,
            format!(
                "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
                 <GetCallerIdentityResult><Arn>arn:aws:iam::111122223333:user/akidokay</Arn>\
                 <UserId>AKIDOKAY</UserId><Account>111122223333</Account></GetCallerIdentityResult>\
                 <ResponseMetadata><RequestId>{rid}</RequestId></ResponseMetadata>\
                 </GetCallerIdentityResponse>"
            )
        );
        assert_eq!(sts.calls("AKIDOKAY"), 1);
        assert_eq!(sts.calls("AKIDOTHER"), 0);
        assert_eq!(sts.total_calls(), 1);
    }

    #[test]
    fn error_modes() {
        let sts = FakeSts::start();
        let cases = [
            (
                "AKIDEXPIRED",
                400,
                "Sender",
                "ExpiredToken",
                "The security token included in the request is expired",
            ),
            (
                "AKIDINVALID",
                403,
                "Sender",
                "InvalidClientTokenId",
                "The security token included in the request is invalid.",
            ),
            ("AKIDTHROTTLE", 400, "Sender", "Throttling", "Rate exceeded"),
            (
                "AKIDSERVERERR",
                500,
                "Receiver",
                "InternalFailure",
                "An internal error occurred",
            ),
        ];
        for (key, want_status, kind, code, message) in cases {
            let mut s = connect(&sts);
            s.write_all(request(key, BODY, "Connection: close\r\n").as_bytes())
                .unwrap();
            let (status, headers, body) = read_response(&mut s, &mut Vec::new());
            let rid = header(&headers, "x-amzn-requestid").unwrap();
            assert_eq!(status, want_status, "{key}");
            assert_eq!(
                body,
                format!(
                    "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>\
                     <Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message></Error>\
                     <RequestId>{rid}</RequestId></ErrorResponse>"
                )
            );
            // Connection: close is honoured.
            assert_eq!(s.read(&mut [0u8; 16]).unwrap(), 0);
            assert_eq!(sts.calls(key), 1);
        }
        assert_eq!(sts.total_calls(), cases.len());
    }

    #[test]
    fn keep_alive_two_requests_one_connection() {
        let sts = FakeSts::start();
        let mut s = connect(&sts);
        let mut buf = Vec::new();
        s.write_all(request("AKIDKEEP", BODY, "").as_bytes())
            .unwrap();
        let (first, _, body) = read_response(&mut s, &mut buf);
        assert_eq!(first, 200);
        assert!(body.contains("<UserId>AKIDKEEP</UserId>"));
        s.write_all(request("AKIDKEEP2EXPIRED", BODY, "").as_bytes())
            .unwrap();
        let (second, _, body) = read_response(&mut s, &mut buf);
        assert_eq!(second, 400);
        assert!(body.contains("<Code>ExpiredToken</Code>"));
        assert_eq!(sts.calls("AKIDKEEP"), 1);
        assert_eq!(sts.calls("AKIDKEEP2EXPIRED"), 1);
        assert_eq!(sts.total_calls(), 2);
    }

    #[test]
    fn expect_continue_and_invalid_action() {
        let sts = FakeSts::start();
        let mut s = connect(&sts);
        let mut buf = Vec::new();
        let body = "Action=AssumeRole&Version=2011-06-15";
        let req = request("AKIDX", body, "Expect: 100-continue\r\n");
        let (head, body) = req.split_at(req.len() - body.len());
        s.write_all(head.as_bytes()).unwrap();
        let (cont, _, _) = read_response(&mut s, &mut buf);
        assert_eq!(cont, 100);
        s.write_all(body.as_bytes()).unwrap();
        let (status, _, body) = read_response(&mut s, &mut buf);
        assert_eq!(status, 400);
        assert!(body.contains("<Code>InvalidAction</Code>"), "{body}");
        assert_eq!(sts.total_calls(), 0);
    }

    #[test]
    fn reset_sends_no_response() {
        let sts = FakeSts::start();
        let mut s = connect(&sts);
        s.write_all(request("AKIDRESET", BODY, "").as_bytes())
            .unwrap();
        let mut got = Vec::new();
        let err = s.read_to_end(&mut got).expect_err("RST, not FIN");
        assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
        assert!(got.is_empty());
        assert_eq!(sts.calls("AKIDRESET"), 1);
    }

    #[test]
    fn hang_is_released_by_drop() {
        let sts = FakeSts::start();
        let mut s = connect(&sts);
        s.write_all(request("AKIDHANG", BODY, "").as_bytes())
            .unwrap();
        // Wait (bounded) until the request has been seen.
        for _ in 0..1000 {
            if sts.calls("AKIDHANG") == 1 {
                break;
            }
            thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(sts.calls("AKIDHANG"), 1);
        drop(sts);
        let mut got = Vec::new();
        let _ = s.read_to_end(&mut got);
        assert!(got.is_empty(), "HANG must not answer");
    }

    #[test]
    fn slow_then_success_and_missing_credentials() {
        let sts = FakeSts::start();
        let mut s = connect(&sts);
        let mut buf = Vec::new();
        s.write_all(request("AKIDSLOW", BODY, "").as_bytes())
            .unwrap();
        let (status, _, body) = read_response(&mut s, &mut buf);
        assert_eq!(status, 200);
        assert!(body.contains("user/akidslow</Arn>"));
        let unsigned = format!(
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{BODY}",
            BODY.len()
        );
        s.write_all(unsigned.as_bytes()).unwrap();
        let (status, _, body) = read_response(&mut s, &mut buf);
        assert_eq!(status, 403);
        assert!(body.contains("<Code>MissingAuthenticationToken</Code>"));
        assert_eq!(sts.calls("AKIDSLOW"), 1);
        assert_eq!(sts.calls(""), 1);
        assert_eq!(sts.total_calls(), 2);
    }
}

//! Messages between a client and the daemon (the daemon's messages to its resolver child are
//! the daemon's own: `awsid-daemon/src/resolve/outcome.rs`).

use crate::codec::{Decode, Encode};

/// An environment as raw bytes: names and values need not be UTF-8.
pub type Env = Vec<(Vec<u8>, Vec<u8>)>;

/// Overwrites the values of an environment (they may hold secrets) before it is freed.
pub fn wipe(env: &mut Env) {
    for (_, v) in env.iter_mut() {
        v.fill(0);
    }
}

/// What a client asks.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub enum Request {
    /// The caller identity, rendered like `aws sts get-caller-identity`.
    Whoami(WhoamiRequest),
    /// A prompt segment, within a time budget.
    Prompt(PromptRequest),
    /// Counters and facts about the daemon.
    Status,
    /// Drop every cached answer.
    Flush,
    /// Remove the socket and exit.
    Shutdown,
}

impl Request {
    /// After a [`Reply::NeedEnv`]: the same request carrying the whole environment and the
    /// working directory. False when there is nothing to add (not a request with an
    /// environment, or it carried the whole one already).
    pub fn carry_whole_env(&mut self, env: Env, cwd: Option<Vec<u8>>) -> bool {
        let (old, full, old_cwd) = match self {
            Request::Whoami(w) => (&mut w.env, &mut w.full_env, &mut w.cwd),
            Request::Prompt(p) => (&mut p.env, &mut p.full_env, &mut p.cwd),
            _ => return false,
        };
        if *full {
            return false;
        }
        wipe(old);
        *old = env;
        *full = true;
        *old_cwd = cwd;
        true
    }
}

/// `awsid whoami` as the daemon needs it.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct WhoamiRequest {
    /// The fingerprint variables (see [`crate::envvars`]), or the whole environment when
    /// `full_env` is set. The whole environment is only sent after a [`Reply::NeedEnv`].
    pub env: Env,
    pub full_env: bool,
    /// The shell's working directory, sent with the whole environment (a relative
    /// `credential_process` or token file is resolved against it, as the CLI does).
    pub cwd: Option<Vec<u8>>,
    /// `--profile`: like the CLI, it disables credentials from the environment.
    pub profile: Option<String>,
    /// `--output json|text|table`; `None` defers to `AWS_DEFAULT_OUTPUT` and the profile.
    pub output: Option<String>,
    /// `--query` (a field name: Account, Arn or UserId).
    pub query: Option<String>,
    /// Width of the terminal on stdout, when stdout is a terminal (the table output and its
    /// colours depend on it, as in the CLI).
    pub term_width: Option<u16>,
    /// How long the daemon may wait for STS before answering with a timeout.
    pub timeout_ms: u32,
}

/// Where a prompt segment goes, which decides its notation. One list for every place that
/// names a shell: `awsid prompt --shell`, the zsh hook's text protocol, and the daemon's
/// painting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub enum Shell {
    /// For a PS1 string: `\[…\]` around escapes, `\ $ `` escaped.
    Bash,
    /// For a variable PS1 expands (promptvars), as the bash hook's `$AWSID_SEGMENT`: raw
    /// `\x01…\x02` markers, nothing escaped.
    BashVar,
    /// `%{…%}` around escapes, `%` doubled.
    Zsh,
    /// Raw ANSI escapes.
    Fish,
    /// `#[…]` styles, `#` doubled.
    Tmux,
    /// No styles.
    Plain,
    /// Raw ANSI escapes, as fish.
    Nu,
}

impl Shell {
    /// Every shell with its name on the command line, in the order `--help` lists them.
    pub const ALL: [(Shell, &'static str); 7] = [
        (Shell::Bash, "bash"),
        (Shell::Zsh, "zsh"),
        (Shell::Fish, "fish"),
        (Shell::Nu, "nu"),
        (Shell::Tmux, "tmux"),
        (Shell::Plain, "plain"),
        (Shell::BashVar, "bash-var"),
    ];

    pub fn name(self) -> &'static str {
        Shell::ALL
            .iter()
            .find(|(s, _)| *s == self)
            .map_or("plain", |(_, n)| n)
    }

    pub fn from_name(name: &str) -> Option<Shell> {
        Shell::ALL.iter().find(|(_, n)| *n == name).map(|(s, _)| *s)
    }
}

/// `awsid prompt`.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct PromptRequest {
    /// As in [`WhoamiRequest::env`].
    pub env: Env,
    pub full_env: bool,
    /// As in [`WhoamiRequest::cwd`].
    pub cwd: Option<Vec<u8>>,
    pub shell: Shell,
    /// The longest the daemon may wait for STS before answering what it has.
    pub budget_ms: u32,
    /// For a shell hook: the shell's pid, which names its stamp file. The daemon removes that
    /// stamp when a file behind a settled answer changes in a way a shell cannot see.
    pub hook_pid: Option<u32>,
}

/// The longest a hook may trust an answer without asking again, whatever the daemon says.
pub const MAX_VALID_SECS: u32 = 24 * 3600;

/// The hook line of an answer that is not final (the hook asks again at the next prompt).
pub const UNSETTLED_LINE: &str = "0\t0\t\t-";

/// A rendered segment and what a shell hook needs to skip the next call safely.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct PromptReply {
    pub segment: String,
    /// The answer is final for these inputs: no lookup pending, nothing stale, no file
    /// modified too recently to trust its timestamp.
    pub settled: bool,
    /// How long a settled answer stays valid (a countdown or the cache's own freshness).
    pub valid_for_secs: u32,
    /// Files whose change must trigger a new call, with whether each exists now (and the
    /// directories on the path to them).
    pub watch: Vec<(String, bool)>,
    /// The answer depends on the whole exported environment (a program supplies the
    /// credentials): a hook must compare every exported variable, not only the listed ones.
    pub whole_env: bool,
}

impl PromptReply {
    /// What a shell hook reads: `settled<TAB>valid-for<TAB>stamp<TAB>flags<TAB>±file…` on one
    /// line, then the segment. `flags` is `-`, or `e` when the answer depends on the whole
    /// exported environment. An unsettled answer (or one without a stamp, or a path the line
    /// cannot carry) says `0\t0\t\t-`, so the hook asks again next time. The validity is
    /// always finite.
    pub fn hook_text(&self, stamp: Option<&std::path::Path>) -> String {
        let mut out = String::new();
        let carriable = self.watch.iter().all(|(f, _)| !f.contains(['\t', '\n']))
            && stamp.is_some_and(|s| !s.to_string_lossy().contains(['\t', '\n']));
        match stamp {
            Some(stamp) if self.settled && carriable && self.valid_for_secs > 0 => {
                let flags = if self.whole_env { "e" } else { "-" };
                out.push_str(&format!(
                    "1\t{}\t{}\t{flags}",
                    self.valid_for_secs.min(MAX_VALID_SECS),
                    stamp.display()
                ));
                for (file, exists) in &self.watch {
                    out.push_str(&format!("\t{}{file}", if *exists { '+' } else { '-' }));
                }
            }
            _ => out.push_str(UNSETTLED_LINE),
        }
        out.push('\n');
        out.push_str(&self.segment);
        out
    }
}

/// Every reply carries the daemon's protocol and version so a client can tell it meets
/// another build and restart it.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct Response {
    pub protocol: u16,
    pub version: String,
    pub body: Reply,
}

impl Response {
    pub fn new(body: Reply) -> Response {
        Response {
            protocol: crate::PROTOCOL_VERSION,
            version: crate::VERSION.to_string(),
            body,
        }
    }
}

/// A reply as a client reads it (one at a time, moved on at once: its size does not matter).
#[allow(clippy::large_enum_variant)]
pub enum Answer {
    Ours(Response),
    /// A daemon of another build (protocol or version) answered: which.
    OtherVersion(String),
}

/// Reads one reply frame. A reply of another protocol or version is told apart before its
/// body is decoded, so that a client can replace that daemon.
pub fn read_answer(r: &mut impl std::io::Read) -> std::io::Result<Answer> {
    use crate::frame;
    let mut h = [0u8; frame::HEADER_LEN];
    r.read_exact(&mut h)?;
    let header = frame::parse_header(&h).map_err(std::io::Error::from)?;
    if header.version != crate::PROTOCOL_VERSION {
        return Ok(Answer::OtherVersion(format!(
            "speaking protocol {}",
            header.version
        )));
    }
    let payload = frame::read_payload(r, header.len)?;
    let resp: Response = crate::codec::decode(&payload).map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("bad reply from awsidd: {e}"),
        )
    })?;
    if resp.version != crate::VERSION {
        return Ok(Answer::OtherVersion(resp.version));
    }
    Ok(Answer::Ours(resp))
}

#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub enum Reply {
    Whoami(WhoamiAnswer),
    Prompt(PromptReply),
    /// Cache miss: send the request again with the whole environment.
    NeedEnv,
    Status(Status),
    Done,
    /// The request could not be served (malformed, unsupported…).
    Error(String),
}

/// The daemon's answer to `whoami`: what to print, and the same answer as data, so that no
/// client parses printed output or compares counters to tell where it came from.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct WhoamiAnswer {
    pub printed: WhoamiReply,
    /// The identity, when there is one (`printed` shows it as the options asked).
    pub identity: Option<CallerIdentity>,
    pub answered: Answered,
}

/// Who answered a request for an identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub enum Answered {
    /// A fresh entry of the daemon's cache.
    Cache,
    /// A lookup started (or joined) for this request: a resolver ran in this environment,
    /// whether or not it reached STS.
    Lookup,
    /// Nobody: the AWS CLI stops before any lookup (a profile that does not exist, a broken
    /// file…), and so does awsid.
    BeforeLookup,
}

/// `aws sts get-caller-identity`'s three fields.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct CallerIdentity {
    pub account: String,
    pub arn: String,
    pub user_id: String,
}

/// What `awsid whoami` prints and how it exits.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct WhoamiReply {
    pub stdout: String,
    pub stderr: String,
    pub exit_code: u8,
    /// What kind of failure the error is (None for an answer or a usage error).
    pub failure: Option<FailureKind>,
}

#[derive(Debug, Clone, PartialEq, Default, Encode, Decode)]
pub struct Status {
    pub pid: u32,
    pub version: String,
    /// The daemon's executable, as the system names it (`/proc/self/exe`): after an upgrade
    /// or an uninstall it can end in ` (deleted)`.
    pub exe: String,
    pub uptime_secs: u64,
    pub socket: String,
    pub cached: u64,
    pub in_flight: u64,
    pub hits: u64,
    pub misses: u64,
    /// Lookups started (resolver runs, whether or not they reached STS).
    pub lookups: u64,
    pub errors: u64,
    /// The configuration file and, if it is broken, why (the last good one stays in force).
    pub config_path: String,
    pub config_error: Option<String>,
    /// The last few errors, newest last (no secrets: kinds, codes and STS's messages).
    pub recent_errors: Vec<RecentError>,
}

#[derive(Debug, Clone, PartialEq, Default, Encode, Decode)]
pub struct RecentError {
    /// Unix seconds.
    pub at_unix: u64,
    pub what: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub enum FailureKind {
    /// No provider in the chain had credentials.
    NoCredentials,
    /// A named profile does not exist.
    ProfileNotFound,
    /// STS answered with an error.
    Service,
    /// A credential provider failed (bad config, credential_process error, SSO token…).
    Credentials,
    /// STS could not be reached.
    Network,
    /// No answer in time.
    Timeout,
    Other,
    /// A role with `mfa_serial` and no usable credentials in the AWS CLI's cache.
    NeedsMfa,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec;

    #[test]
    fn request_round_trip() {
        let req = Request::Whoami(WhoamiRequest {
            env: vec![(b"AWS_PROFILE".to_vec(), b"dev".to_vec())],
            full_env: false,
            cwd: None,
            profile: None,
            output: Some("text".into()),
            query: None,
            term_width: Some(80),
            timeout_ms: 1000,
        });
        let bytes = codec::encode(&req);
        assert_eq!(codec::decode::<Request>(&bytes).unwrap(), req);
    }

    #[test]
    fn garbage_and_trailing_bytes_are_refused() {
        assert!(codec::decode::<Request>(&[0xff, 0xff, 0xff]).is_err());
        let mut bytes = codec::encode(&Request::Status);
        bytes.push(0);
        assert!(codec::decode::<Request>(&bytes).is_err());
    }

    #[test]
    fn huge_announced_lengths_do_not_allocate() {
        // A Vec length prefix of u64::MAX must be refused by the limit, not attempted.
        let mut bytes = vec![0u8]; // variant Whoami
        bytes.push(253); // varint u64 marker
        bytes.extend_from_slice(&u64::MAX.to_le_bytes());
        assert!(codec::decode::<Request>(&bytes).is_err());
    }
}

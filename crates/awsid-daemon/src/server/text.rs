//! The prompt request in plain text, for a shell that talks to the socket itself (zsh with
//! `zsh/net/socket` and `zsh/system`) instead of forking the client.
//!
//! Request: `AWTX` then NUL-terminated fields: protocol [`TEXT_PROTOCOL`], shell (a name of
//! `awsid prompt --shell`, `Shell::ALL`; awsid's zsh hook sends `zsh`), budget in ms, the shell's pid (its stamp file, touched here
//! before the answer is computed), then `NAME=VALUE` fields (the exported fingerprint variables,
//! each value as `execve` passes it: up to its first NUL, which therefore never appears in
//! one), then an empty field. Reply: a first line with this daemon's build version (a hook of
//! another build falls back to the client, which replaces the daemon), then the client's
//! `--hook` text (see `PromptReply::hook_text`), or `NEEDENV` on a miss (the shell then runs the
//! client, which sends its whole environment), or `ERROR <why>`. The connection closes after
//! the reply. Same peer checks, size cap and timeouts as binary frames.

use std::sync::Arc;

use awsid_proto::frame::MAX_FRAME;
use awsid_proto::msg::{Env, PromptRequest, Reply, Request, Shell};
use awsid_proto::{runtime, TEXT_PROTOCOL};
use interprocess::local_socket::tokio::Stream;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::FRAME_TIMEOUT;
use crate::handler;
use crate::state::Daemon;

pub const MAGIC: &[u8; 4] = b"AWTX";

/// Reads fields up to the terminating empty one.
async fn read_request(stream: &mut Stream) -> Result<Vec<u8>, String> {
    // (The caller wipes the buffer: it carries secrets.)
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let read_all = async {
        loop {
            let n = stream.read(&mut chunk).await.map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("connection closed before the end of the request".to_string());
            }
            buf.extend_from_slice(&chunk[..n]);
            if buf.len() > MAX_FRAME as usize {
                return Err(format!("request exceeds the {MAX_FRAME} byte limit"));
            }
            if buf.ends_with(b"\0\0") || buf == b"\0" {
                return Ok(());
            }
        }
    };
    match tokio::time::timeout(FRAME_TIMEOUT, read_all).await {
        Ok(Ok(())) => Ok(buf),
        Ok(Err(e)) => Err(e),
        Err(_) => Err("incomplete text request".into()),
    }
}

/// A parsed text request.
struct TextRequest {
    shell: Shell,
    budget_ms: u32,
    pid: u32,
    env: Env,
}

fn parse(buf: &[u8]) -> Result<TextRequest, String> {
    let body = buf.strip_suffix(b"\0\0").ok_or("unterminated request")?;
    let mut fields = body.split(|b| *b == 0);
    let mut next = |what: &str| {
        fields
            .next()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .ok_or(format!("missing {what}"))
    };
    if next("version")? != TEXT_PROTOCOL {
        return Err("unsupported text protocol version".into());
    }
    let shell = next("shell")?;
    let shell = Shell::from_name(&shell).ok_or(format!("unknown shell {shell:?}"))?;
    let budget = next("budget")?.parse().map_err(|_| "bad budget")?;
    let pid = next("pid")?.parse().map_err(|_| "bad pid")?;
    let env = fields
        .map(|f| match f.iter().position(|b| *b == b'=') {
            Some(i) => Ok((f[..i].to_vec(), f[i + 1..].to_vec())),
            None => Err("a variable without =".to_string()),
        })
        .collect::<Result<_, _>>()?;
    Ok(TextRequest {
        shell,
        budget_ms: budget,
        pid,
        env,
    })
}

pub async fn serve(d: &Arc<Daemon>, mut stream: Stream) {
    let parsed = match read_request(&mut stream).await {
        Ok(mut buf) => {
            let parsed = parse(&buf);
            buf.fill(0);
            parsed
        }
        Err(e) => Err(e),
    };
    let answer = match parsed {
        Err(why) => {
            d.record_error(format!("bad text request: {why}"));
            tracing::warn!(reason = %why, "bad text request; closing the connection");
            format!("{}\nERROR {why}\n", awsid_proto::VERSION)
        }
        Ok(TextRequest {
            shell,
            budget_ms,
            pid,
            env,
        }) => {
            let stamp = runtime::touch_stamp(pid);
            let mut req = Request::Prompt(PromptRequest {
                env,
                full_env: false,
                cwd: None,
                shell,
                budget_ms,
                hook_pid: stamp.as_ref().map(|_| pid),
            });
            let body = match handler::handle(d, &mut req).await {
                Reply::Prompt(p) => p.hook_text(stamp.as_deref()),
                Reply::NeedEnv => "NEEDENV\n".to_string(),
                other => format!("ERROR unexpected {other:?}\n"),
            };
            let answer = format!("{}\n{body}", awsid_proto::VERSION);
            if let Request::Prompt(p) = &mut req {
                awsid_proto::msg::wipe(&mut p.env);
            }
            answer
        }
    };
    let _ = tokio::time::timeout(FRAME_TIMEOUT, stream.write_all(answer.as_bytes())).await;
    let _ = stream.shutdown().await;
    d.touch();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fields_and_refuses_bad_ones() {
        let req = |fields: &[&str]| {
            let mut b = fields.join("\x00").into_bytes();
            b.extend_from_slice(b"\x00\x00");
            b
        };
        let r = parse(&req(&[
            "2",
            "zsh",
            "100",
            "123",
            "AWS_PROFILE=dev",
            "HOME=/h",
        ]))
        .unwrap();
        assert_eq!((r.shell, r.budget_ms, r.pid), (Shell::Zsh, 100, 123));
        assert_eq!(r.env[0], (b"AWS_PROFILE".to_vec(), b"dev".to_vec()));
        assert_eq!(r.env.len(), 2);
        // Version 1 (replies without the build version) is refused: its hook uses the client.
        assert!(parse(&req(&["1", "zsh", "100", "123"])).is_err());
        assert!(parse(&req(&["2", "ksh", "100", "123"])).is_err());
        assert!(parse(&req(&["2", "zsh", "x", "123"])).is_err());
        assert!(parse(&req(&["2", "zsh", "100", "123", "NOEQUALS"])).is_err());
        assert!(parse(b"2\x00zsh\x00100").is_err());
    }
}

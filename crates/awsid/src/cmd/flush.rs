//! `awsid flush`: drop the daemon's cache.

use std::process::ExitCode;

use awsid_proto::msg::{Reply, Request};

use crate::client::Client;

pub fn run() -> ExitCode {
    let client = match Client::new() {
        Ok(c) => c,
        Err(e) => return super::fail(e),
    };
    // Nothing to flush when no daemon runs: do not start one for that.
    match client.request(&Request::Flush, false) {
        Ok(Reply::Done) => ExitCode::SUCCESS,
        Ok(other) => super::fail(format!("unexpected reply from awsidd: {other:?}")),
        Err(e) if e.is_not_running() => ExitCode::SUCCESS,
        Err(e) => super::fail(e),
    }
}

//! `awsid flush`: drop the daemon's cache.

use awsid_proto::client::unexpected;
use awsid_proto::msg::{Reply, Request};

use crate::client;

pub fn run() -> u8 {
    let client = match client::new() {
        Ok(c) => c,
        Err(e) => return super::fail(e),
    };
    // Nothing to flush when no daemon runs: do not start one for that.
    match client.request(&Request::Flush, None) {
        Ok(Reply::Done) => 0,
        Ok(other) => super::fail(unexpected(other)),
        Err(e) if e.is_not_running() => 0,
        Err(e) => super::fail(e),
    }
}

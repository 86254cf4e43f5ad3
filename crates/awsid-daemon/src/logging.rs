//! Logs: tracing to `$XDG_STATE_HOME/awsid/awsidd.log` (see `runtime::log_file`), filtered by
//! `AWSID_LOG` (default `info`). Nothing logged ever carries a variable's value: requests are
//! logged by kind and outcome only.

use std::fs::OpenOptions;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::sync::Mutex;

use tracing_subscriber::EnvFilter;

pub fn init() -> std::path::PathBuf {
    let path = awsid_proto::runtime::log_file();
    if let Some(dir) = path.parent() {
        let _ = std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir);
    }
    let filter = EnvFilter::try_from_env("AWSID_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(&path);
    match file {
        Ok(file) => {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_ansi(false)
                .with_writer(Mutex::new(file))
                .try_init();
        }
        Err(_) => {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_writer(std::io::stderr)
                .try_init();
        }
    }
    path
}

//! The daemon's parsers, compiled here from their own source files (the daemon is a binary
//! crate, so they are included by path rather than linked).
#![allow(dead_code)]

/// The AWS config-file parser. (Issue 10 replaces it with a botocore-compatible parser: point
/// this path, and the `config_file` target, at the new one.)
#[path = "../../crates/awsid-daemon/src/awsfiles.rs"]
pub mod awsfiles;

/// Output rendering and sanitizing (the template's literal text goes through it).
#[path = "../../crates/awsid-daemon/src/render.rs"]
pub mod render;

/// The prompt's ARN parser and template (`prompt/arn.rs`, `prompt/template.rs`).
#[path = "../../crates/awsid-daemon/src/prompt/arn.rs"]
pub mod arn;
#[path = "../../crates/awsid-daemon/src/prompt/template.rs"]
pub mod template;

#[path = "../../crates/awsid-daemon/src/resolve/expiry.rs"]
pub mod expiry;

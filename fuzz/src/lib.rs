//! The daemon's parsers, compiled here from their own source files (the daemon is a binary
//! crate, so they are included by path rather than linked). The AWS files, the chain and the
//! expiry parsers come from the `awsid-aws` library.
#![allow(dead_code)]

/// Output rendering and sanitizing (the template's literal text goes through it).
#[path = "../../crates/awsid-daemon/src/render.rs"]
pub mod render;

/// The prompt's ARN parser and template (`prompt/arn.rs`, `prompt/template.rs`).
#[path = "../../crates/awsid-daemon/src/prompt/arn.rs"]
pub mod arn;
#[path = "../../crates/awsid-daemon/src/prompt/template.rs"]
pub mod template;


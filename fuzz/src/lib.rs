//! The daemon's self-contained parsers, compiled here from their own source files (the
//! daemon's modules are private to its library). The AWS files, the chain and the expiry
//! parsers come from the `awsid-aws` library.
#![allow(dead_code)]

/// The rule that keeps control characters from a terminal (the template's text goes through it).
#[path = "../../crates/awsid-daemon/src/sanitize.rs"]
pub mod sanitize;

/// The prompt's ARN parser and template (`segment/arn.rs`, `segment/template.rs`).
#[path = "../../crates/awsid-daemon/src/segment/arn.rs"]
pub mod arn;
#[path = "../../crates/awsid-daemon/src/segment/template.rs"]
pub mod template;

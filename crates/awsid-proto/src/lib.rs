//! The awsid wire protocol and the rules both sides share.
//!
//! - [`frame`]: length-prefixed frames with a magic and the protocol version, size-capped.
//! - [`codec`]: the one module that knows the payload encoding (bincode `=2.0.1`).
//! - [`msg`]: requests and replies.
//! - [`client`]: the one blocking client (connect within a deadline, exchange, the miss
//!   protocol), used by `awsid`, `awsidd doctor` and the load tool.
//! - [`runtime`]: where the socket lives and what makes that directory trustworthy.
//! - [`envvars`]: which environment variables take part in a credential fingerprint.
//!
//! This crate has no async runtime and no AWS SDK: the client links it on every prompt.

pub mod client;
pub mod codec;
pub mod envvars;
pub mod frame;
pub mod msg;
pub mod runtime;

/// Version of the wire protocol. Bump on any incompatible change of [`msg`] or [`frame`].
pub const PROTOCOL_VERSION: u16 = 4;

/// Version of the plain-text prompt protocol that zsh speaks over the socket itself
/// (`AWTX`, see the daemon's `server/text.rs`).
pub const TEXT_PROTOCOL: &str = "2";

/// The documented default configuration (`awsid config --default`); the daemon parses this
/// same text as its defaults.
pub const DEFAULT_CONFIG: &str = include_str!("default_config.toml");

/// Version of this build (client and daemon are always released together).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

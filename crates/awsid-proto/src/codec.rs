//! The payload encoding, kept behind this one module so it can be swapped.
//!
//! bincode is pinned to `=2.0.1`: 3.0.0 on crates.io is a deliberate `compile_error!` and the
//! crate is unmaintained (RUSTSEC-2025-0141). Nothing outside this file names bincode's API.

pub use bincode::{Decode, Encode};

fn config() -> impl bincode::config::Config {
    // Fixed limit as a second line of defence behind the frame cap.
    bincode::config::standard().with_limit::<{ crate::frame::MAX_FRAME as usize }>()
}

/// Encodes a message.
pub fn encode<T: Encode>(value: &T) -> Vec<u8> {
    bincode::encode_to_vec(value, config()).expect("encoding to a Vec cannot fail")
}

/// Decodes a message; trailing bytes are an error.
pub fn decode<T: Decode<()>>(bytes: &[u8]) -> Result<T, DecodeError> {
    let (value, used) =
        bincode::decode_from_slice(bytes, config()).map_err(|e| DecodeError(e.to_string()))?;
    if used != bytes.len() {
        return Err(DecodeError(format!(
            "{} trailing bytes after the message",
            bytes.len() - used
        )));
    }
    Ok(value)
}

/// A payload that is not a valid message.
#[derive(Debug)]
pub struct DecodeError(pub String);

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "malformed message: {}", self.0)
    }
}

impl std::error::Error for DecodeError {}

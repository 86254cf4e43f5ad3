//! Frames: `magic (4) | protocol version (u16 LE) | payload length (u32 LE) | payload`.
//!
//! The length is checked against [`MAX_FRAME`] before anything is allocated, and a payload's
//! buffer grows only as its bytes arrive ([`read_payload`]), so a peer cannot make either side
//! reserve memory by announcing a large frame it does not send.

use std::io::{self, Read, Write};

use crate::PROTOCOL_VERSION;

/// Identifies an awsid frame.
pub const MAGIC: [u8; 4] = *b"AWID";
/// Size of the fixed header.
pub const HEADER_LEN: usize = 10;
/// Largest payload accepted. A request carrying a whole environment must fit: shells from
/// `nix develop` or CI runners carry megabytes (4 MiB is tested); anything bigger is refused
/// from the header alone.
pub const MAX_FRAME: u32 = 16 * 1024 * 1024;

/// Reads a payload of `len` bytes (already checked against [`MAX_FRAME`]), growing the buffer
/// as the bytes arrive rather than allocating `len` up front.
pub fn read_payload(r: &mut impl Read, len: u32) -> io::Result<Vec<u8>> {
    let mut payload = Vec::with_capacity((len as usize).min(64 * 1024));
    r.take(u64::from(len)).read_to_end(&mut payload)?;
    if payload.len() != len as usize {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(payload)
}

/// A decoded frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub version: u16,
    pub len: u32,
}

/// Why a frame was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum FrameError {
    BadMagic,
    /// The peer speaks another protocol version.
    Version {
        theirs: u16,
    },
    TooLarge(u32),
}

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FrameError::BadMagic => write!(f, "not an awsid frame (bad magic)"),
            FrameError::Version { theirs } => write!(
                f,
                "protocol version {theirs} is not supported (this side speaks {PROTOCOL_VERSION})"
            ),
            FrameError::TooLarge(n) => {
                write!(f, "frame of {n} bytes exceeds the {MAX_FRAME} byte limit")
            }
        }
    }
}

impl std::error::Error for FrameError {}

impl From<FrameError> for io::Error {
    fn from(e: FrameError) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, e)
    }
}

/// Encodes a header for a payload of `len` bytes in this side's protocol version.
pub fn encode_header(len: usize) -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    h[..4].copy_from_slice(&MAGIC);
    h[4..6].copy_from_slice(&PROTOCOL_VERSION.to_le_bytes());
    h[6..].copy_from_slice(&(len as u32).to_le_bytes());
    h
}

/// Parses a header without checking the version (so a reply from another version can be
/// recognised as such).
pub fn parse_header(h: &[u8; HEADER_LEN]) -> Result<Header, FrameError> {
    if h[..4] != MAGIC {
        return Err(FrameError::BadMagic);
    }
    let version = u16::from_le_bytes([h[4], h[5]]);
    let len = u32::from_le_bytes([h[6], h[7], h[8], h[9]]);
    if len > MAX_FRAME {
        return Err(FrameError::TooLarge(len));
    }
    Ok(Header { version, len })
}

/// Parses a header and insists on this side's protocol version.
pub fn check_header(h: &[u8; HEADER_LEN]) -> Result<Header, FrameError> {
    let header = parse_header(h)?;
    if header.version != PROTOCOL_VERSION {
        return Err(FrameError::Version {
            theirs: header.version,
        });
    }
    Ok(header)
}

/// Writes one frame (header and payload in a single write where possible).
pub fn write_frame(w: &mut impl Write, payload: &[u8]) -> io::Result<()> {
    if payload.len() > MAX_FRAME as usize {
        return Err(FrameError::TooLarge(payload.len() as u32).into());
    }
    let mut buf = Vec::with_capacity(HEADER_LEN + payload.len());
    buf.extend_from_slice(&encode_header(payload.len()));
    buf.extend_from_slice(payload);
    w.write_all(&buf)?;
    w.flush()
}

/// Reads one frame of this side's protocol version.
pub fn read_frame(r: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut h = [0u8; HEADER_LEN];
    r.read_exact(&mut h)?;
    let header = check_header(&h)?;
    read_payload(r, header.len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut buf = Vec::new();
        write_frame(&mut buf, b"hello").unwrap();
        assert_eq!(buf.len(), HEADER_LEN + 5);
        assert_eq!(read_frame(&mut buf.as_slice()).unwrap(), b"hello");
    }

    #[test]
    fn oversized_length_is_refused_before_reading_the_payload() {
        let mut h = encode_header(0);
        h[6..].copy_from_slice(&(MAX_FRAME + 1).to_le_bytes());
        // No payload follows: a reader that allocated and waited would fail differently.
        let err = read_frame(&mut h.as_slice()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("exceeds"), "{err}");
    }

    #[test]
    fn bad_magic_and_other_versions_are_refused() {
        let mut h = encode_header(3);
        h[0] = b'X';
        assert_eq!(parse_header(&h), Err(FrameError::BadMagic));
        let mut h = encode_header(3);
        h[4..6].copy_from_slice(&(PROTOCOL_VERSION + 1).to_le_bytes());
        assert_eq!(
            check_header(&h),
            Err(FrameError::Version {
                theirs: PROTOCOL_VERSION + 1
            })
        );
        // parse_header still reads it, so a client can tell "other version" from garbage.
        assert_eq!(parse_header(&h).unwrap().version, PROTOCOL_VERSION + 1);
    }

    #[test]
    fn a_large_announced_payload_is_not_allocated_before_it_arrives() {
        let mut buf = encode_header(0).to_vec();
        buf[6..].copy_from_slice(&MAX_FRAME.to_le_bytes());
        buf.extend_from_slice(b"only this");
        let err = read_frame(&mut buf.as_slice()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        // A 4 MiB payload goes through.
        let big = vec![7u8; 4 << 20];
        let mut framed = Vec::new();
        write_frame(&mut framed, &big).unwrap();
        assert_eq!(read_frame(&mut framed.as_slice()).unwrap(), big);
    }

    #[test]
    fn half_header_is_an_error() {
        let h = encode_header(3);
        let err = read_frame(&mut &h[..6]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }
}

//! The frame decoder and the message decoder: what arrives on the daemon's socket (requests)
//! and what a client reads back (replies). Must never panic nor allocate beyond the input.
#![no_main]

use awsid_proto::msg::{Request, Response};
use awsid_proto::{codec, frame};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = frame::read_frame(&mut &data[..]);
    let _ = awsid_proto::msg::read_answer(&mut &data[..]);
    if data.len() >= frame::HEADER_LEN {
        let mut h = [0u8; frame::HEADER_LEN];
        h.copy_from_slice(&data[..frame::HEADER_LEN]);
        let _ = frame::parse_header(&h);
    }
    if let Ok(req) = codec::decode::<Request>(data) {
        // What decodes survives a round trip (bincode also accepts non-minimal varints, so
        // the bytes themselves may differ).
        assert_eq!(
            codec::decode::<Request>(&codec::encode(&req)).ok(),
            Some(req)
        );
    }
    let _ = codec::decode::<Response>(data);
});

//! The expiry parsers for the credential tools' variables (RFC 3339, Go's time.String(), local
//! time without an offset).
#![no_main]

use awsid_aws::expiry;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = expiry::parse_with_offset(text);
    let _ = expiry::parse_local(text);
    let _ = expiry::from_env(|name| (name == "AWSUME_EXPIRATION").then(|| text.to_string()));
});

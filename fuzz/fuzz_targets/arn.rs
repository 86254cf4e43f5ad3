//! The ARN parser (prompt fields) and the account id decoded from an access key id.
#![no_main]

use awsid_fuzz::arn;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = arn::parse(text);
    if let Some(account) = arn::account_from_access_key(text) {
        assert!(account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()));
    }
});

//! The AWS config/credentials file parser and what the daemon derives from a parsed file.
#![no_main]

use awsid_fuzz::awsfiles::{parse, FileKind, Profiles};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let config = parse(&text, FileKind::Config);
    let credentials = parse(&text, FileKind::Credentials);
    let names: Vec<String> = config.profiles.keys().take(8).cloned().collect();
    let profiles = Profiles {
        config: config.into(),
        credentials: credentials.into(),
    };
    for name in names.iter().map(String::as_str).chain(["default", ""]) {
        let _ = profiles.exists(name);
        let _ = profiles.get(name, "region");
        let _ = profiles.cli_error(name, true);
        let _ = profiles.dependencies(name, Some(std::path::Path::new("/home/u")));
    }
});

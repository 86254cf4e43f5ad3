//! The AWS config/credentials file parser (botocore's rules), its views, and the chain's walk
//! over what it parsed.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use awsid_aws::chain;
use awsid_aws::files::{config_view, credentials_view, parse};
use awsid_aws::select::Vars;
use awsid_aws::shared::{Files, Loaded};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = parse(data) else {
        return;
    };
    let config = config_view(&raw);
    let credentials = credentials_view(&raw);
    let names: Vec<String> = config.profiles.keys().take(8).cloned().collect();
    let files = Files {
        config_path: Some(PathBuf::from("/nonexistent/config")),
        config: Loaded::Parsed(Arc::new(config)),
        credentials_path: Some(PathBuf::from("/nonexistent/credentials")),
        credentials: Loaded::Parsed(Arc::new(credentials)),
    };
    for name in names.iter().map(String::as_str).chain(["default", ""]) {
        let vars = Vars::from_pairs([("AWS_PROFILE", name), ("AWS_EC2_METADATA_DISABLED", "true")]);
        let _ = chain::plan(chain::Input {
            vars: &vars,
            flag_profile: None,
            flag_region: None,
            files: files.clone(),
            home: Some(Path::new("/nonexistent/home")),
            cwd: Some(Path::new("/nonexistent/cwd")),
            now_unix: 1_800_000_000,
        });
    }
});

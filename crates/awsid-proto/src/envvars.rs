//! Which environment variables a client sends with every request.
//!
//! These are the variables that can change which credentials, account, region, endpoint or
//! output format the AWS CLI / SDK would use in that shell: the whole `AWS_*` family, the
//! credential tools' variables (aws-vault, awsume, granted, awsu, aws-sso-cli), `HOME`, proxies
//! and CA settings. Erring on the side of more variables costs a cache miss; fewer could show
//! a wrong identity. `PATH` is sent too: it decides which `credential_process` program runs,
//! and the daemon folds it into the fingerprint when the profile uses one.

/// Names starting with one of these are fingerprint variables. `awsid init` writes these lists
/// into the shell hooks: they are the only copy.
pub const PREFIXES: &[&[u8]] = &[b"AWS_", b"AWSU", b"GRANTED_"];

/// And these names exactly.
pub const EXACT: &[&[u8]] = &[
    b"HOME",
    b"PATH",
    b"HTTP_PROXY",
    b"HTTPS_PROXY",
    b"NO_PROXY",
    b"ALL_PROXY",
    b"http_proxy",
    b"https_proxy",
    b"no_proxy",
    b"all_proxy",
    b"SSL_CERT_FILE",
    b"SSL_CERT_DIR",
    // The legacy boto2 config file, at the end of the CLI's chain.
    b"BOTO_CONFIG",
    // The CLI verifies TLS with it when no ca_bundle is set.
    b"REQUESTS_CA_BUNDLE",
    // AWSUME_EXPIRATION is local time in the shell's zone: two shells that differ only in TZ
    // have different expiries.
    b"TZ",
];

/// Variables holding a file path. A relative one means "relative to the shell's working
/// directory", which the daemon does not share: the client makes them absolute before sending.
pub const PATH_VARS: &[&[u8]] = &[
    b"AWS_CONFIG_FILE",
    b"AWS_SHARED_CREDENTIALS_FILE",
    b"AWS_WEB_IDENTITY_TOKEN_FILE",
    b"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    b"AWS_CA_BUNDLE",
    b"REQUESTS_CA_BUNDLE",
    b"SSL_CERT_FILE",
    b"SSL_CERT_DIR",
];

/// Makes a relative path-valued variable absolute against `cwd`; other values pass through.
pub fn absolutize(name: &[u8], value: Vec<u8>, cwd: Option<&[u8]>) -> Vec<u8> {
    // `$VAR/…` is expanded by the daemon as the CLI does (then made absolute against the
    // working directory, which a full request carries).
    let relative = !value.is_empty() && value[0] != b'/' && value[0] != b'~' && value[0] != b'$';
    match cwd {
        Some(cwd) if relative && PATH_VARS.contains(&name) => {
            let mut abs = cwd.to_vec();
            if !abs.ends_with(b"/") {
                abs.push(b'/');
            }
            abs.extend_from_slice(&value);
            abs
        }
        _ => value,
    }
}

/// This process's environment as a request carries it: the fingerprint variables only, or all
/// of it (`full`, after the daemon reported a miss), relative file paths made absolute.
pub fn current(full: bool) -> crate::msg::Env {
    use std::os::unix::ffi::OsStrExt;
    let cwd = std::env::current_dir().ok();
    let cwd = cwd.as_ref().map(|c| c.as_os_str().as_bytes());
    std::env::vars_os()
        .filter(|(k, _)| full || is_fingerprint_var(k.as_bytes()))
        .map(|(k, v)| {
            let v = absolutize(k.as_bytes(), v.as_bytes().to_vec(), cwd);
            (k.as_bytes().to_vec(), v)
        })
        .collect()
}

/// This process's working directory, as a request carries it.
pub fn cwd() -> Option<Vec<u8>> {
    use std::os::unix::ffi::OsStrExt;
    std::env::current_dir()
        .ok()
        .map(|c| c.as_os_str().as_bytes().to_vec())
}

/// Whether a variable is part of the fingerprint inputs.
pub fn is_fingerprint_var(name: &[u8]) -> bool {
    PREFIXES.iter().any(|p| name.starts_with(p)) || EXACT.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::{absolutize, is_fingerprint_var};

    #[test]
    fn relative_file_variables_become_absolute() {
        let cwd = Some(&b"/work/proj"[..]);
        assert_eq!(
            absolutize(b"AWS_CONFIG_FILE", b"aws/config".to_vec(), cwd),
            b"/work/proj/aws/config"
        );
        assert_eq!(
            absolutize(b"AWS_CONFIG_FILE", b"/etc/c".to_vec(), cwd),
            b"/etc/c"
        );
        assert_eq!(absolutize(b"AWS_CONFIG_FILE", b"~/c".to_vec(), cwd), b"~/c");
        assert_eq!(absolutize(b"AWS_PROFILE", b"dev".to_vec(), cwd), b"dev");
    }

    #[test]
    fn selects_aws_and_tool_variables_only() {
        for yes in [
            "AWS_PROFILE",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_VAULT",
            "AWSUME_PROFILE",
            "AWSU_PROFILE",
            "GRANTED_SSO",
            "HOME",
            "https_proxy",
        ] {
            assert!(is_fingerprint_var(yes.as_bytes()), "{yes}");
        }
        for no in [
            "TERM",
            "PWD",
            "SHLVL",
            "AWSID_LOG",
            "XAWS_PROFILE",
            "HOMEDIR",
        ] {
            assert!(!is_fingerprint_var(no.as_bytes()), "{no}");
        }
    }
}

//! Which environment variables a client sends with every request.
//!
//! These are the variables that can change which credentials, account, region, endpoint or
//! output format the AWS CLI / SDK would use in that shell: the whole `AWS_*` family, the
//! credential tools' variables (aws-vault, awsume, granted, awsu, aws-sso-cli), `HOME`, proxies
//! and CA settings. Erring on the side of more variables costs a cache miss; fewer could show
//! a wrong identity. `PATH` is sent too: it decides which `credential_process` program runs,
//! and the daemon folds it into the fingerprint when the profile uses one.

const PREFIXES: &[&[u8]] = &[b"AWS_", b"AWSU", b"GRANTED_"];

const EXACT: &[&[u8]] = &[
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
];

/// Whether a variable is part of the fingerprint inputs.
pub fn is_fingerprint_var(name: &[u8]) -> bool {
    PREFIXES.iter().any(|p| name.starts_with(p)) || EXACT.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::is_fingerprint_var;

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

//! The AWS CLI's sentences for the failures the credential chain can stop with, worded as
//! botocore's exceptions word them (`botocore/exceptions.py`), so `awsid whoami` prints what
//! `aws sts get-caller-identity` prints.

use std::fmt;

use awsid_proto::msg::FailureKind;

/// Why the CLI would stop before (or instead of) calling STS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CliError {
    /// A profile named by `--profile`, `AWS_DEFAULT_PROFILE` or `AWS_PROFILE` does not exist.
    ProfileNotFound { profile: String },
    /// A config or credentials file that exists but cannot be parsed.
    ConfigParse { path: String, detail: String },
    /// A source has some of its keys (`provider` is botocore's method name: `env`,
    /// `shared-credentials-file`, `config-file`, `assume-role`…).
    PartialCredentials { provider: String, missing: String },
    /// botocore's InvalidConfigError: the message is the whole sentence.
    InvalidConfig(String),
    /// A `source_profile` chain that comes back to a profile already visited.
    InfiniteLoop {
        profile: String,
        visited: Vec<String>,
    },
    /// botocore's CredentialRetrievalError.
    Retrieval { provider: String, message: String },
    /// Credentials whose expiry has passed (environment, `credential_process`).
    StillExpired,
    /// An expiry that cannot be parsed as a date (dateutil's message).
    BadDate(String),
    /// A role with `mfa_serial` and no usable entry in the CLI's cache: the CLI would ask for a
    /// code; a prompt cannot.
    NeedsMfa { profile: String, serial: String },
    /// No source had credentials.
    NoCredentials,
    /// botocore's SSOTokenLoadError: no usable token in the SSO cache (`aws sso login`
    /// writes it). The detail is botocore's, e.g. `Token for corp does not exist`.
    SsoTokenLoad(String),
    /// botocore's UnauthorizedSSOTokenError: the portal refused the token, or a legacy token
    /// expired.
    SsoUnauthorized,
    /// botocore's TokenRetrievalError for an sso-session token past its expiry whose refresh
    /// failed.
    SsoRefreshFailed,
    /// botocore's EndpointConnectionError: no connection to the URL.
    EndpointConnection { url: String },
    /// botocore's ConnectTimeoutError.
    ConnectTimeout { url: String },
    /// botocore's ReadTimeoutError: connected, no answer in time.
    ReadTimeout { url: String },
    /// botocore's ConnectionClosedError: the connection ended before a response.
    ConnectionClosed { url: String },
    /// botocore's SSLError (the detail is the TLS library's own words, which differ).
    Ssl { url: String, detail: String },
    /// Any other sentence the CLI ends with, as it prints it.
    Message(String),
    /// botocore's ClientError: the service answered `code`. `retries` is set when the call was
    /// given up after its last attempt.
    Service {
        code: String,
        operation: String,
        retries: Option<u32>,
        message: String,
    },
}

impl CliError {
    /// The kind of failure a client is told (whoami's exit code, the prompt's state).
    pub fn kind(&self) -> FailureKind {
        match self {
            CliError::ProfileNotFound { .. } => FailureKind::ProfileNotFound,
            CliError::NoCredentials => FailureKind::NoCredentials,
            CliError::NeedsMfa { .. } => FailureKind::NeedsMfa,
            CliError::SsoTokenLoad(_) | CliError::SsoUnauthorized | CliError::SsoRefreshFailed => {
                FailureKind::SsoLogin
            }
            CliError::EndpointConnection { .. }
            | CliError::ConnectionClosed { .. }
            | CliError::Ssl { .. } => FailureKind::Network,
            CliError::ConnectTimeout { .. } | CliError::ReadTimeout { .. } => FailureKind::Timeout,
            CliError::Service { .. } => FailureKind::Service,
            _ => FailureKind::Credentials,
        }
    }

    /// The service's error code (`ExpiredToken`, `Throttling`…), for a service error.
    pub fn code(&self) -> Option<String> {
        match self {
            CliError::Service { code, .. } => Some(code.clone()),
            _ => None,
        }
    }
}

/// The profile a [`CliError::ProfileNotFound`] sentence names (the resolver child sends its
/// failures as kind and words; this reads the name back from the one place that writes them).
pub fn profile_not_found_name(message: &str) -> Option<&str> {
    message
        .strip_prefix("The config profile (")?
        .strip_suffix(") could not be found")
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::ProfileNotFound { profile } => {
                write!(f, "The config profile ({profile}) could not be found")
            }
            CliError::ConfigParse { path, .. } => write!(f, "Unable to parse config file: {path}"),
            CliError::PartialCredentials { provider, missing } => {
                write!(f, "Partial credentials found in {provider}, missing: {missing}")
            }
            CliError::InvalidConfig(m) | CliError::Message(m) => f.write_str(m),
            CliError::InfiniteLoop { profile, visited } => write!(
                f,
                "Infinite loop in credential configuration detected. Attempting to load from \
                 profile {profile} which has already been visited. Visited profiles: {}",
                python_list(visited)
            ),
            CliError::Retrieval { provider, message } => {
                write!(f, "Error when retrieving credentials from {provider}: {message}")
            }
            CliError::StillExpired => {
                f.write_str("Credentials were refreshed, but the refreshed credentials are still expired.")
            }
            CliError::BadDate(m) => f.write_str(m),
            CliError::NeedsMfa { profile, serial } => write!(
                f,
                "The profile \"{profile}\" needs an MFA code for {serial}: run any aws command \
                 with --profile {profile} once (the AWS CLI caches the role's credentials, and \
                 awsid uses them)"
            ),
            CliError::NoCredentials => f.write_str(
                "Unable to locate credentials. You can configure credentials by running \"aws configure\".",
            ),
            CliError::SsoTokenLoad(detail) => write!(f, "Error loading SSO Token: {detail}"),
            CliError::SsoUnauthorized => f.write_str(
                "The SSO session associated with this profile has expired or is otherwise \
                 invalid. To refresh this SSO session run aws sso login with the corresponding \
                 profile.",
            ),
            CliError::SsoRefreshFailed => {
                f.write_str("Error when retrieving token from sso: Token has expired and refresh failed")
            }
            CliError::EndpointConnection { url } => {
                write!(f, "Could not connect to the endpoint URL: \"{url}\"")
            }
            CliError::ConnectTimeout { url } => {
                write!(f, "Connect timeout on endpoint URL: \"{url}\"")
            }
            CliError::ReadTimeout { url } => write!(f, "Read timeout on endpoint URL: \"{url}\""),
            CliError::ConnectionClosed { url } => write!(
                f,
                "Connection was closed before we received a valid response from endpoint URL: \"{url}\"."
            ),
            CliError::Ssl { url, detail } => write!(f, "SSL validation failed for {url} {detail}"),
            CliError::Service {
                code,
                operation,
                retries,
                message,
            } => {
                let retried = retries
                    .map(|n| format!(" (reached max retries: {n})"))
                    .unwrap_or_default();
                write!(
                    f,
                    "An error occurred ({code}) when calling the {operation} operation{retried}: \
                     {message}"
                )
            }
        }
    }
}

/// A list of strings as Python prints it: `['a', 'b']`.
fn python_list(items: &[String]) -> String {
    let inner: Vec<String> = items.iter().map(|s| format!("'{s}'")).collect();
    format!("[{}]", inner.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_match_botocore() {
        assert_eq!(
            CliError::PartialCredentials {
                provider: "env".into(),
                missing: "AWS_SECRET_ACCESS_KEY".into()
            }
            .to_string(),
            "Partial credentials found in env, missing: AWS_SECRET_ACCESS_KEY"
        );
        assert_eq!(
            CliError::InfiniteLoop {
                profile: "a".into(),
                visited: vec!["a".into(), "b".into()]
            }
            .to_string(),
            "Infinite loop in credential configuration detected. Attempting to load from \
             profile a which has already been visited. Visited profiles: ['a', 'b']"
        );
    }
}

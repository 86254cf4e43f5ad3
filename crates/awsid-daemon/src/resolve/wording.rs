//! The SDK's errors in the CLI's words (the sentences themselves are in
//! `awsid_aws::errors`): which botocore exception a transport failure is, the URL the request
//! went to, and an error chain's text without any `Debug` dump.

use std::error::Error;
use std::sync::{Arc, Mutex};

use std::sync::atomic::{AtomicU32, Ordering};

use aws_sdk_sts::config::interceptors::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_sdk_sts::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_sts::error::{BoxError, ConnectorError};
use awsid_aws::errors::CliError;

/// Remembers the URL of the last request a client sent (botocore names it in its connection
/// errors), and how many attempts the last operation made (botocore counts its retries).
/// Calls are made one after the other, so the last ones are the failing call's.
#[derive(Debug, Clone, Default)]
pub struct LastUrl {
    sent: Arc<Mutex<Option<String>>>,
    attempts: Arc<AtomicU32>,
    /// The endpoint URL a variable or the profile names.
    configured: Option<String>,
}

impl LastUrl {
    pub fn new(configured: Option<String>) -> LastUrl {
        LastUrl {
            sent: Arc::default(),
            attempts: Arc::default(),
            configured,
        }
    }

    /// The attempts the last operation made.
    pub fn attempts(&self) -> u32 {
        self.attempts.load(Ordering::Relaxed)
    }

    /// The URL as the CLI names it: a configured endpoint joined with the call's path `/` as
    /// botocore joins them (its own path kept, else `/`), else the URL the request went to.
    pub fn url(&self) -> String {
        if let Some(e) = &self.configured {
            return cli_url(e);
        }
        let sent = self.sent.lock().unwrap_or_else(|e| e.into_inner()).clone();
        sent.unwrap_or_else(|| "https://sts.amazonaws.com/".to_string())
    }
}

/// botocore's `_urljoin(endpoint_url, "/")`: the endpoint's own path when it has one, else `/`.
fn cli_url(endpoint: &str) -> String {
    let after_scheme = endpoint.split_once("://").map_or(endpoint, |(_, r)| r);
    let has_path = after_scheme.contains('/');
    match endpoint.split_once(['?', '#']) {
        _ if has_path => endpoint.to_string(),
        Some((base, rest)) => {
            let sep = &endpoint[base.len()..base.len() + 1];
            format!("{base}/{sep}{}", &rest)
        }
        None => format!("{endpoint}/"),
    }
}

impl Intercept for LastUrl {
    fn name(&self) -> &'static str {
        "awsid-last-url"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.attempts.store(0, Ordering::Relaxed);
        Ok(())
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let uri = context.request().uri().to_string();
        *self.sent.lock().unwrap_or_else(|e| e.into_inner()) = Some(uri);
        self.attempts.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

/// The Display of an error and of each of its sources, joined with `: ` (a source whose text
/// its parent already holds is left out). Never a `Debug` dump.
pub fn chain_text(err: &(dyn Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur = Some(err);
    while let Some(e) = cur {
        let text = e.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = e.source();
    }
    parts.join(": ")
}

/// The botocore exception a failed request to `url` is, when the failure is the transport's
/// (no connection, timeouts, a connection closed early, TLS); None for any other error.
pub fn transport(err: &(dyn Error + 'static), url: &str) -> Option<CliError> {
    let mut cur = Some(err);
    let connector = loop {
        let e = cur?;
        if let Some(c) = e.downcast_ref::<ConnectorError>() {
            break c;
        }
        cur = e.source();
    };
    Some(classify(
        &chain_text(connector),
        connector.is_timeout(),
        url,
    ))
}

/// A transport failure from its text (the HTTP client's words) and whether it timed out.
fn classify(text: &str, timeout: bool, url: &str) -> CliError {
    let url = url.to_string();
    let lower = text.to_ascii_lowercase();
    if lower.contains("connect timeout") {
        CliError::ConnectTimeout { url }
    } else if timeout {
        CliError::ReadTimeout { url }
    } else if let Some(at) = ["invalid peer certificate", "certificate", "tls", "ssl"]
        .iter()
        .find_map(|w| lower.find(w))
    {
        CliError::Ssl {
            url,
            detail: text[at..].to_string(),
        }
    } else if ["(connect)", "tcp connect", "trying to connect", "dns error"]
        .iter()
        .any(|w| lower.contains(w))
    {
        CliError::EndpointConnection { url }
    } else {
        CliError::ConnectionClosed { url }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_failures_are_the_cli_exceptions() {
        let url = "https://sts.amazonaws.com/";
        let cases = [
            (
                "io error: client error (Connect): tcp connect error: Connection refused (os error 111)",
                false,
                "Could not connect to the endpoint URL: \"https://sts.amazonaws.com/\"",
            ),
            (
                "io error: client error (Connect): dns error: failed to lookup address information",
                false,
                "Could not connect to the endpoint URL: \"https://sts.amazonaws.com/\"",
            ),
            (
                "timeout: client error (Connect): HTTP connect timeout occurred after 3.1s",
                true,
                "Connect timeout on endpoint URL: \"https://sts.amazonaws.com/\"",
            ),
            (
                "timeout: HTTP read timeout occurred after 2s",
                true,
                "Read timeout on endpoint URL: \"https://sts.amazonaws.com/\"",
            ),
            (
                "io error: client error (SendRequest): connection closed before message completed",
                false,
                "Connection was closed before we received a valid response from endpoint URL: \
                 \"https://sts.amazonaws.com/\".",
            ),
            (
                "other: client error (Connect): invalid peer certificate: UnknownIssuer",
                false,
                "SSL validation failed for https://sts.amazonaws.com/ invalid peer certificate: \
                 UnknownIssuer",
            ),
        ];
        for (text, timeout, want) in cases {
            assert_eq!(classify(text, timeout, url).to_string(), want, "{text}");
        }
    }

    #[test]
    fn configured_endpoints_are_named_as_botocore_joins_them() {
        assert_eq!(cli_url("http://127.0.0.1:9"), "http://127.0.0.1:9/");
        assert_eq!(cli_url("http://127.0.0.1:9/"), "http://127.0.0.1:9/");
        assert_eq!(cli_url("http://h:9/some/path"), "http://h:9/some/path");
        assert_eq!(cli_url("https://h?x=1"), "https://h/?x=1");
    }

    #[test]
    fn chain_text_has_no_debug_and_no_repeats() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let c = ConnectorError::io(Box::new(io));
        let text = chain_text(&c);
        assert!(
            text.contains("refused") && !text.contains("ConnectorError"),
            "{text}"
        );
    }
}

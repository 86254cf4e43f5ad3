//! Resolved credentials, with secrets wiped on drop and kept out of `Debug`.

use std::fmt;
use std::time::SystemTime;

use zeroize::Zeroize;

/// AWS credentials as a source returned them.
#[derive(Clone)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    /// When the credentials stop working; `None` for long-term keys.
    pub expiration: Option<SystemTime>,
    /// The account the source reported (`AccountId`), if any.
    pub account_id: Option<String>,
}

impl Drop for Credentials {
    fn drop(&mut self) {
        self.access_key_id.zeroize();
        self.secret_access_key.zeroize();
        if let Some(t) = self.session_token.as_mut() {
            t.zeroize();
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The access key id is not a secret (it is in every CloudTrail record) but the rest is.
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .field("expiration", &self.expiration)
            .field("account_id", &self.account_id)
            .finish()
    }
}

/// Bytes that may contain a secret (a credential program's stderr): never logged. `Debug` shows
/// only the length; read them with [`PossiblySecret::expose`] to show the user, as the CLI does.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct PossiblySecret(Vec<u8>);

impl PossiblySecret {
    pub fn new(bytes: Vec<u8>) -> Self {
        PossiblySecret(bytes)
    }
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Drop for PossiblySecret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for PossiblySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PossiblySecret(<{} bytes withheld>)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let c = Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "topsecret".into(),
            session_token: Some("tokensecret".into()),
            expiration: None,
            account_id: None,
        };
        let d = format!("{c:?}");
        assert!(d.contains("AKIDEXAMPLE"));
        assert!(
            !d.contains("topsecret") && !d.contains("tokensecret"),
            "{d}"
        );
        let s = PossiblySecret::new(b"password=hunter2".to_vec());
        assert_eq!(format!("{s:?}"), "PossiblySecret(<16 bytes withheld>)");
    }
}

//! The redaction rule: what of a failure may leave the shell that met it (the daemon's recent
//! errors, `awsid daemon status`, the doctor, the log).

use awsid_proto::msg::FailureKind;

/// A failure in words safe to keep or show beyond the shell that met it: its kind, its code and
/// the first line of its message; nothing of a message that can quote a secret (a credential
/// provider's error can carry what a credential_process printed; the rest of a service error
/// can carry the canonical request, session token included).
pub fn safe_summary(kind: FailureKind, code: Option<&str>, message: &str) -> String {
    let code = code.map(|c| format!(", {c}")).unwrap_or_default();
    let text = match kind {
        FailureKind::Credentials | FailureKind::Other => {
            "details withheld (they can quote what a credential provider printed); \
             `awsid whoami` in that shell shows them"
        }
        _ => message
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or_default(),
    };
    format!("{kind:?}{code}: {text}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_messages_are_withheld_and_others_keep_their_first_line() {
        let s = safe_summary(
            FailureKind::Credentials,
            None,
            "process said: password=SECRET",
        );
        assert!(!s.contains("SECRET"), "{s}");
        let s = safe_summary(
            FailureKind::Service,
            Some("ExpiredToken"),
            "\n  The token expired.\ncanonical request: SECRET",
        );
        assert_eq!(s, "Service, ExpiredToken: The token expired.");
    }
}

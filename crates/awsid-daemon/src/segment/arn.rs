//! What an ARN says about the principal: partition, type, role, session, user, and the SSO
//! permission set behind an `AWSReservedSSO_<set>_<hash>` role.

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Principal {
    pub partition: String,
    pub account: String,
    /// user, assumed-role, sso, federated-user, root, or the resource type.
    pub kind: String,
    /// The short name a prompt shows: role (or permission set), user, federated user, root.
    pub name: String,
    pub role: String,
    pub session: String,
    pub user: String,
}

pub fn parse(arn: &str) -> Principal {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() != 6 || parts[0] != "arn" {
        return Principal {
            name: arn.to_string(),
            ..Principal::default()
        };
    }
    let mut p = Principal {
        partition: parts[1].to_string(),
        account: parts[4].to_string(),
        ..Principal::default()
    };
    let resource = parts[5];
    if resource == "root" {
        p.kind = "root".into();
        p.name = "root".into();
        return p;
    }
    let mut segs = resource.split('/');
    let kind = segs.next().unwrap_or_default();
    let rest: Vec<&str> = segs.collect();
    match kind {
        "user" => {
            p.kind = "user".into();
            p.user = rest.last().copied().unwrap_or_default().to_string();
            p.name = p.user.clone();
        }
        "assumed-role" => {
            p.role = rest.first().copied().unwrap_or_default().to_string();
            p.session = rest.get(1..).map(|s| s.join("/")).unwrap_or_default();
            match sso_permission_set(&p.role) {
                Some(set) => {
                    p.kind = "sso".into();
                    p.name = set.to_string();
                }
                None => {
                    p.kind = "assumed-role".into();
                    p.name = p.role.clone();
                }
            }
        }
        "federated-user" => {
            p.kind = "federated-user".into();
            p.user = rest.join("/");
            p.name = p.user.clone();
        }
        other => {
            p.kind = other.to_string();
            p.name = rest.last().copied().unwrap_or(other).to_string();
        }
    }
    p
}

/// `AWSReservedSSO_AdministratorAccess_0123456789abcdef` → `AdministratorAccess`.
fn sso_permission_set(role: &str) -> Option<&str> {
    let rest = role.strip_prefix("AWSReservedSSO_")?;
    let (set, hash) = rest.rsplit_once('_')?;
    (!set.is_empty() && hash.chars().all(|c| c.is_ascii_hexdigit())).then_some(set)
}

/// The account id behind an access key id (AKIA…/ASIA…), decoded offline. Only a hint:
/// shown, marked unconfirmed, while STS has not answered.
pub fn account_from_access_key(key: &str) -> Option<String> {
    if key.len() != 20 || !(key.starts_with("AKIA") || key.starts_with("ASIA")) {
        return None;
    }
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits: u128 = 0;
    let mut n = 0;
    for c in key[4..].bytes().take(10) {
        let v = ALPHABET.iter().position(|a| *a == c)? as u128;
        bits = (bits << 5) | v;
        n += 5;
    }
    // The first 48 bits of the decoded body; the account sits in bits 7..47.
    let first48 = (bits >> (n - 48)) as u64;
    let account = (first48 & 0x7fff_ffff_ff80) >> 7;
    // Account ids have 12 digits; a key that decodes to more is not a real one (found by
    // fuzzing: such keys gave 13-digit "hints").
    (account <= 999_999_999_999).then(|| format!("{account:012}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principal_shapes() {
        let p = parse("arn:aws:iam::123456789012:user/division/team/alice");
        assert_eq!(
            (p.kind.as_str(), p.name.as_str(), p.user.as_str()),
            ("user", "alice", "alice")
        );
        let p = parse("arn:aws:sts::123456789012:assumed-role/admin/botocore-session-1");
        assert_eq!(
            (p.kind.as_str(), p.role.as_str(), p.session.as_str()),
            ("assumed-role", "admin", "botocore-session-1")
        );
        let p = parse("arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_AdministratorAccess_0123abcd4567ef89/alice@example.com");
        assert_eq!(
            (p.kind.as_str(), p.name.as_str()),
            ("sso", "AdministratorAccess")
        );
        assert_eq!(p.session, "alice@example.com");
        let p = parse("arn:aws:sts::123456789012:federated-user/bob");
        assert_eq!(
            (p.kind.as_str(), p.name.as_str()),
            ("federated-user", "bob")
        );
        let p = parse("arn:aws:iam::123456789012:root");
        assert_eq!((p.kind.as_str(), p.name.as_str()), ("root", "root"));
        let p = parse("arn:aws-cn:iam::123456789012:user/x");
        assert_eq!(p.partition, "aws-cn");
        let p = parse("arn:aws-us-gov:sts::123456789012:assumed-role/r/s");
        assert_eq!(
            (p.partition.as_str(), p.account.as_str()),
            ("aws-us-gov", "123456789012")
        );
    }

    #[test]
    fn access_key_account_decoding() {
        // Published example: this key id belongs to account 609629065308.
        assert_eq!(
            account_from_access_key("ASIAY34FZKBOKMUTVV7A").as_deref(),
            Some("609629065308")
        );
        assert_eq!(account_from_access_key("AKIA"), None);
        assert_eq!(account_from_access_key("XXXXY34FZKBOKMUTVV7A"), None);
        // Decodes to 13 digits: not a real key.
        assert_eq!(account_from_access_key("AKIAOSIFODNN7EXAMPLE"), None);
    }
}

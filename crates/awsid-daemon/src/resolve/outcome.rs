//! What the resolver child (`awsidd resolve`) tells the daemon on its stdout. Only the daemon
//! and its child speak this; a client sees the answer as `awsid_proto::msg` replies.

use awsid_aws::errors::CliError;
use awsid_proto::codec::{Decode, Encode};
use awsid_proto::msg::{CallerIdentity, FailureKind};

#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub enum ResolveOutcome {
    Identity(Identity),
    Failure(Failure),
}

#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct Identity {
    pub account: String,
    pub arn: String,
    pub user_id: String,
    /// When the credentials that produced this answer expire (Unix seconds).
    pub expires_unix: Option<i64>,
    /// The account alias, when the lookup was asked for.
    pub alias: AliasLookup,
    /// The account's name in the SSO portal (`sso:ListAccounts` with the same token), for an
    /// SSO profile whose account name is not yet remembered.
    pub sso_name: AliasLookup,
}

impl Identity {
    /// The three fields a client is told.
    pub fn caller(&self) -> CallerIdentity {
        CallerIdentity {
            account: self.account.clone(),
            arn: self.arn.clone(),
            user_id: self.user_id.clone(),
        }
    }
}

/// The result of `iam:ListAccountAliases` (opt-in) or of `sso:ListAccounts` (a denial is
/// remembered, not shown).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub enum AliasLookup {
    NotAsked,
    Found(String),
    NoAlias,
    Denied,
}

#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct Failure {
    pub kind: FailureKind,
    /// Error code from STS (`ExpiredToken`, `Throttling`…) for service errors.
    pub code: Option<String>,
    pub message: String,
}

/// The failure a client is told for an error of the CLI's chain (whoami's exit code, the
/// prompt's state).
pub trait CliFailure {
    fn failure(&self) -> Failure;
}

impl CliFailure for CliError {
    fn failure(&self) -> Failure {
        Failure {
            kind: self.kind(),
            code: self.code(),
            message: self.to_string(),
        }
    }
}

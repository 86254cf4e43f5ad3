//! The resolver child: `awsidd resolve`, run with exactly the client's environment.
//!
//! It loads the AWS SDK's default configuration and credential chain, as a program started in
//! that shell would (credential_process, SSO, role chains, web identity, container and instance
//! credentials, proxies and CA settings all see the shell's variables), calls
//! GetCallerIdentity once, and writes a [`ResolveOutcome`] on stdout. The daemon has already
//! applied the CLI's rules the SDK lacks (`AWS_DEFAULT_PROFILE`, `--profile` ignoring
//! environment keys, a missing named profile being an error) by shaping this environment.
//!
//! Region, as the CLI picks it: `AWS_DEFAULT_REGION`, then the profile's `region`, then the
//! global endpoint (`aws-global`). Instance metadata is never asked for a region.

use std::io::Write;
use std::process::ExitCode;
use std::time::UNIX_EPOCH;

use aws_config::meta::region::RegionProviderChain;
use aws_config::profile::ProfileFileRegionProvider;
use aws_config::{BehaviorVersion, Region};
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sdk_sts::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use awsid_proto::codec;
use awsid_proto::msg::{AliasLookup, Failure, FailureKind, Identity, ResolveOutcome};

/// What the daemon asks of this child beyond the identity (from its arguments).
struct Asked {
    /// Look up the account alias (opt-in), unless the account is one of `skip`.
    alias: bool,
    skip: Vec<String>,
}

fn asked() -> Asked {
    let args: Vec<String> = std::env::args().skip(2).collect();
    let mut asked = Asked {
        alias: false,
        skip: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--alias" => asked.alias = true,
            "--alias-skip" => {
                if let Some(list) = it.next() {
                    asked.skip = list.split(',').map(str::to_string).collect();
                }
            }
            _ => {}
        }
    }
    asked
}

pub fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("awsidd resolve: {e}");
            return ExitCode::from(2);
        }
    };
    let outcome = runtime.block_on(resolve(asked()));
    let mut out = std::io::stdout().lock();
    if out
        .write_all(&codec::encode(&outcome))
        .and_then(|_| out.flush())
        .is_err()
    {
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}

fn fail(kind: FailureKind, message: impl Into<String>) -> ResolveOutcome {
    ResolveOutcome::Failure(Failure {
        kind,
        code: None,
        message: message.into(),
    })
}

async fn resolve(asked: Asked) -> ResolveOutcome {
    let default_region = std::env::var("AWS_DEFAULT_REGION")
        .ok()
        .filter(|r| !r.is_empty())
        .map(Region::new);
    let region = RegionProviderChain::first_try(default_region)
        .or_else(ProfileFileRegionProvider::new())
        .or_else(Region::from_static("aws-global"));
    let config = aws_config::defaults(BehaviorVersion::latest())
        .region(region)
        .load()
        .await;
    let Some(provider) = config.credentials_provider() else {
        return fail(FailureKind::NoCredentials, "");
    };
    // Resolve credentials once, then sign the call with exactly those: a credential_process
    // or SSO exchange runs a single time.
    let creds = match provider.provide_credentials().await {
        Ok(c) => c,
        Err(CredentialsError::CredentialsNotLoaded(_)) => {
            return fail(FailureKind::NoCredentials, "")
        }
        Err(e @ CredentialsError::InvalidConfiguration(_)) => {
            return fail(
                FailureKind::Credentials,
                DisplayErrorContext(&e).to_string(),
            )
        }
        Err(e) => return fail(FailureKind::Other, DisplayErrorContext(&e).to_string()),
    };
    // Credentials from the environment cannot be refreshed: their expiry is the one the
    // credential tool exported (or the SDK saw). Every other source refreshes itself (role
    // chains, SSO through its token, credential_process), so its expiry means nothing to a user.
    let from_env = std::env::var_os("AWS_ACCESS_KEY_ID").is_some_and(|v| !v.is_empty());
    let expires_unix = if from_env {
        let sdk = creds
            .expiry()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| d.as_secs() as i64);
        let exported = super::expiry::from_env(|k| std::env::var(k).ok());
        sdk.into_iter().chain(exported).min()
    } else {
        None
    };
    let creds = SharedCredentialsProvider::new(creds);
    let sts_config = aws_sdk_sts::config::Builder::from(&config)
        .credentials_provider(creds.clone())
        .build();
    let client = aws_sdk_sts::Client::from_conf(sts_config);
    match client.get_caller_identity().send().await {
        Ok(out) => {
            let account = out.account().unwrap_or_default().to_string();
            let alias = if asked.alias && !asked.skip.contains(&account) {
                alias(&config, creds).await
            } else {
                AliasLookup::NotAsked
            };
            ResolveOutcome::Identity(Identity {
                account,
                arn: out.arn().unwrap_or_default().to_string(),
                user_id: out.user_id().unwrap_or_default().to_string(),
                expires_unix,
                alias,
            })
        }
        Err(SdkError::ServiceError(e)) => {
            let err = e.err();
            ResolveOutcome::Failure(Failure {
                kind: FailureKind::Service,
                code: err.code().map(str::to_string),
                message: err.message().unwrap_or_default().to_string(),
            })
        }
        Err(e @ (SdkError::DispatchFailure(_) | SdkError::TimeoutError(_))) => fail(
            FailureKind::Network,
            format!(
                "Could not connect to the STS endpoint: {}",
                DisplayErrorContext(&e)
            ),
        ),
        Err(e) => fail(FailureKind::Other, DisplayErrorContext(&e).to_string()),
    }
}

/// `iam:ListAccountAliases` with the same credentials, bounded to a few seconds. Any error
/// (most often AccessDenied) is a denial, remembered by the daemon and never shown.
async fn alias(config: &aws_config::SdkConfig, creds: SharedCredentialsProvider) -> AliasLookup {
    let iam_config = aws_sdk_iam::config::Builder::from(config)
        .credentials_provider(creds)
        .build();
    let iam = aws_sdk_iam::Client::from_conf(iam_config);
    let call = iam.list_account_aliases().send();
    match tokio::time::timeout(std::time::Duration::from_secs(3), call).await {
        Ok(Ok(out)) => match out.account_aliases().first() {
            Some(a) => AliasLookup::Found(a.clone()),
            None => AliasLookup::NoAlias,
        },
        _ => AliasLookup::Denied,
    }
}

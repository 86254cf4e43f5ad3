//! The resolver child: `awsidd resolve [--profile NAME]`, run with exactly the client's
//! environment, in the client's working directory.
//!
//! It walks the CLI's chain (`awsid_aws::chain`, the same walk the daemon fingerprinted),
//! gets the credentials of the source that answers, in the CLI's way (`credential_process`
//! without a shell, the CLI's cache for assumed roles, web identity, SSO with its token,
//! container and instance metadata through aws-config's providers), calls GetCallerIdentity
//! once with exactly those credentials, and writes a [`ResolveOutcome`](super::outcome::ResolveOutcome) on stdout.
//!
//! The SDK reads no profile file here: every profile setting it needs (region, endpoint)
//! comes from the plan, so a file the CLI accepts never fails in the SDK's stricter parser.
//! Region: the plan's (CLI v2's order), else the global endpoint (`aws-global`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::resolve::outcome::{AliasLookup, CliFailure, Failure, Identity, ResolveOutcome};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use awsid_aws::chain::{self, Role, RoleSource, Source};
use awsid_aws::cli_cache::{self, RoleState};
use awsid_aws::errors::CliError;
use awsid_aws::process::{self, Limits, ProcessSpec};
use awsid_aws::select::{self, Vars};
use awsid_aws::shared::Files;
use awsid_proto::codec;
use awsid_proto::msg::{Env, FailureKind};

use super::wording::{self, LastUrl};

/// What the daemon asks of this child (from its arguments).
struct Asked {
    profile: Option<String>,
    /// The daemon kills this child (and its process group) at this deadline.
    deadline: Option<Duration>,
    /// Look up the account alias (opt-in), unless the account is one of `skip`.
    alias: bool,
    skip: Vec<String>,
    /// Accounts whose SSO portal name the daemon already remembers: not asked again.
    sso_skip: Vec<String>,
    /// `whoami --region`.
    region: Option<String>,
    /// `whoami --endpoint-url` / `--ca-bundle`: for the GetCallerIdentity call only.
    endpoint_url: Option<String>,
    ca_bundle: Option<PathBuf>,
    /// `--cli-read-timeout` / `--cli-connect-timeout` (seconds; 0: none).
    read_timeout: Option<u64>,
    connect_timeout: Option<u64>,
}

fn asked() -> Asked {
    let args: Vec<String> = std::env::args().skip(2).collect();
    let mut asked = Asked {
        profile: None,
        deadline: None,
        alias: false,
        skip: Vec::new(),
        sso_skip: Vec::new(),
        region: None,
        endpoint_url: None,
        ca_bundle: None,
        read_timeout: None,
        connect_timeout: None,
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
            "--sso-name-skip" => {
                if let Some(list) = it.next() {
                    asked.sso_skip = list.split(',').map(str::to_string).collect();
                }
            }
            "--profile" => asked.profile = it.next().cloned(),
            "--region" => asked.region = it.next().cloned(),
            "--endpoint-url" => asked.endpoint_url = it.next().cloned(),
            "--ca-bundle" => asked.ca_bundle = it.next().map(PathBuf::from),
            "--read-timeout" => asked.read_timeout = it.next().and_then(|n| n.parse().ok()),
            "--connect-timeout" => asked.connect_timeout = it.next().and_then(|n| n.parse().ok()),
            "--deadline-ms" => {
                asked.deadline = it
                    .next()
                    .and_then(|n| n.parse().ok())
                    .map(Duration::from_millis)
            }
            _ => {}
        }
    }
    asked
}

pub fn main() -> ExitCode {
    // The CLI verifies TLS with AWS_CA_BUNDLE / ca_bundle or its own bundle, never with
    // these; the SDK's native roots would read them. (Single-threaded here: no runtime yet.)
    // The values stay in the environment a credential_process gets (see `environment`).
    let ssl: Vec<(std::ffi::OsString, std::ffi::OsString)> = ["SSL_CERT_FILE", "SSL_CERT_DIR"]
        .iter()
        .filter_map(|k| std::env::var_os(k).map(|v| ((*k).into(), v)))
        .collect();
    for (k, _) in &ssl {
        std::env::remove_var(k);
    }
    SSL_VARS.with(|cell| *cell.borrow_mut() = ssl);
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

fn fail(kind: FailureKind, message: impl Into<String>) -> Failure {
    Failure {
        kind,
        code: None,
        message: message.into(),
    }
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

thread_local! {
    /// SSL_CERT_FILE / SSL_CERT_DIR as the client had them (taken out of this process).
    static SSL_VARS: std::cell::RefCell<Vec<(std::ffi::OsString, std::ffi::OsString)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// This process's environment: the client's.
fn environment() -> Env {
    use std::os::unix::ffi::OsStrExt;
    let mut env: Env = std::env::vars_os()
        .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
        .collect();
    SSL_VARS.with(|cell| {
        for (k, v) in cell.borrow().iter() {
            env.push((k.as_bytes().to_vec(), v.as_bytes().to_vec()));
        }
    });
    env
}

/// What the execution of a plan needs besides the plan.
struct Ctx {
    vars: Vars,
    env: Env,
    files: Files,
    home: Option<PathBuf>,
    cwd: PathBuf,
    /// The SDK's configuration for the calls (region, endpoint, HTTP client; no credentials).
    sdk: SdkConfig,
    /// How long a credential_process may run.
    process_timeout: Duration,
    /// The URL of the last request sent (the CLI names it when a connection fails).
    last_url: LastUrl,
}

async fn resolve(asked: Asked) -> ResolveOutcome {
    let started = std::time::Instant::now();
    let env = environment();
    let vars = Vars::from_env(&env);
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    let home = select::home(&vars);
    let (config, credentials) = select::shared_files(&vars, Some(&cwd));
    let files = Files::read(config.as_deref(), credentials.as_deref());
    let plan = chain::plan(chain::Input {
        vars: &vars,
        flag_profile: asked.profile.as_deref(),
        flag_region: asked.region.as_deref(),
        files: files.clone(),
        home: home.as_deref(),
        cwd: Some(&cwd),
        now_unix: now_unix(),
    });
    let source = match &plan.source {
        Ok(s) => s.clone(),
        Err(e) => return ResolveOutcome::Failure(e.failure()),
    };
    let (sdk, endpoint) = match sdk_config(&plan, &vars, &files, &asked).await {
        Ok(loaded) => loaded,
        Err(f) => return ResolveOutcome::Failure(f),
    };
    // A credential_process runs in a process group of its own: it must end before the
    // daemon kills this child's group at the deadline.
    let process_timeout = asked.deadline.map_or(PROCESS_TIMEOUT, |d| {
        d.saturating_sub(Duration::from_secs(1))
            .max(Duration::from_millis(500))
            .min(PROCESS_TIMEOUT)
    });
    let ctx = Ctx {
        vars,
        env,
        files,
        home,
        cwd,
        sdk,
        process_timeout,
        last_url: LastUrl::new(endpoint),
    };
    let creds = match credentials_of(&source, &ctx).await {
        Ok(c) => c,
        Err(f) => return ResolveOutcome::Failure(f),
    };
    // Only credentials from the environment cannot be refreshed: their expiry is the one the
    // credential tool exported. Every other source refreshes itself (role chains, SSO through
    // its token, credential_process), so its expiry means nothing to a user.
    let expires_unix = match &source {
        Source::Env(_) => {
            let sdk = creds
                .expiry()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map(|d| d.as_secs() as i64);
            let exported = awsid_aws::expiry::from_env(|k| ctx.vars.get(k).map(str::to_string));
            sdk.into_iter().chain(exported).min()
        }
        _ => None,
    };
    let mut outcome = caller_identity(&ctx, creds, expires_unix, &asked).await;
    if let (ResolveOutcome::Identity(id), Source::Sso { .. }) = (&mut outcome, &source) {
        // A few seconds at most, and never past the daemon's deadline (the identity first).
        let left = asked.deadline.map_or(SSO_NAME_TIMEOUT, |d| {
            d.saturating_sub(started.elapsed())
                .saturating_sub(Duration::from_secs(1))
        });
        let limit = left.min(SSO_NAME_TIMEOUT);
        if !asked.sso_skip.contains(&id.account) && !limit.is_zero() {
            id.sso_name = sso_account_name(&source, &id.account, &ctx, limit).await;
        }
    }
    outcome
}

/// How long the SSO portal's account list may take, at most.
const SSO_NAME_TIMEOUT: Duration = Duration::from_secs(3);

/// The account's name in the SSO portal: `sso:ListAccounts` (what `aws sso list-accounts`
/// calls) with the access token the credentials were just fetched with. Best-effort and
/// bounded by `limit`: any failure is a denial, never a failed identity. The token is
/// read from the CLI's cache file and goes nowhere but the portal's header.
async fn sso_account_name(
    source: &Source,
    account: &str,
    ctx: &Ctx,
    limit: Duration,
) -> AliasLookup {
    let Source::Sso {
        sso_region,
        token_file: Some(token_file),
        ..
    } = source
    else {
        return AliasLookup::Denied;
    };
    let token = std::fs::read(token_file)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|t| t.get("accessToken")?.as_str().map(str::to_string));
    let Some(token) = token else {
        return AliasLookup::Denied;
    };
    let config = aws_sdk_sso::config::Builder::from(&ctx.sdk)
        .region(Region::new(sso_region.clone()))
        .endpoint_url(sso_base(&ctx.vars, sso_region))
        .build();
    let sso = aws_sdk_sso::Client::from_conf(config);
    let lookup = async {
        let mut next: Option<String> = None;
        // Twenty pages at most.
        for _ in 0..20 {
            let page = match sso
                .list_accounts()
                .access_token(&token)
                .set_next_token(next.take())
                .send()
                .await
            {
                Ok(page) => page,
                // The portal's refusal (most often a role without sso:ListAccounts) is
                // remembered; a failed connection is asked again at the next lookup.
                Err(SdkError::ServiceError(_)) => return Some(AliasLookup::Denied),
                Err(_) => return None,
            };
            let found = page
                .account_list()
                .iter()
                .find(|a| a.account_id() == Some(account));
            if let Some(a) = found {
                // A name with a control character is no name (it would reach terminals).
                return Some(match a.account_name() {
                    Some(n) if !n.is_empty() && !n.chars().any(char::is_control) => {
                        AliasLookup::Found(n.to_string())
                    }
                    _ => AliasLookup::NoAlias,
                });
            }
            next = page.next_token().map(str::to_string);
            if next.is_none() {
                break;
            }
        }
        Some(AliasLookup::NoAlias)
    };
    match tokio::time::timeout(limit, lookup).await {
        Ok(Some(found)) => found,
        _ => AliasLookup::NotAsked,
    }
}

/// Where a configured STS endpoint comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Configured {
    /// `AWS_ENDPOINT_URL_STS` or `AWS_ENDPOINT_URL`.
    Variable,
    /// The profile's `services` section or its `endpoint_url`.
    Profile,
}

/// The STS endpoint URL configured for this plan, as the CLI picks it: a variable, else
/// (unless configured endpoints are ignored) the profile's `services` section, else its
/// `endpoint_url`. None: the default endpoint for the region.
pub fn configured_endpoint(
    plan: &chain::Plan,
    vars: &Vars,
    files: &Files,
) -> Option<(String, Configured)> {
    let from_vars = vars
        .get("AWS_ENDPOINT_URL_STS")
        .or_else(|| vars.get("AWS_ENDPOINT_URL"));
    if let Some(url) = from_vars {
        return Some((url.to_string(), Configured::Variable));
    }
    let ignore = vars
        .get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if ignore {
        return None;
    }
    let profile = files.profile(&plan.profile.name);
    let service = profile
        .get("services")
        .filter(|s| !s.is_empty())
        .and_then(|name| files.config.get()?.services.get(name))
        .and_then(|s| s.get("sts"))
        .and_then(|v| match v {
            awsid_aws::files::Value::Nested(m) => m.get("endpoint_url").cloned(),
            awsid_aws::files::Value::Text(_) => None,
        });
    service
        .or_else(|| profile.get("endpoint_url").map(str::to_string))
        .map(|url| (url, Configured::Profile))
}

/// The SDK configuration for this plan: the region the CLI would sign for, the endpoint the
/// profile names, and no profile file read by the SDK itself. Also the endpoint URL a
/// variable or the profile names, if any.
async fn sdk_config(
    plan: &chain::Plan,
    vars: &Vars,
    files: &Files,
    asked: &Asked,
) -> Result<(SdkConfig, Option<String>), Failure> {
    let region = plan
        .region
        .as_ref()
        .map(|(r, _)| Region::new(r.clone()))
        .unwrap_or_else(|| Region::from_static("aws-global"));
    let no_files = aws_runtime::env_config::file::EnvConfigFiles::builder()
        .with_contents(aws_runtime::env_config::file::EnvConfigFileKind::Config, "")
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(region)
        .profile_files(no_files)
        .no_credentials();
    // The CLI's default socket timeouts (60 s), or `--cli-*-timeout` (0: none); and the calls
    // end a little before the daemon's deadline, so that a hanging endpoint is reported in the
    // CLI's words (a read timeout naming the URL) rather than cut short.
    let secs = |t: Option<u64>| match t.unwrap_or(60) {
        0 => None,
        n => Some(Duration::from_secs(n)),
    };
    let mut timeouts = aws_config::timeout::TimeoutConfig::builder();
    timeouts.set_connect_timeout(secs(asked.connect_timeout));
    timeouts.set_read_timeout(secs(asked.read_timeout));
    if let Some(d) = asked.deadline {
        let limit = d
            .saturating_sub(Duration::from_secs(1))
            .max(Duration::from_millis(500));
        timeouts.set_operation_timeout(Some(limit));
    }
    loader = loader.timeout_config(timeouts.build());
    // A variable's endpoint the SDK reads itself; the profile's is handed to it.
    let endpoint = configured_endpoint(plan, vars, files);
    if let Some((url, Configured::Profile)) = &endpoint {
        loader = loader.endpoint_url(url.clone());
    }
    let endpoint = endpoint.map(|(url, _)| url);
    if let Some(bundle) = &plan.ca_bundle {
        // The bundle is only read for a TLS connection (an http:// endpoint never needs it).
        let plain_http = endpoint
            .as_deref()
            .is_some_and(|e| e.to_ascii_lowercase().starts_with("http://"));
        if !plain_http {
            loader = loader.http_client(tls_client(bundle)?);
        }
    }
    Ok((loader.load().await, endpoint))
}

/// An HTTPS client that trusts exactly the certificates of a CA bundle, as the CLI does with
/// `AWS_CA_BUNDLE` / `ca_bundle`.
fn tls_client(bundle: &Path) -> Result<aws_sdk_sts::config::SharedHttpClient, Failure> {
    use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
    let pem = std::fs::read(bundle).map_err(|_| {
        fail(
            FailureKind::Credentials,
            format!(
                "Could not find a suitable TLS CA certificate bundle, invalid path: {}",
                bundle.display()
            ),
        )
    })?;
    let context = TlsContext::builder()
        .with_trust_store(
            TrustStore::empty()
                .with_native_roots(false)
                .with_pem_certificate(pem),
        )
        .build()
        .map_err(|e| {
            fail(
                FailureKind::Credentials,
                format!("CA bundle {}: {e}", bundle.display()),
            )
        })?;
    Ok(aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(context)
        .build_https())
}

/// The credentials of a source, as the CLI gets them.
fn credentials_of<'a>(
    source: &'a Source,
    ctx: &'a Ctx,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Credentials, Failure>> + 'a>> {
    Box::pin(async move {
        match source {
            Source::Env(keys) => {
                let get = |k: &str| ctx.vars.get(k).unwrap_or_default().to_string();
                let token = keys.token_var.map(get);
                let expiry = keys
                    .expires_unix
                    .map(|t| UNIX_EPOCH + Duration::from_secs(t.max(0) as u64));
                Ok(Credentials::new(
                    get("AWS_ACCESS_KEY_ID"),
                    get("AWS_SECRET_ACCESS_KEY"),
                    token,
                    expiry,
                    "environment",
                ))
            }
            Source::SharedCredentials { profile, .. } => static_keys(
                ctx.files.credentials_section(profile),
                "shared-credentials-file",
            ),
            Source::ConfigKeys { profile, .. } => {
                static_keys(ctx.files.config_profile(profile), "config-file")
            }
            Source::Ec2CredentialFile(path) => {
                let map =
                    awsid_aws::files::read_key_val_file(&path.display().to_string(), &ctx.cwd)
                        .map_err(|e| fail(FailureKind::Credentials, e.cli_message()))?;
                let get = |k: &str| map.get(k).cloned().unwrap_or_default();
                Ok(Credentials::new(
                    get("AWSAccessKeyId"),
                    get("AWSSecretKey"),
                    None,
                    None,
                    "ec2-credentials-file",
                ))
            }
            Source::BotoConfig(path) => {
                let state = awsid_aws::files::read_file(&path.display().to_string(), &ctx.cwd)
                    .map_err(|e| fail(FailureKind::Credentials, e.cli_message()))?;
                let raw = state.raw().unwrap_or_default();
                static_keys(raw.section("Credentials"), "boto-config")
            }
            Source::Process { command, .. } => run_process(command, ctx),
            Source::AssumeRole(role) => assume_role(role, ctx).await,
            Source::WebIdentity {
                role_arn,
                token_file,
                token_file_given,
                session_name,
                ..
            } => {
                let token = (token_file.as_path(), token_file_given.as_str());
                web_identity(role_arn, token, session_name.as_deref(), ctx).await
            }
            Source::Sso {
                session,
                start_url,
                sso_region,
                account_id,
                role_name,
                token_file,
                ..
            } => {
                sso_token_check(token_file.as_deref(), session.as_deref(), start_url)?;
                let mut builder = aws_config::sso::SsoCredentialsProvider::builder()
                    .configure(&provider_config(ctx))
                    .account_id(account_id)
                    .role_name(role_name)
                    .start_url(start_url)
                    .region(Region::new(sso_region.clone()));
                if let Some(s) = session {
                    builder = builder.session_name(s);
                }
                let url = sso_url(&ctx.vars, sso_region, role_name, account_id);
                builder
                    .build()
                    .provide_credentials()
                    .await
                    .map_err(|e| sso_failure(&e, &url))
            }
            Source::Login { .. } => Err(fail(
                FailureKind::Credentials,
                "awsid cannot use console login credentials (login_session) yet",
            )),
            Source::Container => {
                let provider = aws_config::ecs::EcsCredentialsProvider::builder()
                    .configure(&provider_config(ctx))
                    .build();
                provider
                    .provide_credentials()
                    .await
                    .map_err(|e| container_failure(&e, ctx))
            }
            Source::InstanceMetadata => {
                let provider = aws_config::imds::credentials::ImdsCredentialsProvider::builder()
                    .configure(&provider_config(ctx))
                    .build();
                // No answer from instance metadata is "no credentials" to the CLI.
                provider
                    .provide_credentials()
                    .await
                    .map_err(|_| CliError::NoCredentials.failure())
            }
        }
    })
}

/// The CLI's checks of the SSO token cache before any call: a missing or malformed token,
/// and an expired legacy token (an sso-session token is renewed with its refresh token).
fn sso_token_check(
    file: Option<&Path>,
    session: Option<&str>,
    start_url: &str,
) -> Result<(), Failure> {
    let load_error = |m: String| CliError::SsoTokenLoad(m).failure();
    let name = session.unwrap_or(start_url);
    let Some(bytes) = file.and_then(|f| std::fs::read(f).ok()) else {
        return Err(load_error(format!("Token for {name} does not exist")));
    };
    let token: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|_| load_error(format!("Token for {start_url} is invalid")))?;
    let (Some(_), Some(expires)) = (token.get("accessToken"), token.get("expiresAt")) else {
        return Err(load_error(format!("Token for {start_url} is invalid")));
    };
    let raw = expires.as_str().unwrap_or_default();
    let Some(at) = awsid_aws::expiry::parse_with_offset(raw) else {
        // dateutil's words for a time it cannot read.
        return Err(fail(
            FailureKind::Credentials,
            format!("Unknown string format: {raw}"),
        ));
    };
    let expired = at <= now_unix();
    if session.is_none() && expired {
        return Err(CliError::SsoUnauthorized.failure());
    }
    let refreshable = token
        .get("refreshToken")
        .and_then(|t| t.as_str())
        .is_some_and(|t| !t.is_empty());
    if expired && !refreshable {
        return Err(CliError::SsoRefreshFailed.failure());
    }
    Ok(())
}

fn provider_config(ctx: &Ctx) -> aws_config::provider_config::ProviderConfig {
    aws_config::provider_config::ProviderConfig::default().with_region(ctx.sdk.region().cloned())
}

type CredentialsError = aws_credential_types::provider::error::CredentialsError;

/// The URL of the SSO portal's GetRoleCredentials call, as the CLI's errors name it: at
/// `AWS_ENDPOINT_URL_SSO` / `AWS_ENDPOINT_URL` when set (the SDK's SSO client reads them as
/// botocore does), else the region's portal.
fn sso_url(vars: &Vars, region: &str, role: &str, account: &str) -> String {
    format!(
        "{}/federation/credentials?role_name={}&account_id={}",
        sso_base(vars, region),
        query_escape(role),
        query_escape(account)
    )
}

/// The SSO portal: `AWS_ENDPOINT_URL_SSO` / `AWS_ENDPOINT_URL` when set, else the region's.
fn sso_base(vars: &Vars, region: &str) -> String {
    vars.get("AWS_ENDPOINT_URL_SSO")
        .or_else(|| vars.get("AWS_ENDPOINT_URL"))
        .filter(|u| !u.is_empty())
        .map(|u| u.trim_end_matches('/').to_string())
        .unwrap_or_else(|| format!("https://portal.sso.{region}.amazonaws.com"))
}

/// Percent-encoding of a query value as botocore does it (unreserved characters kept).
fn query_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The SSO provider's failure in the CLI's words: the token could not be renewed, the portal
/// refused it (signed out), or the portal could not be reached.
fn sso_failure(e: &CredentialsError, url: &str) -> Failure {
    use aws_credential_types::provider::error::TokenError;
    let err: &(dyn std::error::Error + 'static) = e;
    if let Some(c) = wording::transport(err, url) {
        return c.failure();
    }
    let mut cur = Some(err);
    while let Some(e) = cur {
        if e.downcast_ref::<TokenError>().is_some() {
            return CliError::SsoRefreshFailed.failure();
        }
        cur = e.source();
    }
    let text = wording::chain_text(err);
    if text.contains("UnauthorizedException") {
        return CliError::SsoUnauthorized.failure();
    }
    fail(FailureKind::Credentials, text)
}

/// The container provider's failure in the CLI's words (botocore's ContainerProvider).
fn container_failure(e: &CredentialsError, ctx: &Ctx) -> Failure {
    if let CredentialsError::CredentialsNotLoaded(_) = e {
        return CliError::NoCredentials.failure();
    }
    let url = ctx
        .vars
        .get("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        .map(str::to_string)
        .or_else(|| {
            ctx.vars
                .get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
                .map(|r| format!("http://169.254.170.2{r}"))
        })
        .unwrap_or_default();
    let err: &(dyn std::error::Error + 'static) = e;
    let detail = match wording::transport(err, &url) {
        Some(c) => format!(
            "Error retrieving metadata: Received error when attempting to retrieve container \
             metadata: {c}"
        ),
        None => wording::chain_text(err),
    };
    CliError::Retrieval {
        provider: "container-role".into(),
        message: detail,
    }
    .failure()
}

/// Keys of a section (the chain already checked both are there).
fn static_keys(
    section: Option<&awsid_aws::files::Section>,
    method: &'static str,
) -> Result<Credentials, Failure> {
    let get = |k: &str| {
        section
            .and_then(|s| s.get(k))
            .and_then(|v| v.as_text())
            .map(str::to_string)
    };
    // botocore reads aws_security_token before aws_session_token.
    let token = get("aws_security_token").or_else(|| get("aws_session_token"));
    Ok(Credentials::new(
        get("aws_access_key_id").unwrap_or_default(),
        get("aws_secret_access_key").unwrap_or_default(),
        token,
        None,
        method,
    ))
}

/// How long a credential_process may run before it (and all it started) is killed, at most.
const PROCESS_TIMEOUT: Duration = Duration::from_secs(30);

/// `credential_process` as botocore runs it: split like a POSIX shell, no shell, in the
/// shell's directory, with its environment; run again when its credentials are about to
/// expire; an expired answer refused.
fn run_process(command: &str, ctx: &Ctx) -> Result<Credentials, Failure> {
    use std::ffi::OsString;
    use std::os::unix::ffi::OsStringExt;
    let env: Vec<(OsString, OsString)> = ctx
        .env
        .iter()
        .map(|(k, v)| (OsString::from_vec(k.clone()), OsString::from_vec(v.clone())))
        .collect();
    let spec = ProcessSpec {
        command,
        cwd: &ctx.cwd,
        env: &env,
        limits: Limits {
            timeout: ctx.process_timeout,
            ..Limits::default()
        },
    };
    match process::fetch_like_cli(&spec, &SystemTime::now) {
        Ok(c) => Ok(Credentials::new(
            c.access_key_id.clone(),
            c.secret_access_key.clone(),
            c.session_token.clone(),
            c.expiration,
            "credential_process",
        )),
        Err(e) => Err(fail(
            FailureKind::Credentials,
            e.cli_message().unwrap_or_else(|| e.to_string()),
        )),
    }
}

/// An STS client signing with `creds` (or unsigned).
fn sts(ctx: &Ctx, creds: Option<Credentials>) -> aws_sdk_sts::Client {
    let mut b = aws_sdk_sts::config::Builder::from(&ctx.sdk).interceptor(ctx.last_url.clone());
    if let Some(c) = creds {
        b = b.credentials_provider(SharedCredentialsProvider::new(c));
    }
    aws_sdk_sts::Client::from_conf(b.build())
}

/// botocore's default session name for roles it assumes.
fn default_session_name() -> String {
    format!("botocore-session-{}", now_unix())
}

fn sts_credentials(c: Option<&aws_sdk_sts::types::Credentials>) -> Result<Credentials, Failure> {
    let c = c.ok_or_else(|| fail(FailureKind::Other, "STS returned no credentials"))?;
    let expiry = SystemTime::try_from(*c.expiration()).ok();
    Ok(Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_string()),
        expiry,
        "sts",
    ))
}

/// botocore's AssumeRoleProvider, with the AWS CLI's cache: a usable cache entry is what the
/// CLI would use; `mfa_serial` without one is a marked state, never an AssumeRole without
/// the code.
async fn assume_role(role: &Role, ctx: &Ctx) -> Result<Credentials, Failure> {
    let state = match &ctx.home {
        Some(home) => cli_cache::role_state(home, &role.args, SystemTime::now()).1,
        None if role.args.mfa_serial.is_some() => RoleState::NeedsMfa {
            mfa_serial: role.args.mfa_serial.clone().unwrap_or_default(),
        },
        None => RoleState::AssumeRole,
    };
    match state {
        RoleState::Cached(c) => {
            return Ok(Credentials::new(
                c.access_key_id.clone(),
                c.secret_access_key.clone(),
                c.session_token.clone(),
                c.expiration,
                "cli-cache",
            ))
        }
        RoleState::NeedsMfa { mfa_serial } => {
            return Err(CliError::NeedsMfa {
                profile: role.profile.clone(),
                serial: mfa_serial,
            }
            .failure())
        }
        RoleState::Broken {
            cli_message,
            reason,
        } => {
            return Err(fail(
                FailureKind::Credentials,
                cli_message.unwrap_or(reason),
            ))
        }
        RoleState::AssumeRole => {}
    }
    let source = match &role.source {
        RoleSource::Profile(s) => credentials_of(s, ctx).await?,
        RoleSource::Named(named, s) => credentials_of(s, ctx).await.map_err(|f| {
            if f.kind == FailureKind::NoCredentials {
                // No answer from the named source is the CLI's retrieval error, not "none".
                CliError::Retrieval {
                    provider: format!("{named:?}"),
                    message: format!(
                        "No credentials found in credential_source referenced in profile {}",
                        role.profile
                    ),
                }
                .failure()
            } else {
                f
            }
        })?,
    };
    let args = &role.args;
    // The CLI validates the parameters before the call.
    if args.role_arn.chars().count() < 20 {
        return Err(fail(
            FailureKind::Credentials,
            format!(
                "Parameter validation failed:\nInvalid length for parameter RoleArn, value: {}, \
                 valid min length: 20",
                args.role_arn.chars().count()
            ),
        ));
    }
    let session = args
        .role_session_name
        .clone()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(default_session_name);
    let duration = args
        .duration_seconds
        .as_deref()
        .and_then(awsid_aws::cli_cache::python_int)
        .and_then(|d| d.parse::<i32>().ok());
    let out = sts(ctx, Some(source))
        .assume_role()
        .role_arn(&args.role_arn)
        .role_session_name(session)
        .set_external_id(args.external_id.clone())
        .set_duration_seconds(duration)
        .send()
        .await
        .map_err(|e| sts_failure(e, "AssumeRole", ctx))?;
    sts_credentials(out.credentials())
}

/// botocore's AssumeRoleWithWebIdentity: the token read from its file at each call.
async fn web_identity(
    role_arn: &str,
    (token_file, given): (&Path, &str),
    session_name: Option<&str>,
    ctx: &Ctx,
) -> Result<Credentials, Failure> {
    let token = std::fs::read_to_string(token_file).map_err(|e| {
        fail(
            FailureKind::Credentials,
            format!(
                "[Errno {}] {}: {}",
                e.raw_os_error().unwrap_or(0),
                errno_text(&e),
                awsid_aws::pyfmt::str_repr(given)
            ),
        )
    })?;
    let session = session_name
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .unwrap_or_else(default_session_name);
    let out = sts(ctx, None)
        .assume_role_with_web_identity()
        .role_arn(role_arn)
        .role_session_name(session)
        .web_identity_token(token)
        .send()
        .await
        .map_err(|e| sts_failure(e, "AssumeRoleWithWebIdentity", ctx))?;
    sts_credentials(out.credentials())
}

fn errno_text(e: &std::io::Error) -> String {
    let text = e.to_string();
    match e.raw_os_error() {
        Some(n) => text
            .strip_suffix(&format!(" (os error {n})"))
            .unwrap_or(&text)
            .to_string(),
        None => text,
    }
}

/// An STS call's failure, worded as the CLI words it.
fn sts_failure<E, R>(e: SdkError<E, R>, operation: &str, ctx: &Ctx) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    let last_url = &ctx.last_url;
    let max_attempts = ctx.sdk.retry_config().map_or(1, |r| r.max_attempts());
    let url = last_url.url();
    match &e {
        SdkError::ServiceError(se) => {
            let err = se.err();
            // Given up after the last attempt the retry policy allows: botocore says how many
            // retries it made.
            let max = max_attempts.max(1);
            let attempts = last_url.attempts();
            CliError::Service {
                code: err.code().unwrap_or("Unknown").to_string(),
                operation: operation.to_string(),
                retries: (attempts >= max && max > 1).then(|| attempts - 1),
                message: err.message().unwrap_or("Unknown").to_string(),
            }
            .failure()
        }
        // The operation's time limit (set a little before the daemon's deadline).
        SdkError::TimeoutError(_) => CliError::ReadTimeout { url }.failure(),
        _ => match wording::transport(&e, &url) {
            Some(c) => c.failure(),
            None => fail(FailureKind::Other, wording::chain_text(&e)),
        },
    }
}

async fn caller_identity(
    ctx: &Ctx,
    creds: Credentials,
    expires_unix: Option<i64>,
    asked: &Asked,
) -> ResolveOutcome {
    // `--endpoint-url` and `--ca-bundle` change this call only, as in the CLI. The interceptor
    // counts its attempts (the CLI says "reached max retries" after the last one).
    let mut b = aws_sdk_sts::config::Builder::from(&ctx.sdk)
        .interceptor(ctx.last_url.clone())
        .credentials_provider(SharedCredentialsProvider::new(creds.clone()));
    if let Some(url) = &asked.endpoint_url {
        b = b.endpoint_url(url);
    }
    if let Some(bundle) = &asked.ca_bundle {
        let bundle = ctx.cwd.join(bundle);
        match tls_client(&bundle) {
            Ok(c) => b = b.http_client(c),
            Err(f) => return ResolveOutcome::Failure(f),
        }
    }
    let client = aws_sdk_sts::Client::from_conf(b.build());
    match client.get_caller_identity().send().await {
        Ok(out) => {
            let account = out.account().unwrap_or_default().to_string();
            let alias = if asked.alias && !asked.skip.contains(&account) {
                alias(&ctx.sdk, creds).await
            } else {
                AliasLookup::NotAsked
            };
            ResolveOutcome::Identity(Identity {
                account,
                arn: out.arn().unwrap_or_default().to_string(),
                user_id: out.user_id().unwrap_or_default().to_string(),
                expires_unix,
                alias,
                sso_name: AliasLookup::NotAsked,
            })
        }
        Err(e) => ResolveOutcome::Failure(sts_failure(e, "GetCallerIdentity", ctx)),
    }
}

/// `iam:ListAccountAliases` with the same credentials, bounded to a few seconds. Any error
/// (most often AccessDenied) is a denial, remembered by the daemon and never shown.
#[cfg(feature = "account-alias")]
async fn alias(config: &SdkConfig, creds: Credentials) -> AliasLookup {
    let iam_config = aws_sdk_iam::config::Builder::from(config)
        .credentials_provider(SharedCredentialsProvider::new(creds))
        .build();
    let iam = aws_sdk_iam::Client::from_conf(iam_config);
    let call = iam.list_account_aliases().send();
    match tokio::time::timeout(Duration::from_secs(3), call).await {
        Ok(Ok(out)) => match out.account_aliases().first() {
            Some(a) => AliasLookup::Found(a.clone()),
            None => AliasLookup::NoAlias,
        },
        _ => AliasLookup::Denied,
    }
}

/// Built without the `account-alias` feature: IAM is never asked.
#[cfg(not(feature = "account-alias"))]
async fn alias(_: &SdkConfig, _: Credentials) -> AliasLookup {
    AliasLookup::NotAsked
}

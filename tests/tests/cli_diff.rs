//! The differential suite: `awsid whoami` against `aws sts get-caller-identity` (CLI v1, the
//! oracle for credential rules) in the same environment, over hundreds of cases: hand-written
//! ones for every class of issue 10 and botocore rule, and generated ones combining credential
//! sources, profile selection and file syntax (a fixed seed, so the set never changes).
//!
//! A case agrees when both succeed with the same stdout (an assumed role's random role id and
//! generated session name masked), or both fail with the same error sentence (the last
//! non-empty stderr line; exit classes, not numbers: CLI v1 exits 255 for every error).
//! Every disagreement fails the test except those [`DELIBERATE`] allows (one table, each with
//! its reason and what must still hold).
//!
//! It runs with the other tests (`cargo test --workspace`); alone:
//! `cargo test -p awsid-tests --test cli_diff -- --nocapture`.
//! `AWSID_DIFF_REPORT=1` prints the report and passes whatever the result (to measure
//! progress); `AWSID_DIFF_FILTER=text` runs only cases whose name or class contains `text`;
//! `AWSID_DIFF_JOBS=n` sets the concurrency (5 by default).

use std::collections::BTreeMap;

use awsid_tests::diff::{
    cell, cli_cache_entry, cli_cache_path, keys_lines, process_script, run_all, sso_cache_path,
    Case, Outcome, Rng,
};

/// What a deliberate difference still requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Allow {
    /// Both must fail; only the error sentence may differ.
    ErrorText,
    /// The CLI fails and awsid answers.
    OursSucceeds,
    /// The CLI answers and awsid fails (awsid follows CLI v2 where v1 differs).
    OursFails,
    /// Both answer; the identities may differ (a bound awsid documents).
    BothSucceed,
    /// The CLI answers and awsid refuses an option as bad usage.
    OursRefusesOption,
    /// Both refuse the command line with the same sentence; CLI v1 exits 255, awsid 252 as
    /// CLI v2 does for usage errors.
    V2UsageCode,
}

/// Why moto makes the CLI's error sentence meaningless for an access key id with a space.
const MOTO_KEY_WITH_SPACE: &str = "a key id with a space in it breaks moto's parsing of the \
    Authorization header; botocore then fails with an internal KeyError ('GetCallerIdentityResult') \
    where real STS answers InvalidClientTokenId: both must fail, the sentence cannot match";

/// Why a failed TLS handshake's sentence cannot match.
const PYTHON_TLS_ERROR: &str = "the CLI's sentence for an untrusted certificate is Python's ssl \
    module text (\"[SSL: CERTIFICATE_VERIFY_FAILED] ... (_ssl.c:1006)\"): both must fail";

/// Why an MFA role cannot agree.
const MFA_PROMPT: &str = "the CLI asks for an MFA code (and fails without one); awsid never \
    prompts and never assumes the role without the code: it shows a marked state (!mfa) that \
    says which command fills the CLI's cache";

/// Why a program's answer may lag.
const PROGRAM_BOUND: &str = "a credential_process may read files awsid cannot know of; its \
    answer is re-checked within its documented bound (5 minutes), where the CLI runs the program \
    on every call";

/// Error sentences we word ourselves.
const OWN_WORDS: &str = "both fail; the CLI's sentence is a Python library's (dateutil's \
    message for a free-form date, or its container fetcher's), awsid names the failure in its \
    own words";

/// Refused by `awsid whoami` on purpose.
const NO_VERIFY_SSL: &str = "awsid never turns TLS verification off: an unverified endpoint \
    can claim any identity, and a prompt would show it; --no-verify-ssl is refused as bad \
    usage, naming --ca-bundle";

/// Deliberate differences: (case name, what still holds, reason). These cases may differ as
/// allowed; every other case must agree.
const DELIBERATE: &[(&str, Allow, &str)] = &[
    ("12/mfa-role-no-terminal", Allow::ErrorText, MFA_PROMPT),
    ("12/mfa-role-flag", Allow::ErrorText, MFA_PROMPT),
    ("12/mfa-cache-expired", Allow::ErrorText, MFA_PROMPT),
    ("12/mfa-cache-other-role", Allow::ErrorText, MFA_PROMPT),
    (
        "13/file-changes-after-settled",
        Allow::BothSucceed,
        PROGRAM_BOUND,
    ),
    ("7/garbage-expiration", Allow::ErrorText, OWN_WORDS),
    ("11/epoch-number", Allow::ErrorText, OWN_WORDS),
    (
        "botocore/container-full-uri-unreachable",
        Allow::ErrorText,
        OWN_WORDS,
    ),
    (
        "botocore/container-full-uri-not-allowed-host",
        Allow::ErrorText,
        OWN_WORDS,
    ),
    (
        "botocore/container-auth-token-wrong",
        Allow::ErrorText,
        OWN_WORDS,
    ),
    ("botocore/container-http-error", Allow::ErrorText, OWN_WORDS),
    (
        "8/tls-no-verify-ssl-flag",
        Allow::OursRefusesOption,
        NO_VERIFY_SSL,
    ),
    (
        "8/tls-ca-bundle-flag-missing-file",
        Allow::ErrorText,
        PYTHON_TLS_ERROR,
    ),
    (
        "8/tls-ca-bundle-flag-wrong-ca-overrides-env",
        Allow::ErrorText,
        PYTHON_TLS_ERROR,
    ),
    (
        "13/unknown-option",
        Allow::V2UsageCode,
        "an unknown option is a usage error: exit 252 in CLI v2 (255 in the v1 installed here)",
    ),
    (
        "13/endpoint-url-flag-unreachable",
        Allow::ErrorText,
        "the endpoint named by --endpoint-url is the one that fails (its URL is in both \
         sentences); the wording of network errors is issue 13 point 1",
    ),
    (
        "botocore/no-region",
        Allow::OursSucceeds,
        "no region: CLI v1 refuses to run; awsid answers as CLI v2 does, from the global endpoint",
    ),
    (
        "botocore/aws-region-var",
        Allow::OursSucceeds,
        "AWS_REGION: CLI v1 reads only AWS_DEFAULT_REGION; awsid follows CLI v2 (AWS_REGION first)",
    ),
    (
        "botocore/aws-region-invalid-default-region-valid",
        Allow::OursFails,
        "AWS_REGION before AWS_DEFAULT_REGION as in CLI v2: the invalid AWS_REGION decides",
    ),
    (
        "botocore/aws-region-valid-default-region-invalid",
        Allow::OursSucceeds,
        "AWS_REGION before AWS_DEFAULT_REGION as in CLI v2: the valid AWS_REGION decides",
    ),
    ("8/tls-no-ca", Allow::ErrorText, PYTHON_TLS_ERROR),
    (
        "8/tls-env-ca-bundle-beats-profile",
        Allow::ErrorText,
        PYTHON_TLS_ERROR,
    ),
    ("8/tls-ssl-cert-file", Allow::ErrorText, PYTHON_TLS_ERROR),
    (
        "botocore/env-key-trailing-space",
        Allow::ErrorText,
        MOTO_KEY_WITH_SPACE,
    ),
    (
        "5/key-id-semicolon-comment",
        Allow::ErrorText,
        MOTO_KEY_WITH_SPACE,
    ),
    (
        "parse/config/selected/line=hash-comment",
        Allow::ErrorText,
        MOTO_KEY_WITH_SPACE,
    ),
    (
        "parse/config/selected/line=semicolon-comment",
        Allow::ErrorText,
        MOTO_KEY_WITH_SPACE,
    ),
    (
        "parse/config/default/line=hash-comment",
        Allow::ErrorText,
        MOTO_KEY_WITH_SPACE,
    ),
    (
        "parse/config/default/line=semicolon-comment",
        Allow::ErrorText,
        MOTO_KEY_WITH_SPACE,
    ),
    (
        "parse/creds/selected/line=hash-comment",
        Allow::ErrorText,
        MOTO_KEY_WITH_SPACE,
    ),
    (
        "parse/creds/selected/line=semicolon-comment",
        Allow::ErrorText,
        MOTO_KEY_WITH_SPACE,
    ),
    (
        "parse/creds/default/line=hash-comment",
        Allow::ErrorText,
        MOTO_KEY_WITH_SPACE,
    ),
    (
        "parse/creds/default/line=semicolon-comment",
        Allow::ErrorText,
        MOTO_KEY_WITH_SPACE,
    ),
];

/// Whether a disagreement is one the deliberate table allows.
fn allowed(o: &Outcome, allow: Allow) -> bool {
    match allow {
        Allow::ErrorText => o.cli.class == "error" && o.ours.class == "error",
        Allow::OursSucceeds => o.cli.class == "error" && o.ours.class == "ok",
        Allow::OursFails => o.cli.class == "ok" && o.ours.class == "error",
        Allow::BothSucceed => o.cli.class == "ok" && o.ours.class == "ok",
        Allow::OursRefusesOption => o.cli.class == "ok" && o.ours.class == "usage",
        Allow::V2UsageCode => {
            o.cli.class == "error" && o.ours.class == "usage" && o.cli.error == o.ours.error
        }
    }
}

const ROLE_PROFILE: &str = "arn:aws:iam::333333333333:role/px";
const ROLE_SOURCE_ENV: &str = "arn:aws:iam::333333333333:role/pxenv";
const ROLE_WEB_PROFILE: &str = "arn:aws:iam::555555555555:role/pweb";
const ROLE_WEB_ENV: &str = "arn:aws:iam::444444444444:role/ew";
const ROLE_DEFAULT: &str = "arn:aws:iam::666666666666:role/pdef";

fn web_env(c: Case) -> Case {
    c.file("tok/env-token", "env-token-value")
        .env("AWS_ROLE_ARN", ROLE_WEB_ENV)
        .env("AWS_WEB_IDENTITY_TOKEN_FILE", "{HOME}/tok/env-token")
}

// ---------------------------------------------------------------------------------------------
// Hand-written cases, by issue item.

fn item1_web_identity() -> Vec<Case> {
    let c = |n: &str| Case::new("1-web-identity", &format!("1/{n}"));
    vec![
        web_env(c("env-webid-beats-creds-default")).creds(&format!("[default]\n{}", keys_lines("cdef"))),
        web_env(c("env-webid-beats-config-default")).config(&format!("[default]\n{}", keys_lines("fdef"))),
        web_env(c("env-webid-alone")),
        web_env(c("env-keys-beat-env-webid")).env_keys("env"),
        web_env(c("profile-flag-turns-env-webid-off"))
            .creds(&format!("[x]\n{}", keys_lines("cx")))
            .profile("x"),
        web_env(c("aws-profile-keeps-env-webid"))
            .creds(&format!("[x]\n{}", keys_lines("cx")))
            .env("AWS_PROFILE", "x"),
        web_env(c("env-role-arn-overrides-profile-role"))
            .file("tok/p", "token-for-profile")
            .config(&format!(
                "[profile x]\nrole_arn = {ROLE_WEB_PROFILE}\nweb_identity_token_file = {{HOME}}/tok/p\n"
            ))
            .env("AWS_PROFILE", "x"),
        web_env(c("env-session-name-overrides-profile"))
            .env("AWS_ROLE_SESSION_NAME", "from-env")
            .config("[default]\nrole_session_name = from-profile\n"),
        web_env(c("env-session-name")).env("AWS_ROLE_SESSION_NAME", "sess-env"),
        c("token-file-without-role-arn")
            .file("tok/t", "token-t")
            .env("AWS_WEB_IDENTITY_TOKEN_FILE", "{HOME}/tok/t")
            .creds(&format!("[default]\n{}", keys_lines("cdef"))),
        c("role-arn-without-token-file")
            .env("AWS_ROLE_ARN", ROLE_WEB_ENV)
            .creds(&format!("[default]\n{}", keys_lines("cdef"))),
        c("env-token-file-missing")
            .env("AWS_ROLE_ARN", ROLE_WEB_ENV)
            .env("AWS_WEB_IDENTITY_TOKEN_FILE", "{HOME}/tok/none")
            .creds(&format!("[default]\n{}", keys_lines("cdef"))),
        c("profile-webid")
            .file("tok/p", "token-for-profile")
            .config(&format!(
                "[profile x]\nrole_arn = {ROLE_WEB_PROFILE}\nweb_identity_token_file = {{HOME}}/tok/p\nrole_session_name = ps\n"
            ))
            .env("AWS_PROFILE", "x"),
        c("profile-webid-env-token-overrides")
            .file("tok/p", "token-for-profile")
            .file("tok/e", "token-for-env")
            .config(&format!(
                "[profile x]\nrole_arn = {ROLE_WEB_PROFILE}\nweb_identity_token_file = {{HOME}}/tok/none\nrole_session_name = ps\n"
            ))
            .env("AWS_WEB_IDENTITY_TOKEN_FILE", "{HOME}/tok/e")
            .env("AWS_PROFILE", "x"),
        c("profile-webid-relative-token-file")
            .file("work/tok", "token-in-cwd")
            .config(&format!(
                "[profile x]\nrole_arn = {ROLE_WEB_PROFILE}\nweb_identity_token_file = tok\nrole_session_name = ps\n"
            ))
            .env("AWS_PROFILE", "x")
            .cwd("work"),
        c("profile-webid-tilde-token-file")
            .file("tok/p", "token-for-profile")
            .config(&format!(
                "[profile x]\nrole_arn = {ROLE_WEB_PROFILE}\nweb_identity_token_file = ~/tok/p\nrole_session_name = ps\n"
            ))
            .env("AWS_PROFILE", "x"),
        c("env-webid-relative-token-file")
            .file("work/tok", "token-in-cwd")
            .env("AWS_ROLE_ARN", ROLE_WEB_ENV)
            .env("AWS_WEB_IDENTITY_TOKEN_FILE", "tok")
            .cwd("work"),
        c("profile-webid-with-keys-in-creds")
            .file("tok/p", "token-for-profile")
            .config(&format!(
                "[profile x]\nrole_arn = {ROLE_WEB_PROFILE}\nweb_identity_token_file = {{HOME}}/tok/p\nrole_session_name = ps\n"
            ))
            .creds(&format!("[x]\n{}", keys_lines("cx")))
            .env("AWS_PROFILE", "x"),
        web_env(c("env-webid-empty-role-arn")).env("AWS_ROLE_ARN", ""),
    ]
}

fn item2_process_vs_keys() -> Vec<Case> {
    let c = |n: &str| Case::new("2-process-vs-keys", &format!("2/{n}"));
    vec![
        c("creds-keys-beat-config-process")
            .exe("bin/p", &process_script("proc"))
            .creds(&format!("[x]\n{}", keys_lines("cx")))
            .config("[profile x]\ncredential_process = {HOME}/bin/p\n")
            .env("AWS_PROFILE", "x"),
        c("config-process-beats-config-keys")
            .exe("bin/p", &process_script("proc"))
            .config(&format!(
                "[profile x]\ncredential_process = {{HOME}}/bin/p\n{}",
                keys_lines("fx")
            ))
            .env("AWS_PROFILE", "x"),
        c("default-creds-keys-beat-process")
            .exe("bin/p", &process_script("proc"))
            .creds(&format!("[default]\n{}", keys_lines("cdef")))
            .config("[default]\ncredential_process = {HOME}/bin/p\n"),
        c("process-in-creds-file")
            .exe("bin/p", &process_script("proc"))
            .creds("[x]\ncredential_process = {HOME}/bin/p\n")
            .env("AWS_PROFILE", "x"),
        c("role-beats-keys")
            .creds(&format!(
                "[x]\n{}[src]\n{}",
                keys_lines("cx"),
                keys_lines("csrc")
            ))
            .config(&format!(
                "[profile x]\nrole_arn = {ROLE_PROFILE}\nsource_profile = src\n"
            ))
            .env("AWS_PROFILE", "x"),
    ]
}

fn item3_profile_default() -> Vec<Case> {
    let c = |n: &str| Case::new("3-profile-default", &format!("3/{n}"));
    vec![
        c("profile-default-then-default").config(&format!(
            "[profile default]\n{}\n[default]\n{}",
            keys_lines("fx"),
            keys_lines("fdef")
        )),
        c("default-then-profile-default").config(&format!(
            "[default]\n{}\n[profile default]\n{}",
            keys_lines("fdef"),
            keys_lines("fx")
        )),
        c("profile-default-only").config(&format!("[profile default]\n{}", keys_lines("fx"))),
        c("profile-default-region-only-default-keys").config(&format!(
            "[profile default]\nregion = us-east-1\n\n[default]\n{}",
            keys_lines("fdef")
        )),
        c("default-keys-profile-default-region").config(&format!(
            "[default]\n{}\n[profile default]\nregion = us-east-1\n",
            keys_lines("fdef")
        )),
        c("profile-default-explicit")
            .config(&format!("[profile default]\n{}", keys_lines("fx")))
            .profile("default"),
        c("creds-profile-default-literal")
            .creds(&format!("[profile default]\n{}", keys_lines("cx"))),
    ]
}

fn item4_partial() -> Vec<Case> {
    let c = |n: &str| Case::new("4-partial", &format!("4/{n}"));
    let def = format!("[default]\n{}", keys_lines("cdef"));
    vec![
        c("env-id-only")
            .env("AWS_ACCESS_KEY_ID", "{K:env}")
            .creds(&def),
        c("env-secret-only")
            .env("AWS_SECRET_ACCESS_KEY", "{S:env}")
            .creds(&def),
        c("env-empty-secret")
            .env("AWS_ACCESS_KEY_ID", "{K:env}")
            .env("AWS_SECRET_ACCESS_KEY", "")
            .creds(&def),
        c("env-empty-id")
            .env("AWS_ACCESS_KEY_ID", "")
            .env("AWS_SECRET_ACCESS_KEY", "{S:env}")
            .creds(&def),
        c("env-both-empty")
            .env("AWS_ACCESS_KEY_ID", "")
            .env("AWS_SECRET_ACCESS_KEY", "")
            .creds(&def),
        c("env-token-only")
            .env("AWS_SESSION_TOKEN", "tok")
            .creds(&def),
        c("env-security-token-legacy")
            .env_keys("env")
            .env("AWS_SECURITY_TOKEN", "tok")
            .creds(&def),
        c("creds-id-only").creds("[default]\naws_access_key_id = {K:cdef}\n"),
        c("creds-secret-only").creds("[default]\naws_secret_access_key = {S:cdef}\n"),
        c("creds-id-config-secret")
            .creds("[default]\naws_access_key_id = {K:cdef}\n")
            .config("[default]\naws_secret_access_key = {S:cdef}\n"),
        c("config-id-creds-secret")
            .config("[default]\naws_access_key_id = {K:fdef}\n")
            .creds("[default]\naws_secret_access_key = {S:fdef}\n"),
        c("config-id-only").config("[default]\naws_access_key_id = {K:fdef}\n"),
        c("creds-empty-secret")
            .creds("[default]\naws_access_key_id = {K:cdef}\naws_secret_access_key =\n"),
        c("creds-partial-config-full")
            .creds("[default]\naws_access_key_id = {K:cdef}\n")
            .config(&format!("[default]\n{}", keys_lines("fdef"))),
        c("named-creds-id-only")
            .creds("[x]\naws_access_key_id = {K:cx}\n")
            .env("AWS_PROFILE", "x"),
    ]
}

fn item5_inline_comments() -> Vec<Case> {
    let c = |n: &str| Case::new("5-inline-comment", &format!("5/{n}"));
    vec![
        c("role-arn-hash-comment")
            .creds(&format!("[src]\n{}", keys_lines("csrc")))
            .config(&format!(
                "[profile x]\nrole_arn = {ROLE_PROFILE} # production\nsource_profile = src\nrole_session_name = sess-s\n"
            ))
            .env("AWS_PROFILE", "x"),
        c("key-id-semicolon-comment")
            .creds("[default]\naws_access_key_id = {K:cdef} ; old laptop\naws_secret_access_key = {S:cdef}\n"),
        c("secret-hash-comment")
            .creds("[default]\naws_access_key_id = {K:cdef}\naws_secret_access_key = {S:cdef} # mine\n"),
        c("region-hash-comment")
            .env_keys("env")
            .unset("AWS_DEFAULT_REGION")
            .config("[default]\nregion = us-east-1 # Virginia\n"),
        c("source-profile-comment")
            .creds(&format!("[src]\n{}", keys_lines("csrc")))
            .config(&format!(
                "[profile x]\nrole_arn = {ROLE_PROFILE}\nsource_profile = src # the base\nrole_session_name = sess-s\n"
            ))
            .env("AWS_PROFILE", "x"),
        c("hash-no-space")
            .creds("[default]\naws_access_key_id = {K:cdef}#c\naws_secret_access_key = {S:cdef}\n"),
        c("credential-source-comment")
            .env_keys("env")
            .config(&format!(
                "[profile x]\nrole_arn = {ROLE_SOURCE_ENV}\ncredential_source = Environment # env\nrole_session_name = sess-s\n"
            ))
            .profile("x"),
        c("output-comment")
            .env_keys("env")
            .config("[default]\noutput = text # plain\n"),
    ]
}

fn item6_parser() -> Vec<Case> {
    let c = |n: &str| Case::new("6-parser", &format!("6/{n}"));
    let k = keys_lines("fx");
    vec![
        c("duplicate-section-config")
            .config(&format!(
                "[profile x]\n{k}\n[profile x]\nregion = us-east-1\n"
            ))
            .env("AWS_PROFILE", "x"),
        c("duplicate-key-config")
            .config(&format!("[profile x]\n{k}aws_access_key_id = {{K:fy}}\n"))
            .env("AWS_PROFILE", "x"),
        c("duplicate-section-creds")
            .creds(&format!(
                "[x]\n{}\n[x]\n{}",
                keys_lines("cx"),
                keys_lines("cy")
            ))
            .env("AWS_PROFILE", "x"),
        c("spaced-header")
            .config(&format!("[ profile x ]\n{k}"))
            .env("AWS_PROFILE", "x"),
        c("non-utf8-config")
            .bytes(".aws/config", b"[profile y]\nregion = caf\xe9\n")
            .creds(&format!("[default]\n{}", keys_lines("cdef"))),
        c("non-utf8-creds")
            .bytes(
                ".aws/credentials",
                b"# caf\xe9\n[default]\nregion = us-east-1\n",
            )
            .env_keys("env"),
        c("colon-separator")
            .config("[profile x]\naws_access_key_id: {K:fx}\naws_secret_access_key: {S:fx}\n")
            .env("AWS_PROFILE", "x"),
        c("indented-keys")
            .config("[profile x]\n  aws_access_key_id = {K:fx}\n  aws_secret_access_key = {S:fx}\n")
            .env("AWS_PROFILE", "x"),
        c("header-trailing-text")
            .config(&format!("[profile x] (old account)\n{k}"))
            .env("AWS_PROFILE", "x"),
        c("indented-comment-after-header")
            .config(&format!("[profile x]\n  # note\n{k}"))
            .env("AWS_PROFILE", "x"),
        c("indented-comment-after-key")
            .config(&format!("[profile x]\n{k}  # note\n"))
            .env("AWS_PROFILE", "x"),
        c("indented-comment-after-key-other-profile")
            .config(&format!(
                "[profile y]\nregion = us-east-1\n  # note\n[profile x]\n{k}"
            ))
            .env("AWS_PROFILE", "x"),
        c("indented-comment-after-key-creds")
            .creds(&format!("[default]\n{}  # note\n", keys_lines("cdef"))),
        c("indented-semicolon-comment-after-region")
            .env_keys("env")
            .config("[default]\nregion = us-east-1\n  ; note\n"),
        c("indented-comment-after-region-no-env-region")
            .env_keys("env")
            .unset("AWS_DEFAULT_REGION")
            .config("[default]\nregion = us-east-1\n  # note\n"),
        c("tab-indented-comment-after-key")
            .config(&format!("[profile x]\n{k}\t# note\n"))
            .env("AWS_PROFILE", "x"),
        c("indented-comment-after-role-arn")
            .creds(&format!("[src]\n{}", keys_lines("csrc")))
            .config(&format!("[profile x]\nrole_arn = {ROLE_PROFILE}\n  # prod\nsource_profile = src\nrole_session_name = sess-c\n"))
            .env("AWS_PROFILE", "x"),
        c("indented-text-after-key")
            .config(&format!("[profile x]\n{k}  more text\n"))
            .env("AWS_PROFILE", "x"),
        c("continuation-line")
            .config("[profile x]\naws_access_key_id =\n  {K:fx}\naws_secret_access_key = {S:fx}\n")
            .env("AWS_PROFILE", "x"),
        c("text-before-first-section")
            .config(&format!("region = us-east-1\n[profile x]\n{k}"))
            .env("AWS_PROFILE", "x"),
        c("line-without-separator")
            .config(&format!("[profile x]\njunk\n{k}"))
            .env("AWS_PROFILE", "x"),
        c("uppercase-keys")
            .config("[profile x]\nAWS_ACCESS_KEY_ID = {K:fx}\nAws_Secret_Access_Key = {S:fx}\n")
            .env("AWS_PROFILE", "x"),
        c("crlf-lines")
            .config(&format!("[profile x]\r\n{}", k.replace('\n', "\r\n")))
            .env("AWS_PROFILE", "x"),
        c("utf8-bom")
            .config(&format!("\u{feff}[profile x]\n{k}"))
            .env("AWS_PROFILE", "x"),
        c("tab-separator")
            .config("[profile x]\naws_access_key_id\t=\t{K:fx}\naws_secret_access_key\t=\t{S:fx}\n")
            .env("AWS_PROFILE", "x"),
        c("parse-error-other-profile-env-keys")
            .config("[profile y\nregion = x\n")
            .env_keys("env"),
        c("parse-error-creds-env-keys")
            .creds("[x\n")
            .env_keys("env"),
        c("unclosed-header-config")
            .config(&format!("[profile x\n{k}"))
            .creds(&format!("[default]\n{}", keys_lines("cdef"))),
        c("empty-config-file")
            .config("")
            .creds(&format!("[default]\n{}", keys_lines("cdef"))),
        c("config-is-directory")
            .file(".aws/config/keep", "")
            .creds(&format!("[default]\n{}", keys_lines("cdef"))),
        c("nested-values")
            .config(&format!(
                "[profile x]\n{k}s3 =\n  max_concurrent_requests = 20\n"
            ))
            .env("AWS_PROFILE", "x"),
        c("nested-sts-endpoint")
            .config(&format!(
                "[profile x]\n{k}sts =\n  endpoint_url = http://127.0.0.1:9\n"
            ))
            .env("AWS_PROFILE", "x"),
    ]
}

fn item7_process() -> Vec<Case> {
    let c = |n: &str| Case::new("7-credential-process", &format!("7/{n}"));
    let json = |body: &str| format!("#!/bin/sh\ncat <<'J'\n{body}\nJ\n");
    let good = "{\"Version\": 1, \"AccessKeyId\": \"{K:proc}\", \"SecretAccessKey\": \"{S:proc}\"}";
    let prof = |cmd: &str| format!("[profile x]\ncredential_process = {cmd}\n");
    vec![
        c("absolute")
            .exe("bin/p", &json(good))
            .config(&prof("{HOME}/bin/p"))
            .env("AWS_PROFILE", "x"),
        c("tilde")
            .exe("bin/p", &json(good))
            .config(&prof("~/bin/p"))
            .env("AWS_PROFILE", "x"),
        c("dollar-var")
            .exe("bin/p", &json(good))
            .config(&prof("$HOME/bin/p"))
            .env("AWS_PROFILE", "x"),
        c("relative-in-cwd")
            .exe("work/p.sh", &json(good))
            .config(&prof("./p.sh"))
            .env("AWS_PROFILE", "x")
            .cwd("work"),
        c("on-path")
            .exe("bin/myproc", &json(good))
            .config(&prof("myproc"))
            .env("PATH", "{HOME}/bin:/usr/bin:/bin")
            .env("AWS_PROFILE", "x"),
        c("pipe-is-an-argument")
            .exe("bin/p", &json(good))
            .config(&prof("{HOME}/bin/p | cat"))
            .env("AWS_PROFILE", "x"),
        c("quoted-argument")
            .exe(
                "bin/p",
                "#!/bin/sh\n[ \"$1\" = 'a b' ] || exit 3\nprintf '%s' '{\"Version\": 1, \"AccessKeyId\": \"{K:proc}\", \"SecretAccessKey\": \"{S:proc}\"}'\n",
            )
            .config(&prof("{HOME}/bin/p 'a b'"))
            .env("AWS_PROFILE", "x"),
        c("lowercase-keys")
            .exe("bin/p", &json("{\"Version\": 1, \"accessKeyId\": \"{K:proc}\", \"secretAccessKey\": \"{S:proc}\"}"))
            .config(&prof("{HOME}/bin/p"))
            .env("AWS_PROFILE", "x"),
        c("expired")
            .exe("bin/p", &json("{\"Version\": 1, \"AccessKeyId\": \"{K:proc}\", \"SecretAccessKey\": \"{S:proc}\", \"SessionToken\": \"t\", \"Expiration\": \"2001-01-01T00:00:00Z\"}"))
            .config(&prof("{HOME}/bin/p"))
            .env("AWS_PROFILE", "x"),
        c("future-expiration")
            .exe("bin/p", &json("{\"Version\": 1, \"AccessKeyId\": \"{K:proc}\", \"SecretAccessKey\": \"{S:proc}\", \"SessionToken\": \"t\", \"Expiration\": \"2099-01-01T00:00:00Z\"}"))
            .config(&prof("{HOME}/bin/p"))
            .env("AWS_PROFILE", "x"),
        c("version-2")
            .exe("bin/p", &json("{\"Version\": 2, \"AccessKeyId\": \"{K:proc}\", \"SecretAccessKey\": \"{S:proc}\"}"))
            .config(&prof("{HOME}/bin/p"))
            .env("AWS_PROFILE", "x"),
        c("no-version")
            .exe("bin/p", &json("{\"AccessKeyId\": \"{K:proc}\", \"SecretAccessKey\": \"{S:proc}\"}"))
            .config(&prof("{HOME}/bin/p"))
            .env("AWS_PROFILE", "x"),
        c("missing-secret")
            .exe("bin/p", &json("{\"Version\": 1, \"AccessKeyId\": \"{K:proc}\"}"))
            .config(&prof("{HOME}/bin/p"))
            .env("AWS_PROFILE", "x"),
        c("not-json")
            .exe("bin/p", "#!/bin/sh\necho hello\n")
            .config(&prof("{HOME}/bin/p"))
            .env("AWS_PROFILE", "x"),
        c("exit-1-with-stderr")
            .exe("bin/p", "#!/bin/sh\necho 'token expired, run login' >&2\nexit 1\n")
            .config(&prof("{HOME}/bin/p"))
            .env("AWS_PROFILE", "x"),
        c("not-found")
            .config(&prof("{HOME}/bin/nosuch"))
            .env("AWS_PROFILE", "x"),
        c("not-executable")
            .file("bin/p", &json(good))
            .config(&prof("{HOME}/bin/p"))
            .env("AWS_PROFILE", "x"),
        c("empty-command").config(&prof("")).env("AWS_PROFILE", "x"),
        c("cwd-visible-to-program")
            .exe(
                "bin/p",
                "#!/bin/sh\n[ -f ./marker ] || exit 4\nprintf '%s' '{\"Version\": 1, \"AccessKeyId\": \"{K:proc}\", \"SecretAccessKey\": \"{S:proc}\"}'\n",
            )
            .file("work/marker", "")
            .config(&prof("{HOME}/bin/p"))
            .env("AWS_PROFILE", "x")
            .cwd("work"),
        c("default-profile-process")
            .exe("bin/p", &json(good))
            .config("[default]\ncredential_process = {HOME}/bin/p\n"),
        c("env-keys-beat-process")
            .exe("bin/p", &json(good))
            .config("[default]\ncredential_process = {HOME}/bin/p\n")
            .env_keys("env"),
        c("process-as-role-source")
            .exe("bin/p", &json(good))
            .config(&format!(
                "[profile x]\nrole_arn = {ROLE_PROFILE}\nsource_profile = s\nrole_session_name = sess-s\n[profile s]\ncredential_process = {{HOME}}/bin/p\n"
            ))
            .env("AWS_PROFILE", "x"),
        c("empty-output")
            .exe("bin/p", "#!/bin/sh\nexit 0\n")
            .config(&prof("{HOME}/bin/p"))
            .env("AWS_PROFILE", "x"),
        c("version-as-string")
            .exe("bin/p", &json("{\"Version\": \"1\", \"AccessKeyId\": \"{K:proc}\", \"SecretAccessKey\": \"{S:proc}\"}"))
            .config(&prof("{HOME}/bin/p"))
            .env("AWS_PROFILE", "x"),
        c("text-before-json")
            .exe("bin/p", &format!("#!/bin/sh\necho 'hello'\n{}", &json(good)[10..]))
            .config(&prof("{HOME}/bin/p"))
            .env("AWS_PROFILE", "x"),
        c("stderr-noise-exit-0")
            .exe("bin/p", &format!("#!/bin/sh\necho 'warming up' >&2\n{}", &json(good)[10..]))
            .config(&prof("{HOME}/bin/p"))
            .env("AWS_PROFILE", "x"),
        c("garbage-expiration")
            .exe("bin/p", &json("{\"Version\": 1, \"AccessKeyId\": \"{K:proc}\", \"SecretAccessKey\": \"{S:proc}\", \"Expiration\": \"soon\"}"))
            .config(&prof("{HOME}/bin/p"))
            .env("AWS_PROFILE", "x"),
    ]
}

fn item8_tls() -> Vec<Case> {
    let c = |n: &str| Case::new("8-tls", &format!("8/{n}"));
    vec![
        c("ca-bundle-missing-file-http-endpoint")
            .env_keys("env")
            .env("AWS_CA_BUNDLE", "{HOME}/nosuch.pem"),
        c("profile-ca-bundle-missing-file")
            .env_keys("env")
            .config("[default]\nca_bundle = {HOME}/nosuch.pem\n"),
        c("ssl-cert-file-garbage")
            .env_keys("env")
            .file("bad.pem", "not a certificate\n")
            .env("SSL_CERT_FILE", "{HOME}/bad.pem"),
        c("ca-bundle-garbage")
            .env_keys("env")
            .file("bad.pem", "not a certificate\n")
            .env("AWS_CA_BUNDLE", "{HOME}/bad.pem"),
        // moto behind TLS with a private CA: only a configured CA bundle makes it trusted.
        c("tls-no-ca").env_keys("env").env("AWS_ENDPOINT_URL", "{TLSURL}"),
        c("tls-aws-ca-bundle")
            .env_keys("env")
            .env("AWS_ENDPOINT_URL", "{TLSURL}")
            .env("AWS_CA_BUNDLE", "{CA}"),
        c("tls-profile-ca-bundle")
            .env_keys("env")
            .env("AWS_ENDPOINT_URL", "{TLSURL}")
            .config("[default]\nca_bundle = {CA}\n"),
        c("tls-named-profile-ca-bundle")
            .creds(&format!("[x]\n{}", keys_lines("cx")))
            .config("[profile x]\nca_bundle = {CA}\n")
            .env("AWS_ENDPOINT_URL", "{TLSURL}")
            .env("AWS_PROFILE", "x"),
        c("tls-env-ca-bundle-beats-profile")
            .env_keys("env")
            .file("bad.pem", "not a certificate\n")
            .env("AWS_ENDPOINT_URL", "{TLSURL}")
            .env("AWS_CA_BUNDLE", "{HOME}/bad.pem")
            .config("[default]\nca_bundle = {CA}\n"),
        c("tls-ssl-cert-file")
            .env_keys("env")
            .env("AWS_ENDPOINT_URL", "{TLSURL}")
            .env("SSL_CERT_FILE", "{CA}"),
        c("tls-requests-ca-bundle")
            .env_keys("env")
            .env("AWS_ENDPOINT_URL", "{TLSURL}")
            .env("REQUESTS_CA_BUNDLE", "{CA}"),
        c("tls-ca-bundle-for-assume-role")
            .creds(&format!("[src]\n{}", keys_lines("csrc")))
            .config(&format!("[profile x]\nrole_arn = {ROLE_PROFILE}\nsource_profile = src\nrole_session_name = sess-t\nca_bundle = {{CA}}\n"))
            .env("AWS_ENDPOINT_URL", "{TLSURL}")
            .env("AWS_PROFILE", "x"),
        c("tls-ca-bundle-tilde")
            .env_keys("env")
            .env("AWS_ENDPOINT_URL", "{TLSURL}")
            .config("[default]\nca_bundle = ~/ca.pem\n")
            .file("ca.pem", "{CAPEM}"),
        c("tls-no-verify-ssl-flag")
            .env_keys("env")
            .env("AWS_ENDPOINT_URL", "{TLSURL}")
            .arg("--no-verify-ssl"),
        c("tls-ca-bundle-flag")
            .env_keys("env")
            .env("AWS_ENDPOINT_URL", "{TLSURL}")
            .arg("--ca-bundle")
            .arg("{CA}"),
        c("tls-ca-bundle-flag-relative")
            .env_keys("env")
            .env("AWS_ENDPOINT_URL", "{TLSURL}")
            .file("ca.pem", "{CAPEM}")
            .arg("--ca-bundle")
            .arg("ca.pem"),
        c("tls-ca-bundle-flag-missing-file")
            .env_keys("env")
            .env("AWS_ENDPOINT_URL", "{TLSURL}")
            .arg("--ca-bundle")
            .arg("{HOME}/nosuch.pem"),
        c("tls-ca-bundle-flag-wrong-ca-overrides-env")
            .env_keys("env")
            .env("AWS_ENDPOINT_URL", "{TLSURL}")
            .env("AWS_CA_BUNDLE", "{CA}")
            .file("other.pem", "not a certificate\n")
            .arg("--ca-bundle")
            .arg("{HOME}/other.pem"),
        c("tls-endpoint-url-flag-with-ca-bundle")
            .env_keys("env")
            .arg("--endpoint-url")
            .arg("{TLSURL}")
            .arg("--ca-bundle")
            .arg("{CA}"),
    ]
}

/// Issue 13 point 8: the CLI's global options and `--query` (JMESPath) in every output.
fn item13_global_options() -> Vec<Case> {
    let c = |n: &str| Case::new("13-options", &format!("13/{n}"));
    let mut cases = vec![
        c("region-flag-over-env")
            .env_keys("env")
            .env("AWS_REGION", "us-east-1")
            .arg("--region")
            .arg("eu-west-1"),
        c("region-flag-over-profile")
            .env_keys("env")
            .config("[default]\nregion = eu-west-1\n")
            .arg("--region")
            .arg("ap-south-1"),
        c("region-flag-invalid")
            .env_keys("env")
            .arg("--region")
            .arg("not a region"),
        c("region-flag-empty")
            .env_keys("env")
            .arg("--region")
            .arg(""),
        c("region-flag-missing-value")
            .env_keys("env")
            .arg("--region"),
        c("endpoint-url-flag-over-service-variable")
            .env_keys("env")
            .env("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")
            .arg("--endpoint-url")
            .arg("{URL}"),
        c("endpoint-url-flag-unreachable")
            .env_keys("env")
            .arg("--endpoint-url")
            .arg("http://127.0.0.1:9"),
        c("endpoint-url-flag-no-scheme")
            .env_keys("env")
            .arg("--endpoint-url")
            .arg("localhost:9"),
        c("endpoint-url-flag-ignored-configured")
            .env_keys("env")
            .env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
            .arg("--endpoint-url")
            .arg("{URL}"),
        c("read-timeout")
            .env_keys("env")
            .arg("--cli-read-timeout")
            .arg("5"),
        c("read-timeout-zero")
            .env_keys("env")
            .arg("--cli-read-timeout")
            .arg("0"),
        c("read-timeout-not-a-number")
            .env_keys("env")
            .arg("--cli-read-timeout")
            .arg("soon"),
        c("connect-timeout")
            .env_keys("env")
            .arg("--cli-connect-timeout")
            .arg("7"),
        c("connect-timeout-not-a-number")
            .env_keys("env")
            .arg("--cli-connect-timeout")
            .arg("1.5"),
        c("debug").env_keys("env").arg("--debug"),
        c("no-paginate").env_keys("env").arg("--no-paginate"),
        c("color-on-table")
            .env_keys("env")
            .arg("--color")
            .arg("on")
            .arg("--output")
            .arg("table"),
        c("color-off-table")
            .env_keys("env")
            .arg("--color")
            .arg("off")
            .arg("--output")
            .arg("table"),
        c("color-on-json").env_keys("env").arg("--color").arg("on"),
        c("color-invalid")
            .env_keys("env")
            .arg("--color")
            .arg("blue"),
        c("unknown-option").env_keys("env").arg("--frobnicate"),
        c("query-invalid-before-credentials")
            .arg("--query")
            .arg("[")
            .profile("nosuch"),
        c("query-empty").env_keys("env").arg("--query").arg(""),
    ];
    // Queries: fixed ones for each shape a formatter treats apart, and generated ones.
    let mut queries: Vec<String> = [
        "Account",
        "Arn",
        "UserId",
        "Nope",
        "@",
        "*",
        "[Account,Arn]",
        "[Account, Nope]",
        "{a:Account}",
        "{b:Arn,a:Account}",
        "{x:Nope}",
        "keys(@)",
        "values(@)",
        "length(Arn)",
        "length(@)",
        "type(@)",
        "[@]",
        "[[Account,Arn],[UserId]]",
        "[Account, [Arn, [UserId]]]",
        "[{a:Account},{b:Arn}]",
        "[{a:Account,n:[Arn]},{a:Arn}]",
        "[{a:Account,b:Arn},{a:UserId}]",
        "{a:[{b:Account},{b:Arn}]}",
        "{a:Account,b:{c:Arn,d:[UserId,`2`]}}",
        "{a:{b:{c:Account}}}",
        "[Account, `1`, `true`, `null`, `1.5`]",
        "`[]`",
        "`{}`",
        "`0`",
        "`false`",
        "`\"\"`",
        "`1.5`",
        "`1e20`",
        "`-0.0`",
        "`{\"b\":1,\"a\":2}`",
        "`[1,[2,3]]`",
        "'raw string'",
        "join('-', [Account, UserId])",
        "to_string(@)",
        "to_number(Account)",
        "sort(values(@))",
        "reverse(Arn)",
        "starts_with(Arn, 'arn:')",
        "contains(Arn, 'user')",
        "not_null(Nope, Account)",
        "merge(@, {Extra: Account})",
        "max(values(@))",
        "min(values(@))",
        "sort_by([@, @], &Account)",
        "max_by([@], &Account).Arn",
        "map(&length(@), values(@))",
        "values(@)[0]",
        "values(@)[-1]",
        "values(@)[::-1]",
        "values(@)[1:]",
        "keys(@)[?length(@) > `3`]",
        "[Account][0]",
        "Arn.foo",
        "Account || Arn",
        "Nope || Arn",
        "!Nope",
        "Nope && Arn",
        "Account == '123456789012'",
        "avg(`[1,2,4]`)",
        "sum(`[1.5, 2]`)",
        "sum(`[1, 2]`)",
        "ceil(`1.2`)",
        "floor(`-1.2`)",
        "abs(`-3`)",
        "to_array(Account)",
        "@.{a:Account}",
        "*.foo",
        "[*]",
        "values(@)[*]",
        "[].Account",
        "values(@) | [0]",
        "{a: Account} | a",
        "`[1,2]`[?@ > `1`]",
        "to_string(`\"é\"`)",
        "{\"quoted key\": Account}",
        "[`\"a\\tb\"`]",
        "`[[1, 2], [3]]`",
        "`[[\"a\", {\"b\": 1}]]`",
        "`[{\"a\": [1, 2]}, {\"a\": []}]`",
        "`{\"a\": [], \"b\": {}}`",
        "`[\"x\", [\"y\", \"z\"]]`",
        // Errors: the CLI's exception text.
        "length(`1`)",
        "nope(@)",
        "abs(`1`, `2`)",
        "Account > `5`",
        "not_null()",
        "sort_by(values(@), &to_number(@))",
        "join(',', `[1]`)",
        // Parse errors.
        "[",
        "Account.",
        "foo[",
        "{a}",
        "a ||",
        "[?",
        "Account]",
        "'unterminated",
        "`1",
    ]
    .iter()
    .map(|q| q.to_string())
    .collect();
    let mut rng = Rng::new(13);
    let atoms = [
        "Account", "Arn", "UserId", "Nope", "@", "`1`", "'s'", "`null`", "`[]`",
    ];
    for _ in 0..16 {
        let a = *rng.pick(&atoms);
        let b = *rng.pick(&atoms);
        let q = match rng.below(8) {
            0 => format!("[{a}, {b}]"),
            1 => format!("{{k1: {a}, k0: {b}}}"),
            2 => format!("{a} || {b}"),
            3 => format!("{a} && {b}"),
            4 => format!("[{a}, [{b}]]"),
            5 => format!("{{k: [{a}, {b}]}}"),
            6 => format!("[{{k: {a}}}, {{k: {b}}}]"),
            _ => format!("{a} == {b}"),
        };
        if !queries.contains(&q) {
            queries.push(q);
        }
    }
    // Every output for the first queries (one per shape a formatter treats apart), one output
    // in turn for the others (the CLI takes about a second a run).
    let outputs = ["json", "text", "table"];
    for (i, q) in queries.iter().enumerate() {
        let chosen: &[&str] = if i < 30 {
            &outputs
        } else {
            std::slice::from_ref(&outputs[i % 3])
        };
        for output in chosen.iter().copied() {
            cases.push(
                c(&format!("query-{i}-{output}: {q}"))
                    .env_keys("env")
                    .arg("--query")
                    .arg(q)
                    .arg("--output")
                    .arg(output),
            );
        }
    }
    cases
}

fn item9_names() -> Vec<Case> {
    let c = |n: &str| Case::new("9-names", &format!("9/{n}"));
    vec![
        c("unicode-profile")
            .config(&format!("[profile café]\n{}", keys_lines("fx")))
            .env("AWS_PROFILE", "café"),
        c("space-in-creds-name")
            .creds(&format!("[my prof]\n{}", keys_lines("cx")))
            .env("AWS_PROFILE", "my prof"),
        c("space-in-config-name")
            .config(&format!("[profile my prof]\n{}", keys_lines("fx")))
            .profile("my prof"),
        c("profile-literal-in-creds")
            .creds(&format!("[profile x]\n{}", keys_lines("cx")))
            .env("AWS_PROFILE", "x"),
        c("profile-literal-in-creds-by-full-name")
            .creds(&format!("[profile x]\n{}", keys_lines("cx")))
            .env("AWS_PROFILE", "profile x"),
        c("quoted-profile-name")
            .config(&format!("[profile \"x\"]\n{}", keys_lines("fx")))
            .env("AWS_PROFILE", "x"),
        c("quoted-profile-name-by-quoted")
            .config(&format!("[profile \"x\"]\n{}", keys_lines("fx")))
            .env("AWS_PROFILE", "\"x\""),
        c("DEFAULT-section-inherited-creds")
            .creds("[DEFAULT]\naws_secret_access_key = {S:cx}\n[x]\naws_access_key_id = {K:cx}\n")
            .env("AWS_PROFILE", "x"),
        c("DEFAULT-section-inherited-config")
            .config("[DEFAULT]\naws_secret_access_key = {S:fx}\n[profile x]\naws_access_key_id = {K:fx}\n")
            .env("AWS_PROFILE", "x"),
        c("DEFAULT-section-with-keys-alone")
            .creds(&format!("[DEFAULT]\n{}", keys_lines("cdef"))),
        c("DEFAULT-section-selected")
            .creds(&format!("[DEFAULT]\n{}", keys_lines("cdef")))
            .env("AWS_PROFILE", "DEFAULT"),
        c("shared-credentials-file-home-var")
            .file("elsewhere/creds", &format!("[default]\n{}", keys_lines("cx")))
            .env("AWS_SHARED_CREDENTIALS_FILE", "$HOME/elsewhere/creds"),
        c("shared-credentials-file-tilde")
            .file("elsewhere/creds", &format!("[default]\n{}", keys_lines("cx")))
            .env("AWS_SHARED_CREDENTIALS_FILE", "~/elsewhere/creds"),
        c("config-file-braced-var")
            .file("elsewhere/conf", &format!("[default]\n{}", keys_lines("fx")))
            .env("AWS_CONFIG_FILE", "${HOME}/elsewhere/conf"),
        c("config-file-relative")
            .file("work/conf", &format!("[default]\n{}", keys_lines("fx")))
            .env("AWS_CONFIG_FILE", "conf")
            .cwd("work"),
        c("config-file-unset-var")
            .file("elsewhere/conf", &format!("[default]\n{}", keys_lines("fx")))
            .env("AWS_CONFIG_FILE", "$NOPE/elsewhere/conf"),
        c("case-sensitive-profile")
            .creds(&format!("[X]\n{}", keys_lines("cx")))
            .env("AWS_PROFILE", "x"),
        c("dotted-name")
            .creds(&format!("[a.b-c_d]\n{}", keys_lines("cx")))
            .env("AWS_PROFILE", "a.b-c_d"),
    ]
}

fn item10_command_line() -> Vec<Case> {
    let c = |n: &str| Case::new("10-command-line", &format!("10/{n}"));
    let files = |c: Case| {
        c.creds(&format!(
            "[default]\n{}[x]\n{}[y]\n{}",
            keys_lines("cdef"),
            keys_lines("cx"),
            keys_lines("cy")
        ))
    };
    vec![
        files(c("empty-profile-flag")).profile(""),
        files(c("empty-profile-flag-with-env-profile")).profile("").env("AWS_PROFILE", "y"),
        files(c("repeated-profile-flag")).profile("x").profile("y"),
        files(c("profile-equals-form")).arg("--profile=x"),
        files(c("profile-flag-disables-env-keys")).profile("x").env_keys("env"),
        files(c("profile-flag-default-disables-env-keys")).profile("default").env_keys("env"),
        c("credential-source-environment-with-flag")
            .env_keys("env")
            .config(&format!("[profile x]\nrole_arn = {ROLE_SOURCE_ENV}\ncredential_source = Environment\nrole_session_name = sess-s\n"))
            .profile("x"),
        c("credential-source-environment-no-keys")
            .config(&format!("[profile x]\nrole_arn = {ROLE_SOURCE_ENV}\ncredential_source = Environment\nrole_session_name = sess-s\n"))
            .profile("x"),
        c("credential-source-bad-name")
            .env_keys("env")
            .config(&format!("[profile x]\nrole_arn = {ROLE_SOURCE_ENV}\ncredential_source = Nowhere\n"))
            .profile("x"),
        c("credential-source-and-source-profile")
            .env_keys("env")
            .creds(&format!("[s]\n{}", keys_lines("csrc")))
            .config(&format!("[profile x]\nrole_arn = {ROLE_SOURCE_ENV}\ncredential_source = Environment\nsource_profile = s\n"))
            .profile("x"),
        files(c("output-text")).arg("--output").arg("text"),
        files(c("output-table")).arg("--output").arg("table"),
        files(c("query-arn")).arg("--query").arg("Arn"),
        files(c("query-account-text")).arg("--query").arg("Account").arg("--output").arg("text"),
        files(c("profile-flag-missing")).profile("nosuch"),
    ]
}

fn item11_expiration() -> Vec<Case> {
    let c = |n: &str| Case::new("11-env-expiration", &format!("11/{n}"));
    let def = format!("[default]\n{}", keys_lines("cdef"));
    vec![
        c("past")
            .env_keys("env")
            .env("AWS_SESSION_TOKEN", "t")
            .env("AWS_CREDENTIAL_EXPIRATION", "2001-01-01T00:00:00Z")
            .creds(&def),
        c("future")
            .env_keys("env")
            .env("AWS_SESSION_TOKEN", "t")
            .env("AWS_CREDENTIAL_EXPIRATION", "2099-01-01T00:00:00Z")
            .creds(&def),
        c("garbage")
            .env_keys("env")
            .env("AWS_CREDENTIAL_EXPIRATION", "tomorrow")
            .creds(&def),
        c("empty")
            .env_keys("env")
            .env("AWS_CREDENTIAL_EXPIRATION", "")
            .creds(&def),
        c("past-with-offset")
            .env_keys("env")
            .env("AWS_CREDENTIAL_EXPIRATION", "2001-01-01T00:00:00+02:00")
            .creds(&def),
        c("epoch-number")
            .env_keys("env")
            .env("AWS_CREDENTIAL_EXPIRATION", "0")
            .creds(&def),
        c("past-without-keys")
            .env("AWS_CREDENTIAL_EXPIRATION", "2001-01-01T00:00:00Z")
            .creds(&def),
        c("past-with-profile-flag")
            .env_keys("env")
            .env("AWS_CREDENTIAL_EXPIRATION", "2001-01-01T00:00:00Z")
            .creds(&def)
            .profile("default"),
    ]
}

fn item12_mfa() -> Vec<Case> {
    let c = |n: &str| Case::new("12-mfa", &format!("12/{n}"));
    let files = |c: Case| {
        c.creds(&format!("[src]\n{}", keys_lines("csrc"))).config(&format!(
            "[profile x]\nrole_arn = {ROLE_PROFILE}\nsource_profile = src\nmfa_serial = arn:aws:iam::123456789012:mfa/me\nrole_session_name = sess-s\n"
        ))
    };
    vec![
        files(c("mfa-role-no-terminal")).env("AWS_PROFILE", "x"),
        files(c("mfa-role-flag")).profile("x"),
        files(c("mfa-on-source-profile-only"))
            .config(&format!("[profile y]\nrole_arn = {ROLE_PROFILE}\nsource_profile = src\nrole_session_name = sess-s\n[profile src]\nmfa_serial = arn:aws:iam::123456789012:mfa/me\n"))
            .env("AWS_PROFILE", "y"),
        c("mfa-on-static-profile")
            .creds(&format!("[x]\n{}", keys_lines("cx")))
            .config("[profile x]\nmfa_serial = arn:aws:iam::123456789012:mfa/me\n")
            .env("AWS_PROFILE", "x"),
        files(c("mfa-role-env-keys-first")).env("AWS_PROFILE", "x").env_keys("env"),
        // The CLI's own cache (~/.aws/cli/cache) after the user ran one CLI command.
        files(c("mfa-cache-valid"))
            .file(&cli_cache_path(MFA_ARGS), &cli_cache_entry("cache", ROLE_PROFILE, "2099-01-01T00:00:00Z"))
            .env("AWS_PROFILE", "x"),
        files(c("mfa-cache-valid-offset-time"))
            .file(&cli_cache_path(MFA_ARGS), &cli_cache_entry("cache", ROLE_PROFILE, "2099-01-01T00:00:00+00:00"))
            .profile("x"),
        files(c("mfa-cache-expired"))
            .file(&cli_cache_path(MFA_ARGS), &cli_cache_entry("cache", ROLE_PROFILE, "2001-01-01T00:00:00Z"))
            .env("AWS_PROFILE", "x"),
        files(c("mfa-cache-other-role"))
            .file(
                &cli_cache_path("{\"RoleArn\": \"arn:aws:iam::333333333333:role/other\", \"RoleSessionName\": \"sess-s\", \"SerialNumber\": \"arn:aws:iam::123456789012:mfa/me\"}"),
                &cli_cache_entry("cache", ROLE_PROFILE, "2099-01-01T00:00:00Z"),
            )
            .env("AWS_PROFILE", "x"),
        files(c("mfa-cache-corrupt"))
            .file(&cli_cache_path(MFA_ARGS), "{not json")
            .env("AWS_PROFILE", "x"),
        files(c("mfa-cache-env-keys-first"))
            .file(&cli_cache_path(MFA_ARGS), &cli_cache_entry("cache", ROLE_PROFILE, "2099-01-01T00:00:00Z"))
            .env("AWS_PROFILE", "x")
            .env_keys("env"),
        c("mfa-cache-generated-session-name")
            .creds(&format!("[src]\n{}", keys_lines("csrc")))
            .config(&format!(
                "[profile x]\nrole_arn = {ROLE_PROFILE}\nsource_profile = src\nmfa_serial = arn:aws:iam::123456789012:mfa/me\n"
            ))
            .file(
                &cli_cache_path("{\"RoleArn\": \"arn:aws:iam::333333333333:role/px\", \"SerialNumber\": \"arn:aws:iam::123456789012:mfa/me\"}"),
                &cli_cache_entry("cache", ROLE_PROFILE, "2099-01-01T00:00:00Z"),
            )
            .env("AWS_PROFILE", "x"),
        c("role-cache-valid-without-mfa")
            .creds(&format!("[src]\n{}", keys_lines("csrc")))
            .config(&format!("[profile x]\nrole_arn = {ROLE_PROFILE}\nsource_profile = src\nrole_session_name = sess-s\n"))
            .file(
                &cli_cache_path("{\"RoleArn\": \"arn:aws:iam::333333333333:role/px\", \"RoleSessionName\": \"sess-s\"}"),
                &cli_cache_entry("cache", ROLE_PROFILE, "2099-01-01T00:00:00Z"),
            )
            .env("AWS_PROFILE", "x"),
    ]
}

/// The AssumeRole arguments of item 12's MFA profile, as the CLI hashes them for its cache.
const MFA_ARGS: &str = "{\"RoleArn\": \"arn:aws:iam::333333333333:role/px\", \"RoleSessionName\": \"sess-s\", \"SerialNumber\": \"arn:aws:iam::123456789012:mfa/me\"}";

fn item13_process_env() -> Vec<Case> {
    let c = |n: &str| Case::new("13-process-env", &format!("13/{n}"));
    let script = "#!/bin/sh\nif [ \"$WHO\" = a ]; then u='{K:proc}'; s='{S:proc}'; else u='{K:proc2}'; s='{S:proc2}'; fi\nprintf '{\"Version\": 1, \"AccessKeyId\": \"%s\", \"SecretAccessKey\": \"%s\"}' \"$u\" \"$s\"\n";
    let files = |c: Case| {
        c.exe("bin/p", script)
            .config("[default]\ncredential_process = {HOME}/bin/p\n")
    };
    vec![
        files(c("variable-changes-after-settled")).warm(&[("WHO", "a")]).env("WHO", "b"),
        files(c("variable-unset-after-settled")).warm(&[("WHO", "a")]),
        files(c("variable-set-after-settled")).warm(&[("WHO", "b")]).env("WHO", "a"),
        c("file-changes-after-settled")
            .exe("bin/p", "#!/bin/sh\nif [ -f \"$HOME/flag\" ]; then u='{K:proc2}'; s='{S:proc2}'; else u='{K:proc}'; s='{S:proc}'; fi\nprintf '{\"Version\": 1, \"AccessKeyId\": \"%s\", \"SecretAccessKey\": \"%s\"}' \"$u\" \"$s\"\n")
            .config("[default]\ncredential_process = {HOME}/bin/p\n")
            .warm(&[("@write", "flag")]),
        c("cwd-changes-after-settled")
            .exe("work/p.sh", &process_script("proc"))
            .exe("other/p.sh", &process_script("proc2"))
            .config("[default]\ncredential_process = ./p.sh\n")
            .warm(&[("@cwd", "work")])
            .cwd("other"),
        c("relative-token-file-cwd-changes-after-settled")
            .file("work/tok", "token-in-work")
            .file("other/tok", "token-in-other")
            .config(&format!("[default]\nrole_arn = {ROLE_WEB_PROFILE}\nweb_identity_token_file = tok\nrole_session_name = ps\n"))
            .warm(&[("@cwd", "work")])
            .cwd("other"),
        c("relative-token-file-vanishes-in-new-cwd")
            .file("work/tok", "token-in-work")
            .config(&format!("[default]\nrole_arn = {ROLE_WEB_PROFILE}\nweb_identity_token_file = tok\nrole_session_name = ps\n"))
            .warm(&[("@cwd", "work")])
            .cwd("empty"),
        c("path-changes-after-settled")
            .exe("bin1/myproc", &process_script("proc"))
            .exe("bin2/myproc", &process_script("proc2"))
            .config("[default]\ncredential_process = myproc\n")
            .warm(&[("PATH", "{HOME}/bin1:/usr/bin:/bin")])
            .env("PATH", "{HOME}/bin2:/usr/bin:/bin"),
    ]
}

/// Other rules read in botocore's credentials.py, configloader.py and the CLI.
fn botocore_rules() -> Vec<Case> {
    let c = |n: &str| Case::new("botocore", &format!("botocore/{n}"));
    let src = format!("[src]\n{}", keys_lines("csrc"));
    vec![
        c("no-region").env_keys("env").unset("AWS_DEFAULT_REGION"),
        c("region-from-profile").env_keys("env").unset("AWS_DEFAULT_REGION").config("[default]\nregion = eu-west-1\n"),
        c("aws-region-var").env_keys("env").unset("AWS_DEFAULT_REGION").env("AWS_REGION", "eu-west-1"),
        c("invalid-region").env_keys("env").env("AWS_DEFAULT_REGION", "not a region"),
        c("no-credentials"),
        c("missing-profile-env").env("AWS_PROFILE", "nosuch"),
        c("missing-profile-with-env-keys").env("AWS_PROFILE", "nosuch").env_keys("env"),
        c("default-profile-var-wins").creds(&format!("[x]\n{}[y]\n{}", keys_lines("cx"), keys_lines("cy"))).env("AWS_PROFILE", "x").env("AWS_DEFAULT_PROFILE", "y"),
        c("role-chain-two-hops")
            .creds(&src)
            .config(&format!("[profile x]\nrole_arn = {ROLE_PROFILE}\nsource_profile = mid\nrole_session_name = sess-s\n[profile mid]\nrole_arn = {ROLE_DEFAULT}\nsource_profile = src\nrole_session_name = sess-m\n"))
            .env("AWS_PROFILE", "x"),
        c("role-chain-cycle")
            .config(&format!("[profile x]\nrole_arn = {ROLE_PROFILE}\nsource_profile = y\n[profile y]\nrole_arn = {ROLE_DEFAULT}\nsource_profile = x\n"))
            .env("AWS_PROFILE", "x"),
        c("role-self-source-with-keys")
            .creds(&format!("[x]\n{}", keys_lines("cx")))
            .config(&format!("[profile x]\nrole_arn = {ROLE_PROFILE}\nsource_profile = x\nrole_session_name = sess-s\n"))
            .env("AWS_PROFILE", "x"),
        c("role-without-source")
            .config(&format!("[profile x]\nrole_arn = {ROLE_PROFILE}\n"))
            .creds(&format!("[x]\n{}", keys_lines("cx")))
            .env("AWS_PROFILE", "x"),
        c("role-source-without-creds")
            .config(&format!("[profile x]\nrole_arn = {ROLE_PROFILE}\nsource_profile = s\n[profile s]\nregion = us-east-1\n"))
            .env("AWS_PROFILE", "x"),
        c("role-source-profile-missing")
            .config(&format!("[profile x]\nrole_arn = {ROLE_PROFILE}\nsource_profile = nobody\n"))
            .env("AWS_PROFILE", "x"),
        c("role-external-id-and-duration")
            .creds(&src)
            .config(&format!("[profile x]\nrole_arn = {ROLE_PROFILE}\nsource_profile = src\nexternal_id = ext-id\nduration_seconds = 900\nrole_session_name = sess-s\n"))
            .env("AWS_PROFILE", "x"),
        c("role-bad-duration")
            .creds(&src)
            .config(&format!("[profile x]\nrole_arn = {ROLE_PROFILE}\nsource_profile = src\nduration_seconds = soon\nrole_session_name = sess-s\n"))
            .env("AWS_PROFILE", "x"),
        c("role-arn-in-creds-file")
            .creds(&format!("{src}[x]\nrole_arn = {ROLE_PROFILE}\nsource_profile = src\nrole_session_name = sess-s\n"))
            .env("AWS_PROFILE", "x"),
        c("role-default-profile")
            .creds(&src)
            .config(&format!("[default]\nrole_arn = {ROLE_DEFAULT}\nsource_profile = src\nrole_session_name = sess-d\n")),
        c("role-auto-session-name")
            .creds(&src)
            .config(&format!("[profile x]\nrole_arn = {ROLE_PROFILE}\nsource_profile = src\n"))
            .env("AWS_PROFILE", "x"),
        c("role-malformed-arn")
            .creds(&src)
            .config("[profile x]\nrole_arn = not-an-arn\nsource_profile = src\n")
            .env("AWS_PROFILE", "x"),
        c("source-profile-and-web-identity")
            .creds(&src)
            .file("tok/p", "token-for-profile")
            .config(&format!("[profile x]\nrole_arn = {ROLE_PROFILE}\nsource_profile = src\nweb_identity_token_file = {{HOME}}/tok/p\nrole_session_name = sess-s\n"))
            .env("AWS_PROFILE", "x"),
        c("legacy-aws-credential-file")
            .file("legacy.txt", "AWSAccessKeyId={K:legacy}\nAWSSecretKey={S:legacy}\n")
            .env("AWS_CREDENTIAL_FILE", "{HOME}/legacy.txt"),
        c("boto-config")
            .file(".boto", "[Credentials]\naws_access_key_id = {K:boto}\naws_secret_access_key = {S:boto}\n"),
        c("boto-config-env-var")
            .file("b.cfg", "[Credentials]\naws_access_key_id = {K:boto}\naws_secret_access_key = {S:boto}\n")
            .env("BOTO_CONFIG", "{HOME}/b.cfg"),
        c("boto-config-after-config-keys")
            .file(".boto", "[Credentials]\naws_access_key_id = {K:boto}\naws_secret_access_key = {S:boto}\n")
            .config(&format!("[default]\n{}", keys_lines("fdef"))),
        c("container-full-uri-unreachable").env("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9/creds"),
        c("container-full-uri-not-allowed-host").env("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/creds"),
        c("container-full-uri")
            .env("AWS_CONTAINER_CREDENTIALS_FULL_URI", "{CREDSURL}/creds?k={K:cz}&s={S:cz}"),
        c("container-after-creds-file")
            .env("AWS_CONTAINER_CREDENTIALS_FULL_URI", "{CREDSURL}/creds?k={K:cz}&s={S:cz}")
            .creds(&format!("[default]\n{}", keys_lines("cdef"))),
        c("container-after-config-keys")
            .env("AWS_CONTAINER_CREDENTIALS_FULL_URI", "{CREDSURL}/creds?k={K:cz}&s={S:cz}")
            .config(&format!("[default]\n{}", keys_lines("fdef"))),
        c("container-after-env-keys")
            .env("AWS_CONTAINER_CREDENTIALS_FULL_URI", "{CREDSURL}/creds?k={K:cz}&s={S:cz}")
            .env_keys("env"),
        c("container-with-named-profile")
            .env("AWS_CONTAINER_CREDENTIALS_FULL_URI", "{CREDSURL}/creds?k={K:cz}&s={S:cz}")
            .config("[profile x]\nregion = us-east-1\n")
            .env("AWS_PROFILE", "x"),
        c("container-auth-token")
            .env("AWS_CONTAINER_CREDENTIALS_FULL_URI", "{CREDSURL}/creds?k={K:cz}&s={S:cz}&auth=tok123")
            .env("AWS_CONTAINER_AUTHORIZATION_TOKEN", "tok123"),
        c("container-auth-token-file")
            .file("ctok", "tok456")
            .env("AWS_CONTAINER_CREDENTIALS_FULL_URI", "{CREDSURL}/creds?k={K:cz}&s={S:cz}&auth=tok456")
            .env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "{HOME}/ctok"),
        c("container-auth-token-file-beats-token")
            .file("ctok", "tok456")
            .env("AWS_CONTAINER_CREDENTIALS_FULL_URI", "{CREDSURL}/creds?k={K:cz}&s={S:cz}&auth=tok456")
            .env("AWS_CONTAINER_AUTHORIZATION_TOKEN", "tok123")
            .env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "{HOME}/ctok"),
        c("container-auth-token-wrong")
            .env("AWS_CONTAINER_CREDENTIALS_FULL_URI", "{CREDSURL}/creds?k={K:cz}&s={S:cz}&auth=tok123")
            .env("AWS_CONTAINER_AUTHORIZATION_TOKEN", "nope"),
        c("container-http-error")
            .env("AWS_CONTAINER_CREDENTIALS_FULL_URI", "{CREDSURL}/status/500"),
        c("credential-source-ecs-container")
            .env("AWS_CONTAINER_CREDENTIALS_FULL_URI", "{CREDSURL}/creds?k={K:cz}&s={S:cz}")
            .config(&format!("[profile x]\nrole_arn = {ROLE_SOURCE_ENV}\ncredential_source = EcsContainer\nrole_session_name = sess-ecs\n"))
            .env("AWS_PROFILE", "x"),
        c("sso-profile-no-token")
            .config("[profile x]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\nsso_account_id = 123456789012\nsso_role_name = R\n")
            .env("AWS_PROFILE", "x"),
        c("sso-session-no-token")
            .config("[profile x]\nsso_session = s\nsso_account_id = 123456789012\nsso_role_name = R\n[sso-session s]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n")
            .env("AWS_PROFILE", "x"),
        c("sso-session-missing")
            .config("[profile x]\nsso_session = s\nsso_account_id = 123456789012\nsso_role_name = R\n")
            .env("AWS_PROFILE", "x"),
        c("sso-incomplete")
            .config("[profile x]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n")
            .env("AWS_PROFILE", "x"),
        c("sso-expired-token")
            .file(&sso_cache_path("https://example.awsapps.com/start"), "{\"accessToken\": \"t\", \"expiresAt\": \"2001-01-01T00:00:00Z\"}")
            .config("[profile x]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\nsso_account_id = 123456789012\nsso_role_name = R\n")
            .env("AWS_PROFILE", "x"),
        c("sso-expired-token-env-keys-first")
            .file(&sso_cache_path("https://example.awsapps.com/start"), "{\"accessToken\": \"t\", \"expiresAt\": \"2001-01-01T00:00:00Z\"}")
            .config("[profile x]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\nsso_account_id = 123456789012\nsso_role_name = R\n")
            .env("AWS_PROFILE", "x")
            .env_keys("env"),
        c("sso-session-expired-token-no-refresh")
            .file(&sso_cache_path("s"), "{\"accessToken\": \"t\", \"expiresAt\": \"2001-01-01T00:00:00Z\"}")
            .config("[profile x]\nsso_session = s\nsso_account_id = 123456789012\nsso_role_name = R\n[sso-session s]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n")
            .env("AWS_PROFILE", "x"),
        c("sso-session-token-cached-under-start-url")
            .file(&sso_cache_path("https://example.awsapps.com/start"), "{\"accessToken\": \"t\", \"expiresAt\": \"2001-01-01T00:00:00Z\"}")
            .config("[profile x]\nsso_session = s\nsso_account_id = 123456789012\nsso_role_name = R\n[sso-session s]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n")
            .env("AWS_PROFILE", "x"),
        c("sso-token-garbage-expiry")
            .file(&sso_cache_path("https://example.awsapps.com/start"), "{\"accessToken\": \"t\", \"expiresAt\": \"whenever\"}")
            .config("[profile x]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\nsso_account_id = 123456789012\nsso_role_name = R\n")
            .env("AWS_PROFILE", "x"),
        c("sso-and-static-keys-same-profile")
            .creds(&format!("[x]\n{}", keys_lines("cx")))
            .config("[profile x]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\nsso_account_id = 123456789012\nsso_role_name = R\n")
            .env("AWS_PROFILE", "x"),
        c("config-file-missing-shared-ok")
            .env("AWS_CONFIG_FILE", "{HOME}/nosuch")
            .creds(&format!("[default]\n{}", keys_lines("cdef"))),
        c("shared-credentials-file-env")
            .file("c2", &format!("[default]\n{}", keys_lines("cy")))
            .env("AWS_SHARED_CREDENTIALS_FILE", "{HOME}/c2")
            .creds(&format!("[default]\n{}", keys_lines("cdef"))),
        c("endpoint-url-in-profile")
            .env_keys("env")
            .unset("AWS_ENDPOINT_URL")
            .config("[default]\nendpoint_url = {URL}\n"),
        c("default-output-text-env").env_keys("env").env("AWS_DEFAULT_OUTPUT", "text"),
        c("profile-output-table")
            .env_keys("env")
            .config("[default]\noutput = table\n"),
        c("profile-output-bogus")
            .env_keys("env")
            .config("[default]\noutput = yaml-ish\n"),
        c("session-token-with-static-keys")
            .creds("[default]\naws_access_key_id = {K:cdef}\naws_secret_access_key = {S:cdef}\naws_session_token = t\n"),
        c("security-token-key-in-file")
            .creds("[default]\naws_access_key_id = {K:cdef}\naws_secret_access_key = {S:cdef}\naws_security_token = t\n"),
        c("credentials-file-region-ignored")
            .env_keys("env")
            .unset("AWS_DEFAULT_REGION")
            .creds("[default]\nregion = eu-west-1\n"),
        c("config-plain-section-not-a-profile")
            .config(&format!("[x]\n{}", keys_lines("fx")))
            .env("AWS_PROFILE", "x"),
        c("config-plain-section-and-creds")
            .config(&format!("[x]\n{}", keys_lines("fx")))
            .creds(&format!("[x]\n{}", keys_lines("cx")))
            .env("AWS_PROFILE", "x"),
        c("creds-region-only-config-keys")
            .creds("[x]\nregion = us-east-1\n")
            .config(&format!("[profile x]\n{}", keys_lines("fx")))
            .env("AWS_PROFILE", "x"),
        c("both-defaults-with-keys")
            .creds(&format!("[default]\n{}", keys_lines("cdef")))
            .config(&format!("[default]\n{}", keys_lines("fdef"))),
        c("config-file-tilde")
            .file("elsewhere/conf", &format!("[default]\n{}", keys_lines("fx")))
            .env("AWS_CONFIG_FILE", "~/elsewhere/conf"),
        c("shared-credentials-file-missing")
            .env("AWS_SHARED_CREDENTIALS_FILE", "{HOME}/nosuch")
            .config(&format!("[default]\n{}", keys_lines("fdef"))),
        c("profile-name-trailing-space")
            .creds(&format!("[x]\n{}", keys_lines("cx")))
            .env("AWS_PROFILE", "x "),
        c("env-key-trailing-space")
            .env("AWS_ACCESS_KEY_ID", "{K:env} ")
            .env("AWS_SECRET_ACCESS_KEY", "{S:env}"),
        c("session-token-only-in-creds")
            .creds("[default]\naws_session_token = t\n"),
        c("credential-source-ec2-metadata-disabled")
            .config(&format!("[profile x]\nrole_arn = {ROLE_SOURCE_ENV}\ncredential_source = Ec2InstanceMetadata\nrole_session_name = sess-i\n"))
            .env("AWS_PROFILE", "x"),
        c("credential-source-ecs-not-configured")
            .config(&format!("[profile x]\nrole_arn = {ROLE_SOURCE_ENV}\ncredential_source = EcsContainer\nrole_session_name = sess-c\n"))
            .env("AWS_PROFILE", "x"),
        c("credential-source-environment-with-aws-profile-var")
            .env_keys("env")
            .config(&format!("[profile x]\nrole_arn = {ROLE_SOURCE_ENV}\ncredential_source = Environment\nrole_session_name = sess-e\n"))
            .env("AWS_PROFILE", "x"),
        c("source-profile-with-process")
            .exe("bin/p", &process_script("proc"))
            .config(&format!("[profile x]\nrole_arn = {ROLE_PROFILE}\nsource_profile = s\nrole_session_name = sess-p\n[profile s]\ncredential_process = {{HOME}}/bin/p\n"))
            .env("AWS_PROFILE", "x"),
        c("source-profile-with-web-identity")
            .file("tok/p", "token-for-profile")
            .config(&format!("[profile x]\nrole_arn = {ROLE_PROFILE}\nsource_profile = w\nrole_session_name = sess-w\n[profile w]\nrole_arn = {ROLE_WEB_PROFILE}\nweb_identity_token_file = {{HOME}}/tok/p\nrole_session_name = ws\n"))
            .env("AWS_PROFILE", "x"),
        c("source-profile-default-keys")
            .creds(&format!("[default]\n{}", keys_lines("cdef")))
            .config(&format!("[profile x]\nrole_arn = {ROLE_PROFILE}\nsource_profile = default\nrole_session_name = sess-d\n"))
            .env("AWS_PROFILE", "x"),
        c("source-profile-keys-in-config")
            .config(&format!("[profile x]\nrole_arn = {ROLE_PROFILE}\nsource_profile = s\nrole_session_name = sess-k\n[profile s]\n{}", keys_lines("fsrc")))
            .env("AWS_PROFILE", "x"),
        c("source-profile-partial-keys")
            .creds("[s]\naws_access_key_id = {K:csrc}\n")
            .config(&format!("[profile x]\nrole_arn = {ROLE_PROFILE}\nsource_profile = s\nrole_session_name = sess-k\n"))
            .env("AWS_PROFILE", "x"),
        c("role-session-name-env-for-assume-role")
            .creds(&src)
            .config(&format!("[profile x]\nrole_arn = {ROLE_PROFILE}\nsource_profile = src\n"))
            .env("AWS_ROLE_SESSION_NAME", "from-env")
            .env("AWS_PROFILE", "x"),
        c("role-table-output")
            .creds(&src)
            .config(&format!("[profile x]\nrole_arn = {ROLE_PROFILE}\nsource_profile = src\nrole_session_name = sess-o\noutput = table\n"))
            .env("AWS_PROFILE", "x"),
        c("region-in-config-used-by-role")
            .creds(&src)
            .unset("AWS_DEFAULT_REGION")
            .config(&format!("[profile x]\nrole_arn = {ROLE_PROFILE}\nsource_profile = src\nrole_session_name = sess-r\nregion = eu-west-1\n"))
            .env("AWS_PROFILE", "x"),
        c("aws-region-invalid-default-region-valid")
            .env_keys("env")
            .env("AWS_REGION", "not a region"),
        c("aws-region-valid-default-region-invalid")
            .env_keys("env")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_DEFAULT_REGION", "not a region"),
        c("region-flag").env_keys("env").unset("AWS_DEFAULT_REGION").arg("--region").arg("eu-west-1"),
        c("endpoint-url-flag")
            .env_keys("env")
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
            .arg("--endpoint-url")
            .arg("{URL}"),
        c("sdk-only-key-variables")
            .env("AWS_ACCESS_KEY", "{K:env}")
            .env("AWS_SECRET_KEY", "{S:env}")
            .creds(&format!("[default]\n{}", keys_lines("cdef"))),
        c("explicit-default-profile-absent").env("AWS_PROFILE", "default").env_keys("env"),
        c("explicit-default-profile-flag-absent").profile("default"),
        c("single-quoted-name-with-space")
            .config(&format!("[profile 'x y']\n{}", keys_lines("fx")))
            .env("AWS_PROFILE", "x y"),
        c("three-word-header-ignored")
            .config(&format!("[profile x y]\n{}", keys_lines("fx")))
            .env("AWS_PROFILE", "x y"),
        c("bare-profile-header")
            .config(&format!("[profile]\n{}", keys_lines("fx")))
            .creds(&format!("[default]\n{}", keys_lines("cdef"))),
        c("unterminated-quote-header")
            .config(&format!("[profile \"x]\n{}[profile y]\n{}", keys_lines("fx"), keys_lines("fy")))
            .env("AWS_PROFILE", "y"),
        c("same-profile-two-spellings")
            .config(&format!("[profile x]\n{}[profile 'x']\n{}", keys_lines("fx"), keys_lines("fy")))
            .env("AWS_PROFILE", "x"),
        c("services-section-endpoint")
            .env_keys("env")
            .unset("AWS_ENDPOINT_URL")
            .config("[default]\nservices = local\nendpoint_url = http://127.0.0.1:9\n[services local]\nsts =\n  endpoint_url = {URL}\n"),
        c("env-endpoint-beats-services-section")
            .env_keys("env")
            .config("[default]\nservices = local\n[services local]\nsts =\n  endpoint_url = http://127.0.0.1:9\n"),
        c("nested-value-without-equals")
            .env_keys("env")
            .config("[default]\ns3 =\n  just-a-word\n"),
        c("role-chain-ending-in-credential-source")
            .env_keys("env")
            .config(&format!("[profile x]\nrole_arn = {ROLE_PROFILE}\nsource_profile = y\nrole_session_name = sess-x\n[profile y]\nrole_arn = {ROLE_SOURCE_ENV}\ncredential_source = Environment\nrole_session_name = sess-y\n"))
            .profile("x"),
        c("role-and-process-same-profile")
            .exe("bin/p", &process_script("proc"))
            .creds(&src)
            .config(&format!("[profile x]\nrole_arn = {ROLE_PROFILE}\nsource_profile = src\nrole_session_name = sess-a\ncredential_process = {{HOME}}/bin/p\n"))
            .env("AWS_PROFILE", "x"),
        c("web-identity-token-file-without-role-in-profile")
            .file("tok/p", "token-for-profile")
            .creds(&format!("[x]\n{}", keys_lines("cx")))
            .config("[profile x]\nweb_identity_token_file = {HOME}/tok/p\n")
            .env("AWS_PROFILE", "x"),
        c("role-session-name-unicode")
            .creds(&src)
            .config(&format!("[profile x]\nrole_arn = {ROLE_PROFILE}\nsource_profile = src\nrole_session_name = café\n"))
            .env("AWS_PROFILE", "x"),
        c("shared-credentials-file-empty-string")
            .env("AWS_SHARED_CREDENTIALS_FILE", "")
            .config(&format!("[default]\n{}", keys_lines("fdef"))),
    ]
}

// ---------------------------------------------------------------------------------------------
// Generated cases.

/// Sources × selection: every combination of a few dimensions, sampled with a fixed seed, plus
/// the full product of profile kinds × ways of selecting the profile.
fn generated_chain() -> Vec<Case> {
    const ENV: &[&str] = &[
        "none",
        "full",
        "id-only",
        "secret-only",
        "empty-secret",
        "with-token",
        "empty-id",
    ];
    const SEL: &[&str] = &[
        "none",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "flag",
        "env-y+flag-x",
        "both-vars",
    ];
    const KIND: &[&str] = &[
        "absent",
        "creds-keys",
        "config-keys",
        "both-keys",
        "role-source",
        "role-env-source",
        "web-identity",
        "process",
        "creds-keys+process",
        "split-keys",
        "role-self",
        "role-no-source",
        "region-only",
    ];
    const DEF: &[&str] = &["none", "creds", "config", "profile-default", "process"];
    const WEB: &[&str] = &[
        "none",
        "role+token",
        "token-only",
        "role-only",
        "role+token+name",
    ];

    // Where the files are: the default paths, or AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE
    // naming ~/alt/* absolutely, with `~`, with `$HOME`, or relative to the working directory.
    const LOC: &[&str] = &["default", "absolute", "tilde", "home-var", "relative"];
    let build = |e: usize, s: usize, k: usize, d: usize, w: usize, l: usize| -> Case {
        let mut name = format!(
            "gen/env={},sel={},x={},default={},webid={}",
            ENV[e], SEL[s], KIND[k], DEF[d], WEB[w]
        );
        if l != 0 {
            name += &format!(",files={}", LOC[l]);
        }
        let mut c = Case::new("gen-chain", &name);
        c = match ENV[e] {
            "full" => c.env_keys("env"),
            "id-only" => c.env("AWS_ACCESS_KEY_ID", "{K:env}"),
            "secret-only" => c.env("AWS_SECRET_ACCESS_KEY", "{S:env}"),
            "empty-secret" => c
                .env("AWS_ACCESS_KEY_ID", "{K:env}")
                .env("AWS_SECRET_ACCESS_KEY", ""),
            "with-token" => c.env_keys("env").env("AWS_SESSION_TOKEN", "t"),
            "empty-id" => c
                .env("AWS_ACCESS_KEY_ID", "")
                .env("AWS_SECRET_ACCESS_KEY", "{S:env}"),
            _ => c,
        };
        c = match SEL[s] {
            "AWS_PROFILE" => c.env("AWS_PROFILE", "x"),
            "AWS_DEFAULT_PROFILE" => c.env("AWS_DEFAULT_PROFILE", "x"),
            "flag" => c.profile("x"),
            "env-y+flag-x" => c.env("AWS_PROFILE", "y").profile("x"),
            "both-vars" => c.env("AWS_PROFILE", "x").env("AWS_DEFAULT_PROFILE", "y"),
            _ => c,
        };
        let mut creds = String::from("[y]\n") + &keys_lines("cy");
        let mut config = String::from("[profile y]\n") + &keys_lines("fy");
        match KIND[k] {
            "creds-keys" => creds += &format!("[x]\n{}", keys_lines("cx")),
            "config-keys" => config += &format!("[profile x]\n{}", keys_lines("fx")),
            "both-keys" => {
                creds += &format!("[x]\n{}", keys_lines("cx"));
                config += &format!("[profile x]\n{}", keys_lines("fx"));
            }
            "role-source" => {
                creds += &format!("[src]\n{}", keys_lines("csrc"));
                config += &format!("[profile x]\nrole_arn = {ROLE_PROFILE}\nsource_profile = src\nrole_session_name = rs\n");
            }
            "role-env-source" => {
                config += &format!("[profile x]\nrole_arn = {ROLE_SOURCE_ENV}\ncredential_source = Environment\nrole_session_name = re\n");
            }
            "web-identity" => {
                c = c.file("tok/p", "token-for-profile");
                config += &format!("[profile x]\nrole_arn = {ROLE_WEB_PROFILE}\nweb_identity_token_file = {{HOME}}/tok/p\nrole_session_name = pw\n");
            }
            "process" => {
                c = c.exe("bin/px", &process_script("proc"));
                config += "[profile x]\ncredential_process = {HOME}/bin/px\n";
            }
            "creds-keys+process" => {
                c = c.exe("bin/px", &process_script("proc"));
                creds += &format!("[x]\n{}", keys_lines("cx"));
                config += "[profile x]\ncredential_process = {HOME}/bin/px\n";
            }
            "split-keys" => {
                creds += "[x]\naws_access_key_id = {K:cx}\n";
                config += "[profile x]\naws_secret_access_key = {S:cx}\n";
            }
            "role-self" => {
                creds += &format!("[x]\n{}", keys_lines("cx"));
                config += &format!("[profile x]\nrole_arn = {ROLE_PROFILE}\nsource_profile = x\nrole_session_name = self\n");
            }
            "role-no-source" => config += &format!("[profile x]\nrole_arn = {ROLE_PROFILE}\n"),
            "region-only" => config += "[profile x]\nregion = us-east-1\n",
            _ => {}
        }
        match DEF[d] {
            "creds" => creds += &format!("[default]\n{}", keys_lines("cdef")),
            "config" => config += &format!("[default]\n{}", keys_lines("fdef")),
            "profile-default" => config += &format!("[profile default]\n{}", keys_lines("fz")),
            "process" => {
                c = c.exe("bin/pd", &process_script("proc2"));
                config += "[default]\ncredential_process = {HOME}/bin/pd\n";
            }
            _ => {}
        }
        c = match WEB[w] {
            "role+token" => web_env(c),
            "token-only" => c
                .file("tok/e", "token-for-env")
                .env("AWS_WEB_IDENTITY_TOKEN_FILE", "{HOME}/tok/e"),
            "role-only" => c.env("AWS_ROLE_ARN", ROLE_WEB_ENV),
            "role+token+name" => web_env(c).env("AWS_ROLE_SESSION_NAME", "ews"),
            _ => c,
        };
        let (conf_var, creds_var) = match LOC[l] {
            "absolute" => ("{HOME}/alt/config", "{HOME}/alt/credentials"),
            "tilde" => ("~/alt/config", "~/alt/credentials"),
            "home-var" => ("$HOME/alt/config", "$HOME/alt/credentials"),
            "relative" => ("alt/config", "alt/credentials"),
            _ => return c.creds(&creds).config(&config),
        };
        c.file("alt/config", &config)
            .file("alt/credentials", &creds)
            .env("AWS_CONFIG_FILE", conf_var)
            .env("AWS_SHARED_CREDENTIALS_FILE", creds_var)
    };

    let mut cases = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    // Every profile kind under every way of selecting it (a default in the credentials file).
    for k in 0..KIND.len() {
        for s in 0..SEL.len() {
            seen.insert((0, s, k, 1, 0, 0));
            cases.push(build(0, s, k, 1, 0, 0));
        }
    }
    // A fixed-seed sample of the whole product.
    let mut rng = Rng::new(0x00A5_1D10);
    while cases.len() < KIND.len() * SEL.len() + 100 {
        let t = (
            rng.below(ENV.len()),
            rng.below(SEL.len()),
            rng.below(KIND.len()),
            rng.below(DEF.len()),
            rng.below(WEB.len()),
            rng.below(LOC.len()),
        );
        if seen.insert(t) {
            cases.push(build(t.0, t.1, t.2, t.3, t.4, t.5));
        }
    }
    cases
}

/// File syntax: one variation of a header, a key line or an extra line, in the config or the
/// credentials file, for a selected profile and for the default one.
fn generated_parser() -> Vec<Case> {
    // (name, header for config, header for credentials) with `N` standing for the profile name.
    const HEADERS: &[(&str, &str, &str)] = &[
        ("plain", "[profile N]", "[N]"),
        ("inner-spaces", "[ profile N ]", "[ N ]"),
        ("double-space", "[profile  N]", "[N ]"),
        ("tab", "[profile\tN]", "[\tN]"),
        ("no-space", "[profileN]", "[N]"),
        ("trailing-comment", "[profile N] # c", "[N] # c"),
        ("trailing-text", "[profile N] (old)", "[N] (old)"),
        ("indented", "  [profile N]", "  [N]"),
        ("uppercase-word", "[PROFILE N]", "[N]"),
        ("double-bracket", "[profile N]]", "[N]]"),
        ("quoted", "[profile \"N\"]", "[\"N\"]"),
    ];
    // (name, key line pattern with K for the key name and V for the value)
    const LINES: &[(&str, &str)] = &[
        ("eq", "K = V"),
        ("eq-tight", "K=V"),
        ("colon", "K: V"),
        ("colon-spaced", "K : V"),
        ("indented", "  K = V"),
        ("tab-indented", "\tK = V"),
        ("hash-comment", "K = V # c"),
        ("semicolon-comment", "K = V ; c"),
        ("hash-tight", "K = V#c"),
        ("trailing-spaces", "K = V   "),
        ("quoted", "K = \"V\""),
        ("uppercase-key", "UPPER = V"),
        ("crlf", "K = V\r"),
    ];
    // (name, text inserted after the header)
    const EXTRAS: &[(&str, &str)] = &[
        ("hash-comment", "# note"),
        ("semicolon-comment", "; note"),
        ("indented-comment", "  # note"),
        ("blank-line", ""),
        ("bare-word", "junk"),
        ("empty-value", "output ="),
        ("duplicate-key", "aws_access_key_id = AKIADUPLICATE"),
        ("nested", "s3 =\n  addressing_style = path"),
        ("unicode-value", "note = café"),
    ];
    let mut cases = Vec::new();
    for in_config in [true, false] {
        let file = if in_config { "config" } else { "creds" };
        let (user, fallback) = if in_config {
            ("fx", "cdef")
        } else {
            ("cx", "fdef")
        };
        for (selected, name) in [(true, "x"), (false, "default")] {
            let write = |c: Case, text: String| -> Case {
                let fallback_text = format!("[default]\n{}", keys_lines(fallback));
                let c = if selected {
                    c.env("AWS_PROFILE", "x")
                } else {
                    c
                };
                if in_config {
                    // The other file keeps a default so a section the parser drops shows.
                    let c = if selected { c.creds(&fallback_text) } else { c };
                    c.config(&text)
                } else {
                    let c = if selected {
                        c.config(&fallback_text)
                    } else {
                        c
                    };
                    c.creds(&text)
                }
            };
            let header_of = |h: &(&str, &str, &str)| -> String {
                let pattern = if in_config && name != "default" {
                    h.1
                } else {
                    h.2
                };
                pattern.replace('N', name)
            };
            let sel = if selected { "selected" } else { "default" };
            for h in HEADERS {
                if !(in_config && selected) && h.2 == "[N]" && h.0 != "plain" {
                    continue;
                }
                let text = format!("{}\n{}", header_of(h), keys_lines(user));
                let c = Case::new("gen-parser", &format!("parse/{file}/{sel}/header={}", h.0));
                cases.push(write(c, text));
            }
            for l in LINES {
                let line = |k: &str, v: &str| {
                    let key = if l.1.contains("UPPER") {
                        k.to_uppercase()
                    } else {
                        k.to_string()
                    };
                    l.1.replace("UPPER", &key)
                        .replace('K', &key)
                        .replace('V', v)
                };
                let text = format!(
                    "{}\n{}\n{}\n",
                    header_of(&HEADERS[0]),
                    line("aws_access_key_id", &format!("{{K:{user}}}")),
                    line("aws_secret_access_key", &format!("{{S:{user}}}"))
                );
                let c = Case::new("gen-parser", &format!("parse/{file}/{sel}/line={}", l.0));
                cases.push(write(c, text));
            }
            for x in EXTRAS {
                // After the keys too (where a continuation line can swallow a comment), in
                // the config file only, to keep the suite's size down.
                let spots: &[bool] = if in_config { &[false, true] } else { &[false] };
                for &after_key in spots {
                    let keys = keys_lines(user);
                    let text = if after_key {
                        format!("{}\n{keys}{}\n", header_of(&HEADERS[0]), x.1)
                    } else {
                        format!("{}\n{}\n{keys}", header_of(&HEADERS[0]), x.1)
                    };
                    let at = if after_key {
                        "after-keys"
                    } else {
                        "after-header"
                    };
                    let c = Case::new(
                        "gen-parser",
                        &format!("parse/{file}/{sel}/extra={}/{at}", x.0),
                    );
                    cases.push(write(c, text));
                }
            }
        }
    }
    cases
}

fn all_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    cases.extend(item1_web_identity());
    cases.extend(item2_process_vs_keys());
    cases.extend(item3_profile_default());
    cases.extend(item4_partial());
    cases.extend(item5_inline_comments());
    cases.extend(item6_parser());
    cases.extend(item7_process());
    cases.extend(item8_tls());
    cases.extend(item9_names());
    cases.extend(item10_command_line());
    cases.extend(item11_expiration());
    cases.extend(item12_mfa());
    cases.extend(item13_process_env());
    cases.extend(item13_global_options());
    cases.extend(botocore_rules());
    cases.extend(generated_chain());
    cases.extend(generated_parser());
    cases
}

fn print_report(outcomes: &[Outcome]) -> usize {
    let deliberate: BTreeMap<&str, Allow> = DELIBERATE.iter().map(|(n, a, _)| (*n, *a)).collect();
    let mut per_class: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    let mut failing = 0;
    println!("\n{:<110} | {:<60} | awsid", "disagreeing case", "aws CLI");
    println!("{}", "-".repeat(200));
    for o in outcomes {
        let e = per_class.entry(o.case.class.as_str()).or_default();
        e.0 += 1;
        if o.agree() {
            e.1 += 1;
            continue;
        }
        let excused = deliberate
            .get(o.case.name.as_str())
            .is_some_and(|a| allowed(o, *a));
        if excused {
            e.2 += 1;
        } else {
            failing += 1;
        }
        let mark = if excused { " (deliberate)" } else { "" };
        println!(
            "{:<110} | {:<60} | {}",
            cell(&format!("{}{mark}", o.case.name), 110),
            cell(&o.cli.summary(), 60),
            cell(&o.ours.summary(), 90)
        );
        if o.cli.class == "ok"
            && o.ours.class == "ok"
            && std::env::var_os("AWSID_DIFF_VERBOSE").is_some()
        {
            println!(
                "    cli:   {}\n    awsid: {}",
                cell(&o.cli.stdout, 180),
                cell(&o.ours.stdout, 180)
            );
        }
    }
    println!("\nper class: total, agree, deliberate");
    for (class, (n, ok, d)) in &per_class {
        println!("  {class:<22} {n:>4} {ok:>4} {d:>4}");
    }
    let cli: f64 = outcomes.iter().map(|o| o.cli_time.as_secs_f64()).sum();
    let ours: f64 = outcomes.iter().map(|o| o.ours_time.as_secs_f64()).sum();
    let mut slow: Vec<&Outcome> = outcomes.iter().collect();
    slow.sort_by_key(|o| std::cmp::Reverse(o.ours_time));
    println!("\ntime: aws CLI {cli:.0} s, awsid {ours:.0} s in all; slowest awsid runs:");
    for o in slow.iter().take(5) {
        println!("  {:>6.2} s  {}", o.ours_time.as_secs_f64(), o.case.name);
    }
    slow.sort_by_key(|o| std::cmp::Reverse(o.cli_time));
    println!("slowest CLI runs:");
    for o in slow.iter().take(8) {
        println!("  {:>6.2} s  {}", o.cli_time.as_secs_f64(), o.case.name);
    }
    let agree = outcomes.iter().filter(|o| o.agree()).count();
    println!("\n{} cases, {} agree", outcomes.len(), agree);
    failing
}

#[test]
fn awsid_whoami_agrees_with_the_aws_cli() {
    let mut cases = all_cases();
    // Case names are unique (the deliberate table refers to them).
    let mut names = std::collections::BTreeSet::new();
    for c in &cases {
        assert!(
            names.insert(c.name.clone()),
            "duplicate case name {}",
            c.name
        );
    }
    for (name, _, _) in DELIBERATE {
        assert!(names.contains(*name), "DELIBERATE names no case: {name}");
    }
    if std::env::var_os("AWSID_DIFF_LIST").is_some() {
        let mut per_class: BTreeMap<&str, usize> = BTreeMap::new();
        for c in &cases {
            *per_class.entry(c.class.as_str()).or_default() += 1;
        }
        println!("{} cases: {per_class:?}", cases.len());
        return;
    }
    if let Ok(filter) = std::env::var("AWSID_DIFF_FILTER") {
        cases.retain(|c| c.name.contains(&filter) || c.class.contains(&filter));
    }
    let jobs = std::env::var("AWSID_DIFF_JOBS")
        .ok()
        .and_then(|j| j.parse().ok())
        .unwrap_or(5);
    println!("running {} cases, {jobs} at a time", cases.len());
    let outcomes = run_all(&cases, jobs);
    let failing = print_report(&outcomes);
    if std::env::var_os("AWSID_DIFF_REPORT").is_some() {
        return;
    }
    assert_eq!(
        failing, 0,
        "{failing} cases disagree with the AWS CLI (table above)"
    );
}

/// The harness itself, on cases today's awsid already gets right: both tools see the expected
/// identity (so an agreement is not two identical failures of the set-up), an assumed role
/// agrees once masked, a shared error sentence agrees, and a wrong identity is a disagreement.
#[test]
fn harness_compares_what_users_see() {
    let users = awsid_tests::diff::users();
    let cases = vec![
        Case::new("self-test", "env-keys").env_keys("env"),
        Case::new("self-test", "role")
            .creds(&format!("[src]\n{}", keys_lines("csrc")))
            .config(&format!(
                "[profile x]\nrole_arn = {ROLE_PROFILE}\nsource_profile = src\n"
            ))
            .env("AWS_PROFILE", "x"),
        Case::new("self-test", "missing-profile").env("AWS_PROFILE", "nosuch"),
    ];
    let out = run_all(&cases, 3);
    let env_arn = &users["env"].arn;
    assert_eq!(out[0].cli.class, "ok", "{:?}", out[0].cli);
    assert!(
        out[0].cli.stdout.contains(env_arn.as_str()),
        "{:?}",
        out[0].cli
    );
    assert!(out[0].agree(), "{:?}", out[0]);
    assert!(
        out[1].cli.stdout.contains("assumed-role/px/<session>")
            && out[1].cli.stdout.contains("AROA*"),
        "{:?}",
        out[1].cli
    );
    assert!(out[1].agree(), "{:?}", out[1]);
    assert_eq!(
        out[2].cli.error,
        "The config profile (nosuch) could not be found"
    );
    assert!(out[2].agree(), "{:?}", out[2]);
    // A different identity on one side is a disagreement.
    let mut wrong = out[0].clone();
    wrong.ours.stdout = wrong
        .ours
        .stdout
        .replace(env_arn.as_str(), &users["cdef"].arn);
    assert!(!wrong.agree());
    let mut failed = out[0].clone();
    failed.ours.class = "error";
    assert!(!failed.agree());
}

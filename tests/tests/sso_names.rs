//! Account names without configuration: an SSO profile shows the name the SSO portal gives
//! its account (`sso:ListAccounts` with the same token), asked once per account; the user's
//! `[accounts]` map wins; a portal that refuses the list still lets the identity show.

use awsid_tests::diff::sso_cache_path;
use awsid_tests::fake_sso::{FakeSso, TOKEN};
use awsid_tests::fake_sts::FakeSts;
use awsid_tests::harness::{Sandbox, Vars};

/// The keys the portal hands out (the fake STS answers any key, account 111122223333).
const KEYS: (&str, &str) = (
    "AKIAPORTAL0000000001",
    "secretsecretsecretsecretsecretsecretsecr",
);

/// Two roles in one account through one SSO session.
const AWS_CONFIG: &str = "[profile corp]\nsso_session = corp\nsso_account_id = 111122223333\n\
    sso_role_name = Admin\nregion = us-east-1\n\
    [profile corp-ro]\nsso_session = corp\nsso_account_id = 111122223333\n\
    sso_role_name = ReadOnly\nregion = us-east-1\n\
    [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n";

const FORMAT: &str = "[prompt]\nstyle = \"\"\nformat = \"{state}{account_name}|{account}\"\n";

/// A signed-in SSO session `corp` against the fakes.
fn signed_in(sso: &FakeSso, sts: &FakeSts) -> (Sandbox, impl Fn(&str) -> Vars) {
    let sb = Sandbox::new();
    sb.write(".aws/config", AWS_CONFIG);
    let later = "2099-01-01T00:00:00Z";
    sb.write(
        &sso_cache_path("corp"),
        &format!(
            "{{\"accessToken\": \"{TOKEN}\", \"expiresAt\": \"{later}\", \"refreshToken\": \"r\", \
             \"clientId\": \"c\", \"clientSecret\": \"s\", \"registrationExpiresAt\": \"{later}\", \
             \"region\": \"us-east-1\", \"startUrl\": \"https://corp.awsapps.com/start\"}}"
        ),
    );
    sb.write_config(FORMAT);
    let (home, sso, sts) = (sb.vars(), sso.url(), sts.url());
    let vars = move |profile: &str| {
        home.clone()
            .set("AWS_PROFILE", profile)
            .set("AWS_ENDPOINT_URL_SSO", sso.clone())
            .set("AWS_ENDPOINT_URL_STS", sts.clone())
    };
    (sb, vars)
}

fn prompt(sb: &Sandbox, v: &Vars) -> String {
    sb.answered_prompt(&["prompt", "--shell", "plain", "--budget-ms", "2000"], v)
        .stdout
}

#[test]
fn an_sso_profile_shows_the_portals_account_name_asked_once_per_account() {
    let sts = FakeSts::start();
    let sso = FakeSso::start(
        &[
            ("444455556666", "Sandbox"),
            ("111122223333", "Corp Production"),
        ],
        KEYS,
    );
    let (sb, v) = signed_in(&sso, &sts);
    assert_eq!(prompt(&sb, &v("corp")), "Corp Production|Corp Production");
    assert_eq!(prompt(&sb, &v("corp")), "Corp Production|Corp Production");
    // Another role in the same account: its own credentials, the name remembered.
    assert_eq!(
        prompt(&sb, &v("corp-ro")),
        "Corp Production|Corp Production"
    );
    assert_eq!(sso.calls("GetRoleCredentials"), 2);
    assert_eq!(sso.calls("ListAccounts"), 1);
    // The doctor's segment shows it too.
    let d = sb.awsid(&["doctor"], &v("corp"));
    assert!(
        d.stdout.contains("Corp Production|Corp Production"),
        "{d:?}"
    );
    // The token is in no log line.
    assert!(!sb.log().contains(TOKEN));

    // The user's own name wins.
    sb.write_config(&format!(
        "{FORMAT}[accounts]\n\"111122223333\" = \"mine\"\n"
    ));
    sb.awsid(&["flush"], &v("corp")).ok();
    assert_eq!(prompt(&sb, &v("corp")), "mine|mine");
}

#[test]
fn a_portal_that_refuses_the_account_list_still_shows_the_identity() {
    let sts = FakeSts::start();
    let sso = FakeSso::refusing_list(KEYS);
    let (sb, v) = signed_in(&sso, &sts);
    assert_eq!(prompt(&sb, &v("corp")), "|111122223333");
    assert_eq!(prompt(&sb, &v("corp-ro")), "|111122223333");
    // The refusal is remembered for the account: not asked again.
    assert_eq!(sso.calls("GetRoleCredentials"), 2);
    assert_eq!(sso.calls("ListAccounts"), 1);
}

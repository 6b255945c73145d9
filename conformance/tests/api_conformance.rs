//! The whole catalogue, in-process, against the mock served on a loopback socket, in both
//! profiles, keyless (the anonymous demo project) and with a project key: the compat level
//! passes against `hosted` and `strict`, the strict level against `strict`, and the strict
//! level against `hosted` fails exactly the checks that hold the API to promises the hosted
//! API does not make (which proves those checks can fail, and that the levels are honest).

#![allow(clippy::unwrap_used)] // test: a panic is a failed test

use std::sync::Arc;

use conformance::{Level, Options, Outcome, Report, TokenSigner};
use liveauth_testkit::mock::Served;
use mock_api::Profile;
use mock_api::hosted_token::{AccessTokens, HostedClaims};
use mock_api::token::AccessClaims;

/// The strict checks the hosted profile fails, in catalogue order, each because hosted
/// does what the hosted API does (docs/decisions.md, "Conformance levels"). One strict
/// check passes against it nonetheless: `charge_parallel_never_overspends` (the mock's
/// budgets are atomic in both profiles; the hosted API's are unverified).
const STRICT_CHECKS_HOSTED_FAILS: &[&str] = &[
    // Database times without a zone.
    "timestamps_carry_zone",
    // Plain-text and ASP.NET bodies, not problem+json with codes.
    "lnurl_errors_lud06",
    "pow_refusal_codes",
    "pow_parallel_confirms_one_token",
    "pow_noncanonical_nonces",
    // No per-minute limit.
    "charge_rate_limited",
    // The Idempotency-Key header is ignored.
    "charge_idempotency_header_counted_once",
    // Refresh tokens are not rotated.
    "refresh_rotation",
    "refresh_family_revocation",
    // Every token refusal is 401 `Missing projectId/jti`; HS256, no JWKS.
    "bearer_missing_problem",
    "jwt_forgeries_problem",
    "jwt_expired_at_exp",
    "jwt_verifies_with_jwks",
    // A pending confirm says `0` for expiresIn and remainingBudgetSats; status stays
    // `pending` until confirmed.
    "lightning_pending_fields_null",
    // No 402 challenges on the protected example.
    "http402_challenge_headers",
    "l402_paid_credential_accepted",
    // ASP.NET's bare problem+json, without codes; the legacy demo path.
    "errors_problem_json",
    "oversized_body_413",
    "unknown_route_404",
    "healthz_and_openapi",
    // The macaroon refusal is `{"error": "Payment required", "message": …}`, no code.
    "bundle_forged_macaroons_refused",
];

/// Serves a fresh mock; returns its base URL and a signer holding its token key (the
/// profile's own format: EdDSA with the strict claims, HS256 with the hosted ones).
async fn serve(config: mock_api::Config) -> (String, TokenSigner) {
    let Served { base, state } = liveauth_testkit::mock::serve(config).await.unwrap();
    let signer: TokenSigner =
        Arc::new(move |claims: &serde_json::Value| match &state.keys.access {
            AccessTokens::EdDsa(issuer) => {
                let claims: AccessClaims = serde_json::from_value(claims.clone()).ok()?;
                issuer.issue(&claims).ok()
            }
            AccessTokens::Hs256(issuer) => {
                let claims: HostedClaims = serde_json::from_value(claims.clone()).ok()?;
                issuer.issue(&claims).ok()
            }
        });
    (base, signer)
}

fn config(profile: Profile) -> mock_api::Config {
    mock_api::Config {
        profile,
        // Low enough that 20 solutions of one quote take milliseconds on a debug build.
        difficulty_bits: 12,
        projects: vec!["la_pk_conf:21".parse().unwrap()],
        ..mock_api::Config::default()
    }
}

async fn run(profile: Profile, key: Option<&str>, level: Level) -> Report {
    let (base, signer) = serve(config(profile)).await;
    let mut options = Options::new(base, key.map(str::to_owned));
    options.level = level;
    options.token_signer = Some(signer);
    conformance::run(options, |_| {}).await.unwrap()
}

fn lines(report: &Report, keep: impl Fn(&Outcome) -> bool) -> String {
    report
        .checks
        .iter()
        .filter(|c| keep(&c.outcome))
        .map(|c| c.line())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every check of the level ran and passed (dev endpoints on, so nothing is skipped).
fn assert_all_pass(report: &Report, level: Level, what: &str) {
    let expected = conformance::catalogue()
        .iter()
        .filter(|c| level.includes(c.level))
        .count();
    assert_eq!(report.checks.len(), expected, "{what}");
    assert!(
        report.checks.iter().all(|c| level.includes(c.level)),
        "{what}: a check outside the level ran"
    );
    assert_eq!(
        report.summary(),
        format!("{expected} passed, 0 failed, 0 skipped"),
        "{what}:\n{}",
        lines(report, |o| *o != Outcome::Pass)
    );
}

/// The catalogue has both levels, a compat level worth the name, and unique names.
#[test]
fn the_catalogue_has_both_levels_and_unique_names() {
    let catalogue = conformance::catalogue();
    let compat = catalogue
        .iter()
        .filter(|c| c.level == Level::Compat)
        .count();
    assert!(compat >= 30, "{compat} compat checks");
    assert!(catalogue.len() > compat);
    let mut names: Vec<&str> = catalogue.iter().map(|c| c.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), catalogue.len(), "duplicate check names");
    for name in STRICT_CHECKS_HOSTED_FAILS {
        let check = catalogue.iter().find(|c| c.name == *name);
        assert_eq!(check.map(|c| c.level), Some(Level::Strict), "{name}");
    }
}

/// One test per run whose every check must pass: `name: Profile, key, Level;`.
macro_rules! all_pass {
    ($($(#[$doc:meta])* $name:ident: $profile:ident, $key:expr, $level:ident;)+) => {$(
        $(#[$doc])*
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let report = run(Profile::$profile, $key, Level::$level).await;
            assert_all_pass(&report, Level::$level, stringify!($name));
        }
    )+};
}

all_pass! {
    /// Compat against the hosted profile, keyless: `POST /api/mcp/start` without a key.
    compat_passes_against_hosted_keyless: Hosted, None, Compat;
    /// Compat against the hosted profile with a project key (sent on every request).
    compat_passes_against_hosted_keyed: Hosted, Some("la_pk_conf"), Compat;
    compat_passes_against_strict_keyless: Strict, None, Compat;
    compat_passes_against_strict_keyed: Strict, Some("la_pk_conf"), Compat;
    strict_passes_against_strict_keyless: Strict, None, Strict;
    strict_passes_against_strict_keyed: Strict, Some("la_pk_conf"), Strict;
}

/// The strict level against the hosted profile fails exactly the listed strict checks,
/// keyless and keyed; every compat check still passes there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strict_against_hosted_fails_exactly_the_strict_promises() {
    for key in [None, Some("la_pk_conf")] {
        let report = run(Profile::Hosted, key, Level::Strict).await;
        assert_eq!(
            report.names(|o| matches!(o, Outcome::Fail(_))),
            STRICT_CHECKS_HOSTED_FAILS,
            "key {key:?}:\n{}",
            lines(&report, |o| matches!(o, Outcome::Fail(_)))
        );
        assert_eq!(report.skipped(), 0, "key {key:?}");
        assert!(
            report
                .checks
                .iter()
                .filter(|c| c.level == Level::Compat)
                .all(|c| c.outcome == Outcome::Pass),
            "key {key:?}"
        );
    }
}

/// Without the dev endpoints, the checks that need them are skipped with the reason, and
/// every other check still passes (strict level, strict profile, keyless: the demo
/// project's Lightning quotes settle by themselves).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_needing_dev_endpoints_skip_with_a_reason() {
    let (base, _) = serve(mock_api::Config {
        dev_endpoints: false,
        demo_settle_after_secs: 0,
        ..config(Profile::Strict)
    })
    .await;
    let mut options = Options::new(base, None);
    options.level = Level::Strict;
    let report = conformance::run(options, |_| {}).await.unwrap();
    let skipped: Vec<(&str, String)> = report
        .checks
        .iter()
        .filter_map(|c| match &c.outcome {
            Outcome::Skip(why) => Some((c.name, why.clone())),
            _ => None,
        })
        .collect();
    let names: Vec<&str> = skipped.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        [
            "pow_expired_challenge",
            "jwt_expired",
            "jwt_expired_at_exp",
            "lightning_confirm_pending_then_paid",
            "lightning_pending_fields_null",
            "l402_paid_credential_accepted",
            "caller_payment_credited_once"
        ],
        "{skipped:?}"
    );
    assert!(
        skipped.iter().all(|(_, why)| why.contains("/api/dev/")),
        "{skipped:?}"
    );
    assert_eq!(report.failed(), 0, "{:#?}", report.checks);
}

/// An API without caller funding (LiveAuth before 1.3) is not held to it: both checks
/// skip, saying why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caller_funding_checks_skip_an_api_without_it() {
    let config = mock_api::Config {
        caller_funding: false,
        ..config(Profile::Strict)
    };
    let (base, _) = serve(config).await;
    let mut options = Options::new(base, None);
    options.level = Level::Strict;
    let report = conformance::run(options, |_| {}).await.unwrap();
    for name in [
        "caller_payment_required_shape",
        "caller_payment_credited_once",
    ] {
        let check = report.checks.iter().find(|c| c.name == name).unwrap();
        assert!(
            matches!(&check.outcome, Outcome::Skip(why) if why.contains("no caller funding")),
            "{}",
            check.line()
        );
    }
    assert_eq!(report.failed(), 0, "{:#?}", report.checks);
}

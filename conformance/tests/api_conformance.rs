//! The whole catalogue, in-process, against the mock served on a loopback socket: every
//! check must pass, in demo mode and with a project key.

#![allow(clippy::unwrap_used)] // test: a panic is a failed test

use std::sync::Arc;

use conformance::{Options, Outcome, TokenSigner};
use liveauth_testkit::mock::Served;
use mock_api::token::AccessClaims;

/// Serves a fresh mock; returns its base URL and a signer holding its token key.
async fn serve(config: mock_api::Config) -> (String, TokenSigner) {
    let Served { base, state } = liveauth_testkit::mock::serve(config).await.unwrap();
    let signer: TokenSigner = Arc::new(move |claims: &serde_json::Value| {
        let claims: AccessClaims = serde_json::from_value(claims.clone()).ok()?;
        state.keys.tokens.issue(&claims).ok()
    });
    (base, signer)
}

fn config() -> mock_api::Config {
    mock_api::Config {
        // The conformance levels are not yet re-audited for the hosted profile.
        profile: mock_api::Profile::Strict,
        // Low enough that 20 solutions of one quote take milliseconds on a debug build.
        difficulty_bits: 12,
        projects: vec!["la_pk_conf:21".parse().unwrap()],
        ..mock_api::Config::default()
    }
}

async fn run_all(key: Option<&str>) {
    let (base, signer) = serve(config()).await;
    let mut options = Options::new(base, key.map(str::to_owned));
    options.token_signer = Some(signer);
    let report = conformance::run(options, |_| {}).await.unwrap();
    let lines: Vec<String> = report.checks.iter().map(|c| c.line()).collect();
    assert!(report.checks.len() >= 30, "{}", lines.join("\n"));
    let not_passed: Vec<&String> = report
        .checks
        .iter()
        .zip(&lines)
        .filter(|(c, _)| c.outcome != Outcome::Pass)
        .map(|(_, line)| line)
        .collect();
    assert!(
        not_passed.is_empty(),
        "every check passes against the mock (dev endpoints on, so nothing is skipped):\n{}",
        not_passed
            .iter()
            .map(|l| l.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert_eq!(
        report.summary(),
        format!("{} passed, 0 failed, 0 skipped", report.checks.len())
    );
}

/// Demo mode: no key, starts at /api/public/demo/start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_check_passes_in_demo_mode() {
    run_all(None).await;
}

/// A keyed project: /api/mcp/start with X-LW-Public, Lightning paid through dev settle.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_check_passes_with_a_project_key() {
    run_all(Some("la_pk_conf")).await;
}

/// Without the dev endpoints, the checks that need them are skipped with the reason, and
/// every other check still passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_needing_dev_endpoints_skip_with_a_reason() {
    let (base, _) = serve(mock_api::Config {
        dev_endpoints: false,
        demo_settle_after_secs: 0,
        ..config()
    })
    .await;
    let report = conformance::run(Options::new(base, None), |_| {})
        .await
        .unwrap();
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
            "l402_paid_credential_accepted"
        ],
        "{skipped:?}"
    );
    assert!(
        skipped.iter().all(|(_, why)| why.contains("/api/dev/")),
        "{skipped:?}"
    );
    assert_eq!(report.failed(), 0, "{:#?}", report.checks);
}

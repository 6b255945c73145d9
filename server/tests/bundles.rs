//! L402 bundles through a real MCP client and the real mock on both profiles: buy with
//! `liveauth_mcp_l402_bundle`, pay through the mock's dev settle route, claim, then
//! authenticate with `method: "l402"` (one bundle call per session) and charge; a forged
//! macaroon is a clear `isError` and spends nothing.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a panic is a failed test

mod common;

use common::{Harness, PROJECT_KEY, Profile, mock_config};
use liveauth_protocol::bundle::{BUNDLE_SCOPES, BundleClaims, BundleKey, HOSTED_SECRET};
use serde_json::{Value, json};

const BUNDLE: &str = "liveauth_mcp_l402_bundle";

async fn settle(harness: &Harness, payment_hash: &str) {
    let url = format!("{}/api/dev/settle/{payment_hash}", harness.base);
    let status = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);
}

/// Bought, settled and claimed: the claimed result.
async fn bought(harness: &Harness) -> Value {
    let pay = harness.ok(BUNDLE, json!({"tier": "starter"})).await;
    assert_eq!(pay["step"], "pay", "{pay}");
    assert_eq!(
        (&pay["tier"], &pay["amountSats"], &pay["totalCalls"]),
        (&json!("starter"), &json!(50), &json!(100))
    );
    assert_eq!(pay["decoded"]["amountSats"], 50, "{pay}");
    assert!(pay["invoice"].as_str().unwrap().starts_with("lnbcrt500n1"));
    let hash = pay["paymentHash"].as_str().unwrap().to_owned();
    let unpaid = harness.ok(BUNDLE, json!({})).await;
    assert_eq!(unpaid["step"], "pending", "{unpaid}");
    assert_eq!(unpaid["macaroonKept"], false);
    settle(harness, &hash).await;
    let claimed = harness.ok(BUNDLE, json!({"paymentHash": hash})).await;
    assert_eq!(claimed["step"], "claimed", "{claimed}");
    assert_eq!(claimed["remainingCalls"], 100);
    assert_eq!(claimed["macaroonKept"], true);
    assert_eq!(claimed["bundleId"], pay["bundleId"]);
    // The macaroon is a secret: no result shows it.
    assert!(!claimed.to_string().contains("eyJ"), "{claimed}");
    claimed
}

/// Buy, pay, claim; each `authenticate {method: "l402"}` spends one call and its budget
/// is the calls left; a charge then works.
async fn a_bundle_buys_sessions(profile: Profile) {
    let harness = Harness::with(mock_config(profile), Some(PROJECT_KEY)).await;
    bought(&harness).await;
    for left in [99, 98] {
        let session = harness
            .ok("liveauth_mcp_authenticate", json!({"method": "l402"}))
            .await;
        assert_eq!(session["method"], "l402", "{session}");
        assert_eq!(session["paymentStatus"], "l402_paid");
        assert_eq!(session["remainingBudgetSats"], left);
        assert!(session["jwt"].is_string());
    }
    harness.first_charge(1).await;
    let usage = harness.ok("liveauth_mcp_usage", json!({})).await;
    assert_eq!(usage["maxSatsPerDay"], 98, "{usage}");
    // Step by step: start forceL402, confirm with only the quoteId (the kept macaroon).
    let start = harness
        .ok("liveauth_mcp_start", json!({"forceL402": true}))
        .await;
    assert_eq!(start["authHint"], "l402_bundle", "{start}");
    let confirm = harness
        .ok("liveauth_mcp_confirm", json!({"quoteId": start["quoteId"]}))
        .await;
    assert_eq!(confirm["paymentStatus"], "l402_paid");
    assert_eq!(confirm["remainingBudgetSats"], 97);
}

/// A macaroon under another key (the hosted constant) and a truncated one: `isError`
/// naming the reason, no session, and the bundle keeps its calls.
async fn a_forged_macaroon_is_refused(profile: Profile) {
    let harness = Harness::with(mock_config(profile), Some(PROJECT_KEY)).await;
    let claimed = bought(&harness).await;
    let claims = BundleClaims {
        kid: mock_api::config::Project::new(PROJECT_KEY, 21, false).id,
        aid: "default".into(),
        scopes: BUNDLE_SCOPES.map(String::from).to_vec(),
        bid: claimed["bundleId"].as_str().unwrap().to_owned(),
        rate: 100,
        exp: claimed["expiresAtUnix"].as_i64().unwrap(),
        iat: 0,
        jti: "tok_000000000000".into(),
    };
    let forged = BundleKey::from_secret(HOSTED_SECRET).mint(&claims);
    for macaroon in [forged.as_str(), &forged[..forged.len() - 4]] {
        let start = harness
            .ok("liveauth_mcp_start", json!({"forceL402": true}))
            .await;
        let error = harness
            .err(
                "liveauth_mcp_confirm",
                json!({"quoteId": start["quoteId"], "macaroon": macaroon}),
            )
            .await;
        assert!(error.contains("Invalid macaroon signature"), "{error}");
        assert!(error.contains("402"), "{error}");
    }
    let no_session = harness.err("liveauth_mcp_usage", json!({})).await;
    assert!(no_session.contains("not authenticated"), "{no_session}");
    let session = harness
        .ok("liveauth_mcp_authenticate", json!({"method": "l402"}))
        .await;
    assert_eq!(session["remainingBudgetSats"], 99, "{session}");
}

/// Without a kept macaroon, l402 is refused before anything is sent; a tier that is no
/// tier names the field.
async fn bad_bundle_arguments(profile: Profile) {
    let harness = Harness::with(mock_config(profile), Some(PROJECT_KEY)).await;
    let error = harness
        .err("liveauth_mcp_authenticate", json!({"method": "l402"}))
        .await;
    assert!(error.contains("liveauth_mcp_l402_bundle"), "{error}");
    let nothing = harness.err(BUNDLE, json!({})).await;
    assert!(nothing.contains("tier"), "{nothing}");
    let bad = harness.err(BUNDLE, json!({"tier": "huge"})).await;
    assert!(bad.contains("tier"), "{bad}");
}

liveauth_testkit::on_both_profiles!(
    a_bundle_buys_sessions,
    a_forged_macaroon_is_refused,
    bad_bundle_arguments,
);

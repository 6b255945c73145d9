//! L402 bundles through the real router on both profiles: invoice → settle → claim →
//! status, and `forceL402` quotes confirmed with the macaroon, one call each; every
//! refusal (unpaid, forged, truncated, expired, depleted, another project's) answered
//! with its code, or the hosted body, and nothing spent.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a panic is a failed test

mod common;

use std::str::FromStr;

use common::{KEYED, PROJECT_KEY, TestApp, hosted};
use lightning_invoice::Bolt11Invoice;
use liveauth_protocol::bundle::{BundleClaims, BundleKey, HOSTED_SECRET, INVOICE_FIELDS};
use liveauth_testkit::mock::{Profile, project};
use mock_api::Config;
use serde_json::{Value, json};

const OTHER_KEY: &str = "la_pk_other";

fn app(profile: Profile) -> TestApp {
    let mut config = match profile {
        Profile::Hosted => hosted(),
        Profile::Strict => common::config(),
    };
    config.projects.push(project(OTHER_KEY, None));
    TestApp::with(config)
}

/// A bundle invoice of `tier` for the keyed project.
async fn buy(app: &TestApp, tier: &str) -> Value {
    let answer = app
        .post(
            "/api/public/l402/bundle/invoice",
            KEYED,
            json!({"tier": tier, "agentId": "agent-1"}),
        )
        .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    answer.body
}

async fn claim(app: &TestApp, payment_hash: &str) -> common::Answer {
    app.post(
        "/api/public/l402/bundle/claim",
        KEYED,
        json!({"paymentHash": payment_hash}),
    )
    .await
}

/// A bought, paid and claimed starter bundle: (invoice answer, macaroon).
async fn claimed(app: &TestApp) -> (Value, String) {
    let invoice = buy(app, "starter").await;
    let hash = invoice["paymentHash"].as_str().unwrap();
    assert_eq!(app.settle(hash).await.status, 200);
    let answer = claim(app, hash).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let macaroon = answer.body["macaroon"].as_str().unwrap().to_owned();
    (invoice, macaroon)
}

async fn l402_quote(app: &TestApp, headers: &[(&str, &str)]) -> String {
    let start = app
        .post("/api/mcp/start", headers, json!({"forceL402": true}))
        .await;
    assert_eq!(start.status, 200, "{start:?}");
    assert_eq!(
        start.body,
        json!({
            "quoteId": start.body["quoteId"],
            "powChallenge": null,
            "invoice": null,
            "authHint": "l402_bundle",
        })
    );
    start.body["quoteId"].as_str().unwrap().to_owned()
}

async fn confirm_with(app: &TestApp, quote_id: &str, macaroon: &str) -> common::Answer {
    app.post(
        "/api/mcp/confirm",
        KEYED,
        json!({"quoteId": quote_id, "macaroon": macaroon}),
    )
    .await
}

async fn remaining(app: &TestApp, bundle_id: &str) -> u64 {
    let answer = app
        .get(
            &format!("/api/public/l402/bundle/status?bundleId={bundle_id}"),
            KEYED,
        )
        .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    answer.body["remainingCalls"].as_u64().unwrap()
}

/// The four tiers at their prices and sizes, each a real BOLT11 invoice of the mock's
/// node for that amount; the bundle id names the tier as sent.
async fn tiers_are_priced_as_the_hosted_api(profile: Profile) {
    let app = app(profile);
    for (tier, calls, sats) in [
        ("starter", 100, 50),
        ("Growth", 1_000, 400),
        ("scale", 10_000, 3_000),
        ("ENTERPRISE", 100_000, 20_000),
    ] {
        let invoice = buy(&app, tier).await;
        assert_eq!(common::keys(&invoice), INVOICE_FIELDS);
        assert_eq!(invoice["tier"], tier);
        assert_eq!(invoice["totalCalls"], calls);
        assert_eq!(invoice["amountSats"], sats);
        assert_eq!(invoice["invoice"], invoice["bolt11"]);
        assert_eq!(invoice["expiresAtUnix"], app.state.now() + 600);
        let id = invoice["bundleId"].as_str().unwrap();
        let suffix = id.strip_prefix(&format!("bundle_{tier}_")).unwrap();
        assert!(
            suffix.len() == 12 && suffix.bytes().all(|b| b.is_ascii_hexdigit()),
            "{id}"
        );
        let parsed = Bolt11Invoice::from_str(invoice["bolt11"].as_str().unwrap()).unwrap();
        parsed.check_signature().unwrap();
        assert_eq!(parsed.amount_milli_satoshis(), Some(sats * 1000));
        assert_eq!(
            parsed.payment_hash().to_string(),
            invoice["paymentHash"].as_str().unwrap()
        );
        assert_eq!(
            parsed.recover_payee_pub_key().to_string(),
            app.state.keys.node.node_id_hex()
        );
    }
}

/// Unpaid: 402, then paid: a macaroon in the §2.8 format under the mock's key (not the
/// hosted constant), claims naming the project, the bundle and its 100 calls; status
/// agrees; each claim mints a fresh macaroon.
async fn a_bundle_is_bought_paid_and_claimed(profile: Profile) {
    let app = app(profile);
    let invoice = buy(&app, "starter").await;
    let hash = invoice["paymentHash"].as_str().unwrap();
    let unpaid = claim(&app, hash).await;
    assert_eq!(unpaid.status, 402, "{unpaid:?}");
    match profile {
        Profile::Hosted => assert_eq!(
            unpaid.body,
            json!({"error": "Payment not yet received", "message": "Invoice has not been paid"})
        ),
        Profile::Strict => assert_eq!(unpaid.code(), "payment_required"),
    }
    assert_eq!(app.settle(hash).await.status, 200);
    let answer = claim(&app, hash).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let body = &answer.body;
    let expires = app.state.now() + 90 * 86_400;
    assert_eq!(body["bundleId"], invoice["bundleId"]);
    assert_eq!(body["remainingCalls"], 100);
    assert_eq!(body["expiresAtUnix"], expires);
    assert_eq!(body["scopes"], json!(["mcp.verify", "auth.start"]));
    let macaroon = body["macaroon"].as_str().unwrap();
    let claims: BundleClaims = app.state.keys.bundle.verify(macaroon).unwrap();
    let project = &app.state.projects[1];
    assert_eq!(claims.kid, project.id);
    assert_eq!(claims.aid, "agent-1");
    assert_eq!(claims.bid, invoice["bundleId"].as_str().unwrap());
    assert_eq!(
        (claims.rate, claims.exp, claims.iat),
        (100, expires, app.state.now())
    );
    assert!(
        claims.jti.starts_with("tok_") && claims.jti.len() == 16,
        "{}",
        claims.jti
    );
    assert!(
        BundleKey::from_secret(HOSTED_SECRET)
            .verify(macaroon)
            .is_err()
    );
    let again = claim(&app, hash).await;
    assert_ne!(again.body["macaroon"], body["macaroon"]);
    let status = app
        .get(
            &format!("/api/public/l402/bundle/status?paymentHash={hash}"),
            KEYED,
        )
        .await;
    assert_eq!(
        status.body,
        json!({
            "bundleId": invoice["bundleId"],
            "tier": "starter",
            "totalCalls": 100,
            "remainingCalls": 100,
            "usedCalls": 0,
            "expiresAtUnix": expires,
            "isExpired": false,
            "isDepleted": false,
        })
    );
}

/// Each confirm of a `forceL402` quote spends one call: `paymentStatus: "l402_paid"`, the
/// budget is the calls left (1 sat each), and a charge of it works.
async fn confirms_spend_one_call_each(profile: Profile) {
    let app = app(profile);
    let (invoice, macaroon) = claimed(&app).await;
    let bundle_id = invoice["bundleId"].as_str().unwrap();
    for left in [99, 98] {
        let quote = l402_quote(&app, KEYED).await;
        let answer = confirm_with(&app, &quote, &macaroon).await;
        assert_eq!(answer.status, 200, "{answer:?}");
        assert_eq!(answer.body["paymentStatus"], "l402_paid");
        assert_eq!(answer.body["remainingBudgetSats"], left);
        assert!(answer.body["jwt"].is_string());
        assert_eq!(remaining(&app, bundle_id).await, left);
        // The same quote confirms once.
        let again = confirm_with(&app, &quote, &macaroon).await;
        assert!(again.status.is_client_error(), "{again:?}");
        assert_eq!(remaining(&app, bundle_id).await, left);
    }
    let quote = l402_quote(&app, KEYED).await;
    let jwt = confirm_with(&app, &quote, &macaroon).await.body["jwt"]
        .as_str()
        .unwrap()
        .to_owned();
    let usage = app
        .get(
            "/api/mcp/usage",
            &[("authorization", &format!("Bearer {jwt}"))],
        )
        .await;
    assert_eq!(usage.body["maxSatsPerDay"], 97, "{usage:?}");
}

/// Every bad macaroon is a 402 (hosted `{"error": "Payment required", "message": …}`),
/// leaves the quote unconfirmed and the bundle untouched.
async fn bad_macaroons_are_refused_and_spend_nothing(profile: Profile) {
    let app = app(profile);
    let (invoice, good) = claimed(&app).await;
    let bundle_id = invoice["bundleId"].as_str().unwrap();
    let claims = app.state.keys.bundle.verify(&good).unwrap();
    let hosted_minted = BundleKey::from_secret(HOSTED_SECRET).mint(&claims);
    let other_project = BundleClaims {
        kid: app.state.projects[2].id.clone(),
        ..claims.clone()
    };
    let mut flipped = good.clone().into_bytes();
    flipped[10] ^= 0x01;
    let cases = [
        ("forged", hosted_minted, "Invalid macaroon signature"),
        (
            "truncated",
            good[..good.len() - 3].to_owned(),
            "Invalid macaroon signature",
        ),
        (
            "changed",
            String::from_utf8(flipped).unwrap(),
            "Invalid macaroon signature",
        ),
        ("one part", "abc".to_owned(), "Invalid macaroon format"),
        (
            "other project",
            app.state.keys.bundle.mint(&other_project),
            "Macaroon belongs to another project",
        ),
        (
            "unknown bundle",
            app.state.keys.bundle.mint(&BundleClaims {
                bid: "bundle_starter_000000000000".into(),
                ..claims.clone()
            }),
            "Bundle not found",
        ),
        (
            "depleted at issue",
            app.state.keys.bundle.mint(&BundleClaims {
                rate: 0,
                ..claims.clone()
            }),
            "Bundle depleted",
        ),
        (
            "expired",
            app.state.keys.bundle.mint(&BundleClaims {
                exp: app.state.now() - 1,
                ..claims.clone()
            }),
            "Macaroon expired",
        ),
    ];
    let quote = l402_quote(&app, KEYED).await;
    for (what, macaroon, reason) in cases {
        let answer = confirm_with(&app, &quote, &macaroon).await;
        assert_eq!(answer.status, 402, "{what}: {answer:?}");
        match profile {
            Profile::Hosted => assert_eq!(
                answer.body,
                json!({"error": "Payment required", "message": reason}),
                "{what}"
            ),
            Profile::Strict => {
                assert_eq!(answer.code(), "macaroon_invalid", "{what}");
                assert_eq!(answer.body["detail"], reason, "{what}");
            }
        }
        assert_eq!(remaining(&app, bundle_id).await, 100, "{what}");
    }
    // No macaroon at all: 400, nothing spent; the quote still confirms with a good one.
    let none = app
        .post("/api/mcp/confirm", KEYED, json!({"quoteId": quote}))
        .await;
    assert_eq!(none.status, 400, "{none:?}");
    if profile == Profile::Hosted {
        assert_eq!(none.raw, b"No valid confirmation method provided");
    }
    let answer = confirm_with(&app, &quote, &good).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(remaining(&app, bundle_id).await, 99);
}

/// The last call depletes the bundle; the next confirm is refused and spends nothing.
async fn a_depleted_bundle_is_refused(profile: Profile) {
    let app = app(profile);
    let (invoice, macaroon) = claimed(&app).await;
    let bundle_id = invoice["bundleId"].as_str().unwrap();
    for _ in 0..100 {
        let quote = l402_quote(&app, KEYED).await;
        assert_eq!(confirm_with(&app, &quote, &macaroon).await.status, 200);
    }
    let quote = l402_quote(&app, KEYED).await;
    let answer = confirm_with(&app, &quote, &macaroon).await;
    assert_eq!(answer.status, 402, "{answer:?}");
    let message = match profile {
        Profile::Hosted => answer.body["message"].clone(),
        Profile::Strict => answer.body["detail"].clone(),
    };
    assert_eq!(message, "Bundle depleted");
    let status = app
        .get(
            &format!("/api/public/l402/bundle/status?bundleId={bundle_id}"),
            KEYED,
        )
        .await;
    assert_eq!(status.body["isDepleted"], true);
    assert_eq!(status.body["usedCalls"], 100);
}

/// Requests without a valid key, without a tier, of an unknown tier, of another
/// project's bundle or an unknown one: refused with the hosted bodies or their codes.
async fn bundle_requests_are_checked(profile: Profile) {
    let app = app(profile);
    let path = "/api/public/l402/bundle/invoice";
    let keyless = app.post(path, &[], json!({"tier": "starter"})).await;
    assert_eq!(keyless.status, 401, "{keyless:?}");
    let unknown_key = app
        .post(
            path,
            &[("x-lw-public", "la_pk_nobody")],
            json!({"tier": "starter"}),
        )
        .await;
    assert_eq!(unknown_key.status, 401);
    let no_tier = app.post(path, KEYED, json!({})).await;
    let bad_tier = app.post(path, KEYED, json!({"tier": "huge"})).await;
    assert_eq!(
        (no_tier.status.as_u16(), bad_tier.status.as_u16()),
        (400, 400)
    );
    let invoice = buy(&app, "starter").await;
    let hash = invoice["paymentHash"].as_str().unwrap();
    app.settle(hash).await;
    let theirs = app
        .post(
            "/api/public/l402/bundle/claim",
            &[("x-lw-public", OTHER_KEY)],
            json!({"paymentHash": hash}),
        )
        .await;
    let missing = claim(&app, &"0".repeat(64)).await;
    let no_hash = app
        .post("/api/public/l402/bundle/claim", KEYED, json!({}))
        .await;
    assert_eq!(missing.status, 404);
    assert_eq!(no_hash.status, 400);
    match profile {
        Profile::Hosted => {
            assert_eq!(
                keyless.body,
                json!({"error": "invalid_public_key", "message": "A valid active project public key is required."})
            );
            assert_eq!(
                bad_tier.body,
                json!({"error": "Unknown tier 'huge'. Valid: starter, growth, scale, enterprise"})
            );
            assert_eq!(
                no_tier.body,
                json!({"error": "Tier is required (starter, growth, scale, enterprise)"})
            );
            assert_eq!(theirs.status, 403);
            assert_eq!(theirs.body, json!({"error": "bundle_project_mismatch"}));
            assert_eq!(
                missing.body,
                json!({"error": "Bundle not found for this payment hash"})
            );
            assert_eq!(no_hash.body, json!({"error": "paymentHash is required"}));
        }
        Profile::Strict => {
            assert_eq!(keyless.code(), "missing_project_key");
            assert_eq!(unknown_key.code(), "unknown_project");
            assert_eq!(bad_tier.code(), "bad_request");
            assert_eq!(theirs.problem(), (401, "project_mismatch"));
            assert_eq!(missing.code(), "bundle_not_found");
        }
    }
    // The other project's claim changed nothing: ours still claims.
    assert_eq!(claim(&app, hash).await.status, 200);
}

liveauth_testkit::on_both_profiles!(
    tiers_are_priced_as_the_hosted_api,
    a_bundle_is_bought_paid_and_claimed,
    confirms_spend_one_call_each,
    bad_macaroons_are_refused_and_spend_nothing,
    a_depleted_bundle_is_refused,
    bundle_requests_are_checked,
);

/// Bundles are capped (`--max-bundles`): beyond, 503 and nothing stored; an expired
/// pending bundle is purged, making room again.
#[tokio::test]
async fn bundles_are_bounded() {
    let app = TestApp::with(Config {
        limits: mock_api::store::Limits {
            bundles: mock_api::store::Cap::new(2, 2),
            ..Default::default()
        },
        ..common::config()
    });
    buy(&app, "starter").await;
    buy(&app, "starter").await;
    let full = app
        .post(
            "/api/public/l402/bundle/invoice",
            KEYED,
            json!({"tier": "starter"}),
        )
        .await;
    assert_eq!(full.problem(), (503, "over_capacity"));
    assert!(full.header("retry-after").len() == 1);
    app.advance(600 + 3600 + 1).await;
    buy(&app, "starter").await;
}

/// `--bundle-macaroon-secret` sets the key (a macaroon minted under that secret by anyone
/// verifies); by default two seeds give two keys.
#[tokio::test]
async fn the_bundle_key_is_the_mocks_own() {
    let configured = TestApp::with(Config {
        bundle_key: Some(BundleKey::from_secret("shared secret")),
        ..common::config()
    });
    let (_, macaroon) = claimed(&configured).await;
    assert!(
        BundleKey::from_secret("shared secret")
            .verify(&macaroon)
            .is_ok()
    );
    let other_seed = TestApp::with(Config {
        seed: Some(7),
        ..common::config()
    });
    let (_, theirs) = claimed(&other_seed).await;
    assert!(configured.state.keys.bundle.verify(&theirs).is_err());
    assert!(!format!("{:?}", configured.state.keys.bundle).contains("shared"));
    let _ = PROJECT_KEY;
}

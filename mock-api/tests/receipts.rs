//! Receipts on accepted charges (hosted-api-facts §3, DESIGN §5), through the real router:
//! `receipt` (v1, HMAC) and `receiptV2` (ECDSA P-256) on every accepted charge and on no
//! deny, v2 verifying against `/.well-known/liveauth-receipt-keys.json`, byte-identical
//! receipts on an idempotent replay, configured keys, retired keys.

#![allow(clippy::unwrap_used)] // tests: a panic is a failed test

mod common;

use axum::http::StatusCode;
use common::TestApp;
use liveauth_protocol::codec::{decode_base64, decode_base64url};
use liveauth_protocol::receipt::v2::{self, Expectations, ReceiptKeySet, Signer};
use liveauth_protocol::receipt::{ReceiptErrorCode, SignedReceipt, v1};
use liveauth_testkit::mock::Profile;
use liveauth_testkit::on_both_profiles;
use mock_api::Config;
use mock_api::receipts::ReceiptConfig;
use serde_json::{Value, json};

const HMAC_KEY: &str = "test-jwt-signing-key-that-is-at-least-32-bytes-long";

fn config(profile: Profile, receipts: ReceiptConfig) -> Config {
    Config {
        profile,
        receipts,
        ..common::config()
    }
}

fn with_hmac_key(profile: Profile) -> TestApp {
    TestApp::with(config(
        profile,
        ReceiptConfig {
            hmac_key: Some(HMAC_KEY.into()),
            ..ReceiptConfig::default()
        },
    ))
}

/// `POST /api/mcp/charge` with the key in the body (the hosted profile reads only that).
async fn charge(app: &TestApp, jwt: &str, cost: u64, key: Option<&str>) -> common::Answer {
    let bearer = format!("Bearer {jwt}");
    let mut body = json!({ "callCostSats": cost });
    if let Some(key) = key {
        body["idempotencyKey"] = key.into();
    }
    app.post("/api/mcp/charge", &[("authorization", &bearer)], body)
        .await
}

async fn key_set(app: &TestApp) -> ReceiptKeySet {
    let answer = app.get(v2::KEY_SET_PATH, &[]).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    serde_json::from_value(answer.body).unwrap()
}

fn envelope(body: &Value, field: &str) -> SignedReceipt {
    SignedReceipt::from_value(&body[field]).unwrap()
}

async fn login(app: &TestApp) -> (String, String) {
    let session = app.session().await;
    let jwt = session["jwt"].as_str().unwrap().to_owned();
    let refresh = session["refreshToken"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    (jwt, refresh)
}

/// An accepted charge carries a v1 receipt of the §3.1 shape that verifies under the
/// configured secret, and a v2 receipt that verifies against the published key set; a
/// denied charge carries neither.
async fn accepted_charges_carry_both_receipts(profile: Profile) {
    let app = with_hmac_key(profile);
    let (jwt, _) = login(&app).await;
    let answer = charge(&app, &jwt, 5, Some("call-1")).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    let receipt = envelope(&answer.body, "receipt");
    assert_eq!(receipt.version, "mcp-call-receipt-v1");
    assert_eq!(receipt.signature_algorithm, "HMAC-SHA256");
    assert_eq!(receipt.key_id, "liveauth-mcp-receipt-v1");
    let payload = v1::verify(&receipt, HMAC_KEY.as_bytes()).unwrap();
    let keys: Vec<&str> = payload.keys().map(String::as_str).collect();
    assert_eq!(keys, v1::PAYLOAD_KEYS);
    // The payload text is the sorted compact JSON itself.
    let text = String::from_utf8(decode_base64url(&receipt.payload).unwrap()).unwrap();
    assert!(
        text.starts_with(r#"{"agentId":null,"createdAt":""#),
        "{text}"
    );
    assert_eq!(payload["grossSats"], 5);
    assert_eq!(payload["platformFeeSats"], 1);
    assert_eq!(payload["netSats"], 4);
    assert_eq!(payload["status"], "Charged");
    assert_eq!(payload["idempotencyKey"], "call-1");
    assert_eq!(payload["toolSlug"], "anonymous-agent-call");
    let created_at = payload["createdAt"].as_str().unwrap();
    assert_eq!(
        created_at.len(),
        "2026-06-11T12:34:56.1234567Z".len(),
        "{created_at}"
    );
    let revenue_event = payload["revenueEventId"].as_str().unwrap();
    assert_eq!(
        payload["receiptId"],
        format!("mcp_receipt_{}", revenue_event.replace('-', ""))
    );
    if profile == Profile::Hosted {
        assert_eq!(answer.body["revenueEventId"], revenue_event);
    }
    assert_eq!(receipt.body["receiptId"], payload["receiptId"]);

    let v2 = envelope(&answer.body, "receiptV2");
    let keys = key_set(&app).await;
    assert_eq!(keys.version, "receipt-key-set-v1");
    assert_eq!(keys.keys.len(), 1);
    assert_eq!(keys.keys[0].status, "active");
    let verified = v2::verify(
        &v2,
        &keys,
        &Expectations {
            issuer: Some("LiveAuth Mock"),
            environment: Some("TEST"),
        },
    )
    .unwrap();
    assert_eq!(verified.payload["receiptId"], payload["receiptId"]);
    assert_eq!(verified.payload["amountDebitedSats"], 5);

    // A deny (over the day's budget) books nothing and has no receipt.
    let denied = charge(&app, &jwt, 1_000_000, None).await;
    assert_eq!(denied.body["status"], "deny", "{denied:?}");
    assert!(denied.body.get("receipt").is_none(), "{}", denied.body);
    assert!(denied.body.get("receiptV2").is_none(), "{}", denied.body);
}

/// A charge repeated with its idempotency key (here also after a refresh, so with another
/// token) returns receipts byte-identical to the first answer's.
async fn replays_return_byte_identical_receipts(profile: Profile) {
    let app = TestApp::with(config(profile, ReceiptConfig::default()));
    let (jwt, refresh_token) = login(&app).await;
    let first = charge(&app, &jwt, 2, Some("same-call")).await;
    app.advance(3).await;
    let again = charge(&app, &jwt, 2, Some("same-call")).await;
    let refreshed = app.refresh(&refresh_token).await;
    assert_eq!(refreshed.status, StatusCode::OK, "{refreshed:?}");
    let new_jwt = refreshed.body["jwt"].as_str().unwrap();
    let after_refresh = charge(&app, new_jwt, 2, Some("same-call")).await;
    let text = |answer: &common::Answer, field: &str| {
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
        serde_json::to_string(&answer.body[field]).unwrap()
    };
    for field in ["receipt", "receiptV2"] {
        assert_eq!(text(&first, field), text(&again, field), "{field}");
        assert_eq!(text(&first, field), text(&after_refresh, field), "{field}");
    }
    // Another key is another charge, with another receipt.
    let other = charge(&app, new_jwt, 2, Some("another-call")).await;
    assert_ne!(text(&first, "receipt"), text(&other, "receipt"));
}

/// Configured keys sign: the §3.2 worked example's private key under its key id, so the
/// example's public key verifies the mock's receipts; issuer and key ids as configured.
async fn configured_keys_sign(profile: Profile) {
    let der = decode_base64(v2::example::PRIVATE_KEY).unwrap();
    let app = TestApp::with(config(
        profile,
        ReceiptConfig {
            hmac_key: Some(HMAC_KEY.into()),
            hmac_key_id: "hmac-2026".into(),
            v2_key: Some(Signer::from_pkcs8(v2::example::KEY_ID, &der).unwrap()),
            issuer: "LiveAuth Test".into(),
            ..ReceiptConfig::default()
        },
    ));
    let (jwt, _) = login(&app).await;
    let answer = charge(&app, &jwt, 3, None).await;
    let receipt = envelope(&answer.body, "receipt");
    assert_eq!(receipt.key_id, "hmac-2026");
    let receipt_v2 = envelope(&answer.body, "receiptV2");
    assert_eq!(receipt_v2.key_id, "key-a");
    let keys = key_set(&app).await;
    assert_eq!(keys, v2::example::key_set());
    let expect = Expectations {
        issuer: Some("LiveAuth Test"),
        environment: None,
    };
    v2::verify(&receipt_v2, &v2::example::key_set(), &expect).unwrap();
    // A charge of another mock (another seed, so other default keys) does not verify here.
    let other = TestApp::with(Config {
        seed: Some(7),
        ..config(profile, ReceiptConfig::default())
    });
    let (other_jwt, _) = login(&other).await;
    let foreign = envelope(&charge(&other, &other_jwt, 3, None).await.body, "receiptV2");
    let code = v2::verify(&foreign, &keys, &Expectations::default())
        .unwrap_err()
        .code();
    assert_eq!(code, ReceiptErrorCode::UnknownKey);
    let renamed = SignedReceipt {
        key_id: "key-a".into(),
        ..foreign
    };
    let code = v2::verify(&renamed, &keys, &Expectations::default())
        .unwrap_err()
        .code();
    assert_eq!(code, ReceiptErrorCode::InvalidSignature);
}

/// After a key rotation the old key is listed as retired and still verifies the receipts
/// it signed; new receipts are signed with the new key.
async fn a_retired_key_still_verifies_old_receipts(profile: Profile) {
    let old_key = Signer::from_secret("key-2025", &[5; 32]).unwrap();
    let before = TestApp::with(config(
        profile,
        ReceiptConfig {
            v2_key: Some(old_key.clone()),
            ..ReceiptConfig::default()
        },
    ));
    let (jwt, _) = login(&before).await;
    let old_receipt = envelope(&charge(&before, &jwt, 1, None).await.body, "receiptV2");

    let after = TestApp::with(config(
        profile,
        ReceiptConfig {
            v2_key: Some(Signer::from_secret("key-2026", &[6; 32]).unwrap()),
            retired: vec![old_key],
            ..ReceiptConfig::default()
        },
    ));
    let keys = key_set(&after).await;
    let listed: Vec<(&str, &str)> = keys
        .keys
        .iter()
        .map(|key| (key.key_id.as_str(), key.status.as_str()))
        .collect();
    assert_eq!(listed, [("key-2026", "active"), ("key-2025", "retired")]);
    v2::verify(&old_receipt, &keys, &Expectations::default()).unwrap();
    let (jwt, _) = login(&after).await;
    let new_receipt = envelope(&charge(&after, &jwt, 1, None).await.body, "receiptV2");
    assert_eq!(new_receipt.key_id, "key-2026");
    v2::verify(&new_receipt, &keys, &Expectations::default()).unwrap();
}

/// `--no-receipt-v2`: only the v1 receipt, and an empty key set.
async fn without_v2_only_v1_is_sent(profile: Profile) {
    let app = TestApp::with(config(
        profile,
        ReceiptConfig {
            v2: false,
            ..ReceiptConfig::default()
        },
    ));
    let (jwt, _) = login(&app).await;
    let answer = charge(&app, &jwt, 1, None).await;
    assert!(answer.body["receipt"].is_object(), "{}", answer.body);
    assert!(answer.body.get("receiptV2").is_none(), "{}", answer.body);
    assert!(key_set(&app).await.keys.is_empty());
}

on_both_profiles!(
    accepted_charges_carry_both_receipts,
    replays_return_byte_identical_receipts,
    configured_keys_sign,
    a_retired_key_still_verifies_old_receipts,
    without_v2_only_v1_is_sent,
);

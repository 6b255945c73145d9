//! Lightning quotes, real BOLT11 invoices, payment status, LNURL, and L402/x402
//! credentials, through the real router.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a panic is a failed test

mod common;

use std::str::FromStr;

use axum::http::StatusCode;
use common::{PROJECT_KEY, TestApp, keys};
use lightning_invoice::{Bolt11Invoice, Currency};
use liveauth_protocol::auth::{Challenge, Credential, L402Scheme};
use liveauth_protocol::codec::decode_hex32;
use serde_json::{Value, json};

/// The invoice parses back: valid signature, payee = the node key, quoted amount and
/// payment hash, regtest prefix, the quote's description and a 600 s expiry.
#[tokio::test]
async fn lightning_start_gives_a_real_signed_invoice() {
    let app = TestApp::new();
    let start = app.start_lightning(Some(PROJECT_KEY)).await;
    assert_eq!(start["powChallenge"], Value::Null);
    let invoice = &start["invoice"];
    assert_eq!(invoice["amountSats"], 50);
    assert_eq!(invoice["expiresAtUnix"], app.state.now() + 600);
    let bolt11 = invoice["bolt11"].as_str().unwrap();
    assert!(bolt11.starts_with("lnbcrt500n1"), "{bolt11}");
    let parsed = Bolt11Invoice::from_str(bolt11).unwrap();
    parsed.check_signature().unwrap();
    assert_eq!(
        parsed.recover_payee_pub_key().to_string(),
        app.state.keys.node.node_id_hex()
    );
    assert_eq!(parsed.amount_milli_satoshis(), Some(50_000));
    assert_eq!(parsed.currency(), Currency::Regtest);
    assert_eq!(
        parsed.payment_hash().to_string(),
        invoice["paymentHash"].as_str().unwrap()
    );
    assert_eq!(parsed.expiry_time().as_secs(), 600);
    let description = format!("LiveAuth session {}", start["quoteId"].as_str().unwrap());
    assert_eq!(
        parsed.description(),
        lightning_invoice::Bolt11InvoiceDescriptionRef::Direct(
            &lightning_invoice::Description::new(description).unwrap()
        )
    );
    assert_eq!(
        parsed.duration_since_epoch().as_secs() as i64,
        app.state.now()
    );
}

/// pending → (settle) paid → (confirm) confirmed; confirm while unpaid is a 200 with
/// `jwt: null, paymentStatus: "pending"`.
#[tokio::test]
async fn lightning_quote_lifecycle() {
    let app = TestApp::new();
    let start = app.start_lightning(Some(PROJECT_KEY)).await;
    let quote_id = start["quoteId"].as_str().unwrap();
    assert_eq!(
        app.quote_state(quote_id).await,
        (json!("pending"), json!("pending"))
    );

    let pending = app.confirm_quote(quote_id).await;
    assert_eq!(pending.status, StatusCode::OK);
    assert_eq!(
        pending.body,
        json!({"jwt": null, "expiresIn": null, "remainingBudgetSats": null, "refreshToken": null, "paymentStatus": "pending"})
    );

    let hash = start["invoice"]["paymentHash"].as_str().unwrap();
    let settle = app.settle(hash).await;
    assert_eq!(settle.body["paymentHash"], hash);
    let preimage = decode_hex32(settle.body["preimage"].as_str().unwrap()).unwrap();
    assert_eq!(
        mock_api::lightning::payment_hash(&preimage),
        decode_hex32(hash).unwrap()
    );

    assert_eq!(
        app.quote_state(quote_id).await,
        (json!("paid"), json!("paid"))
    );
    let paid = app.confirm_quote(quote_id).await;
    assert_eq!(paid.body["paymentStatus"], "paid");
    assert!(paid.body["jwt"].is_string());
    assert_eq!(app.quote_state(quote_id).await.0, "confirmed");
    let again = app.confirm_quote(quote_id).await;
    assert_eq!(again.code(), "already_confirmed");
}

/// Demo payments settle by themselves after `--demo-settle-after` (2 s of app time).
#[tokio::test]
async fn demo_invoices_settle_by_themselves() {
    let app = TestApp::new();
    let start = app.start_lightning(None).await;
    assert_eq!(start["invoice"]["amountSats"], 3);
    let path = format!("/api/mcp/status/{}", start["quoteId"].as_str().unwrap());
    app.advance(1).await;
    assert_eq!(app.get(&path, &[]).await.body["paymentStatus"], "pending");
    app.advance(1).await;
    assert_eq!(app.get(&path, &[]).await.body["paymentStatus"], "paid");
}

/// An unpaid invoice expires: status says so, confirm and lnurl refuse it.
#[tokio::test]
async fn unpaid_invoices_expire() {
    let app = TestApp::new();
    let start = app.start_lightning(Some(PROJECT_KEY)).await;
    let quote_id = start["quoteId"].as_str().unwrap();
    app.advance(600).await;
    assert_eq!(
        app.quote_state(quote_id).await,
        (json!("expired"), json!("expired"))
    );
    let confirm = app.confirm_quote(quote_id).await;
    assert_eq!(confirm.problem(), (410, "quote_expired"));
    let lnurl = app.get(&format!("/api/mcp/lnurl/{quote_id}"), &[]).await;
    assert_eq!(lnurl.body["status"], "ERROR");
}

/// LUD-06: `{pr, routes: []}`; errors `{status: "ERROR", reason}` with a 4xx status.
#[tokio::test]
async fn lnurl_shapes() {
    let app = TestApp::new();
    let start = app.start_lightning(Some(PROJECT_KEY)).await;
    let lnurl = app
        .get(
            &format!("/api/mcp/lnurl/{}", start["quoteId"].as_str().unwrap()),
            &[],
        )
        .await;
    assert_eq!(
        lnurl.body,
        json!({"pr": start["invoice"]["bolt11"], "routes": []})
    );

    let pow = app.start_pow().await;
    let wrong = app
        .get(
            &format!("/api/mcp/lnurl/{}", pow["quoteId"].as_str().unwrap()),
            &[],
        )
        .await;
    assert_eq!(wrong.status.as_u16(), 422);
    assert_eq!(keys(&wrong.body), ["reason", "status"]);
    assert_eq!(wrong.body["status"], "ERROR");
    let missing = app.get("/api/mcp/lnurl/nope", &[]).await;
    assert_eq!(
        (missing.status.as_u16(), &missing.body["status"]),
        (404, &json!("ERROR"))
    );
}

/// 402 from the demo resource carries an L402 and an x402 challenge for one invoice.
async fn payment_challenge(app: &TestApp) -> (Challenge, Challenge) {
    let answer = app.get("/api/demo/resource", &[]).await;
    assert_eq!(answer.problem(), (402, "payment_required"));
    let values = answer.header("www-authenticate");
    assert_eq!(values.len(), 2, "{values:?}");
    assert!(values[0].starts_with("L402 macaroon=\""), "{}", values[0]);
    assert!(values[1].starts_with("x402 invoice=\""), "{}", values[1]);
    (
        Challenge::parse(&values[0]).unwrap(),
        Challenge::parse(&values[1]).unwrap(),
    )
}

/// Pay (settle) the L402 challenge's invoice, then present macaroon and preimage.
#[tokio::test]
async fn paid_l402_and_x402_credentials_open_the_demo_resource() {
    // Three schemes on one payment (bounds.rs tests the default allowance of one call).
    let app = TestApp::with(mock_api::Config {
        calls_per_payment: 3,
        ..common::config()
    });
    let (l402, x402) = payment_challenge(&app).await;
    let (
        Challenge::L402 {
            macaroon, invoice, ..
        },
        Challenge::X402 {
            invoice: x_invoice,
            payment_hash,
        },
    ) = (l402, x402)
    else {
        panic!("wrong challenge kinds");
    };
    assert_eq!(invoice, x_invoice);
    let parsed = Bolt11Invoice::from_str(&invoice).unwrap();
    assert_eq!(parsed.payment_hash().as_ref() as &[u8], &payment_hash[..]);
    assert_eq!(parsed.amount_milli_satoshis(), Some(3_000));

    // Before payment, a guessed preimage is refused with fresh challenges.
    let unpaid = Credential::L402 {
        scheme: L402Scheme::L402,
        macaroon: macaroon.clone(),
        preimage: [7; 32],
    };
    let refused = app.resource(&unpaid).await;
    assert_eq!(refused.problem(), (402, "credential_invalid"));
    assert_eq!(refused.header("www-authenticate").len(), 2);

    let hex_hash = liveauth_protocol::codec::encode_hex(&payment_hash);
    let settle = app.settle(&hex_hash).await;
    let preimage = decode_hex32(settle.body["preimage"].as_str().unwrap()).unwrap();

    for scheme in [L402Scheme::L402, L402Scheme::Lsat] {
        let credential = Credential::L402 {
            scheme,
            macaroon: macaroon.clone(),
            preimage,
        };
        let ok = app.resource(&credential).await;
        assert_eq!(ok.status, StatusCode::OK, "{ok:?}");
        assert_eq!(ok.body["paidBy"]["method"], "l402");
    }
    let x402 = Credential::X402 { preimage };
    let ok = app.resource(&x402).await;
    assert_eq!(ok.body["paidBy"]["method"], "x402");

    // A macaroon minted by someone else is refused even with the right preimage.
    let foreign = liveauth_protocol::macaroon::Macaroon::new(
        b"other root",
        macaroon.identifier().to_vec(),
        None,
    );
    let forged = Credential::L402 {
        scheme: L402Scheme::L402,
        macaroon: foreign,
        preimage,
    };
    let refused = app.resource(&forged).await;
    assert_eq!(refused.code(), "credential_invalid");
}

/// A paid credential on start yields the already-paid Lightning quote, which confirms.
#[tokio::test]
async fn start_with_a_paid_credential_gives_a_paid_quote() {
    let app = TestApp::new();
    let start = app.start_lightning(Some(PROJECT_KEY)).await;
    let hash = start["invoice"]["paymentHash"].as_str().unwrap();
    let settle = app.settle(hash).await;
    let credential = format!("x402 {}", settle.body["preimage"].as_str().unwrap());
    let headers = [
        ("x-lw-public", PROJECT_KEY),
        ("authorization", credential.as_str()),
    ];
    let again = app.post("/api/mcp/start", &headers, json!({})).await;
    assert_eq!(again.body["quoteId"], start["quoteId"]);
    assert_eq!(again.body["invoice"], start["invoice"]);
    let confirm = app
        .post(
            "/api/mcp/confirm",
            &[],
            json!({"quoteId": start["quoteId"]}),
        )
        .await;
    assert!(confirm.body["jwt"].is_string(), "{confirm:?}");

    // Another project's key cannot use it; an unpaid preimage gets 402 with challenges.
    let demo = [
        ("x-lw-public", "la_pk_demo"),
        ("authorization", credential.as_str()),
    ];
    assert_eq!(
        app.post("/api/mcp/start", &demo, json!({})).await.code(),
        "project_mismatch"
    );
    let bogus = format!("x402 {}", "11".repeat(32));
    let headers = [
        ("x-lw-public", PROJECT_KEY),
        ("authorization", bogus.as_str()),
    ];
    let refused = app.post("/api/mcp/start", &headers, json!({})).await;
    assert_eq!(refused.problem(), (402, "credential_invalid"));
    assert_eq!(refused.header("www-authenticate").len(), 2);
}

//! Caller funding (LiveAuth 1.3) through the real router on both profiles: a charge the
//! caller's balance does not cover is answered 402 with an invoice for the shortfall;
//! paid, confirmed (once, by the same caller, in time) and retried with the same key and
//! hash, it is booked once. Every refusal changes nothing.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a panic is a failed test

mod common;

use std::str::FromStr;

use common::{Answer, TestApp, hosted};
use lightning_invoice::Bolt11Invoice;
use liveauth_protocol::codec::encode_hex;
use liveauth_protocol::wire::{
    CALLER_PAYMENT_FIELDS, CallerPaymentStatus, PAYMENT_REQUIRED_FIELDS, PaymentConfirmResponse,
};
use liveauth_testkit::mock::Profile;
use serde_json::{Value, json};

/// `requestHash` of two different calls.
const HASH_A: &str = "5dc5c505a79bfc2eb22d0e45eff415c6ecf0c965c3d53d6e3e02c1bda74b0927";
const HASH_B: &str = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

fn app(profile: Profile) -> TestApp {
    TestApp::with(match profile {
        Profile::Hosted => hosted(),
        Profile::Strict => common::config(),
    })
}

fn bearer(jwt: &str) -> String {
    format!("Bearer {jwt}")
}

async fn jwt(app: &TestApp) -> String {
    app.session().await["jwt"].as_str().unwrap().to_owned()
}

async fn charge(app: &TestApp, jwt: &str, cost: u64, key: &str, hash: &str) -> Answer {
    let body = json!({
        "fundingMode": "caller",
        "callCostSats": cost,
        "idempotencyKey": key,
        "requestHash": hash,
    });
    app.post("/api/mcp/charge", &[("authorization", &bearer(jwt))], body)
        .await
}

async fn confirm(app: &TestApp, jwt: &str, payment_id: &str) -> Answer {
    let path = format!("/api/mcp/payments/{payment_id}/confirm");
    app.post(&path, &[("authorization", &bearer(jwt))], json!({}))
        .await
}

async fn usage(app: &TestApp, jwt: &str) -> Value {
    let answer = app
        .get("/api/mcp/usage", &[("authorization", &bearer(jwt))])
        .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    answer.body
}

/// The 402 `payment_required` of an unfunded charge, its shape checked against the
/// hosted example (facts §2.5) and its invoice parsed back.
fn payment_required(answer: &Answer, cost: u64, key: &str) -> (String, Bolt11Invoice) {
    assert_eq!(answer.status, 402, "{answer:?}");
    let body = &answer.body;
    for field in PAYMENT_REQUIRED_FIELDS {
        assert!(body.get(field).is_some(), "{field} missing: {body}");
    }
    assert_eq!(
        (&body["status"], &body["reason"], &body["fundingMode"]),
        (&json!("deny"), &json!("payment_required"), &json!("caller"))
    );
    assert_eq!(body["grossSats"], cost);
    let payment = &body["payment"];
    let mut fields: Vec<&str> = payment
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    assert_eq!(fields, CALLER_PAYMENT_FIELDS);
    let id = payment["paymentId"].as_str().unwrap().to_owned();
    assert_eq!(payment["method"], "lightning");
    assert_eq!(payment["retryIdempotencyKey"], key);
    assert_eq!(
        payment["confirmPath"],
        format!("/api/mcp/payments/{id}/confirm")
    );
    let invoice = Bolt11Invoice::from_str(payment["invoice"].as_str().unwrap()).unwrap();
    assert_eq!(
        invoice.amount_milli_satoshis(),
        Some(payment["amountSats"].as_u64().unwrap() * 1000)
    );
    assert!(payment["amountSats"].as_u64() >= payment["creditSats"].as_u64());
    (id, invoice)
}

fn hash_of(invoice: &Bolt11Invoice) -> String {
    encode_hex(AsRef::<[u8; 32]>::as_ref(invoice.payment_hash()))
}

fn confirmed(answer: &Answer) -> PaymentConfirmResponse {
    assert_eq!(answer.status, 200, "{answer:?}");
    serde_json::from_value(answer.body.clone()).unwrap()
}

async fn capabilities_say_so(profile: Profile) {
    let app = app(profile);
    let jwt = jwt(&app).await;
    let answer = app
        .get("/api/mcp/capabilities", &[("authorization", &bearer(&jwt))])
        .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.body["callerFunding"], true);
    assert_eq!(app.get("/api/mcp/capabilities", &[]).await.status, 401);
    assert_eq!(usage(&app, &jwt).await["callerBalanceSats"], 0);
}

/// The whole flow: 402 → (retry: the same payment) → pending → settle → paid (once) →
/// the retried charge booked once, then a repeat answered `duplicate: true`.
async fn unfunded_call_is_paid_confirmed_and_booked_once(profile: Profile) {
    let app = app(profile);
    let jwt = jwt(&app).await;
    let first = charge(&app, &jwt, 2, "call-1", HASH_A).await;
    let (id, invoice) = payment_required(&first, 2, "call-1");
    assert_eq!(first.body["payment"]["creditSats"], 2);
    assert_eq!(first.body["callerBalanceSats"], 0);
    let again = charge(&app, &jwt, 2, "call-1", HASH_A).await;
    assert_eq!(
        again.body["payment"], first.body["payment"],
        "one payment per charge"
    );
    let pending = confirmed(&confirm(&app, &jwt, &id).await);
    assert_eq!(pending.status, CallerPaymentStatus::Pending);
    assert_eq!(usage(&app, &jwt).await["satsUsed"], 0, "nothing booked yet");

    assert_eq!(app.settle(&hash_of(&invoice)).await.status, 200);
    let paid = confirmed(&confirm(&app, &jwt, &id).await);
    assert_eq!(paid.status, CallerPaymentStatus::Paid);
    assert_eq!(
        (paid.payment_id.as_str(), paid.caller_balance_sats),
        (id.as_str(), 2)
    );
    let repeat = confirmed(&confirm(&app, &jwt, &id).await);
    assert_eq!(repeat.caller_balance_sats, 2, "credited once");

    let booked = charge(&app, &jwt, 2, "call-1", HASH_A).await;
    assert_eq!(booked.status, 200, "{booked:?}");
    assert_eq!(
        (&booked.body["status"], &booked.body["fundingMode"]),
        (&json!("ok"), &json!("caller"))
    );
    assert_eq!(booked.body["callerBalanceSats"], 0);
    assert!(booked.body.get("duplicate").is_none());
    assert!(booked.body["receipt"].is_object() && booked.body["receiptV2"].is_object());
    let duplicate = charge(&app, &jwt, 2, "call-1", HASH_A).await;
    assert_eq!(duplicate.status, 200);
    assert_eq!(duplicate.body["duplicate"], true);
    assert_eq!(duplicate.body["receipt"], booked.body["receipt"]);
    let usage = usage(&app, &jwt).await;
    assert_eq!(
        (&usage["callsUsed"], &usage["satsUsed"]),
        (&json!(1), &json!(2))
    );
    assert_eq!(usage["callerBalanceSats"], 0);
}

/// A balance pays by itself; a short one is asked only the difference.
async fn the_balance_pays_and_only_the_shortfall_is_invoiced(profile: Profile) {
    let app = app(profile);
    let jwt = jwt(&app).await;
    let (id, invoice) = payment_required(&charge(&app, &jwt, 5, "big", HASH_A).await, 5, "big");
    assert_eq!(app.settle(&hash_of(&invoice)).await.status, 200);
    assert_eq!(
        confirmed(&confirm(&app, &jwt, &id).await).caller_balance_sats,
        5
    );
    let small = charge(&app, &jwt, 3, "small", HASH_B).await;
    assert_eq!(small.status, 200, "{small:?}");
    assert_eq!(small.body["callerBalanceSats"], 2);
    let big = charge(&app, &jwt, 5, "big", HASH_A).await;
    let (second, _) = payment_required(&big, 5, "big");
    assert_ne!(second, id, "a credited payment is not asked again");
    assert_eq!(big.body["payment"]["creditSats"], 3);
    assert_eq!(big.body["callerBalanceSats"], 2);
}

/// The key reused for another call or price: 422 deny, nothing booked or asked.
async fn a_changed_hash_or_price_conflicts(profile: Profile) {
    let app = app(profile);
    let jwt = jwt(&app).await;
    payment_required(&charge(&app, &jwt, 2, "k", HASH_A).await, 2, "k");
    for (cost, hash) in [(2, HASH_B), (3, HASH_A)] {
        let answer = charge(&app, &jwt, cost, "k", hash).await;
        assert_eq!(answer.status, 422, "{answer:?}");
        assert_eq!(answer.body["reason"], "idempotency_conflict");
        assert!(answer.body.get("payment").is_none());
    }
    let provider = json!({"callCostSats": 1, "idempotencyKey": "p"});
    let auth = bearer(&jwt);
    let booked = app
        .post("/api/mcp/charge", &[("authorization", &auth)], provider)
        .await;
    assert_eq!(booked.status, 200);
    let reused = charge(&app, &jwt, 1, "p", HASH_A).await;
    assert_eq!(reused.status, 422, "a provider charge's key: {reused:?}");
    assert_eq!(usage(&app, &jwt).await["satsUsed"], 1);
}

/// Another caller's payment id, or an unknown one, is not found and credits nothing;
/// a caller-funding invoice is no quote and no payment credential.
async fn a_payment_is_its_callers_only(profile: Profile) {
    let app = app(profile);
    let alice = jwt(&app).await;
    let bob = jwt(&app).await;
    let (id, invoice) = payment_required(&charge(&app, &alice, 2, "k", HASH_A).await, 2, "k");
    let settled = app.settle(&hash_of(&invoice)).await;
    assert_eq!(settled.status, 200);
    let unknown = "00000000-0000-4000-8000-000000000000";
    for (jwt, id) in [(&bob, id.as_str()), (&alice, unknown)] {
        let answer = confirm(&app, jwt, id).await;
        assert_eq!(answer.status, 404, "{answer:?}");
        if profile == Profile::Strict {
            assert_eq!(answer.code(), "payment_not_found");
        }
    }
    assert_eq!(usage(&app, &bob).await["callerBalanceSats"], 0);
    assert_eq!(
        app.confirm_quote(&id).await.status,
        404,
        "no session from it"
    );
    assert_eq!(
        app.get(&format!("/api/mcp/status/{id}"), &[]).await.status,
        404
    );
    let preimage = settled.body["preimage"].as_str().unwrap();
    let x402 = format!("x402 {preimage}");
    let resource = app
        .get("/api/demo/resource", &[("authorization", &x402)])
        .await;
    assert_eq!(resource.status, 402, "no credential from it: {resource:?}");
    assert_eq!(
        confirmed(&confirm(&app, &alice, &id).await).caller_balance_sats,
        2
    );
}

/// An invoice paid after its expiry credits nothing; the retry gets a new invoice.
async fn an_invoice_paid_too_late_credits_nothing(profile: Profile) {
    let app = app(profile);
    let session = app.session().await;
    let jwt = session["jwt"].as_str().unwrap();
    let (id, invoice) = payment_required(&charge(&app, jwt, 2, "k", HASH_A).await, 2, "k");
    app.advance(app.state.config.invoice_ttl_secs + 1).await;
    assert_eq!(app.settle(&hash_of(&invoice)).await.status, 200);
    // The same session, with a token that outlives the wait.
    let refreshed = app.refresh(session["refreshToken"].as_str().unwrap()).await;
    assert_eq!(refreshed.status, 200, "{refreshed:?}");
    let jwt = refreshed.body["jwt"].as_str().unwrap();
    let late = confirmed(&confirm(&app, jwt, &id).await);
    assert_eq!(late.status, CallerPaymentStatus::Expired);
    assert_eq!(late.caller_balance_sats, 0);
    let (retry, _) = payment_required(&charge(&app, jwt, 2, "k", HASH_A).await, 2, "k");
    assert_ne!(retry, id);
}

/// Paid in time but confirmed late, after a retry asked for a new invoice: the first
/// payment still credits (a paid invoice is never replaced), once.
async fn a_payment_paid_in_time_is_never_lost(profile: Profile) {
    let app = app(profile);
    let session = app.session().await;
    let jwt = session["jwt"].as_str().unwrap();
    let (first, invoice) = payment_required(&charge(&app, jwt, 2, "k", HASH_A).await, 2, "k");
    assert_eq!(app.settle(&hash_of(&invoice)).await.status, 200);
    app.advance(app.state.config.invoice_ttl_secs + 1).await;
    let refreshed = app.refresh(session["refreshToken"].as_str().unwrap()).await;
    let jwt = refreshed.body["jwt"].as_str().unwrap();
    let (second, _) = payment_required(&charge(&app, jwt, 2, "k", HASH_A).await, 2, "k");
    assert_ne!(second, first);
    let paid = confirmed(&confirm(&app, jwt, &first).await);
    assert_eq!(paid.status, CallerPaymentStatus::Paid);
    assert_eq!(paid.caller_balance_sats, 2);
    let booked = charge(&app, jwt, 2, "k", HASH_A).await;
    assert_eq!(
        (booked.status.as_u16(), &booked.body["callerBalanceSats"]),
        (200, &json!(0))
    );
    let second = confirmed(&confirm(&app, jwt, &second).await);
    assert_eq!(
        second.status,
        CallerPaymentStatus::Pending,
        "the unpaid one credits nothing"
    );
    assert_eq!(second.caller_balance_sats, 0);
}

/// A session holds at most MAX payments: beyond, a charge needing a new invoice is 429
/// and no invoice is made.
async fn payments_per_session_are_capped(profile: Profile) {
    let app = app(profile);
    let jwt = jwt(&app).await;
    let max = mock_api::store::MAX_CALLER_PAYMENTS;
    for i in 0..max {
        let key = format!("k{i}");
        payment_required(&charge(&app, &jwt, 2, &key, HASH_A).await, 2, &key);
    }
    let quotes = app.state.store.stats().challenges;
    let refused = charge(&app, &jwt, 2, "one-more", HASH_A).await;
    assert_eq!(refused.status, 429, "{refused:?}");
    assert_eq!(
        app.state.store.stats().challenges,
        quotes,
        "no invoice made"
    );
    let again = charge(&app, &jwt, 2, "k0", HASH_A).await;
    assert_eq!(again.status, 402, "a pending one is still asked for");
}

/// Concurrent retries of one charge ask for one payment; concurrent confirms credit it
/// once; concurrent retries after it book once.
async fn concurrent_retries_and_confirms_count_once(profile: Profile) {
    let app = app(profile);
    let jwt = jwt(&app).await;
    let (a, b) = tokio::join!(
        charge(&app, &jwt, 2, "k", HASH_A),
        charge(&app, &jwt, 2, "k", HASH_A)
    );
    let ((id, invoice), (other, _)) = (payment_required(&a, 2, "k"), payment_required(&b, 2, "k"));
    assert_eq!(id, other, "one payment for one charge");
    assert_eq!(app.settle(&hash_of(&invoice)).await.status, 200);
    let (a, b) = tokio::join!(confirm(&app, &jwt, &id), confirm(&app, &jwt, &id));
    assert_eq!(
        confirmed(&a)
            .caller_balance_sats
            .max(confirmed(&b).caller_balance_sats),
        2
    );
    let (a, b) = tokio::join!(
        charge(&app, &jwt, 2, "k", HASH_A),
        charge(&app, &jwt, 2, "k", HASH_A)
    );
    assert_eq!((a.status.as_u16(), b.status.as_u16()), (200, 200));
    let duplicates = [&a, &b]
        .iter()
        .filter(|r| r.body["duplicate"] == true)
        .count();
    assert_eq!(duplicates, 1, "{a:?} {b:?}");
    let usage = usage(&app, &jwt).await;
    assert_eq!(
        (&usage["satsUsed"], &usage["callerBalanceSats"]),
        (&json!(2), &json!(0))
    );
}

/// Without a key or a 64-hex hash, over the day's limit: refused or denied, no invoice.
async fn unbound_or_over_budget_charges_ask_nothing(profile: Profile) {
    let app = app(profile);
    let jwt = jwt(&app).await;
    let auth = bearer(&jwt);
    for body in [
        json!({"fundingMode": "caller", "callCostSats": 2, "requestHash": HASH_A}),
        json!({"fundingMode": "caller", "callCostSats": 2, "idempotencyKey": "k"}),
        json!({"fundingMode": "caller", "callCostSats": 2, "idempotencyKey": "k", "requestHash": "abc"}),
    ] {
        let answer = app
            .post("/api/mcp/charge", &[("authorization", &auth)], body)
            .await;
        assert_eq!(answer.status, 400, "{answer:?}");
        if profile == Profile::Strict {
            assert!(
                answer.body["detail"]
                    .as_str()
                    .unwrap()
                    .contains("request_binding_required")
            );
        }
    }
    let limit = app.state.config.max_sats_per_day;
    let over = charge(&app, &jwt, limit + 1, "k", HASH_A).await;
    assert_eq!(over.status, 200, "{over:?}");
    assert_eq!(over.body["reason"], "budget_exceeded");
    assert!(over.body.get("payment").is_none());
    assert_eq!(usage(&app, &jwt).await["satsUsed"], 0);
}

/// An API without caller funding (`--no-caller-funding`): no capabilities, no payment
/// route, and `fundingMode` ignored as the published backend ignores it.
async fn an_older_api_ignores_caller_funding(profile: Profile) {
    let mut config = match profile {
        Profile::Hosted => hosted(),
        Profile::Strict => common::config(),
    };
    config.caller_funding = false;
    let app = TestApp::with(config);
    let jwt = jwt(&app).await;
    let auth = bearer(&jwt);
    assert_eq!(
        app.get("/api/mcp/capabilities", &[("authorization", &auth)])
            .await
            .status,
        404
    );
    let answer = charge(&app, &jwt, 2, "k", HASH_A).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.body["status"], "ok");
    assert!(answer.body.get("fundingMode").is_none());
    assert!(usage(&app, &jwt).await.get("callerBalanceSats").is_none());
}

liveauth_testkit::on_both_profiles!(
    capabilities_say_so,
    unfunded_call_is_paid_confirmed_and_booked_once,
    the_balance_pays_and_only_the_shortfall_is_invoiced,
    a_changed_hash_or_price_conflicts,
    a_payment_is_its_callers_only,
    an_invoice_paid_too_late_credits_nothing,
    a_payment_paid_in_time_is_never_lost,
    payments_per_session_are_capped,
    concurrent_retries_and_confirms_count_once,
    unbound_or_over_budget_charges_ask_nothing,
    an_older_api_ignores_caller_funding,
);

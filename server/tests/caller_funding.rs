//! Caller-funded charges (LiveAuth 1.3) through a real MCP client and the real mock on
//! both profiles: the unfunded charge is an `isError` result carrying the payment and its
//! checked invoice; paid through the mock's dev settle route, confirmed with
//! `liveauth_mcp_payment_confirm` and retried with the same key and arguments, it is
//! booked once. Another caller's payment id credits nothing.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a panic is a failed test

mod common;

use common::{Harness, Profile};
use liveauth_testkit::mcp::Agent;
use serde_json::{Value, json};

const CHARGE: &str = "liveauth_mcp_charge";
const CONFIRM: &str = "liveauth_mcp_payment_confirm";

fn caller_charge(key: &str) -> Value {
    json!({
        "fundingMode": "caller",
        "callCostSats": 2,
        "idempotencyKey": key,
        "requestArguments": {"url": "https://example.com"},
    })
}

async fn settle(harness: &Harness, payment_hash: &str) {
    let url = format!("{}/api/dev/settle/{payment_hash}", harness.base);
    let response = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

/// The `isError` result of an unfunded charge: its structured content.
async fn payment_required(agent: &Agent, key: &str) -> Value {
    let result = agent.call_json(CHARGE, caller_charge(key)).await;
    assert_eq!(result["isError"], true, "{result}");
    let text = result["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("payment_required"), "{text}");
    assert!(text.contains(CONFIRM), "{text}");
    let charge = result["structuredContent"].clone();
    assert_eq!(
        (&charge["ok"], &charge["reason"], &charge["fundingMode"]),
        (&json!(false), &json!("payment_required"), &json!("caller"))
    );
    let payment = &charge["payment"];
    assert_eq!(payment["retryIdempotencyKey"], key);
    assert_eq!(charge["idempotencyKey"], key);
    // The §6.5 vector: the hash of the arguments, sent and reported.
    assert_eq!(
        charge["requestHash"],
        "5dc5c505a79bfc2eb22d0e45eff415c6ecf0c965c3d53d6e3e02c1bda74b0927"
    );
    assert_eq!(charge["decoded"]["amountSats"], payment["amountSats"]);
    assert_eq!(charge["decoded"]["network"], "regtest");
    let lightning = &charge["lightning"];
    assert_eq!(lightning["status"], "pending");
    assert_eq!(lightning["invoice"], payment["invoice"]);
    let png = result["content"][1]["data"].as_str().unwrap();
    let png = liveauth_protocol::codec::decode_base64(png).unwrap();
    assert_eq!(
        liveauth_testkit::qr::decode_png(&png).unwrap().text,
        lightning["lightningUri"].as_str().unwrap()
    );
    charge
}

async fn unfunded_call_is_paid_confirmed_and_booked_once(profile: Profile) {
    let h = Harness::new(profile).await;
    h.ok("liveauth_mcp_authenticate", json!({})).await;
    let asked = payment_required(&h, "call-1").await;
    let id = asked["payment"]["paymentId"].as_str().unwrap();
    let pending = h.ok(CONFIRM, json!({"paymentId": id})).await;
    assert_eq!(
        (&pending["status"], &pending["callerBalanceSats"]),
        (&json!("pending"), &json!(0))
    );
    assert!(
        pending["nextStep"]
            .as_str()
            .unwrap()
            .contains("pay the invoice")
    );
    let again = payment_required(&h, "call-1").await;
    assert_eq!(again["payment"], asked["payment"], "the same payment");

    settle(&h, asked["decoded"]["paymentHash"].as_str().unwrap()).await;
    let paid = h.ok(CONFIRM, json!({"paymentId": id})).await;
    assert_eq!(
        (
            &paid["status"],
            &paid["paymentId"],
            &paid["callerBalanceSats"]
        ),
        (&json!("paid"), &json!(id), &json!(2))
    );
    assert_eq!(
        h.ok(CONFIRM, json!({"paymentId": id})).await["callerBalanceSats"],
        2
    );

    let booked = h.ok(CHARGE, caller_charge("call-1")).await;
    assert_eq!(
        (
            &booked["ok"],
            &booked["fundingMode"],
            &booked["callerBalanceSats"]
        ),
        (&json!(true), &json!("caller"), &json!(0))
    );
    assert_eq!(booked["receiptVerified"], true, "{booked}");
    let repeat = h.ok(CHARGE, caller_charge("call-1")).await;
    assert_eq!(repeat["duplicate"], true);
    assert_eq!(repeat["receipt"], booked["receipt"]);
    let usage = h.ok("liveauth_mcp_usage", json!({})).await;
    assert_eq!(
        (
            &usage["callsUsed"],
            &usage["satsUsed"],
            &usage["callerBalanceSats"]
        ),
        (&json!(1), &json!(2), &json!(0))
    );
}

/// Another caller's payment id is not found and credits nobody; a changed call under
/// the same key is a conflict; a bad id is refused before anything is sent.
async fn refusals_change_nothing(profile: Profile) {
    let alice = Harness::new(profile).await;
    alice.ok("liveauth_mcp_authenticate", json!({})).await;
    let asked = payment_required(&alice, "k").await;
    settle(&alice, asked["decoded"]["paymentHash"].as_str().unwrap()).await;
    let bob = Harness::connect(&alice.base, None).await;
    bob.ok("liveauth_mcp_authenticate", json!({})).await;
    let id = &asked["payment"]["paymentId"];
    let refused = bob.err(CONFIRM, json!({"paymentId": id})).await;
    assert!(refused.contains("payment_not_found"), "{refused}");
    assert_eq!(
        bob.ok("liveauth_mcp_usage", json!({})).await["callerBalanceSats"],
        0
    );

    let mut changed = caller_charge("k");
    changed["requestArguments"] = json!({"url": "https://example.org"});
    let conflict = alice.call_json(CHARGE, changed).await;
    assert_eq!(conflict["isError"], true);
    assert_eq!(
        conflict["structuredContent"]["reason"],
        "idempotency_conflict"
    );
    assert!(
        conflict["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("use a new key")
    );

    for id in ["", ".."] {
        let text = alice.err(CONFIRM, json!({"paymentId": id})).await;
        assert!(text.contains("is not a payment id"), "{id:?}: {text}");
    }
    let text = alice.err(CONFIRM, json!({})).await;
    assert!(text.contains("missing field `paymentId`"), "{text}");
    let paid = alice.ok(CONFIRM, json!({"paymentId": id})).await;
    assert_eq!(paid["callerBalanceSats"], 2, "alice's credit is alice's");
}

liveauth_testkit::on_both_profiles!(
    unfunded_call_is_paid_confirmed_and_booked_once,
    refusals_change_nothing,
);

//! The seed README's JSON examples, and the wire rules docs/design.md adds, checked on raw JSON.
//!
//! Each seed example is parsed into its wire type and written back; the
//! result must equal the original as a JSON value, so no field is lost,
//! renamed, added or turned into `null`.

use liveauth_protocol::problem::{self, ErrorCode, Problem, parse_error_body};
use liveauth_protocol::wire::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// Parses `raw` as `T`, writes it back and compares the JSON values.
fn round_trip<T: DeserializeOwned + Serialize>(raw: &str) -> T {
    // Not a #[test] fn, so clippy's allow-unwrap-in-tests does not cover it.
    let parsed: T = serde_json::from_str(raw).unwrap_or_else(|e| panic!("{e}: {raw}"));
    let original: Value = serde_json::from_str(raw).unwrap_or_else(|e| panic!("{e}: {raw}"));
    let written = serde_json::to_value(&parsed).unwrap_or_else(|e| panic!("{e}: {raw}"));
    assert_eq!(written, original, "{raw}");
    parsed
}

const START_POW: &str = r#"{
"quoteId": "uuid-of-session",
"powChallenge": {
"projectId": "guid",
"projectPublicKey": "la_pk_...",
"challengeHex": "a1b2c3...",
"targetHex": "0000ffff...",
"difficultyBits": 18,
"expiresAtUnix": 1234567890,
"signature": "sig..."
},
"invoice": null
}"#;

const START_LIGHTNING: &str = r#"{
"quoteId": "uuid-of-session",
"powChallenge": null,
"invoice": {
"bolt11": "lnbc...",
"amountSats": 50,
"expiresAtUnix": 1234567890,
"paymentHash": "abc123..."
}
}"#;

const CONFIRM_RESULT: &str = r#"{
"jwt": "eyJhbGc...",
"expiresIn": 600,
"remainingBudgetSats": 10000,
"refreshToken": "abc123def456..."
}"#;

const CHARGE_OK: &str = r#"{
"status": "ok",
"callsUsed": 5,
"satsUsed": 15
}"#;

const CHARGE_DENY: &str = r#"{
"status": "deny",
"callsUsed": 100,
"satsUsed": 1000
}"#;

const STATUS: &str = r#"{
"quoteId": "uuid-of-session",
"status": "pending",
"paymentStatus": "pending",
"expiresAt": "2026-02-17T12:00:00Z"
}"#;

const LNURL: &str = r#"{
"pr": "lnbc2100n1...",
"routes": []
}"#;

const USAGE: &str = r#"{
"status": "active",
"callsUsed": 5,
"satsUsed": 15,
"maxSatsPerDay": 10000,
"remainingBudgetSats": 9985,
"maxCallsPerMinute": 60,
"expiresAt": "2026-02-17T12:00:00Z",
"dayWindowStart": "2026-02-17T00:00:00Z"
}"#;

const REFRESH: &str = r#"{
"jwt": "eyJhbGc...",
"expiresIn": 600,
"remainingBudgetSats": 9985
}"#;

/// A seed start example parses, and is written back with the one key the hosted API
/// always adds: `authHint: null`.
fn start_round_trip(raw: &str) -> StartResponse {
    let parsed: StartResponse = serde_json::from_str(raw).unwrap_or_else(|e| panic!("{e}"));
    let mut original: Value = serde_json::from_str(raw).unwrap_or_else(|e| panic!("{e}"));
    original["authHint"] = Value::Null;
    let written = serde_json::to_value(&parsed).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(written, original, "{raw}");
    parsed
}

/// Seed: `liveauth_mcp_start` returning a PoW challenge.
#[test]
fn seed_start_pow() {
    let r = start_round_trip(START_POW);
    let c = r.pow_challenge.unwrap();
    assert_eq!(c.difficulty_bits, 18);
    assert_eq!(c.expires_at_unix, 1_234_567_890);
    assert!(r.invoice.is_none());
}

/// Seed: `liveauth_mcp_start` returning a Lightning invoice.
#[test]
fn seed_start_lightning() {
    let r = start_round_trip(START_LIGHTNING);
    assert!(r.pow_challenge.is_none());
    assert_eq!(r.invoice.unwrap().amount_sats, 50);
}

/// Seed: `liveauth_mcp_confirm` result, which has no `paymentStatus` key.
#[test]
fn seed_confirm_result() {
    let r: ConfirmResponse = round_trip(CONFIRM_RESULT);
    assert_eq!(r.payment_status, None);
    assert_eq!(r.expires_in, Some(600));
}

/// Seed: `liveauth_mcp_charge` ok and deny (no reason key in the seed).
#[test]
fn seed_charge_ok_and_deny() {
    let ok: ChargeResponse = round_trip(CHARGE_OK);
    assert_eq!(ok.status, ChargeStatus::Ok);
    let deny: ChargeResponse = round_trip(CHARGE_DENY);
    assert_eq!(deny.status, ChargeStatus::Deny);
    assert_eq!(deny.reason, None);
}

/// Seed: `liveauth_mcp_status`.
#[test]
fn seed_status() {
    let r: StatusResponse = round_trip(STATUS);
    assert_eq!(r.status, QuoteStatus::Pending);
    assert_eq!(r.payment_status, Some(PaymentStatus::Pending));
}

/// Seed: `liveauth_mcp_lnurl` (LUD-06).
#[test]
fn seed_lnurl() {
    let r: LnurlResponse = round_trip(LNURL);
    assert!(r.routes.is_empty());
}

/// Seed: `liveauth_mcp_usage`.
#[test]
fn seed_usage() {
    let r: UsageResponse = round_trip(USAGE);
    assert_eq!(r.status, UsageStatus::Active);
    assert_eq!(r.remaining_budget_sats, 9985);
}

/// Seed: `liveauth_mcp_refresh`, which has no `refreshToken` key.
#[test]
fn seed_refresh() {
    let r: RefreshResponse = round_trip(REFRESH);
    assert_eq!(r.refresh_token, None);
}

/// Requests, docs/design.md additions and dev endpoints round-trip too.
#[test]
fn other_bodies_round_trip() {
    round_trip::<StartRequest>(r#"{"forceLightning": true}"#);
    round_trip::<StartRequest>("{}");
    round_trip::<ChargeRequest>(r#"{"callCostSats": 3}"#);
    round_trip::<ChargeResponse>(
        r#"{"status":"deny","callsUsed":60,"satsUsed":10,"reason":"rate_limited","retryAfterSeconds":12}"#,
    );
    round_trip::<ChargeResponse>(
        r#"{"status":"deny","callsUsed":1,"satsUsed":10000,"reason":"budget_exceeded"}"#,
    );
    round_trip::<RefreshRequest>(r#"{"refreshToken":"rt"}"#);
    round_trip::<RefreshResponse>(
        r#"{"jwt":"j","expiresIn":600,"remainingBudgetSats":1,"refreshToken":"rt2"}"#,
    );
    round_trip::<StatusResponse>(
        r#"{"quoteId":"q","status":"confirmed","paymentStatus":null,"expiresAt":"2026-02-17T12:00:00Z"}"#,
    );
    round_trip::<LnurlError>(r#"{"status":"ERROR","reason":"quote not found"}"#);
    round_trip::<SettleResponse>(r#"{"paymentHash":"ab","preimage":"cd"}"#);
    round_trip::<ClockAdvanceRequest>(r#"{"seconds":601}"#);
    round_trip::<ClockAdvanceResponse>(r#"{"nowUnix":1771329600}"#);
    round_trip::<HealthResponse>(r#"{"status":"ok"}"#);
    assert_eq!(
        serde_json::to_value(HealthResponse::default()).unwrap(),
        json!({"status": "ok"})
    );
    assert_eq!(
        serde_json::to_value(LnurlError::new("gone")).unwrap(),
        json!({"status": "ERROR", "reason": "gone"})
    );
}

/// The hosted API's bodies (facts §1.5, §2.3–§2.6) round-trip field for field; a charge
/// answer keeps the fields this version has no type for (`receipt`, …) in `extra`.
#[test]
fn hosted_bodies_round_trip() {
    let start: StartResponse = round_trip(
        r#"{"quoteId":"7d0e6f0a-1b2c-4d3e-8f40-5a6b7c8d9e0f","powChallenge":null,"invoice":{
        "bolt11":"lnbcrt1","amountSats":51,"expiresAtUnix":1790000000,
        "paymentHash":"0000000000000000000000000000000000000000000000000000000000000000",
        "baseAmountSats":50,"invoiceFeeBasisPoints":200,"invoiceFeeMinimumSats":1,
        "invoiceFeeSats":1,"totalChargedSats":51,"creditAmountSats":50},"authHint":null}"#,
    );
    assert_eq!(start.invoice.unwrap().fees.invoice_fee_sats, Some(1));
    round_trip::<StartResponse>(
        r#"{"quoteId":"q","powChallenge":null,"invoice":null,"authHint":"l402_bundle"}"#,
    );
    round_trip::<ChargeRequest>("{}");
    round_trip::<ChargeRequest>(
        r#"{"callCostSats":2,"idempotencyKey":"call-1","toolName":"web-fetch"}"#,
    );
    let charge: ChargeResponse = round_trip(
        r#"{"status":"ok","callsUsed":1,"satsUsed":5,"grossSats":5,"platformFeeSats":1,
        "netSats":4,"feeBasisPoints":500,"revenueEventId":"3f2b8c1e-5d4a-4e6f-9a7b-1c2d3e4f5a6b",
        "toolId":"11111111-2222-4333-8444-555555555555","toolName":"Anonymous Agent Call",
        "toolSlug":"anonymous-agent-call","receipt":{"version":"mcp-call-receipt-v1"},
        "duplicate":false}"#,
    );
    assert_eq!(charge.net_sats, Some(4));
    let receipt = charge
        .receipt
        .as_deref()
        .map(|receipt| receipt.version.as_str());
    assert_eq!(receipt, Some("mcp-call-receipt-v1"));
    assert_eq!(charge.duplicate, Some(false));
    round_trip::<RefreshResponse>(r#"{"jwt":"j","expiresIn":600,"remainingBudgetSats":10}"#);
    round_trip::<LegacyDemoStartResponse>(
        r#"{"sessionId":"s","invoice":"lnbcrt1","amountSats":4,"baseAmountSats":3,
        "invoiceFeeBasisPoints":200,"invoiceFeeMinimumSats":1,"invoiceFeeSats":1,
        "totalChargedSats":4,"expiresAtUnix":1790000000,"mode":"DEMO"}"#,
    );
}

/// An empty start body parses; an unset `forceLightning` is not written.
#[test]
fn start_request_empty_body() {
    let r: StartRequest = serde_json::from_str("{}").unwrap();
    assert_eq!(r.force_lightning, None);
    assert_eq!(serde_json::to_string(&r).unwrap(), "{}");
}

/// Unknown fields are ignored on input; unknown status strings are kept.
#[test]
fn forward_compatible() {
    let r: StatusResponse = serde_json::from_str(
        r#"{"quoteId":"q","status":"refunded","paymentStatus":"held","expiresAt":"x","new":1}"#,
    )
    .unwrap();
    assert_eq!(r.status, QuoteStatus::Other("refunded".into()));
    assert_eq!(r.payment_status, Some(PaymentStatus::Other("held".into())));
    assert_eq!(
        serde_json::to_value(&r).unwrap(),
        json!({"quoteId":"q","status":"refunded","paymentStatus":"held","expiresAt":"x"})
    );
    let u: UsageStatus = serde_json::from_str(r#""suspended""#).unwrap();
    assert_eq!(serde_json::to_value(&u).unwrap(), json!("suspended"));
    let c: ChargeResponse =
        serde_json::from_str(r#"{"status":"deny","callsUsed":0,"satsUsed":0,"reason":"frozen"}"#)
            .unwrap();
    assert_eq!(c.reason, Some(DenyReason::Other("frozen".into())));
}

/// `status` of a charge is strict: an unknown value must not read as `ok`.
#[test]
fn charge_status_is_strict() {
    for bad in [r#""OK""#, r#""allow""#, r#""""#, "null", "1"] {
        let raw = format!(r#"{{"status":{bad},"callsUsed":0,"satsUsed":0}}"#);
        assert!(
            serde_json::from_str::<ChargeResponse>(&raw).is_err(),
            "{raw}"
        );
    }
}

/// A confirm body with `signature` (the MCP tool's name) is written back as `sig`.
#[test]
fn confirm_request_signature_alias() {
    let raw = r#"{"quoteId":"q","challengeHex":"ab","nonce":42,"hashHex":"00ff",
        "expiresAtUnix":1771329600,"difficultyBits":16,"signature":"mac"}"#;
    let r: ConfirmRequest = serde_json::from_str(raw).unwrap();
    assert_eq!(r.sig.as_deref(), Some("mac"));
    assert_eq!(
        serde_json::to_value(&r).unwrap(),
        json!({"quoteId":"q","challengeHex":"ab","nonce":42,"hashHex":"00ff",
               "expiresAtUnix":1771329600,"difficultyBits":16,"sig":"mac"})
    );
    let with_sig: ConfirmRequest =
        serde_json::from_str(r#"{"quoteId":"q","sig":"mac","nonce":"42"}"#).unwrap();
    assert_eq!(with_sig.sig.as_deref(), Some("mac"));
    assert_eq!(with_sig.nonce, Some(Nonce(42)));
}

/// A Lightning confirm is just the quote id; absent fields are not written.
#[test]
fn confirm_request_minimal() {
    let r: ConfirmRequest = serde_json::from_str(r#"{"quoteId":"q"}"#).unwrap();
    assert_eq!(r.nonce, None);
    assert_eq!(serde_json::to_value(&r).unwrap(), json!({"quoteId": "q"}));
}

/// Nonces: canonical integers and strings accepted up to 2^53-1, everything else refused
/// with a message that states the rule.
#[test]
fn nonce_rule_on_the_wire() {
    let parse = |nonce: &str| {
        serde_json::from_str::<ConfirmRequest>(&format!(r#"{{"quoteId":"q","nonce":{nonce}}}"#))
            .map(|r| r.nonce)
    };
    assert_eq!(parse("0").unwrap(), Some(Nonce(0)));
    assert_eq!(parse(r#""0""#).unwrap(), Some(Nonce(0)));
    assert_eq!(
        parse("9007199254740991").unwrap(),
        Some(Nonce(9_007_199_254_740_991))
    );
    assert_eq!(
        parse(r#""9007199254740991""#).unwrap(),
        Some(Nonce(9_007_199_254_740_991))
    );
    assert_eq!(parse("null").unwrap(), None);
    for bad in [
        r#""05""#,
        r#""-5""#,
        "-5",
        "5.0",
        "1e3",
        "9007199254740992",
        r#""9007199254740992""#,
        "18446744073709551616",
        r#""+5""#,
        r#"" 5""#,
        r#""""#,
        "true",
        "[5]",
    ] {
        let err = parse(bad).unwrap_err().to_string();
        assert!(
            err.contains("canonical decimal integer") || err.contains("invalid type"),
            "{bad}: {err}"
        );
    }
    // The specific rejections name the rule itself.
    for bad in [r#""05""#, "-5", "5.0", "1e3", "9007199254740992", r#""+5""#] {
        let err = parse(bad).unwrap_err().to_string();
        assert!(err.contains("9007199254740991"), "{bad}: {err}");
    }
    let n: Nonce = serde_json::from_str("7").unwrap();
    assert_eq!(serde_json::to_string(&n).unwrap(), "7");
    let n: Nonce = serde_json::from_str(r#""7""#).unwrap();
    assert_eq!(serde_json::to_string(&n).unwrap(), "7");
}

/// `paymentStatus` on confirm: absent, `null` and a value each round-trip exactly.
#[test]
fn confirm_payment_status_tri_state() {
    let absent: ConfirmResponse = round_trip(CONFIRM_RESULT);
    assert_eq!(absent.payment_status, None);

    let pow: ConfirmResponse = round_trip(
        r#"{"jwt":"j","expiresIn":600,"remainingBudgetSats":10000,"refreshToken":"r","paymentStatus":null}"#,
    );
    assert_eq!(pow.payment_status, Some(None));

    let unpaid: ConfirmResponse = round_trip(
        r#"{"jwt":null,"expiresIn":null,"remainingBudgetSats":null,"refreshToken":null,"paymentStatus":"pending"}"#,
    );
    assert_eq!(unpaid.payment_status, Some(Some(PaymentStatus::Pending)));
    assert_eq!(unpaid.jwt, None);

    // None fields other than paymentStatus are written as null, never left out.
    let built = ConfirmResponse {
        jwt: None,
        expires_in: None,
        remaining_budget_sats: None,
        refresh_token: None,
        payment_status: None,
    };
    assert_eq!(
        serde_json::to_value(&built).unwrap(),
        json!({"jwt":null,"expiresIn":null,"remainingBudgetSats":null,"refreshToken":null})
    );
}

/// The problem body has exactly the RFC 9457 keys plus `error`/`error_description`.
#[test]
fn problem_json_exact_keys() {
    let p = Problem::new(ErrorCode::QuoteNotFound, "no quote with id q");
    assert_eq!(
        serde_json::to_value(&p).unwrap(),
        json!({
            "type": "https://liveauth.app/problems/quote_not_found",
            "title": "Quote not found",
            "status": 404,
            "detail": "no quote with id q",
            "code": "quote_not_found",
            "error": "quote_not_found",
            "error_description": "no quote with id q"
        })
    );
    assert_eq!(problem::CONTENT_TYPE, "application/problem+json");
    let back: Problem = serde_json::from_value(serde_json::to_value(&p).unwrap()).unwrap();
    assert_eq!(back, p);
    assert_eq!(Problem::new(ErrorCode::AlreadyConfirmed, "x").status, 409);
    assert_eq!(Problem::new(ErrorCode::MissingProjectKey, "x").status, 401);
    assert_eq!(Problem::new(ErrorCode::ChallengeExpired, "x").status, 410);
}

/// `parse_error_body` reads every error form a client may meet, never failing.
#[test]
fn parse_error_body_forms() {
    let ours = serde_json::to_vec(&Problem::new(ErrorCode::TokenExpired, "token expired")).unwrap();
    let b = parse_error_body(&ours);
    assert_eq!(b.code.as_deref(), Some("token_expired"));
    assert_eq!(b.detail.as_deref(), Some("token expired"));

    let hosted = parse_error_body(
        br#"{"error":"invalid_grant","error_description":"refresh token reused"}"#,
    );
    assert_eq!(hosted.code.as_deref(), Some("invalid_grant"));
    assert_eq!(hosted.detail.as_deref(), Some("refresh token reused"));

    let lud06 = parse_error_body(br#"{"status":"ERROR","reason":"invoice expired"}"#);
    assert_eq!(lud06.code, None);
    assert_eq!(lud06.detail.as_deref(), Some("invoice expired"));

    let message = parse_error_body(br#"{"message":"Internal server error"}"#);
    assert_eq!(message.code, None);
    assert_eq!(message.detail.as_deref(), Some("Internal server error"));

    let nested = parse_error_body(br#"{"error":{"code":"rate_limited","message":"slow down"}}"#);
    assert_eq!(nested.code.as_deref(), Some("rate_limited"));
    assert_eq!(nested.detail.as_deref(), Some("slow down"));

    let html = parse_error_body(b"<html>502 Bad Gateway</html>");
    assert_eq!(html.code, None);
    assert_eq!(html.detail.as_deref(), Some("502 Bad Gateway"));

    let text = parse_error_body(b"  upstream timed out\n");
    assert_eq!(text.detail.as_deref(), Some("upstream timed out"));

    let unknown_json = parse_error_body(br#"{"foo": 1}"#);
    assert_eq!(unknown_json.code, None);
    assert_eq!(unknown_json.detail.as_deref(), Some(r#"{"foo": 1}"#));

    for nothing in [&b""[..], b"   \n", b"\x00\x01\xff\xfe", b"\xc3\x28"] {
        assert_eq!(
            parse_error_body(nothing),
            problem::ApiErrorBody::default(),
            "{nothing:?}"
        );
    }

    let long = "é".repeat(10_000);
    let capped = parse_error_body(long.as_bytes()).detail.unwrap();
    assert!(capped.chars().count() <= problem::MAX_EXCERPT_CHARS);
    assert!(capped.ends_with('…'));
}

//! The MCP server against the hosted LiveAuth API's wire as it is (DESIGN §2, facts §2 and
//! §9), through a real rmcp client: wiremock answers with the hosted bodies (GUID ids,
//! plain-text and problem+json errors, zone-less times, fee fields, non-rotating refresh
//! that retires the previous JWT), and every request the server sent is checked.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a panic is a failed test

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use common::Harness;
use liveauth_mcp::api::ApiClient;
use liveauth_protocol::codec::{encode_base64, encode_hex};
use liveauth_testkit::mcp::charge_result;
use liveauth_testkit::mock;
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const KEY: &str = "la_pk_hosted";
const QUOTE: &str = "8d3f8a3e-5b7c-4d0e-9f55-1d2a3b4c5d6e";
/// Hosted refresh tokens are 32 hex (a GUID "N"); they are not rotated.
const REFRESH: &str = "0123456789abcdef0123456789abcdef";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

async fn on(api: &MockServer, verb: &str, at: &str, response: ResponseTemplate) {
    Mock::given(method(verb))
        .and(path(at))
        .respond_with(response)
        .mount(api)
        .await;
}

fn json_ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

fn text(status: u16, body: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body, "text/plain; charset=utf-8")
}

/// ASP.NET's bare `NotFound()`, as the hosted API renders it (facts §9.4).
fn problem_404() -> ResponseTemplate {
    ResponseTemplate::new(404).set_body_raw(
        json!({
            "type": "https://tools.ietf.org/html/rfc9110#section-15.5.5",
            "title": "Not Found",
            "status": 404,
            "traceId": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"
        })
        .to_string(),
        "application/problem+json; charset=utf-8",
    )
}

/// A hosted PoW start that any nonce solves (difficulty 0), far from expiry.
fn pow_start() -> Value {
    json!({
        "quoteId": QUOTE,
        "powChallenge": {
            "projectId": "0b0c0d0e-0000-4000-8000-000000000001",
            "projectPublicKey": KEY,
            "challengeHex": "00112233445566778899aabbccddeeff",
            "targetHex": "f".repeat(64),
            "difficultyBits": 0,
            "expiresAtUnix": 4_102_444_800i64,
            "signature": "a".repeat(64)
        },
        "invoice": null,
        "authHint": null
    })
}

fn confirmed(jwt: &str, payment_status: Value) -> Value {
    json!({
        "jwt": jwt, "expiresIn": 600, "remainingBudgetSats": 100,
        "paymentStatus": payment_status, "refreshToken": REFRESH
    })
}

/// A hosted charge answer: fees, revenue event, receipt, tool fields, and a field this
/// server does not know.
fn hosted_charge(calls: u64) -> Value {
    json!({
        "status": "ok", "callsUsed": calls, "satsUsed": 2 * calls, "grossSats": 2,
        "platformFeeSats": 1, "netSats": 1, "feeBasisPoints": 500,
        "revenueEventId": "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c",
        "receipt": {"v": 1, "payload": "eyJ2IjoxfQ", "sig": "c2ln"},
        "toolId": "6c5b4a39-2817-4f6e-9d5c-4b3a29181706",
        "toolName": "Anonymous Agent Call", "toolSlug": "anonymous-agent-call",
        "callerBalanceSats": 0
    })
}

fn hosted_usage() -> Value {
    json!({
        "status": "active", "callsUsed": 1, "satsUsed": 2, "maxSatsPerDay": 100,
        "remainingBudgetSats": 98, "maxCallsPerMinute": 60,
        "expiresAt": "2030-03-17T17:46:40", "dayWindowStart": "2030-03-17T00:00:00"
    })
}

/// Every request carried the project key.
async fn all_keyed(api: &MockServer) {
    for request in api.received_requests().await.unwrap() {
        let key = request
            .headers
            .get("x-lw-public")
            .and_then(|v| v.to_str().ok());
        assert_eq!(key, Some(KEY), "{} {}", request.method, request.url.path());
    }
}

async fn requests_to(api: &MockServer, at: &str) -> Vec<Request> {
    api.received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == at)
        .collect()
}

fn bearer(request: &Request) -> String {
    request.headers["authorization"]
        .to_str()
        .unwrap()
        .to_owned()
}

/// The Lightning flow: start (fee fields shown), lnurl cross-checked against the quoted
/// hash in `encode`'s form, status (hosted `paymentStatus: "paid"` beside
/// `status: "pending"`, zone-less `expiresAt` read as UTC), confirm, charge (every field
/// kept); the key on every request.
async fn lightning_flow(encode: fn(&[u8]) -> String) {
    let api = MockServer::start().await;
    let hash = mock_api::lightning::payment_hash(&[3; 32]);
    let bolt11 = mock::invoice(102, hash, now()).unwrap();
    on(
        &api,
        "POST",
        "/api/mcp/start",
        json_ok(json!({
            "quoteId": QUOTE,
            "powChallenge": null,
            "invoice": {
                "bolt11": bolt11, "amountSats": 102, "expiresAtUnix": now() + 600,
                "paymentHash": encode(&hash), "baseAmountSats": 100,
                "invoiceFeeBasisPoints": 200, "invoiceFeeMinimumSats": 1,
                "invoiceFeeSats": 2, "totalChargedSats": 102, "creditAmountSats": 100
            },
            "authHint": null
        })),
    )
    .await;
    on(
        &api,
        "GET",
        &format!("/api/mcp/lnurl/{QUOTE}"),
        json_ok(json!({"pr": bolt11, "routes": []})),
    )
    .await;
    answer_paid_status(&api).await;
    Mock::given(method("POST"))
        .and(path("/api/mcp/confirm"))
        .and(body_json(json!({"quoteId": QUOTE})))
        .respond_with(json_ok(confirmed("eyJ.ln.1", json!("paid"))))
        .expect(1)
        .mount(&api)
        .await;
    on(&api, "POST", "/api/mcp/charge", json_ok(hosted_charge(1))).await;

    let h = Harness::connect(&api.uri(), Some(KEY)).await;
    let start = h
        .ok("liveauth_mcp_start", json!({"forceLightning": true}))
        .await;
    assert_eq!(start["authHint"], Value::Null);
    assert_eq!(start["invoice"]["invoiceFeeSats"], 2);
    assert_eq!(start["invoice"]["creditAmountSats"], 100);
    let lnurl = h.ok("liveauth_mcp_lnurl", json!({"quoteId": QUOTE})).await;
    assert_eq!(lnurl["pr"], bolt11.as_str());
    assert_eq!(lnurl["decoded"]["paymentHash"], encode_hex(&hash));
    assert_eq!(lnurl["decoded"]["amountSats"], 102);
    let status = h.ok("liveauth_mcp_status", json!({"quoteId": QUOTE})).await;
    assert_eq!(status["paymentStatus"], "paid");
    assert_eq!(status["expiresAt"], "2030-03-17T17:46:40Z");
    let confirm = h
        .ok("liveauth_mcp_confirm", json!({"quoteId": QUOTE}))
        .await;
    assert_eq!(confirm["jwt"], "eyJ.ln.1");
    let mut charge = h
        .ok("liveauth_mcp_charge", json!({"callCostSats": 2}))
        .await;
    let sent_with = &charge["idempotencyKey"].clone();
    // The v1 receipt (not verifiable by a client) is kept as received, as a resource.
    let kept = charge.as_object_mut().unwrap().remove("receiptResource");
    assert_eq!(
        kept,
        Some(json!(
            "liveauth://receipts/mcp_receipt_3f2a1b0c9d8e4f7a8b6c5d4e3f2a1b0c"
        ))
    );
    assert_eq!(charge, charge_result(hosted_charge(1), sent_with));
    all_keyed(&api).await;
}

#[tokio::test]
async fn lightning_flow_with_a_hex_payment_hash() {
    lightning_flow(encode_hex).await;
}

/// The older backend's LND `r_hash` (standard base64) is the same 32 bytes.
#[tokio::test]
async fn lightning_flow_with_a_base64_payment_hash() {
    lightning_flow(encode_base64).await;
}

/// `authenticate` with `forceLightning` waits for the hosted `paymentStatus: "paid"` (the
/// quote's `status` is still `"pending"`) and confirms.
#[tokio::test]
async fn authenticate_waits_for_a_hosted_paid_status() {
    let api = MockServer::start().await;
    let hash = mock_api::lightning::payment_hash(&[4; 32]);
    let bolt11 = mock::invoice(21, hash, now()).unwrap();
    let invoice = json!({
        "bolt11": bolt11, "amountSats": 21, "expiresAtUnix": now() + 600,
        "paymentHash": encode_base64(&hash)
    });
    let start =
        json!({"quoteId": QUOTE, "powChallenge": null, "invoice": invoice, "authHint": null});
    on(&api, "POST", "/api/mcp/start", json_ok(start)).await;
    answer_paid_status(&api).await;
    on(
        &api,
        "POST",
        "/api/mcp/confirm",
        json_ok(confirmed("eyJ.ln.2", json!("paid"))),
    )
    .await;
    let h = Harness::connect(&api.uri(), Some(KEY)).await;
    let result = h
        .ok(
            "liveauth_mcp_authenticate",
            json!({"forceLightning": true, "waitForPaymentSeconds": 5}),
        )
        .await;
    assert_eq!(result["jwt"], "eyJ.ln.2");
    assert_eq!(result["paymentStatus"], "paid");
    all_keyed(&api).await;
}

/// The hosted refresh: the answer has no refresh token, so the old one is kept and works
/// again; the previous JWT is retired by the API (401 `Unknown token`) and the server
/// never sends it after the refresh; a JWT retired behind its back (another process
/// refreshed) is refused once, refreshed with the same refresh token, and the charge
/// retried.
#[tokio::test]
async fn refresh_keeps_the_refresh_token_and_drops_the_retired_jwt() {
    let api = MockServer::start().await;
    answer_pow_session(&api, "jwt-1").await;
    // Each refresh answers the next JWT, with no refreshToken (facts §2.6).
    let refreshes = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(1));
    let counter = std::sync::Arc::clone(&refreshes);
    Mock::given(method("POST"))
        .and(path("/api/mcp/refresh"))
        .and(body_json(json!({"refreshToken": REFRESH})))
        .respond_with(move |_: &Request| {
            let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            json_ok(json!({"jwt": format!("jwt-{n}"), "expiresIn": 600, "remainingBudgetSats": 98}))
        })
        .mount(&api)
        .await;
    for retired in ["jwt-1", "jwt-2"] {
        Mock::given(method("POST"))
            .and(path("/api/mcp/charge"))
            .and(header(
                "authorization",
                format!("Bearer {retired}").as_str(),
            ))
            .respond_with(text(401, "Unknown token"))
            .mount(&api)
            .await;
    }
    on(&api, "POST", "/api/mcp/charge", json_ok(hosted_charge(1))).await;
    on(&api, "GET", "/api/mcp/usage", json_ok(hosted_usage())).await;

    let h = Harness::connect(&api.uri(), Some(KEY)).await;
    let auth = h.ok("liveauth_mcp_authenticate", json!({})).await;
    assert_eq!(auth["refreshToken"], REFRESH);
    let refreshed = h.ok("liveauth_mcp_refresh", json!({})).await;
    assert_eq!(refreshed["jwt"], "jwt-2");
    assert_eq!(refreshed.get("refreshToken"), None);
    // jwt-1 is retired: nothing is sent with it any more.
    assert!(requests_to(&api, "/api/mcp/charge").await.is_empty());

    // Another process refreshed too (jwt-2 retired): one refusal, one refresh with the
    // same refresh token, one retry with jwt-3.
    let charge = h
        .ok("liveauth_mcp_charge", json!({"callCostSats": 2}))
        .await;
    assert_eq!(
        charge["revenueEventId"],
        "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c"
    );
    let charges = requests_to(&api, "/api/mcp/charge").await;
    let tokens: Vec<String> = charges.iter().map(bearer).collect();
    assert_eq!(tokens, ["Bearer jwt-2", "Bearer jwt-3"]);
    let usage = h.ok("liveauth_mcp_usage", json!({})).await;
    assert_eq!(usage["expiresAt"], "2030-03-17T17:46:40Z");
    assert_eq!(usage["dayWindowStart"], "2030-03-17T00:00:00Z");
    assert_eq!(
        bearer(&requests_to(&api, "/api/mcp/usage").await[0]),
        "Bearer jwt-3"
    );
    // Every refresh presented the one refresh token (it is not rotated).
    let bodies: Vec<Value> = requests_to(&api, "/api/mcp/refresh")
        .await
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert_eq!(bodies, vec![json!({"refreshToken": REFRESH}); 2]);
    all_keyed(&api).await;
}

/// The wiremock answers the status of `QUOTE` as the hosted API does once it is paid:
/// `status` still `pending`, `paymentStatus` `paid`, a zone-less `expiresAt`.
async fn answer_paid_status(api: &MockServer) {
    let status = json!({
        "quoteId": QUOTE, "status": "pending", "paymentStatus": "paid",
        "expiresAt": "2030-03-17T17:46:40"
    });
    on(
        api,
        "GET",
        &format!("/api/mcp/status/{QUOTE}"),
        json_ok(status),
    )
    .await;
}

/// The wiremock answers a PoW start (difficulty 0) and its confirm with `jwt`.
async fn answer_pow_session(api: &MockServer, jwt: &str) {
    on(api, "POST", "/api/mcp/start", json_ok(pow_start())).await;
    on(
        api,
        "POST",
        "/api/mcp/confirm",
        json_ok(confirmed(jwt, Value::Null)),
    )
    .await;
}

/// An agent whose start and confirm the wiremock answered (PoW, difficulty 0).
async fn authenticated(api: &MockServer) -> Harness {
    answer_pow_session(api, "jwt-1").await;
    let h = Harness::connect(&api.uri(), Some(KEY)).await;
    h.ok("liveauth_mcp_authenticate", json!({})).await;
    h
}

/// The API's error for `tool` as the agent reads it, with the API answering `response` at
/// `verb at` (after start and confirm when `logged_in`).
async fn error_text(
    tool: &str,
    arguments: Value,
    (verb, at): (&str, &str),
    response: ResponseTemplate,
) -> String {
    let api = MockServer::start().await;
    on(&api, verb, at, response).await;
    let h = if at == "/api/mcp/start" || at == "/api/mcp/confirm" {
        Harness::connect(&api.uri(), Some(KEY)).await
    } else {
        authenticated(&api).await
    };
    if at == "/api/mcp/confirm" {
        on(&api, "POST", "/api/mcp/start", json_ok(pow_start())).await;
    }
    h.err(tool, arguments).await
}

/// A tool call, the endpoint that fails, its answer, and how the agent's message starts.
type ErrorCase<'a> = (
    &'a str,
    Value,
    (&'a str, &'a str),
    ResponseTemplate,
    &'a str,
);

/// Every hosted error form becomes an isError naming the status and the API's text, and a
/// next step that fits it: plain text, problem+json (bare and validation),
/// `{error, error_description}`, `{error, message}`, HTML, and an empty body.
#[tokio::test]
async fn every_hosted_error_form_is_actionable() {
    let confirm = ("POST", "/api/mcp/confirm");
    let start = ("POST", "/api/mcp/start");
    let status_path = format!("/api/mcp/status/{QUOTE}");
    let status = ("GET", status_path.as_str());
    let quote = json!({"quoteId": QUOTE});
    let cases: Vec<ErrorCase<'_>> = vec![
        (
            "liveauth_mcp_authenticate",
            json!({}),
            confirm,
            text(401, "Hash mismatch"),
            "LiveAuth API error 401 (Unauthorized): Hash mismatch. Next: solve the challenge \
             with liveauth_mcp_solve",
        ),
        (
            "liveauth_mcp_authenticate",
            json!({}),
            confirm,
            text(400, "Session not pending"),
            "LiveAuth API error 400 (Bad Request): Session not pending. Next: the quote is \
             used; you are already authenticated",
        ),
        (
            "liveauth_mcp_authenticate",
            json!({}),
            confirm,
            ResponseTemplate::new(400).set_body_raw(
                json!({
                    "type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
                    "title": "One or more validation errors occurred.",
                    "status": 400,
                    "errors": {"QuoteId": ["The QuoteId field is required."]}
                })
                .to_string(),
                "application/problem+json",
            ),
            "LiveAuth API error 400 (Bad Request): The QuoteId field is required.. Next: pass \
             the quoteId",
        ),
        (
            "liveauth_mcp_status",
            quote.clone(),
            status,
            problem_404(),
            "LiveAuth API error 404 (Not Found): Not Found. Next: check the quoteId (a quote \
             of another project is 404 too",
        ),
        (
            "liveauth_mcp_status",
            quote.clone(),
            status,
            ResponseTemplate::new(404),
            "LiveAuth API error 404 (Not Found). Next: check the quoteId",
        ),
        (
            "liveauth_mcp_start",
            json!({}),
            start,
            ResponseTemplate::new(401).set_body_json(json!({
                "error": "missing_api_key",
                "error_description": "Missing public API key header."
            })),
            "LiveAuth API error 401 missing_api_key: Missing public API key header.. Next: \
             check LIVEAUTH_API_KEY",
        ),
        (
            "liveauth_mcp_start",
            json!({}),
            start,
            ResponseTemplate::new(401).set_body_json(json!({
                "error": "invalid_public_key",
                "message": "A valid active project public key is required."
            })),
            "LiveAuth API error 401 invalid_public_key: A valid active project public key is \
             required.. Next: check LIVEAUTH_API_KEY",
        ),
        (
            "liveauth_mcp_start",
            json!({}),
            start,
            ResponseTemplate::new(502).set_body_raw(
                "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
                "text/html",
            ),
            "LiveAuth API error 502 (Bad Gateway): 502 Bad Gateway nginx. Next: the API \
             failed; retry later",
        ),
    ];
    for (tool, arguments, at, response, expected) in cases {
        let message = error_text(tool, arguments, at, response).await;
        assert!(
            message.starts_with(expected),
            "{tool} at {at:?}:\n{message}\nshould start with\n{expected}"
        );
    }
}

/// 404 `No active session found` on usage is a refused token: one refresh; a hosted
/// plain-text 401 `Invalid refresh token` ends the session with advice to authenticate.
#[tokio::test]
async fn usage_without_a_session_refreshes_then_says_to_authenticate() {
    let api = MockServer::start().await;
    let h = authenticated(&api).await;
    on(
        &api,
        "GET",
        "/api/mcp/usage",
        text(404, "No active session found"),
    )
    .await;
    on(
        &api,
        "POST",
        "/api/mcp/refresh",
        text(401, "Invalid refresh token"),
    )
    .await;
    let message = h.err("liveauth_mcp_usage", json!({})).await;
    assert_eq!(
        message,
        "LiveAuth API error 401 (Unauthorized): Invalid refresh token. Next: the refresh \
         token is not valid: call liveauth_mcp_authenticate to start a new session"
    );
    assert_eq!(requests_to(&api, "/api/mcp/refresh").await.len(), 1);
    // The session is over: nothing more is sent with the dead tokens.
    let again = h.err("liveauth_mcp_usage", json!({})).await;
    assert!(again.starts_with("not authenticated"), "{again}");
    assert_eq!(requests_to(&api, "/api/mcp/usage").await.len(), 1);
}

/// Keyless (1.1+): start at `/api/mcp/start` without `X-LW-Public`, solve the anonymous
/// demo project's real challenge, confirm without the key.
#[tokio::test]
async fn keyless_pow_flow_sends_no_key() {
    let api = MockServer::start().await;
    answer_pow_session(&api, "jwt-anon").await;
    let h = Harness::connect(&api.uri(), None).await;
    let auth = h.ok("liveauth_mcp_authenticate", json!({})).await;
    assert_eq!(auth["jwt"], "jwt-anon");
    let requests = api.received_requests().await.unwrap();
    let paths: Vec<&str> = requests.iter().map(|r| r.url.path()).collect();
    assert_eq!(paths, ["/api/mcp/start", "/api/mcp/confirm"]);
    assert!(
        requests
            .iter()
            .all(|r| r.headers.get("x-lw-public").is_none())
    );
}

/// `LIVEAUTH_DEMO=true`: the legacy demo start is shown as a checked Lightning quote; its
/// confirm asks the API, and when the API cannot confirm a legacy session the agent is
/// told so; no token is ever made up.
#[tokio::test]
async fn legacy_demo_never_fabricates_tokens() {
    let api = MockServer::start().await;
    let hash = [8u8; 32];
    let bolt11 = mock::invoice(3, hash, now()).unwrap();
    let session = "5f0e1d2c-3b4a-4958-8776-655443322110";
    on(
        &api,
        "POST",
        "/api/public/auth/demo/start",
        json_ok(json!({
            "sessionId": session, "invoice": bolt11, "amountSats": 3,
            "expiresAtUnix": now() + 600, "mode": "DEMO"
        })),
    )
    .await;
    on(&api, "POST", "/api/mcp/confirm", problem_404()).await;
    let client = ApiClient::new(&api.uri(), None, std::time::Duration::from_secs(5))
        .unwrap()
        .legacy_demo();
    let h = Harness::with_api(client).await;
    let start = h.ok("liveauth_mcp_start", json!({})).await;
    assert_eq!(start["quoteId"], session);
    assert_eq!(start["invoice"]["paymentHash"], encode_hex(&hash));
    let refused = h
        .err("liveauth_mcp_confirm", json!({"quoteId": session}))
        .await;
    assert!(
        refused.starts_with("LiveAuth API error 404 (Not Found): Not Found."),
        "{refused}"
    );
    assert!(refused.contains("LIVEAUTH_DEMO"), "{refused}");
    let usage = h.err("liveauth_mcp_usage", json!({})).await;
    assert!(usage.starts_with("not authenticated"), "{usage}");
    let requests = api.received_requests().await.unwrap();
    assert!(
        requests
            .iter()
            .all(|r| r.headers.get("x-lw-public").is_none())
    );
}

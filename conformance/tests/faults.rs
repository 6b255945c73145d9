//! Faults of the API, seen through a real MCP client: a wiremock stands in for the API.
//! Each fault is an `isError` result with a message an agent can act on (asserted word
//! for word), and the next call on the same server succeeds once the API behaves.

#![allow(clippy::unwrap_used)] // test: a panic is a failed test

mod common;

use std::time::Duration;

use liveauth_testkit::mcp::{Agent, charge_result};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, body_partial_json, header, method, path, path_regex};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// Short, so the slow-answer case stays quick.
const TIMEOUT: Duration = Duration::from_millis(300);
const QUOTE: &str = "11111111-2222-4333-8444-555555555555";

fn status_body() -> Value {
    json!({
        "quoteId": QUOTE,
        "status": "pending",
        "paymentStatus": null,
        "expiresAt": "2030-01-01T00:00:00Z"
    })
}

async fn status_call(agent: &Agent) -> Value {
    agent
        .call_json("liveauth_mcp_status", json!({"quoteId": QUOTE}))
        .await
}

/// The message of a status call that must fail.
async fn status_err(agent: &Agent) -> String {
    agent
        .err("liveauth_mcp_status", json!({"quoteId": QUOTE}))
        .await
}

/// Answers every `POST route` with `response`.
async fn on_post(api: &MockServer, route: &str, response: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path(route))
        .respond_with(response)
        .mount(api)
        .await;
}

/// The charge every session test makes.
fn five_sats() -> Value {
    json!({"callCostSats": 5})
}

/// A problem+json answer, as the mock writes one (`error` and `error_description` too).
fn problem(status: u16, code: &str, title: &str, detail: &str) -> ResponseTemplate {
    let body = json!({
        "type": format!("https://liveauth.app/problems/{code}"),
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "error": code,
        "error_description": detail
    });
    ResponseTemplate::new(status).set_body_raw(body.to_string(), "application/problem+json")
}

/// After a fault: the API behaves again, and the same server answers normally.
async fn recovers(agent: &Agent, api: &MockServer) {
    api.reset().await;
    Mock::given(method("GET"))
        .and(path(format!("/api/mcp/status/{QUOTE}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(status_body()))
        .mount(api)
        .await;
    let result = status_call(agent).await;
    assert_ne!(result["isError"], true, "{result:#}");
    assert_eq!(result["structuredContent"], status_body());
}

/// A status call against an API that answers `response` is an error with the message
/// `expected(api base URL)`; then the API behaves, and the same server recovers.
async fn status_fault(response: ResponseTemplate, expected: impl FnOnce(&str) -> String) {
    let api = MockServer::start().await;
    Mock::given(path_regex("^/api/mcp/status/"))
        .respond_with(response)
        .mount(&api)
        .await;
    let agent = common::connect(&api.uri(), None, TIMEOUT).await;
    assert_eq!(status_err(&agent).await, expected(&api.uri()));
    recovers(&agent, &api).await;
}

/// 500 with a problem+json body: the code and detail reach the agent.
#[tokio::test]
async fn server_error_with_problem_json() {
    let detail = "the ledger is unavailable";
    status_fault(
        problem(500, "internal_error", "Internal error", detail),
        |_| {
            "LiveAuth API error 500 internal_error: the ledger is unavailable. Next: the API \
             failed; retry later"
                .to_owned()
        },
    )
    .await;
}

/// 502 from a proxy, with an HTML page: the status and the page's text, tags removed.
#[tokio::test]
async fn bad_gateway_with_html() {
    let html = "<html><head><title>502 Bad Gateway</title></head>\
                <body><h1>Bad Gateway</h1><p>upstream closed</p></body></html>";
    status_fault(
        ResponseTemplate::new(502).set_body_raw(html, "text/html"),
        |_| {
            "LiveAuth API error 502 (Bad Gateway): 502 Bad Gateway Bad Gateway upstream \
             closed. Next: the API failed; retry later"
                .to_owned()
        },
    )
    .await;
}

/// A 200 whose body is cut off: a decode error naming the field, never quoting the body.
#[tokio::test]
async fn malformed_json() {
    let cut = r#"{"quoteId": "abc", "status": "#;
    status_fault(
        ResponseTemplate::new(200).set_body_raw(cut, "application/json"),
        |_| {
            "unexpected answer from the LiveAuth API (200): field `status`: EOF while parsing \
             a value at line 1 column 29. Next: the API answered in an unexpected format: \
             check that LIVEAUTH_API_BASE points at a LiveAuth API"
                .to_owned()
        },
    )
    .await;
}

/// An answer slower than the client's timeout.
#[tokio::test]
async fn slower_than_the_timeout() {
    status_fault(
        ResponseTemplate::new(200)
            .set_body_json(status_body())
            .set_delay(Duration::from_secs(3)),
        |base| {
            format!(
                "cannot reach the LiveAuth API at {base}: timed out after 300 ms. Next: check \
                 that the LiveAuth API at LIVEAUTH_API_BASE is reachable (and that \
                 LIVEAUTH_API_BASE is right), then retry"
            )
        },
    )
    .await;
}

/// Nothing listens; then an API comes up on that port.
#[tokio::test]
async fn connection_refused_then_the_api_comes_up() {
    let reserved = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = reserved.local_addr().unwrap();
    drop(reserved);
    let base = format!("http://{addr}");
    let agent = common::connect(&base, None, TIMEOUT).await;
    let message = status_err(&agent).await;
    assert_eq!(
        message,
        format!(
            "cannot reach the LiveAuth API at {base}: connection refused. Next: check that the \
             LiveAuth API at LIVEAUTH_API_BASE is reachable (and that LIVEAUTH_API_BASE is \
             right), then retry"
        )
    );
    let listener = std::net::TcpListener::bind(addr).unwrap();
    let api = MockServer::builder().listener(listener).start().await;
    recovers(&agent, &api).await;
}

/// A 402 with L402 and x402 challenges (an API that wants payment to start).
#[tokio::test]
async fn payment_required_with_challenges() {
    let api = MockServer::start().await;
    // A real invoice in both challenges, as the mock's 402 answers carry them.
    let payment_hash = mock_api::lightning::payment_hash(&[9; 32]);
    let invoice = liveauth_testkit::mock::invoice(3, payment_hash, 4_000_000_000).unwrap();
    let x402 = liveauth_protocol::auth::Challenge::X402 {
        invoice: invoice.clone(),
        payment_hash,
    };
    on_post(
        &api,
        "/api/mcp/start",
        problem(
            402,
            "payment_required",
            "Payment required",
            "pay the invoice in WWW-Authenticate",
        )
        .append_header("WWW-Authenticate", x402.to_string().as_str()),
    )
    .await;
    let agent = common::connect(&api.uri(), None, TIMEOUT).await;
    let message = agent.err("liveauth_mcp_start", json!({})).await;
    assert_eq!(
        message,
        format!(
            "LiveAuth API error 402 payment_required: pay the invoice in WWW-Authenticate. The \
             API's payment challenge offers invoice {invoice} (3 sats). Next: the API wants an \
             L402/x402 payment credential, which this server does not send; authenticate with \
             liveauth_mcp_authenticate (forceLightning=true pays a checked invoice)"
        )
    );
    recovers(&agent, &api).await;
}

/// A PoW start whose challenge any nonce but one solves (0 bits), far in the future.
fn start_body() -> Value {
    json!({
        "quoteId": QUOTE,
        "powChallenge": {
            "projectId": "p",
            "projectPublicKey": "la_pk_demo",
            "challengeHex": "ab",
            "targetHex": "f".repeat(64),
            "difficultyBits": 0,
            "expiresAtUnix": 4_102_444_800i64,
            "signature": "sig"
        },
        "invoice": null
    })
}

fn confirm_body(jwt: &str, refresh: &str) -> Value {
    json!({
        "jwt": jwt,
        "expiresIn": 600,
        "remainingBudgetSats": 10000,
        "refreshToken": refresh,
        "paymentStatus": null
    })
}

/// An agent with a session: start and confirm answered by the wiremock.
async fn authenticated(api: &MockServer) -> Agent {
    let agent = common::connect(&api.uri(), None, TIMEOUT).await;
    log_in(&agent, api).await;
    agent
}

/// Start and confirm (the wiremock answers both) on this agent's server.
async fn log_in(agent: &Agent, api: &MockServer) {
    on_post(
        api,
        "/api/mcp/start",
        ResponseTemplate::new(200).set_body_json(start_body()),
    )
    .await;
    on_post(
        api,
        "/api/mcp/confirm",
        ResponseTemplate::new(200).set_body_json(confirm_body("jwt-1", "rt-1")),
    )
    .await;
    agent.ok("liveauth_mcp_start", json!({})).await;
    let solved = json!({"quoteId": QUOTE, "nonce": 0});
    let confirmed = agent.ok("liveauth_mcp_confirm", solved).await;
    assert_eq!(confirmed["jwt"], "jwt-1");
}

fn token_expired() -> ResponseTemplate {
    let detail = "access token expired: call refresh with your refresh token";
    problem(401, "token_expired", "Token expired", detail).append_header(
        "WWW-Authenticate",
        "Bearer error=\"invalid_token\", error_description=\"token_expired\"",
    )
}

/// The charge's idempotency key: the body field `idempotencyKey` (the hosted API's only
/// mechanism), which the `Idempotency-Key` header repeats.
fn idempotency_key(request: &Request) -> String {
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    let key = body["idempotencyKey"].as_str().unwrap().to_owned();
    let header = request.headers.get("idempotency-key").unwrap();
    assert_eq!(header.to_str().unwrap(), key);
    key
}

/// 401 on charge: the server refreshes with its refresh token and retries the charge
/// once, with the new JWT and the same idempotency key (body and header).
#[tokio::test]
async fn unauthorized_charge_refreshes_and_retries() {
    let api = MockServer::start().await;
    let agent = authenticated(&api).await;
    Mock::given(method("POST"))
        .and(path("/api/mcp/charge"))
        .and(header("authorization", "Bearer jwt-1"))
        .respond_with(token_expired())
        .mount(&api)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/mcp/refresh"))
        .and(body_json(json!({"refreshToken": "rt-1"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "jwt": "jwt-2", "expiresIn": 600, "remainingBudgetSats": 10000, "refreshToken": "rt-2"
        })))
        .expect(1)
        .mount(&api)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/mcp/charge"))
        .and(header("authorization", "Bearer jwt-2"))
        .and(body_partial_json(json!({"callCostSats": 5})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "status": "ok", "callsUsed": 1, "satsUsed": 5
        })))
        .mount(&api)
        .await;
    let charged = agent.ok("liveauth_mcp_charge", five_sats()).await;
    let answer = json!({"status": "ok", "callsUsed": 1, "satsUsed": 5});
    assert_eq!(charged, charge_result(answer, &charged["idempotencyKey"]));
    let charges: Vec<Request> = api
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == "/api/mcp/charge")
        .collect();
    assert_eq!(charges.len(), 2);
    assert_eq!(idempotency_key(&charges[0]), idempotency_key(&charges[1]));
    // The rotated refresh token is the one used next.
    Mock::given(method("POST"))
        .and(path("/api/mcp/refresh"))
        .and(body_json(json!({"refreshToken": "rt-2"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "jwt": "jwt-3", "expiresIn": 600, "remainingBudgetSats": 9995, "refreshToken": "rt-3"
        })))
        .mount(&api)
        .await;
    let refreshed = agent.ok("liveauth_mcp_refresh", json!({})).await;
    assert_eq!(refreshed["jwt"], "jwt-3");
}

/// 401 on charge and the refresh token is refused: an error that says to authenticate
/// again; after authenticating again, charges work.
#[tokio::test]
async fn unauthorized_charge_with_a_dead_refresh_token() {
    let api = MockServer::start().await;
    let agent = authenticated(&api).await;
    on_post(&api, "/api/mcp/charge", token_expired()).await;
    let detail = "refresh token was superseded; the family is revoked";
    on_post(
        &api,
        "/api/mcp/refresh",
        problem(400, "invalid_grant", "Invalid grant", detail),
    )
    .await;
    let message = agent.err("liveauth_mcp_charge", five_sats()).await;
    assert_eq!(
        message,
        "LiveAuth API error 400 invalid_grant: refresh token was superseded; the family is \
         revoked. Next: call liveauth_mcp_authenticate to start a new session"
    );
    // The dead session is forgotten: charging now says to authenticate first.
    let message = agent.err("liveauth_mcp_charge", five_sats()).await;
    assert!(message.starts_with("not authenticated:"), "{message}");
    api.reset().await;
    log_in(&agent, &api).await;
    on_post(
        &api,
        "/api/mcp/charge",
        ResponseTemplate::new(200).set_body_json(json!({
            "status": "ok", "callsUsed": 1, "satsUsed": 5
        })),
    )
    .await;
    agent.ok("liveauth_mcp_charge", five_sats()).await;
}

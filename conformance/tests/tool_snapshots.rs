//! Snapshots of what an agent sees: `tools/list`, and every tool's result (the whole
//! `CallToolResult` as JSON) in each state it can be in, through a real MCP client.
//!
//! Stability: the mock runs with a fixed seed and a manual clock, so every id, key,
//! token and invoice is byte-identical between runs. The MCP server shares that clock
//! (it checks challenge, invoice and token expiry against it), so time moves for both
//! only when a test moves it, and no time-dependent value needs redacting.
//!
//! Redactions, each named where it is applied:
//! - a text block that holds the same JSON as `structuredContent` (checked here) is
//!   replaced by a marker, so each value is reviewed once and the solver's figures
//!   below are redacted in one place;
//! - `elapsedMs`, `hashesPerSecond`: the MCP server's own wall-clock measurements.
//! - `hashesTried`: the solver's threads take chunks in a timing-dependent order; the
//!   nonce and hash it returns are the lowest solution and do not vary.
//! - the base URL of an API that is not running: its port is chosen by the OS.

#![allow(clippy::unwrap_used)] // test: a panic is a failed test

mod common;

use std::time::Duration;

use common::Agent;
use insta::assert_json_snapshot;
use liveauth_mcp::clock::Clock;
use liveauth_protocol::pow::solver::{SolveControl, SolveOptions, solve};
use liveauth_protocol::pow::{encode_hex32, target_from_bits};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "la_pk_snap";
/// Where the mock's manual clock starts (2026-01-01T00:00:00Z).
const START: i64 = mock_api::clock::MANUAL_CLOCK_START;

struct Fixture {
    agent: Agent,
    http: reqwest::Client,
    base: String,
}

fn config() -> mock_api::Config {
    mock_api::Config {
        seed: Some(2026),
        manual_clock: true,
        difficulty_bits: 8,
        projects: vec![format!("{KEY}:21").parse().unwrap()],
        ..mock_api::Config::default()
    }
}

impl Fixture {
    /// A seeded manual-clock mock, and an agent whose server shares its clock.
    async fn new(config: mock_api::Config, key: Option<&str>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = mock_api::AppState::new(config);
        let mock_clock = state.clock.clone();
        tokio::spawn(mock_api::serve(
            listener,
            mock_api::router(state),
            std::future::pending(),
        ));
        let clock = Clock::from_fn(move || mock_clock.now());
        let agent = Agent::connect_with_clock(&base, key, Duration::from_secs(10), clock).await;
        Self {
            agent,
            http: reqwest::Client::new(),
            base,
        }
    }

    async fn advance(&self, seconds: u64) {
        let resp = self
            .http
            .post(format!("{}/api/dev/clock/advance", self.base))
            .json(&json!({"seconds": seconds}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
    }

    async fn settle(&self, payment_hash: &str) {
        let resp = self
            .http
            .post(format!("{}/api/dev/settle/{payment_hash}", self.base))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
    }

    async fn call(&self, tool: &str, arguments: Value) -> Value {
        text_as_structured(self.agent.call_json(tool, arguments).await)
    }

    /// Start a PoW quote: `(quoteId, powChallenge)`.
    async fn pow_quote(&self) -> (String, Value) {
        let start = self.agent.ok("liveauth_mcp_start", json!({})).await;
        (
            start["quoteId"].as_str().unwrap().to_owned(),
            start["powChallenge"].clone(),
        )
    }

    /// Start a Lightning quote: `(quoteId, invoice)`.
    async fn lightning_quote(&self) -> (String, Value) {
        let start = self
            .agent
            .ok("liveauth_mcp_start", json!({"forceLightning": true}))
            .await;
        (
            start["quoteId"].as_str().unwrap().to_owned(),
            start["invoice"].clone(),
        )
    }

    /// A session through start, solve and confirm.
    async fn log_in(&self) {
        let (quote_id, _) = self.pow_quote().await;
        self.agent
            .ok("liveauth_mcp_solve", json!({"quoteId": quote_id}))
            .await;
        self.agent
            .ok("liveauth_mcp_confirm", json!({"quoteId": quote_id}))
            .await;
    }
}

/// The lowest solving nonce of a challenge, found here (not by the server).
fn solve_challenge(challenge: &Value) -> u64 {
    let bits = u32::try_from(challenge["difficultyBits"].as_u64().unwrap()).unwrap();
    solve(
        challenge["projectPublicKey"].as_str().unwrap(),
        challenge["challengeHex"].as_str().unwrap(),
        &target_from_bits(bits).unwrap(),
        &SolveOptions::default(),
        &SolveControl::new(),
    )
    .unwrap()
    .nonce
}

/// A nonce that does not solve the challenge.
fn wrong_nonce(challenge: &Value) -> u64 {
    let bits = u32::try_from(challenge["difficultyBits"].as_u64().unwrap()).unwrap();
    let target = target_from_bits(bits).unwrap();
    let key = challenge["projectPublicKey"].as_str().unwrap();
    let hex = challenge["challengeHex"].as_str().unwrap();
    (0..)
        .find(|&n| liveauth_protocol::pow::solution_hash(key, hex, n) >= target)
        .unwrap()
}

/// Redaction: a text block equal (as JSON) to `structuredContent` becomes a marker.
/// Success results must carry exactly that text; error texts stay as they are.
fn text_as_structured(mut result: Value) -> Value {
    let structured = result["structuredContent"].clone();
    let is_error = result["isError"] == true;
    if let Some(blocks) = result["content"].as_array_mut() {
        for block in blocks {
            let parsed = block["text"]
                .as_str()
                .and_then(|text| serde_json::from_str::<Value>(text).ok());
            if !structured.is_null() && parsed.as_ref() == Some(&structured) {
                block["text"] = json!("[the JSON of structuredContent]");
            } else {
                assert!(
                    is_error,
                    "a success whose text is not its structured content: {block}"
                );
            }
        }
    }
    result
}

/// A base URL where nothing listens, and its placeholder.
fn unreachable_base() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    base
}

/// Redaction: the OS-chosen port of an unreachable API.
fn without_base(mut result: Value, base: &str) -> Value {
    if let Some(blocks) = result["content"].as_array_mut() {
        for block in blocks {
            if let Some(text) = block["text"].as_str() {
                block["text"] = json!(text.replace(base, "http://127.0.0.1:[port]"));
            }
        }
    }
    result
}

/// Redaction: the solver's wall-clock and timing-dependent figures, wherever they are.
macro_rules! assert_solve_snapshot {
    ($name:expr, $value:expr) => {
        assert_json_snapshot!($name, $value, {
            ".structuredContent.elapsedMs" => "[wall clock]",
            ".structuredContent.hashesPerSecond" => "[wall clock]",
            ".structuredContent.hashesTried" => "[thread timing]",
            ".structuredContent.solve.elapsedMs" => "[wall clock]",
            ".structuredContent.solve.hashesPerSecond" => "[wall clock]",
            ".structuredContent.solve.hashesTried" => "[thread timing]",
        })
    };
}

/// The tools an agent sees: names, descriptions, input and output schemas, annotations.
#[tokio::test]
async fn tools_list() {
    let fixture = Fixture::new(config(), None).await;
    let tools = fixture.agent.client.list_all_tools().await.unwrap();
    assert_json_snapshot!("tools_list", serde_json::to_value(tools).unwrap());
}

/// liveauth_mcp_start: PoW, Lightning (keyed project), API unreachable.
#[tokio::test]
async fn start() {
    let fixture = Fixture::new(config(), None).await;
    assert_json_snapshot!(
        "start_pow",
        fixture.call("liveauth_mcp_start", json!({})).await
    );
    let keyed = Fixture::new(config(), Some(KEY)).await;
    assert_json_snapshot!(
        "start_lightning",
        keyed
            .call("liveauth_mcp_start", json!({"forceLightning": true}))
            .await
    );
    assert_json_snapshot!(
        "start_invalid_argument",
        fixture
            .call("liveauth_mcp_start", json!({"forceLightning": "yes"}))
            .await
    );
    let base = unreachable_base();
    let offline = Agent::connect(&base, None, Duration::from_secs(5)).await;
    assert_json_snapshot!(
        "start_api_unreachable",
        without_base(
            offline.call_json("liveauth_mcp_start", json!({})).await,
            &base
        )
    );
}

/// liveauth_mcp_solve: solved, no quote yet, unknown quote, a Lightning quote, and a
/// challenge that has expired by the (shared) clock.
#[tokio::test]
async fn solve_tool() {
    let fixture = Fixture::new(config(), None).await;
    assert_json_snapshot!(
        "solve_no_quote_yet",
        fixture.call("liveauth_mcp_solve", json!({})).await
    );
    let (quote_id, _) = fixture.pow_quote().await;
    assert_solve_snapshot!(
        "solve_ok",
        fixture
            .call("liveauth_mcp_solve", json!({"quoteId": quote_id}))
            .await
    );
    assert_json_snapshot!(
        "solve_unknown_quote",
        fixture
            .call("liveauth_mcp_solve", json!({"quoteId": "not-a-quote"}))
            .await
    );
    let (ln_quote, _) = fixture.lightning_quote().await;
    assert_json_snapshot!(
        "solve_lightning_quote",
        fixture
            .call("liveauth_mcp_solve", json!({"quoteId": ln_quote}))
            .await
    );
    let (old_quote, _) = fixture.pow_quote().await;
    fixture.advance(301).await;
    assert_json_snapshot!(
        "solve_expired_challenge",
        fixture
            .call("liveauth_mcp_solve", json!({"quoteId": old_quote}))
            .await
    );
}

/// liveauth_mcp_confirm in every state.
#[tokio::test]
async fn confirm() {
    let fixture = Fixture::new(config(), None).await;
    let (quote_id, challenge) = fixture.pow_quote().await;
    assert_json_snapshot!(
        "confirm_no_solution_yet",
        fixture
            .call("liveauth_mcp_confirm", json!({"quoteId": quote_id}))
            .await
    );
    assert_json_snapshot!(
        "confirm_wrong_nonce",
        fixture
            .call(
                "liveauth_mcp_confirm",
                json!({"quoteId": quote_id, "nonce": wrong_nonce(&challenge)})
            )
            .await
    );
    let nonce = solve_challenge(&challenge);
    assert_json_snapshot!(
        "confirm_wrong_hash",
        fixture
            .call(
                "liveauth_mcp_confirm",
                json!({"quoteId": quote_id, "nonce": nonce, "hashHex": "0".repeat(64)})
            )
            .await
    );
    assert_json_snapshot!(
        "confirm_noncanonical_nonce",
        fixture
            .call(
                "liveauth_mcp_confirm",
                json!({"quoteId": quote_id, "nonce": format!("0{nonce}")})
            )
            .await
    );
    assert_json_snapshot!(
        "confirm_missing_quote_id",
        fixture.call("liveauth_mcp_confirm", json!({})).await
    );
    assert_json_snapshot!(
        "confirm_ok_pow",
        fixture
            .call(
                "liveauth_mcp_confirm",
                json!({"quoteId": quote_id, "nonce": nonce})
            )
            .await
    );
    assert_json_snapshot!(
        "confirm_already_confirmed",
        fixture
            .call(
                "liveauth_mcp_confirm",
                json!({"quoteId": quote_id, "nonce": nonce})
            )
            .await
    );
    assert_json_snapshot!(
        "confirm_unknown_quote",
        fixture
            .call(
                "liveauth_mcp_confirm",
                json!({"quoteId": "00000000-0000-4000-8000-000000000000"})
            )
            .await
    );
    // Expired by the API's clock: solved in time, confirmed after the mock moved 301 s.
    let (late_quote, late_challenge) = fixture.pow_quote().await;
    let late_nonce = solve_challenge(&late_challenge);
    fixture.advance(301).await;
    assert_json_snapshot!(
        "confirm_expired_challenge",
        fixture
            .call(
                "liveauth_mcp_confirm",
                json!({"quoteId": late_quote, "nonce": late_nonce})
            )
            .await
    );
    // Lightning on a keyed project: pending until settled, then a session.
    let keyed = Fixture::new(config(), Some(KEY)).await;
    let (ln_quote, invoice) = keyed.lightning_quote().await;
    assert_json_snapshot!(
        "confirm_lightning_payment_pending",
        keyed
            .call("liveauth_mcp_confirm", json!({"quoteId": ln_quote}))
            .await
    );
    keyed.settle(invoice["paymentHash"].as_str().unwrap()).await;
    assert_json_snapshot!(
        "confirm_lightning_paid",
        keyed
            .call("liveauth_mcp_confirm", json!({"quoteId": ln_quote}))
            .await
    );
    let base = unreachable_base();
    let offline = Agent::connect(&base, None, Duration::from_secs(5)).await;
    let full = json!({
        "quoteId": quote_id, "challengeHex": challenge["challengeHex"], "nonce": nonce,
        "expiresAtUnix": challenge["expiresAtUnix"], "difficultyBits": challenge["difficultyBits"],
        "signature": challenge["signature"]
    });
    assert_json_snapshot!(
        "confirm_api_unreachable",
        without_base(offline.call_json("liveauth_mcp_confirm", full).await, &base)
    );
}

/// liveauth_mcp_charge: ok, not authenticated, budget exceeded, rate limited.
#[tokio::test]
async fn charge() {
    let fixture = Fixture::new(
        mock_api::Config {
            max_sats_per_day: 100,
            max_calls_per_minute: 3,
            ..config()
        },
        None,
    )
    .await;
    assert_json_snapshot!(
        "charge_not_authenticated",
        fixture
            .call("liveauth_mcp_charge", json!({"callCostSats": 1}))
            .await
    );
    fixture.log_in().await;
    assert_json_snapshot!(
        "charge_ok",
        fixture
            .call("liveauth_mcp_charge", json!({"callCostSats": 40}))
            .await
    );
    assert_json_snapshot!(
        "charge_budget_exceeded",
        fixture
            .call("liveauth_mcp_charge", json!({"callCostSats": 61}))
            .await
    );
    fixture
        .agent
        .ok("liveauth_mcp_charge", json!({"callCostSats": 1}))
        .await;
    fixture
        .agent
        .ok("liveauth_mcp_charge", json!({"callCostSats": 1}))
        .await;
    assert_json_snapshot!(
        "charge_rate_limited",
        fixture
            .call("liveauth_mcp_charge", json!({"callCostSats": 1}))
            .await
    );
    assert_json_snapshot!(
        "charge_invalid_argument",
        fixture
            .call("liveauth_mcp_charge", json!({"callCostSats": -1}))
            .await
    );
}

/// liveauth_mcp_status: pending PoW, paid Lightning, confirmed, unknown quote.
#[tokio::test]
async fn status() {
    let fixture = Fixture::new(config(), Some(KEY)).await;
    let (quote_id, _) = fixture.pow_quote().await;
    assert_json_snapshot!(
        "status_pow_pending",
        fixture
            .call("liveauth_mcp_status", json!({"quoteId": quote_id}))
            .await
    );
    let (ln_quote, invoice) = fixture.lightning_quote().await;
    fixture
        .settle(invoice["paymentHash"].as_str().unwrap())
        .await;
    assert_json_snapshot!(
        "status_lightning_paid",
        fixture
            .call("liveauth_mcp_status", json!({"quoteId": ln_quote}))
            .await
    );
    assert_json_snapshot!(
        "status_unknown_quote",
        fixture
            .call("liveauth_mcp_status", json!({"quoteId": "no-such-quote"}))
            .await
    );
}

/// liveauth_mcp_lnurl: checked invoice, a PoW quote, a quote not started here, and an
/// invoice that fails the cross-check (a wiremock API whose lnurl invoice asks for more
/// than the quote said).
#[tokio::test]
async fn lnurl() {
    let fixture = Fixture::new(config(), Some(KEY)).await;
    let (ln_quote, _) = fixture.lightning_quote().await;
    assert_json_snapshot!(
        "lnurl_ok",
        fixture
            .call("liveauth_mcp_lnurl", json!({"quoteId": ln_quote}))
            .await
    );
    let (pow_quote, _) = fixture.pow_quote().await;
    assert_json_snapshot!(
        "lnurl_pow_quote",
        fixture
            .call("liveauth_mcp_lnurl", json!({"quoteId": pow_quote}))
            .await
    );
    assert_json_snapshot!(
        "lnurl_quote_not_started_here",
        fixture
            .call(
                "liveauth_mcp_lnurl",
                json!({"quoteId": "someone-elses-quote"})
            )
            .await
    );

    // A real BOLT11 for 50 sats, quoted as 21 sats.
    let node = mock_api::lightning::LightningNode::from_seed(
        [9; 32],
        mock_api::lightning::Network::Regtest,
    );
    let preimage = [4u8; 32];
    let payment_hash = mock_api::lightning::payment_hash(&preimage);
    let bolt11 = node
        .create_invoice(&mock_api::lightning::InvoiceRequest {
            amount_sats: 50,
            payment_hash,
            payment_secret: [5; 32],
            description: "conformance".into(),
            created_at_unix: u64::try_from(START).unwrap(),
            expiry_secs: 600,
        })
        .unwrap();
    let api = MockServer::start().await;
    let quote = "66666666-7777-4888-8999-000000000000";
    Mock::given(method("POST"))
        .and(path("/api/mcp/start"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "quoteId": quote,
            "powChallenge": null,
            "invoice": {
                "bolt11": bolt11,
                "amountSats": 21,
                "expiresAtUnix": START + 600,
                "paymentHash": encode_hex32(&payment_hash)
            }
        })))
        .mount(&api)
        .await;
    Mock::given(method("GET"))
        .and(path_regex("^/api/mcp/lnurl/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"pr": bolt11, "routes": []})))
        .mount(&api)
        .await;
    let agent = Agent::connect_with_clock(
        &api.uri(),
        Some(KEY),
        Duration::from_secs(5),
        Clock::from_fn(|| START),
    )
    .await;
    agent
        .ok("liveauth_mcp_start", json!({"forceLightning": true}))
        .await;
    assert_json_snapshot!(
        "lnurl_invoice_fails_cross_check",
        text_as_structured(
            agent
                .call_json("liveauth_mcp_lnurl", json!({"quoteId": quote}))
                .await
        )
    );
}

/// liveauth_mcp_usage: a session's usage, and not authenticated.
#[tokio::test]
async fn usage() {
    let fixture = Fixture::new(config(), None).await;
    assert_json_snapshot!(
        "usage_not_authenticated",
        fixture.call("liveauth_mcp_usage", json!({})).await
    );
    fixture.log_in().await;
    fixture
        .agent
        .ok("liveauth_mcp_charge", json!({"callCostSats": 7}))
        .await;
    assert_json_snapshot!(
        "usage_ok",
        fixture.call("liveauth_mcp_usage", json!({})).await
    );
}

/// liveauth_mcp_refresh: rotated, not authenticated, invalid token, reused token.
#[tokio::test]
async fn refresh() {
    let fixture = Fixture::new(config(), None).await;
    assert_json_snapshot!(
        "refresh_not_authenticated",
        fixture.call("liveauth_mcp_refresh", json!({})).await
    );
    let (quote_id, challenge) = fixture.pow_quote().await;
    let nonce = solve_challenge(&challenge);
    let confirmed = fixture
        .agent
        .ok(
            "liveauth_mcp_confirm",
            json!({"quoteId": quote_id, "nonce": nonce}),
        )
        .await;
    let first = confirmed["refreshToken"].as_str().unwrap().to_owned();
    assert_json_snapshot!(
        "refresh_ok",
        fixture.call("liveauth_mcp_refresh", json!({})).await
    );
    assert_json_snapshot!(
        "refresh_invalid_token",
        fixture
            .call(
                "liveauth_mcp_refresh",
                json!({"refreshToken": "la_rt_not-a-real-token"})
            )
            .await
    );
    assert_json_snapshot!(
        "refresh_reused_token",
        fixture
            .call("liveauth_mcp_refresh", json!({"refreshToken": first}))
            .await
    );
}

/// liveauth_mcp_authenticate: PoW in one call, Lightning returning the invoice to pay,
/// and API unreachable.
#[tokio::test]
async fn authenticate() {
    let fixture = Fixture::new(config(), None).await;
    assert_solve_snapshot!(
        "authenticate_pow",
        fixture.call("liveauth_mcp_authenticate", json!({})).await
    );
    let keyed = Fixture::new(config(), Some(KEY)).await;
    assert_json_snapshot!(
        "authenticate_lightning_payment_pending",
        keyed
            .call("liveauth_mcp_authenticate", json!({"forceLightning": true}))
            .await
    );
    let base = unreachable_base();
    let offline = Agent::connect(&base, None, Duration::from_secs(5)).await;
    assert_json_snapshot!(
        "authenticate_api_unreachable",
        without_base(
            offline
                .call_json("liveauth_mcp_authenticate", json!({}))
                .await,
            &base
        )
    );
}

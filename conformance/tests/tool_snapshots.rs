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
//! - the QR image of a pending invoice: decoded here (it must be the result's
//!   `lightning.lightningUri`) and replaced by what it shows;
//! - `elapsedMs`, `hashesPerSecond`: the MCP server's own wall-clock measurements.
//! - `hashesTried`: the solver's threads take chunks in a timing-dependent order; the
//!   nonce and hash it returns are the lowest solution and do not vary.
//! - the base URL of an API that is not running: its port is chosen by the OS.
//! - an `idempotencyKey` the MCP server made for a charge: a random UUID (an agent's own
//!   key is kept).

#![allow(clippy::unwrap_used)] // test: a panic is a failed test

mod common;

use std::time::Duration;

use insta::assert_json_snapshot;
use liveauth_mcp::clock::Clock;
use liveauth_protocol::codec::encode_hex;
use liveauth_testkit::mcp::Agent;
use liveauth_testkit::mock::Profile;
use liveauth_testkit::{mock, pow};
use serde_json::{Value, json};
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

fn config(profile: Profile) -> mock_api::Config {
    mock_api::Config {
        profile,
        projects: vec![mock::project(KEY, Some(21))],
        ..mock::config(2026)
    }
}

/// Snapshots taken until the guard drops are `<name>@<profile>`: the two profiles answer
/// differently (ids, errors, fees, refresh), and each is reviewed as it is.
fn per_profile(profile: Profile) -> insta::internals::SettingsBindDropGuard {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_suffix(profile.as_str());
    for key in [
        ".structuredContent.idempotencyKey",
        ".structuredContent.receipt.body.idempotencyKey",
    ] {
        settings.add_dynamic_redaction(key, |value, _| {
            let made_here = value
                .as_str()
                .is_some_and(|key| key.len() == 36 && key.matches('-').count() == 4);
            if made_here {
                "[a UUID made by the server]".into()
            } else {
                value
            }
        });
    }
    // The v1 receipt signs that key: its payload and HMAC differ on every run (its
    // signature is checked by the mock's and protocol's tests, v2's verified above).
    settings.add_redaction(
        ".structuredContent.receipt.payload",
        "[base64url of the signed body, with that key]",
    );
    settings.add_redaction(
        ".structuredContent.receipt.signature",
        "[HMAC-SHA256 of the payload]",
    );
    settings.bind_to_scope()
}

impl Fixture {
    /// A seeded manual-clock mock, and an agent whose server shares its clock.
    async fn new(config: mock_api::Config, key: Option<&str>) -> Self {
        let mock::Served { base, state } = mock::serve(config).await.unwrap();
        let mock_clock = state.clock.clone();
        let clock = Clock::from_fn(move || mock_clock.now());
        let agent = common::connect_with_clock(&base, key, Duration::from_secs(10), clock).await;
        Self {
            agent,
            http: reqwest::Client::new(),
            base,
        }
    }

    /// A mock-only dev endpoint, which must answer 200.
    async fn dev_post(&self, dev_path: &str, body: Value) {
        let url = format!("{}{dev_path}", self.base);
        let resp = self.http.post(url).json(&body).send().await.unwrap();
        assert_eq!(resp.status(), 200);
    }

    async fn advance(&self, seconds: u64) {
        let body = json!({ "seconds": seconds });
        self.dev_post("/api/dev/clock/advance", body).await;
    }

    async fn settle(&self, payment_hash: &str) {
        let dev_path = format!("/api/dev/settle/{payment_hash}");
        self.dev_post(&dev_path, json!({})).await;
    }

    async fn call(&self, tool: &str, arguments: Value) -> Value {
        text_as_structured(self.agent.call_json(tool, arguments).await)
    }

    /// Snapshots one call's result under `name`.
    async fn snap(&self, name: &str, tool: &str, arguments: Value) {
        assert_json_snapshot!(name, self.call(tool, arguments).await);
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
        let args = json!({"forceLightning": true});
        let start = self.agent.ok("liveauth_mcp_start", args).await;
        (
            start["quoteId"].as_str().unwrap().to_owned(),
            start["invoice"].clone(),
        )
    }

    /// A fresh fixture (the demo project), after snapping `tool` without a session as
    /// `<tool without the liveauth_mcp_ prefix>_not_authenticated`.
    async fn logged_out(profile: Profile, tool: &str) -> Self {
        let fixture = Self::new(config(profile), None).await;
        let name = tool.trim_start_matches("liveauth_mcp_");
        let snapshot = format!("{name}_not_authenticated");
        fixture.snap(&snapshot, tool, json!({})).await;
        fixture
    }

    /// A session through start, solve and confirm.
    async fn log_in(&self) {
        let (quote_id, _) = self.pow_quote().await;
        for tool in ["liveauth_mcp_solve", "liveauth_mcp_confirm"] {
            self.agent.ok(tool, json!({"quoteId": quote_id})).await;
        }
    }

    async fn charge(&self, sats: i64) -> Value {
        self.call("liveauth_mcp_charge", json!({ "callCostSats": sats }))
            .await
    }
}

/// The lowest solving nonce of a challenge, found here (not by the server).
fn solve_challenge(challenge: &Value) -> u64 {
    pow::solve_json(challenge).unwrap().nonce
}

/// Redaction: a text block equal (as JSON) to `structuredContent` becomes a marker.
/// Success results must carry exactly that text; error texts stay as they are.
fn text_as_structured(mut result: Value) -> Value {
    let structured = result["structuredContent"].clone();
    let is_error = result["isError"] == true;
    if let Some(blocks) = result["content"].as_array_mut() {
        for block in blocks {
            if block["type"] == "image" {
                block["data"] = json!(qr_summary(&block["data"], &structured));
                continue;
            }
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

/// Redaction: the QR image of a pending invoice (a few KB of base64) becomes what it
/// shows, once read back by an independent decoder and found to be the result's
/// `lightning.lightningUri`.
fn qr_summary(data: &Value, structured: &Value) -> String {
    let png = liveauth_protocol::codec::decode_base64(data.as_str().unwrap()).unwrap();
    let qr = liveauth_testkit::qr::decode_png(&png).unwrap();
    assert_eq!(qr.text, structured["lightning"]["lightningUri"]);
    format!(
        "[PNG {}x{}: QR code of lightning.lightningUri]",
        qr.width, qr.height
    )
}

/// Snapshots one call to an API where nothing listens, with the OS-chosen port of that
/// base URL redacted.
async fn snap_unreachable(name: &str, tool: &str, arguments: Value) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let offline = common::connect(&base, None, Duration::from_secs(5)).await;
    let mut result = offline.call_json(tool, arguments).await;
    if let Some(blocks) = result["content"].as_array_mut() {
        for block in blocks {
            if let Some(text) = block["text"].as_str() {
                block["text"] = json!(text.replace(&base, "http://127.0.0.1:[port]"));
            }
        }
    }
    assert_json_snapshot!(name, result);
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
    let fixture = Fixture::new(config(Profile::Strict), None).await;
    let tools = fixture.agent.client.list_all_tools().await.unwrap();
    assert_json_snapshot!("tools_list", serde_json::to_value(tools).unwrap());
}

/// liveauth_mcp_start: PoW, Lightning (keyed project), API unreachable.
async fn start(profile: Profile) {
    let _snapshots = per_profile(profile);
    let start = "liveauth_mcp_start";
    let fixture = Fixture::new(config(profile), None).await;
    fixture.snap("start_pow", start, json!({})).await;
    let keyed = Fixture::new(config(profile), Some(KEY)).await;
    let lightning = json!({"forceLightning": true});
    keyed.snap("start_lightning", start, lightning).await;
    let invalid = json!({"forceLightning": "yes"});
    fixture.snap("start_invalid_argument", start, invalid).await;
}

/// liveauth_mcp_solve: solved, no quote yet, unknown quote, a Lightning quote, and a
/// challenge that has expired by the (shared) clock.
async fn solve_tool(profile: Profile) {
    let _snapshots = per_profile(profile);
    let solve = "liveauth_mcp_solve";
    let fixture = Fixture::new(config(profile), None).await;
    fixture.snap("solve_no_quote_yet", solve, json!({})).await;
    let (quote_id, _) = fixture.pow_quote().await;
    assert_solve_snapshot!(
        "solve_ok",
        fixture.call(solve, json!({"quoteId": quote_id})).await
    );
    let unknown = json!({"quoteId": "not-a-quote"});
    fixture.snap("solve_unknown_quote", solve, unknown).await;
    let (ln_quote, _) = fixture.lightning_quote().await;
    let lightning = json!({ "quoteId": ln_quote });
    fixture
        .snap("solve_lightning_quote", solve, lightning)
        .await;
    let (old_quote, _) = fixture.pow_quote().await;
    fixture.advance(301).await;
    let expired = json!({ "quoteId": old_quote });
    fixture
        .snap("solve_expired_challenge", solve, expired)
        .await;
}

/// liveauth_mcp_confirm in every state.
async fn confirm(profile: Profile) {
    let _snapshots = per_profile(profile);
    let confirm = "liveauth_mcp_confirm";
    let fixture = Fixture::new(config(profile), None).await;
    let (quote_id, challenge) = fixture.pow_quote().await;
    let wrong = pow::failing_nonce(&challenge).unwrap();
    let nonce = solve_challenge(&challenge);
    // In order: the quote is confirmed by `confirm_ok_pow` and stays so.
    for (name, arguments) in [
        (
            "confirm_no_solution_yet",
            json!({"quoteId": quote_id, "challengeHex": challenge["challengeHex"]}),
        ),
        (
            "confirm_wrong_nonce",
            json!({"quoteId": quote_id, "nonce": wrong}),
        ),
        (
            "confirm_wrong_hash",
            json!({"quoteId": quote_id, "nonce": nonce, "hashHex": "0".repeat(64)}),
        ),
        (
            "confirm_noncanonical_nonce",
            json!({"quoteId": quote_id, "nonce": format!("0{nonce}")}),
        ),
        ("confirm_missing_quote_id", json!({})),
        (
            "confirm_ok_pow",
            json!({"quoteId": quote_id, "nonce": nonce}),
        ),
        (
            "confirm_already_confirmed",
            json!({"quoteId": quote_id, "nonce": nonce}),
        ),
        (
            "confirm_unknown_quote",
            json!({"quoteId": "00000000-0000-4000-8000-000000000000"}),
        ),
    ] {
        fixture.snap(name, confirm, arguments).await;
    }
    // Only the quote: the server solves the challenge itself (LiveAuth 1.1+).
    let (fresh_quote, _) = fixture.pow_quote().await;
    let only_quote = json!({"quoteId": fresh_quote});
    fixture
        .snap("confirm_solves_by_itself", confirm, only_quote)
        .await;
    // Expired by the API's clock: solved in time, confirmed after the mock moved 301 s.
    let (late_quote, late_challenge) = fixture.pow_quote().await;
    let late_nonce = solve_challenge(&late_challenge);
    fixture.advance(301).await;
    let late = json!({"quoteId": late_quote, "nonce": late_nonce});
    fixture
        .snap("confirm_expired_challenge", confirm, late)
        .await;
    // Lightning on a keyed project: pending until settled, then a session.
    let keyed = Fixture::new(config(profile), Some(KEY)).await;
    let (ln_quote, invoice) = keyed.lightning_quote().await;
    let lightning = json!({ "quoteId": ln_quote });
    let pending = "confirm_lightning_payment_pending";
    keyed.snap(pending, confirm, lightning.clone()).await;
    keyed.settle(invoice["paymentHash"].as_str().unwrap()).await;
    keyed
        .snap("confirm_lightning_paid", confirm, lightning)
        .await;
}

/// liveauth_mcp_charge: ok, not authenticated, budget exceeded, rate limited.
async fn charge(profile: Profile) {
    let _snapshots = per_profile(profile);
    let limited = mock_api::Config {
        max_sats_per_day: 100,
        max_calls_per_minute: 3,
        ..config(profile)
    };
    let fixture = Fixture::new(limited, None).await;
    assert_json_snapshot!("charge_not_authenticated", fixture.charge(1).await);
    fixture.log_in().await;
    assert_json_snapshot!("charge_ok", fixture.charge(40).await);
    assert_json_snapshot!("charge_budget_exceeded", fixture.charge(61).await);
    for _ in 0..2 {
        let args = json!({"callCostSats": 1});
        fixture.agent.ok("liveauth_mcp_charge", args).await;
    }
    // The hosted API reports maxCallsPerMinute but never denies a charge for it.
    if profile == Profile::Strict {
        assert_json_snapshot!("charge_rate_limited", fixture.charge(1).await);
    }
    assert_json_snapshot!("charge_invalid_argument", fixture.charge(-1).await);
}

/// liveauth_mcp_status: pending PoW, paid Lightning, confirmed, unknown quote.
async fn status(profile: Profile) {
    let _snapshots = per_profile(profile);
    let status = "liveauth_mcp_status";
    let fixture = Fixture::new(config(profile), Some(KEY)).await;
    let (quote_id, _) = fixture.pow_quote().await;
    let pow = json!({ "quoteId": quote_id });
    fixture.snap("status_pow_pending", status, pow).await;
    let (ln_quote, invoice) = fixture.lightning_quote().await;
    fixture
        .settle(invoice["paymentHash"].as_str().unwrap())
        .await;
    let paid = json!({ "quoteId": ln_quote });
    fixture.snap("status_lightning_paid", status, paid).await;
    let unknown = json!({"quoteId": "no-such-quote"});
    fixture.snap("status_unknown_quote", status, unknown).await;
}

/// liveauth_mcp_lnurl: checked invoice, a PoW quote, a quote not started here.
async fn lnurl(profile: Profile) {
    let _snapshots = per_profile(profile);
    let lnurl = "liveauth_mcp_lnurl";
    let fixture = Fixture::new(config(profile), Some(KEY)).await;
    let (ln_quote, _) = fixture.lightning_quote().await;
    fixture
        .snap("lnurl_ok", lnurl, json!({ "quoteId": ln_quote }))
        .await;
    let (pow_quote, _) = fixture.pow_quote().await;
    let pow = json!({ "quoteId": pow_quote });
    fixture.snap("lnurl_pow_quote", lnurl, pow).await;
    let elsewhere = json!({"quoteId": "someone-elses-quote"});
    fixture
        .snap("lnurl_quote_not_started_here", lnurl, elsewhere)
        .await;
}

/// liveauth_mcp_lnurl of an API (wiremock) whose lnurl invoice asks for more than the
/// quote said: refused by the cross-check, whatever the API.
#[tokio::test]
async fn lnurl_invoice_fails_cross_check() {
    let lnurl = "liveauth_mcp_lnurl";
    // A real BOLT11 for 50 sats, quoted as 21 sats.
    let preimage = [4u8; 32];
    let payment_hash = mock_api::lightning::payment_hash(&preimage);
    // 2050-01-01: payable for the server's clock.
    let bolt11 = mock::invoice(50, payment_hash, u64::try_from(START).unwrap()).unwrap();
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
                "paymentHash": encode_hex(&payment_hash)
            }
        })))
        .mount(&api)
        .await;
    Mock::given(method("GET"))
        .and(path_regex("^/api/mcp/lnurl/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"pr": bolt11, "routes": []})))
        .mount(&api)
        .await;
    let agent = common::connect_with_clock(
        &api.uri(),
        Some(KEY),
        Duration::from_secs(5),
        Clock::from_fn(|| START),
    )
    .await;
    agent
        .ok("liveauth_mcp_start", json!({"forceLightning": true}))
        .await;
    let result = agent.call_json(lnurl, json!({ "quoteId": quote })).await;
    assert_json_snapshot!(
        "lnurl_invoice_fails_cross_check",
        text_as_structured(result)
    );
}

/// liveauth_mcp_usage: a session's usage, and not authenticated.
async fn usage(profile: Profile) {
    let _snapshots = per_profile(profile);
    let usage = "liveauth_mcp_usage";
    let fixture = Fixture::logged_out(profile, usage).await;
    fixture.log_in().await;
    fixture
        .agent
        .ok("liveauth_mcp_charge", json!({"callCostSats": 7}))
        .await;
    fixture.snap("usage_ok", usage, json!({})).await;
}

/// liveauth_mcp_refresh: rotated, not authenticated, invalid token, reused token.
async fn refresh(profile: Profile) {
    let _snapshots = per_profile(profile);
    let refresh = "liveauth_mcp_refresh";
    let fixture = Fixture::logged_out(profile, refresh).await;
    let (quote_id, challenge) = fixture.pow_quote().await;
    let nonce = solve_challenge(&challenge);
    let solved = json!({"quoteId": quote_id, "nonce": nonce});
    let confirmed = fixture.agent.ok("liveauth_mcp_confirm", solved).await;
    let first = confirmed["refreshToken"].as_str().unwrap().to_owned();
    fixture.snap("refresh_ok", refresh, json!({})).await;
    let invalid = json!({"refreshToken": "la_rt_not-a-real-token"});
    fixture
        .snap("refresh_invalid_token", refresh, invalid)
        .await;
    let reused = json!({ "refreshToken": first });
    fixture.snap("refresh_reused_token", refresh, reused).await;
}

/// liveauth_mcp_authenticate: PoW in one call, Lightning returning the invoice to pay,
/// and API unreachable.
async fn authenticate(profile: Profile) {
    let _snapshots = per_profile(profile);
    let authenticate = "liveauth_mcp_authenticate";
    let fixture = Fixture::new(config(profile), None).await;
    assert_solve_snapshot!(
        "authenticate_pow",
        fixture.call(authenticate, json!({})).await
    );
    let keyed = Fixture::new(config(profile), Some(KEY)).await;
    let lightning = json!({"forceLightning": true});
    let pending = "authenticate_lightning_payment_pending";
    keyed.snap(pending, authenticate, lightning).await;
}

/// liveauth_mcp_l402_bundle and the sessions it buys: nothing bought yet, the invoice to
/// pay, still unpaid, claimed; `start {forceL402}`, a forged macaroon refused (nothing
/// spent) and a session on the kept one; a tier that does not exist.
async fn l402_bundle(profile: Profile) {
    let _snapshots = per_profile(profile);
    let bundle = "liveauth_mcp_l402_bundle";
    let fixture = Fixture::new(config(profile), Some(KEY)).await;
    fixture
        .snap("l402_bundle_nothing_bought", bundle, json!({}))
        .await;
    let pay = fixture.call(bundle, json!({"tier": "starter"})).await;
    assert_json_snapshot!("l402_bundle_pay", pay);
    fixture.snap("l402_bundle_unpaid", bundle, json!({})).await;
    let hash = pay["structuredContent"]["paymentHash"].as_str().unwrap();
    fixture.settle(hash).await;
    fixture.snap("l402_bundle_claimed", bundle, json!({})).await;
    let start = fixture
        .call("liveauth_mcp_start", json!({"forceL402": true}))
        .await;
    assert_json_snapshot!("start_force_l402", start);
    let quote_id = &start["structuredContent"]["quoteId"];
    let forged = json!({"quoteId": quote_id, "macaroon": "eyJraWQiOiJ4In0.AAAA"});
    let confirm = "liveauth_mcp_confirm";
    fixture
        .snap("confirm_forged_macaroon", confirm, forged)
        .await;
    let kept = json!({"quoteId": quote_id});
    fixture.snap("confirm_kept_macaroon", confirm, kept).await;
    let gold = json!({"tier": "gold"});
    fixture
        .snap("l402_bundle_invalid_argument", bundle, gold)
        .await;
}

/// Caller funding (LiveAuth 1.3): the unfunded charge's `payment_required`, the payment
/// pending then paid, the charge booked then repeated (`duplicate`), another call under
/// the same key, an unknown payment, and a payment confirm without a session.
async fn caller_funding(profile: Profile) {
    let _snapshots = per_profile(profile);
    let confirm = "liveauth_mcp_payment_confirm";
    let fixture = Fixture::new(config(profile), None).await;
    let unknown = json!({"paymentId": "00000000-0000-4000-8000-000000000000"});
    fixture
        .snap(
            "payment_confirm_not_authenticated",
            confirm,
            unknown.clone(),
        )
        .await;
    fixture.log_in().await;
    let charge = "liveauth_mcp_charge";
    let call = |url: &str| {
        json!({
            "fundingMode": "caller", "callCostSats": 2, "idempotencyKey": "call-1",
            "requestArguments": {"url": url},
        })
    };
    let asked = fixture.call(charge, call("https://example.com")).await;
    assert_json_snapshot!("charge_payment_required", asked);
    let asked = &asked["structuredContent"];
    let payment = json!({"paymentId": asked["payment"]["paymentId"]});
    fixture
        .snap("payment_confirm_pending", confirm, payment.clone())
        .await;
    fixture
        .settle(asked["decoded"]["paymentHash"].as_str().unwrap())
        .await;
    fixture.snap("payment_confirm_paid", confirm, payment).await;
    let booked = call("https://example.com");
    fixture
        .snap("charge_caller_booked", charge, booked.clone())
        .await;
    fixture
        .snap("charge_caller_duplicate", charge, booked)
        .await;
    fixture
        .snap(
            "charge_idempotency_conflict",
            charge,
            call("https://example.org"),
        )
        .await;
    fixture
        .snap("payment_confirm_not_found", confirm, unknown)
        .await;
}

/// Every tool that talks to the API, against an API where nothing listens: the same in
/// every profile.
#[tokio::test]
async fn api_unreachable() {
    snap_unreachable("start_api_unreachable", "liveauth_mcp_start", json!({})).await;
    // A complete seed-style confirm: nothing is missing, so only the API can refuse it.
    let full = json!({
        "quoteId": "00000000-0000-4000-8000-000000000000", "challengeHex": "ab".repeat(16),
        "nonce": 1, "expiresAtUnix": START + 300, "difficultyBits": 8, "signature": "sig"
    });
    snap_unreachable("confirm_api_unreachable", "liveauth_mcp_confirm", full).await;
    let authenticate = "liveauth_mcp_authenticate";
    snap_unreachable("authenticate_api_unreachable", authenticate, json!({})).await;
}

liveauth_testkit::on_both_profiles!(
    start,
    solve_tool,
    confirm,
    charge,
    status,
    lnurl,
    usage,
    refresh,
    authenticate,
    l402_bundle,
    caller_funding,
);

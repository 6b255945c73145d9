//! Every tool through a real MCP client, against the real mock API: success results
//! (structured content that conforms to the output schema) and the main error paths.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a panic is a failed test

mod common;

use common::{DEMO_KEY, Harness, PROJECT_KEY, Profile, mock_config};
use liveauth_protocol::codec::{decode_hash32_any, encode_hex};
use liveauth_testkit::mock::hosted_or_strict;
use liveauth_testkit::proxy::LossyProxy;
use mock_api::config::PaymentHashEncoding;
use serde_json::{Value, json};
use sha2::Digest as _;

const TOOLS: [&str; 11] = [
    "liveauth_mcp_authenticate",
    "liveauth_mcp_charge",
    "liveauth_mcp_confirm",
    "liveauth_mcp_l402_bundle",
    "liveauth_mcp_lnurl",
    "liveauth_mcp_payment_confirm",
    "liveauth_mcp_refresh",
    "liveauth_mcp_solve",
    "liveauth_mcp_start",
    "liveauth_mcp_status",
    "liveauth_mcp_usage",
];

/// The server names itself, explains the flows, and lists the eleven tools with input and
/// output schemas, descriptions and honest annotations.
#[tokio::test]
async fn server_info_and_tool_list() {
    let h = Harness::new(Profile::Strict).await;
    let info = h.client.peer_info().unwrap();
    let server = info.server_info.as_ref().unwrap();
    assert_eq!(server.name, "liveauth-mcp");
    assert_eq!(server.version, env!("CARGO_PKG_VERSION"));
    assert!(
        info.instructions
            .as_deref()
            .unwrap()
            .contains("liveauth_mcp_authenticate")
    );

    let tools = h.client.list_all_tools().await.unwrap();
    let mut names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    names.sort_unstable();
    assert_eq!(names, TOOLS);
    for tool in &tools {
        assert!(
            tool.description.as_deref().is_some_and(|d| d.len() > 40),
            "{}",
            tool.name
        );
        assert_eq!(
            tool.input_schema.get("type"),
            Some(&json!("object")),
            "{}",
            tool.name
        );
        assert!(tool.output_schema.is_some(), "{}", tool.name);
        let a = tool.annotations.clone().unwrap();
        let read_only = matches!(
            tool.name.as_ref(),
            "liveauth_mcp_status"
                | "liveauth_mcp_lnurl"
                | "liveauth_mcp_usage"
                | "liveauth_mcp_solve"
        );
        assert_eq!(a.read_only_hint, Some(read_only), "{}", tool.name);
        if read_only {
            assert_eq!(a.idempotent_hint, Some(true), "{}", tool.name);
        }
        assert_eq!(
            a.open_world_hint,
            Some(tool.name != "liveauth_mcp_solve"),
            "{}",
            tool.name
        );
        assert_eq!(a.destructive_hint, Some(false), "{}", tool.name);
    }
    let confirm = h.tool("liveauth_mcp_confirm").await;
    let props = confirm.input_schema.get("properties").unwrap();
    for field in
        "quoteId challengeHex nonce hashHex expiresAtUnix difficultyBits signature".split(' ')
    {
        assert!(props.get(field).is_some(), "confirm input lacks {field}");
    }
    assert_eq!(
        confirm.input_schema.get("required"),
        Some(&json!(["quoteId"]))
    );
}

/// The seed's PoW flow, step by step: start, solve, confirm, charge, usage, refresh, status.
async fn pow_flow_step_by_step(profile: Profile) {
    let h = Harness::new(profile).await;
    let start = h.ok("liveauth_mcp_start", json!({})).await;
    let quote_id = start["quoteId"].as_str().unwrap();
    assert_eq!(start["invoice"], Value::Null);
    assert_eq!(start["powChallenge"]["projectPublicKey"], "la_pk_demo");

    let solved = h
        .ok("liveauth_mcp_solve", json!({"quoteId": quote_id}))
        .await;
    assert_eq!(solved["quoteId"], quote_id);
    let nonce = solved["nonce"].as_u64().unwrap();
    let challenge = &start["powChallenge"];
    let message = format!(
        "{}:{}:{nonce}",
        challenge["projectPublicKey"].as_str().unwrap(),
        challenge["challengeHex"].as_str().unwrap()
    );
    let hash = encode_hex(&sha2::Sha256::digest(message));
    assert_eq!(solved["hashHex"], hash);
    assert!(hash.starts_with("00"), "10 bits: {hash}");
    assert!(solved["hashesTried"].as_u64().unwrap() >= 1);

    // Everything but the quote id is filled in from the quote and the solve.
    let confirm = h
        .ok("liveauth_mcp_confirm", json!({"quoteId": quote_id}))
        .await;
    assert!(confirm["jwt"].as_str().unwrap().starts_with("eyJ"));
    assert_eq!(confirm["expiresIn"], 600);
    assert_eq!(confirm["paymentStatus"], Value::Null);

    h.first_charge(5).await;
    let usage = h.ok("liveauth_mcp_usage", json!({})).await;
    assert_eq!(
        (&usage["satsUsed"], &usage["remainingBudgetSats"]),
        (&json!(5), &json!(9995))
    );

    let first_refresh = confirm["refreshToken"].as_str().unwrap();
    let refreshed = h.ok("liveauth_mcp_refresh", json!({})).await;
    assert_eq!(refreshed["remainingBudgetSats"], 9995);
    assert_ne!(refreshed["jwt"], confirm["jwt"]);
    // The hosted API retires the previous JWT on refresh (its usage answers 404 `No active
    // session found`, as production does); strict lets it run out.
    let old_jwt = reqwest::Client::new()
        .get(format!("{}/api/mcp/usage", h.base))
        .bearer_auth(confirm["jwt"].as_str().unwrap())
        .header("X-LW-Public", DEMO_KEY)
        .send()
        .await
        .unwrap()
        .status();
    let expected = hosted_or_strict(profile, 404, 200);
    assert_eq!(old_jwt, expected);
    // The server uses the new one.
    let usage = h.ok("liveauth_mcp_usage", json!({})).await;
    assert_eq!(usage["satsUsed"], 5);
    let reused = h
        .call(
            "liveauth_mcp_refresh",
            json!({"refreshToken": first_refresh}),
        )
        .await;
    match profile {
        // Not rotated: the answer names no new refresh token and the first one still works.
        Profile::Hosted => {
            assert_eq!(refreshed.get("refreshToken"), None, "{refreshed}");
            assert_eq!(reused.is_error, Some(false), "{}", common::text(&reused));
        }
        // Rotated: the old refresh token is dead (and presenting it revokes the family).
        Profile::Strict => {
            assert_ne!(refreshed["refreshToken"].as_str().unwrap(), first_refresh);
            let text = common::text(&reused);
            assert!(text.contains("invalid_grant"), "{text}");
        }
    }

    let status = h
        .ok("liveauth_mcp_status", json!({"quoteId": quote_id}))
        .await;
    assert_eq!(status["status"], "confirmed");
}

/// The explicit seed-style confirm with every field, including `nonce` as a number.
async fn confirm_with_all_fields_as_the_seed_documents(profile: Profile) {
    let h = Harness::new(profile).await;
    let start = h.ok("liveauth_mcp_start", json!({})).await;
    let solved = h.ok("liveauth_mcp_solve", json!({})).await;
    let c = &start["powChallenge"];
    let confirm = h
        .ok(
            "liveauth_mcp_confirm",
            json!({
                "quoteId": start["quoteId"],
                "challengeHex": c["challengeHex"],
                "nonce": solved["nonce"],
                "hashHex": solved["hashHex"],
                "expiresAtUnix": c["expiresAtUnix"],
                "difficultyBits": c["difficultyBits"],
                "signature": c["signature"],
            }),
        )
        .await;
    assert!(confirm["jwt"].is_string());
    let again = h
        .err("liveauth_mcp_confirm", json!({"quoteId": start["quoteId"]}))
        .await;
    let refusal = hosted_or_strict(
        profile,
        "400 (Bad Request): Session not pending",
        "already_confirmed",
    );
    assert!(again.contains(refusal), "{again}");
    assert!(again.contains("liveauth_mcp_start"), "{again}");
}

/// One call does start + solve + confirm; charge and usage then work with no token.
async fn authenticate_then_charge(profile: Profile) {
    let h = Harness::new(profile).await;
    let auth = h.ok("liveauth_mcp_authenticate", json!({})).await;
    assert_eq!(auth["method"], "pow");
    assert!(auth["jwt"].is_string() && auth["refreshToken"].is_string());
    assert!(auth["solve"]["hashesPerSecond"].as_u64().is_some());
    let charge = h
        .ok("liveauth_mcp_charge", json!({"callCostSats": 1}))
        .await;
    assert_eq!(charge["status"], "ok");
}

/// Lightning: the invoice is checked and decoded; after the (simulated) payment the
/// status is paid, confirm gives the JWT, and it pays for a call.
async fn lightning_flow(profile: Profile) {
    lightning_flow_with(profile, PaymentHashEncoding::Hex).await;
}

/// The same against the older hosted backend, whose `paymentHash` is LND's base64
/// `r_hash`: the server compares it with the BOLT11's hash as the 32 bytes it encodes.
async fn lightning_flow_with_base64_payment_hashes(profile: Profile) {
    lightning_flow_with(profile, PaymentHashEncoding::Base64).await;
}

async fn lightning_flow_with(profile: Profile, encoding: PaymentHashEncoding) {
    let config = mock_api::Config {
        payment_hash_encoding: encoding,
        ..mock_config(profile)
    };
    let h = Harness::with(config, Some(PROJECT_KEY)).await;
    let start = h
        .ok("liveauth_mcp_start", json!({"forceLightning": true}))
        .await;
    let quote_id = start["quoteId"].as_str().unwrap();
    let invoice = &start["invoice"];
    // The hosted invoice adds its fee (200 bp, at least 1 sat) to the 21-sat price.
    let amount = hosted_or_strict(profile, 22, 21);
    assert_eq!(invoice["amountSats"], amount);

    let lnurl = h
        .ok("liveauth_mcp_lnurl", json!({"quoteId": quote_id}))
        .await;
    assert_eq!(lnurl["pr"], invoice["bolt11"]);
    assert_eq!(lnurl["routes"], json!([]));
    assert_eq!(lnurl["decoded"]["amountSats"], amount);
    let quoted_hash = invoice["paymentHash"].as_str().unwrap();
    let hash = decode_hash32_any(quoted_hash).unwrap();
    assert_eq!(quoted_hash, encoding.encode(&hash));
    assert_eq!(lnurl["decoded"]["paymentHash"], encode_hex(&hash));
    assert_eq!(lnurl["decoded"]["network"], "regtest");

    let pending = h
        .ok("liveauth_mcp_confirm", json!({"quoteId": quote_id}))
        .await;
    assert_eq!(
        (&pending["jwt"], &pending["paymentStatus"]),
        (&Value::Null, &json!("pending"))
    );

    // Pay it through the mock's dev endpoint, as a wallet would.
    let settle = reqwest::Client::new()
        .post(format!("{}/api/dev/settle/{}", h.base, encode_hex(&hash)))
        .send()
        .await
        .unwrap();
    assert!(settle.status().is_success());
    let status = h
        .ok("liveauth_mcp_status", json!({"quoteId": quote_id}))
        .await;
    assert_eq!(status["paymentStatus"], "paid");
    let confirm = h
        .ok("liveauth_mcp_confirm", json!({"quoteId": quote_id}))
        .await;
    assert_eq!(confirm["paymentStatus"], "paid");
    assert!(confirm["jwt"].is_string());
    h.first_charge(2).await;
}

/// Lightning in one call: the demo invoice settles by itself, so waiting gets a JWT.
async fn authenticate_with_lightning_waits_for_payment(profile: Profile) {
    let h = Harness::new(profile).await;
    let pending = h
        .ok("liveauth_mcp_authenticate", json!({"forceLightning": true}))
        .await;
    assert_eq!(pending["paymentStatus"], "pending");
    let amount = hosted_or_strict(profile, 4, 3); // hosted: 3 sats and the 1-sat minimum fee
    assert_eq!(pending["invoice"]["decoded"]["amountSats"], amount);
    assert!(
        pending["nextStep"]
            .as_str()
            .unwrap()
            .contains("liveauth_mcp_confirm")
    );
    let paid = h
        .ok(
            "liveauth_mcp_authenticate",
            json!({"forceLightning": true, "waitForPaymentSeconds": 5}),
        )
        .await;
    assert_eq!(paid["paymentStatus"], "paid");
    assert!(paid["jwt"].is_string());
}

/// Errors are `isError` results with a message an agent can act on, never JSON-RPC errors.
async fn errors_are_tool_results(profile: Profile) {
    let h = Harness::with(mock_config(profile), Some(PROJECT_KEY)).await;
    let text = h
        .err("liveauth_mcp_charge", json!({"callCostSats": 1}))
        .await;
    assert!(
        text.starts_with("not authenticated: call liveauth_mcp_authenticate"),
        "{text}"
    );
    let text = h.err("liveauth_mcp_usage", json!({})).await;
    assert!(text.starts_with("not authenticated"), "{text}");

    // Bad arguments name the field; an unknown quote names the API's answer.
    for (tool, arguments, says) in [
        (
            "liveauth_mcp_charge",
            json!({"callCostSats": "five"}),
            "`callCostSats`",
        ),
        (
            "liveauth_mcp_charge",
            json!({"idempotencyKey": "two words"}),
            "`idempotencyKey`",
        ),
        (
            "liveauth_mcp_charge",
            json!({"requestHash": "abc"}),
            "`requestHash`: 64 hex digits",
        ),
        (
            "liveauth_mcp_charge",
            json!({"requestHash": "0".repeat(64), "requestArguments": {}}),
            "is not the hash of `requestArguments`",
        ),
        (
            "liveauth_mcp_charge",
            json!({"fundingMode": "caller"}),
            "request_binding_required",
        ),
        (
            "liveauth_mcp_confirm",
            json!({"quoteId": "q", "nonce": "05"}),
            "`nonce`",
        ),
        (
            "liveauth_mcp_status",
            json!({"quoteId": "no-such-quote"}),
            hosted_or_strict(
                profile,
                "400 (Bad Request): Invalid quoteId",
                "404 quote_not_found",
            ),
        ),
    ] {
        let text = h.err(tool, arguments).await;
        assert!(text.contains(says), "{tool}: {text}");
    }

    // A wrong nonce is caught locally, with the reason.
    let start = h.ok("liveauth_mcp_start", json!({})).await;
    let quote_id = start["quoteId"].as_str().unwrap();
    let challenge_hex = &start["powChallenge"]["challengeHex"];
    let partial = json!({"quoteId": quote_id, "challengeHex": challenge_hex});
    let text = h.err("liveauth_mcp_confirm", partial).await;
    assert!(text.contains("liveauth_mcp_solve"), "{text}");
    let bad = (0u64..)
        .find(|&n| {
            let c = &start["powChallenge"];
            let target = liveauth_protocol::pow::target_from_bits(10).unwrap();
            !liveauth_protocol::pow::verify_solution(
                c["projectPublicKey"].as_str().unwrap(),
                c["challengeHex"].as_str().unwrap(),
                n,
                &target,
            )
        })
        .unwrap();
    let text = h
        .err(
            "liveauth_mcp_confirm",
            json!({"quoteId": quote_id, "nonce": bad}),
        )
        .await;
    assert!(text.contains("does not solve the challenge"), "{text}");
    let text = h
        .err("liveauth_mcp_lnurl", json!({"quoteId": quote_id}))
        .await;
    assert!(text.contains("proof-of-work quote"), "{text}");

    let text = h
        .err(
            "liveauth_mcp_refresh",
            json!({"refreshToken": "la_rt_bogus"}),
        )
        .await;
    let refusal = hosted_or_strict(
        profile,
        "401 (Unauthorized): Invalid refresh token",
        "invalid_grant",
    );
    assert!(text.contains(refusal), "{text}");
    // The server is still fine.
    h.ok("liveauth_mcp_authenticate", json!({})).await;
}

/// A budget deny is an error that keeps the deny shape in structured content.
async fn budget_deny_keeps_its_shape(profile: Profile) {
    let h = Harness::with(
        mock_api::Config {
            max_sats_per_day: 10,
            ..mock_config(profile)
        },
        None,
    )
    .await;
    h.ok("liveauth_mcp_authenticate", json!({})).await;
    h.ok("liveauth_mcp_charge", json!({"callCostSats": 8}))
        .await;
    let result = h
        .call("liveauth_mcp_charge", json!({"callCostSats": 3}))
        .await;
    assert_eq!(result.is_error, Some(true));
    let deny = result.structured_content.clone().unwrap();
    assert_eq!(deny["status"], "deny");
    assert_eq!(deny["reason"], "budget_exceeded");
    assert_eq!(deny["satsUsed"], 8);
    assert!(common::text(&result).contains("charge denied (budget_exceeded)"));
}

/// An API that is not there is named, with the cause.
#[tokio::test]
async fn unreachable_api() {
    let free = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", free.local_addr().unwrap());
    drop(free);
    let h = Harness::connect(&base, None).await;
    let text = h.err("liveauth_mcp_start", json!({})).await;
    assert!(text.contains(&base), "{text}");
    assert!(text.contains("LIVEAUTH_API_BASE"), "{text}");
}

/// A JWT about to expire is refreshed by the server before charging: afterwards the
/// original refresh token has been rotated away (strict: presenting it is
/// `invalid_grant`) or is still the session's (hosted: it refreshes again).
async fn expired_jwt_is_refreshed_by_itself(profile: Profile) {
    let (h, clock) = short_lived_jwts(profile).await;
    let auth = h.ok("liveauth_mcp_authenticate", json!({})).await;
    assert_eq!(auth["expiresIn"], 1);
    // Past the token's second of life: the next call finds it stale (and the API expired).
    clock.advance(2).unwrap();
    let charge = h
        .ok("liveauth_mcp_charge", json!({"callCostSats": 2}))
        .await;
    assert_eq!(charge["satsUsed"], 2);
    let usage = h.ok("liveauth_mcp_usage", json!({})).await;
    assert_eq!(usage["satsUsed"], 2);
    let first = auth["refreshToken"].as_str().unwrap();
    let again = h
        .call("liveauth_mcp_refresh", json!({"refreshToken": first}))
        .await;
    match profile {
        // Hosted refresh tokens are not rotated: the first one still refreshes.
        Profile::Hosted => assert_eq!(again.is_error, Some(false), "{}", common::text(&again)),
        Profile::Strict => {
            let text = common::text(&again);
            assert!(text.contains("invalid_grant"), "{text}");
        }
    }
}

/// Parallel calls that all find the JWT stale refresh one after another, so none of them
/// presents a superseded refresh token (which would revoke the session).
async fn parallel_calls_with_a_stale_jwt_keep_the_session(profile: Profile) {
    let (h, clock) = short_lived_jwts(profile).await;
    h.ok("liveauth_mcp_authenticate", json!({})).await;
    clock.advance(2).unwrap();
    let (a, b, c, d) = tokio::join!(
        h.call("liveauth_mcp_charge", json!({"callCostSats": 1})),
        h.call("liveauth_mcp_charge", json!({"callCostSats": 1})),
        h.call("liveauth_mcp_usage", json!({})),
        h.call("liveauth_mcp_charge", json!({"callCostSats": 1})),
    );
    for result in [a, b, c, d] {
        assert_eq!(result.is_error, Some(false), "{}", common::text(&result));
    }
    let usage = h.ok("liveauth_mcp_usage", json!({})).await;
    assert_eq!(usage["satsUsed"], 3);
}

/// An agent that is handed a refresh token (another agent's session) keeps using it: its
/// own stale JWT is later refreshed with that token, whether or not the API rotates it.
async fn a_passed_refresh_token_becomes_the_sessions(profile: Profile) {
    let (h, clock) = short_lived_jwts(profile).await;
    let auth = h.ok("liveauth_mcp_authenticate", json!({})).await;
    let token = auth["refreshToken"].as_str().unwrap();
    let other = Harness::sharing_clock(&h.base, None, &clock).await;
    other
        .ok("liveauth_mcp_refresh", json!({ "refreshToken": token }))
        .await;
    // Once its 1-second JWT is stale, the charge refreshes with the kept token.
    clock.advance(2).unwrap();
    let charge = other
        .ok("liveauth_mcp_charge", json!({"callCostSats": 2}))
        .await;
    assert_eq!(charge["satsUsed"], 2);
}

/// A mock whose access tokens live one second, on a manual clock the server shares: a
/// test advances it to make the tokens stale.
async fn short_lived_jwts(profile: Profile) -> (Harness, common::MockClock) {
    let config = mock_api::Config {
        jwt_ttl_secs: 1,
        ..mock_config(profile)
    };
    Harness::on_manual_clock(config, None).await
}

/// An authenticated agent whose charges reach a fresh mock through a proxy that loses the
/// first `lose` answers to `/api/mcp/charge` (and records every request).
async fn behind_a_lossy_proxy(
    profile: Profile,
    lose: usize,
    key: Option<&str>,
) -> (liveauth_mcp::embedded::EmbeddedMock, LossyProxy, Harness) {
    let mock = liveauth_mcp::embedded::EmbeddedMock::start(mock_config(profile))
        .await
        .unwrap();
    let proxy = LossyProxy::start(&mock.base_url, "/api/mcp/charge", lose)
        .await
        .unwrap();
    let h = Harness::connect(&proxy.base, key).await;
    h.ok("liveauth_mcp_authenticate", json!({})).await;
    (mock, proxy, h)
}

/// A charge whose answer is lost after the API counted it (the proxy forwards it, then
/// drops the connection) is retried once with the same idempotency key, in the body field
/// `idempotencyKey` and the header, and the API counts it once.
async fn retried_charge_is_counted_once(profile: Profile) {
    let (_mock, proxy, h) = behind_a_lossy_proxy(profile, 1, Some(PROJECT_KEY)).await;
    let charged = h
        .ok("liveauth_mcp_charge", json!({"callCostSats": 3}))
        .await;
    assert_eq!(
        (charged["callsUsed"].clone(), charged["satsUsed"].clone()),
        (json!(1), json!(3))
    );
    let usage = h.ok("liveauth_mcp_usage", json!({})).await;
    assert_eq!(
        (usage["callsUsed"].clone(), usage["satsUsed"].clone()),
        (json!(1), json!(3))
    );

    let charges: Vec<_> = proxy
        .seen()
        .into_iter()
        .filter(|seen| seen.path == "/api/mcp/charge")
        .collect();
    assert_eq!(charges.len(), 2);
    assert!(!charges[0].answered && charges[1].answered);
    let keys: Vec<(String, String)> = charges
        .iter()
        .map(|seen| {
            let body: Value = serde_json::from_slice(&seen.body).unwrap();
            let key = body["idempotencyKey"].as_str().unwrap().to_owned();
            (key, seen.header("idempotency-key").unwrap().to_owned())
        })
        .collect();
    assert_eq!(keys[0], keys[1]);
    assert_eq!(keys[0].0, keys[0].1);
    // A new call is a new charge: a fresh key, counted.
    let again = h
        .ok("liveauth_mcp_charge", json!({"callCostSats": 3}))
        .await;
    assert_eq!(again["callsUsed"], 2);
    let last = proxy.seen().pop().unwrap();
    let body: Value = serde_json::from_slice(&last.body).unwrap();
    assert_ne!(body["idempotencyKey"].as_str().unwrap(), keys[0].0);
}

/// Confirm with only the quote id solves the quote's challenge by itself (LiveAuth 1.1+).
async fn confirm_with_only_the_quote_solves_it(profile: Profile) {
    let h = Harness::new(profile).await;
    let start = h.ok("liveauth_mcp_start", json!({})).await;
    let quote_id = start["quoteId"].as_str().unwrap();
    let confirm = h
        .ok("liveauth_mcp_confirm", json!({"quoteId": quote_id}))
        .await;
    assert!(
        confirm["jwt"].as_str().unwrap().starts_with("eyJ"),
        "{confirm}"
    );
    h.first_charge(1).await;
    let status = h
        .ok("liveauth_mcp_status", json!({"quoteId": quote_id}))
        .await;
    assert_eq!(status["status"], "confirmed");
}

/// The agent's idempotency key is used as is and makes a retry safe; `requestArguments`
/// become the §6.5 `requestHash`; no `callCostSats` is the tool's default price (hosted).
async fn agent_keys_and_request_hashes_reach_the_api(profile: Profile) {
    let (_mock, proxy, h) = behind_a_lossy_proxy(profile, 0, None).await;
    let arguments = json!({
        "callCostSats": 2,
        "idempotencyKey": "call-1.a_B",
        "requestArguments": {"url": "https://example.com"},
    });
    let url_hash = "5dc5c505a79bfc2eb22d0e45eff415c6ecf0c965c3d53d6e3e02c1bda74b0927";
    let first = h.ok("liveauth_mcp_charge", arguments.clone()).await;
    assert_eq!(
        (
            &first["ok"],
            &first["idempotencyKey"],
            &first["requestHash"]
        ),
        (&json!(true), &json!("call-1.a_B"), &json!(url_hash)),
        "{first}"
    );
    // The retry is booked once: the same counters and revenue event.
    let again = h.ok("liveauth_mcp_charge", arguments).await;
    assert_eq!(
        (
            &again["callsUsed"],
            &again["satsUsed"],
            &again["revenueEventId"]
        ),
        (&json!(1), &json!(2), &first["revenueEventId"])
    );
    // No cost: hosted books the anonymous tool's default price, 1 sat, under a key made
    // here; strict requires the field.
    match profile {
        Profile::Hosted => {
            let default = h.ok("liveauth_mcp_charge", json!({})).await;
            assert_eq!(
                (&default["callsUsed"], &default["satsUsed"]),
                (&json!(2), &json!(3))
            );
            assert_ne!(default["idempotencyKey"], first["idempotencyKey"]);
        }
        Profile::Strict => {
            let text = h.err("liveauth_mcp_charge", json!({})).await;
            assert!(text.contains("`callCostSats` is required"), "{text}");
        }
    }
    let bodies: Vec<Value> = proxy
        .seen()
        .into_iter()
        .filter(|seen| seen.path == "/api/mcp/charge")
        .map(|seen| serde_json::from_slice(&seen.body).unwrap())
        .collect();
    assert_eq!(
        bodies[0],
        json!({"callCostSats": 2, "idempotencyKey": "call-1.a_B", "requestHash": url_hash})
    );
    assert_eq!(bodies[1], bodies[0]);
    assert_eq!(bodies[2].get("callCostSats"), None);
}

/// A caller-funded charge goes only to an API that says it offers caller funding; the
/// mock does not (yet), so nothing is charged.
async fn caller_funding_needs_the_apis_word(profile: Profile) {
    // An API before LiveAuth 1.3: no capabilities, `fundingMode` ignored.
    let config = mock_api::Config {
        caller_funding: false,
        ..mock_config(profile)
    };
    let h = Harness::with(config, None).await;
    h.ok("liveauth_mcp_authenticate", json!({})).await;
    let arguments = json!({"fundingMode": "caller", "requestArguments": {}, "callCostSats": 2});
    let text = h.err("liveauth_mcp_charge", arguments).await;
    assert!(text.contains("caller_funding_unavailable"), "{text}");
    let usage = h.ok("liveauth_mcp_usage", json!({})).await;
    assert_eq!(
        (&usage["callsUsed"], &usage["satsUsed"]),
        (&json!(0), &json!(0))
    );
}

liveauth_testkit::on_both_profiles!(
    pow_flow_step_by_step,
    confirm_with_all_fields_as_the_seed_documents,
    authenticate_then_charge,
    lightning_flow,
    lightning_flow_with_base64_payment_hashes,
    authenticate_with_lightning_waits_for_payment,
    errors_are_tool_results,
    budget_deny_keeps_its_shape,
    expired_jwt_is_refreshed_by_itself,
    parallel_calls_with_a_stale_jwt_keep_the_session,
    retried_charge_is_counted_once,
    a_passed_refresh_token_becomes_the_sessions,
    confirm_with_only_the_quote_solves_it,
    agent_keys_and_request_hashes_reach_the_api,
    caller_funding_needs_the_apis_word,
);

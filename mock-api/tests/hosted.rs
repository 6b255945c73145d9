//! The hosted profile (the default), fact by fact (DESIGN §2/§3, facts §2 and §9): each
//! test asserts one hosted behaviour on the wire, and where strict differs, strict too.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a panic is a failed test

mod common;

use axum::http::StatusCode;
use common::{KEYED, TestApp, config, hosted, solved};
use liveauth_protocol::pow::TargetRule;
use mock_api::Profile;
use mock_api::profile::ChallengeSigning;
use serde_json::{Value, json};

/// `Config::default()` and the binary's `--profile` default are hosted.
#[test]
fn hosted_is_the_default_profile() {
    assert_eq!(mock_api::Config::default().profile, Profile::Hosted);
}

/// Without `X-LW-Public`, `POST /api/mcp/start` gives a real PoW challenge of the demo
/// project, and it confirms (facts §1.3.1, §2.3). Both profiles: it is the 1.1+ client
/// contract (docs/decisions.md).
#[tokio::test]
async fn keyless_start_gives_a_demo_pow_challenge_in_both_profiles() {
    for config in [hosted(), config()] {
        let profile = config.profile;
        let app = TestApp::with(config);
        let start = app.post("/api/mcp/start", &[], json!({})).await;
        assert_eq!(start.status, StatusCode::OK, "{profile}: {start:?}");
        let challenge = &start.body["powChallenge"];
        assert_eq!(challenge["projectPublicKey"], "la_pk_demo", "{profile}");
        assert_eq!(
            challenge["projectId"],
            app.state.demo_project().id,
            "{profile}"
        );
        let confirm = app.confirm(solved(&start.body)).await;
        assert_eq!(confirm.status, StatusCode::OK, "{profile}: {confirm:?}");
        assert!(confirm.body["jwt"].is_string(), "{profile}");
    }
}

/// `challengeHex` is 16 random bytes (32 lowercase hex) and `signature` the hosted hex
/// HMAC over `projectId:challengeHex:difficultyBits:expiresAtUnix` (facts §2.3).
#[tokio::test]
async fn hosted_challenge_is_32_hex_with_the_hosted_signature() {
    let app = TestApp::with(hosted());
    let start = app.start_pow().await;
    let c = &start["powChallenge"];
    let challenge_hex = c["challengeHex"].as_str().unwrap();
    assert_eq!(challenge_hex.len(), 32);
    assert!(
        challenge_hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    );
    let signature = c["signature"].as_str().unwrap();
    assert_eq!(signature.len(), 64);
    assert_eq!(signature, signature.to_lowercase());
    let ChallengeSigning::Hosted(signer) = &app.state.keys.challenges else {
        panic!("the hosted profile signs with the hosted signer");
    };
    let bits = u32::try_from(c["difficultyBits"].as_u64().unwrap()).unwrap();
    let expires = c["expiresAtUnix"].as_i64().unwrap();
    let project = c["projectId"].as_str().unwrap();
    assert_eq!(
        signer.sign(project, challenge_hex, bits, expires),
        signature,
        "the signature covers exactly projectId:challengeHex:bits:expiry"
    );
    // Upper-case hex is what the hosted verifier lowercases: it confirms.
    let mut body = solved(&start);
    body["sig"] = json!(signature.to_uppercase());
    assert_eq!(app.confirm_keyed(body).await.status, StatusCode::OK);
}

/// Strict keeps 64-hex challenges and its base64url MAC.
#[tokio::test]
async fn strict_challenge_keeps_64_hex_and_the_base64url_mac() {
    let app = TestApp::with(config());
    let start = app.start_pow().await;
    let c = &start["powChallenge"];
    assert_eq!(c["challengeHex"].as_str().unwrap().len(), 64);
    assert_eq!(c["signature"].as_str().unwrap().len(), 43);
}

/// `hashHex` is compared case-insensitively in hosted, lowercase only in strict.
#[tokio::test]
async fn hosted_hash_hex_is_compared_case_insensitively() {
    for (config, expected) in [
        (hosted(), StatusCode::OK),
        (config(), StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let profile = config.profile;
        let app = TestApp::with(config);
        let start = app.start_pow().await;
        let mut body = solved(&start);
        body["hashHex"] = json!(body["hashHex"].as_str().unwrap().to_uppercase());
        let answer = app.confirm_keyed(body).await;
        assert_eq!(answer.status, expected, "{profile}: {answer:?}");
    }
}

/// At hash == target the hosted rule accepts and the strict rule refuses (facts §2.4);
/// just below, both accept; just above, neither.
#[test]
fn hosted_accepts_hash_equal_to_target_and_strict_refuses_it() {
    let target = liveauth_protocol::pow::target_from_bits(8).unwrap();
    let mut below = target;
    below[31] -= 1;
    let mut above = target;
    above[0] = 1;
    assert_eq!(Profile::Hosted.target_rule(), TargetRule::AtMost);
    assert_eq!(Profile::Strict.target_rule(), TargetRule::Below);
    assert!(Profile::Hosted.target_rule().accepts(&target, &target));
    assert!(!Profile::Strict.target_rule().accepts(&target, &target));
    for profile in [Profile::Hosted, Profile::Strict] {
        assert!(profile.target_rule().accepts(&below, &target), "{profile}");
        assert!(!profile.target_rule().accepts(&above, &target), "{profile}");
    }
}

async fn jwt(app: &TestApp) -> String {
    app.session().await["jwt"].as_str().unwrap().to_owned()
}

async fn charge(app: &TestApp, jwt: &str, headers: &[(&str, &str)], body: Value) -> Value {
    let bearer = format!("Bearer {jwt}");
    let mut all = vec![("authorization", bearer.as_str())];
    all.extend_from_slice(headers);
    let answer = app.post("/api/mcp/charge", &all, body).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    answer.body
}

/// Hosted idempotency is the body field only: the same `idempotencyKey` books once and
/// the replay is 200 ok with the original amounts and the current counters; the
/// `Idempotency-Key` header is ignored (facts §2.5, §9.8).
#[tokio::test]
async fn hosted_idempotency_is_the_body_key_and_the_header_is_ignored() {
    let app = TestApp::with(hosted());
    let jwt = jwt(&app).await;
    let first = charge(
        &app,
        &jwt,
        &[],
        json!({"callCostSats": 2, "idempotencyKey": " k1 "}),
    )
    .await;
    assert_eq!(
        (first["callsUsed"].as_u64(), first["satsUsed"].as_u64()),
        (Some(1), Some(2))
    );
    let other = charge(&app, &jwt, &[], json!({"callCostSats": 3})).await;
    assert_eq!(other["satsUsed"], 5);
    // Trimmed, so "k1" is the same key; another cost is still the original charge.
    let replay = charge(
        &app,
        &jwt,
        &[],
        json!({"callCostSats": 9, "idempotencyKey": "k1"}),
    )
    .await;
    assert_eq!(replay["status"], "ok");
    assert_eq!(
        (replay["callsUsed"].as_u64(), replay["satsUsed"].as_u64()),
        (Some(2), Some(5))
    );
    // The header is not an idempotency key here: both charges book.
    for _ in 0..2 {
        charge(
            &app,
            &jwt,
            &[("idempotency-key", "h1")],
            json!({"callCostSats": 1}),
        )
        .await;
    }
    let usage = app
        .get(
            "/api/mcp/usage",
            &[("authorization", &format!("Bearer {jwt}"))],
        )
        .await;
    assert_eq!(usage.body["callsUsed"], 4);
    // Longer than 200 characters is refused.
    let long = "x".repeat(201);
    let bearer = format!("Bearer {jwt}");
    let refused = app
        .post(
            "/api/mcp/charge",
            &[("authorization", &bearer)],
            json!({"idempotencyKey": long}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
}

/// `callCostSats` is optional in hosted (the anonymous tool's price, 1 sat).
#[tokio::test]
async fn hosted_call_cost_defaults_to_one_sat() {
    let app = TestApp::with(hosted());
    let jwt = jwt(&app).await;
    let answer = charge(&app, &jwt, &[], json!({})).await;
    assert_eq!(
        (answer["callsUsed"].as_u64(), answer["satsUsed"].as_u64()),
        (Some(1), Some(1))
    );
}

/// Strict takes the header or the body key (the same charge either way); both given and
/// different is a 400.
#[tokio::test]
async fn strict_takes_header_or_body_idempotency_key_and_refuses_two_different() {
    let app = TestApp::with(config());
    let jwt = jwt(&app).await;
    charge(
        &app,
        &jwt,
        &[("idempotency-key", "k")],
        json!({"callCostSats": 2}),
    )
    .await;
    let replay = charge(
        &app,
        &jwt,
        &[],
        json!({"callCostSats": 2, "idempotencyKey": "k"}),
    )
    .await;
    assert_eq!(
        (replay["callsUsed"].as_u64(), replay["satsUsed"].as_u64()),
        (Some(1), Some(2))
    );
    let bearer = format!("Bearer {jwt}");
    let both = app
        .post(
            "/api/mcp/charge",
            &[("authorization", &bearer), ("idempotency-key", "a")],
            json!({"callCostSats": 1, "idempotencyKey": "b"}),
        )
        .await;
    assert_eq!(both.problem(), (400, "bad_request"));
}

/// Keyed requests still work in hosted.
#[tokio::test]
async fn hosted_keyed_start_names_the_project() {
    let app = TestApp::with(hosted());
    let start = app.post("/api/mcp/start", KEYED, json!({})).await;
    assert_eq!(
        start.body["powChallenge"]["projectPublicKey"],
        common::PROJECT_KEY
    );
}

/// Hosted refresh tokens are 32 hex and not rotated: the answer has no `refreshToken`,
/// the same token refreshes again, and each refresh retires the previous JWT (facts
/// §2.2, §2.6).
#[tokio::test]
async fn hosted_refresh_keeps_the_token_and_retires_the_jwt() {
    let app = TestApp::with(hosted());
    let session = app.session().await;
    let refresh_token = session["refreshToken"].as_str().unwrap();
    assert_eq!(refresh_token.len(), 32);
    assert!(refresh_token.bytes().all(|b| b.is_ascii_hexdigit()));
    let first_jwt = session["jwt"].as_str().unwrap();
    charge(&app, first_jwt, &[], json!({"callCostSats": 4})).await;

    let refreshed = app.refresh(refresh_token).await;
    assert_eq!(refreshed.status, StatusCode::OK, "{refreshed:?}");
    assert_eq!(
        common::keys(&refreshed.body),
        ["expiresIn", "jwt", "remainingBudgetSats"]
    );
    assert_eq!(refreshed.body["expiresIn"], 600);
    // The day window is not reset: the 4 sats stay spent.
    assert_eq!(refreshed.body["remainingBudgetSats"], 10_000 - 4);
    let second_jwt = refreshed.body["jwt"].as_str().unwrap().to_owned();

    let bearer = format!("Bearer {first_jwt}");
    let old = app
        .post("/api/mcp/charge", &[("authorization", &bearer)], json!({}))
        .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED, "{old:?}");
    charge(&app, &second_jwt, &[], json!({})).await;

    // Not rotated: the same refresh token works again, and retires the second JWT.
    let again = app.refresh(refresh_token).await;
    assert_eq!(again.status, StatusCode::OK, "{again:?}");
    let bearer = format!("Bearer {second_jwt}");
    let retired = app
        .post("/api/mcp/charge", &[("authorization", &bearer)], json!({}))
        .await;
    assert_eq!(retired.status, StatusCode::UNAUTHORIZED);
}

/// Strict rotates: a new `refreshToken` every time, and the previous JWT stays valid
/// until it expires.
#[tokio::test]
async fn strict_refresh_rotates_and_keeps_the_previous_jwt() {
    let app = TestApp::with(config());
    let session = app.session().await;
    let refreshed = app.refresh(session["refreshToken"].as_str().unwrap()).await;
    assert!(
        refreshed.body["refreshToken"]
            .as_str()
            .unwrap()
            .starts_with("la_rt_")
    );
    charge(
        &app,
        session["jwt"].as_str().unwrap(),
        &[],
        json!({"callCostSats": 1}),
    )
    .await;
}

/// `(status, content type, body text)` of an answer.
fn wire(answer: &common::Answer) -> (u16, String, String) {
    let content_type = answer.header("content-type").join(",");
    (
        answer.status.as_u16(),
        content_type,
        String::from_utf8(answer.raw.clone()).unwrap(),
    )
}

fn text(status: u16, body: &str) -> (u16, String, String) {
    (status, "text/plain; charset=utf-8".into(), body.into())
}

/// Confirm's refusals in the hosted controller's order and words (facts §2.4).
#[tokio::test]
async fn hosted_confirm_refusals_are_the_hosted_plain_texts() {
    let app = TestApp::with(hosted());
    let start = app.start_pow().await;
    let good = solved(&start);
    let with = |field: &str, value: Value| {
        let mut body = good.clone();
        body[field] = value;
        body
    };
    let without = |field: &str| {
        let mut body = good.clone();
        body.as_object_mut().unwrap().remove(field);
        body
    };
    let cases = [
        (
            with("quoteId", json!("not-a-guid")),
            text(400, "Invalid quoteId"),
        ),
        (
            with("challengeHex", json!("00".repeat(16))),
            text(400, "Challenge mismatch"),
        ),
        (without("sig"), text(400, "Missing PoW signed fields")),
        (
            without("difficultyBits"),
            text(400, "Missing PoW signed fields"),
        ),
        (
            with("sig", json!("ab".repeat(32))),
            text(401, "Invalid signature"),
        ),
        (without("nonce"), text(400, "Missing PoW solution")),
        (
            with("hashHex", json!("ab".repeat(32))),
            text(401, "Hash mismatch"),
        ),
        (
            with("nonce", json!(common::failing_nonce(&start)))
                .as_object()
                .map(|o| {
                    let mut o = o.clone();
                    o.remove("hashHex");
                    Value::Object(o)
                })
                .unwrap(),
            text(401, "Difficulty not met"),
        ),
        (
            without("challengeHex"),
            text(400, "No valid confirmation method provided"),
        ),
    ];
    for (body, expected) in cases {
        let answer = app.confirm_keyed(body.clone()).await;
        assert_eq!(wire(&answer), expected, "{body}");
    }
    assert_eq!(app.confirm_keyed(good.clone()).await.status, StatusCode::OK);
    assert_eq!(
        wire(&app.confirm_keyed(good).await),
        text(400, "Session not pending")
    );

    let expired = app.start_pow().await;
    app.advance(301).await;
    assert_eq!(
        wire(&app.confirm_keyed(solved(&expired)).await),
        text(400, "Challenge expired")
    );
}

/// Unknown quotes and body validation are ASP.NET problem+json (facts §9.3, §9.4).
#[tokio::test]
async fn hosted_bare_404_and_validation_are_aspnet_problems() {
    let app = TestApp::with(hosted());
    let unknown = "00000000-0000-4000-8000-000000000000";
    for answer in [
        app.confirm_keyed(json!({"quoteId": unknown})).await,
        app.get(&format!("/api/mcp/status/{unknown}"), &[]).await,
        app.get(&format!("/api/mcp/lnurl/{unknown}"), &[]).await,
    ] {
        assert_eq!(answer.status, StatusCode::NOT_FOUND);
        assert_eq!(
            answer.header("content-type"),
            ["application/problem+json; charset=utf-8"]
        );
        assert_eq!(answer.body["title"], "Not Found");
        assert_eq!(answer.body["status"], 404);
    }
    let missing = app.confirm_keyed(json!({})).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        missing.body["errors"]["QuoteId"][0],
        "The QuoteId field is required."
    );
    let refresh = app.post("/api/mcp/refresh", &[], json!({})).await;
    assert_eq!(
        refresh.body["errors"]["RefreshToken"][0],
        "The RefreshToken field is required."
    );
    let text_body = app
        .send(
            axum::http::Request::post("/api/mcp/confirm")
                .header("content-type", "text/plain")
                .body(axum::body::Body::from("x"))
                .unwrap(),
        )
        .await;
    assert_eq!(text_body.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(text_body.body["status"], 415);
    let jwt = jwt(&app).await;
    let bearer = format!("Bearer {jwt}");
    let zero = app
        .post(
            "/api/mcp/charge",
            &[("authorization", &bearer)],
            json!({"callCostSats": 0}),
        )
        .await;
    assert_eq!(zero.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        zero.body["errors"]["CallCostSats"][0],
        "CallCostSats must be positive"
    );
}

/// The key middleware's `{error, error_description}`, lnurl's, refresh's and the token
/// checks' texts (facts §2.1, §2.2, §2.6).
#[tokio::test]
async fn hosted_key_token_lnurl_and_refresh_errors() {
    let app = TestApp::with(hosted());
    let unknown = app.start_with_key("la_pk_nobody").await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        unknown.body,
        json!({"error": "invalid_api_key", "error_description": "Invalid public API key."})
    );
    let pow = app.start_pow().await;
    let quote = pow["quoteId"].as_str().unwrap();
    let lnurl = app.get(&format!("/api/mcp/lnurl/{quote}"), KEYED).await;
    assert_eq!(
        wire(&lnurl),
        text(400, "No Lightning invoice for this session")
    );
    let refresh = app.refresh("0123456789abcdef0123456789abcdef").await;
    assert_eq!(wire(&refresh), text(401, "Invalid refresh token"));
    let charge = app.post("/api/mcp/charge", &[], json!({})).await;
    assert_eq!(wire(&charge), text(401, "Missing projectId/jti"));
    let usage = app
        .get("/api/mcp/usage", &[("authorization", "Bearer not.a.jwt")])
        .await;
    assert_eq!(wire(&usage), text(401, "Missing projectId/jti"));

    // A refresh retires the JWT: charge says `Unknown token`, usage 404.
    let session = app.session().await;
    let old = format!("Bearer {}", session["jwt"].as_str().unwrap());
    app.refresh(session["refreshToken"].as_str().unwrap()).await;
    let charge = app
        .post("/api/mcp/charge", &[("authorization", &old)], json!({}))
        .await;
    assert_eq!(wire(&charge), text(401, "Unknown token"));
    let usage = app.get("/api/mcp/usage", &[("authorization", &old)]).await;
    assert_eq!(wire(&usage), text(404, "No active session found"));
}

/// The JWT is HS256 under the seed-derived secret with exactly the hosted claims, no
/// `kid` and no `typ: at+jwt` (facts §2.2, §9.5); there is no JWKS (404).
#[tokio::test]
async fn hosted_jwt_is_hs256_with_the_hosted_claims_and_no_jwks() {
    use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
    use mock_api::hosted_token::AccessTokens;

    let app = TestApp::with(hosted());
    let start = app.start_pow().await;
    let quote = start["quoteId"].as_str().unwrap().to_owned();
    let project = start["powChallenge"]["projectId"]
        .as_str()
        .unwrap()
        .to_owned();
    let confirm = app.confirm_keyed(solved(&start)).await;
    assert_eq!(confirm.body["expiresIn"], 600);
    assert_eq!(confirm.body["paymentStatus"], Value::Null);
    let jwt = confirm.body["jwt"].as_str().unwrap();

    let header = decode_header(jwt).unwrap();
    assert_eq!(header.alg, Algorithm::HS256);
    assert_eq!(header.kid, None);
    assert_ne!(header.typ.as_deref(), Some("at+jwt"));

    let AccessTokens::Hs256(issuer) = &app.state.keys.access else {
        panic!("hosted signs HS256");
    };
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&["LiveAuthUsers"]);
    validation.set_issuer(&["LiveAuth"]);
    validation.validate_exp = false;
    let claims = decode::<Value>(jwt, &DecodingKey::from_secret(issuer.secret()), &validation)
        .unwrap()
        .claims;
    let role = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role";
    let names = common::keys(&claims);
    let mut expected = vec![
        "aud",
        "authType",
        "exp",
        "iss",
        "jti",
        "mcpQuoteId",
        "projectId",
        role,
        "userId",
    ];
    expected.sort_unstable();
    assert_eq!(names, expected);
    assert_eq!(claims["userId"], format!("mcp:{project}:{quote}"));
    assert_eq!(claims[role], "McpClient");
    assert_eq!(claims["projectId"], project);
    assert_eq!(claims["authType"], "mcp_pow");
    assert_eq!(claims["mcpQuoteId"], quote);
    let jti = claims["jti"].as_str().unwrap();
    assert_eq!(jti.len(), 32);
    assert!(jti.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(claims["exp"], app.state.now() + 600);

    let refreshed = app
        .refresh(confirm.body["refreshToken"].as_str().unwrap())
        .await;
    let again = decode::<Value>(
        refreshed.body["jwt"].as_str().unwrap(),
        &DecodingKey::from_secret(issuer.secret()),
        &validation,
    )
    .unwrap()
    .claims;
    assert_eq!(again["authType"], "mcp_refresh");

    assert_eq!(
        app.get("/.well-known/jwks.json", &[]).await.status,
        StatusCode::NOT_FOUND
    );
    let strict = TestApp::with(config());
    assert_eq!(
        strict.get("/.well-known/jwks.json", &[]).await.status,
        StatusCode::OK
    );
}

/// No per-minute limit in hosted: more calls than `maxCallsPerMinute` in one minute all
/// book, and usage still reports the limit (facts §2.5).
#[tokio::test]
async fn hosted_has_no_per_minute_limit_but_reports_it() {
    let app = TestApp::with(mock_api::Config {
        max_calls_per_minute: 2,
        ..hosted()
    });
    let jwt = jwt(&app).await;
    for _ in 0..5 {
        let answer = charge(&app, &jwt, &[], json!({})).await;
        assert_eq!(answer["status"], "ok", "{answer}");
    }
    let usage = app
        .get(
            "/api/mcp/usage",
            &[("authorization", &format!("Bearer {jwt}"))],
        )
        .await;
    assert_eq!(usage.body["maxCallsPerMinute"], 2);
    assert_eq!(usage.body["callsUsed"], 5);
}

/// Times read back from the "database" carry no zone in hosted (facts §9.7):
/// `status.expiresAt`, `usage.expiresAt`, `dayWindowStart`; strict writes `Z`.
#[tokio::test]
async fn hosted_stored_times_are_written_without_a_zone() {
    let app = TestApp::with(hosted());
    let start = app.start_pow().await;
    let quote = start["quoteId"].as_str().unwrap();
    let status = app.get(&format!("/api/mcp/status/{quote}"), KEYED).await;
    assert_eq!(status.body["expiresAt"], "2026-01-01T00:05:00");
    let jwt = jwt(&app).await;
    let usage = app
        .get(
            "/api/mcp/usage",
            &[("authorization", &format!("Bearer {jwt}"))],
        )
        .await;
    assert_eq!(usage.body["dayWindowStart"], "2026-01-01T00:00:00");
    assert_eq!(usage.body["expiresAt"], "2026-01-02T00:00:00");
    for text in [&status.body["expiresAt"], &usage.body["expiresAt"]] {
        assert!(liveauth_protocol::time::parse_api_timestamp(text.as_str().unwrap()).is_some());
    }
    let strict = TestApp::with(config());
    let start = strict.start_pow().await;
    let quote = start["quoteId"].as_str().unwrap();
    let status = strict.get(&format!("/api/mcp/status/{quote}"), &[]).await;
    assert_eq!(status.body["expiresAt"], "2026-01-01T00:05:00Z");
}

/// The charge answer's hosted fields (facts §2.5): gross, a 500 bp platform fee of at
/// least 1 sat, net, a revenue event GUID kept on replay, and the anonymous tool. The
/// signed `receipt` is issue 13 and not written yet.
#[tokio::test]
async fn hosted_charge_answer_carries_fee_revenue_and_tool_fields() {
    let app = TestApp::with(hosted());
    let jwt = jwt(&app).await;
    let small = charge(
        &app,
        &jwt,
        &[],
        json!({"callCostSats": 5, "idempotencyKey": "a"}),
    )
    .await;
    assert_eq!(
        (
            small["grossSats"].as_u64(),
            small["platformFeeSats"].as_u64(),
            small["netSats"].as_u64()
        ),
        (Some(5), Some(1), Some(4))
    );
    assert_eq!(small["feeBasisPoints"], 500);
    assert_eq!(small["toolName"], "Anonymous Agent Call");
    assert_eq!(small["toolSlug"], "anonymous-agent-call");
    assert_eq!(small["toolId"].as_str().unwrap().len(), 36);
    let revenue = small["revenueEventId"].as_str().unwrap();
    assert_eq!(revenue.len(), 36);
    assert_eq!(small["receipt"]["version"], "mcp-call-receipt-v1");
    let big = charge(&app, &jwt, &[], json!({"callCostSats": 1000})).await;
    assert_eq!(
        (big["platformFeeSats"].as_u64(), big["netSats"].as_u64()),
        (Some(50), Some(950))
    );
    let replay = charge(
        &app,
        &jwt,
        &[],
        json!({"callCostSats": 5, "idempotencyKey": "a"}),
    )
    .await;
    assert_eq!(replay["revenueEventId"], revenue);
    assert_eq!(replay["grossSats"], 5);
    assert_eq!(replay["satsUsed"], 1005);
    let strict = TestApp::with(config());
    let jwt = self::jwt(&strict).await;
    let answer = charge(&strict, &jwt, &[], json!({"callCostSats": 5})).await;
    assert_eq!(
        common::keys(&answer),
        ["callsUsed", "receipt", "receiptV2", "satsUsed", "status"]
    );
}

/// The Lightning invoice carries the hosted fee fields; `amountSats` is the total and
/// equals the BOLT11 amount, whose payment hash is the hex `paymentHash` (facts §2.3).
/// `authHint` is on every start answer, `null`.
#[tokio::test]
async fn hosted_invoice_has_fee_fields_and_the_bolt11_amount_is_the_total() {
    use lightning_invoice::Bolt11Invoice;

    let app = TestApp::with(hosted());
    let start = app.start_lightning(Some(common::PROJECT_KEY)).await;
    assert_eq!(start["authHint"], Value::Null);
    assert_eq!(app.start_pow().await["authHint"], Value::Null);
    let invoice = &start["invoice"];
    // The keyed project's price is 50: fee max(1, floor(50 × 200 / 10000)) = 1.
    assert_eq!(invoice["baseAmountSats"], 50);
    assert_eq!(invoice["invoiceFeeBasisPoints"], 200);
    assert_eq!(invoice["invoiceFeeMinimumSats"], 1);
    assert_eq!(invoice["invoiceFeeSats"], 1);
    assert_eq!(invoice["amountSats"], 51);
    assert_eq!(invoice["totalChargedSats"], 51);
    assert_eq!(invoice["creditAmountSats"], 50);
    let bolt11: Bolt11Invoice = invoice["bolt11"].as_str().unwrap().parse().unwrap();
    assert_eq!(bolt11.amount_milli_satoshis(), Some(51_000));
    let hash = liveauth_protocol::codec::encode_hex(bolt11.payment_hash().as_ref());
    assert_eq!(invoice["paymentHash"], hash);
    assert!(mock_api::profile::InvoiceFee::on(10_000).fee_sats == 200);
}

/// `--payment-hash-encoding base64` writes LND's standard-base64 `r_hash` as the older
/// backend did; it decodes to the BOLT11 payment hash, and the dev settle endpoint takes
/// hex, base64 and base64url (facts §2.3, §9.1).
#[tokio::test]
async fn hosted_base64_payment_hash_is_the_bolt11_hash_and_settles_in_every_encoding() {
    use lightning_invoice::Bolt11Invoice;
    use liveauth_protocol::codec::{decode_base64, encode_base64url, encode_hex};
    use mock_api::config::PaymentHashEncoding;

    let app = TestApp::with(mock_api::Config {
        payment_hash_encoding: PaymentHashEncoding::Base64,
        ..hosted()
    });
    for settle_as in ["base64", "base64url", "hex"] {
        let start = app.start_lightning(Some(common::PROJECT_KEY)).await;
        let invoice = &start["invoice"];
        let sent = invoice["paymentHash"].as_str().unwrap();
        assert_eq!(sent.len(), 44);
        let bytes: [u8; 32] = decode_base64(sent).unwrap().try_into().unwrap();
        let bolt11: Bolt11Invoice = invoice["bolt11"].as_str().unwrap().parse().unwrap();
        assert_eq!(&bytes, bolt11.payment_hash().as_ref() as &[u8; 32]);
        let path = match settle_as {
            "base64" => sent.replace('/', "%2F").replace('+', "%2B"),
            "base64url" => encode_base64url(&bytes),
            _ => encode_hex(&bytes),
        };
        let settled = app.settle(&path).await;
        assert_eq!(settled.status, StatusCode::OK, "{settle_as}: {settled:?}");
        let quote = start["quoteId"].as_str().unwrap();
        let confirm = app.confirm_keyed(json!({ "quoteId": quote })).await;
        assert_eq!(confirm.body["paymentStatus"], "paid", "{settle_as}");
    }
}

/// The legacy demo start paths answer the hosted shape (facts §1.5) in hosted; strict
/// keeps `/api/public/demo/start` in the start shape and has no `/auth/` path.
#[tokio::test]
async fn hosted_legacy_demo_start_has_the_hosted_shape() {
    let app = TestApp::with(hosted());
    for path in ["/api/public/auth/demo/start", "/api/public/demo/start"] {
        let answer = app.post(path, &[], json!({})).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}: {answer:?}");
        let body = &answer.body;
        assert_eq!(
            common::keys(body),
            [
                "amountSats",
                "baseAmountSats",
                "expiresAtUnix",
                "invoice",
                "invoiceFeeBasisPoints",
                "invoiceFeeMinimumSats",
                "invoiceFeeSats",
                "mode",
                "sessionId",
                "totalChargedSats"
            ]
        );
        assert_eq!(body["mode"], "DEMO");
        assert!(body["invoice"].as_str().unwrap().starts_with("lnbcrt"));
        // The demo price is 3 sats: fee 1, total 4.
        assert_eq!(
            (body["baseAmountSats"].as_u64(), body["amountSats"].as_u64()),
            (Some(3), Some(4))
        );
    }
    let strict = TestApp::with(config());
    let answer = strict.post("/api/public/demo/start", &[], json!({})).await;
    assert!(answer.body["powChallenge"].is_object());
    let auth = strict
        .post("/api/public/auth/demo/start", &[], json!({}))
        .await;
    assert_eq!(auth.status, StatusCode::NOT_FOUND);
}

/// `/openapi.json` records the profile in `info.x-liveauth-profile` and a sentence of
/// the description; hosted lists no JWKS path.
#[tokio::test]
async fn openapi_info_records_the_profile() {
    for (config, name) in [(hosted(), "hosted"), (config(), "strict")] {
        let app = TestApp::with(config);
        let doc = app.get("/openapi.json", &[]).await.body;
        assert_eq!(doc["info"]["x-liveauth-profile"], name);
        let description = doc["info"]["description"].as_str().unwrap();
        assert!(
            description.contains(&format!("`{name}` profile")),
            "{description}"
        );
        assert_eq!(
            doc["paths"]["/.well-known/jwks.json"].is_object(),
            name == "strict"
        );
    }
}

/// The hosted document lists the legacy demo start (and no JWKS), and real hosted answers
/// fit the schemas it names.
#[tokio::test]
async fn hosted_openapi_documents_the_hosted_answers() {
    let app = TestApp::with(hosted());
    let doc = app.get("/openapi.json", &[]).await.body;
    let op = &doc["paths"]["/api/public/auth/demo/start"]["post"];
    assert_eq!(op["operationId"], "legacyDemoStart");
    let fits = |name: &str, body: &Value| common::assert_fits(&doc, name, body);
    let legacy = app
        .post("/api/public/auth/demo/start", &[], json!({}))
        .await;
    fits("LegacyDemoStartResponse", &legacy.body);
    let start = app.start_lightning(Some(common::PROJECT_KEY)).await;
    fits("StartResponse", &start);
    fits("Invoice", &start["invoice"]);
    let jwt = jwt(&app).await;
    let answer = charge(&app, &jwt, &[], json!({})).await;
    fits("ChargeResponse", &answer);
}

/// Another project's quote is a bare 404 in hosted (facts §2.4), 401 `project_mismatch`
/// in strict.
#[tokio::test]
async fn hosted_other_projects_quote_is_404_and_strict_401() {
    for (config, status) in [(hosted(), 404), (config(), 401)] {
        let app = TestApp::with(config);
        let start = app.start_pow().await;
        let quote = start["quoteId"].as_str().unwrap();
        let demo = [("x-lw-public", "la_pk_demo")];
        let confirm = app.post("/api/mcp/confirm", &demo, solved(&start)).await;
        let status_answer = app.get(&format!("/api/mcp/status/{quote}"), &demo).await;
        for answer in [confirm, status_answer] {
            assert_eq!(answer.status.as_u16(), status, "{answer:?}");
        }
    }
}

/// Confirm, status and lnurl find their project from `X-LW-Public`: without it they are
/// the anonymous demo project's, so a keyed project's quote is 404 there (facts §2.4),
/// and with the key it is found. Strict finds the quote's project from the quote.
#[tokio::test]
async fn hosted_keyless_confirm_status_and_lnurl_of_a_keyed_quote_are_404() {
    let app = TestApp::with(hosted());
    let pow = app.start_pow().await;
    let lightning = app.start_lightning(Some(common::PROJECT_KEY)).await;
    let (pow_id, ln_id) = (
        pow["quoteId"].as_str().unwrap(),
        lightning["quoteId"].as_str().unwrap(),
    );
    let not_found = |answer: &common::Answer| answer.status == StatusCode::NOT_FOUND;
    assert!(not_found(&app.confirm(solved(&pow)).await));
    assert!(not_found(
        &app.get(&format!("/api/mcp/status/{pow_id}"), &[]).await
    ));
    let lnurl = app.get(&format!("/api/mcp/lnurl/{ln_id}"), &[]).await;
    assert!(not_found(&lnurl), "{lnurl:?}");
    // Another project's key finds nothing either, lnurl included.
    let demo: &[(&str, &str)] = &[("x-lw-public", mock_api::config::DEMO_PUBLIC_KEY)];
    assert!(not_found(
        &app.get(&format!("/api/mcp/lnurl/{ln_id}"), demo).await
    ));
    // Nothing was consumed: with the key, all three work.
    let status = app.get(&format!("/api/mcp/status/{pow_id}"), KEYED).await;
    assert_eq!(status.body["status"], "pending");
    let lnurl = app.get(&format!("/api/mcp/lnurl/{ln_id}"), KEYED).await;
    assert_eq!(lnurl.status, StatusCode::OK, "{lnurl:?}");
    assert_eq!(app.confirm_keyed(solved(&pow)).await.status, StatusCode::OK);

    let strict = TestApp::with(config());
    let start = strict.start_pow().await;
    assert_eq!(strict.confirm(solved(&start)).await.status, StatusCode::OK);
}

/// A confirm of an unpaid invoice answers `0` for `expiresIn` and `remainingBudgetSats`
/// (facts §2.4); the quote's `status` stays `pending` until confirmed, `paymentStatus`
/// says `paid` (§2.6). Strict answers nulls and `paid`.
#[tokio::test]
async fn hosted_pending_lightning_quote_answers_zeros_and_stays_pending_until_confirmed() {
    for (profile, pending_amount, paid_status) in [
        (Profile::Hosted, json!(0), "pending"),
        (Profile::Strict, Value::Null, "paid"),
    ] {
        let app = TestApp::with(mock_api::Config {
            profile,
            ..config()
        });
        let start = app.start_lightning(Some(common::PROJECT_KEY)).await;
        let quote = start["quoteId"].as_str().unwrap();
        let confirm = json!({ "quoteId": quote });
        let pending = app.confirm_keyed(confirm.clone()).await;
        assert_eq!(pending.status, StatusCode::OK, "{profile:?}: {pending:?}");
        assert_eq!(
            (
                &pending.body["jwt"],
                &pending.body["expiresIn"],
                &pending.body["remainingBudgetSats"],
                &pending.body["paymentStatus"]
            ),
            (
                &Value::Null,
                &pending_amount,
                &pending_amount,
                &json!("pending")
            ),
            "{profile:?}"
        );
        let hash = start["invoice"]["paymentHash"].as_str().unwrap();
        let settled = app.settle(hash).await;
        assert_eq!(settled.status, StatusCode::OK);
        let status_path = format!("/api/mcp/status/{quote}");
        let status = app.get(&status_path, KEYED).await.body;
        assert_eq!(
            (&status["status"], &status["paymentStatus"]),
            (&json!(paid_status), &json!("paid")),
            "{profile:?}"
        );
        let paid = app.confirm_keyed(confirm).await;
        assert!(paid.body["jwt"].is_string(), "{profile:?}: {paid:?}");
        let status = app.get(&status_path, KEYED).await.body;
        assert_eq!(status["status"], "confirmed", "{profile:?}");
    }
}

//! The mock API through its real router: every endpoint's success shape and every
//! problem code, asserted on the wire (status, headers, raw JSON).

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a panic is a failed test

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::{KEYED, PROJECT_KEY, TestApp, confirm_body, failing_nonce, keys, solve_nonce, solved};
use liveauth_protocol::codec::encode_hex;
use liveauth_protocol::pow::solution_hash;
use serde_json::{Value, json};

/// A confirm body, the expected status and code, and extra headers.
type Case<'a> = (Value, u16, &'a str, Vec<(&'a str, &'a str)>);

/// Demo start needs no key and gives the seed's PoW shape for the demo project.
#[tokio::test]
async fn demo_start_gives_a_signed_pow_challenge() {
    let app = TestApp::new();
    let answer = app.post("/api/public/demo/start", &[], json!({})).await;
    assert_eq!(answer.status, StatusCode::OK);
    let body = &answer.body;
    assert_eq!(
        keys(body),
        ["authHint", "invoice", "powChallenge", "quoteId"]
    );
    assert_eq!(body["invoice"], Value::Null);
    let challenge = &body["powChallenge"];
    assert_eq!(
        keys(challenge),
        [
            "challengeHex",
            "difficultyBits",
            "expiresAtUnix",
            "projectId",
            "projectPublicKey",
            "signature",
            "targetHex"
        ]
    );
    assert_eq!(challenge["projectPublicKey"], "la_pk_demo");
    assert_eq!(challenge["difficultyBits"], 8);
    assert_eq!(challenge["targetHex"], format!("00{}", "f".repeat(62)));
    assert_eq!(challenge["expiresAtUnix"], app.state.now() + 300);
    assert_eq!(challenge["challengeHex"].as_str().unwrap().len(), 64);
}

/// An empty body (no content type) is the same as `{}`.
#[tokio::test]
async fn start_accepts_an_empty_body() {
    let app = TestApp::new();
    let answer = app.call(Method::POST, "/api/mcp/start", KEYED, None).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_eq!(answer.body["powChallenge"]["projectPublicKey"], PROJECT_KEY);
}

/// A key that names no project is 401, and so is an empty one; no header at all is the
/// anonymous demo project (tests/hosted.rs, both profiles).
#[tokio::test]
async fn start_needs_a_known_project_key() {
    let app = TestApp::new();
    let empty = app.start_with_key("").await;
    assert_eq!(
        (empty.status, empty.code()),
        (StatusCode::UNAUTHORIZED, "missing_project_key")
    );
    let unknown = app.start_with_key("la_pk_nope").await;
    assert_eq!(
        (unknown.status, unknown.code()),
        (StatusCode::UNAUTHORIZED, "unknown_project")
    );
}

/// The full PoW flow, with the seed's confirm shape and `paymentStatus: null`.
#[tokio::test]
async fn pow_confirm_issues_tokens() {
    let app = TestApp::new();
    let start = app.start_pow().await;
    let answer = app.post("/api/mcp/confirm", KEYED, solved(&start)).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    let body = &answer.body;
    assert_eq!(
        keys(body),
        [
            "expiresIn",
            "jwt",
            "paymentStatus",
            "refreshToken",
            "remainingBudgetSats"
        ]
    );
    assert_eq!(body["expiresIn"], 600);
    assert_eq!(body["remainingBudgetSats"], 10_000);
    assert_eq!(body["paymentStatus"], Value::Null);
    assert!(body["jwt"].as_str().unwrap().starts_with("eyJ"));
    assert!(body["refreshToken"].as_str().unwrap().starts_with("la_rt_"));
}

/// Existing clients may send the signature as `signature` instead of `sig`.
#[tokio::test]
async fn confirm_accepts_signature_alias() {
    let app = TestApp::new();
    let start = app.start_pow().await;
    let mut body = solved(&start);
    let sig = body.as_object_mut().unwrap().remove("sig").unwrap();
    body["signature"] = sig;
    let answer = app.confirm(body).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
}

/// Each confirm failure has its own code, and none of them uses up the quote.
#[tokio::test]
async fn confirm_failures_have_distinct_codes_and_consume_nothing() {
    let app = TestApp::new();
    let start = app.start_pow().await;
    let good = solved(&start);
    let (nonce, _) = solve_nonce(&start);
    let with = |field: &str, value: Value| {
        let mut body = good.clone();
        body[field] = value;
        body
    };
    let bad_nonce = failing_nonce(&start);
    let pk = start["powChallenge"]["projectPublicKey"].as_str().unwrap();
    let hex = start["powChallenge"]["challengeHex"].as_str().unwrap();
    let bad_hash = encode_hex(&solution_hash(pk, hex, bad_nonce));
    let forged = format!("A{}", &good["sig"].as_str().unwrap()[1..]);
    let cases: Vec<Case<'_>> = vec![
        (
            with("quoteId", json!("nope")),
            404,
            "quote_not_found",
            vec![],
        ),
        (
            good.clone(),
            401,
            "project_mismatch",
            vec![("x-lw-public", "la_pk_demo")],
        ),
        (with("sig", json!(forged)), 422, "signature_invalid", vec![]),
        (
            with("sig", json!("not base64!")),
            422,
            "signature_invalid",
            vec![],
        ),
        (
            with("challengeHex", json!("00".repeat(32))),
            422,
            "challenge_mismatch",
            vec![],
        ),
        (
            with("difficultyBits", json!(1)),
            422,
            "challenge_mismatch",
            vec![],
        ),
        (
            with("expiresAtUnix", json!(9_999_999_999i64)),
            422,
            "challenge_mismatch",
            vec![],
        ),
        (with("nonce", json!("05")), 400, "nonce_invalid", vec![]),
        (with("nonce", json!(-1)), 400, "nonce_invalid", vec![]),
        (with("nonce", json!(1.5)), 400, "nonce_invalid", vec![]),
        (
            with("nonce", json!(9_007_199_254_740_992u64)),
            400,
            "nonce_invalid",
            vec![],
        ),
        (
            with("hashHex", json!("00".repeat(32))),
            422,
            "hash_mismatch",
            vec![],
        ),
        (with("hashHex", json!("XYZ")), 422, "hash_mismatch", vec![]),
        (
            confirm_body(&start, bad_nonce, &bad_hash),
            422,
            "solution_invalid",
            vec![],
        ),
        (with("nonce", Value::Null), 400, "bad_request", vec![]),
        (json!({"nonce": nonce}), 400, "bad_request", vec![]),
    ];
    for (body, status, code, headers) in cases {
        let answer = app.post("/api/mcp/confirm", &headers, body.clone()).await;
        assert_eq!(answer.problem(), (status, code), "{body}");
    }
    // A solution without hashHex is checked on the server's own hash.
    let mut without_hash = good.clone();
    without_hash.as_object_mut().unwrap().remove("hashHex");
    assert_eq!(app.confirm(without_hash).await.status, StatusCode::OK);
}

/// The PoW refusals' `detail` says which check failed, worded as clients have always seen
/// it (the check itself is `liveauth_protocol::pow::Submission`).
#[tokio::test]
async fn pow_refusals_keep_their_wording() {
    let app = TestApp::new();
    let start = app.start_pow().await;
    let good = solved(&start);
    let challenge = &start["powChallenge"];
    let pk = challenge["projectPublicKey"].as_str().unwrap();
    let hex = challenge["challengeHex"].as_str().unwrap();
    let (nonce, _) = solve_nonce(&start);
    let bad_nonce = failing_nonce(&start);
    let bad_hash = encode_hex(&solution_hash(pk, hex, bad_nonce));
    let mut other_hash = good.clone();
    other_hash["hashHex"] = json!("00".repeat(32));
    let mut short_hash = good.clone();
    short_hash["hashHex"] = json!("XYZ");
    let mut upper_hash = good.clone();
    upper_hash["hashHex"] = json!(good["hashHex"].as_str().unwrap().to_uppercase());
    let upper_index = good["hashHex"]
        .as_str()
        .unwrap()
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap();
    let computed = encode_hex(&solution_hash(pk, hex, nonce));
    for (body, code, detail) in [
        (
            other_hash,
            "hash_mismatch",
            format!("`hashHex` is not SHA-256(projectPublicKey:challengeHex:nonce) = {computed}"),
        ),
        (
            short_hash,
            "hash_mismatch",
            "`hashHex`: expected 64 hex characters, got 3".to_owned(),
        ),
        (
            upper_hash,
            "hash_mismatch",
            format!("`hashHex`: character {upper_index} is not a lowercase hex digit (0-9, a-f)"),
        ),
        (
            confirm_body(&start, bad_nonce, &bad_hash),
            "solution_invalid",
            format!(
                "hash {bad_hash} is not below the target {}: keep searching",
                challenge["targetHex"].as_str().unwrap()
            ),
        ),
    ] {
        let answer = app.post("/api/mcp/confirm", &[], body).await;
        assert_eq!(answer.code(), code);
        assert_eq!(answer.body["detail"], detail);
    }
}

/// A body that does not decode is refused naming the field, or the document when no field
/// is to blame, worded as clients have always seen it.
#[tokio::test]
async fn body_refusals_keep_their_wording() {
    let app = TestApp::new();
    for (body, code, detail) in [
        (
            r#"{"quoteId": 5}"#,
            "bad_request",
            "field `quoteId`: invalid type: integer `5`, expected a string at line 1 column 13",
        ),
        (
            r#"{"quoteId": "q"} {}"#,
            "bad_request",
            "invalid JSON body: trailing characters at line 1 column 18",
        ),
        (
            "5",
            "body_not_object",
            "the body must be a JSON object, such as {}",
        ),
        (
            "{",
            "bad_request",
            "field `?`: EOF while parsing an object at line 1 column 1",
        ),
        (
            r#"{"quoteId": "q", "nonce": "05"}"#,
            "nonce_invalid",
            "nonce must not have leading zeros (got \"05\"): nonce must be a canonical decimal \
             integer in 0..=9007199254740991 (no sign, no leading zeros, no fraction or exponent) \
             at line 1 column 30",
        ),
    ] {
        let request = Request::post("/api/mcp/confirm")
            .header("content-type", "application/json")
            .body(Body::from(body))
            .unwrap();
        let answer = app.send(request).await;
        assert_eq!(
            (answer.code(), answer.body["detail"].as_str()),
            (code, Some(detail)),
            "{body}"
        );
    }
}

/// Replaying a solution, or sending a second valid one, gets `already_confirmed`.
#[tokio::test]
async fn a_quote_is_confirmed_once() {
    let app = TestApp::new();
    let start = app.start_pow().await;
    let body = solved(&start);
    assert_eq!(app.confirm(body.clone()).await.status, StatusCode::OK);
    let replay = app.confirm(body).await;
    assert_eq!(replay.problem(), (409, "already_confirmed"));
    // Another nonce that also solves it.
    let (first, _) = solve_nonce(&start);
    let challenge = &start["powChallenge"];
    let target =
        liveauth_protocol::codec::decode_hex32(challenge["targetHex"].as_str().unwrap()).unwrap();
    let pk = challenge["projectPublicKey"].as_str().unwrap();
    let hex = challenge["challengeHex"].as_str().unwrap();
    let second = (first + 1..)
        .find(|&n| liveauth_protocol::pow::verify_solution(pk, hex, n, &target))
        .unwrap();
    let hash = encode_hex(&solution_hash(pk, hex, second));
    let again = app.confirm(confirm_body(&start, second, &hash)).await;
    assert_eq!(again.code(), "already_confirmed");
}

/// Time comes from the app clock: one second past `expiresAtUnix` the challenge is gone.
#[tokio::test]
async fn expired_challenges_are_refused() {
    let app = TestApp::new();
    let start = app.start_pow().await;
    let body = solved(&start);
    app.advance(299).await;
    app.advance(1).await;
    let answer = app.confirm(body).await;
    assert_eq!(answer.problem(), (410, "challenge_expired"));
    let status = app
        .get(
            &format!("/api/mcp/status/{}", start["quoteId"].as_str().unwrap()),
            &[],
        )
        .await;
    assert_eq!(status.body["status"], "expired");
    assert_eq!(status.body["paymentStatus"], Value::Null);
}

/// Status of a PoW quote: pending, then confirmed; `expiresAt` in RFC 3339.
#[tokio::test]
async fn status_shapes() {
    let app = TestApp::new();
    let start = app.start_pow().await;
    let path = format!("/api/mcp/status/{}", start["quoteId"].as_str().unwrap());
    let pending = app.get(&path, &[]).await;
    assert_eq!(
        pending.body,
        json!({
            "quoteId": start["quoteId"],
            "status": "pending",
            "paymentStatus": null,
            "expiresAt": "2026-01-01T00:05:00Z",
        })
    );
    app.confirm(solved(&start)).await;
    assert_eq!(app.get(&path, &[]).await.body["status"], "confirmed");
    let missing = app.get("/api/mcp/status/nope", &[]).await;
    assert_eq!(missing.problem(), (404, "quote_not_found"));
}

/// The router's own rejections are problem+json too.
#[tokio::test]
async fn hygiene_errors_are_problems() {
    let app = TestApp::new();
    let unknown = app.get("/nope", &[]).await;
    assert_eq!(unknown.problem(), (404, "not_found"));
    let wrong_method = app.get("/api/mcp/confirm", &[]).await;
    assert_eq!(wrong_method.problem(), (405, "method_not_allowed"));
    let big = json!({"quoteId": "x".repeat(70 * 1024)});
    let too_large = app.confirm(big).await;
    assert_eq!(too_large.problem(), (413, "payload_too_large"));
    let raw_confirm = |content_type: &str, body: &'static str| {
        let request = axum::http::Request::post("/api/mcp/confirm")
            .header("content-type", content_type)
            .body(axum::body::Body::from(body))
            .unwrap();
        app.send(request)
    };
    let text = raw_confirm("text/plain", "{}").await;
    assert_eq!(text.problem(), (415, "unsupported_media_type"));
    let malformed = raw_confirm("application/json", "{\"quoteId\": ").await;
    assert_eq!(malformed.problem(), (400, "bad_request"));
    let missing = app.post("/api/mcp/refresh", &[], json!({})).await;
    assert_eq!(missing.code(), "bad_request");
    assert!(
        missing.body["detail"]
            .as_str()
            .unwrap()
            .contains("refreshToken"),
        "{missing:?}"
    );
    let wrong_type = app.confirm(json!({"quoteId": 5})).await;
    assert!(
        wrong_type.body["detail"]
            .as_str()
            .unwrap()
            .contains("quoteId")
    );
}

#[tokio::test]
async fn health_and_jwks() {
    let app = TestApp::new();
    assert_eq!(app.get("/healthz", &[]).await.body, json!({"status": "ok"}));
    let jwks = app.get("/.well-known/jwks.json", &[]).await.body;
    let key = &jwks["keys"][0];
    assert_eq!(
        (
            key["kty"].as_str(),
            key["crv"].as_str(),
            key["alg"].as_str()
        ),
        (Some("OKP"), Some("Ed25519"), Some("EdDSA"))
    );
}

/// Without `--no-dev-endpoints` they exist; with it they are 404 like any unknown path.
#[tokio::test]
async fn dev_endpoints_can_be_turned_off() {
    let app = TestApp::with(mock_api::Config {
        dev_endpoints: false,
        ..common::config()
    });
    let answer = app
        .post("/api/dev/clock/advance", &[], json!({"seconds": 1}))
        .await;
    assert_eq!(answer.code(), "not_found");
    let settle = app
        .post(
            &format!("/api/dev/settle/{}", "00".repeat(32)),
            &[],
            json!({}),
        )
        .await;
    assert_eq!(settle.code(), "not_found");
}

/// A challenge and signature issued for quote A do not confirm quote B.
#[tokio::test]
async fn a_signature_is_bound_to_its_quote() {
    let app = TestApp::new();
    let a = app.start_pow().await;
    let b = app.start_pow().await;
    let mut body = solved(&a);
    body["quoteId"] = b["quoteId"].clone();
    let answer = app.confirm(body).await;
    assert_eq!(answer.problem(), (422, "signature_invalid"));
}

/// A sent X-LW-Public that names another project is refused on every endpoint that finds
/// the project another way, before anything changes.
#[tokio::test]
async fn a_wrong_project_key_is_refused_everywhere() {
    let app = TestApp::new();
    let wrong = [("x-lw-public", "la_pk_demo")];
    let start = app.start_pow().await;
    let quote = start["quoteId"].as_str().unwrap();
    let status = app.get(&format!("/api/mcp/status/{quote}"), &wrong).await;
    assert_eq!(status.problem(), (401, "project_mismatch"));
    let lnurl = app.get(&format!("/api/mcp/lnurl/{quote}"), &wrong).await;
    assert_eq!(
        (lnurl.status.as_u16(), &lnurl.body["status"]),
        (401, &json!("ERROR"))
    );

    let confirm = app.post("/api/mcp/confirm", KEYED, solved(&start)).await;
    let jwt = confirm.body["jwt"].as_str().unwrap();
    let bearer = format!("Bearer {jwt}");
    let charge = app
        .post(
            "/api/mcp/charge",
            &[wrong[0], ("authorization", &bearer)],
            json!({"callCostSats": 1}),
        )
        .await;
    assert_eq!(charge.code(), "project_mismatch");
    let usage = app
        .get("/api/mcp/usage", &[wrong[0], ("authorization", &bearer)])
        .await;
    assert_eq!(usage.code(), "project_mismatch");
    assert_eq!(
        usage.body["detail"],
        "X-LW-Public names another project than this request's"
    );
    let refresh = json!({"refreshToken": confirm.body["refreshToken"]});
    assert_eq!(
        app.post("/api/mcp/refresh", &wrong, refresh.clone())
            .await
            .code(),
        "project_mismatch"
    );
    // Nothing changed: the charge was not counted and the refresh token still works.
    let right = [
        ("x-lw-public", PROJECT_KEY),
        ("authorization", bearer.as_str()),
    ];
    assert_eq!(app.get("/api/mcp/usage", &right).await.body["satsUsed"], 0);
    let rotated = app.post("/api/mcp/refresh", KEYED, refresh).await;
    assert_eq!(rotated.status, StatusCode::OK, "{rotated:?}");
}

//! Sessions: access tokens checked against the published JWKS, refresh rotation, budgets
//! and idempotency, with time driven by the manual clock; determinism; a real socket.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a panic is a failed test

mod common;

use axum::http::StatusCode;
use common::{TestApp, solved};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};

/// A client that knows only the JWKS document can verify the access token.
#[tokio::test]
async fn access_tokens_verify_with_the_published_jwks() {
    let app = TestApp::new();
    let session = app.session().await;
    let jwt = session["jwt"].as_str().unwrap();
    let jwks: JwkSet =
        serde_json::from_value(app.get("/.well-known/jwks.json", &[]).await.body).unwrap();
    let header = jsonwebtoken::decode_header(jwt).unwrap();
    assert_eq!(header.alg, Algorithm::EdDSA);
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    let jwk = jwks.find(header.kid.as_deref().unwrap()).unwrap();
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_issuer(&["https://mock.liveauth.invalid"]);
    validation.set_audience(&["liveauth-api"]);
    validation.validate_exp = false; // the app runs on a manual clock in 2026-01-01
    let claims =
        jsonwebtoken::decode::<Value>(jwt, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
            .unwrap()
            .claims;
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        600
    );
    assert_eq!(claims["nbf"], claims["iat"]);
    assert_eq!(claims["maxSatsPerDay"], 10_000);
    assert_eq!(claims["maxCallsPerMinute"], 60);
    assert!(claims["sub"].is_string() && claims["jti"].is_string());
}

/// 401s say why and carry `WWW-Authenticate: Bearer error="invalid_token"`.
#[tokio::test]
async fn protected_endpoints_refuse_bad_tokens() {
    let app = TestApp::new();
    let session = app.session().await;
    let jwt = session["jwt"].as_str().unwrap();

    let missing = app.get("/api/mcp/usage", &[]).await;
    assert_eq!(missing.problem(), (401, "token_missing"));
    let garbage = app
        .get("/api/mcp/usage", &[("authorization", "Bearer abc.def.ghi")])
        .await;
    assert_eq!(garbage.problem(), (401, "token_invalid"));
    assert!(garbage.header("www-authenticate")[0].starts_with("Bearer error=\"invalid_token\""));
    let tampered = format!("{}x", &jwt[..jwt.len() - 1]);
    let forged = app.charge(&tampered, 1, None).await;
    assert_eq!(forged.code(), "token_invalid");
    let x402 = app
        .get(
            "/api/mcp/usage",
            &[("authorization", &format!("x402 {}", "00".repeat(32)))],
        )
        .await;
    assert_eq!(x402.code(), "token_invalid");

    assert_eq!(app.charge(jwt, 1, None).await.status, StatusCode::OK);
    app.advance(600).await;
    let expired = app.charge(jwt, 1, None).await;
    assert_eq!(expired.problem(), (401, "token_expired"));
    assert!(expired.header("www-authenticate")[0].contains("invalid_token"));
}

/// Refresh rotates; presenting the superseded token revokes the whole family.
#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = TestApp::new();
    let session = app.session().await;
    let first = session["refreshToken"].as_str().unwrap();
    app.advance(700).await; // the access token has expired; the refresh token has not
    let rotated = app.refresh(first).await;
    assert_eq!(rotated.status, StatusCode::OK, "{rotated:?}");
    let mut keys: Vec<_> = rotated.body.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(
        keys,
        ["expiresIn", "jwt", "refreshToken", "remainingBudgetSats"]
    );
    let second = rotated.body["refreshToken"].as_str().unwrap().to_owned();
    assert_ne!(second, first);
    let jwt = rotated.body["jwt"].as_str().unwrap();
    assert_eq!(app.charge(jwt, 5, None).await.body["satsUsed"], 5);

    let reused = app.refresh(first).await;
    assert_eq!(reused.problem(), (400, "invalid_grant"));
    let revoked = app.refresh(&second).await;
    assert_eq!(revoked.code(), "invalid_grant");
    let unknown = app.refresh("la_rt_nope").await;
    assert_eq!(unknown.code(), "invalid_grant");
}

/// The test app's config with a budget of `max_sats_per_day`.
fn budget(max_sats_per_day: u64) -> mock_api::Config {
    mock_api::Config {
        max_sats_per_day,
        ..common::config()
    }
}

/// Charges are all-or-nothing against the day's sats; usage agrees with them.
#[tokio::test]
async fn budget_is_enforced_and_usage_agrees() {
    let app = TestApp::with(budget(10));
    let session = app.session().await;
    let jwt = session["jwt"].as_str().unwrap();
    let ok = app.charge(jwt, 7, None).await;
    assert_eq!(
        common::without_receipts(&ok.body),
        json!({"status": "ok", "callsUsed": 1, "satsUsed": 7})
    );
    let deny = app.charge(jwt, 4, None).await;
    assert_eq!(deny.status, StatusCode::OK);
    assert_eq!(
        deny.body,
        json!({"status": "deny", "callsUsed": 1, "satsUsed": 7, "reason": "budget_exceeded", "retryAfterSeconds": 86_400})
    );
    let usage = app
        .get(
            "/api/mcp/usage",
            &[("authorization", &format!("Bearer {jwt}"))],
        )
        .await;
    assert_eq!(
        usage.body,
        json!({
            "status": "active",
            "callsUsed": 1,
            "satsUsed": 7,
            "callerBalanceSats": 0,
            "maxSatsPerDay": 10,
            "remainingBudgetSats": 3,
            "maxCallsPerMinute": 60,
            "expiresAt": "2026-01-02T00:00:00Z",
            "dayWindowStart": "2026-01-01T00:00:00Z",
        })
    );
}

/// At the next UTC midnight the day's budget starts again.
#[tokio::test]
async fn the_budget_resets_at_utc_midnight() {
    let app = TestApp::with(mock_api::Config {
        session_ttl_secs: 3 * 86_400,
        ..budget(10)
    });
    let session = app.session().await;
    let refresh = session["refreshToken"].as_str().unwrap();
    let jwt = session["jwt"].as_str().unwrap();
    app.charge(jwt, 10, None).await;
    assert_eq!(app.charge(jwt, 1, None).await.body["status"], "deny");
    app.advance(86_400).await;
    let fresh = app.refresh(refresh).await;
    assert_eq!(fresh.body["remainingBudgetSats"], 10);
    let jwt = fresh.body["jwt"].as_str().unwrap();
    assert_eq!(
        common::without_receipts(&app.charge(jwt, 1, None).await.body),
        json!({"status": "ok", "callsUsed": 1, "satsUsed": 1})
    );
}

/// The 61st call within a minute is denied with `rate_limited`; a minute later it passes.
#[tokio::test]
async fn calls_per_minute_are_limited() {
    let app = TestApp::new();
    let session = app.session().await;
    let jwt = session["jwt"].as_str().unwrap();
    for _ in 0..60 {
        assert_eq!(app.charge(jwt, 1, None).await.body["status"], "ok");
    }
    let limited = app.charge(jwt, 1, None).await.body;
    assert_eq!(
        (&limited["reason"], &limited["retryAfterSeconds"]),
        (&json!("rate_limited"), &json!(60))
    );
    assert_eq!(limited["callsUsed"], 60);
    app.advance(60).await;
    assert_eq!(app.charge(jwt, 1, None).await.body["callsUsed"], 61);
}

/// One `Idempotency-Key` is charged once; reusing it for another amount is refused.
#[tokio::test]
async fn idempotency_key_counts_once() {
    let app = TestApp::new();
    let session = app.session().await;
    let jwt = session["jwt"].as_str().unwrap();
    let first = app.charge(jwt, 5, Some("call-1")).await;
    let second = app.charge(jwt, 5, Some("call-1")).await;
    assert_eq!(first.body, second.body);
    assert_eq!(first.body["satsUsed"], 5);
    let conflict = app.charge(jwt, 6, Some("call-1")).await;
    assert_eq!(conflict.problem(), (422, "idempotency_conflict"));
    assert_eq!(app.charge(jwt, 1, Some("call-2")).await.body["satsUsed"], 6);
    let bad = app.charge(jwt, 1, Some("has space")).await;
    assert_eq!(bad.code(), "bad_request");
}

/// The demo resource meters a bearer session at 1 sat a call and answers 429 on a deny.
#[tokio::test]
async fn demo_resource_meters_bearer_sessions() {
    let app = TestApp::with(budget(1));
    let session = app.session().await;
    let bearer = format!("Bearer {}", session["jwt"].as_str().unwrap());
    let ok = app
        .get("/api/demo/resource", &[("authorization", &bearer)])
        .await;
    assert_eq!(ok.body["paidBy"]["charge"]["satsUsed"], 1);
    let denied = app
        .get("/api/demo/resource", &[("authorization", &bearer)])
        .await;
    assert_eq!(denied.problem(), (429, "budget_exceeded"));
}

/// Same seed, manual clock, same requests: byte-identical answers.
#[tokio::test]
async fn seeded_runs_are_byte_identical() {
    async fn transcript() -> Vec<Vec<u8>> {
        let app = TestApp::new();
        let mut out = Vec::new();
        let start = app.post("/api/public/demo/start", &[], json!({})).await;
        out.push(start.raw.clone());
        let confirm = app.confirm(solved(&start.body)).await;
        out.push(confirm.raw.clone());
        let jwt = confirm.body["jwt"].as_str().unwrap();
        out.push(app.charge(jwt, 3, Some("k")).await.raw);
        let refresh = confirm.body["refreshToken"].as_str().unwrap();
        out.push(app.refresh(refresh).await.raw);
        out.push(
            app.start_lightning(Some(common::PROJECT_KEY))
                .await
                .to_string()
                .into_bytes(),
        );
        out.push(app.get("/.well-known/jwks.json", &[]).await.raw);
        out
    }
    let (a, b) = (transcript().await, transcript().await);
    assert_eq!(a, b);
    let other = TestApp::with(mock_api::Config {
        seed: Some(43),
        ..common::config()
    });
    let start = other.post("/api/public/demo/start", &[], json!({})).await;
    assert_ne!(start.raw, a[0]);
}

/// Served on a real socket: an HTTP/1.1 request over TCP gets the JSON answer.
#[tokio::test]
async fn serves_over_a_real_socket() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(mock_api::serve(
        listener,
        mock_api::AppState::new(common::config()),
        async {
            let _ = stopped.await;
        },
    ));
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let body = "{}";
    let request = format!(
        "POST /api/public/demo/start HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    let json: Value = serde_json::from_str(response.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(json["powChallenge"]["projectPublicKey"], "la_pk_demo");
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

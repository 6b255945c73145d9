//! The API client against the real mock API on a socket, and against wiremock for the
//! failures the mock never produces (proxies, broken JSON, dead hosts).

use std::time::Duration;

use liveauth_mcp::api::{ApiClient, ApiError, MAX_BODY_BYTES, TransportCause};
use liveauth_mcp::config::DEFAULT_TIMEOUT;
use liveauth_mcp::next_step;
use liveauth_protocol::wire::{
    ChargeRequest, ChargeStatus, ConfirmRequest, DenyReason, Nonce, PaymentStatus, QuoteStatus,
    StartResponse, UsageStatus,
};
use liveauth_testkit::mock::{self, PROJECT_KEY as KEY};
use liveauth_testkit::pow;
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

type BoxError = Box<dyn std::error::Error>;
type TestResult = Result<(), BoxError>;

/// Serves a fresh deterministic mock (8-bit PoW, manual clock) and returns its base URL.
async fn mock() -> Result<String, BoxError> {
    Ok(mock::serve(mock::config(1)).await?.base)
}

fn keyed(base: &str) -> Result<ApiClient, BoxError> {
    Ok(ApiClient::new(base, Some(KEY.to_owned()), DEFAULT_TIMEOUT)?)
}

fn demo(base: &str) -> Result<ApiClient, BoxError> {
    Ok(ApiClient::new(base, None, DEFAULT_TIMEOUT)?)
}

/// Solves the start response's challenge and builds the confirm body.
/// A charge of `sats` under idempotency key `key`.
fn charge(sats: u64, key: &str) -> ChargeRequest {
    ChargeRequest {
        call_cost_sats: Some(sats),
        idempotency_key: Some(key.to_owned()),
        ..ChargeRequest::default()
    }
}

fn solved(start: &StartResponse) -> Result<ConfirmRequest, BoxError> {
    Ok(pow::solved(start)?)
}

/// Calls a mock-only dev endpoint (settle an invoice, move the clock).
async fn dev_post(base: &str, dev_path: &str, body: Value) -> Result<Value, BoxError> {
    let response = reqwest::Client::new()
        .post(format!("{base}{dev_path}"))
        .json(&body)
        .send()
        .await?;
    assert!(
        response.status().is_success(),
        "{dev_path}: {}",
        response.status()
    );
    Ok(response.json().await?)
}

/// `error` reads as `prefix…` and advises `next`.
fn assert_says(error: &ApiError, prefix: &str, next: &str) {
    let text = error.to_string();
    assert!(text.starts_with(prefix), "{text}");
    assert_eq!(next_step(error), next, "{text}");
}

fn api_parts(error: &ApiError) -> (u16, Option<&str>, Option<&str>) {
    match error {
        ApiError::Api {
            status,
            code,
            detail,
            ..
        } => (*status, code.as_deref(), detail.as_deref()),
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// Anonymous mode (no key, 1.1+) starts at `/api/mcp/start` without `X-LW-Public`: the
/// hosted API's demo project answers with a real challenge (its answer shape, `authHint`
/// included, is read as is).
#[tokio::test]
async fn anonymous_start_sends_no_key() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/mcp/start"))
        .and(body_json(json!({})))
        .respond_with(ResponseTemplate::new(200).set_body_json(hosted_pow_start()))
        .expect(1)
        .mount(&server)
        .await;
    let client = demo(&server.uri())?;
    assert!(client.is_demo() && !client.is_legacy_demo());
    let start = client.start(false).await?;
    assert_eq!(start.quote_id, "8d3f8a3e-5b7c-4d0e-9f55-1d2a3b4c5d6e");
    assert_eq!(start.auth_hint, None);
    let requests = server.received_requests().await.unwrap_or_default();
    assert!(
        requests
            .iter()
            .all(|r| r.headers.get("x-lw-public").is_none())
    );
    Ok(())
}

/// The hosted start answer of a PoW quote (facts §2.3): GUID quote id, 32-hex challenge,
/// hex-HMAC signature, `authHint: null`.
fn hosted_pow_start() -> Value {
    json!({
        "quoteId": "8d3f8a3e-5b7c-4d0e-9f55-1d2a3b4c5d6e",
        "powChallenge": {
            "projectId": "0b0c0d0e-0000-4000-8000-000000000001",
            "projectPublicKey": "la_pk_demo",
            "challengeHex": "00112233445566778899aabbccddeeff",
            "targetHex": format!("0000{}", "f".repeat(60)),
            "difficultyBits": 16,
            "expiresAtUnix": 1_900_000_000,
            "signature": "a".repeat(64)
        },
        "invoice": null,
        "authHint": null
    })
}

/// `LIVEAUTH_DEMO=true`: the legacy demo start (`/api/public/auth/demo/start`, no key),
/// whose `{sessionId, invoice: "<bolt11>", …}` answer becomes a Lightning quote with the
/// invoice's own payment hash and the answer's fee fields.
#[tokio::test]
async fn legacy_demo_start_is_mapped_to_a_lightning_quote() -> TestResult {
    let server = MockServer::start().await;
    let hash = [7u8; 32];
    let bolt11 = mock::invoice(102, hash, 1_900_000_000)?;
    Mock::given(method("POST"))
        .and(path("/api/public/auth/demo/start"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "sessionId": "5f0e1d2c-3b4a-4958-8776-655443322110",
            "invoice": bolt11,
            "amountSats": 102,
            "baseAmountSats": 100,
            "invoiceFeeBasisPoints": 200,
            "invoiceFeeMinimumSats": 1,
            "invoiceFeeSats": 2,
            "totalChargedSats": 102,
            "expiresAtUnix": 1_900_000_600,
            "mode": "DEMO"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let client = ApiClient::new(&server.uri(), Some(KEY.into()), DEFAULT_TIMEOUT)?.legacy_demo();
    assert!(client.is_legacy_demo() && client.is_demo());
    let start = client.start(false).await?;
    assert_eq!(start.quote_id, "5f0e1d2c-3b4a-4958-8776-655443322110");
    assert!(start.pow_challenge.is_none());
    let invoice = start.invoice.expect("invoice");
    assert_eq!(invoice.bolt11, bolt11);
    assert_eq!(invoice.amount_sats, 102);
    assert_eq!(invoice.fees.invoice_fee_sats, Some(2));
    assert_eq!(invoice.fees.base_amount_sats, Some(100));
    assert_eq!(
        invoice.payment_hash,
        liveauth_protocol::codec::encode_hex(&hash)
    );
    let requests = server.received_requests().await.unwrap_or_default();
    assert!(
        requests
            .iter()
            .all(|r| r.headers.get("x-lw-public").is_none())
    );

    // A legacy answer whose invoice is not BOLT11 is refused, not half-read.
    let bad = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/public/auth/demo/start"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "sessionId": "s", "invoice": "not-an-invoice", "amountSats": 1,
            "expiresAtUnix": 1, "mode": "DEMO"
        })))
        .mount(&bad)
        .await;
    let error = demo(&bad.uri())?
        .legacy_demo()
        .start(false)
        .await
        .unwrap_err();
    assert!(matches!(error, ApiError::Decode { .. }), "{error}");
    Ok(())
}

/// A keyed client starts at /api/mcp/start and gets its own project's challenge.
#[tokio::test]
async fn keyed_start_uses_the_project() -> TestResult {
    let base = mock().await?;
    let start = keyed(&base)?.start(false).await?;
    let challenge = start.pow_challenge.expect("PoW challenge");
    assert_eq!(challenge.project_public_key, KEY);
    assert_eq!(challenge.project_id.len(), 36);

    let ln = keyed(&base)?.start(true).await?;
    assert_eq!(ln.invoice.expect("invoice").amount_sats, 50);
    Ok(())
}

/// A key the API does not know is a 401 `unknown_project` that points at LIVEAUTH_API_KEY.
#[tokio::test]
async fn unknown_key_is_refused() -> TestResult {
    let base = mock().await?;
    let client = ApiClient::new(&base, Some("la_pk_nobody".into()), DEFAULT_TIMEOUT)?;
    let error = client.start(false).await.unwrap_err();
    assert_eq!(api_parts(&error).0, 401);
    assert_eq!(error.code(), Some("unknown_project"));
    assert_eq!(error.status(), Some(401));
    assert!(!error.is_transport());
    assert_says(
        &error,
        "LiveAuth API error 401 unknown_project: ",
        "check LIVEAUTH_API_KEY",
    );
    Ok(())
}

/// The whole PoW session: solve, confirm, charge (idempotent), usage, refresh rotation,
/// and reuse of a spent refresh token.
#[tokio::test]
async fn pow_session_end_to_end() -> TestResult {
    let base = mock().await?;
    let client = keyed(&base)?;
    let start = client.start(false).await?;

    let status = client.status(&start.quote_id).await?;
    assert_eq!(status.quote_id, start.quote_id);
    assert_eq!(status.status, QuoteStatus::Pending);
    assert_eq!(status.payment_status, None);

    let confirmed = client.confirm(&solved(&start)?).await?;
    let jwt = confirmed.jwt.expect("jwt");
    assert!(jwt.starts_with("eyJ"), "{jwt}");
    assert_eq!(confirmed.expires_in, Some(600));
    assert_eq!(confirmed.remaining_budget_sats, Some(10_000));
    assert_eq!(confirmed.payment_status, Some(None));
    let refresh_token = confirmed.refresh_token.expect("refresh token");
    assert!(refresh_token.starts_with("la_rt_"));

    assert_eq!(
        client.status(&start.quote_id).await?.status,
        QuoteStatus::Confirmed
    );
    let again = client.confirm(&solved(&start)?).await.unwrap_err();
    assert_eq!(api_parts(&again).0, 409);
    assert_eq!(again.code(), Some("already_confirmed"));
    assert_eq!(
        next_step(&again),
        "the quote is used; you are already authenticated (liveauth_mcp_usage) or must start a new quote with liveauth_mcp_start"
    );

    let first = client.charge(&jwt, &charge(7, "call-1")).await?;
    assert_eq!(first.status, ChargeStatus::Ok);
    assert_eq!((first.calls_used, first.sats_used), (1, 7));
    let repeated = client.charge(&jwt, &charge(7, "call-1")).await?;
    assert_eq!(repeated, first);

    let usage = client.usage(&jwt).await?;
    assert_eq!(usage.status, UsageStatus::Active);
    assert_eq!((usage.calls_used, usage.sats_used), (1, 7));
    assert_eq!(usage.remaining_budget_sats, 9_993);
    assert!(usage.day_window_start.ends_with("T00:00:00Z"));

    let deny = client.charge(&jwt, &charge(20_000, "call-2")).await?;
    assert_eq!(deny.status, ChargeStatus::Deny);
    assert_eq!(deny.reason, Some(DenyReason::BudgetExceeded));
    assert_eq!(deny.sats_used, 7);

    let refreshed = client.refresh(&refresh_token).await?;
    assert!(refreshed.jwt.starts_with("eyJ"));
    assert_eq!(refreshed.remaining_budget_sats, 9_993);
    let rotated = refreshed.refresh_token.expect("rotated refresh token");
    assert_ne!(rotated, refresh_token);
    assert_eq!(client.usage(&refreshed.jwt).await?.sats_used, 7);

    let reused = client.refresh(&refresh_token).await.unwrap_err();
    assert_eq!(api_parts(&reused).0, 400);
    assert_eq!(reused.code(), Some("invalid_grant"));
    assert_eq!(
        next_step(&reused),
        "call liveauth_mcp_authenticate to start a new session"
    );
    assert!(
        !reused.to_string().contains(&refresh_token[6..]),
        "{reused}"
    );
    // Reuse revoked the family: the rotated token is dead too.
    let revoked = client.refresh(&rotated).await.unwrap_err();
    assert_eq!(revoked.code(), Some("invalid_grant"));
    Ok(())
}

/// A Lightning quote: pending confirm (200, no token), lnurl, settle, then a token.
#[tokio::test]
async fn lightning_quote_pending_then_paid() -> TestResult {
    let base = mock().await?;
    let client = keyed(&base)?;
    let start = client.start(true).await?;
    let invoice = start.invoice.clone().expect("invoice");

    let lnurl = client.lnurl(&start.quote_id).await?;
    assert_eq!(lnurl.pr, invoice.bolt11);
    assert!(lnurl.routes.is_empty());

    let only_id = ConfirmRequest {
        quote_id: start.quote_id.clone(),
        ..Default::default()
    };
    let pending = client.confirm(&only_id).await?;
    assert_eq!(pending.jwt, None);
    assert_eq!(pending.payment_status, Some(Some(PaymentStatus::Pending)));

    dev_post(
        &base,
        &format!("/api/dev/settle/{}", invoice.payment_hash),
        json!({}),
    )
    .await?;
    let status = client.status(&start.quote_id).await?;
    assert_eq!(status.status, QuoteStatus::Paid);
    assert_eq!(status.payment_status, Some(PaymentStatus::Paid));

    let paid = client.confirm(&only_id).await?;
    assert!(paid.jwt.is_some());
    assert_eq!(paid.payment_status, Some(Some(PaymentStatus::Paid)));
    Ok(())
}

/// lnurl of a PoW quote: the LUD-06 `{status: "ERROR", reason}` body is read as detail.
#[tokio::test]
async fn lnurl_of_pow_quote_reads_lud06_reason() -> TestResult {
    let base = mock().await?;
    let client = keyed(&base)?;
    let start = client.start(false).await?;
    let error = client.lnurl(&start.quote_id).await.unwrap_err();
    let (status, code, detail) = api_parts(&error);
    assert_eq!(status, 422);
    assert_eq!(code, None);
    assert_eq!(
        detail,
        Some("this quote is a PoW challenge and has no invoice")
    );
    assert_eq!(
        error.to_string(),
        "LiveAuth API error 422 (Unprocessable Entity): this quote is a PoW challenge and has \
         no invoice"
    );
    Ok(())
}

/// Quote ids are one encoded path segment: traversal and query tricks reach no other
/// endpoint, only an unknown quote.
#[tokio::test]
async fn quote_ids_cannot_escape_their_segment() -> TestResult {
    let base = mock().await?;
    let client = keyed(&base)?;
    // A real invoice, so a settle reached by traversal would succeed.
    let ln = client.start(true).await?;
    let hash = ln.invoice.expect("invoice").payment_hash;
    for id in [
        format!("../../dev/settle/{hash}"),
        format!("../../dev/settle/{hash}?x=1"),
        "a?b#c".to_owned(),
        "%2e%2e".to_owned(),
        "..%2F..%2Fusage".to_owned(),
    ] {
        let error = client.status(&id).await.unwrap_err();
        assert_eq!(api_parts(&error).0, 404, "{id}");
        assert_eq!(error.code(), Some("quote_not_found"), "{id}: {error}");
        let error = client.lnurl(&id).await.unwrap_err();
        assert_eq!(api_parts(&error).0, 404, "{id}");
    }
    for id in ["", ".", "..", "a\nb"] {
        let error = client.status(id).await.unwrap_err();
        assert!(matches!(error, ApiError::InvalidInput { .. }), "{error:?}");
        assert_eq!(error.status(), None);
    }
    // Nothing was paid by any of the above.
    assert_eq!(
        client.status(&ln.quote_id).await?.payment_status,
        Some(PaymentStatus::Pending)
    );
    Ok(())
}

/// The exact request line the client sends for a hostile quote id.
#[tokio::test]
async fn quote_id_is_percent_encoded_on_the_wire() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let client = demo(&server.uri())?;
    for id in ["../dev/settle/x", "a?b#c", "%2F"] {
        let _ = client.status(id).await;
    }
    let paths: Vec<String> = server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    assert_eq!(
        paths,
        [
            "/api/mcp/status/..%2Fdev%2Fsettle%2Fx",
            "/api/mcp/status/a%3Fb%23c",
            "/api/mcp/status/%252F",
        ]
    );
    Ok(())
}

/// An expired challenge is 410 `challenge_expired`, and the message says when and what
/// to do.
#[tokio::test]
async fn expired_challenge_message() -> TestResult {
    let base = mock().await?;
    let client = keyed(&base)?;
    let start = client.start(false).await?;
    dev_post(&base, "/api/dev/clock/advance", json!({"seconds": 301})).await?;
    let error = client.confirm(&solved(&start)?).await.unwrap_err();
    assert_eq!(error.code(), Some("challenge_expired"));
    assert_says(
        &error,
        "LiveAuth API error 410 challenge_expired: the challenge expired at ",
        "start a new quote with liveauth_mcp_start",
    );
    Ok(())
}

/// A bad bearer token is 401 with the `WWW-Authenticate` challenge kept.
#[tokio::test]
async fn bad_token_keeps_www_authenticate() -> TestResult {
    let base = mock().await?;
    let error = keyed(&base)?.usage("eyJnot.a.token").await.unwrap_err();
    let ApiError::Api {
        status,
        www_authenticate,
        ..
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!(*status, 401);
    assert_eq!(error.code(), Some("token_invalid"));
    assert!(
        www_authenticate
            .iter()
            .any(|v| v.starts_with("Bearer error=\"invalid_token\"")),
        "{www_authenticate:?}"
    );
    // A token that cannot be a header value is refused before sending.
    let error = keyed(&base)?.usage("a\nb").await.unwrap_err();
    assert!(matches!(error, ApiError::InvalidInput { .. }), "{error:?}");
    Ok(())
}

/// Nothing listens: connection refused, naming the base.
#[tokio::test]
async fn connection_refused() -> TestResult {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    drop(listener);
    let base = format!("http://{addr}/");
    let error = demo(&base)?.start(false).await.unwrap_err();
    assert!(
        matches!(
            error,
            ApiError::Transport {
                cause: TransportCause::Refused,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.is_transport());
    assert_eq!(error.status(), None);
    assert_eq!(
        error.to_string(),
        format!("cannot reach the LiveAuth API at http://{addr}: connection refused")
    );
    assert!(next_step(&error).contains("LIVEAUTH_API_BASE"));
    Ok(())
}

/// A server that accepts and never answers: the client timeout fires and is named.
#[tokio::test]
async fn timeout_names_the_limit() -> TestResult {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let client = ApiClient::new(&format!("http://{addr}"), None, Duration::from_millis(300))?;
    let started = std::time::Instant::now();
    let error = client.status("q").await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        matches!(
            error,
            ApiError::Transport {
                cause: TransportCause::Timeout,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        format!("cannot reach the LiveAuth API at http://{addr}: timed out after 300 ms")
    );
    Ok(())
}

/// `https://` to a server that speaks plain HTTP: a TLS failure, named as such.
#[tokio::test]
async fn tls_failure() -> TestResult {
    let server = MockServer::start().await;
    let base = format!("https://{}", server.address());
    let error = demo(&base)?.status("q").await.unwrap_err();
    assert!(
        matches!(
            error,
            ApiError::Transport {
                cause: TransportCause::Tls,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        error.to_string().starts_with(&format!(
            "cannot reach the LiveAuth API at {base}: TLS handshake failed"
        )),
        "{error}"
    );
    Ok(())
}

/// A proxy's HTML 502 page: status kept, text of the page as detail, no code.
#[tokio::test]
async fn html_502_from_a_proxy() -> TestResult {
    let server = MockServer::start().await;
    let page = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center>\
                <h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n\
                </html>\r\n";
    Mock::given(method("POST"))
        .and(path("/api/mcp/start"))
        .respond_with(ResponseTemplate::new(502).set_body_raw(page, "text/html"))
        .mount(&server)
        .await;
    let error = demo(&server.uri())?.start(false).await.unwrap_err();
    let (status, code, detail) = api_parts(&error);
    assert_eq!(status, 502);
    assert_eq!(code, None);
    assert!(
        detail.is_some_and(|d| d.starts_with("502 Bad Gateway")),
        "{detail:?}"
    );
    assert_says(
        &error,
        "LiveAuth API error 502 (Bad Gateway): 502 Bad Gateway",
        "the API failed; retry later",
    );
    Ok(())
}

/// The hosted API's `{error, error_description}` form is read too.
#[tokio::test]
async fn oauth_style_error_body() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/mcp/usage"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": "token_expired",
            "error_description": "the access token expired 3 s ago",
        })))
        .mount(&server)
        .await;
    let error = demo(&server.uri())?.usage("eyJabc").await.unwrap_err();
    assert_eq!(
        api_parts(&error),
        (
            401,
            Some("token_expired"),
            Some("the access token expired 3 s ago")
        )
    );
    assert_eq!(
        error.to_string(),
        "LiveAuth API error 401 token_expired: the access token expired 3 s ago"
    );
    assert!(next_step(&error).contains("liveauth_mcp_refresh"));
    Ok(())
}

/// A 200 whose JSON has the wrong shape is a Decode error naming the field, and never
/// echoes the body (it may carry tokens).
#[tokio::test]
async fn malformed_success_body() -> TestResult {
    let server = MockServer::start().await;
    let token = "la_rt_VERYSECRETREFRESHTOKENVALUE0123456789";
    Mock::given(method("POST"))
        .and(path("/api/mcp/refresh"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "jwt": "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJzZWNyZXQifQ.c2lnbmF0dXJl",
            "expiresIn": token,
            "remainingBudgetSats": 1,
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/mcp/confirm"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw("{\"jwt\": \"eyJ", "application/json"),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/mcp/usage"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("<html>hi</html>", "text/html"))
        .mount(&server)
        .await;
    let client = demo(&server.uri())?;

    let error = client.refresh("la_rt_x").await.unwrap_err();
    assert!(
        matches!(error, ApiError::Decode { status: 200, .. }),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(
        text.starts_with("unexpected answer from the LiveAuth API (200): field `expiresIn`:"),
        "{text}"
    );
    assert!(!text.contains("VERYSECRET"), "{text}");
    assert!(!text.contains("c2lnbmF0dXJl"), "{text}");

    let error = client
        .confirm(&ConfirmRequest {
            quote_id: "q".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(matches!(error, ApiError::Decode { .. }), "{error:?}");

    let error = client.usage("eyJabc").await.unwrap_err();
    let text = error.to_string();
    assert!(text.contains("content type text/html"), "{text}");
    assert!(!text.contains("hi"), "{text}");
    Ok(())
}

/// Oversized bodies are cut at 64 KiB: an error body is still read, a success body is a
/// Decode error.
#[tokio::test]
async fn oversized_bodies() -> TestResult {
    let server = MockServer::start().await;
    let huge = "x".repeat(MAX_BODY_BYTES * 4);
    Mock::given(method("GET"))
        .and(path("/api/mcp/status/big-error"))
        .respond_with(ResponseTemplate::new(500).set_body_string(huge.clone()))
        .mount(&server)
        .await;
    let mut big_json = json!({"quoteId": "q", "status": "pending", "paymentStatus": null});
    big_json["expiresAt"] = Value::String(huge);
    Mock::given(method("GET"))
        .and(path("/api/mcp/status/big-ok"))
        .respond_with(ResponseTemplate::new(200).set_body_json(big_json))
        .mount(&server)
        .await;
    let client = demo(&server.uri())?;
    let error = client.status("big-error").await.unwrap_err();
    let (status, _, detail) = api_parts(&error);
    assert_eq!(status, 500);
    assert!(detail.is_some_and(|d| d.chars().count() <= 200));
    let error = client.status("big-ok").await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "unexpected answer from the LiveAuth API (200): the body is larger than 64 KiB"
    );
    Ok(())
}

/// Redirects are not followed (tokens go only to the configured base); the error says
/// where the API points.
#[tokio::test]
async fn redirects_are_not_followed() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/mcp/usage"))
        .respond_with(
            ResponseTemplate::new(302).insert_header("Location", "https://elsewhere.invalid/x"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let error = demo(&server.uri())?.usage("eyJabc").await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "LiveAuth API error 302 (Found): the API redirects to https://elsewhere.invalid/x"
    );
    assert!(next_step(&error).contains("LIVEAUTH_API_BASE"));
    Ok(())
}

/// What goes on the wire: paths, the project key header on every request of a keyed
/// client (start, confirm, status, lnurl, charge, usage, refresh) and on none of an
/// anonymous one, bodies (charge's `idempotencyKey`), bearer and idempotency headers, and
/// the user agent.
#[tokio::test]
async fn request_shapes_on_the_wire() -> TestResult {
    let server = MockServer::start().await;
    let start = json!({"quoteId": "q1", "powChallenge": null, "invoice": null, "authHint": null});
    Mock::given(method("POST"))
        .and(path("/api/mcp/start"))
        .and(body_json(json!({"forceLightning": true})))
        .respond_with(ResponseTemplate::new(200).set_body_json(start.clone()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/mcp/start"))
        .and(body_json(json!({})))
        .respond_with(ResponseTemplate::new(200).set_body_json(start))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/mcp/charge"))
        .and(header("Authorization", "Bearer eyJtoken"))
        .and(header("Idempotency-Key", "k-1"))
        .and(body_json(
            json!({"callCostSats": 5, "idempotencyKey": "k-1"}),
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"status": "ok", "callsUsed": 1, "satsUsed": 5})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/mcp/confirm"))
        .and(body_json(json!({
            "quoteId": "q1", "challengeHex": "ab", "nonce": 42, "hashHex": "cd",
            "expiresAtUnix": 1, "difficultyBits": 8, "sig": "s"
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "jwt": null, "expiresIn": null, "remainingBudgetSats": null, "refreshToken": null
        })))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/mcp/status/q1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "quoteId": "q1", "status": "pending", "paymentStatus": "pending",
            "expiresAt": "2026-01-01T00:10:00"
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/mcp/lnurl/q1"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"pr": "lnbcrt1", "routes": []})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/mcp/usage"))
        .and(header("Authorization", "Bearer eyJtoken"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "status": "active", "callsUsed": 1, "satsUsed": 5, "maxSatsPerDay": 100,
            "remainingBudgetSats": 95, "maxCallsPerMinute": 60,
            "expiresAt": "2026-01-01T00:10:00", "dayWindowStart": "2026-01-01T00:00:00"
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/mcp/refresh"))
        .and(body_json(json!({"refreshToken": "rt"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "jwt": "eyJnew", "expiresIn": 600, "remainingBudgetSats": 95
        })))
        .mount(&server)
        .await;

    let confirm = ConfirmRequest {
        quote_id: "q1".into(),
        challenge_hex: Some("ab".into()),
        nonce: Some(Nonce(42)),
        hash_hex: Some("cd".into()),
        expires_at_unix: Some(1),
        difficulty_bits: Some(8),
        sig: Some("s".into()),
        macaroon: None,
    };
    let keyed = keyed(&server.uri())?;
    keyed.start(true).await?;
    keyed.confirm(&confirm).await?;
    keyed.status("q1").await?;
    keyed.lnurl("q1").await?;
    keyed.charge("eyJtoken", &charge(5, "k-1")).await?;
    keyed.usage("eyJtoken").await?;
    let refreshed = keyed.refresh("rt").await?;
    assert_eq!(refreshed.refresh_token, None);
    let keyed_requests = server.received_requests().await.unwrap_or_default();
    assert_eq!(keyed_requests.len(), 7);
    for request in &keyed_requests {
        let key = request
            .headers
            .get("x-lw-public")
            .and_then(|v| v.to_str().ok());
        assert_eq!(key, Some(KEY), "{} {}", request.method, request.url.path());
    }

    let anonymous = demo(&server.uri())?;
    anonymous.start(false).await?;
    anonymous.confirm(&confirm).await?;
    anonymous.status("q1").await?;
    anonymous.lnurl("q1").await?;
    let requests = server.received_requests().await.unwrap_or_default();
    for request in &requests[keyed_requests.len()..] {
        assert!(
            request.headers.get("x-lw-public").is_none(),
            "{} {}",
            request.method,
            request.url.path()
        );
    }
    for request in &requests {
        let agent = request
            .headers
            .get("user-agent")
            .and_then(|v| v.to_str().ok());
        assert_eq!(
            agent,
            Some(concat!("liveauth-mcp/", env!("CARGO_PKG_VERSION")))
        );
    }
    Ok(())
}

/// The hosted 402 `payment_required` (facts §2.5, without `callsUsed`/`satsUsed`) is a
/// charge deny with its payment, and a 422 deny too; a 401 is never one (the token
/// protocol refreshes on it).
#[tokio::test]
async fn caller_funding_denies_are_charge_answers_whatever_their_status() -> TestResult {
    let challenge = json!({
        "status": "deny", "reason": "payment_required", "fundingMode": "caller",
        "grossSats": 2, "callerBalanceSats": 0, "remainingBudgetSats": 10000,
        "payment": {
            "paymentId": "6180ef20-17f1-4c7f-a7ea-1ff44d049a7a", "method": "lightning",
            "amountSats": 2, "creditSats": 2, "invoice": "lnbcrt20n1p",
            "expiresAt": "2030-03-17T17:46:40Z",
            "confirmPath": "/api/mcp/payments/6180ef20-17f1-4c7f-a7ea-1ff44d049a7a/confirm",
            "retryIdempotencyKey": "call-1"
        }
    });
    let request = ChargeRequest {
        call_cost_sats: Some(2),
        idempotency_key: Some("call-1".into()),
        ..ChargeRequest::default()
    };
    for (status, body, deny) in [
        (402, challenge.clone(), Some(DenyReason::PaymentRequired)),
        (
            422,
            json!({"status": "deny", "reason": "idempotency_conflict"}),
            Some(DenyReason::IdempotencyConflict),
        ),
        (
            401,
            json!({"status": "deny", "reason": "budget_exceeded"}),
            None,
        ),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/api/mcp/charge"))
            .respond_with(ResponseTemplate::new(status).set_body_json(body))
            .mount(&server)
            .await;
        let client = demo(&server.uri())?;
        match (client.charge("jwt", &request).await, deny) {
            (Ok(charge), Some(reason)) => {
                assert_eq!(charge.status, ChargeStatus::Deny);
                assert_eq!(charge.reason, Some(reason));
                if status == 402 {
                    let payment = charge.payment.ok_or("no payment")?;
                    assert_eq!(payment.retry_idempotency_key, "call-1");
                    assert_eq!((charge.calls_used, charge.sats_used), (0, 0));
                }
            }
            (Err(ApiError::Api { status: 401, .. }), None) => {}
            (other, _) => panic!("{status}: {other:?}"),
        }
    }
    Ok(())
}

//! `liveauth-mcp --http` is locked down (issue 12, fault 3): loopback only unless allowed,
//! a bearer token on every request, `Host` and `Origin` checked, MCP sessions capped and
//! expired when idle. The built binary for what happens at start; the router on a
//! loopback socket for the rest.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a panic is a failed test

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::http::{McpHttp, rpc_body, session_of};
use liveauth_mcp::SolveLimit;
use liveauth_mcp::embedded::EmbeddedMock;
use liveauth_mcp::http_access::HttpAccess;
use liveauth_testkit::{on_both_profiles, process};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::json;
use tokio::process::Command;
use tokio_util::sync::CancellationToken;

const BIN: &str = env!("CARGO_BIN_EXE_liveauth-mcp");

/// `--http` on an address that is not loopback fails at start, saying what to do.
#[tokio::test]
async fn a_remote_address_is_refused_at_start() {
    let output = tokio::time::timeout(
        Duration::from_secs(60),
        Command::new(BIN)
            .args(["--embedded-mock", "--http", "0.0.0.0:0"])
            .stdin(Stdio::null())
            .output(),
    )
    .await
    .unwrap()
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("not a loopback address") && stderr.contains("--http-allow-remote"),
        "{stderr}"
    );
}

/// Without `LIVEAUTH_HTTP_TOKEN` the binary prints a random token to stderr; a request
/// without it, or with another, is 401 with `WWW-Authenticate: Bearer`; with it, served.
#[tokio::test]
async fn the_generated_token_is_printed_and_required() {
    let mut command = Command::new(BIN);
    command
        .args(["--embedded-mock", "--http", "127.0.0.1:0"])
        .env_remove("LIVEAUTH_HTTP_TOKEN");
    let mut server = process::spawn(&mut command, "liveauth_mcp=info");
    let (mut token, mut url) = (None, None);
    let (token, url) = server
        .stderr
        .find(|line| {
            if let Some((_, rest)) = line.split_once("Authorization: Bearer ") {
                token = Some(rest.trim().to_owned());
            }
            if let Some((_, rest)) = line.split_once("Streamable HTTP at ") {
                url = Some(rest.trim().to_owned());
            }
            token.clone().zip(url.clone())
        })
        .await;
    assert_eq!(token.len(), 64, "{token}");
    for presented in [None, Some("not-the-token")] {
        let refused = McpHttp::new(url.clone(), presented)
            .initialize(HeaderMap::new())
            .await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(refused.headers()["www-authenticate"], "Bearer");
    }
    let served = McpHttp::new(url, Some(&token))
        .initialize(HeaderMap::new())
        .await;
    assert_eq!(served.status(), StatusCode::OK);
    server.child.kill().await.unwrap();
}

/// The router for `access` on a loopback socket, against a mock of `profile`.
async fn serve(profile: common::Profile, access: &HttpAccess) -> (EmbeddedMock, McpHttp, u16) {
    let mock = EmbeddedMock::start(common::mock_config(profile))
        .await
        .unwrap();
    let api =
        liveauth_mcp::api::ApiClient::new(&mock.base_url, None, Duration::from_secs(5)).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let served = listener.local_addr().unwrap();
    let router = liveauth_mcp::transport::http_router(
        api,
        liveauth_mcp::AgentSession::in_memory(),
        SolveLimit::new(1, 1),
        access,
        served,
        CancellationToken::new(),
    );
    tokio::spawn(async move { axum::serve(listener, router).await });
    let http = McpHttp::new(format!("http://{served}/mcp"), Some(access.token()));
    (mock, http, served.port())
}

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    pairs
        .iter()
        .map(|(name, value)| (*name, HeaderValue::from_str(value).unwrap()))
        .map(|(name, value)| (reqwest::header::HeaderName::from_static(name), value))
        .collect()
}

/// An `Origin`, when sent, must be a loopback origin of the served port, and `Host` must
/// name the server at that port; then a whole tool call is served.
async fn origin_and_host_are_checked(profile: common::Profile) {
    let (access, _) = HttpAccess::new(Some("origin-test-token".into()));
    let (mock, http, port) = serve(profile, &access).await;
    let other = if port == 1 { 2 } else { port - 1 };
    let served_origins = [
        format!("http://localhost:{port}"),
        format!("http://127.0.0.1:{port}"),
    ];
    for origin in &served_origins {
        let answer = http.initialize(headers(&[("origin", origin)])).await;
        assert_eq!(answer.status(), StatusCode::OK, "{origin}");
    }
    let foreign = [
        ("origin", "https://evil.example".to_owned()),
        ("origin", "null".to_owned()),
        ("origin", format!("http://localhost:{other}")),
        ("origin", format!("https://localhost:{port}")),
        ("host", format!("evil.example:{port}")),
        ("host", format!("localhost:{other}")),
    ];
    for (name, value) in &foreign {
        let answer = http.initialize(headers(&[(name, value)])).await;
        assert_eq!(answer.status(), StatusCode::FORBIDDEN, "{name}: {value}");
    }
    // No Origin (a non-browser client) is served, through a whole tool call.
    let init = http.initialize(HeaderMap::new()).await;
    let session = session_of(&init).unwrap();
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    http.post(&initialized, Some(&session), HeaderMap::new())
        .await;
    let call = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
        "params": {"name": "liveauth_mcp_start", "arguments": {}}});
    let answer = http.post(&call, Some(&session), HeaderMap::new()).await;
    let answer = rpc_body(&answer.text().await.unwrap());
    assert!(
        answer["result"]["structuredContent"]["quoteId"].is_string(),
        "{answer}"
    );
    mock.stop().await;
}

/// Beyond the session cap, `initialize` is 503 with `Retry-After`; an idle session is
/// closed and removed, which frees its place and makes its id unknown (404).
async fn sessions_are_capped_and_expire(profile: common::Profile) {
    let (mut access, _) = HttpAccess::new(Some("session-test-token".into()));
    access.max_sessions = 1;
    access.session_idle = Duration::from_secs(1);
    let (mock, http, _) = serve(profile, &access).await;
    let first = http.initialize(HeaderMap::new()).await;
    assert_eq!(first.status(), StatusCode::OK);
    let first = session_of(&first).unwrap();
    let full = http.initialize(HeaderMap::new()).await;
    assert_eq!(full.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(full.headers()["retry-after"], "5");
    let body: serde_json::Value = full.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at most 1"),
        "{body}"
    );
    // The first session expires by itself: poll (generously) until a new one is let in.
    let reopened = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let answer = http.initialize(HeaderMap::new()).await;
            if answer.status() == StatusCode::OK {
                break answer;
            }
            assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await
    .unwrap();
    assert_ne!(session_of(&reopened).unwrap(), first);
    let ping = json!({"jsonrpc": "2.0", "id": 3, "method": "ping"});
    let expired = http.post(&ping, Some(&first), HeaderMap::new()).await;
    assert_eq!(expired.status(), StatusCode::NOT_FOUND);
    mock.stop().await;
}

on_both_profiles!(origin_and_host_are_checked, sessions_are_capped_and_expire);

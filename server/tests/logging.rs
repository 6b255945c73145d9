//! No secret reaches the MCP server's log whatever `RUST_LOG` says (issue 12, fault 4):
//! the built binary runs a whole flow (authenticate, charge, refresh, a Lightning quote
//! and its invoice) at the most verbose settings, and its stderr is searched for every
//! secret the flow saw: the API key, each JWT and its parts, each refresh token.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a panic is a failed test

mod common;

use common::raw::Raw;
use liveauth_testkit::on_both_profiles;
use serde_json::{Value, json};

/// The settings that once logged whole messages: everything, rmcp's message dump alone
/// (more specific than any cap in an `EnvFilter`), and every HTTP stack at trace.
const VERBOSE: [&str; 3] = [
    "trace",
    "rmcp::service=trace",
    "rmcp=trace,tower_http=trace,hyper=trace,hyper_util=trace,reqwest=trace,mock_api=trace,liveauth_mcp=trace",
];

/// Fields of a tool result that hold secrets.
const SECRET_FIELDS: [&str; 5] = ["jwt", "refreshToken", "preimage", "macaroon", "accessToken"];

/// Every secret in `value`: the secret fields' strings, and each part of a JWT.
fn secrets_in(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(fields) => {
            for (key, field) in fields {
                match field.as_str() {
                    Some(secret) if SECRET_FIELDS.contains(&key.as_str()) => {
                        found.push(secret.to_owned());
                        found.extend(
                            secret
                                .split('.')
                                .filter(|part| part.len() >= 16)
                                .map(str::to_owned),
                        );
                    }
                    _ => secrets_in(field, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| secrets_in(item, found)),
        _ => {}
    }
}

/// Runs the flow on the binary with `args` at `rust_log`; returns its stderr and the
/// secrets the flow saw.
async fn flow(args: &[&str], rust_log: &str) -> (String, Vec<String>) {
    let (mut raw, mut child, logs) = Raw::binary(args, rust_log);
    raw.initialize().await;
    let calls = [
        ("liveauth_mcp_authenticate", json!({})),
        ("liveauth_mcp_charge", json!({"callCostSats": 1})),
        ("liveauth_mcp_refresh", json!({})),
        ("liveauth_mcp_charge", json!({"callCostSats": 1})),
        ("liveauth_mcp_start", json!({"forceLightning": true})),
    ];
    let mut results = Vec::new();
    for (id, (tool, arguments)) in (1..).zip(calls) {
        raw.call(id, tool, arguments).await;
        results.push(raw.answer(&json!(id)).await);
    }
    let quote = results[4]["result"]["structuredContent"]["quoteId"].clone();
    raw.call(9, "liveauth_mcp_lnurl", json!({"quoteId": quote}))
        .await;
    results.push(raw.answer(&json!(9)).await);
    for result in &results {
        assert_eq!(result["result"]["isError"], false, "{rust_log}: {result}");
    }
    drop(raw);
    let _ = child.wait().await;
    let mut secrets = Vec::new();
    secrets_in(&Value::Array(results), &mut secrets);
    (logs.await.unwrap(), secrets)
}

/// Fails naming the secret if `stderr` contains any of `secrets`.
fn assert_no_secret(stderr: &str, secrets: &[String], rust_log: &str) {
    // Two JWTs and two refresh tokens at least (authenticate, refresh), and a log.
    assert!(secrets.len() >= 4, "{secrets:?}");
    assert!(!stderr.is_empty(), "{rust_log}: nothing was logged");
    for secret in secrets {
        assert!(
            !stderr.contains(secret.as_str()),
            "{rust_log}: a secret reached stderr: {secret}"
        );
    }
}

/// Against a mock of `profile` reached over HTTP, with a project key: the server's own
/// logs, its HTTP client's and rmcp's.
async fn no_secret_reaches_the_log(profile: common::Profile) {
    let mock = liveauth_mcp::embedded::EmbeddedMock::start(common::mock_config(profile))
        .await
        .unwrap();
    let key = common::PROJECT_KEY;
    let runs = VERBOSE.map(|rust_log| {
        let base = mock.base_url.clone();
        tokio::spawn(async move {
            let args = ["--api-base", &base, "--api-key", key];
            (rust_log, flow(&args, rust_log).await)
        })
    });
    for run in runs {
        let (rust_log, (stderr, mut secrets)) = run.await.unwrap();
        secrets.push(key.to_owned());
        assert_no_secret(&stderr, &secrets, rust_log);
    }
    mock.stop().await;
}

on_both_profiles!(no_secret_reaches_the_log);

/// With `--embedded-mock` the mock logs into the same stderr: its logs keep the secrets
/// out too.
#[tokio::test]
async fn no_secret_reaches_the_log_with_the_embedded_mock() {
    let key = "la_pk_logtest0123456789abcdef";
    let runs = VERBOSE.map(|rust_log| {
        tokio::spawn(async move {
            (
                rust_log,
                flow(&["--embedded-mock", "--api-key", key], rust_log).await,
            )
        })
    });
    for run in runs {
        let (rust_log, (stderr, mut secrets)) = run.await.unwrap();
        secrets.push(key.to_owned());
        assert_no_secret(&stderr, &secrets, rust_log);
    }
}

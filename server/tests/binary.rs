//! The built `liveauth-mcp` binary: over stdio (raw JSON-RPC lines and rmcp's
//! `TokioChildProcess` client), the `demo` command, and the Streamable HTTP transport.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a panic is a failed test

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::http::{McpHttp, rpc_body, session_of};
use liveauth_testkit::process;
use reqwest::header::HeaderMap;
use rmcp::ServiceExt as _;
use rmcp::transport::{ConfigureCommandExt as _, TokioChildProcess};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _};
use tokio::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_liveauth-mcp");

/// Raw JSON-RPC over the binary's stdio, offline: authenticate then charge. Every stdout
/// line is a JSON-RPC message (logs go to stderr), and a malformed input line does not
/// stop the server.
#[tokio::test]
async fn stdio_speaks_only_json_rpc() {
    let process::Spawned {
        mut child,
        mut stdin,
        stdout,
        stderr,
    } = process::spawn(Command::new(BIN).arg("--embedded-mock"), "debug");
    let logs = stderr.collect();
    let mut lines = stdout.lines();
    let requests = [
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "raw-test", "version": "0"}}}),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    ];
    for request in &requests {
        stdin
            .write_all(format!("{request}\n").as_bytes())
            .await
            .unwrap();
    }
    let mut responses = Vec::new();
    let read = async |lines: &mut tokio::io::Lines<_>, id: u64| loop {
        let line = process::next_line(lines).await;
        let message: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert_eq!(message["jsonrpc"], "2.0", "{line}");
        if message["id"] == id {
            return message;
        }
    };
    responses.push(read(&mut lines, 1).await);
    assert_eq!(responses[0]["result"]["serverInfo"]["name"], "liveauth-mcp");

    stdin.write_all(b"this is not json\n").await.unwrap();
    let calls = [
        (2, "liveauth_mcp_authenticate", json!({})),
        (3, "liveauth_mcp_charge", json!({"callCostSats": 2})),
    ];
    for (id, name, arguments) in calls {
        let request = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": name, "arguments": arguments}});
        stdin
            .write_all(format!("{request}\n").as_bytes())
            .await
            .unwrap();
        let response = read(&mut lines, id).await;
        assert_eq!(response["result"]["isError"], false, "{response}");
        responses.push(response);
    }
    assert!(responses[1]["result"]["structuredContent"]["jwt"].is_string());
    assert_eq!(responses[2]["result"]["structuredContent"]["satsUsed"], 2);

    drop(stdin); // end of input: the server exits cleanly
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());
    let stderr = logs.await.unwrap();
    let jwt = responses[1]["result"]["structuredContent"]["jwt"]
        .as_str()
        .unwrap();
    let refresh = responses[1]["result"]["structuredContent"]["refreshToken"]
        .as_str()
        .unwrap();
    assert!(
        !stderr.contains(jwt) && !stderr.contains(refresh),
        "a token reached the logs"
    );
}

/// rmcp's own child-process client drives the binary through authenticate and charge.
#[tokio::test]
async fn child_process_client() {
    let transport = TokioChildProcess::new(Command::new(BIN).configure(|cmd| {
        cmd.arg("--embedded-mock").stderr(Stdio::null());
    }))
    .unwrap();
    let client = ().serve(transport).await.unwrap();
    let call = liveauth_testkit::mcp::request;
    let auth = client
        .call_tool(call("liveauth_mcp_authenticate", json!({})))
        .await
        .unwrap();
    assert_eq!(auth.is_error, Some(false));
    let charge = client
        .call_tool(call("liveauth_mcp_charge", json!({"callCostSats": 4})))
        .await
        .unwrap();
    assert_eq!(charge.structured_content.unwrap()["satsUsed"], 4);
    client.cancel().await.unwrap();
}

/// `liveauth-mcp demo` walks every tool and exits 0.
#[tokio::test]
async fn demo_command_succeeds() {
    let output = tokio::time::timeout(
        Duration::from_secs(120),
        Command::new(BIN).arg("demo").stdin(Stdio::null()).output(),
    )
    .await
    .unwrap()
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("11 tools"), "{stdout}");
    for tool in [
        "liveauth_mcp_solve",
        "liveauth_mcp_lnurl",
        "liveauth_mcp_refresh",
    ] {
        assert!(
            stdout.contains(&format!("] {tool} ")),
            "{tool} not walked:\n{stdout}"
        );
    }
    assert!(stdout.contains("All 13 steps passed."), "{stdout}");
}

/// `--help` and `--version` work and name the configuration.
#[tokio::test]
async fn help_and_version() {
    let help = Command::new(BIN).arg("--help").output().await.unwrap();
    let text = String::from_utf8_lossy(&help.stdout);
    for word in [
        "--api-base",
        "--api-key",
        "--demo",
        "--embedded-mock",
        "--http",
        "LIVEAUTH_API_KEY",
    ] {
        assert!(text.contains(word), "{word} missing from --help");
    }
    let version = Command::new(BIN).arg("--version").output().await.unwrap();
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("liveauth-mcp {}", env!("CARGO_PKG_VERSION"))
    );
}

/// Streamable HTTP at /mcp: initialize, tools/list, and a tool call.
#[tokio::test]
async fn streamable_http_transport() {
    let mock =
        liveauth_mcp::embedded::EmbeddedMock::start(common::mock_config(common::Profile::Strict))
            .await
            .unwrap();
    let api =
        liveauth_mcp::api::ApiClient::new(&mock.base_url, None, Duration::from_secs(5)).unwrap();
    let shutdown = tokio_util::sync::CancellationToken::new();
    let (access, _) = liveauth_mcp::http_access::HttpAccess::new(Some("http-test-token".into()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let served = listener.local_addr().unwrap();
    let router = liveauth_mcp::transport::http_router(
        api,
        liveauth_mcp::AgentSession::in_memory(),
        liveauth_mcp::SolveLimit::per_core(),
        &access,
        served,
        shutdown.clone(),
    );
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    let http = McpHttp::new(format!("http://{served}/mcp"), Some(access.token()));
    let post = async |body: Value, session: Option<&str>| {
        http.post(&body, session, HeaderMap::new()).await
    };
    let init = http.initialize(HeaderMap::new()).await;
    assert!(init.status().is_success(), "{init:?}");
    let session = session_of(&init);
    assert_eq!(
        rpc_body(&init.text().await.unwrap())["result"]["serverInfo"]["name"],
        "liveauth-mcp"
    );
    let session = session.as_deref();
    post(
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        session,
    )
    .await;
    let list = post(
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}),
        session,
    )
    .await;
    let list = rpc_body(&list.text().await.unwrap());
    assert_eq!(list["result"]["tools"].as_array().unwrap().len(), 11);
    let call = post(
        json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
            "params": {"name": "liveauth_mcp_start", "arguments": {}}}),
        session,
    )
    .await;
    let call = rpc_body(&call.text().await.unwrap());
    assert_eq!(
        call["result"]["structuredContent"]["powChallenge"]["projectPublicKey"],
        "la_pk_demo"
    );
    shutdown.cancel();
    server.abort();
}

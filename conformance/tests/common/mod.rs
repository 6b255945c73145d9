//! An MCP server connected over `tokio::io::duplex` to a real rmcp client, whose API
//! client points at whatever base URL the test gives (the mock, or a wiremock). The tool
//! call helpers are `liveauth_testkit::mcp::Agent`'s.

#![allow(dead_code, unreachable_pub)] // each test binary uses a different part
#![allow(clippy::unwrap_used)] // test harness: a panic is a failed test

use std::time::Duration;

use liveauth_mcp::LiveAuthServer;
use liveauth_mcp::api::ApiClient;
use liveauth_testkit::mcp::Agent;
use rmcp::ServiceExt as _;

/// An MCP server for `base` (demo mode without `key`), and a client connected to it.
pub async fn connect(base: &str, key: Option<&str>, timeout: Duration) -> Agent {
    let api = ApiClient::new(base, key.map(str::to_owned), timeout).unwrap();
    let (server_io, client_io) = tokio::io::duplex(256 * 1024);
    tokio::spawn(async move {
        let running = LiveAuthServer::new(api).serve(server_io).await.unwrap();
        let _ = running.waiting().await;
    });
    Agent::new(().serve(client_io).await.unwrap())
}

//! A real rmcp client, connected in-process (`liveauth_mcp::in_process`) to the MCP server,
//! whose API client points at whatever base URL the test gives (the mock, or a wiremock).
//! The tool call helpers are `liveauth_testkit::mcp::Agent`'s.

#![allow(dead_code, unreachable_pub)] // each test binary uses a different part
#![allow(clippy::unwrap_used)] // test harness: a panic is a failed test

use std::time::Duration;

use liveauth_mcp::LiveAuthServer;
use liveauth_mcp::api::ApiClient;
use liveauth_mcp::clock::Clock;
use liveauth_mcp::in_process;
use liveauth_testkit::mcp::Agent;

/// An MCP server for `base` (demo mode without `key`), and a client connected to it.
pub async fn connect(base: &str, key: Option<&str>, timeout: Duration) -> Agent {
    connect_with_clock(base, key, timeout, Clock::system()).await
}

/// As `connect`, with the server on `clock` (e.g. the mock's manual clock).
pub async fn connect_with_clock(
    base: &str,
    key: Option<&str>,
    timeout: Duration,
    clock: Clock,
) -> Agent {
    let api = ApiClient::new(base, key.map(str::to_owned), timeout).unwrap();
    let server = LiveAuthServer::new(api).with_clock(clock);
    Agent::new(in_process::connect(server).await.unwrap().client)
}

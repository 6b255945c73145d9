//! A real rmcp client, connected in-process (`liveauth_mcp::in_process`) to the MCP server,
//! whose API client points at whatever base URL the test gives (the mock, or a wiremock).

#![allow(dead_code, unreachable_pub)] // each test binary uses a different part
#![allow(clippy::unwrap_used)] // test harness: a panic is a failed test

use std::time::Duration;

use liveauth_mcp::LiveAuthServer;
use liveauth_mcp::api::ApiClient;
use liveauth_mcp::clock::Clock;
use liveauth_mcp::in_process;
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::RunningService;
use serde_json::Value;

pub struct Agent {
    pub client: RunningService<rmcp::RoleClient, ()>,
}

impl Agent {
    /// An MCP server for `base` (demo mode without `key`), and a client connected to it.
    pub async fn connect(base: &str, key: Option<&str>, timeout: Duration) -> Self {
        Self::connect_with_clock(base, key, timeout, Clock::system()).await
    }

    /// As `connect`, with the server on `clock` (e.g. the mock's manual clock).
    pub async fn connect_with_clock(
        base: &str,
        key: Option<&str>,
        timeout: Duration,
        clock: Clock,
    ) -> Self {
        let api = ApiClient::new(base, key.map(str::to_owned), timeout).unwrap();
        let server = LiveAuthServer::new(api).with_clock(clock);
        Self {
            client: in_process::connect(server).await.unwrap().client,
        }
    }

    pub async fn call(&self, tool: &str, arguments: Value) -> CallToolResult {
        let Value::Object(arguments) = arguments else {
            panic!("arguments must be an object")
        };
        let params = CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments);
        self.client.call_tool(params).await.unwrap()
    }

    /// The result as the wire carries it (`content`, `structuredContent`, `isError`).
    pub async fn call_json(&self, tool: &str, arguments: Value) -> Value {
        serde_json::to_value(self.call(tool, arguments).await).unwrap()
    }

    /// A failed call's text; panics unless the result is `isError`.
    pub async fn err(&self, tool: &str, arguments: Value) -> String {
        let result = self.call_json(tool, arguments).await;
        assert_eq!(result["isError"], true, "{tool} should fail: {result:#}");
        text(&result)
    }

    /// A successful call's structured content; panics if the result is `isError`.
    pub async fn ok(&self, tool: &str, arguments: Value) -> Value {
        let result = self.call_json(tool, arguments).await;
        assert_ne!(result["isError"], true, "{tool} failed: {result:#}");
        result["structuredContent"].clone()
    }
}

/// The text blocks of a result (as JSON), joined.
pub fn text(result: &Value) -> String {
    result["content"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|block| block["text"].as_str())
        .collect()
}

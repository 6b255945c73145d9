//! A real rmcp client connected to the server in-process (`liveauth_mcp::in_process`), which
//! talks to the real mock API on a loopback socket.

#![allow(dead_code, unreachable_pub)] // each test binary uses a different part
#![allow(clippy::unwrap_used)] // test harness: a panic is a failed test

use std::time::Duration;

use liveauth_mcp::LiveAuthServer;
use liveauth_mcp::api::ApiClient;
use liveauth_mcp::embedded::EmbeddedMock;
use liveauth_mcp::in_process;
use rmcp::model::{CallToolRequestParams, CallToolResult, Tool};
use rmcp::service::RunningService;
use serde_json::Value;

pub const PROJECT_KEY: &str = "la_pk_test";

pub struct Harness {
    pub client: RunningService<rmcp::RoleClient, ()>,
    pub mock: Option<EmbeddedMock>,
    pub base: String,
}

/// The mock for tests: low difficulty, instant demo settlement, seeded.
pub fn mock_config() -> mock_api::Config {
    mock_api::Config {
        profile: mock_api::Profile::Strict,
        seed: Some(7),
        difficulty_bits: 10,
        demo_settle_after_secs: 0,
        projects: vec![format!("{PROJECT_KEY}:21").parse().unwrap()],
        ..mock_api::Config::default()
    }
}

impl Harness {
    /// Demo mode against a fresh mock.
    pub async fn new() -> Self {
        Self::with(mock_config(), None).await
    }

    pub async fn with(config: mock_api::Config, key: Option<&str>) -> Self {
        let mock = EmbeddedMock::start(config).await.unwrap();
        let base = mock.base_url.clone();
        let mut harness = Self::connect(&base, key).await;
        harness.mock = Some(mock);
        harness
    }

    /// Against any base URL (e.g. one where nothing listens).
    pub async fn connect(base: &str, key: Option<&str>) -> Self {
        let api = ApiClient::new(base, key.map(str::to_owned), Duration::from_secs(5)).unwrap();
        let connection = in_process::connect(LiveAuthServer::new(api)).await.unwrap();
        Self {
            client: connection.client,
            mock: None,
            base: base.to_owned(),
        }
    }

    pub async fn call(&self, tool: &str, arguments: Value) -> CallToolResult {
        let Value::Object(arguments) = arguments else {
            panic!("arguments must be an object")
        };
        let params = CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments);
        self.client.call_tool(params).await.unwrap()
    }

    /// A successful call's structured content, checked against the tool's output schema
    /// and against the text block, which must hold the same JSON.
    pub async fn ok(&self, tool: &str, arguments: Value) -> Value {
        let result = self.call(tool, arguments).await;
        assert_ne!(
            result.is_error,
            Some(true),
            "{tool} failed: {}",
            text(&result)
        );
        let structured = result.structured_content.clone().unwrap();
        let from_text: Value = serde_json::from_str(&text(&result)).unwrap();
        assert_eq!(from_text, structured);
        let tool_def = self.tool(tool).await;
        let schema = Value::Object(tool_def.output_schema.unwrap().as_ref().clone());
        let validator = jsonschema::validator_for(&schema).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&structured)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{tool}: {errors:?}\n{structured:#}");
        structured
    }

    /// A failed call's text (the result must be `isError`).
    pub async fn err(&self, tool: &str, arguments: Value) -> String {
        let result = self.call(tool, arguments).await;
        assert_eq!(
            result.is_error,
            Some(true),
            "{tool} should fail: {result:?}"
        );
        text(&result)
    }

    pub async fn tool(&self, name: &str) -> Tool {
        let tools = self.client.list_all_tools().await.unwrap();
        tools.into_iter().find(|t| t.name == name).unwrap()
    }
}

pub fn text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect()
}

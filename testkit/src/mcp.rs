//! Tool calls through a connected rmcp client, with the checks every test makes on a
//! result: a success is not `isError`, a failure is and says why. Connecting the client
//! to a server is not done here (the server crate offers that).

use rmcp::model::{CallToolRequestParams, CallToolResult, ClientRequest, Request, Tool};
use rmcp::service::{Peer, PeerRequestOptions, RequestHandle, RunningService};
use rmcp::{RoleClient, ServiceError};
use serde_json::{Value, json};

/// An MCP client, as a test's agent.
pub struct Agent {
    pub client: RunningService<RoleClient, ()>,
}

impl std::fmt::Debug for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agent").finish_non_exhaustive()
    }
}

impl Agent {
    pub fn new(client: RunningService<RoleClient, ()>) -> Self {
        Self { client }
    }

    /// Calls `tool`; `arguments` must be a JSON object. Panics on a JSON-RPC error.
    pub async fn call(&self, tool: &str, arguments: Value) -> CallToolResult {
        self.client
            .call_tool(request(tool, arguments))
            .await
            .unwrap_or_else(|error| panic!("{tool}: JSON-RPC error: {error}"))
    }

    /// The result as the wire carries it (`content`, `structuredContent`, `isError`).
    pub async fn call_json(&self, tool: &str, arguments: Value) -> Value {
        let result = self.call(tool, arguments).await;
        serde_json::to_value(&result)
            .unwrap_or_else(|error| panic!("{tool}: result does not serialize: {error}"))
    }

    /// A call that must not be `isError`.
    async fn succeed(&self, tool: &str, arguments: Value) -> CallToolResult {
        let result = self.call(tool, arguments).await;
        assert_ne!(
            result.is_error,
            Some(true),
            "{tool} failed: {}",
            text(&result)
        );
        result
    }

    /// A successful call's structured content (`null` when it has none); panics if the
    /// result is `isError`.
    pub async fn ok(&self, tool: &str, arguments: Value) -> Value {
        let result = self.succeed(tool, arguments).await;
        result.structured_content.unwrap_or(Value::Null)
    }

    /// As [`Agent::ok`], and the structured content is present, fits the tool's output
    /// schema, and the text block holds the same JSON.
    pub async fn ok_valid(&self, tool: &str, arguments: Value) -> Value {
        let result = self.ok_valid_result(tool, arguments).await;
        result.structured_content.unwrap_or(Value::Null)
    }

    /// As [`Agent::ok_valid`], returning the whole result (for its other content blocks).
    pub async fn ok_valid_result(&self, tool: &str, arguments: Value) -> CallToolResult {
        let result = self.succeed(tool, arguments).await;
        let Some(structured) = result.structured_content.clone() else {
            panic!("{tool}: a success without structured content: {result:?}")
        };
        let from_text: Value = serde_json::from_str(&text(&result))
            .unwrap_or_else(|error| panic!("{tool}: the text block is not JSON: {error}"));
        assert_eq!(from_text, structured);
        let Some(schema) = self.tool(tool).await.output_schema else {
            panic!("{tool} has no output schema")
        };
        let schema = Value::Object(schema.as_ref().clone());
        let validator = jsonschema::validator_for(&schema)
            .unwrap_or_else(|error| panic!("{tool}: output schema does not compile: {error}"));
        let errors: Vec<String> = validator
            .iter_errors(&structured)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{tool}: {errors:?}\n{structured:#}");
        result
    }

    /// A failed call's text; panics unless the result is `isError`.
    pub async fn err(&self, tool: &str, arguments: Value) -> String {
        let result = self.call(tool, arguments).await;
        assert_eq!(
            result.is_error,
            Some(true),
            "{tool} should fail: {result:?}"
        );
        text(&result)
    }

    /// The server's definition of `name`, from `tools/list`.
    pub async fn tool(&self, name: &str) -> Tool {
        let tools = self
            .client
            .list_all_tools()
            .await
            .unwrap_or_else(|error| panic!("tools/list: {error}"));
        tools
            .into_iter()
            .find(|t| t.name == name)
            .unwrap_or_else(|| panic!("no tool {name}"))
    }
}

/// A `tools/call` request; `arguments` must be a JSON object.
pub fn request(tool: &str, arguments: Value) -> CallToolRequestParams {
    let Value::Object(arguments) = arguments else {
        panic!("{tool}: arguments must be an object")
    };
    CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments)
}

/// Starts a PoW quote, then sends `tool` (`liveauth_mcp_solve`, or `liveauth_mcp_confirm`,
/// which solves by itself) with just its `quoteId` as a cancellable request, without
/// waiting for its answer: for tests that cancel a solve or disconnect mid-way. The quote
/// id (empty if start failed) and the request's handle.
pub async fn solve_in_background(
    peer: &Peer<RoleClient>,
    tool: &str,
) -> Result<(String, RequestHandle<RoleClient>), ServiceError> {
    let start = peer
        .call_tool(request("liveauth_mcp_start", json!({})))
        .await?;
    let quote_id = start
        .structured_content
        .and_then(|s| s["quoteId"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let solve = request(tool, json!({ "quoteId": quote_id }));
    let request = ClientRequest::CallToolRequest(Request::new(solve));
    let handle = peer
        .send_cancellable_request(request, PeerRequestOptions::no_options())
        .await?;
    Ok((quote_id, handle))
}

/// What `liveauth_mcp_charge` returns for the API's `answer` to a charge sent with
/// idempotency key `key`: the answer whole, plus `ok` and that key.
pub fn charge_result(mut answer: Value, key: &Value) -> Value {
    answer["ok"] = Value::Bool(answer["status"] == "ok");
    answer["idempotencyKey"] = key.clone();
    answer
}

/// The text blocks of a result, joined.
pub fn text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect()
}

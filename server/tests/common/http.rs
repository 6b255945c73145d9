//! A Streamable HTTP client of `/mcp` on reqwest, for reading status codes and headers
//! that rmcp's client hides: JSON-RPC bodies posted with the bearer token (or without).

use reqwest::header::HeaderMap;
use serde_json::{Value, json};

pub struct McpHttp {
    pub url: String,
    pub token: Option<String>,
    client: reqwest::Client,
}

impl McpHttp {
    pub fn new(url: String, token: Option<&str>) -> Self {
        Self {
            url,
            token: token.map(str::to_owned),
            client: reqwest::Client::new(),
        }
    }

    /// POSTs `body` in `session` with `headers` added (they replace defaults, e.g. `Host`).
    pub async fn post(
        &self,
        body: &Value,
        session: Option<&str>,
        headers: HeaderMap,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .post(&self.url)
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json")
            .body(body.to_string());
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(session) = session {
            request = request.header("mcp-session-id", session);
        }
        request.headers(headers).send().await.unwrap()
    }

    /// `initialize` with `headers`.
    pub async fn initialize(&self, headers: HeaderMap) -> reqwest::Response {
        self.post(&initialize(), None, headers).await
    }
}

/// An `initialize` request (id 1) of a legacy-session client.
pub fn initialize() -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "http-test", "version": "0"}}})
}

/// The `Mcp-Session-Id` a response set.
pub fn session_of(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get("mcp-session-id")
        .map(|value| value.to_str().unwrap().to_owned())
}

/// A JSON body, or the JSON-RPC message in an SSE stream's `data:` lines.
pub fn rpc_body(text: &str) -> Value {
    if let Ok(value) = serde_json::from_str(text) {
        return value;
    }
    text.lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .filter_map(|data| serde_json::from_str::<Value>(data.trim()).ok())
        .find(|message| message.get("id").is_some())
        .unwrap_or_else(|| panic!("no JSON-RPC message in {text:?}"))
}

//! A deliberately broken LiveAuth MCP server, for conformance's own tests
//! (`tests/mcp_conformance.rs`): it lists the seed's seven tools and passes start, status,
//! lnurl, confirm and refresh through to `LIVEAUTH_API_BASE`, but makes up what it should
//! have asked the API for. A confirm the API refuses still gets a JWT (`eyJ.fake`); charge
//! books nothing and always says ok; usage invents its counters. No schemas, no
//! annotations, errors in plain text. `conformance mcp` must fail exactly the checks that
//! catch that.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fixture: a panic fails the test

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt as _};
use serde_json::{Value, json};

#[derive(Clone)]
struct Fake {
    http: reqwest::Client,
    base: String,
    key: Option<String>,
}

impl Fake {
    /// The API's answer, `Err(text)` on a non-2xx.
    async fn forward(&self, get: bool, path: &str, body: Value) -> Result<Value, String> {
        let url = format!("{}{path}", self.base);
        let mut request = if get {
            self.http.get(url)
        } else {
            self.http.post(url).json(&body)
        };
        if let Some(key) = &self.key {
            request = request.header("X-LW-Public", key);
        }
        let response = request.send().await.map_err(|e| e.to_string())?;
        let ok = response.status().is_success();
        let text = response.text().await.map_err(|e| e.to_string())?;
        if ok {
            serde_json::from_str(&text).map_err(|e| e.to_string())
        } else {
            Err(text)
        }
    }
}

fn text_result(value: Result<Value, String>) -> CallToolResult {
    match value {
        Ok(value) => CallToolResult::success(vec![ContentBlock::text(value.to_string())]),
        Err(text) => CallToolResult::error(vec![ContentBlock::text(text)]),
    }
}

impl ServerHandler for Fake {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
    }

    async fn list_tools(
        &self,
        _: Option<PaginatedRequestParams>,
        _: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let tools = conformance::mcp::SEED_TOOLS.map(|(name, params)| {
            let properties: serde_json::Map<String, Value> = params
                .iter()
                .map(|p| ((*p).to_owned(), json!({})))
                .collect();
            let schema = json!({"type": "object", "properties": properties});
            let Value::Object(schema) = schema else {
                unreachable!()
            };
            Tool::new(name, "a fake", std::sync::Arc::new(schema))
        });
        Ok(ListToolsResult::with_all_items(tools.to_vec()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let args = Value::Object(request.arguments.unwrap_or_default());
        let quote = args["quoteId"].as_str().unwrap_or_default().to_owned();
        let result = match request.name.as_ref() {
            "liveauth_mcp_start" => text_result(self.forward(false, "/api/mcp/start", args).await),
            "liveauth_mcp_status" => text_result(
                self.forward(true, &format!("/api/mcp/status/{quote}"), args)
                    .await,
            ),
            "liveauth_mcp_lnurl" => text_result(
                self.forward(true, &format!("/api/mcp/lnurl/{quote}"), args)
                    .await,
            ),
            "liveauth_mcp_refresh" => {
                text_result(self.forward(false, "/api/mcp/refresh", args).await)
            }
            "liveauth_mcp_confirm" => {
                let mut body = args.clone();
                if let Some(signature) = body.as_object_mut().and_then(|b| b.remove("signature")) {
                    body["sig"] = signature;
                }
                let answer = self.forward(false, "/api/mcp/confirm", body).await;
                // The bug: never let the agent down, whatever the API said.
                match answer {
                    Ok(answer) if answer["jwt"].is_string() => text_result(Ok(answer)),
                    _ => text_result(Ok(json!({"jwt": "eyJ.fake", "expiresIn": 600}))),
                }
            }
            "liveauth_mcp_charge" => {
                text_result(Ok(json!({"status": "ok", "callsUsed": 1, "satsUsed": 1})))
            }
            "liveauth_mcp_usage" => text_result(Ok(json!({
                "status": "active", "callsUsed": 0, "satsUsed": 0,
                "maxSatsPerDay": 10000, "remainingBudgetSats": 10000
            }))),
            other => text_result(Err(format!("Unknown tool: {other}"))),
        };
        Ok(result.into())
    }
}

#[tokio::main]
async fn main() {
    let fake = Fake {
        http: reqwest::Client::new(),
        base: std::env::var("LIVEAUTH_API_BASE").expect("LIVEAUTH_API_BASE"),
        key: std::env::var("LIVEAUTH_API_KEY").ok(),
    };
    let service = fake
        .serve((tokio::io::stdin(), tokio::io::stdout()))
        .await
        .expect("MCP initialize");
    let _ = service.waiting().await;
}

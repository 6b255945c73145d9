//! `liveauth_mcp_start`: a new quote, a PoW challenge or a Lightning invoice.

use liveauth_protocol::wire::StartResponse;
use rmcp::handler::server::common::{schema_for_output, schema_for_type};
use rmcp::model::CallToolResult;
use rmcp::service::RequestContext;
use rmcp::{RoleServer, tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::{Args, Caller, LiveAuthServer, ToolError, respond};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StartParams {
    /// If true, request a Lightning invoice instead of a proof-of-work challenge.
    #[serde(default)]
    pub force_lightning: Option<bool>,
}

#[tool_router(router = start_router, vis = "pub(super)")]
impl LiveAuthServer {
    /// Start a new LiveAuth session. Returns a proof-of-work challenge by default, or a
    /// Lightning invoice if forceLightning=true. Call this first (or use
    /// liveauth_mcp_authenticate to do start, solve and confirm in one step).
    #[tool(
        name = "liveauth_mcp_start",
        input_schema = schema_for_type::<StartParams>(),
        output_schema = schema_for_output::<StartResponse>(),
        annotations(
            title = "Start a LiveAuth session",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    pub async fn liveauth_mcp_start(
        &self,
        Args(args): Args<StartParams>,
        context: RequestContext<RoleServer>,
    ) -> CallToolResult {
        respond(async { self.caller(&context).start(args?).await }.await)
    }
}

impl Caller {
    /// Starts a quote and remembers it, so confirm, solve and lnurl can use it.
    pub(super) async fn start(&self, args: StartParams) -> Result<StartResponse, ToolError> {
        let force_lightning = args.force_lightning.unwrap_or(false);
        let quote = self.api.start(force_lightning).await?;
        self.session.remember_quote(&quote);
        Ok(quote)
    }
}

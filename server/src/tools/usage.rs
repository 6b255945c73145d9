//! `liveauth_mcp_usage`: the session's usage and remaining budget, without charging.

use liveauth_protocol::wire::UsageResponse;
use rmcp::handler::server::common::{schema_for_output, schema_for_type};
use rmcp::model::CallToolResult;
use rmcp::service::RequestContext;
use rmcp::{RoleServer, tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::{Args, LiveAuthServer, respond};

#[derive(Debug, Deserialize, JsonSchema)]
pub struct NoParams {}

#[tool_router(router = usage_router, vis = "pub(super)")]
impl LiveAuthServer {
    /// Query current usage and remaining budget without making a charge. Use it before
    /// making paid API calls.
    #[tool(
        name = "liveauth_mcp_usage",
        input_schema = schema_for_type::<NoParams>(),
        output_schema = schema_for_output::<UsageResponse>(),
        annotations(
            title = "Usage and remaining budget",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn liveauth_mcp_usage(
        &self,
        Args(args): Args<NoParams>,
        context: RequestContext<RoleServer>,
    ) -> CallToolResult {
        let caller = self.caller(&context);
        respond(
            async {
                args?;
                let api = &caller.api;
                let mut usage = caller
                    .with_token(|jwt| async move { api.usage(&jwt).await })
                    .await?;
                usage.expires_at = super::utc(usage.expires_at);
                usage.day_window_start = super::utc(usage.day_window_start);
                Ok(usage)
            }
            .await,
        )
    }
}

//! `liveauth_mcp_refresh`: a new access token for the refresh token, which the API may
//! rotate (reference) or keep (hosted). The protocol itself is in [`super::token`].

use liveauth_protocol::wire::RefreshResponse;
use rmcp::handler::server::common::{schema_for_output, schema_for_type};
use rmcp::model::CallToolResult;
use rmcp::service::RequestContext;
use rmcp::{RoleServer, tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::{Args, LiveAuthServer, respond};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefreshParams {
    /// The refreshToken from confirm or the last refresh (default: the one this server
    /// holds for you).
    #[serde(default)]
    pub refresh_token: Option<String>,
}

#[tool_router(router = refresh_router, vis = "pub(super)")]
impl LiveAuthServer {
    /// Get a new JWT without re-authenticating, using the refreshToken from confirm (this
    /// server uses the one it holds if you omit it). The previous JWT stops working. If the
    /// result carries a new refreshToken, the old one is spent; if it carries none, the
    /// refresh token stays valid (and this server keeps it).
    #[tool(
        name = "liveauth_mcp_refresh",
        input_schema = schema_for_type::<RefreshParams>(),
        output_schema = schema_for_output::<RefreshResponse>(),
        annotations(
            title = "Refresh the JWT",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    pub async fn liveauth_mcp_refresh(
        &self,
        Args(args): Args<RefreshParams>,
        context: RequestContext<RoleServer>,
    ) -> CallToolResult {
        respond(async { self.caller(&context).refresh(args?.refresh_token).await }.await)
    }
}

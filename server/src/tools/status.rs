//! `liveauth_mcp_status`: a quote's lifecycle and payment state, as the API reports it.

use liveauth_protocol::wire::StatusResponse;
use rmcp::handler::server::common::{schema_for_output, schema_for_type};
use rmcp::model::CallToolResult;
use rmcp::{tool, tool_router};

use super::{Args, LiveAuthServer, QuoteParams, respond};

#[tool_router(router = status_router, vis = "pub(super)")]
impl LiveAuthServer {
    /// Check the status of a quote. Use it to poll for Lightning payment confirmation:
    /// when paymentStatus is "paid", call liveauth_mcp_confirm with the quoteId.
    #[tool(
        name = "liveauth_mcp_status",
        input_schema = schema_for_type::<QuoteParams>(),
        output_schema = schema_for_output::<StatusResponse>(),
        annotations(
            title = "Quote status",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn liveauth_mcp_status(&self, Args(args): Args<QuoteParams>) -> CallToolResult {
        respond(
            async {
                let mut status = self.api.status(&args?.quote_id).await?;
                status.expires_at = super::utc(status.expires_at);
                Ok(status)
            }
            .await,
        )
    }
}

//! `liveauth_mcp_charge`: books the cost of one API call against the session's budget.

use liveauth_protocol::wire::{ChargeResponse, ChargeStatus};
use rmcp::handler::server::common::{schema_for_output, schema_for_type};
use rmcp::model::CallToolResult;
use rmcp::service::RequestContext;
use rmcp::{RoleServer, tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::{Args, Caller, LiveAuthServer, ToolError, respond};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChargeParams {
    /// Cost of the API call in sats.
    pub call_cost_sats: u64,
}

#[tool_router(router = charge_router, vis = "pub(super)")]
impl LiveAuthServer {
    /// Meter API usage after making an authenticated call: call this with the cost in sats
    /// of each API request. If the budget is exceeded the result is an error with
    /// status "deny": stop making paid calls.
    #[tool(
        name = "liveauth_mcp_charge",
        input_schema = schema_for_type::<ChargeParams>(),
        output_schema = schema_for_output::<ChargeResponse>(),
        annotations(
            title = "Charge an API call",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    pub async fn liveauth_mcp_charge(
        &self,
        Args(args): Args<ChargeParams>,
        context: RequestContext<RoleServer>,
    ) -> CallToolResult {
        respond(async { self.caller(&context).charge(args?).await }.await)
    }
}

impl Caller {
    /// Charges with a fresh token; a transport failure is retried once with the same
    /// idempotency key, so the API counts the charge once.
    async fn charge(&self, args: ChargeParams) -> Result<ChargeResponse, ToolError> {
        let cost = args.call_cost_sats;
        let key = uuid::Uuid::new_v4().to_string();
        let response = self
            .with_token(|jwt| {
                let key = key.clone();
                async move {
                    match self.api.charge(&jwt, cost, &key).await {
                        Err(error) if error.is_transport() => {
                            tracing::warn!("charge failed in transport, retrying once: {error}");
                            self.api.charge(&jwt, cost, &key).await
                        }
                        other => other,
                    }
                }
            })
            .await?;
        match response.status {
            ChargeStatus::Ok => Ok(response),
            ChargeStatus::Deny => Err(ToolError::Denied(Box::new(response))),
        }
    }
}

//! `liveauth_mcp_usage`: the session's usage and remaining budget, without charging.

use liveauth_protocol::wire::UsageResponse;
use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct NoParams {}

tool! {
    /// Query current usage and remaining budget without making a charge. Use it before
    /// making paid API calls.
    usage_router: liveauth_mcp_usage(NoParams) -> UsageResponse,
    title: "Usage and remaining budget",
    read_only: true,
    idempotent: true,
    open_world: true,
    |caller, _args, _context| {
        let api = &caller.api;
        let mut usage = caller
            .with_token(|jwt| async move { api.usage(&jwt).await })
            .await?;
        usage.expires_at = super::utc(usage.expires_at);
        usage.day_window_start = super::utc(usage.day_window_start);
        Ok(usage)
    }
}

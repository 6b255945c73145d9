//! `liveauth_mcp_refresh`: a new access token for the refresh token, which the API may
//! rotate (reference) or keep (hosted). The protocol itself is in [`super::token`].

use liveauth_protocol::wire::RefreshResponse;
use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefreshParams {
    /// The refreshToken from confirm or the last refresh (default: the one this server
    /// holds for you).
    #[serde(default)]
    pub refresh_token: Option<String>,
}

tool! {
    /// Get a new JWT without re-authenticating, using the refreshToken from confirm (this
    /// server uses the one it holds if you omit it). The previous JWT stops working. If the
    /// result carries a new refreshToken, the old one is spent; if it carries none, the
    /// refresh token stays valid (and this server keeps it).
    refresh_router: liveauth_mcp_refresh(RefreshParams) -> RefreshResponse,
    title: "Refresh the JWT",
    read_only: false,
    idempotent: false,
    open_world: true,
    |caller, args, _context| caller.refresh(args.refresh_token).await
}

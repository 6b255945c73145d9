//! `liveauth_mcp_start`: a new quote, a PoW challenge or a Lightning invoice.

use liveauth_protocol::wire::StartResponse;
use schemars::JsonSchema;
use serde::Deserialize;

use super::lightning::{Payment, WithLightning, payable_invoice};
use super::{Caller, ToolError};
use crate::payment_view;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StartParams {
    /// If true, request a Lightning invoice instead of a proof-of-work challenge.
    #[serde(default)]
    pub force_lightning: Option<bool>,
    /// If true, request a quote to confirm with an L402 bundle macaroon (authHint
    /// "l402_bundle"; buy one with liveauth_mcp_l402_bundle), then call liveauth_mcp_confirm
    /// with the quoteId: this server sends the bundle macaroon it keeps.
    #[serde(default)]
    pub force_l402: Option<bool>,
}

tool! {
    /// Start a new LiveAuth session. Returns a proof-of-work challenge by default, a
    /// Lightning invoice if forceLightning=true, or a quote for an L402 bundle macaroon if
    /// forceL402=true. Call this first (or use
    /// liveauth_mcp_authenticate to do start, solve and confirm in one step).
    start_router: liveauth_mcp_start(StartParams) -> WithLightning<StartResponse>,
    title: "Start a LiveAuth session",
    read_only: false,
    idempotent: false,
    open_world: true,
    meta: payment_view::rendered_by_view(),
    |caller, args, _context| {
        let quote = caller.start(args).await?;
        let lightning = payable_invoice(&quote)
            .map(|invoice| caller.lightning(Payment::of(invoice, None)))
            .transpose()?;
        Ok(WithLightning { result: quote, lightning })
    }
}

impl Caller {
    /// Starts a quote and remembers it, so confirm, solve and lnurl can use it (the tool
    /// then adds the `lightning` block of its invoice).
    pub(super) async fn start(&self, args: StartParams) -> Result<StartResponse, ToolError> {
        let quote = if args.force_l402.unwrap_or(false) {
            self.api.start_l402().await?
        } else {
            self.api
                .start(args.force_lightning.unwrap_or(false))
                .await?
        };
        self.session.remember_quote(&quote, self.clock.now_unix())?;
        Ok(quote)
    }
}

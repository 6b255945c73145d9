//! `liveauth_mcp_lnurl`: the quote's invoice in LUD-06 form, cross-checked against the
//! quote before the agent sees it.

use liveauth_protocol::wire::{Invoice, StartResponse};
use rmcp::handler::server::common::{schema_for_output, schema_for_type};
use rmcp::model::CallToolResult;
use rmcp::service::RequestContext;
use rmcp::{RoleServer, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Args, Caller, LiveAuthServer, QuoteParams, ToolError, respond};
use crate::invoice_check::{DecodedInvoice, ExpectedInvoice, check_invoice};

/// `liveauth_mcp_lnurl`: LUD-06 `{pr, routes}` plus the invoice as this server checked it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LnurlResult {
    /// BOLT11 payment request, checked against the quote.
    pub pr: String,
    pub routes: Vec<serde_json::Value>,
    /// What the invoice says, verified: signature, amount, payment hash, expiry.
    pub decoded: DecodedInvoice,
}

#[tool_router(router = lnurl_router, vis = "pub(super)")]
impl LiveAuthServer {
    /// Get the Lightning invoice of a quote (lnget-compatible {pr, routes}) to pay with any
    /// wallet. The invoice is verified first (signature, amount and payment hash equal to
    /// the quote, not expired) and returned decoded; never pay an invoice this refuses.
    #[tool(
        name = "liveauth_mcp_lnurl",
        input_schema = schema_for_type::<QuoteParams>(),
        output_schema = schema_for_output::<LnurlResult>(),
        annotations(
            title = "Get the checked Lightning invoice",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn liveauth_mcp_lnurl(
        &self,
        Args(args): Args<QuoteParams>,
        context: RequestContext<RoleServer>,
    ) -> CallToolResult {
        respond(async { self.caller(&context).lnurl(&args?.quote_id).await }.await)
    }
}

impl Caller {
    async fn lnurl(&self, quote_id: &str) -> Result<LnurlResult, ToolError> {
        let invoice = self.quoted_invoice(quote_id)?;
        let lnurl = self.api.lnurl(quote_id).await?;
        let decoded = self.checked(&lnurl.pr, &invoice)?;
        Ok(LnurlResult {
            pr: lnurl.pr,
            routes: lnurl.routes,
            decoded,
        })
    }

    /// The invoice the quote promised: what the API's invoice must match.
    fn quoted_invoice(&self, quote_id: &str) -> Result<Invoice, ToolError> {
        match self.session.quote(quote_id) {
            Some(StartResponse {
                invoice: Some(invoice),
                ..
            }) => Ok(invoice),
            Some(_) => Err(ToolError::PowQuote {
                quote_id: quote_id.to_owned(),
            }),
            None => Err(ToolError::InvoiceNotQuoted {
                quote_id: quote_id.to_owned(),
            }),
        }
    }

    /// The cross-check every invoice passes before an agent sees it.
    pub(super) fn checked(
        &self,
        bolt11: &str,
        quoted: &Invoice,
    ) -> Result<DecodedInvoice, ToolError> {
        let expected = ExpectedInvoice {
            amount_sats: quoted.amount_sats,
            payment_hash: &quoted.payment_hash,
        };
        let now = u64::try_from(self.clock.now_unix()).unwrap_or(0);
        Ok(check_invoice(bolt11, &expected, now)?)
    }
}

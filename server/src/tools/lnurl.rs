//! `liveauth_mcp_lnurl`: the quote's invoice in LUD-06 form, cross-checked against the
//! quote before the agent sees it.

use liveauth_protocol::wire::{Invoice, StartResponse};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::lightning::{LightningBlock, Payment};
use super::{Caller, QuoteParams, ToolError};
use crate::invoice_check::{DecodedInvoice, ExpectedInvoice, check_invoice};
use crate::payment_view;

/// `liveauth_mcp_lnurl`: LUD-06 `{pr, routes}` plus the invoice as this server checked it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LnurlResult {
    /// BOLT11 payment request, checked against the quote.
    pub pr: String,
    pub routes: Vec<serde_json::Value>,
    /// What the invoice says, verified: signature, amount, payment hash, expiry.
    pub decoded: DecodedInvoice,
    /// The invoice to pay, as a person sees it (LiveAuth 1.1+).
    pub lightning: LightningBlock,
}

tool! {
    /// Get the Lightning invoice of a quote (lnget-compatible {pr, routes}) to pay with any
    /// wallet. The invoice is verified first (signature, amount and payment hash equal to
    /// the quote, not expired) and returned decoded; never pay an invoice this refuses.
    lnurl_router: liveauth_mcp_lnurl(QuoteParams) -> LnurlResult,
    title: "Get the checked Lightning invoice",
    read_only: true,
    idempotent: true,
    open_world: true,
    meta: payment_view::rendered_by_view(),
    |caller, args, _context| caller.lnurl(&args.quote_id).await
}

impl Caller {
    async fn lnurl(&self, quote_id: &str) -> Result<LnurlResult, ToolError> {
        let invoice = self.quoted_invoice(quote_id)?;
        let lnurl = self.api.lnurl(quote_id).await?;
        let decoded = self.checked(&lnurl.pr, &invoice)?;
        // The invoice the API sent for payment, with the quote's amount and expiry.
        let lightning = self.lightning(Payment {
            invoice: &lnurl.pr,
            ..Payment::of(&invoice, None)
        })?;
        Ok(LnurlResult {
            pr: lnurl.pr,
            routes: lnurl.routes,
            decoded,
            lightning,
        })
    }

    /// The invoice the quote promised: what the API's invoice must match.
    fn quoted_invoice(&self, quote_id: &str) -> Result<Invoice, ToolError> {
        match self.session.quote(quote_id)? {
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

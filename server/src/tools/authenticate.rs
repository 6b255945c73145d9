//! `liveauth_mcp_authenticate`: start, solve and confirm in one call; for Lightning, the
//! checked invoice, optionally waiting for its payment and confirming.

use std::time::Duration;

use liveauth_protocol::wire::{Invoice, PaymentStatus, QuoteStatus};
use rmcp::RoleServer;
use rmcp::service::RequestContext;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::lightning::{LightningBlock, Payment};
use super::{Caller, ConfirmParams, StartParams, ToolError};
use crate::invoice_check::DecodedInvoice;
use crate::solve::SolveStats;

/// How often `liveauth_mcp_authenticate` polls a Lightning quote's status.
const PAYMENT_POLL: Duration = Duration::from_millis(500);
/// The longest `waitForPaymentSeconds` honoured.
const MAX_PAYMENT_WAIT_SECS: u64 = 600;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticateParams {
    /// `pow` (default), `lightning` (as forceLightning=true) or `l402`: spend one call of
    /// the L402 bundle this server keeps (buy one with liveauth_mcp_l402_bundle).
    #[serde(default)]
    pub method: Option<AuthMethod>,
    /// If true, authenticate with a Lightning payment instead of proof-of-work.
    #[serde(default)]
    pub force_lightning: Option<bool>,
    /// Lightning only: wait up to this many seconds (max 600) for the payment, then
    /// confirm. 0 or absent: return the invoice at once.
    #[serde(default)]
    pub wait_for_payment_seconds: Option<u64>,
}

/// How `liveauth_mcp_authenticate` authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AuthMethod {
    Pow,
    Lightning,
    L402,
}

/// `liveauth_mcp_authenticate`: the confirm result, plus how it was obtained.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AuthenticateResult {
    /// `pow`, `lightning` or `l402`.
    pub method: String,
    pub quote_id: String,
    /// The access token; null while a Lightning payment is pending.
    pub jwt: Option<String>,
    pub expires_in: Option<u64>,
    pub remaining_budget_sats: Option<u64>,
    pub refresh_token: Option<String>,
    /// Lightning only: `pending` or `paid`.
    pub payment_status: Option<PaymentStatus>,
    /// PoW only: what solving cost.
    pub solve: Option<SolveStats>,
    /// Lightning only: the checked invoice to pay.
    pub invoice: Option<CheckedInvoice>,
    /// What to do next, if anything.
    pub next_step: Option<String>,
    /// Lightning only: the invoice to pay, as a person sees it (LiveAuth 1.1+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lightning: Option<LightningBlock>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CheckedInvoice {
    pub bolt11: String,
    pub decoded: DecodedInvoice,
}

tool! {
    /// Authenticate in one step. Proof-of-work (default): start, solve and confirm, and
    /// return the JWT with solve statistics. Lightning (forceLightning=true): start and
    /// return the checked invoice to pay; with waitForPaymentSeconds > 0, wait for the
    /// payment and confirm. L402 (method="l402"): confirm with the bundle macaroon kept
    /// by liveauth_mcp_l402_bundle, spending one bundle call.
    authenticate_router: liveauth_mcp_authenticate(AuthenticateParams) -> AuthenticateResult,
    title: "Authenticate (start, solve or pay, confirm)",
    read_only: false,
    idempotent: false,
    open_world: true,
    |caller, args, context| caller.authenticate(args, &context).await
}

impl Caller {
    async fn authenticate(
        &self,
        args: AuthenticateParams,
        context: &RequestContext<RoleServer>,
    ) -> Result<AuthenticateResult, ToolError> {
        if args.method == Some(AuthMethod::L402) {
            return self.authenticate_l402().await;
        }
        let lightning =
            args.force_lightning.unwrap_or(false) || args.method == Some(AuthMethod::Lightning);
        let quote = self
            .start(StartParams {
                force_lightning: Some(lightning),
                force_l402: None,
            })
            .await?;
        let quote_id = quote.quote_id.clone();
        if let Some(invoice) = quote.invoice.clone() {
            return self
                .authenticate_lightning(quote_id, invoice, args.wait_for_payment_seconds)
                .await;
        }
        let solved = self.solve(Some(&quote_id), context).await?;
        let confirm = self.confirm(ConfirmParams::quote(&quote_id)).await?;
        Ok(AuthenticateResult {
            method: "pow".into(),
            quote_id,
            jwt: confirm.jwt,
            expires_in: confirm.expires_in,
            remaining_budget_sats: confirm.remaining_budget_sats,
            refresh_token: confirm.refresh_token,
            payment_status: None,
            solve: Some(solved.stats),
            invoice: None,
            next_step: None,
            lightning: None,
        })
    }

    /// The checked invoice; with `wait_secs`, polls until it is paid and confirms.
    async fn authenticate_lightning(
        &self,
        quote_id: String,
        invoice: Invoice,
        wait_secs: Option<u64>,
    ) -> Result<AuthenticateResult, ToolError> {
        let decoded = self.checked(&invoice.bolt11, &invoice)?;
        let checked_invoice = CheckedInvoice {
            bolt11: invoice.bolt11.clone(),
            decoded,
        };
        let wait = Duration::from_secs(wait_secs.unwrap_or(0).min(MAX_PAYMENT_WAIT_SECS));
        let deadline = tokio::time::Instant::now() + wait;
        let mut paid = false;
        while !wait.is_zero() {
            let status = self.api.status(&quote_id).await?;
            // The hosted API reports a paid quote as `paymentStatus: "paid"` with
            // `status: "pending"` until it is confirmed; the reference says `status: "paid"`.
            if matches!(status.payment_status, Some(PaymentStatus::Paid))
                || matches!(status.status, QuoteStatus::Paid | QuoteStatus::Confirmed)
            {
                paid = true;
                break;
            }
            if matches!(status.payment_status, Some(PaymentStatus::Expired))
                || matches!(status.status, QuoteStatus::Expired)
            {
                return Err(ToolError::InvoiceExpired { quote_id });
            }
            if tokio::time::Instant::now() + PAYMENT_POLL > deadline {
                break;
            }
            tokio::time::sleep(PAYMENT_POLL).await;
        }
        let pending = AuthenticateResult {
            method: "lightning".into(),
            quote_id: quote_id.clone(),
            jwt: None,
            expires_in: None,
            remaining_budget_sats: None,
            refresh_token: None,
            payment_status: Some(PaymentStatus::Pending),
            solve: None,
            invoice: Some(checked_invoice),
            next_step: Some(format!(
                "pay the invoice, then call liveauth_mcp_confirm with quoteId {quote_id} (poll \
                 liveauth_mcp_status until paymentStatus is \"paid\")"
            )),
            lightning: Some(self.lightning(Payment::of(&invoice, None))?),
        };
        if !paid {
            return Ok(pending);
        }
        let confirm = self.confirm(ConfirmParams::quote(&quote_id)).await?;
        Ok(AuthenticateResult {
            jwt: confirm.jwt,
            expires_in: confirm.expires_in,
            remaining_budget_sats: confirm.remaining_budget_sats,
            refresh_token: confirm.refresh_token,
            payment_status: Some(PaymentStatus::Paid),
            next_step: None,
            lightning: Some(self.lightning(Payment::of(&invoice, Some("paid")))?),
            ..pending
        })
    }
}

//! `liveauth_mcp_l402_bundle`: buys an L402 bundle of prepaid calls (facts §2.7) in two
//! calls: with `tier`, the invoice (checked as every invoice here) to pay; then without
//! it, the claim, which keeps the bundle's macaroon in this server's state. The macaroon
//! is a secret: it is never in a result or a log; confirm and authenticate send it.
//!
//! Also here: how confirm and authenticate use a kept macaroon (facts §2.8).

use liveauth_protocol::bundle::BundleTier;
use liveauth_protocol::wire::{ConfirmRequest, Invoice, PaymentStatus, StartResponse};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::authenticate::AuthenticateResult;
use super::lightning::{LightningBlock, Payment};
use super::{Caller, ConfirmParams, StartParams, ToolError};
use crate::api::ApiError;
use crate::invoice_check::DecodedInvoice;
use crate::session::PendingBundle;

/// `authHint` of a quote to confirm with a bundle macaroon.
const L402_BUNDLE_HINT: &str = "l402_bundle";

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct L402BundleParams {
    /// Buy a new bundle of this tier: starter (100 calls, 50 sats), growth (1,000, 400),
    /// scale (10,000, 3,000) or enterprise (100,000, 20,000). Omit to claim the bundle
    /// whose invoice you paid.
    #[serde(default)]
    pub tier: Option<BundleTier>,
    /// Claim the bundle of this invoice (default: the newest unclaimed one).
    #[serde(default)]
    pub payment_hash: Option<String>,
    /// The agent id the bundle's macaroon names (default: `default`).
    #[serde(default)]
    pub agent_id: Option<String>,
}

/// Where the purchase stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum BundleStep {
    /// The invoice is to be paid.
    Pay,
    /// The invoice is not paid yet: pay it, then call again.
    Pending,
    /// Paid and claimed: the macaroon is kept here.
    Claimed,
}

/// `liveauth_mcp_l402_bundle`: the invoice to pay, or the claimed bundle.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct L402BundleResult {
    pub step: BundleStep,
    pub tier: String,
    pub bundle_id: String,
    pub payment_hash: String,
    /// `pay`: the BOLT11 invoice, checked against what the API quoted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_sats: Option<u64>,
    /// `pay`: when the invoice expires; `claimed`: when the bundle does (unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at_unix: Option<i64>,
    /// `pay`: calls the bundle will hold; `claimed`: calls left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_calls: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining_calls: Option<u64>,
    /// `pay`: what the invoice says, verified (signature, amount, payment hash, expiry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decoded: Option<DecodedInvoice>,
    /// `pay`: the invoice to pay, as a person sees it (LiveAuth 1.1+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lightning: Option<LightningBlock>,
    /// Whether this server now holds the bundle's macaroon (never shown).
    pub macaroon_kept: bool,
    pub next_step: String,
}

tool! {
    /// Buy an L402 bundle of prepaid calls. Call with tier to get its invoice (verified
    /// before you see it); pay it; call again without tier to claim the bundle. The
    /// bundle's macaroon is kept by this server (never shown): then call
    /// liveauth_mcp_authenticate with method="l402", each time spending one bundle call.
    l402_bundle_router: liveauth_mcp_l402_bundle(L402BundleParams) -> L402BundleResult,
    title: "Buy an L402 bundle of calls",
    read_only: false,
    idempotent: false,
    open_world: true,
    |caller, args, _context| caller.l402_bundle(args).await
}

impl Caller {
    async fn l402_bundle(&self, args: L402BundleParams) -> Result<L402BundleResult, ToolError> {
        match (args.tier, args.payment_hash) {
            (Some(tier), None) => self.buy_bundle(tier, args.agent_id.as_deref()).await,
            (_, payment_hash) => self.claim_bundle(payment_hash.as_deref()).await,
        }
    }

    /// Requests the invoice, checks it, remembers it as pending.
    async fn buy_bundle(
        &self,
        tier: BundleTier,
        agent_id: Option<&str>,
    ) -> Result<L402BundleResult, ToolError> {
        let bought = self.api.bundle_invoice(tier, agent_id).await?;
        let quoted = Invoice::new(
            bought.bolt11.clone(),
            bought.amount_sats,
            bought.expires_at_unix,
            bought.payment_hash.clone(),
        );
        let decoded = self.checked(&bought.bolt11, &quoted)?;
        let lightning = self.lightning(Payment::of(&quoted, None))?;
        let pending = PendingBundle {
            payment_hash: bought.payment_hash.clone(),
            bundle_id: bought.bundle_id.clone(),
            tier: bought.tier.clone(),
        };
        self.session.remember_bundle_invoice(
            &pending,
            bought.amount_sats,
            self.clock.now_unix(),
        )?;
        Ok(L402BundleResult {
            step: BundleStep::Pay,
            tier: bought.tier,
            bundle_id: bought.bundle_id,
            payment_hash: bought.payment_hash,
            invoice: Some(bought.bolt11),
            amount_sats: Some(bought.amount_sats),
            expires_at_unix: Some(bought.expires_at_unix),
            total_calls: Some(bought.total_calls),
            remaining_calls: None,
            decoded: Some(decoded),
            lightning: Some(lightning),
            macaroon_kept: false,
            next_step: "pay the invoice, then call liveauth_mcp_l402_bundle again without tier \
                        to claim the bundle"
                .into(),
        })
    }

    /// Claims the pending bundle; an unpaid invoice is a `pending` result, not an error.
    async fn claim_bundle(
        &self,
        payment_hash: Option<&str>,
    ) -> Result<L402BundleResult, ToolError> {
        let pending = self.session.pending_bundle(payment_hash)?.ok_or_else(|| {
            ToolError::InvalidArgument(
                "`tier`: no bundle invoice of this server is waiting to be claimed; call with \
                 tier to buy one"
                    .into(),
            )
        })?;
        let result = |step, next_step: &str| L402BundleResult {
            step,
            tier: pending.tier.clone(),
            bundle_id: pending.bundle_id.clone(),
            payment_hash: pending.payment_hash.clone(),
            invoice: None,
            amount_sats: None,
            expires_at_unix: None,
            total_calls: None,
            remaining_calls: None,
            decoded: None,
            lightning: None,
            macaroon_kept: false,
            next_step: next_step.to_owned(),
        };
        let claimed = match self.api.bundle_claim(&pending.payment_hash).await {
            Ok(claimed) => claimed,
            Err(error @ ApiError::Api { .. }) if error.status() == Some(402) => {
                return Ok(result(
                    BundleStep::Pending,
                    "the invoice is not paid yet: pay it, then call liveauth_mcp_l402_bundle \
                     again",
                ));
            }
            Err(error) => return Err(error.into()),
        };
        let now = self.clock.now_unix();
        self.session
            .keep_bundle(&pending, &claimed.macaroon, claimed.expires_at_unix, now)?;
        Ok(L402BundleResult {
            expires_at_unix: Some(claimed.expires_at_unix),
            remaining_calls: Some(claimed.remaining_calls),
            macaroon_kept: true,
            ..result(
                BundleStep::Claimed,
                "call liveauth_mcp_authenticate with method=\"l402\" (each session spends one \
                 bundle call)",
            )
        })
    }

    /// The confirm body of an L402 quote: the macaroon the agent sent, else (for a quote
    /// this server started with forceL402) the one it keeps. `None`: not an L402 confirm.
    pub(super) fn l402_confirm_request(
        &self,
        args: &ConfirmParams,
        quote: Option<&StartResponse>,
    ) -> Result<Option<ConfirmRequest>, ToolError> {
        let l402_quote = quote.is_some_and(|q| q.auth_hint.as_deref() == Some(L402_BUNDLE_HINT));
        let macaroon = match &args.macaroon {
            Some(macaroon) => macaroon.clone(),
            None if l402_quote => match self.session.bundle(self.clock.now_unix())? {
                Some(kept) => kept.macaroon,
                None => {
                    return Err(ToolError::InvalidArgument(
                        "`macaroon`: this server keeps no L402 bundle macaroon; buy a bundle \
                         with liveauth_mcp_l402_bundle first"
                            .into(),
                    ));
                }
            },
            None => return Ok(None),
        };
        Ok(Some(ConfirmRequest {
            quote_id: args.quote_id.clone(),
            macaroon: Some(macaroon),
            ..ConfirmRequest::default()
        }))
    }

    /// `liveauth_mcp_authenticate {method: "l402"}`: a forceL402 quote confirmed with the
    /// kept bundle macaroon.
    pub(super) async fn authenticate_l402(&self) -> Result<AuthenticateResult, ToolError> {
        if self.session.bundle(self.clock.now_unix())?.is_none() {
            return Err(ToolError::InvalidArgument(
                "`method`: this server keeps no L402 bundle macaroon; buy a bundle with \
                 liveauth_mcp_l402_bundle first"
                    .into(),
            ));
        }
        let quote = self
            .start(StartParams {
                force_lightning: None,
                force_l402: Some(true),
            })
            .await?;
        let confirm = self.confirm(ConfirmParams::quote(&quote.quote_id)).await?;
        Ok(AuthenticateResult {
            method: "l402".into(),
            quote_id: quote.quote_id,
            jwt: confirm.jwt,
            expires_in: confirm.expires_in,
            remaining_budget_sats: confirm.remaining_budget_sats,
            refresh_token: confirm.refresh_token,
            payment_status: Some(PaymentStatus::L402Paid),
            solve: None,
            invoice: None,
            next_step: None,
            lightning: None,
        })
    }
}

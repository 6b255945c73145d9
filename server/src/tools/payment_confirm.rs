//! `liveauth_mcp_payment_confirm`: credits a paid caller-funding invoice (the `payment`
//! of a `payment_required` charge, LiveAuth 1.3) to the caller's balance, after which
//! the charge is retried with the same idempotency key and requestHash.

use liveauth_protocol::wire::{CallerPaymentStatus, PaymentConfirmResponse};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Caller, ToolError};
use crate::api::ApiError;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentConfirmParams {
    /// The `payment.paymentId` of the `payment_required` charge result.
    pub payment_id: String,
}

/// The API's answer, and what to do next.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct PaymentConfirmResult {
    #[serde(flatten)]
    pub confirm: PaymentConfirmResponse,
    /// What to do now the payment stands as it does.
    pub next_step: String,
}

tool! {
    /// After paying the invoice of a caller-funded charge that answered payment_required,
    /// confirm the payment with its paymentId: the API credits it to your balance (once).
    /// Then call liveauth_mcp_charge again with the same idempotencyKey and requestHash.
    payment_confirm_router: liveauth_mcp_payment_confirm(PaymentConfirmParams) -> PaymentConfirmResult,
    title: "Confirm a caller-funding payment",
    read_only: false,
    idempotent: true,
    open_world: true,
    |caller, args, _context| caller.confirm_payment(&args.payment_id).await
}

impl Caller {
    async fn confirm_payment(&self, payment_id: &str) -> Result<PaymentConfirmResult, ToolError> {
        let api = &self.api;
        let confirm = self
            .with_token(|jwt| async move { api.confirm_payment(&jwt, payment_id).await })
            .await
            .map_err(|error| match error {
                ToolError::Api(ApiError::Api { status: 404, .. }) => ToolError::UnknownPayment {
                    payment_id: payment_id.to_owned(),
                },
                other => other,
            })?;
        let next_step = match confirm.status {
            CallerPaymentStatus::Paid => {
                "paid and credited: call liveauth_mcp_charge again with the same idempotencyKey \
                 (the payment's retryIdempotencyKey) and requestHash; it is booked once"
            }
            CallerPaymentStatus::Pending => {
                "not paid yet: pay the invoice, then call liveauth_mcp_payment_confirm again"
            }
            CallerPaymentStatus::Expired | CallerPaymentStatus::Other(_) => {
                "the invoice expired unpaid and credits nothing: call liveauth_mcp_charge again \
                 for a new invoice (do not pay the old one)"
            }
        };
        Ok(PaymentConfirmResult {
            confirm,
            next_step: next_step.to_owned(),
        })
    }
}

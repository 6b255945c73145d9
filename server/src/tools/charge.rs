//! `liveauth_mcp_charge`: books the cost of one API call against the session's budget.
//!
//! The charge carries an idempotency key (the agent's, or one made here) and, when the
//! agent gives one or the call's arguments, the `requestHash` that binds it to that call
//! (LiveAuth 1.3): a retry with the same key and hash is booked once.

use liveauth_protocol::request_hash::{is_request_hash, request_hash};
use liveauth_protocol::wire::{
    CallerPayment, ChargeRequest, ChargeResponse, ChargeStatus, FundingMode,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::lightning::{LightningBlock, Payment};
use super::{Caller, ToolError};
use crate::invoice_check::{DecodedInvoice, check_invoice_of_amount};
use crate::receipts::{self, ReceiptCheck};

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct ChargeParams {
    /// Cost of the API call in sats (omitted: the tool's default price).
    pub call_cost_sats: Option<u64>,
    /// The tool the call is attributed to (its slug, or its name); omitted: the API's
    /// anonymous tool.
    pub tool_name: Option<String>,
    /// Who pays: "provider" (the session's budget, the default) or "caller" (the agent's
    /// own balance; needs requestHash or requestArguments).
    pub funding_mode: Option<FundingMode>,
    /// Your key for this charge (1–128 of A–Z a–z 0–9 . _ -): a retry with the same key
    /// is booked once. Omitted: this server makes one and returns it.
    pub idempotency_key: Option<String>,
    /// SHA-256 (64 hex) of the call's canonical arguments, binding the charge to the call.
    pub request_hash: Option<String>,
    /// The call's arguments, from which this server computes requestHash instead.
    pub request_arguments: Option<Value>,
}

/// The API's answer, with what the agent needs to retry the same charge safely.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChargeResult {
    /// Whether the charge was booked (`status` is "ok").
    pub ok: bool,
    /// The key the charge was sent with: pass it again to retry this charge.
    pub idempotency_key: String,
    /// The requestHash the charge was sent with, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_hash: Option<String>,
    #[serde(flatten)]
    pub charge: ChargeResponse,
    /// What checking the receipt found (accepted charges only).
    #[serde(flatten)]
    pub(crate) check: ReceiptCheck,
    /// The MCP resource the receipt is kept as (`liveauth://receipts/{receiptId}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) receipt_resource: Option<String>,
    /// `payment_required`: the payment's invoice, checked (signature, amount, expiry).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) decoded: Option<DecodedInvoice>,
    /// `payment_required`: the invoice to pay (LiveAuth 1.1+; its QR code follows).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) lightning: Option<LightningBlock>,
}

tool! {
    /// Meter API usage after making an authenticated call: call this with the cost in sats
    /// of each API request. If the budget is exceeded the result is an error with
    /// status "deny": stop making paid calls. Pass idempotencyKey (and requestHash or
    /// requestArguments) to make a retry safe: the same key is booked once.
    charge_router: liveauth_mcp_charge(ChargeParams) -> ChargeResult,
    title: "Charge an API call",
    read_only: false,
    idempotent: false,
    open_world: true,
    |caller, args, _context| caller.charge_with_receipt(args).await
}

/// The longest idempotency key the 1.3 SDK accepts (`^[a-zA-Z0-9._-]{1,128}$`).
const MAX_IDEMPOTENCY_KEY: usize = 128;

impl ChargeParams {
    /// The request to send, checked: nothing is sent for a malformed key or hash.
    fn request(self) -> Result<ChargeRequest, ToolError> {
        let idempotency_key = match self.idempotency_key {
            Some(key) if is_idempotency_key(&key) => key,
            Some(_) => {
                return Err(ToolError::InvalidArgument(format!(
                    "`idempotencyKey`: 1 to {MAX_IDEMPOTENCY_KEY} characters of A-Z a-z 0-9 . _ - \
                     (invalid_idempotency_key)"
                )));
            }
            None => uuid::Uuid::new_v4().to_string(),
        };
        let request_hash = match (self.request_hash, &self.request_arguments) {
            (Some(hash), _) if !is_request_hash(&hash) => {
                return Err(ToolError::InvalidArgument(
                    "`requestHash`: 64 hex digits, the SHA-256 of the call's canonical arguments"
                        .into(),
                ));
            }
            (Some(hash), Some(arguments))
                if !hash.eq_ignore_ascii_case(&request_hash(arguments)) =>
            {
                return Err(ToolError::InvalidArgument(format!(
                    "`requestHash` is not the hash of `requestArguments` ({})",
                    request_hash(arguments)
                )));
            }
            (Some(hash), _) => Some(hash.to_ascii_lowercase()),
            (None, Some(arguments)) => Some(request_hash(arguments)),
            (None, None) => None,
        };
        if self.funding_mode == Some(FundingMode::Caller) && request_hash.is_none() {
            return Err(ToolError::InvalidArgument(
                "`fundingMode` \"caller\" binds the charge to the call: pass requestHash or \
                 requestArguments (request_binding_required)"
                    .into(),
            ));
        }
        Ok(ChargeRequest {
            call_cost_sats: self.call_cost_sats,
            idempotency_key: Some(idempotency_key),
            tool_name: self.tool_name,
            funding_mode: self.funding_mode,
            request_hash,
        })
    }
}

/// The most an invoice may add to the credit it buys: 10 %, at least 10 sats (the hosted
/// fee is 2 %, at least 1 sat).
fn max_invoice_fee(credit_sats: u64) -> u64 {
    (credit_sats / 10).max(10)
}

fn is_idempotency_key(key: &str) -> bool {
    (1..=MAX_IDEMPOTENCY_KEY).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

impl Caller {
    /// [`Caller::charge`], then the receipt checked and kept (a store failure is logged:
    /// the charge itself is booked either way).
    async fn charge_with_receipt(&self, args: ChargeParams) -> Result<ChargeResult, ToolError> {
        let mut result = self.charge(args).await?;
        let now = liveauth_protocol::time::rfc3339_utc(self.clock.now_unix());
        let Some(kept) =
            receipts::receive(&self.receipt_keys, &self.api, &result.charge, now).await
        else {
            return Ok(result);
        };
        result.check = kept.check.clone();
        match self.session.keep_receipt(&kept, self.clock.now_unix()) {
            Ok(()) => result.receipt_resource = Some(kept.uri()),
            Err(error) => tracing::warn!("the receipt could not be kept: {error}"),
        }
        Ok(result)
    }

    /// Charges with a fresh token; a transport failure is retried once with the same
    /// idempotency key, so the API counts the charge once. A caller-funded charge is sent
    /// only to an API that offers caller funding.
    async fn charge(&self, args: ChargeParams) -> Result<ChargeResult, ToolError> {
        let request = args.request()?;
        if request.funding_mode == Some(FundingMode::Caller) {
            let capabilities = self
                .with_token(|jwt| async move { self.api.capabilities(&jwt).await })
                .await;
            if !capabilities.is_ok_and(|c| c.caller_funding) {
                return Err(ToolError::InvalidArgument(
                    "`fundingMode` \"caller\": this API did not confirm that it offers caller \
                     funding (GET /api/mcp/capabilities; caller_funding_unavailable); nothing \
                     was charged"
                        .into(),
                ));
            }
        }
        let request = &request;
        let charge = self
            .with_token(|jwt| async move {
                match self.api.charge(&jwt, request).await {
                    Err(error) if error.is_transport() => {
                        tracing::warn!("charge failed in transport, retrying once: {error}");
                        self.api.charge(&jwt, request).await
                    }
                    other => other,
                }
            })
            .await?;
        // The 1.3 gate's rule: a caller-funded charge booked otherwise is not the agent's.
        let caller = request.funding_mode == Some(FundingMode::Caller);
        if caller
            && charge.status == ChargeStatus::Ok
            && charge.funding_mode != Some(FundingMode::Caller)
        {
            return Err(ToolError::NotCallerFunded);
        }
        let mut result = ChargeResult::new(charge, request);
        if let Some(payment) = &result.charge.payment {
            let decoded = self.checked_payment(&result.charge, payment, request)?;
            result.lightning = Some(self.lightning(Payment {
                invoice: &payment.invoice,
                amount_sats: Some(payment.amount_sats),
                expires_at_unix: i64::try_from(decoded.expires_at_unix).ok(),
                status: None,
            })?);
            result.decoded = Some(decoded);
        }
        match result.charge.status {
            ChargeStatus::Ok => Ok(result),
            ChargeStatus::Deny => Err(ToolError::Denied(Box::new(result))),
        }
    }

    /// The invoice of a caller-funding payment, refused unless it is a valid invoice of
    /// the amount the payment states, crediting no more than the call costs (as sent, else
    /// as the API priced it), costing no less than it credits and no more than
    /// [`max_invoice_fee`] above it.
    fn checked_payment(
        &self,
        charge: &ChargeResponse,
        payment: &CallerPayment,
        request: &ChargeRequest,
    ) -> Result<DecodedInvoice, ToolError> {
        let cost = request.call_cost_sats.or(charge.gross_sats);
        let credit = payment.credit_sats;
        let most = credit.saturating_add(max_invoice_fee(credit));
        if !(credit..=most).contains(&payment.amount_sats) || cost.is_none_or(|cost| credit > cost)
        {
            return Err(ToolError::PaymentRefused(format!(
                "asks {} sats to credit {} sats for a call of {}",
                payment.amount_sats,
                payment.credit_sats,
                cost.map_or_else(|| "the default price".to_owned(), |c| format!("{c} sats")),
            )));
        }
        let now = u64::try_from(self.clock.now_unix()).unwrap_or(0);
        Ok(check_invoice_of_amount(
            &payment.invoice,
            payment.amount_sats,
            now,
        )?)
    }
}

impl ChargeResult {
    fn new(mut charge: ChargeResponse, request: &ChargeRequest) -> Self {
        // Our fields are the ones sent; an API's same-named extras would be written twice.
        for field in [
            "ok",
            "idempotencyKey",
            "requestHash",
            "receiptVerified",
            "receiptProblem",
            "receiptResource",
        ] {
            charge.extra.remove(field);
        }
        Self {
            ok: charge.status == ChargeStatus::Ok,
            idempotency_key: request.idempotency_key.clone().unwrap_or_default(),
            request_hash: request.request_hash.clone(),
            charge,
            check: ReceiptCheck::default(),
            receipt_resource: None,
            decoded: None,
            lightning: None,
        }
    }
}

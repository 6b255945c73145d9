//! Why a tool failed, and how that reads as an `isError` result: what happened and what
//! to do next.

use liveauth_protocol::wire::{ChargeResponse, DenyReason};
use rmcp::model::{CallToolResult, ContentBlock};

use super::advice;
use super::charge::ChargeResult;
use crate::api::ApiError;
use crate::invoice_check::InvoiceCheckError;
use crate::solve::SolveFailure;
use crate::state::StateError;

/// Why a tool failed. Every variant becomes an `isError` result with a message that says
/// what happened and what to do next.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    #[error("invalid argument {0}")]
    InvalidArgument(String),
    #[error(
        "not authenticated: call liveauth_mcp_authenticate (or liveauth_mcp_start + \
         liveauth_mcp_confirm) first"
    )]
    NotAuthenticated,
    #[error("{0}")]
    Api(ApiError),
    /// Confirm of a legacy demo session (`LIVEAUTH_DEMO=true`) that the API refused: this
    /// server never simulates a token, so the agent must use another mode.
    #[error("{0}")]
    LegacyDemoConfirm(ApiError),
    /// A quote id this server holds no quote for (it started none with that id).
    #[error("quote {quote_id} was not started through this server; call liveauth_mcp_start")]
    UnknownQuote { quote_id: String },
    /// `liveauth_mcp_solve` without a quote id, before any PoW quote was started.
    #[error("no PoW quote yet: call liveauth_mcp_start first")]
    NoPowQuote,
    /// A PoW operation on a Lightning quote.
    #[error("quote {quote_id} is a Lightning quote: pay its invoice instead (liveauth_mcp_lnurl)")]
    LightningQuote { quote_id: String },
    /// An invoice asked of a PoW quote.
    #[error(
        "quote {quote_id} is a proof-of-work quote and has no invoice; solve it with \
         liveauth_mcp_solve, or start a Lightning quote with forceLightning=true"
    )]
    PowQuote { quote_id: String },
    /// An invoice of a quote this server did not start: there is no quoted amount to
    /// check it against.
    #[error(
        "quote {quote_id} was not started through this server, so its invoice cannot be \
         checked against a quoted amount; call liveauth_mcp_start with forceLightning=true"
    )]
    InvoiceNotQuoted { quote_id: String },
    /// A Lightning quote whose invoice expired while `liveauth_mcp_authenticate` waited.
    #[error("the invoice of quote {quote_id} expired unpaid; call liveauth_mcp_authenticate again")]
    InvoiceExpired { quote_id: String },
    /// An invoice from the API that is not `ln` followed by ASCII letters and digits: no
    /// `lightning:` link or QR code is made of it (LiveAuth 1.1+ fails the same way).
    #[error(
        "Invalid BOLT11 Lightning invoice: the API sent an invoice that is not `ln` followed \
         by letters and digits; do not pay it"
    )]
    InvalidLightningInvoice,
    #[error("{0}")]
    Solve(#[from] SolveFailure),
    #[error("{0}")]
    Invoice(#[from] InvoiceCheckError),
    /// A payment id the API does not know for this session (unknown, or another's).
    #[error(
        "the API knows no payment {payment_id} of this session (payment_not_found): use the \
         paymentId of a payment_required charge made in this session; nothing was credited"
    )]
    UnknownPayment { payment_id: String },
    /// A caller-funded charge the API booked as something else (an API that does not
    /// know caller funding reads it as provider-funded).
    #[error(
        "the API booked this charge but not as caller-funded (caller_funding_unavailable): \
         it did not fund the call from your balance; do not rely on caller funding with \
         this API"
    )]
    NotCallerFunded,
    /// A caller-funding `payment` whose numbers do not add up.
    #[error("the API's payment_required answer {0}; do not pay it")]
    PaymentRefused(String),
    #[error("{}", denied(&.0.charge))]
    /// Boxed: a charge answer with every field the API sent is large.
    Denied(Box<ChargeResult>),
    /// The state store failed (the file is unwritable, or another process held it too
    /// long).
    #[error("{0}")]
    State(#[from] StateError),
    /// A result that does not serialize (a bug, never the agent's fault).
    #[error("could not encode the result: {0}")]
    Encode(serde_json::Error),
}

/// What a deny means and what to do: pay first, use a new key, or stop paid calls.
fn denied(response: &ChargeResponse) -> String {
    match (&response.reason, &response.payment) {
        (Some(DenyReason::PaymentRequired), Some(payment)) => format!(
            "charge not booked (payment_required): your balance ({balance} sats) does not cover \
             this caller-funded call. Pay the Lightning invoice in `payment` ({amount} sats, \
             checked in `decoded`), then call liveauth_mcp_payment_confirm with paymentId \
             {id}, then call liveauth_mcp_charge again with idempotencyKey {key} and the same \
             requestHash",
            balance = response.caller_balance_sats.unwrap_or(0),
            amount = payment.amount_sats,
            id = payment.payment_id,
            key = payment.retry_idempotency_key,
        ),
        (Some(DenyReason::IdempotencyConflict), _) => "charge not booked (idempotency_conflict): \
             this idempotencyKey was used for another call or price; use a new key for a new \
             call"
            .to_owned(),
        _ => format!(
            "charge denied ({reason}): {sats} sats used in {calls} call(s) today; {retry}stop \
             making paid calls until then",
            reason = deny_reason(response),
            sats = response.sats_used,
            calls = response.calls_used,
            retry = retry_hint(response)
        ),
    }
}

fn deny_reason(response: &ChargeResponse) -> &str {
    response
        .reason
        .as_ref()
        .map_or("budget", DenyReason::as_str)
}

fn retry_hint(response: &ChargeResponse) -> String {
    response
        .retry_after_seconds
        .map(|s| format!("retry after {s} s; "))
        .unwrap_or_default()
}

impl From<ApiError> for ToolError {
    fn from(error: ApiError) -> Self {
        Self::Api(error)
    }
}

impl ToolError {
    pub(super) fn into_result(self) -> CallToolResult {
        let text = match &self {
            Self::Api(error) => format!(
                "{error}.{} Next: {}",
                advice::offered_invoices(error),
                advice::next_step(error)
            ),
            Self::LegacyDemoConfirm(error) => format!(
                "{error}. The API did not confirm this legacy demo session (LIVEAUTH_DEMO=true), \
                 and this server never makes up tokens. Next: unset LIVEAUTH_DEMO to \
                 authenticate by proof-of-work as the API's anonymous demo project (or set \
                 LIVEAUTH_API_KEY), then call liveauth_mcp_authenticate"
            ),
            other => other.to_string(),
        };
        match self {
            // The deny keeps its shape, so an agent that reads structured content sees it.
            // A payment_required deny carries its invoice's QR code, as any result with one.
            Self::Denied(response) => {
                let mut result = CallToolResult::error(vec![ContentBlock::text(text)]);
                result.structured_content = serde_json::to_value(response).ok();
                super::lightning::attach_qr(&mut result);
                result
            }
            _ => CallToolResult::error(vec![ContentBlock::text(text)]),
        }
    }
}

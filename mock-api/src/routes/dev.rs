//! Mock-only endpoints (off with `--no-dev-endpoints`): settle an invoice as if paid, and
//! move the app clock.

use axum::Json;
use axum::extract::State;
use liveauth_protocol::pow::decode_hex32;
use liveauth_protocol::problem::ErrorCode;
use liveauth_protocol::wire::{ClockAdvanceRequest, ClockAdvanceResponse, SettleResponse};

use crate::error::ApiError;
use crate::extract::{ApiJson, PathParam};
use crate::rng::hex;
use crate::state::AppState;
use crate::store::QuoteKind;

/// Ten years: larger jumps only invite overflow and are never what a test meant.
const MAX_ADVANCE_SECS: u64 = 10 * 365 * 86_400;

/// `POST /api/dev/settle/{paymentHash}`: marks the invoice paid and reveals its preimage,
/// which is what paying it with a real wallet would give the payer.
pub async fn settle(
    State(state): State<AppState>,
    PathParam(payment_hash): PathParam,
) -> Result<Json<SettleResponse>, ApiError> {
    let hash = decode_hex32(&payment_hash)
        .map_err(|error| ApiError::bad_request(format!("paymentHash: {error}")))?;
    let not_found = || {
        ApiError::new(
            ErrorCode::QuoteNotFound,
            "no invoice with this payment hash",
        )
    };
    let quote_id = state
        .store
        .quote_id_for_payment(&hash)
        .ok_or_else(not_found)?;
    let now = state.now();
    let mut preimage = None;
    state.store.update_quote(&quote_id, &mut |quote| {
        if let QuoteKind::Lightning(ln) = &mut quote.kind {
            ln.paid_at.get_or_insert(now);
            preimage = Some(ln.preimage);
        }
    });
    let preimage = preimage.ok_or_else(not_found)?;
    Ok(Json(SettleResponse {
        payment_hash,
        preimage: hex(&preimage),
    }))
}

/// `POST /api/dev/clock/advance`: moves the clock forward and purges what expired.
pub async fn advance_clock(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<ClockAdvanceRequest>,
) -> Result<Json<ClockAdvanceResponse>, ApiError> {
    if request.seconds > MAX_ADVANCE_SECS {
        return Err(ApiError::bad_request(format!(
            "seconds must be at most {MAX_ADVANCE_SECS}"
        )));
    }
    let now_unix = state.clock.advance(request.seconds);
    state.store.purge(now_unix);
    Ok(Json(ClockAdvanceResponse { now_unix }))
}

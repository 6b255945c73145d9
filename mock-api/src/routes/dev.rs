//! Mock-only endpoints (off with `--no-dev-endpoints`): settle an invoice as if paid, and
//! move the app clock (bounded: see [`crate::clock::Clock::advance`]). Like every route,
//! they answer only requests whose `Host` is the mock's (`crate::host`), and the clock
//! takes a JSON body only with a JSON content type (`crate::extract::ApiJson`), so a web
//! page can reach neither by DNS rebinding nor by a cross-site POST.

use axum::Json;
use axum::extract::State;
use liveauth_protocol::codec::{decode_hash32_any, encode_hex};
use liveauth_protocol::problem::ErrorCode;
use liveauth_protocol::wire::{ClockAdvanceRequest, ClockAdvanceResponse, SettleResponse};

use crate::error::Rejection;
use crate::extract::{ApiJson, PathParam};
use crate::state::AppState;
use crate::store::QuoteKind;

/// `POST /api/dev/settle/{paymentHash}`: marks the invoice paid and reveals its preimage,
/// which is what paying it with a real wallet would give the payer.
#[utoipa::path(
    post,
    path = "/api/dev/settle/{paymentHash}",
    tag = "dev",
    operation_id = "devSettle",
    summary = "Mock only: mark an invoice paid and reveal its preimage",
    description = "What paying the invoice with a real wallet would give the payer. Absent when the mock runs with `--no-dev-endpoints`.",
    params(("paymentHash" = String, Path, description = "The invoice's payment hash, 64 lowercase hex chars.")),
    responses(
        (status = 200, description = "The invoice is paid; its preimage.", body = liveauth_protocol::wire::SettleResponse),
        (status = 400, description = "`bad_request`: `paymentHash` is not 64 hex chars.", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`quote_not_found`: no invoice with this payment hash.", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json"),
    ),
    security(()),
)]
pub(crate) async fn settle(
    State(state): State<AppState>,
    PathParam(payment_hash): PathParam,
) -> Result<Json<SettleResponse>, Rejection> {
    // Hex, base64 or base64url: whichever `invoice.paymentHash` was written in.
    let hash = decode_hash32_any(&payment_hash).ok_or_else(|| {
        Rejection::bad_request("paymentHash is not 32 bytes of hex, base64 or base64url")
    })?;
    let not_found = || {
        Rejection::new(
            ErrorCode::QuoteNotFound,
            "no invoice with this payment hash",
        )
    };
    let now = state.now();
    // A bundle's invoice is no quote's: the bundle book settles it.
    if let Some(preimage) = state.bundles.settle(&hash, now) {
        return Ok(Json(SettleResponse {
            payment_hash,
            preimage: encode_hex(&preimage),
        }));
    }
    let quote_id = state
        .store
        .quote_id_for_payment(&hash)
        .ok_or_else(not_found)?;
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
        preimage: encode_hex(&preimage),
    }))
}

/// `POST /api/dev/clock/advance`: moves the clock forward and purges what expired.
#[utoipa::path(
    post,
    path = "/api/dev/clock/advance",
    tag = "dev",
    operation_id = "devAdvanceClock",
    summary = "Mock only: move the clock forward",
    description = "Moves the app clock (see `mock-api --manual-clock`) and purges what expired. Absent when the mock runs with `--no-dev-endpoints`.",
    request_body(content = liveauth_protocol::wire::ClockAdvanceRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The clock after the move.", body = liveauth_protocol::wire::ClockAdvanceResponse),
        (status = 400, description = "`bad_request`: malformed body, or `seconds` above ten years, above what is left of a century in total, or past what BOLT11 invoices can encode.", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json"),
        crate::openapi::JsonBodyRefusals,
    ),
    security(()),
)]
pub(crate) async fn advance_clock(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<ClockAdvanceRequest>,
) -> Result<Json<ClockAdvanceResponse>, Rejection> {
    let now_unix = state
        .clock
        .advance(request.seconds)
        .map_err(|too_far| Rejection::bad_request(too_far.to_string()))?;
    state.store.purge(now_unix);
    state.bundles.purge(now_unix);
    Ok(Json(ClockAdvanceResponse { now_unix }))
}

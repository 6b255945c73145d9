//! Metering: charge a call's cost against the session's budget, and read usage.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use liveauth_protocol::problem::ErrorCode;
use liveauth_protocol::time::rfc3339_utc;
use liveauth_protocol::wire::{
    ChargeRequest, ChargeResponse, ChargeStatus, UsageResponse, UsageStatus,
};

use crate::error::ApiError;
use crate::extract::{ApiJson, Authenticated};
use crate::state::AppState;
use crate::store::IdempotentCharge;

const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;

/// `POST /api/mcp/charge`: all-or-nothing; a deny is a 200 with `status: "deny"`. With an
/// `Idempotency-Key`, an accepted charge is counted once however often it is repeated.
pub async fn charge(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    headers: HeaderMap,
    ApiJson(request): ApiJson<ChargeRequest>,
) -> Result<Json<ChargeResponse>, ApiError> {
    let key = idempotency_key(&headers)?;
    charge_session(&state, &claims.sub, request.call_cost_sats, key.as_deref()).map(Json)
}

/// Charges `cost` to a session atomically (also used by the metered demo resource).
pub fn charge_session(
    state: &AppState,
    session_id: &str,
    cost: u64,
    key: Option<&str>,
) -> Result<ChargeResponse, ApiError> {
    let now = state.now();
    let mut outcome = None;
    let found = state.store.update_session(session_id, &mut |session| {
        if let Some(previous) = key.and_then(|key| session.idempotency.get(key)) {
            outcome = Some(if previous.cost == cost {
                Ok(previous.response.clone())
            } else {
                Err(ApiError::new(
                    ErrorCode::IdempotencyConflict,
                    format!(
                        "this Idempotency-Key was used for a charge of {} sats; use a new key \
                         for a different charge",
                        previous.cost
                    ),
                ))
            });
            return;
        }
        let response = session.budget.charge(cost, now);
        if let (Some(key), ChargeStatus::Ok) = (key, response.status) {
            let record = IdempotentCharge {
                cost,
                response: response.clone(),
                at: now,
            };
            session.idempotency.insert(key.to_owned(), record);
        }
        outcome = Some(Ok(response));
    });
    match outcome {
        Some(result) if found => result,
        _ => Err(session_ended()),
    }
}

fn session_ended() -> ApiError {
    ApiError::Token(
        ErrorCode::TokenInvalid,
        "the session has ended: authenticate again".into(),
    )
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value.to_str().ok().filter(|key| {
        (1..=MAX_IDEMPOTENCY_KEY_LEN).contains(&key.len())
            && key.bytes().all(|b| b.is_ascii_graphic())
    });
    key.map(|key| Some(key.to_owned())).ok_or_else(|| {
        ApiError::bad_request(format!(
            "Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_LEN} visible ASCII characters"
        ))
    })
}

/// `GET /api/mcp/usage`: the session's budget as it stands, without charging.
pub async fn usage(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
) -> Result<Json<UsageResponse>, ApiError> {
    let now = state.now();
    let mut usage = None;
    state.store.update_session(&claims.sub, &mut |session| {
        session.budget.roll(now);
        let budget = &session.budget;
        usage = Some(UsageResponse {
            status: UsageStatus::Active,
            calls_used: budget.calls_used,
            sats_used: budget.sats_used,
            max_sats_per_day: budget.max_sats_per_day,
            remaining_budget_sats: budget.remaining_sats(),
            max_calls_per_minute: u64::from(budget.max_calls_per_minute),
            expires_at: rfc3339_utc(session.expires_at),
            day_window_start: rfc3339_utc(budget.day_start),
        });
    });
    usage.map(Json).ok_or_else(session_ended)
}

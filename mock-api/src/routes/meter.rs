//! Metering: charge a call's cost against the session's budget, and read usage.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use liveauth_protocol::problem::ErrorCode;
use liveauth_protocol::time::rfc3339_utc;
use liveauth_protocol::wire::{
    ChargeRequest, ChargeResponse, ChargeStatus, UsageResponse, UsageStatus,
};

use crate::error::Rejection;
use crate::extract::{ApiJson, Authenticated, ProjectKey};
use crate::state::AppState;
use crate::store::IdempotentCharge;

const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;

/// `POST /api/mcp/charge`: all-or-nothing; a deny is a 200 with `status: "deny"`. With an
/// `Idempotency-Key`, an accepted charge is counted once however often it is repeated.
#[utoipa::path(
    post,
    path = "/api/mcp/charge",
    tag = "sessions",
    operation_id = "charge",
    summary = "Charge a call's cost to the session's budget, all or nothing",
    description = "A deny (daily sats or per-minute calls exhausted) is a 200 with `status: \"deny\"` and nothing spent. With an `Idempotency-Key`, an accepted charge is counted once however often it is repeated.",
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, min_length = 1, max_length = 255, pattern = "^[!-~]+$", description = "1 to 255 visible ASCII characters; the same key with the same cost replays the first answer.")),
    request_body(content = liveauth_protocol::wire::ChargeRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "`ok` (booked) or `deny` (not booked).", body = liveauth_protocol::wire::ChargeResponse),
        (status = 400, description = "`bad_request`: malformed body or `Idempotency-Key`.", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "`token_missing`, `token_invalid`, `token_expired`: no valid access token (on `token_expired`, refresh).", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json", headers(("WWW-Authenticate" = String, description = "With the `token_*` codes: `Bearer error=\"invalid_token\", error_description=\"<code>\"` (RFC 6750)."))),
        (status = 413, description = "`payload_too_large`: the body exceeds 64 KiB.", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: the body is not `application/json`.", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`idempotency_conflict`: the key was used for a charge of another cost.", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json"),
    ),
    security(("bearerAuth" = [])),
)]
pub async fn charge(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ProjectKey(project_key): ProjectKey,
    headers: HeaderMap,
    ApiJson(request): ApiJson<ChargeRequest>,
) -> Result<Json<ChargeResponse>, Rejection> {
    state.check_sent_key(project_key.as_deref(), &claims.project_id)?;
    let key = idempotency_key(&headers)?;
    // Until the hosted profile lands, the cost stays required, as it was.
    let cost = request
        .call_cost_sats
        .ok_or_else(|| Rejection::bad_request("callCostSats is required"))?;
    charge_session(&state, &claims.sub, cost, key.as_deref()).map(Json)
}

/// Charges `cost` to a session atomically (also used by the metered demo resource).
pub fn charge_session(
    state: &AppState,
    session_id: &str,
    cost: u64,
    key: Option<&str>,
) -> Result<ChargeResponse, Rejection> {
    let now = state.now();
    let mut outcome = None;
    let found = state.store.update_session(session_id, &mut |session| {
        if let Some(previous) = key.and_then(|key| session.idempotency.get(key)) {
            outcome = Some(if previous.cost == cost {
                Ok(previous.response.clone())
            } else {
                Err(Rejection::new(
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

fn session_ended() -> Rejection {
    Rejection::Token(
        ErrorCode::TokenInvalid,
        "the session has ended: authenticate again".into(),
    )
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, Rejection> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value.to_str().ok().filter(|key| {
        (1..=MAX_IDEMPOTENCY_KEY_LEN).contains(&key.len())
            && key.bytes().all(|b| b.is_ascii_graphic())
    });
    key.map(|key| Some(key.to_owned())).ok_or_else(|| {
        Rejection::bad_request(format!(
            "Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_LEN} visible ASCII characters"
        ))
    })
}

/// `GET /api/mcp/usage`: the session's budget as it stands, without charging.
#[utoipa::path(
    get,
    path = "/api/mcp/usage",
    tag = "sessions",
    operation_id = "usage",
    summary = "The session's budget as it stands, without charging",
    responses(
        (status = 200, description = "Usage of the current UTC day and the limits.", body = liveauth_protocol::wire::UsageResponse),
        (status = 401, description = "`token_missing`, `token_invalid`, `token_expired`: no valid access token (on `token_expired`, refresh).", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json", headers(("WWW-Authenticate" = String, description = "With the `token_*` codes: `Bearer error=\"invalid_token\", error_description=\"<code>\"` (RFC 6750)."))),
    ),
    security(("bearerAuth" = [])),
)]
pub async fn usage(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ProjectKey(project_key): ProjectKey,
) -> Result<Json<UsageResponse>, Rejection> {
    state.check_sent_key(project_key.as_deref(), &claims.project_id)?;
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

//! Metering: charge a call's cost against the session's budget, and read usage.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use liveauth_protocol::problem::ErrorCode;
use liveauth_protocol::wire::{
    ChargeRequest, ChargeResponse, ChargeStatus, FundingMode, UsageResponse, UsageStatus,
};

use crate::error::Rejection;
use crate::extract::{ApiJson, Authenticated, ProjectKey};
use crate::hosted_errors::COST_NOT_POSITIVE;
use crate::profile::{IdempotencySource, Replay};
use crate::receipts::{self, ReceiptFacts};
use crate::routes::caller;
use crate::state::AppState;
use crate::store::IdempotentCharge;
use crate::token::AccessClaims;

/// The hosted API's limit on the body field `idempotencyKey` (after trimming), also the
/// strict profile's on the `Idempotency-Key` header: what a record may cost is bounded.
pub(crate) const MAX_IDEMPOTENCY_KEY_LEN: usize = 200;

/// `POST /api/mcp/charge`: all-or-nothing; a deny is a 200 with `status: "deny"`. With an
/// `Idempotency-Key`, an accepted charge is counted once however often it is repeated.
#[utoipa::path(
    post,
    path = "/api/mcp/charge",
    tag = "sessions",
    operation_id = "charge",
    summary = "Charge a call's cost to the session's budget, all or nothing",
    description = "A deny (daily sats or per-minute calls exhausted) is a 200 with `status: \"deny\"` and nothing spent. With an `Idempotency-Key`, an accepted charge is counted once however often it is repeated.\n\nCaller funding (LiveAuth 1.3, off with `--no-caller-funding`): `fundingMode: \"caller\"` with an `idempotencyKey` and a `requestHash` pays from the caller's balance (`callerBalanceSats`); a balance that does not cover the call is a 402 deny `payment_required` whose `payment` is an invoice for the shortfall: pay it, `POST` its `confirmPath`, retry with the same key and hash. A repeat of a booked caller charge answers the original with `duplicate: true`; the key reused for another `requestHash` or price is a 422 deny `idempotency_conflict` (a body like the 402's, `application/json`).",
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, min_length = 1, max_length = 200, pattern = "^[!-~]+$", description = "1 to 200 visible ASCII characters; the same key with the same cost replays the first answer.")),
    request_body(content = liveauth_protocol::wire::ChargeRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "`ok` (booked) or `deny` (not booked).", body = liveauth_protocol::wire::ChargeResponse),
        (status = 402, description = "Caller funding: deny `payment_required` with the `payment` to make first; nothing booked.", body = liveauth_protocol::wire::ChargeResponse),
        (status = 400, description = "`bad_request`: malformed body or `Idempotency-Key`.", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "`token_missing`, `token_invalid`, `token_expired`: no valid access token (on `token_expired`, refresh).", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json", headers(("WWW-Authenticate" = String, description = "With the `token_*` codes: `Bearer error=\"invalid_token\", error_description=\"<code>\"` (RFC 6750)."))),
        crate::openapi::JsonBodyRefusals,
        (status = 422, description = "`idempotency_conflict`: the key was used for a charge of another cost (caller funding: another `requestHash` or price, answered as a deny, `application/json`); `idempotency_key_too_long`: the key (header or `idempotencyKey`) is over 200 characters.", content(
            (liveauth_protocol::problem::Problem = "application/problem+json"),
            (liveauth_protocol::wire::ChargeResponse = "application/json"),
        )),
        (status = 503, description = "`over_capacity`: the server holds as many idempotency keys as it may; nothing was stored.", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait: about when the next purge runs."))),
    ),
    security(("bearerAuth" = [])),
)]
pub(crate) async fn charge(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ProjectKey(project_key): ProjectKey,
    headers: HeaderMap,
    ApiJson(request): ApiJson<ChargeRequest>,
) -> Result<(StatusCode, Json<ChargeResponse>), Rejection> {
    state.check_sent_key(project_key.as_deref(), &claims.project_id)?;
    let profile = state.config.profile;
    let body_key = body_idempotency_key(request.idempotency_key.as_deref())?;
    let key = match profile.idempotency_source() {
        IdempotencySource::Body => body_key,
        IdempotencySource::HeaderOrBody => match (header_idempotency_key(&headers)?, body_key) {
            (Some(header), Some(body)) if header != body => {
                return Err(Rejection::bad_request(
                    "the Idempotency-Key header and the body's idempotencyKey differ; send one",
                ));
            }
            (header, body) => header.or(body),
        },
    };
    let cost = request
        .call_cost_sats
        .or(profile.default_call_cost())
        .ok_or_else(|| Rejection::bad_request("field `callCostSats` is required"))?;
    if cost < profile.min_call_cost() {
        return Err(Rejection::bad_request(COST_NOT_POSITIVE));
    }
    // An API without caller funding ignores `fundingMode`, as the published backend does.
    if request.funding_mode == Some(FundingMode::Caller) && state.config.caller_funding {
        let request_hash = request.request_hash.as_deref();
        let (status, response) =
            caller::charge(&state, &claims, cost, key.as_deref(), request_hash)?;
        return Ok((status, Json(response)));
    }
    charge_session(&state, &claims, cost, key.as_deref()).map(|r| (StatusCode::OK, Json(r)))
}

/// Charges `cost` to the token's session atomically (also used by the metered demo
/// resource). An accepted charge carries its receipts, signed again on a replay.
pub(crate) fn charge_session(
    state: &AppState,
    claims: &AccessClaims,
    cost: u64,
    key: Option<&str>,
) -> Result<ChargeResponse, Rejection> {
    let now = state.now();
    let mut outcome = None;
    // The accepted charge's receipt facts and the time it was first accepted.
    let mut accepted = None;
    // A new key's record is counted against the caps before the session's lock is taken
    // (the store holds one lock at a time); a replay or a deny gives the count back.
    let admitted = key.map(|_| state.store.admit_idempotency(&claims.project_id));
    let mut kept = false;
    let found = state.store.update_session(&claims.sub, &mut |session| {
        if let Some(previous) = key.and_then(|key| session.idempotency.get(key)) {
            accepted = Some((previous.receipt, previous.at, previous.cost));
            let policy = state.config.profile.replay();
            outcome = Some(if policy == Replay::CurrentCounters {
                let mut replay = previous.response.clone();
                replay.calls_used = session.budget.calls_used;
                replay.sats_used = session.budget.sats_used;
                Ok(replay)
            } else if previous.cost == cost {
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
        if let Some(Err(full)) = admitted {
            outcome = Some(Err(Rejection::from(full)));
            return;
        }
        let mut response = session.budget.charge(cost, now);
        state
            .config
            .profile
            .describe_charge(&mut response, cost, &state.rng);
        if response.status == ChargeStatus::Ok {
            accepted = Some((ReceiptFacts::new(&response, claims, &state.rng), now, cost));
        }
        if let (Some(key), Some((receipt, ..))) = (key, accepted) {
            let record = IdempotentCharge {
                cost,
                request_hash: None,
                response: response.clone(),
                at: now,
                receipt,
            };
            session.idempotency.insert(key.to_owned(), record);
            kept = true;
        }
        outcome = Some(Ok(response));
    });
    if admitted == Some(Ok(())) && !kept {
        state.store.release_idempotency(&claims.project_id);
    }
    let mut response = match outcome {
        Some(result) if found => result?,
        _ => return Err(session_ended()),
    };
    if let Some((facts, at, cost)) = accepted {
        attach_receipts(state, &mut response, claims, &facts, cost, key, at);
    }
    Ok(response)
}

/// Signs an accepted charge's receipts into `response` (again, identically, on a replay).
pub(crate) fn attach_receipts(
    state: &AppState,
    response: &mut ChargeResponse,
    claims: &AccessClaims,
    facts: &ReceiptFacts,
    cost: u64,
    idempotency_key: Option<&str>,
    at: i64,
) {
    let charge = receipts::Charge {
        facts,
        claims,
        cost,
        idempotency_key,
        at,
    };
    receipts::attach(&state.keys.receipts, response, &charge);
}

pub(crate) fn session_ended() -> Rejection {
    Rejection::Token(
        ErrorCode::TokenInvalid,
        "the session has ended: authenticate again".into(),
    )
}

/// The body's `idempotencyKey`, trimmed; blank reads as absent (as the hosted API does).
fn body_idempotency_key(key: Option<&str>) -> Result<Option<String>, Rejection> {
    let Some(key) = key.map(str::trim).filter(|key| !key.is_empty()) else {
        return Ok(None);
    };
    if key.chars().count() > MAX_IDEMPOTENCY_KEY_LEN {
        return Err(key_too_long());
    }
    Ok(Some(key.to_owned()))
}

/// 422 `idempotency_key_too_long` (hosted: its validation 400 on `IdempotencyKey`).
fn key_too_long() -> Rejection {
    Rejection::new(
        ErrorCode::IdempotencyKeyTooLong,
        format!("an idempotency key must be at most {MAX_IDEMPOTENCY_KEY_LEN} characters"),
    )
}

fn header_idempotency_key(headers: &HeaderMap) -> Result<Option<String>, Rejection> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    if value.len() > MAX_IDEMPOTENCY_KEY_LEN {
        return Err(key_too_long());
    }
    let key = value
        .to_str()
        .ok()
        .filter(|key| !key.is_empty() && key.bytes().all(|b| b.is_ascii_graphic()));
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
pub(crate) async fn usage(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ProjectKey(project_key): ProjectKey,
) -> Result<Json<UsageResponse>, Rejection> {
    state.check_sent_key(project_key.as_deref(), &claims.project_id)?;
    let now = state.now();
    let profile = state.config.profile;
    let caller_funding = state.config.caller_funding;
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
            expires_at: profile.stored_time(session.expires_at),
            day_window_start: profile.stored_time(budget.day_start),
            caller_balance_sats: caller_funding.then_some(session.caller_balance_sats),
        });
    });
    usage.map(Json).ok_or_else(session_ended)
}

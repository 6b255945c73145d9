//! Caller funding (LiveAuth 1.3, facts §2.5, §2.6, §6.7): a charge with `fundingMode:
//! "caller"` is paid from the caller's own balance, and a balance that does not cover it
//! is answered 402 `payment_required` with an invoice for the shortfall. The caller pays
//! it, confirms it (`POST /api/mcp/payments/{paymentId}/confirm`, same session), and
//! retries the charge with the same idempotency key and `requestHash`: it is booked once.
//!
//! The invoice is a Lightning quote of origin [`QuoteOrigin::CallerPayment`], so the dev
//! settle route, expiry, the challenge cap and the purge apply as to any invoice, while
//! confirm, status, lnurl and the L402/x402 credentials do not know it. What it funds and
//! whether it was credited is the session's ([`CallerPaymentBinding`]): the balance is
//! credited under the session's lock, once.
//!
//! Off with `--no-caller-funding` (an older backend): `/api/mcp/capabilities` and the
//! confirm route are absent and `fundingMode` is ignored, as the published backend does.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use liveauth_protocol::problem::ErrorCode;
use liveauth_protocol::request_hash::is_request_hash;
use liveauth_protocol::time::rfc3339_utc;
use liveauth_protocol::wire::{
    CallerPayment, CallerPaymentStatus, Capabilities, ChargeResponse, ChargeStatus, DenyReason,
    FundingMode, PaymentConfirmResponse,
};

use crate::error::Rejection;
use crate::extract::{Authenticated, PathParam, ProjectKey};
use crate::payment;
use crate::receipts::ReceiptFacts;
use crate::state::AppState;
use crate::store::{
    CallerPaymentBinding, IdempotentCharge, MAX_CALLER_PAYMENTS, QUOTE_GRACE_SECS, QuoteKind,
    QuoteOrigin, Session,
};
use crate::token::AccessClaims;

/// `GET /api/mcp/capabilities`: what this API offers beyond LiveAuth 1.1.
#[utoipa::path(
    get,
    path = "/api/mcp/capabilities",
    tag = "sessions",
    operation_id = "capabilities",
    summary = "What the API offers beyond LiveAuth 1.1: caller funding",
    description = "A client asks before a caller-funded charge, so an older API that would ignore `fundingMode` is never sent one. Absent when the mock runs with `--no-caller-funding`.",
    responses(
        (status = 200, description = "`callerFunding: true`.", body = liveauth_protocol::wire::Capabilities),
        (status = 401, description = "`token_missing`, `token_invalid`, `token_expired`: no valid access token.", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json"),
    ),
    security(("bearerAuth" = [])),
)]
pub(crate) async fn capabilities(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ProjectKey(project_key): ProjectKey,
) -> Result<Json<Capabilities>, Rejection> {
    state.check_sent_key(project_key.as_deref(), &claims.project_id)?;
    Ok(Json(Capabilities {
        caller_funding: true,
    }))
}

/// `POST /api/mcp/payments/{paymentId}/confirm`: credits a paid payment to the caller's
/// balance, once; the body is ignored (clients send `{}`).
#[utoipa::path(
    post,
    path = "/api/mcp/payments/{paymentId}/confirm",
    tag = "sessions",
    operation_id = "confirmPayment",
    summary = "Credit a paid caller-funding invoice to the caller's balance, once",
    description = "Only the session whose charge asked for the payment can confirm it. `paid`: the credit is in `callerBalanceSats` (again `paid`, nothing added, on a repeat); `pending`: not paid yet; `expired`: not paid before the invoice expired, nothing credited. Then retry the charge with the same `idempotencyKey` and `requestHash`. Absent with `--no-caller-funding`.",
    params(("paymentId" = String, Path, description = "The `payment.paymentId` of the 402 `payment_required` answer.")),
    responses(
        (status = 200, description = "Where the payment stands and the balance.", body = liveauth_protocol::wire::PaymentConfirmResponse),
        (status = 401, description = "`token_missing`, `token_invalid`, `token_expired`: no valid access token.", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`payment_not_found`: no payment of this session has this id (another caller's is not found either).", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json"),
    ),
    security(("bearerAuth" = [])),
)]
pub(crate) async fn confirm_payment(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    ProjectKey(project_key): ProjectKey,
    PathParam(payment_id): PathParam,
) -> Result<Json<PaymentConfirmResponse>, Rejection> {
    state.check_sent_key(project_key.as_deref(), &claims.project_id)?;
    let now = state.now();
    // Payment is monotonic: read it first, credit under the session's lock.
    let paid_at = state
        .store
        .quote(&payment_id)
        .filter(|quote| quote.origin == QuoteOrigin::CallerPayment)
        .and_then(|quote| match quote.kind {
            QuoteKind::Lightning(ln) => ln.paid_at,
            QuoteKind::Pow(_) | QuoteKind::L402Bundle => None,
        });
    let mut answer = None;
    state.store.update_session(&claims.sub, &mut |session| {
        let Session {
            payments,
            caller_balance_sats,
            ..
        } = session;
        let Some(binding) = payments.get_mut(&payment_id) else {
            return;
        };
        let status = if binding.credited {
            CallerPaymentStatus::Paid
        } else if paid_at.is_some_and(|at| at <= binding.expires_at) {
            binding.credited = true;
            *caller_balance_sats = caller_balance_sats.saturating_add(binding.credit_sats);
            CallerPaymentStatus::Paid
        } else if now >= binding.expires_at {
            CallerPaymentStatus::Expired
        } else {
            CallerPaymentStatus::Pending
        };
        answer = Some(PaymentConfirmResponse {
            status,
            payment_id: payment_id.clone(),
            caller_balance_sats: *caller_balance_sats,
        });
    });
    answer.map(Json).ok_or_else(|| {
        Rejection::new(
            ErrorCode::PaymentNotFound,
            "no payment of this session has this id",
        )
    })
}

/// What the session's lock decided about a caller-funded charge.
enum Decision {
    /// Answered under the lock: booked, replayed, denied or refused.
    Answer(Result<ChargeResponse, Rejection>),
    /// The balance is short: an invoice for `shortfall` (or the pending `existing` one).
    Pay {
        shortfall: u64,
        existing: Option<CallerPaymentBinding>,
        counters: ChargeResponse,
    },
}

/// A caller-funded charge of `cost` for the call `request_hash` under `key`: booked from
/// the balance, replayed (`duplicate: true`), denied, or answered 402 with the payment to
/// make first.
pub(crate) fn charge(
    state: &AppState,
    claims: &AccessClaims,
    cost: u64,
    key: Option<&str>,
    request_hash: Option<&str>,
) -> Result<(StatusCode, ChargeResponse), Rejection> {
    let key = key.ok_or_else(|| {
        Rejection::bad_request(
            "a caller-funded charge needs an idempotencyKey (request_binding_required)",
        )
    })?;
    let hash = request_hash
        .filter(|hash| is_request_hash(hash))
        .map(str::to_ascii_lowercase)
        .ok_or_else(|| {
            Rejection::bad_request(
                "a caller-funded charge needs requestHash: 64 hex digits, the SHA-256 of the \
                 call's canonical arguments (request_binding_required)",
            )
        })?;
    let now = state.now();
    let admitted = state.store.admit_idempotency(&claims.project_id);
    let mut decision = None;
    let mut accepted = None;
    let mut kept = false;
    let found = state.store.update_session(&claims.sub, &mut |session| {
        session
            .payments
            .retain(|_, b| b.expires_at.saturating_add(QUOTE_GRACE_SECS) > now);
        if let Some(previous) = session.idempotency.get(key) {
            decision = Some(Decision::Answer(
                if previous.request_hash.as_deref() == Some(hash.as_str()) && previous.cost == cost
                {
                    accepted = Some((previous.receipt, previous.at));
                    let mut replay = previous.response.clone();
                    replay.duplicate = Some(true);
                    Ok(replay)
                } else {
                    Ok(conflict(session))
                },
            ));
            return;
        }
        let mut bindings = session
            .payments
            .values()
            .filter(|b| b.idempotency_key == key);
        if bindings
            .clone()
            .any(|b| b.request_hash != hash || b.cost != cost)
        {
            decision = Some(Decision::Answer(Ok(conflict(session))));
            return;
        }
        let existing = bindings
            .find(|b| !b.credited && b.expires_at > now)
            .cloned();
        if existing.is_none() && session.payments.len() >= MAX_CALLER_PAYMENTS {
            decision = Some(Decision::Answer(Err(too_many_payments(state))));
            return;
        }
        if let Some(mut deny) = session.budget.refusal(cost, now) {
            describe(&mut deny, session);
            decision = Some(Decision::Answer(Ok(deny)));
            return;
        }
        if session.caller_balance_sats < cost {
            let mut counters = ChargeResponse::new(
                ChargeStatus::Deny,
                session.budget.calls_used,
                session.budget.sats_used,
            );
            describe(&mut counters, session);
            decision = Some(Decision::Pay {
                shortfall: cost - session.caller_balance_sats,
                existing,
                counters,
            });
            return;
        }
        if let Err(full) = admitted {
            decision = Some(Decision::Answer(Err(Rejection::from(full))));
            return;
        }
        let mut response = session.budget.charge(cost, now);
        session.caller_balance_sats -= cost;
        state
            .config
            .profile
            .describe_charge(&mut response, cost, &state.rng);
        describe(&mut response, session);
        let receipt = ReceiptFacts::new(&response, claims, &state.rng);
        let record = IdempotentCharge {
            cost,
            request_hash: Some(hash.clone()),
            response: response.clone(),
            at: now,
            receipt,
        };
        session.idempotency.insert(key.to_owned(), record);
        kept = true;
        accepted = Some((receipt, now));
        decision = Some(Decision::Answer(Ok(response)));
    });
    if admitted == Ok(()) && !kept {
        state.store.release_idempotency(&claims.project_id);
    }
    let decision = decision
        .filter(|_| found)
        .ok_or_else(super::meter::session_ended)?;
    match decision {
        Decision::Answer(answer) => {
            let mut response = answer?;
            if let Some((facts, at)) = accepted {
                super::meter::attach_receipts(
                    state,
                    &mut response,
                    claims,
                    &facts,
                    cost,
                    Some(key),
                    at,
                );
            }
            let status = match response.reason {
                Some(DenyReason::IdempotencyConflict) => StatusCode::UNPROCESSABLE_ENTITY,
                _ => StatusCode::OK,
            };
            Ok((status, response))
        }
        Decision::Pay {
            shortfall,
            existing,
            mut counters,
        } => {
            let binding = match existing {
                Some(binding) => binding,
                None => new_payment(state, claims, key, &hash, cost, shortfall)?,
            };
            counters.reason = Some(DenyReason::PaymentRequired);
            counters.gross_sats = Some(cost);
            counters.payment = Some(payment_of(state, &binding, key)?);
            Ok((StatusCode::PAYMENT_REQUIRED, counters))
        }
    }
}

/// The caller-funding fields of an answer: who pays, the balance, the day's limit left.
fn describe(response: &mut ChargeResponse, session: &Session) {
    response.funding_mode = Some(FundingMode::Caller);
    response.caller_balance_sats = Some(session.caller_balance_sats);
    response.remaining_budget_sats = Some(session.budget.remaining_sats());
}

/// The deny of a key reused for another call or price: nothing booked, nothing asked.
fn conflict(session: &Session) -> ChargeResponse {
    let mut deny = ChargeResponse::new(
        ChargeStatus::Deny,
        session.budget.calls_used,
        session.budget.sats_used,
    );
    deny.reason = Some(DenyReason::IdempotencyConflict);
    describe(&mut deny, session);
    deny
}

/// A new invoice for `shortfall` sats, bound to this charge in the session (or the one a
/// concurrent retry of the same charge bound first).
fn new_payment(
    state: &AppState,
    claims: &AccessClaims,
    key: &str,
    hash: &str,
    cost: u64,
    shortfall: u64,
) -> Result<CallerPaymentBinding, Rejection> {
    let project = state
        .projects
        .iter()
        .find(|project| project.id == claims.project_id)
        .ok_or_else(super::meter::session_ended)?;
    let quote = payment::new_invoice_quote(state, project, shortfall, QuoteOrigin::CallerPayment)?;
    let fresh = CallerPaymentBinding {
        payment_id: quote.id,
        idempotency_key: key.to_owned(),
        request_hash: hash.to_owned(),
        cost,
        credit_sats: shortfall,
        expires_at: quote.expires_at,
        credited: false,
    };
    let now = state.now();
    let mut bound = Err(too_many_payments(state));
    let found = state.store.update_session(&claims.sub, &mut |session| {
        let usable = session.payments.values().find(|b| {
            b.idempotency_key == key
                && b.request_hash == hash
                && b.cost == cost
                && !b.credited
                && b.expires_at > now
        });
        if let Some(first) = usable {
            bound = Ok(first.clone());
        } else if session.payments.len() < MAX_CALLER_PAYMENTS {
            let id = fresh.payment_id.clone();
            session.payments.insert(id, fresh.clone());
            bound = Ok(fresh.clone());
        }
    });
    if !found {
        return Err(super::meter::session_ended());
    }
    bound
}

/// 429: the session holds as many payments as it may until one is purged (its expiry
/// plus the quote grace time).
fn too_many_payments(state: &AppState) -> Rejection {
    let wait = state
        .config
        .invoice_ttl_secs
        .saturating_add(QUOTE_GRACE_SECS.unsigned_abs());
    Rejection::Busy {
        code: ErrorCode::RateLimited,
        detail: format!(
            "this session holds {MAX_CALLER_PAYMENTS} caller-funding payments: pay and \
             confirm one, or wait until they expire"
        ),
        retry_after: wait,
    }
}

/// The `payment` block of a 402 answer for `binding`.
fn payment_of(
    state: &AppState,
    binding: &CallerPaymentBinding,
    key: &str,
) -> Result<CallerPayment, Rejection> {
    let invoice = state
        .store
        .quote(&binding.payment_id)
        .and_then(|quote| match quote.kind {
            QuoteKind::Lightning(ln) => Some(ln.invoice),
            QuoteKind::Pow(_) | QuoteKind::L402Bundle => None,
        })
        .ok_or_else(|| {
            Rejection::new(
                ErrorCode::InternalError,
                "the payment's invoice is gone before its expiry",
            )
        })?;
    Ok(CallerPayment {
        payment_id: binding.payment_id.clone(),
        method: "lightning".to_owned(),
        amount_sats: invoice.amount_sats,
        credit_sats: binding.credit_sats,
        invoice: invoice.bolt11,
        expires_at: rfc3339_utc(binding.expires_at),
        confirm_path: format!("/api/mcp/payments/{}/confirm", binding.payment_id),
        retry_idempotency_key: key.to_owned(),
    })
}

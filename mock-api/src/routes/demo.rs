//! `GET /api/demo/resource`: an example of what a LiveAuth-protected API does with the
//! credentials: a bearer JWT is metered (1 sat a call), a paid L402/x402 credential opens
//! `Config::calls_per_payment` calls (as the hosted pay-per-call token: 1), and anything
//! else gets 402 with fresh payment challenges.

use axum::Json;
use axum::extract::State;
use liveauth_protocol::auth::Credential;
use liveauth_protocol::problem::ErrorCode;
use liveauth_protocol::wire::{ChargeStatus, DenyReason};
use serde_json::{Value, json};

use crate::error::Rejection;
use crate::extract::MaybeCredential;
use crate::payment;
use crate::ratelimit::ClientAddr;
use crate::routes::meter::charge_session;
use crate::state::AppState;

/// What one call of the demo resource costs a bearer-token session.
pub(crate) const DEMO_RESOURCE_COST_SATS: u64 = 1;

/// `GET /api/demo/resource`: see the module docs.
#[utoipa::path(
    get,
    path = "/api/demo/resource",
    tag = "demo",
    operation_id = "demoResource",
    summary = "An example protected resource",
    description = "What a LiveAuth-protected API does with credentials: a bearer access token is metered (1 sat a call), a paid L402/x402 credential opens a bounded number of calls per payment (default 1, as the hosted pay-per-call token; then 402 `credential_invalid` with fresh challenges), and no credential gets 402 with fresh payment challenges for the demo project.",
    responses(
        (status = 200, description = "The resource, and how it was paid for.", body = crate::openapi::DemoResource),
        (status = 401, description = "`token_invalid`, `token_expired`: the bearer token (or the `Authorization` header) is not valid.", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json", headers(("WWW-Authenticate" = String, description = "With the `token_*` codes: `Bearer error=\"invalid_token\", error_description=\"<code>\"` (RFC 6750)."))),
        (status = 402, description = "`payment_required`: no credential; `credential_invalid`: the L402/x402 credential does not prove payment, or its payment's calls are used up. Pay the fresh invoice and retry.", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json", headers(("WWW-Authenticate" = String, description = "Two challenges for a fresh invoice, each its own header: `L402 macaroon=\"<base64>\", invoice=\"<bolt11>\"` and `x402 invoice=\"<bolt11>\", paymentHash=\"<hex>\"`."))),
        (status = 429, description = "`budget_exceeded`, `rate_limited`: the session's daily sats or per-minute calls are used up (`detail` says when to retry), or without a paid credential this client's payment challenges this minute (`Retry-After`).", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`over_capacity`: the server holds as many payment challenges as it may; nothing was stored.", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait: about when the next purge runs."))),
    ),
    security(("bearerAuth" = []), ("l402" = []), ("x402" = [])),
)]
pub(crate) async fn resource(
    State(state): State<AppState>,
    client: ClientAddr,
    MaybeCredential(credential): MaybeCredential,
) -> Result<Json<Value>, Rejection> {
    let demo = state.demo_project();
    let Some(credential) = credential else {
        state.limiter.check(client, state.now())?;
        return Err(payment::payment_required(
            &state,
            demo,
            ErrorCode::PaymentRequired,
            "this resource needs a LiveAuth bearer token or a paid L402/x402 credential",
        ));
    };
    let paid_by = match &credential {
        Credential::Bearer(token) => {
            let claims = state.verify_access_token(token)?;
            let charge = charge_session(&state, &claims, DEMO_RESOURCE_COST_SATS, None)?;
            if charge.status != ChargeStatus::Ok {
                let code = match charge.reason {
                    Some(DenyReason::RateLimited) => ErrorCode::RateLimited,
                    _ => ErrorCode::BudgetExceeded,
                };
                let retry = charge.retry_after_seconds.unwrap_or(1);
                return Err(Rejection::new(code, format!("retry in {retry} s")));
            }
            json!({"method": "jwt", "charge": charge})
        }
        Credential::L402 { .. } | Credential::X402 { .. } => {
            let Some(quote) = payment::redeem_call(&state, &credential) else {
                state.limiter.check(client, state.now())?;
                return Err(payment::payment_required(
                    &state,
                    demo,
                    ErrorCode::CredentialInvalid,
                    "the credential does not prove payment of a LiveAuth invoice, or its \
                     payment's calls are used up",
                ));
            };
            let method = if matches!(credential, Credential::X402 { .. }) {
                "x402"
            } else {
                "l402"
            };
            json!({"method": method, "quoteId": quote.id})
        }
    };
    Ok(Json(json!({
        "resource": "demo",
        "message": "Hello from the LiveAuth demo resource",
        "paidBy": paid_by,
    })))
}

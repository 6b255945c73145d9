//! L402 bundles (facts §2.7): buy one (invoice), claim its macaroon once paid, read its
//! status. Spending a call is a confirm of a `forceL402` quote ([`spend`], called by
//! `routes::quote::confirm`).

use axum::Json;
use axum::extract::{Query, State};
use axum::http::Uri;
use liveauth_protocol::bundle::{
    BUNDLE_SCOPES, BundleClaimRequest, BundleClaimResponse, BundleClaims, BundleInvoiceRequest,
    BundleInvoiceResponse, BundleStatusResponse, BundleTier,
};
use liveauth_protocol::codec::encode_hex;
use liveauth_protocol::problem::ErrorCode;
use serde::Deserialize;

use crate::bundle::{Bundle, BundleState, ClaimRefused, Find};
use crate::config::Project;
use crate::error::Rejection;
use crate::extract::{ApiJson, ProjectKey};
use crate::payment::{Minted, mint_invoice};
use crate::profile::Profile;
use crate::ratelimit::ClientAddr;
use crate::state::AppState;

/// The detail of a missing or unknown tier (hosted: 400 `{"error": …}`).
const TIERS: &str = "starter, growth, scale, enterprise";

/// The project a bundle request names: `publicKey` (body or query) before `X-LW-Public`.
fn project<'a>(
    state: &'a AppState,
    sent: Option<&str>,
    header: Option<&str>,
) -> Result<&'a Project, Rejection> {
    state.project_for_key(sent.or(header))
}

/// `POST /api/public/l402/bundle/invoice`: a pending bundle and the invoice that pays it.
#[utoipa::path(
    post,
    path = "/api/public/l402/bundle/invoice",
    tag = "bundles",
    operation_id = "bundleInvoice",
    summary = "Buy an L402 bundle of calls: a pending bundle and its invoice",
    description = "Tiers (any case): starter 100 calls for 50 sats, growth 1,000 for 400, scale 10,000 for 3,000, enterprise 100,000 for 20,000; each lasts 90 days from its claim. The project is `publicKey` in the body, else `X-LW-Public`. Pay the invoice, then claim with its `paymentHash`.",
    request_body(content = liveauth_protocol::bundle::BundleInvoiceRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The pending bundle and its 10-minute invoice.", body = liveauth_protocol::bundle::BundleInvoiceResponse),
        (status = 400, description = "`bad_request`: no tier, an unknown tier, or a malformed body.", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "`missing_project_key` / `unknown_project`: no valid project key (hosted: `invalid_public_key`).", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json"),
        crate::openapi::JsonBodyRefusals,
        (status = 429, description = "`rate_limited`: this client's starts and payment challenges this minute are used up.", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds until the client's minute ends."))),
        (status = 503, description = "`over_capacity`: the server holds as many bundles as it may; nothing was stored.", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait: about when the next purge runs."))),
    ),
    security(("projectKey" = [])),
)]
pub(crate) async fn invoice(
    State(state): State<AppState>,
    client: ClientAddr,
    ProjectKey(key): ProjectKey,
    ApiJson(request): ApiJson<BundleInvoiceRequest>,
) -> Result<Json<BundleInvoiceResponse>, Rejection> {
    state.limiter.check(client, state.now())?;
    let project = project(&state, request.public_key.as_deref(), key.as_deref())?;
    let tier_sent = request.tier.unwrap_or_default().trim().to_owned();
    if tier_sent.is_empty() {
        return Err(Rejection::bad_request(format!(
            "Tier is required ({TIERS})"
        )));
    }
    let tier = BundleTier::parse(&tier_sent).ok_or_else(|| {
        Rejection::bad_request(format!("Unknown tier '{tier_sent}'. Valid: {TIERS}"))
    })?;
    state.maybe_purge();
    let id = format!("bundle_{tier_sent}_{}", encode_hex(&state.rng.bytes::<6>()));
    let Minted {
        bolt11,
        payment_hash,
        preimage,
        expires_at,
    } = mint_invoice(
        &state,
        tier.price_sats(),
        format!("LiveAuth L402 bundle {id}"),
    )?;
    let payment_hash_text = state.config.payment_hash_encoding.encode(&payment_hash);
    state.bundles.insert(Bundle {
        id: id.clone(),
        project_id: project.id.clone(),
        tier,
        tier_sent: tier_sent.clone(),
        agent_id: request
            .agent_id
            .filter(|a| !a.trim().is_empty())
            .unwrap_or_else(|| "default".to_owned()),
        payment_hash_text: payment_hash_text.clone(),
        payment_hash,
        preimage,
        paid_at: None,
        state: BundleState::Pending,
        remaining_calls: tier.total_calls(),
        expires_at,
    })?;
    Ok(Json(BundleInvoiceResponse {
        bundle_id: id,
        invoice: bolt11.clone(),
        bolt11,
        payment_hash: payment_hash_text,
        amount_sats: tier.price_sats(),
        expires_at_unix: expires_at,
        tier: tier_sent,
        total_calls: tier.total_calls(),
    }))
}

/// `POST /api/public/l402/bundle/claim`: a fresh macaroon for a paid bundle.
#[utoipa::path(
    post,
    path = "/api/public/l402/bundle/claim",
    tag = "bundles",
    operation_id = "bundleClaim",
    summary = "Claim a paid L402 bundle: a fresh macaroon",
    description = "Every claim of a paid bundle activates it (again), resets its expiry to 90 days from now and mints a new macaroon carrying the calls left. While the invoice is unpaid the answer is 402: poll. Use the macaroon as `POST /api/mcp/confirm {quoteId, macaroon}` on a `forceL402` quote.",
    request_body(content = liveauth_protocol::bundle::BundleClaimRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The macaroon.", body = liveauth_protocol::bundle::BundleClaimResponse),
        (status = 400, description = "`bad_request`: no `paymentHash`, or a malformed body.", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "`missing_project_key` / `unknown_project`: no valid project key; `project_mismatch`: the bundle is another project's (hosted: 403 `bundle_project_mismatch`).", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json"),
        (status = 402, description = "`payment_required`: the invoice is not paid yet; poll.", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`bundle_not_found`: no bundle has this payment hash.", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json"),
        crate::openapi::JsonBodyRefusals,
    ),
    security(("projectKey" = [])),
)]
pub(crate) async fn claim(
    State(state): State<AppState>,
    ProjectKey(key): ProjectKey,
    ApiJson(request): ApiJson<BundleClaimRequest>,
) -> Result<Json<BundleClaimResponse>, Rejection> {
    let project = project(&state, request.public_key.as_deref(), key.as_deref())?;
    let hash = request
        .payment_hash
        .filter(|h| !h.trim().is_empty())
        .ok_or_else(|| Rejection::bad_request("paymentHash is required"))?;
    let now = state.now();
    let find = by_hash(&state, &hash);
    let bundle = state
        .bundles
        .claim(&find, &project.id, now)
        .map_err(|refused| match refused {
            ClaimRefused::NotFound => Rejection::new(
                ErrorCode::BundleNotFound,
                "Bundle not found for this payment hash",
            ),
            ClaimRefused::OtherProject => other_project(),
            ClaimRefused::Unpaid => Rejection::new(
                ErrorCode::PaymentRequired,
                "Invoice has not been paid: pay it, then claim again",
            ),
        })?;
    let claims = BundleClaims {
        kid: bundle.project_id.clone(),
        aid: bundle.agent_id.clone(),
        scopes: BUNDLE_SCOPES.map(String::from).to_vec(),
        bid: bundle.id.clone(),
        rate: i64::try_from(bundle.remaining_calls).unwrap_or(i64::MAX),
        exp: bundle.expires_at,
        iat: now,
        jti: format!("tok_{}", encode_hex(&state.rng.bytes::<6>())),
    };
    Ok(Json(BundleClaimResponse {
        macaroon: state.keys.bundle.mint(&claims),
        bundle_id: bundle.id,
        remaining_calls: bundle.remaining_calls,
        expires_at_unix: bundle.expires_at,
        scopes: claims.scopes,
    }))
}

/// Query of `GET /api/public/l402/bundle/status`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub(crate) struct StatusQuery {
    /// The bundle's id, or:
    bundle_id: Option<String>,
    /// its invoice's payment hash.
    payment_hash: Option<String>,
    /// The project key, instead of `X-LW-Public`.
    public_key: Option<String>,
}

/// `GET /api/public/l402/bundle/status`: calls used and left, expiry.
#[utoipa::path(
    get,
    path = "/api/public/l402/bundle/status",
    tag = "bundles",
    operation_id = "bundleStatus",
    summary = "Where an L402 bundle stands: calls used and left, expiry",
    params(StatusQuery),
    responses(
        (status = 200, description = "The bundle.", body = liveauth_protocol::bundle::BundleStatusResponse),
        (status = 400, description = "`bad_request`: neither `bundleId` nor `paymentHash`, or an unreadable query.", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "`missing_project_key` / `unknown_project`: no valid project key; `project_mismatch`: another project's bundle.", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`bundle_not_found`: no such bundle.", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json"),
    ),
    security(("projectKey" = [])),
)]
pub(crate) async fn status(
    State(state): State<AppState>,
    ProjectKey(key): ProjectKey,
    uri: Uri,
) -> Result<Json<BundleStatusResponse>, Rejection> {
    let Query(query) = Query::<StatusQuery>::try_from_uri(&uri)
        .map_err(|rejection| Rejection::bad_request(rejection.body_text()))?;
    let project = project(&state, query.public_key.as_deref(), key.as_deref())?;
    let find = match (&query.bundle_id, &query.payment_hash) {
        (Some(id), _) => Find::Id(id),
        (None, Some(hash)) => by_hash(&state, hash),
        (None, None) => {
            return Err(Rejection::bad_request(
                "send `bundleId` or `paymentHash` in the query",
            ));
        }
    };
    let bundle = state
        .bundles
        .get(&find)
        .ok_or_else(|| Rejection::new(ErrorCode::BundleNotFound, "Bundle not found"))?;
    if bundle.project_id != project.id {
        return Err(other_project());
    }
    let total = bundle.tier.total_calls();
    Ok(Json(BundleStatusResponse {
        bundle_id: bundle.id,
        tier: bundle.tier_sent,
        total_calls: total,
        remaining_calls: bundle.remaining_calls,
        used_calls: total.saturating_sub(bundle.remaining_calls),
        expires_at_unix: bundle.expires_at,
        is_expired: state.now() > bundle.expires_at,
        is_depleted: bundle.state == BundleState::Depleted,
    }))
}

/// A payment hash as the profile matches it: hosted only as written (facts §9.2).
fn by_hash<'a>(state: &AppState, text: &'a str) -> Find<'a> {
    Find::PaymentHash {
        text,
        exact: state.config.profile == Profile::Hosted,
    }
}

fn other_project() -> Rejection {
    Rejection::new(
        ErrorCode::ProjectMismatch,
        "bundle_project_mismatch: this bundle belongs to another project",
    )
}

/// Spends one call of the bundle `macaroon` names for a confirm of `project_id`'s quote:
/// the bundle id and the calls left. Every refusal is 402 `macaroon_invalid` with the
/// hosted reason, and spends nothing.
pub(crate) fn spend(
    state: &AppState,
    macaroon: &str,
    project_id: &str,
) -> Result<(String, u64), Rejection> {
    let refuse = |reason: String| Rejection::new(ErrorCode::MacaroonInvalid, reason);
    let now = state.now();
    let claims = state
        .keys
        .bundle
        .verify(macaroon)
        .map_err(|error| refuse(error.reason().to_owned()))?;
    claims
        .check(now)
        .map_err(|error| refuse(error.reason().to_owned()))?;
    // Stricter than the published backend (facts §2.8): a macaroon of another project
    // opens nothing here (docs/decisions.md).
    if claims.kid != project_id {
        return Err(refuse("Macaroon belongs to another project".to_owned()));
    }
    let remaining = state
        .bundles
        .spend(&claims.bid, project_id, now)
        .map_err(|refused| refuse(refused.reason()))?;
    Ok((claims.bid, remaining))
}

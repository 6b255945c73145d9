//! Quotes: start (PoW challenge or Lightning invoice), confirm, status, lnurl.

use axum::Json;
use axum::extract::State;
use liveauth_protocol::auth::Credential;
use liveauth_protocol::codec::encode_hex;
use liveauth_protocol::pow::{Submission, SubmissionError, target_from_bits};
use liveauth_protocol::problem::ErrorCode;
use liveauth_protocol::time::rfc3339_utc;
use liveauth_protocol::wire::{
    ConfirmRequest, ConfirmResponse, LegacyDemoStartResponse, LnurlResponse, PaymentStatus,
    PowChallenge, QuoteStatus, StartRequest, StartResponse, StatusResponse,
};

use crate::config::Project;
use crate::error::Rejection;
use crate::extract::{ApiJson, MaybeCredential, PathParam, ProjectKey};
use crate::hosted_errors::{NO_CONFIRMATION_METHOD, NOT_A_GUID};
use crate::payment;
use crate::ratelimit::ClientAddr;
use crate::routes::bundle;
use crate::state::{AppState, secs};
use crate::store::{Quote, QuoteKind, QuoteOrigin};

/// `POST /api/mcp/start`: for the project `X-LW-Public` names, or the anonymous demo
/// project without it. A paid L402/x402 credential yields its
/// (already paid) Lightning quote; an invalid one is answered 402 with fresh challenges.
#[utoipa::path(
    post,
    path = "/api/mcp/start",
    tag = "quotes",
    operation_id = "start",
    summary = "Start a quote for the project named by `X-LW-Public` (without it, the anonymous demo project)",
    description = "An empty body or `{}` asks for a PoW challenge, `{\"forceLightning\": true}` for a Lightning invoice. With a paid L402/x402 credential in `Authorization`, the answer is the already-paid Lightning quote it proves (confirm it next); an unpaid or invalid credential is answered 402 with fresh challenges. A `Bearer` value in `Authorization` is ignored here. Without `X-LW-Public` the quote is the anonymous demo project's (a real PoW challenge; the 1.1+ keyless mode).",
    request_body(content = liveauth_protocol::wire::StartRequest, content_type = "application/json", description = "Optional: an empty body reads as `{}`."),
    responses(
        (status = 200, description = "The new quote: `powChallenge` or `invoice` is set, the other is `null`.", body = liveauth_protocol::wire::StartResponse),
        (status = 400, description = "`bad_request`: malformed body, or `X-LW-Public` is not visible ASCII.", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unknown_project`: `X-LW-Public` names no project (an empty value is `missing_project_key`); `project_mismatch`: the credential paid for another project's quote; `token_invalid`: the `Authorization` header cannot be parsed.", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json", headers(("WWW-Authenticate" = String, description = "With the `token_*` codes: `Bearer error=\"invalid_token\", error_description=\"<code>\"` (RFC 6750)."))),
        (status = 402, description = "`credential_invalid`: the L402/x402 credential does not prove payment of a LiveAuth invoice; pay the fresh invoice and retry.", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json", headers(("WWW-Authenticate" = String, description = "Two challenges for a fresh invoice, each its own header: `L402 macaroon=\"<base64>\", invoice=\"<bolt11>\"` and `x402 invoice=\"<bolt11>\", paymentHash=\"<hex>\"`."))),
        crate::openapi::JsonBodyRefusals,
        (status = 429, description = "`rate_limited`: this client's starts and payment challenges this minute are used up.", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds until the client's minute ends."))),
        (status = 503, description = "`over_capacity`: the server holds as many quotes (or payment challenges, for a 402) as it may; nothing was stored.", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait: about when the next purge runs."))),
    ),
    security((), ("projectKey" = []), ("projectKey" = [], "l402" = []), ("projectKey" = [], "x402" = [])),
)]
pub(crate) async fn start(
    State(state): State<AppState>,
    client: ClientAddr,
    ProjectKey(key): ProjectKey,
    MaybeCredential(credential): MaybeCredential,
    ApiJson(request): ApiJson<StartRequest>,
) -> Result<Json<StartResponse>, Rejection> {
    state.limiter.check(client, state.now())?;
    // No key is the anonymous demo project (1.1+ clients; both profiles, since it is the
    // client contract, not a hosted quirk).
    let project = match key.as_deref() {
        None => state.demo_project(),
        key => state.project_for_key(key)?,
    };
    if let Some(credential) = credential.filter(|c| !matches!(c, Credential::Bearer(_))) {
        let Some(quote) = payment::redeem(&state, &credential) else {
            return Err(payment::payment_required(
                &state,
                project,
                ErrorCode::CredentialInvalid,
                "the L402/x402 credential does not prove payment of a LiveAuth invoice",
            ));
        };
        if quote.project_id != project.id {
            return Err(Rejection::new(
                ErrorCode::ProjectMismatch,
                "the credential paid for another project's quote",
            ));
        }
        return Ok(Json(start_response(&quote)));
    }
    new_quote(&state, project, request)
}

/// `POST /api/public/demo/start`: as start, for the demo project, with no key.
#[utoipa::path(
    post,
    path = "/api/public/demo/start",
    tag = "quotes",
    operation_id = "demoStart",
    summary = "Start a quote for the demo project (no key)",
    description = "As `POST /api/mcp/start`, for the demo project: 3 sats, and a demo invoice counts as paid after a short delay.",
    request_body(content = liveauth_protocol::wire::StartRequest, content_type = "application/json", description = "Optional: an empty body reads as `{}`."),
    responses(
        (status = 200, description = "The new quote: `powChallenge` or `invoice` is set, the other is `null`.", body = liveauth_protocol::wire::StartResponse),
        (status = 400, description = "`bad_request`: malformed body.", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json"),
        crate::openapi::JsonBodyRefusals,
        (status = 429, description = "`rate_limited`: this client's starts and payment challenges this minute are used up.", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds until the client's minute ends."))),
        (status = 503, description = "`over_capacity`: the server holds as many quotes as it may; nothing was stored.", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait: about when the next purge runs."))),
    ),
    security(()),
)]
pub(crate) async fn demo_start(
    State(state): State<AppState>,
    client: ClientAddr,
    ApiJson(request): ApiJson<StartRequest>,
) -> Result<Json<StartResponse>, Rejection> {
    state.limiter.check(client, state.now())?;
    new_quote(&state, state.demo_project(), request)
}

/// `POST /api/public/auth/demo/start` and `/api/public/demo/start` in the hosted profile:
/// the legacy simulated demo (facts §1.5), a demo-project Lightning session that settles
/// by itself, answered `{sessionId, invoice: <bolt11>, amountSats, fee fields,
/// expiresAtUnix, mode: "DEMO"}`.
#[utoipa::path(
    post,
    path = "/api/public/auth/demo/start",
    tag = "quotes",
    operation_id = "legacyDemoStart",
    summary = "Hosted profile only: the legacy simulated demo start (also at `/api/public/demo/start`)",
    description = "A demo-project Lightning session whose invoice settles by itself; `invoice` is the BOLT11 string. Served only by the hosted profile, which also answers `/api/public/demo/start` this way.",
    responses(
        (status = 200, description = "The demo session.", body = liveauth_protocol::wire::LegacyDemoStartResponse),
        (status = 429, description = "`rate_limited`: this client's starts and payment challenges this minute are used up.", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds until the client's minute ends."))),
        (status = 503, description = "`over_capacity`: the server holds as many quotes as it may; nothing was stored.", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait: about when the next purge runs."))),
    ),
    security(()),
)]
pub(crate) async fn legacy_demo_start(
    State(state): State<AppState>,
    client: ClientAddr,
) -> Result<Json<LegacyDemoStartResponse>, Rejection> {
    state.limiter.check(client, state.now())?;
    state.maybe_purge();
    let quote = payment::new_lightning_quote(&state, state.demo_project(), QuoteOrigin::Start)?;
    let QuoteKind::Lightning(ln) = quote.kind else {
        return Err(Rejection::new(
            ErrorCode::InternalError,
            "a Lightning quote without an invoice",
        ));
    };
    let invoice = ln.invoice;
    Ok(Json(LegacyDemoStartResponse {
        session_id: quote.id,
        invoice: invoice.bolt11,
        amount_sats: invoice.amount_sats,
        fees: invoice.fees,
        expires_at_unix: invoice.expires_at_unix,
        mode: "DEMO".to_owned(),
    }))
}

fn new_quote(
    state: &AppState,
    project: &Project,
    request: StartRequest,
) -> Result<Json<StartResponse>, Rejection> {
    state.maybe_purge();
    // `forceL402` first, as the hosted API checks it.
    let quote = if request.force_l402.unwrap_or(false) {
        new_l402_quote(state, project)?
    } else if request.force_lightning.unwrap_or(false) {
        payment::new_lightning_quote(state, project, QuoteOrigin::Start)?
    } else {
        new_pow_quote(state, project)?
    };
    Ok(Json(start_response(&quote)))
}

fn new_pow_quote(state: &AppState, project: &Project) -> Result<Quote, Rejection> {
    let now = state.now();
    let bits = state.config.difficulty_bits;
    let target = target_from_bits(bits)
        .map_err(|error| Rejection::new(ErrorCode::InternalError, error.to_string()))?;
    let id = state.rng.uuid();
    let expires_at = now.saturating_add(secs(state.config.challenge_ttl_secs));
    let mut challenge = PowChallenge {
        project_id: project.id.clone(),
        project_public_key: project.public_key.clone(),
        challenge_hex: state.config.profile.new_challenge_hex(&state.rng),
        target_hex: encode_hex(&target),
        difficulty_bits: bits,
        expires_at_unix: expires_at,
        signature: String::new(),
    };
    challenge.signature = state.keys.challenges.sign(&id, &challenge);
    let kind = QuoteKind::Pow(challenge);
    let quote = Quote::new(id, project, now, expires_at, kind, QuoteOrigin::Start);
    state.store.insert_quote(quote.clone())?;
    Ok(quote)
}

/// A quote to confirm with an L402 bundle macaroon: a pending session of the invoice
/// lifetime (10 minutes), nothing to solve or pay.
fn new_l402_quote(state: &AppState, project: &Project) -> Result<Quote, Rejection> {
    let now = state.now();
    let expires_at = now.saturating_add(secs(state.config.invoice_ttl_secs));
    let quote = Quote::new(
        state.rng.uuid(),
        project,
        now,
        expires_at,
        QuoteKind::L402Bundle,
        QuoteOrigin::Start,
    );
    state.store.insert_quote(quote.clone())?;
    Ok(quote)
}

fn start_response(quote: &Quote) -> StartResponse {
    let (pow_challenge, invoice, auth_hint) = match &quote.kind {
        QuoteKind::Pow(challenge) => (Some(challenge.clone()), None, None),
        QuoteKind::Lightning(ln) => (None, Some(ln.invoice.clone()), None),
        QuoteKind::L402Bundle => (None, None, Some(L402_BUNDLE_HINT.to_owned())),
    };
    StartResponse {
        quote_id: quote.id.clone(),
        pow_challenge,
        invoice,
        auth_hint,
    }
}

/// `authHint` of a `forceL402` quote (facts §2.3).
const L402_BUNDLE_HINT: &str = "l402_bundle";

/// `POST /api/mcp/confirm`: turns a solved or paid quote into a session, exactly once.
///
/// PoW checks, in order, each with its own code: the quote exists and belongs to the sent
/// project key; it is not confirmed; the challenge has not expired; the signature is the
/// one issued for this quote; the submitted fields equal the quote's; the hash the server
/// computes equals any `hashHex` sent; that hash is below the target. (A non-canonical
/// nonce is refused as the body is read, with `nonce_invalid`.) Failed attempts change
/// nothing.
#[utoipa::path(
    post,
    path = "/api/mcp/confirm",
    tag = "quotes",
    operation_id = "confirm",
    summary = "Exchange a solved or paid quote for a session, exactly once",
    description = "A Lightning quote needs only `quoteId`; a PoW quote needs every challenge field back, the `nonce` and the `sig`. The project comes from the quote; an `X-LW-Public` that is sent must match it. An unpaid Lightning quote is a 200 with `jwt: null` and `paymentStatus: \"pending\"`. Failed attempts change nothing.",
    request_body(content = liveauth_protocol::wire::ConfirmRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "A session (`jwt`, `refreshToken`; `paymentStatus` `null` for PoW, `\"paid\"` for Lightning), or for an unpaid invoice every token field `null` and `paymentStatus: \"pending\"`.", body = liveauth_protocol::wire::ConfirmResponse),
        (status = 400, description = "`bad_request`: malformed body, a PoW field missing, or `X-LW-Public` not visible ASCII; `nonce_invalid`: the nonce is not a canonical decimal in 0..=2^53-1.", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "`project_mismatch`: `X-LW-Public` names another project than the quote's.", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`quote_not_found`: unknown quote, or purged after expiry.", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`already_confirmed`: the quote already gave its session.", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json"),
        (status = 410, description = "`challenge_expired`: the PoW challenge expired; `quote_expired`: the invoice expired unpaid. Start a new quote.", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json"),
        crate::openapi::JsonBodyRefusals,
        (status = 422, description = "`signature_invalid`: `sig` does not verify; `challenge_mismatch`: a field differs from the issued challenge; `hash_mismatch`: `hashHex` is not the hash of the nonce; `solution_invalid`: the hash is not below the target.", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`over_capacity`: the server holds as many sessions as it may; nothing was stored.", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait: about when the next purge runs."))),
    ),
    security((), ("projectKey" = [])),
)]
pub(crate) async fn confirm(
    State(state): State<AppState>,
    ProjectKey(key): ProjectKey,
    ApiJson(request): ApiJson<ConfirmRequest>,
) -> Result<Json<ConfirmResponse>, Rejection> {
    state.maybe_purge();
    let quote = find_quote(&state, &request.quote_id)?;
    state.check_quote_key(key.as_deref(), &quote.project_id)?;
    if quote.confirmed_session.is_some() {
        return Err(already_confirmed());
    }
    let now = state.now();
    let payment_status = match &quote.kind {
        QuoteKind::Pow(challenge) => {
            check_solution(&state, &quote, challenge, &request, now)?;
            None
        }
        QuoteKind::L402Bundle => return confirm_l402(&state, &quote, &request, now).map(Json),
        QuoteKind::Lightning(ln) if ln.is_paid(now) => Some(PaymentStatus::Paid),
        QuoteKind::Lightning(_) if now >= quote.expires_at => {
            return Err(Rejection::new(
                ErrorCode::QuoteExpired,
                "the invoice expired unpaid: start a new quote",
            ));
        }
        QuoteKind::Lightning(_) => {
            let amounts = state.config.profile.pending_confirm_amounts();
            return Ok(Json(ConfirmResponse {
                jwt: None,
                expires_in: amounts,
                remaining_budget_sats: amounts,
                refresh_token: None,
                payment_status: Some(Some(PaymentStatus::Pending)),
            }));
        }
    };
    // The claim is the atomic step: of concurrent confirms exactly one sets the session.
    let session_id = state.config.profile.session_id(&quote.id, &state.rng);
    claim(&state, &quote.id, &session_id)?;
    let project = project_of(&state, &quote)?;
    let (auth_type, ttl) = match &quote.kind {
        QuoteKind::Pow(_) => ("mcp_pow", state.config.session_ttl_secs),
        // A demo payment nobody made buys a short session (docs/decisions.md).
        QuoteKind::Lightning(ln) if ln.settled_by_itself(now) => (
            "mcp_lightning",
            state
                .config
                .demo_session_ttl_secs
                .min(state.config.session_ttl_secs),
        ),
        QuoteKind::Lightning(_) => ("mcp_lightning", state.config.session_ttl_secs),
        QuoteKind::L402Bundle => ("mcp_l402", state.config.session_ttl_secs),
    };
    let opened = state.open_session(session_id, project, auth_type, ttl, None);
    if opened.is_err() {
        // Nothing was opened (a full store): the quote may be confirmed again later.
        unclaim(&state, &quote.id);
    }
    let mut response = opened?;
    response.payment_status = Some(payment_status);
    Ok(Json(response))
}

/// Confirms a `forceL402` quote with the bundle macaroon sent: one bundle call spent, a
/// session whose daily budget is the calls left (1 sat each), `paymentStatus:
/// "l402_paid"`. Any refusal spends nothing and leaves the quote unconfirmed.
fn confirm_l402(
    state: &AppState,
    quote: &Quote,
    request: &ConfirmRequest,
    now: i64,
) -> Result<ConfirmResponse, Rejection> {
    let macaroon = request
        .macaroon
        .as_deref()
        .filter(|m| !m.trim().is_empty())
        .ok_or_else(|| Rejection::bad_request(NO_CONFIRMATION_METHOD))?;
    if now >= quote.expires_at {
        return Err(Rejection::new(
            ErrorCode::QuoteExpired,
            "the quote expired unconfirmed: start a new one",
        ));
    }
    let project = project_of(state, quote)?;
    // Claim the quote first, so concurrent confirms spend one call between them.
    let session_id = state.config.profile.session_id(&quote.id, &state.rng);
    claim(state, &quote.id, &session_id)?;
    let (bundle_id, remaining) = match bundle::spend(state, macaroon, &project.id) {
        Ok(spent) => spent,
        Err(refused) => {
            unclaim(state, &quote.id);
            return Err(refused);
        }
    };
    let ttl = state.config.session_ttl_secs;
    match state.open_session(session_id, project, "mcp_l402", ttl, Some(remaining)) {
        Ok(mut response) => {
            response.payment_status = Some(Some(PaymentStatus::L402Paid));
            Ok(response)
        }
        Err(error) => {
            state.bundles.refund(&bundle_id);
            unclaim(state, &quote.id);
            Err(error)
        }
    }
}

/// Sets the quote's session: the atomic step, so of concurrent confirms exactly one
/// succeeds.
fn claim(state: &AppState, quote_id: &str, session_id: &str) -> Result<(), Rejection> {
    let mut claimed = false;
    state.store.update_quote(quote_id, &mut |stored| {
        if stored.confirmed_session.is_none() {
            stored.confirmed_session = Some(session_id.to_owned());
            claimed = true;
        }
    });
    if claimed {
        Ok(())
    } else {
        Err(already_confirmed())
    }
}

/// Undoes [`claim`] when no session could be opened: the quote may be confirmed again.
fn unclaim(state: &AppState, quote_id: &str) {
    state.store.update_quote(quote_id, &mut |stored| {
        stored.confirmed_session = None;
    });
}

fn project_of<'a>(state: &'a AppState, quote: &Quote) -> Result<&'a Project, Rejection> {
    state
        .projects
        .iter()
        .find(|p| p.id == quote.project_id)
        .ok_or_else(|| Rejection::new(ErrorCode::InternalError, "quote of an unknown project"))
}

fn already_confirmed() -> Rejection {
    Rejection::new(
        ErrorCode::AlreadyConfirmed,
        "this quote was already confirmed; each quote gives one session (use refresh, or start \
         a new quote)",
    )
}

fn find_quote(state: &AppState, id: &str) -> Result<Quote, Rejection> {
    if state.config.profile.refuses_non_guid_quote_ids() && !is_guid(id) {
        return Err(Rejection::new(ErrorCode::QuoteNotFound, NOT_A_GUID));
    }
    // A caller-funding payment's invoice is a quote that buys no session.
    let quote = state
        .store
        .quote(id)
        .filter(|quote| quote.origin != QuoteOrigin::CallerPayment);
    quote.ok_or_else(|| {
        Rejection::new(
            ErrorCode::QuoteNotFound,
            "no such quote (unknown, or purged after expiry)",
        )
    })
}

/// 8-4-4-4-12 hex digits (either case): the only form quote ids take.
fn is_guid(id: &str) -> bool {
    id.len() == 36
        && id.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

fn check_solution(
    state: &AppState,
    quote: &Quote,
    challenge: &PowChallenge,
    request: &ConfirmRequest,
    now: i64,
) -> Result<(), Rejection> {
    fn required<T>(value: Option<T>, field: &str) -> Result<T, Rejection> {
        value.ok_or_else(|| {
            Rejection::bad_request(format!(
                "field `{field}` is required to confirm a PoW quote"
            ))
        })
    }
    let challenge_hex = required(request.challenge_hex.as_deref(), "challengeHex")?;
    let nonce = required(request.nonce, "nonce")?.0;
    let expires_at_unix = required(request.expires_at_unix, "expiresAtUnix")?;
    let difficulty_bits = required(request.difficulty_bits, "difficultyBits")?;
    let sig = required(request.sig.as_deref(), "sig")?;

    if now >= challenge.expires_at_unix {
        return Err(Rejection::new(
            ErrorCode::ChallengeExpired,
            format!(
                "the challenge expired at {}: start a new quote",
                rfc3339_utc(challenge.expires_at_unix)
            ),
        ));
    }
    state
        .keys
        .challenges
        .verify(&quote.id, challenge, sig)
        .map_err(|error| Rejection::new(ErrorCode::SignatureInvalid, format!("`sig`: {error}")))?;
    let mismatched = [
        ("challengeHex", challenge_hex != challenge.challenge_hex),
        (
            "difficultyBits",
            difficulty_bits != challenge.difficulty_bits,
        ),
        (
            "expiresAtUnix",
            expires_at_unix != challenge.expires_at_unix,
        ),
    ];
    if let Some((field, _)) = mismatched.iter().find(|(_, differs)| *differs) {
        return Err(Rejection::new(
            ErrorCode::ChallengeMismatch,
            format!("`{field}` differs from the challenge issued for this quote"),
        ));
    }
    // Only the signed values count: the target is derived from the bits, never read.
    let submission = Submission {
        project_public_key: &challenge.project_public_key,
        challenge_hex: &challenge.challenge_hex,
        difficulty_bits: challenge.difficulty_bits,
        nonce,
        hash_hex: request.hash_hex.as_deref(),
    };
    let profile = state.config.profile;
    let target = target_from_bits(challenge.difficulty_bits)
        .map_err(|error| Rejection::new(ErrorCode::InternalError, error.to_string()))?;
    submission
        .check_with(&target, profile.hash_case(), profile.target_rule())
        .map(|_| ())
        .map_err(|error| {
            let (code, hint) = match error {
                // The bits were signed here, so a bad value is the mock's own fault.
                SubmissionError::Bits(_) => (ErrorCode::InternalError, ""),
                SubmissionError::Nonce(_) => (ErrorCode::NonceInvalid, ""),
                SubmissionError::HashMalformed { .. } | SubmissionError::HashMismatch { .. } => {
                    (ErrorCode::HashMismatch, "")
                }
                SubmissionError::AboveTarget { .. } => {
                    (ErrorCode::SolutionInvalid, ": keep searching")
                }
            };
            Rejection::new(code, format!("{error}{hint}"))
        })
}

/// `GET /api/mcp/status/{quoteId}`: pending → paid → confirmed, or expired.
#[utoipa::path(
    get,
    path = "/api/mcp/status/{quoteId}",
    tag = "quotes",
    operation_id = "status",
    summary = "Where a quote stands: pending, paid, confirmed or expired",
    params(("quoteId" = String, Path, description = "From the start response.")),
    responses(
        (status = 200, description = "The quote's state.", body = liveauth_protocol::wire::StatusResponse),
        (status = 400, description = "`bad_request`: the path segment cannot be read.", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`quote_not_found`: unknown quote, or purged after expiry.", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json"),
    ),
    security(()),
)]
pub(crate) async fn status(
    State(state): State<AppState>,
    ProjectKey(key): ProjectKey,
    PathParam(id): PathParam,
) -> Result<Json<StatusResponse>, Rejection> {
    let quote = find_quote(&state, &id)?;
    state.check_quote_key(key.as_deref(), &quote.project_id)?;
    let now = state.now();
    let paid = match &quote.kind {
        QuoteKind::Pow(_) | QuoteKind::L402Bundle => None,
        QuoteKind::Lightning(ln) => Some(ln.is_paid(now)),
    };
    // Hosted says only `pending` until `confirmed` (and `paymentStatus` never `expired`).
    let full = state.config.profile.reports_paid_and_expired();
    let expired = full && now >= quote.expires_at;
    let status = match (
        quote.confirmed_session.is_some(),
        paid.filter(|_| full),
        expired,
    ) {
        (true, _, _) => QuoteStatus::Confirmed,
        (false, Some(true), _) => QuoteStatus::Paid,
        (false, _, true) => QuoteStatus::Expired,
        (false, _, false) => QuoteStatus::Pending,
    };
    let payment_status = paid.map(|paid| match (paid, expired) {
        (true, _) => PaymentStatus::Paid,
        (false, true) => PaymentStatus::Expired,
        (false, false) => PaymentStatus::Pending,
    });
    Ok(Json(StatusResponse {
        quote_id: quote.id,
        status,
        payment_status,
        expires_at: state.config.profile.stored_time(quote.expires_at),
    }))
}

/// `GET /api/mcp/lnurl/{quoteId}`: LUD-06 `{pr, routes: []}`; errors in LUD-06 form.
#[utoipa::path(
    get,
    path = "/api/mcp/lnurl/{quoteId}",
    tag = "quotes",
    operation_id = "lnurl",
    summary = "The invoice of a Lightning quote, LUD-06 style",
    description = "Errors other than an unreadable path are LUD-06 bodies `{\"status\": \"ERROR\", \"reason\": \"…\"}` (no `code`), with the status shown.",
    params(("quoteId" = String, Path, description = "From the start response.")),
    responses(
        (status = 200, description = "`{pr, routes: []}`.", body = liveauth_protocol::wire::LnurlResponse),
        (status = 400, description = "`bad_request`: the path segment cannot be read (problem+json).", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`quote_not_found`: no such quote (LUD-06 error).", body = liveauth_protocol::wire::LnurlError, content_type = "application/json"),
        (status = 410, description = "`quote_expired`: the invoice expired unpaid (LUD-06 error).", body = liveauth_protocol::wire::LnurlError, content_type = "application/json"),
        (status = 422, description = "`wrong_quote_kind`: a PoW quote has no invoice (LUD-06 error).", body = liveauth_protocol::wire::LnurlError, content_type = "application/json"),
    ),
    security(()),
)]
pub(crate) async fn lnurl(
    State(state): State<AppState>,
    ProjectKey(key): ProjectKey,
    PathParam(id): PathParam,
) -> Result<Json<LnurlResponse>, Rejection> {
    if !is_guid(&id) {
        return Err(Rejection::Lnurl(
            ErrorCode::QuoteNotFound,
            NOT_A_GUID.into(),
        ));
    }
    let quote = state
        .store
        .quote(&id)
        .filter(|quote| quote.origin != QuoteOrigin::CallerPayment)
        .ok_or_else(|| Rejection::Lnurl(ErrorCode::QuoteNotFound, "no such quote".into()))?;
    if let Err(mismatch) = state.check_quote_key(key.as_deref(), &quote.project_id) {
        return Err(Rejection::Lnurl(mismatch.code(), mismatch.to_string()));
    }
    match quote.kind {
        QuoteKind::Lightning(ln) => {
            if state.now() >= quote.expires_at && !ln.is_paid(state.now()) {
                return Err(Rejection::Lnurl(
                    ErrorCode::QuoteExpired,
                    "the invoice expired: start a new quote".into(),
                ));
            }
            Ok(Json(LnurlResponse {
                pr: ln.invoice.bolt11,
                routes: Vec::new(),
            }))
        }
        QuoteKind::Pow(_) => Err(Rejection::Lnurl(
            ErrorCode::WrongQuoteKind,
            "this quote is a PoW challenge and has no invoice".into(),
        )),
        QuoteKind::L402Bundle => Err(Rejection::Lnurl(
            ErrorCode::WrongQuoteKind,
            "this quote is confirmed with an L402 bundle macaroon and has no invoice".into(),
        )),
    }
}

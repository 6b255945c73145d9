//! How the hosted profile words every refusal: one table from the handler's
//! [`Rejection`] (its [`ErrorCode`] and detail) and the route to the hosted status and
//! body (facts §2.1, §2.4, §2.6, §9.3, §9.4).
//!
//! Handlers keep returning the one error type; [`Rejection`]'s `IntoResponse` leaves its
//! code and detail on the response, and [`render`] (a middleware) replaces the strict
//! problem+json with the hosted form. The hosted API speaks in four forms: plain-text
//! bodies from the MCP controller, ASP.NET problem+json for bare 404/401 and body
//! validation, and `{error, error_description}` from the key middleware.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use liveauth_protocol::problem::ErrorCode;
use serde_json::json;

use crate::profile::Profile;
use crate::state::{RETIRED_TOKEN, SESSION_ENDED};

/// The code and detail of a refusal, left on its response for [`render`].
#[derive(Debug, Clone)]
pub(crate) struct Refused {
    pub code: ErrorCode,
    pub detail: String,
}

/// The detail of a quote id that is not a GUID (hosted: 400 `Invalid quoteId`).
pub(crate) const NOT_A_GUID: &str = "quoteId is not a GUID, so no quote has it";
/// The detail of a confirm that names no way to confirm its quote (an L402 quote without
/// a macaroon; hosted: 400 `No valid confirmation method provided`).
pub(crate) const NO_CONFIRMATION_METHOD: &str =
    "this quote is confirmed with an L402 bundle macaroon: send `macaroon`";
/// The detail of a `callCostSats` below 1 in hosted.
pub(crate) const COST_NOT_POSITIVE: &str = "CallCostSats must be positive";

/// The endpoint a refusal came from, as far as the wording depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Start,
    Confirm,
    Quote,
    Lnurl,
    Charge,
    Usage,
    Refresh,
    /// `/api/public/l402/bundle/*`: the L402 controller's `{error, message}` bodies.
    Bundle,
    Other,
}

impl Route {
    fn of(path: &str) -> Self {
        match path {
            "/api/mcp/start" => Self::Start,
            "/api/mcp/confirm" => Self::Confirm,
            "/api/mcp/charge" => Self::Charge,
            "/api/mcp/usage" => Self::Usage,
            "/api/mcp/refresh" => Self::Refresh,
            p if p.starts_with("/api/mcp/status/") => Self::Quote,
            p if p.starts_with("/api/mcp/lnurl/") => Self::Lnurl,
            p if p.starts_with("/api/public/l402/bundle/") => Self::Bundle,
            _ => Self::Other,
        }
    }
}

/// A hosted error body.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Hosted {
    /// `text/plain` from the MCP controller.
    Text(StatusCode, &'static str),
    /// ASP.NET's problem+json for a bare status code.
    Bare(StatusCode),
    /// ASP.NET's validation problem+json: `errors: {field: [message]}`.
    Validation(StatusCode, &'static str, String),
    /// The key middleware's `{error, error_description}`.
    Key(&'static str, &'static str),
    /// The L402 controller's and the macaroon branch's JSON: `{error, message?}`.
    L402(StatusCode, String, Option<String>),
}

/// The one table: what the hosted API answers for this refusal on this route.
fn hosted(route: Route, code: ErrorCode, detail: &str) -> Hosted {
    use ErrorCode as C;
    use StatusCode as S;
    let token_route = matches!(route, Route::Charge | Route::Usage);
    if route == Route::Bundle {
        return bundle_route(code, detail);
    }
    match code {
        C::MacaroonInvalid => Hosted::L402(
            S::PAYMENT_REQUIRED,
            "Payment required".into(),
            Some(detail.to_owned()),
        ),
        C::BadRequest if detail == NO_CONFIRMATION_METHOD => {
            Hosted::Text(S::BAD_REQUEST, "No valid confirmation method provided")
        }
        C::QuoteNotFound if detail == NOT_A_GUID => Hosted::Text(S::BAD_REQUEST, "Invalid quoteId"),
        C::QuoteNotFound | C::ProjectMismatch
            if matches!(route, Route::Confirm | Route::Quote | Route::Lnurl) =>
        {
            Hosted::Bare(S::NOT_FOUND)
        }
        C::AlreadyConfirmed => Hosted::Text(S::BAD_REQUEST, "Session not pending"),
        C::QuoteExpired => Hosted::Text(S::BAD_REQUEST, "Session expired"),
        C::ChallengeMismatch => Hosted::Text(S::BAD_REQUEST, "Challenge mismatch"),
        C::ChallengeExpired => Hosted::Text(S::BAD_REQUEST, "Challenge expired"),
        C::SignatureInvalid => Hosted::Text(S::UNAUTHORIZED, "Invalid signature"),
        C::HashMismatch => Hosted::Text(S::UNAUTHORIZED, "Hash mismatch"),
        C::SolutionInvalid => Hosted::Text(S::UNAUTHORIZED, "Difficulty not met"),
        C::WrongQuoteKind => Hosted::Text(S::BAD_REQUEST, "No Lightning invoice for this session"),
        C::BadRequest if route == Route::Confirm => confirm_bad_request(detail),
        C::BadRequest if route == Route::Refresh => Hosted::Validation(
            S::BAD_REQUEST,
            "RefreshToken",
            "The RefreshToken field is required.".into(),
        ),
        C::IdempotencyKeyTooLong => Hosted::Validation(
            S::BAD_REQUEST,
            "IdempotencyKey",
            "The field IdempotencyKey must be a string with a maximum length of 200.".into(),
        ),
        C::BadRequest if detail == COST_NOT_POSITIVE => {
            Hosted::Validation(S::BAD_REQUEST, "CallCostSats", COST_NOT_POSITIVE.into())
        }
        // ASP.NET's model binding refuses a body that is not an object as 400.
        C::BadRequest | C::NonceInvalid | C::BodyNotObject => {
            Hosted::Validation(S::BAD_REQUEST, "$", detail.to_owned())
        }
        C::InvalidGrant => Hosted::Text(S::UNAUTHORIZED, "Invalid refresh token"),
        C::TokenInvalid if detail == RETIRED_TOKEN && route == Route::Usage => {
            Hosted::Text(S::NOT_FOUND, "No active session found")
        }
        C::TokenInvalid if detail == RETIRED_TOKEN && token_route => {
            Hosted::Text(S::UNAUTHORIZED, "Unknown token")
        }
        C::TokenInvalid if detail == SESSION_ENDED && route == Route::Usage => {
            Hosted::Text(S::NOT_FOUND, "No active session found")
        }
        C::TokenInvalid if detail == SESSION_ENDED && token_route => {
            Hosted::Text(S::UNAUTHORIZED, "Token expired")
        }
        // An absent, unreadable or expired bearer token leaves no claims (facts §2.2).
        C::TokenMissing | C::TokenInvalid | C::TokenExpired if token_route => {
            Hosted::Text(S::UNAUTHORIZED, "Missing projectId/jti")
        }
        C::MissingProjectKey => Hosted::Key("missing_api_key", "Missing public API key header."),
        C::UnknownProject => Hosted::Key("invalid_api_key", "Invalid public API key."),
        C::UnsupportedMediaType => Hosted::Bare(S::UNSUPPORTED_MEDIA_TYPE),
        C::NotFound => Hosted::Bare(S::NOT_FOUND),
        C::MethodNotAllowed => Hosted::Bare(S::METHOD_NOT_ALLOWED),
        other => {
            Hosted::Bare(StatusCode::from_u16(other.default_status()).unwrap_or(S::BAD_REQUEST))
        }
    }
}

/// The bundle endpoints' answers (facts §2.7).
fn bundle_route(code: ErrorCode, detail: &str) -> Hosted {
    use ErrorCode as C;
    use StatusCode as S;
    match code {
        C::MissingProjectKey | C::UnknownProject => Hosted::L402(
            S::UNAUTHORIZED,
            "invalid_public_key".into(),
            Some("A valid active project public key is required.".into()),
        ),
        C::ProjectMismatch => Hosted::L402(S::FORBIDDEN, "bundle_project_mismatch".into(), None),
        C::PaymentRequired => Hosted::L402(
            S::PAYMENT_REQUIRED,
            "Payment not yet received".into(),
            Some("Invoice has not been paid".into()),
        ),
        C::BundleNotFound => Hosted::L402(S::NOT_FOUND, detail.to_owned(), None),
        C::BadRequest => Hosted::L402(S::BAD_REQUEST, detail.to_owned(), None),
        other => hosted(Route::Other, other, detail),
    }
}

/// A confirm body the mock refuses as malformed: which hosted check that is (facts §2.4
/// and §9.3).
fn confirm_bad_request(detail: &str) -> Hosted {
    let field = detail
        .split('`')
        .nth(1)
        .filter(|_| detail.contains("is required to confirm a PoW quote"));
    match field {
        Some("difficultyBits" | "expiresAtUnix" | "sig") => {
            Hosted::Text(StatusCode::BAD_REQUEST, "Missing PoW signed fields")
        }
        Some("nonce" | "hashHex") => Hosted::Text(StatusCode::BAD_REQUEST, "Missing PoW solution"),
        Some(_) => Hosted::Text(
            StatusCode::BAD_REQUEST,
            "No valid confirmation method provided",
        ),
        None if detail.contains("quoteId") => Hosted::Validation(
            StatusCode::BAD_REQUEST,
            "QuoteId",
            "The QuoteId field is required.".into(),
        ),
        None => Hosted::Validation(StatusCode::BAD_REQUEST, "$", detail.to_owned()),
    }
}

/// RFC 9110 section of a status, as ASP.NET names it in `type`.
fn rfc9110_section(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "15.5.1",
        401 => "15.5.2",
        404 => "15.5.5",
        405 => "15.5.6",
        415 => "15.5.16",
        421 => "15.5.20",
        503 => "15.6.4",
        _ => "15.6.1",
    }
}

fn into_response(answer: Hosted) -> Response {
    let (status, content_type, body) = match answer {
        Hosted::Text(status, text) => (status, "text/plain; charset=utf-8", text.to_owned()),
        Hosted::Bare(status) => (
            status,
            "application/problem+json; charset=utf-8",
            json!({
                "type": format!("https://tools.ietf.org/html/rfc9110#section-{}", rfc9110_section(status)),
                "title": status.canonical_reason().unwrap_or("Error"),
                "status": status.as_u16(),
            })
            .to_string(),
        ),
        Hosted::Validation(status, field, message) => (
            status,
            "application/problem+json; charset=utf-8",
            json!({
                "type": format!("https://tools.ietf.org/html/rfc9110#section-{}", rfc9110_section(status)),
                "title": "One or more validation errors occurred.",
                "status": status.as_u16(),
                "errors": { field: [message] },
            })
            .to_string(),
        ),
        Hosted::Key(error, description) => (
            StatusCode::UNAUTHORIZED,
            "application/json; charset=utf-8",
            json!({"error": error, "error_description": description}).to_string(),
        ),
        Hosted::L402(status, error, message) => {
            let body = match message {
                Some(message) => json!({"error": error, "message": message}),
                None => json!({"error": error}),
            };
            (status, "application/json; charset=utf-8", body.to_string())
        }
    };
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// Middleware: in the hosted profile, re-renders every refusal in the hosted form.
pub(crate) async fn render(
    State(profile): State<Profile>,
    request: Request,
    next: Next,
) -> Response {
    let route = Route::of(request.uri().path());
    let response = next.run(request).await;
    if profile != Profile::Hosted {
        return response;
    }
    let Some(refused) = response.extensions().get::<Refused>() else {
        return response;
    };
    let mut hosted = into_response(hosted(route, refused.code, &refused.detail));
    // When to come back is no wording: it stays.
    if let Some(retry_after) = response.headers().get(header::RETRY_AFTER) {
        hosted
            .headers_mut()
            .insert(header::RETRY_AFTER, retry_after.clone());
    }
    hosted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pow_checks_word_as_the_hosted_controller() {
        let text = |code, detail: &str| hosted(Route::Confirm, code, detail);
        assert_eq!(
            text(ErrorCode::SolutionInvalid, ""),
            Hosted::Text(StatusCode::UNAUTHORIZED, "Difficulty not met")
        );
        assert_eq!(
            text(
                ErrorCode::BadRequest,
                "field `sig` is required to confirm a PoW quote"
            ),
            Hosted::Text(StatusCode::BAD_REQUEST, "Missing PoW signed fields")
        );
        assert_eq!(
            text(
                ErrorCode::BadRequest,
                "field `nonce` is required to confirm a PoW quote"
            ),
            Hosted::Text(StatusCode::BAD_REQUEST, "Missing PoW solution")
        );
        assert_eq!(
            text(
                ErrorCode::BadRequest,
                "field `challengeHex` is required to confirm a PoW quote"
            ),
            Hosted::Text(
                StatusCode::BAD_REQUEST,
                "No valid confirmation method provided"
            )
        );
    }
}

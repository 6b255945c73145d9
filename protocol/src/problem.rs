//! Errors on the wire: RFC 9457 problem documents and the stable error codes.
//!
//! The mock API answers every error with [`Problem`]: `type, title, status,
//! detail, code` per RFC 9457, plus `error` (= code) and `error_description`
//! (= detail), the form existing LiveAuth clients read. Clients use
//! [`parse_error_body`], which also reads the hosted API's, LUD-06 and
//! arbitrary non-JSON bodies without failing.
//!
//! Status codes: project-key problems are 401; expired quotes and challenges
//! are 410 Gone (the quote cannot become valid again: start a new one);
//! well-formed proofs that fail verification are 422; a repeated
//! `Idempotency-Key` with a different body is 422, following
//! draft-ietf-httpapi-idempotency-key-header; a JSON body that is not an object
//! is 422 (well-formed, but not a request); an unpaid or invalid L402/x402
//! credential is 402, because the answer carries fresh payment challenges; a
//! `Host` the server does not serve is 421 Misdirected Request.
//! A metered resource refused by the budget is 429 (`budget_exceeded`, `rate_limited`);
//! the charge endpoint itself answers a deny as 200, as the seed does.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Media type of a [`Problem`] body.
pub const CONTENT_TYPE: &str = "application/problem+json";

/// Prefix of every problem `type` URI; the code follows it.
pub const TYPE_BASE: &str = "https://liveauth.app/problems/";

/// Longest `detail` [`parse_error_body`] returns, in chars.
pub const MAX_EXCERPT_CHARS: usize = 200;

/// Stable, machine-readable error codes (`snake_case` on the wire).
///
/// Tests and agents match on these, so a code's meaning never changes;
/// new codes may be added.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request body or parameters are malformed.
    BadRequest,
    /// The request body is JSON but not an object (`[]`, `1`, `"x"`, `null`).
    BodyNotObject,
    /// `X-LW-Public` is missing where the endpoint needs it.
    MissingProjectKey,
    /// `X-LW-Public` names no known project.
    UnknownProject,
    /// The sent project key does not match the quote's or token's project.
    ProjectMismatch,
    /// No quote with that id.
    QuoteNotFound,
    /// The quote expired before it was confirmed.
    QuoteExpired,
    /// The PoW challenge's `expiresAtUnix` has passed.
    ChallengeExpired,
    /// The challenge signature does not verify.
    SignatureInvalid,
    /// The submitted challenge fields differ from the quote's challenge.
    ChallengeMismatch,
    /// The nonce is not a canonical decimal in 0..=2^53-1.
    NonceInvalid,
    /// The submitted `hashHex` is not the hash of the submitted nonce.
    HashMismatch,
    /// The hash does not meet the target.
    SolutionInvalid,
    /// The quote was already exchanged for a token.
    AlreadyConfirmed,
    /// A PoW operation on a Lightning quote, or the reverse.
    WrongQuoteKind,
    /// No bearer token where one is required.
    TokenMissing,
    /// The bearer token does not verify.
    TokenInvalid,
    /// The bearer token's `exp` has passed.
    TokenExpired,
    /// The refresh token is unknown, superseded or revoked (RFC 6749 §5.2).
    InvalidGrant,
    /// Payment is needed; the response carries L402/x402 challenges.
    PaymentRequired,
    /// An L402/x402 credential is malformed, unpaid or for another invoice.
    CredentialInvalid,
    /// An `Idempotency-Key` was reused with a different request.
    IdempotencyConflict,
    /// An idempotency key is longer than the 200 characters the API keeps.
    IdempotencyKeyTooLong,
    /// A metered resource was refused: the session's daily sats budget is spent.
    BudgetExceeded,
    /// A metered resource was refused: too many calls this minute.
    RateLimited,
    /// The request body exceeds the size limit.
    PayloadTooLarge,
    /// The request body is not `application/json`.
    UnsupportedMediaType,
    /// No such route or resource.
    NotFound,
    /// The route exists but not for this method.
    MethodNotAllowed,
    /// The `Host` is not an address this server serves (the DNS-rebinding defence).
    HostNotAllowed,
    /// The request took too long to arrive or to process.
    RequestTimeout,
    /// The server holds as many records (quotes, challenges, sessions, idempotency
    /// keys) as it may; retry after `Retry-After` seconds.
    OverCapacity,
    /// A bug or unexpected failure on the server.
    InternalError,
    /// An L402 bundle macaroon that is malformed, forged, expired, depleted or not the
    /// quote's project's; nothing was consumed.
    MacaroonInvalid,
    /// No L402 bundle has this id or payment hash.
    BundleNotFound,
    /// No caller-funding payment of this caller has this id (another caller's payment
    /// is not found either).
    PaymentNotFound,
}

impl ErrorCode {
    /// Every code, for tests and documentation.
    pub const ALL: &'static [ErrorCode] = &[
        Self::BadRequest,
        Self::BodyNotObject,
        Self::MissingProjectKey,
        Self::UnknownProject,
        Self::ProjectMismatch,
        Self::QuoteNotFound,
        Self::QuoteExpired,
        Self::ChallengeExpired,
        Self::SignatureInvalid,
        Self::ChallengeMismatch,
        Self::NonceInvalid,
        Self::HashMismatch,
        Self::SolutionInvalid,
        Self::AlreadyConfirmed,
        Self::WrongQuoteKind,
        Self::TokenMissing,
        Self::TokenInvalid,
        Self::TokenExpired,
        Self::InvalidGrant,
        Self::PaymentRequired,
        Self::CredentialInvalid,
        Self::IdempotencyConflict,
        Self::IdempotencyKeyTooLong,
        Self::BudgetExceeded,
        Self::RateLimited,
        Self::PayloadTooLarge,
        Self::UnsupportedMediaType,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::HostNotAllowed,
        Self::RequestTimeout,
        Self::OverCapacity,
        Self::InternalError,
        Self::MacaroonInvalid,
        Self::BundleNotFound,
        Self::PaymentNotFound,
    ];

    /// The wire spelling, e.g. `"quote_not_found"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::BadRequest => "bad_request",
            Self::BodyNotObject => "body_not_object",
            Self::MissingProjectKey => "missing_project_key",
            Self::UnknownProject => "unknown_project",
            Self::ProjectMismatch => "project_mismatch",
            Self::QuoteNotFound => "quote_not_found",
            Self::QuoteExpired => "quote_expired",
            Self::ChallengeExpired => "challenge_expired",
            Self::SignatureInvalid => "signature_invalid",
            Self::ChallengeMismatch => "challenge_mismatch",
            Self::NonceInvalid => "nonce_invalid",
            Self::HashMismatch => "hash_mismatch",
            Self::SolutionInvalid => "solution_invalid",
            Self::AlreadyConfirmed => "already_confirmed",
            Self::WrongQuoteKind => "wrong_quote_kind",
            Self::TokenMissing => "token_missing",
            Self::TokenInvalid => "token_invalid",
            Self::TokenExpired => "token_expired",
            Self::InvalidGrant => "invalid_grant",
            Self::PaymentRequired => "payment_required",
            Self::CredentialInvalid => "credential_invalid",
            Self::IdempotencyConflict => "idempotency_conflict",
            Self::IdempotencyKeyTooLong => "idempotency_key_too_long",
            Self::BudgetExceeded => "budget_exceeded",
            Self::RateLimited => "rate_limited",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::HostNotAllowed => "host_not_allowed",
            Self::RequestTimeout => "request_timeout",
            Self::OverCapacity => "over_capacity",
            Self::InternalError => "internal_error",
            Self::MacaroonInvalid => "macaroon_invalid",
            Self::BundleNotFound => "bundle_not_found",
            Self::PaymentNotFound => "payment_not_found",
        }
    }

    /// The HTTP status an endpoint answers with unless it has reason to differ.
    pub const fn default_status(self) -> u16 {
        match self {
            Self::BadRequest | Self::NonceInvalid | Self::InvalidGrant => 400,
            Self::MissingProjectKey
            | Self::UnknownProject
            | Self::ProjectMismatch
            | Self::TokenMissing
            | Self::TokenInvalid
            | Self::TokenExpired => 401,
            Self::PaymentRequired | Self::CredentialInvalid | Self::MacaroonInvalid => 402,
            Self::QuoteNotFound | Self::NotFound | Self::BundleNotFound | Self::PaymentNotFound => {
                404
            }
            Self::MethodNotAllowed => 405,
            Self::RequestTimeout => 408,
            Self::HostNotAllowed => 421,
            Self::AlreadyConfirmed => 409,
            Self::QuoteExpired | Self::ChallengeExpired => 410,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::SignatureInvalid
            | Self::ChallengeMismatch
            | Self::HashMismatch
            | Self::SolutionInvalid
            | Self::WrongQuoteKind
            | Self::IdempotencyConflict
            | Self::BodyNotObject
            | Self::IdempotencyKeyTooLong => 422,
            Self::BudgetExceeded | Self::RateLimited => 429,
            Self::InternalError => 500,
            Self::OverCapacity => 503,
        }
    }

    /// A short human title, constant per code (RFC 9457 `title`).
    pub const fn title(self) -> &'static str {
        match self {
            Self::BadRequest => "Bad request",
            Self::BodyNotObject => "Body is not a JSON object",
            Self::MissingProjectKey => "Missing project key",
            Self::UnknownProject => "Unknown project",
            Self::ProjectMismatch => "Project mismatch",
            Self::QuoteNotFound => "Quote not found",
            Self::QuoteExpired => "Quote expired",
            Self::ChallengeExpired => "Challenge expired",
            Self::SignatureInvalid => "Invalid challenge signature",
            Self::ChallengeMismatch => "Challenge mismatch",
            Self::NonceInvalid => "Invalid nonce",
            Self::HashMismatch => "Hash mismatch",
            Self::SolutionInvalid => "Solution does not meet target",
            Self::AlreadyConfirmed => "Quote already confirmed",
            Self::WrongQuoteKind => "Wrong quote kind",
            Self::TokenMissing => "Access token missing",
            Self::TokenInvalid => "Access token invalid",
            Self::TokenExpired => "Access token expired",
            Self::InvalidGrant => "Invalid refresh token",
            Self::PaymentRequired => "Payment required",
            Self::CredentialInvalid => "Invalid payment credential",
            Self::IdempotencyConflict => "Idempotency key conflict",
            Self::IdempotencyKeyTooLong => "Idempotency key too long",
            Self::BudgetExceeded => "Budget exceeded",
            Self::RateLimited => "Rate limited",
            Self::PayloadTooLarge => "Payload too large",
            Self::UnsupportedMediaType => "Unsupported media type",
            Self::NotFound => "Not found",
            Self::MethodNotAllowed => "Method not allowed",
            Self::HostNotAllowed => "Host not allowed",
            Self::RequestTimeout => "Request timeout",
            Self::OverCapacity => "Over capacity",
            Self::InternalError => "Internal error",
            Self::MacaroonInvalid => "Invalid bundle macaroon",
            Self::BundleNotFound => "Bundle not found",
            Self::PaymentNotFound => "Payment not found",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The string is not a known [`ErrorCode`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown error code {0:?}")]
pub struct UnknownErrorCode(pub String);

impl FromStr for ErrorCode {
    type Err = UnknownErrorCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownErrorCode(s.to_owned()))
    }
}

/// An RFC 9457 problem document, the body of every error the mock API sends.
///
/// Build it with [`Problem::new`] so `type`, `title`, `error` and
/// `error_description` stay consistent with `code` and `detail`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    /// `https://liveauth.app/problems/<code>`.
    #[serde(rename = "type")]
    pub type_uri: String,
    /// [`ErrorCode::title`].
    pub title: String,
    /// The HTTP status of the response.
    pub status: u16,
    /// What went wrong in this occurrence, for a human or an agent.
    pub detail: String,
    /// The stable code.
    pub code: ErrorCode,
    /// Same as `code`, for clients that read `{error, error_description}`.
    pub error: String,
    /// Same as `detail`, for the same clients.
    pub error_description: String,
}

impl Problem {
    /// A problem with the code's default status and title.
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        Self {
            type_uri: format!("{TYPE_BASE}{code}"),
            title: code.title().to_owned(),
            status: code.default_status(),
            error: code.as_str().to_owned(),
            error_description: detail.clone(),
            detail,
            code,
        }
    }

    /// The same problem answered with another status, for endpoints whose
    /// situation differs from the code's default.
    #[must_use]
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.detail)
    }
}

impl std::error::Error for Problem {}

/// What a client could learn from an error response body, whatever its form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiErrorBody {
    /// A machine-readable code (`code` or `error`), if the body had one.
    pub code: Option<String>,
    /// A human-readable explanation, trimmed and at most
    /// [`MAX_EXCERPT_CHARS`] chars; `None` if the body had nothing readable.
    pub detail: Option<String>,
}

/// Reads an error response body without ever failing.
///
/// Understands, in this order of preference: problem+json (`code`,
/// `detail`), the hosted API's `{error, error_description}`, a nested
/// `{error: {code, message}}`, LUD-06 `{status: "ERROR", reason}`, and
/// `{message}`. Anything else (HTML, plain text, unknown JSON) yields no
/// code and an excerpt of the text with markup tags removed; empty or
/// binary bodies yield no detail.
pub fn parse_error_body(bytes: &[u8]) -> ApiErrorBody {
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(serde_json::Value::Object(map)) => {
            let from_json = from_json_object(&map);
            if from_json.code.is_some() || from_json.detail.is_some() {
                return from_json;
            }
        }
        Ok(serde_json::Value::String(s)) => {
            return ApiErrorBody {
                code: None,
                detail: excerpt(&s, false),
            };
        }
        _ => {}
    }
    let detail = std::str::from_utf8(bytes)
        .ok()
        .filter(|s| !s.contains('\0'))
        .and_then(|s| excerpt(s, true));
    ApiErrorBody { code: None, detail }
}

fn from_json_object(map: &serde_json::Map<String, serde_json::Value>) -> ApiErrorBody {
    let text = |m: &serde_json::Map<String, serde_json::Value>, key: &str| {
        m.get(key)
            .and_then(serde_json::Value::as_str)
            .and_then(|s| excerpt(s, false))
    };
    // Some APIs nest the error: `{"error": {"code": "...", "message": "..."}}`.
    if let Some(serde_json::Value::Object(inner)) = map.get("error") {
        return ApiErrorBody {
            code: text(inner, "code").or_else(|| text(inner, "type")),
            detail: text(inner, "message").or_else(|| text(inner, "detail")),
        };
    }
    let code = text(map, "code").or_else(|| text(map, "error"));
    let detail = ["detail", "error_description", "reason", "message", "title"]
        .iter()
        .find_map(|key| text(map, key));
    ApiErrorBody { code, detail }
}

/// Trims, collapses whitespace, drops control characters (and, for
/// markup, tags) and caps the result at [`MAX_EXCERPT_CHARS`] chars, ending
/// in `…` when cut. `None` if nothing readable remains.
fn excerpt(text: &str, strip_tags: bool) -> Option<String> {
    let mut out = String::new();
    let mut count = 0usize;
    let mut in_tag = false;
    let mut pending_space = false;
    for c in text.chars() {
        if strip_tags && c == '<' {
            // A tag separates words: `<p>a</p><p>b</p>` reads "a b".
            in_tag = true;
            pending_space = true;
        } else if in_tag {
            in_tag = c != '>';
        } else if c.is_whitespace() {
            pending_space = true;
        } else if !c.is_control() {
            if pending_space && count > 0 {
                out.push(' ');
                count += 1;
            }
            pending_space = false;
            out.push(c);
            count += 1;
        }
        // One char past the cap is enough to know the text was cut.
        if count > MAX_EXCERPT_CHARS {
            break;
        }
    }
    if count > MAX_EXCERPT_CHARS {
        let cut = out
            .char_indices()
            .nth(MAX_EXCERPT_CHARS - 1)
            .map_or(out.len(), |(i, _)| i);
        out.truncate(cut);
        out.truncate(out.trim_end().len());
        out.push('…');
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_str_and_serde() {
        for &code in ErrorCode::ALL {
            assert_eq!(code.as_str().parse::<ErrorCode>(), Ok(code));
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                serde_json::Value::String(code.as_str().to_owned())
            );
            assert!((400..600).contains(&code.default_status()));
            assert!(!code.title().is_empty());
        }
        assert!("nope".parse::<ErrorCode>().is_err());
    }

    /// `ALL` holds every variant once, so the round trip above covers every code.
    #[test]
    fn all_holds_every_code_once() {
        use ErrorCode::*;
        // Exhaustive on purpose: a new variant does not compile until it is counted here,
        // and the count then fails until `ALL` lists it.
        const VARIANTS: usize = 36;
        let _: fn(ErrorCode) = |code| match code {
            BadRequest
            | BodyNotObject
            | MissingProjectKey
            | UnknownProject
            | ProjectMismatch
            | QuoteNotFound
            | QuoteExpired
            | ChallengeExpired
            | SignatureInvalid
            | ChallengeMismatch
            | NonceInvalid
            | HashMismatch
            | SolutionInvalid
            | AlreadyConfirmed
            | WrongQuoteKind
            | TokenMissing
            | TokenInvalid
            | TokenExpired
            | InvalidGrant
            | PaymentRequired
            | CredentialInvalid
            | IdempotencyConflict
            | IdempotencyKeyTooLong
            | BudgetExceeded
            | RateLimited
            | PayloadTooLarge
            | UnsupportedMediaType
            | NotFound
            | MethodNotAllowed
            | HostNotAllowed
            | RequestTimeout
            | OverCapacity
            | InternalError
            | MacaroonInvalid
            | BundleNotFound
            | PaymentNotFound => {}
        };
        let distinct: std::collections::HashSet<_> = ErrorCode::ALL.iter().collect();
        assert_eq!(
            distinct.len(),
            ErrorCode::ALL.len(),
            "a code is listed twice"
        );
        assert_eq!(ErrorCode::ALL.len(), VARIANTS);
    }

    #[test]
    fn excerpt_caps_on_char_boundary() {
        let long = "é".repeat(1000);
        let e = excerpt(&long, false).unwrap();
        assert_eq!(e.chars().count(), MAX_EXCERPT_CHARS);
        assert!(e.ends_with('…'));
        let exact = "a".repeat(MAX_EXCERPT_CHARS);
        assert_eq!(excerpt(&exact, false).unwrap(), exact);
    }

    #[test]
    fn excerpt_collapses_and_strips() {
        assert_eq!(
            excerpt("  <h1>Oops</h1>\n\n<p>try  again</p> ", true).as_deref(),
            Some("Oops try again")
        );
        assert_eq!(excerpt(" \n\t ", false), None);
        assert_eq!(excerpt("a\u{7}b", false).as_deref(), Some("ab"));
    }
}

//! What an agent should do about a failed API call: one sentence naming the tool to call,
//! and the invoices a 402 offers. This is MCP advice, so it lives with the tools, not in
//! the HTTP client.
//!
//! Advice is keyed on the parsed [`ErrorCode`]; a code this server does not know (another
//! API's, or one added later) falls back to advice by HTTP status.

use liveauth_protocol::auth::Challenge;
use liveauth_protocol::problem::ErrorCode;

use crate::api::ApiError;

/// A quote that already gave its session (strict `already_confirmed`, hosted `Session not
/// pending`).
const USED_QUOTE: &str = "the quote is used; you are already authenticated (liveauth_mcp_usage) \
                          or must start a new quote with liveauth_mcp_start";

/// What an AI agent should do about `error`, as one sentence naming the tool.
pub fn next_step(error: &ApiError) -> &'static str {
    match error {
        ApiError::Transport { .. } => {
            "check that the LiveAuth API at LIVEAUTH_API_BASE is reachable (and that \
             LIVEAUTH_API_BASE is right), then retry"
        }
        ApiError::Decode { .. } => {
            "the API answered in an unexpected format: check that LIVEAUTH_API_BASE points \
             at a LiveAuth API"
        }
        ApiError::InvalidInput { .. } => "fix the argument and call the tool again",
        ApiError::Api { status, code, .. } => error
            .error_code()
            .and_then(for_code)
            .or_else(|| {
                // The hosted API mostly answers in plain text, without a code: its text
                // (or an `error` that is a sentence) says what happened.
                let text = [error.detail(), code.as_deref()];
                text.into_iter()
                    .flatten()
                    .find_map(|t| for_text(*status, t))
            })
            .unwrap_or_else(|| for_status(*status)),
    }
}

/// Advice for the hosted API's texts (facts §2.4–§2.6, §9), matched case-insensitively on
/// the status and the start of the text; `None` for a text this server does not know.
fn for_text(status: u16, text: &str) -> Option<&'static str> {
    let text = text.trim().to_ascii_lowercase();
    let starts = |prefix: &str| text.starts_with(prefix);
    Some(match status {
        400 | 401 | 403
            if starts("hash mismatch")
                || starts("difficulty not met")
                || starts("missing pow solution") =>
        {
            "solve the challenge with liveauth_mcp_solve, then confirm with only the quoteId"
        }
        400 | 401
            if starts("invalid signature")
                || starts("challenge mismatch")
                || starts("missing pow signed fields") =>
        {
            "pass the challenge fields exactly as liveauth_mcp_start returned them, or confirm \
             with only the quoteId and let this server fill them in"
        }
        400 | 410 if starts("challenge expired") || starts("session expired") => {
            "start a new quote with liveauth_mcp_start"
        }
        400 | 409 if starts("session not pending") => USED_QUOTE,
        400 if starts("invalid quoteid") || starts("the quoteid field is required") => {
            "pass the quoteId (a GUID) exactly as liveauth_mcp_start returned it"
        }
        400 if starts("no lightning invoice") => {
            "this quote is a PoW challenge: solve it with liveauth_mcp_solve, or start a \
             Lightning quote with liveauth_mcp_start and forceLightning: true"
        }
        400 if starts("no valid confirmation method") => {
            "solve the PoW challenge with liveauth_mcp_solve, or pay the Lightning invoice, \
             then confirm"
        }
        400 if starts("callcostsats must be positive") => "pass callCostSats of at least 1",
        401 | 404
            if starts("unknown token")
                || starts("token expired")
                || starts("missing projectid/jti")
                || starts("invalid projectid")
                || starts("no active session") =>
        {
            "the access token is no longer valid (a refresh retires the previous one): call \
             liveauth_mcp_refresh, or liveauth_mcp_authenticate for a new session"
        }
        400 | 401 if starts("invalid refresh token") || starts("refresh token required") => {
            "the refresh token is not valid: call liveauth_mcp_authenticate to start a new \
             session"
        }
        // The bundle branch of confirm: `{error: "Payment required", message}` (§2.8).
        402 if text.contains("macaroon") || starts("bundle") => MACAROON_STEP,
        404 if starts("unknown mcp tool") => "check the tool name: the API knows no such tool",
        _ => return None,
    })
}

/// Advice for a known code; `None` where the status says more (e.g. `internal_error`).
fn for_code(code: ErrorCode) -> Option<&'static str> {
    use ErrorCode as C;
    Some(match code {
        C::TokenExpired => {
            "the access token expired: call liveauth_mcp_refresh (the server also refreshes \
             by itself)"
        }
        C::TokenInvalid | C::TokenMissing | C::InvalidGrant => {
            "call liveauth_mcp_authenticate to start a new session"
        }
        C::ChallengeExpired | C::QuoteExpired => "start a new quote with liveauth_mcp_start",
        C::QuoteNotFound => {
            "check the quoteId; if it is right, the quote is gone: start a new quote with \
             liveauth_mcp_start"
        }
        C::AlreadyConfirmed => USED_QUOTE,
        C::SolutionInvalid | C::HashMismatch | C::NonceInvalid => {
            "solve the challenge with liveauth_mcp_solve"
        }
        C::SignatureInvalid | C::ChallengeMismatch => {
            "pass the challenge fields exactly as liveauth_mcp_start returned them, or solve \
             with liveauth_mcp_solve"
        }
        C::WrongQuoteKind => {
            "this quote is a PoW challenge: solve it with liveauth_mcp_solve, or start a \
             Lightning quote with liveauth_mcp_start and forceLightning: true"
        }
        C::MissingProjectKey | C::UnknownProject | C::ProjectMismatch => "check LIVEAUTH_API_KEY",
        C::IdempotencyConflict => "use a new idempotency key for a different charge",
        C::IdempotencyKeyTooLong => "use an idempotency key of at most 200 characters",
        C::OverCapacity => "the API holds all it may for now: wait a minute and call again",
        C::BudgetExceeded | C::RateLimited => {
            "stop: the session's budget or rate limit is reached; wait before calling again"
        }
        C::PaymentRequired | C::CredentialInvalid => PAYMENT_STEP,
        C::MacaroonInvalid | C::BundleNotFound => MACAROON_STEP,
        C::BadRequest | C::PayloadTooLarge | C::UnsupportedMediaType => {
            "check the arguments against the tool's input schema and call it again"
        }
        C::NotFound | C::MethodNotAllowed => {
            "the API does not offer this endpoint: check LIVEAUTH_API_BASE"
        }
        // `request_timeout`, `internal_error` and codes added later: the status decides.
        _ => return None,
    })
}

const MACAROON_STEP: &str = "the API refused the bundle macaroon (forged, expired, spent, \
                             or of another project) and spent nothing: buy a bundle with \
                             liveauth_mcp_l402_bundle, or authenticate another way";

const PAYMENT_STEP: &str = "the API wants an L402/x402 payment credential, which this server \
                            does not send; authenticate with liveauth_mcp_authenticate \
                            (forceLightning=true pays a checked invoice)";

fn for_status(status: u16) -> &'static str {
    match status {
        300..=399 => "the API redirects elsewhere: set LIVEAUTH_API_BASE to the final URL",
        401 | 403 => {
            "check LIVEAUTH_API_KEY, or start a new session with liveauth_mcp_authenticate"
        }
        402 => PAYMENT_STEP,
        404 => {
            "check the quoteId (a quote of another project is 404 too: use the quoteId \
             liveauth_mcp_start returned with the same LIVEAUTH_API_KEY) and \
             LIVEAUTH_API_BASE, or start a new quote with liveauth_mcp_start"
        }
        408 | 429 => "wait a moment and retry",
        410 => "start a new quote with liveauth_mcp_start",
        500..=599 => "the API failed; retry later",
        _ => "check the arguments and call the tool again",
    }
}

/// What a 402's `WWW-Authenticate` challenges ask to be paid, so the agent sees it. The
/// invoices are not quoted to this server, so they are described, never recommended.
pub(super) fn offered_invoices(error: &ApiError) -> String {
    let ApiError::Api {
        status: 402,
        www_authenticate,
        ..
    } = error
    else {
        return String::new();
    };
    let mut invoices: Vec<String> = www_authenticate
        .iter()
        .filter_map(|value| match Challenge::parse(value).ok()? {
            Challenge::L402 { invoice, .. } | Challenge::X402 { invoice, .. } => Some(invoice),
        })
        .collect();
    invoices.dedup();
    if invoices.is_empty() {
        return String::new();
    }
    let described: Vec<String> = invoices
        .iter()
        .map(|invoice| {
            let amount = invoice
                .parse::<lightning_invoice::Bolt11Invoice>()
                .ok()
                .and_then(|parsed| parsed.amount_milli_satoshis())
                .map_or_else(
                    || "amount unreadable".to_owned(),
                    |msat| format!("{} sats", msat / 1000),
                );
            format!("{invoice} ({amount})")
        })
        .collect();
    format!(
        " The API's payment challenge offers invoice {}.",
        described.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api_error(status: u16, code: Option<&str>) -> ApiError {
        ApiError::Api {
            status,
            code: code.map(str::to_owned),
            detail: None,
            www_authenticate: Vec::new(),
        }
    }

    #[test]
    fn advice_by_code_then_by_status() {
        assert_eq!(
            next_step(&api_error(410, Some("challenge_expired"))),
            "start a new quote with liveauth_mcp_start"
        );
        assert_eq!(
            next_step(&api_error(503, None)),
            "the API failed; retry later"
        );
        assert!(next_step(&api_error(402, None)).contains("does not send"));
        // A code this server does not know, and one it leaves to the status.
        assert_eq!(
            next_step(&api_error(429, Some("slow_down"))),
            "wait a moment and retry"
        );
        assert_eq!(
            next_step(&api_error(500, Some("internal_error"))),
            "the API failed; retry later"
        );
    }
}

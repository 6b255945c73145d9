//! The API's one error type, [`Rejection`]: every way the mock turns a request down
//! (refusals and its own failures alike), as sent to the client. `IntoResponse` turns
//! each into its wire form in a single match: RFC 9457 problem+json (which also carries
//! `error`/`error_description` for existing clients), with the `WWW-Authenticate` headers
//! that 401 and 402 answers need.
//!
//! (Not to be confused with the MCP server's `ApiError`, which is a client's view of such
//! an answer.)

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use liveauth_protocol::problem::{self, ErrorCode, Problem};
use liveauth_protocol::wire::LnurlError;

use crate::hosted_errors::Refused;
use crate::limits::Full;

/// Seconds a client refused by a full store waits: about when the next purge runs.
pub(crate) const FULL_RETRY_AFTER_SECS: u64 = 60;

impl From<Full> for Rejection {
    /// A full store is 503 `over_capacity` with `Retry-After` (nothing was stored).
    fn from(full: Full) -> Self {
        match full {
            Full::Unstorable => Self::new(ErrorCode::InternalError, full.to_string()),
            Full::Project(_) | Full::Total(_) => Self::Busy {
                code: ErrorCode::OverCapacity,
                detail: format!("{full}: retry in {FULL_RETRY_AFTER_SECS} s"),
                retry_after: FULL_RETRY_AFTER_SECS,
            },
        }
    }
}

/// An error answer of the API; handlers return it, extractors reject with it.
#[derive(Debug)]
pub enum Rejection {
    /// A plain problem with the code's default status.
    Problem(ErrorCode, String),
    /// 401 on a protected endpoint: adds `WWW-Authenticate: Bearer error="invalid_token"`
    /// (RFC 6750) so generic OAuth clients know to refresh.
    Token(ErrorCode, String),
    /// 402 with fresh L402 and x402 challenges (`WWW-Authenticate` values).
    PaymentRequired {
        code: ErrorCode,
        detail: String,
        challenges: Vec<String>,
    },
    /// LUD-06 endpoints answer `{status: "ERROR", reason}` (with a 4xx status).
    Lnurl(ErrorCode, String),
    /// 429 or 503: try again in `retry_after` seconds (`Retry-After`).
    Busy {
        code: ErrorCode,
        detail: String,
        retry_after: u64,
    },
}

impl Rejection {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self::Problem(code, detail.into())
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, detail)
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Problem(code, _)
            | Self::Token(code, _)
            | Self::PaymentRequired { code, .. }
            | Self::Busy { code, .. }
            | Self::Lnurl(code, _) => *code,
        }
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Problem(code, detail)
            | Self::Token(code, detail)
            | Self::PaymentRequired { code, detail, .. }
            | Self::Busy { code, detail, .. }
            | Self::Lnurl(code, detail) => write!(f, "{code}: {detail}"),
        }
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let code = self.code();
        let status = StatusCode::from_u16(code.default_status()).unwrap_or(StatusCode::BAD_REQUEST);
        if status.is_server_error() {
            tracing::error!(%code, "request failed: {self}");
        } else {
            tracing::debug!(%code, "request refused: {self}");
        }
        let mut retry_after = None;
        let (detail, headers) = match self {
            Self::Problem(_, detail) => (detail, Vec::new()),
            Self::Busy {
                detail,
                retry_after: secs,
                ..
            } => {
                retry_after = Some(secs);
                (detail, Vec::new())
            }
            Self::Token(_, detail) => {
                let value = format!("Bearer error=\"invalid_token\", error_description=\"{code}\"");
                (detail, vec![value])
            }
            Self::PaymentRequired {
                detail, challenges, ..
            } => (detail, challenges),
            Self::Lnurl(_, reason) => {
                let mut response =
                    (status, axum::Json(LnurlError::new(reason.clone()))).into_response();
                response.extensions_mut().insert(Refused {
                    code,
                    detail: reason,
                });
                return response;
            }
        };
        let body = serde_json::to_vec(&Problem::new(code, detail.clone())).unwrap_or_default();
        let mut response = (status, body).into_response();
        // For the hosted profile's wording (crate::hosted_errors::render).
        response.extensions_mut().insert(Refused { code, detail });
        let response_headers = response.headers_mut();
        response_headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(problem::CONTENT_TYPE),
        );
        for value in headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                response_headers.append(header::WWW_AUTHENTICATE, value);
            }
        }
        if let Some(secs) = retry_after {
            response_headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

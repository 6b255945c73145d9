//! An immediate 413 for a body announced larger than the app takes.
//!
//! Body limits that count bytes as they are read (axum's `DefaultBodyLimit`, rmcp's
//! `max_request_body_bytes`) first ask for the body, which makes hyper answer
//! `Expect: 100-continue` with `100 Continue` and then wait for bytes that may never come.
//! [`refuse_oversized`] looks at `Content-Length` before anything reads the body, so the
//! client gets its 413 at once and no `100 Continue`. Chunked bodies have no length to
//! look at: the counting limits still bound them.

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;

/// The largest body an app takes, and how it words the refusal.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit {
    max_bytes: u64,
    refusal: fn() -> Response,
}

impl BodyLimit {
    /// Bodies above `max_bytes` are answered `refusal()` (which should be a 413).
    pub fn new(max_bytes: usize, refusal: fn() -> Response) -> Self {
        Self {
            max_bytes: u64::try_from(max_bytes).unwrap_or(u64::MAX),
            refusal,
        }
    }
}

/// Middleware (`axum::middleware::from_fn_with_state(limit, refuse_oversized)`): a request
/// whose `Content-Length` is above the limit is refused unread.
pub async fn refuse_oversized(
    State(limit): State<BodyLimit>,
    request: Request,
    next: Next,
) -> Response {
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    match announced {
        Some(length) if length > limit.max_bytes => (limit.refusal)(),
        _ => next.run(request).await,
    }
}

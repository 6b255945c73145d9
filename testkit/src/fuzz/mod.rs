//! The fuzz harnesses that drive an app, as plain functions over bytes: the targets in
//! `fuzz/` and the stable mirrors in `tests/` call them. They panic only when a property
//! is violated.
//!
//! - [`api_script`]: scripts of HTTP requests against a fresh seeded mock (target
//!   `api_request`).
//! - [`pow_confirm`]: the mock's acceptance of a PoW confirm against an independent
//!   recomputation (target `pow_verify`).
//! - [`tool_call`]: the MCP tools under arbitrary arguments, through a real client and
//!   server in front of the mock (target `tool_call`).
//!
//! The parser properties (nonce, challenge signature, PoW rule, L402 headers, macaroons)
//! live beside their parsers, in `liveauth_protocol::fuzzing` and
//! `liveauth_protocol::l402::fuzzing`.

pub mod api_script;
pub mod pow_confirm;
pub mod tool_call;
mod vars;

pub use api_script::api_request;
pub use pow_confirm::pow_confirm;
pub use tool_call::tool_call;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use tower::ServiceExt as _;

thread_local! {
    /// One current-thread runtime per fuzzing thread, built once (the app harnesses need
    /// no socket, so nothing outlives a call).
    static RUNTIME: Option<tokio::runtime::Runtime> = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok();
}

/// Runs `future` on this thread's runtime.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    RUNTIME.with(|runtime| match runtime {
        Some(runtime) => runtime.block_on(future),
        None => panic!("fuzzing harness: cannot build a tokio runtime"),
    })
}

/// A response, read whole.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

/// Sends `request` to `app` without a socket.
async fn send(app: &Router, request: Request<Body>) -> Answer {
    let response = match app.clone().oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    let (parts, body) = response.into_parts();
    let body = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes.to_vec(),
        Err(error) => panic!("reading a response body failed: {error}"),
    };
    Answer {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

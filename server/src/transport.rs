//! Serving the tools: over stdio (one agent), or Streamable HTTP at `/mcp` behind
//! [`crate::http_access`]'s rules, served by `liveauth_serve` (timeouts, a connection cap,
//! bounded heads, an immediate 413).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse as _, Response};
use rmcp::ServiceExt as _;
use rmcp::service::ServerInitializeError;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio_util::sync::CancellationToken;

use crate::api::ApiClient;
use crate::http_access::{AccessError, HttpAccess};
use crate::session::AgentSession;
use crate::solve::SolveLimit;
use crate::stdio::StdioLimits;
use crate::tools::LiveAuthServer;

/// Why serving failed.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Boxed: rmcp's error is large, and the others are small.
    #[error("no MCP session on stdio (the client must send `initialize` first)")]
    NoSession(#[source] Box<ServerInitializeError>),
    #[error("the MCP service stopped abnormally")]
    Stopped(#[from] tokio::task::JoinError),
    #[error("cannot listen on {addr}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("serving HTTP failed")]
    Http(#[source] std::io::Error),
    #[error(transparent)]
    Access(#[from] AccessError),
}

/// Serves one agent, whose state is `session`, on stdin/stdout until the client closes
/// the stream.
pub async fn serve_stdio(
    api: ApiClient,
    session: AgentSession,
    solves: SolveLimit,
) -> Result<(), ServeError> {
    let service = LiveAuthServer::with_session(api, session)
        .with_solve_limit(solves)
        .serve(crate::stdio::stdio(StdioLimits::default()))
        .await
        .map_err(|error| ServeError::NoSession(Box::new(error)))?;
    service.waiting().await?;
    Ok(())
}

/// Largest MCP message accepted over HTTP, in bytes (413 above; rmcp's own default is
/// 4 MiB). A tool call's arguments are small; the largest, a fetch body, fits.
pub const MAX_HTTP_BODY_BYTES: usize = 1024 * 1024;

/// The `/mcp` router of a server on `served`: every request needs `access`'s bearer
/// token, a `Host` naming the server (DNS rebinding) and, from a browser, an `Origin` of
/// it; sessions are capped and expire when idle. All agents share `solves`. Requests
/// without an MCP session use `shared` (the durable session); each MCP session has its
/// own, in memory.
pub fn http_router(
    api: ApiClient,
    shared: AgentSession,
    solves: SolveLimit,
    access: &HttpAccess,
    served: SocketAddr,
    shutdown: CancellationToken,
) -> axum::Router {
    let config = access.configure(
        served,
        StreamableHttpServerConfig::default()
            .with_legacy_session_mode(true)
            .with_max_request_body_bytes(MAX_HTTP_BODY_BYTES)
            .with_cancellation_token(shutdown),
    );
    let service = StreamableHttpService::new(
        move || {
            Ok(
                LiveAuthServer::with_shared_session(api.clone(), shared.clone())
                    .with_solve_limit(solves.clone()),
            )
        },
        Arc::new(access.sessions()),
        config,
    );
    axum::Router::new()
        .nest_service("/mcp", service)
        .layer(axum::middleware::from_fn_with_state(
            access.clone(),
            crate::http_access::guard,
        ))
}

/// Serves Streamable HTTP on `addr` within `limits` until `shutdown` is cancelled;
/// `addr` must be loopback unless `access` allows remote clients.
pub async fn serve_http(
    api: ApiClient,
    shared: AgentSession,
    solves: SolveLimit,
    access: &HttpAccess,
    addr: SocketAddr,
    limits: liveauth_serve::Limits,
    shutdown: CancellationToken,
) -> Result<(), ServeError> {
    access.check_bind(addr)?;
    let bind = |source| ServeError::Bind { addr, source };
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(bind)?;
    let local = listener.local_addr().map_err(bind)?;
    tracing::info!("MCP over Streamable HTTP at http://{local}/mcp");
    // Outermost, so an announced oversized body is refused before anything reads it.
    let body_limit = liveauth_serve::BodyLimit::new(MAX_HTTP_BODY_BYTES, payload_too_large);
    let router = http_router(api, shared, solves, access, local, shutdown.clone()).layer(
        axum::middleware::from_fn_with_state(body_limit, liveauth_serve::refuse_oversized),
    );
    liveauth_serve::serve(listener, router, limits, async move {
        shutdown.cancelled_owned().await;
    })
    .await
    .map_err(ServeError::Http)
}

/// The 413 of an announced body above [`MAX_HTTP_BODY_BYTES`], worded as rmcp words its own.
fn payload_too_large() -> Response {
    let text = format!("Payload Too Large: request body exceeds {MAX_HTTP_BODY_BYTES} bytes");
    (StatusCode::PAYLOAD_TOO_LARGE, text).into_response()
}

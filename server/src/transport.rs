//! Serving the tools: over stdio (one agent), or Streamable HTTP at `/mcp`.

use std::net::SocketAddr;
use std::sync::Arc;

use rmcp::ServiceExt as _;
use rmcp::service::ServerInitializeError;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio_util::sync::CancellationToken;

use crate::api::ApiClient;
use crate::session::AgentSession;
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
}

/// Serves one agent, whose state is `session`, on stdin/stdout until the client closes
/// the stream.
pub async fn serve_stdio(api: ApiClient, session: AgentSession) -> Result<(), ServeError> {
    let service = LiveAuthServer::with_session(api, session)
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|error| ServeError::NoSession(Box::new(error)))?;
    service.waiting().await?;
    Ok(())
}

/// The `/mcp` router. Only loopback `Host`s are accepted (rmcp's default), which keeps a
/// local server safe from DNS rebinding. Requests without an MCP session use `shared`
/// (the durable session); each MCP session has its own, in memory.
pub fn http_router(
    api: ApiClient,
    shared: AgentSession,
    shutdown: CancellationToken,
) -> axum::Router {
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(true)
        .with_cancellation_token(shutdown);
    let service = StreamableHttpService::new(
        move || {
            Ok(LiveAuthServer::with_shared_session(
                api.clone(),
                shared.clone(),
            ))
        },
        Arc::new(LocalSessionManager::default()),
        config,
    );
    axum::Router::new().nest_service("/mcp", service)
}

/// Serves Streamable HTTP on `addr` until `shutdown` is cancelled.
pub async fn serve_http(
    api: ApiClient,
    shared: AgentSession,
    addr: SocketAddr,
    shutdown: CancellationToken,
) -> Result<(), ServeError> {
    let bind = |source| ServeError::Bind { addr, source };
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(bind)?;
    let local = listener.local_addr().map_err(bind)?;
    tracing::info!("MCP over Streamable HTTP at http://{local}/mcp");
    let router = http_router(api, shared, shutdown.clone());
    axum::serve(listener, router)
        .with_graceful_shutdown(async move { shutdown.cancelled_owned().await })
        .await
        .map_err(ServeError::Http)
}

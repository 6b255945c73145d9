//! Who may use `liveauth-mcp --http`, and how much of it: the served address (loopback
//! unless allowed otherwise), a bearer token on every request, the `Host` and `Origin` a
//! request may carry, and the MCP sessions it may hold open.
//!
//! Any local process, and any web page by DNS rebinding, can reach a loopback port; the
//! agent's JWT and refresh token are one `liveauth_mcp_refresh` away. So: the token (a
//! page cannot know it), `Host` checked against the served names (rebinding), `Origin`
//! checked when a browser sends one (the MCP spec's MUST), and sessions capped and expired
//! when idle, so opening them cannot exhaust memory.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use futures_util::Stream;
use rmcp::model::ClientJsonRpcMessage;
use rmcp::transport::common::server_side_http::{ServerSseMessage, SessionId};
use rmcp::transport::streamable_http_server::StreamableHttpServerConfig;
use rmcp::transport::streamable_http_server::session::SessionManager;
use rmcp::transport::streamable_http_server::session::local::{
    LocalSessionManager, LocalSessionManagerError,
};
use subtle::ConstantTimeEq as _;

/// The environment variable that sets the bearer token.
pub const TOKEN_ENV: &str = "LIVEAUTH_HTTP_TOKEN";

/// Default cap on open MCP sessions (~57 KiB each).
pub const DEFAULT_MAX_SESSIONS: usize = 64;

/// Default idle time after which a session is closed and its memory freed.
pub const DEFAULT_SESSION_IDLE: Duration = Duration::from_secs(300);

/// Seconds a client is told to wait when every session is taken.
const RETRY_AFTER_SECS: u32 = 5;

/// The access rules of one HTTP server.
#[derive(Clone)]
pub struct HttpAccess {
    token: Arc<str>,
    /// Serve on an address that is not loopback (`--http-allow-remote`).
    pub allow_remote: bool,
    /// `Host` names accepted besides the loopback ones (`--http-allow-host`).
    pub extra_hosts: Vec<String>,
    pub max_sessions: usize,
    pub session_idle: Duration,
}

impl std::fmt::Debug for HttpAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpAccess")
            .field("token", &crate::redact::mask_secret(&self.token))
            .field("allow_remote", &self.allow_remote)
            .field("extra_hosts", &self.extra_hosts)
            .field("max_sessions", &self.max_sessions)
            .field("session_idle", &self.session_idle)
            .finish()
    }
}

/// Why the HTTP server will not start.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error(
        "--http {0}: not a loopback address; anyone who can reach it could use this \
         server's tokens. Serve on 127.0.0.1 or [::1], or pass --http-allow-remote"
    )]
    Remote(SocketAddr),
}

impl HttpAccess {
    /// Rules with `token`, or a fresh random one (`generated` is then true).
    pub fn new(token: Option<String>) -> (Self, bool) {
        let given = token.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
        let generated = given.is_none();
        let token = given.unwrap_or_else(random_token);
        let access = Self {
            token: token.into(),
            allow_remote: false,
            extra_hosts: Vec::new(),
            max_sessions: DEFAULT_MAX_SESSIONS,
            session_idle: DEFAULT_SESSION_IDLE,
        };
        (access, generated)
    }

    /// The token clients must send as `Authorization: Bearer <token>`.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Refuses a non-loopback address unless remote serving is allowed.
    pub fn check_bind(&self, addr: SocketAddr) -> Result<(), AccessError> {
        if addr.ip().is_loopback() || self.allow_remote {
            Ok(())
        } else {
            Err(AccessError::Remote(addr))
        }
    }

    /// rmcp's `Host` and `Origin` checks for a server on `served`: the loopback names and
    /// the extra hosts, at the served port; an `Origin`, when present, must be one of them.
    pub(crate) fn configure(
        &self,
        served: SocketAddr,
        config: StreamableHttpServerConfig,
    ) -> StreamableHttpServerConfig {
        let port = served.port();
        let mut names: Vec<String> = ["localhost", "127.0.0.1", "[::1]"]
            .into_iter()
            .map(str::to_owned)
            .chain(self.extra_hosts.iter().cloned())
            .collect();
        if self.allow_remote && !served.ip().is_unspecified() {
            names.push(match served {
                SocketAddr::V4(v4) => v4.ip().to_string(),
                SocketAddr::V6(v6) => format!("[{}]", v6.ip()),
            });
        }
        let hosts: Vec<String> = names.iter().map(|name| format!("{name}:{port}")).collect();
        let origins: Vec<String> = names
            .iter()
            .map(|name| format!("http://{name}:{port}"))
            .collect();
        config
            .with_allowed_hosts(hosts)
            .with_allowed_origins(origins)
            .enforce_origin_validation()
    }

    /// The session manager: at most `max_sessions`, each closed after `session_idle`.
    pub(crate) fn sessions(&self) -> CappedSessions {
        let mut inner = LocalSessionManager::default();
        inner.session_config.keep_alive = Some(self.session_idle);
        CappedSessions {
            inner,
            max: self.max_sessions,
            creating: tokio::sync::Mutex::new(()),
        }
    }
}

/// 32 bytes from the operating system's CSPRNG, as hex.
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    liveauth_protocol::codec::encode_hex(&bytes)
}

/// The middleware in front of `/mcp`: a request without the bearer token is 401; one the
/// session cap refused is 503 with `Retry-After` (rmcp would answer 500).
pub(crate) async fn guard(
    State(access): State<HttpAccess>,
    request: Request,
    next: Next,
) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim);
    let authorized =
        presented.is_some_and(|token| bool::from(token.as_bytes().ct_eq(access.token.as_bytes())));
    if !authorized {
        let mut response = (
            StatusCode::UNAUTHORIZED,
            "Unauthorized: send Authorization: Bearer <token> (the token liveauth-mcp printed \
             at start, or LIVEAUTH_HTTP_TOKEN)",
        )
            .into_response();
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return response;
    }
    let refused = Arc::new(AtomicBool::new(false));
    let response = SESSIONS_FULL
        .scope(refused.clone(), next.run(request))
        .await;
    if !refused.load(Ordering::Acquire) {
        return response;
    }
    let mut response = (
        StatusCode::SERVICE_UNAVAILABLE,
        axum::Json(serde_json::json!({
            "jsonrpc": "2.0",
            "error": {"code": -32000, "message": format!(
                "every MCP session is taken (at most {}); close one (DELETE /mcp) or retry \
                 after {RETRY_AFTER_SECS} s", access.max_sessions)},
        })),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
    response
}

tokio::task_local! {
    /// Set by [`CappedSessions`] when it refuses a session, for [`guard`] to answer 503.
    static SESSIONS_FULL: Arc<AtomicBool>;
}

/// rmcp's in-memory session manager with a cap on open sessions. rmcp removes a session
/// when it closes (DELETE, or idle for `keep_alive`), which frees its slot.
#[derive(Debug)]
pub(crate) struct CappedSessions {
    inner: LocalSessionManager,
    max: usize,
    /// Serializes creation, so the count checked is the count created against.
    creating: tokio::sync::Mutex<()>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum SessionsError {
    #[error("every MCP session is taken (at most {0})")]
    Full(usize),
    #[error(transparent)]
    Local(#[from] LocalSessionManagerError),
}

impl SessionManager for CappedSessions {
    type Error = SessionsError;
    type Transport = <LocalSessionManager as SessionManager>::Transport;

    async fn create_session(&self) -> Result<(SessionId, Self::Transport), Self::Error> {
        let _creating = self.creating.lock().await;
        if self.inner.sessions.read().await.len() >= self.max {
            let _ = SESSIONS_FULL.try_with(|full| full.store(true, Ordering::Release));
            return Err(SessionsError::Full(self.max));
        }
        Ok(self.inner.create_session().await?)
    }

    async fn initialize_session(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<rmcp::model::ServerJsonRpcMessage, Self::Error> {
        Ok(self.inner.initialize_session(id, message).await?)
    }

    async fn has_session(&self, id: &SessionId) -> Result<bool, Self::Error> {
        Ok(self.inner.has_session(id).await?)
    }

    async fn close_session(&self, id: &SessionId) -> Result<(), Self::Error> {
        Ok(self.inner.close_session(id).await?)
    }

    async fn create_stream(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        Ok(self.inner.create_stream(id, message).await?)
    }

    async fn accept_message(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<(), Self::Error> {
        Ok(self.inner.accept_message(id, message).await?)
    }

    async fn create_standalone_stream(
        &self,
        id: &SessionId,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        Ok(self.inner.create_standalone_stream(id).await?)
    }

    async fn resume(
        &self,
        id: &SessionId,
        last_event_id: String,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        Ok(self.inner.resume(id, last_event_id).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_given_token_is_kept_and_a_missing_one_generated() {
        let (given, generated) = HttpAccess::new(Some(" secret-token ".into()));
        assert_eq!((given.token(), generated), ("secret-token", false));
        let (first, generated) = HttpAccess::new(Some(String::new()));
        let (second, _) = HttpAccess::new(None);
        assert!(generated);
        assert_eq!(first.token().len(), 64);
        assert_ne!(first.token(), second.token());
        assert!(!format!("{first:?}").contains(first.token()));
    }

    #[test]
    fn only_loopback_unless_allowed() {
        let (mut access, _) = HttpAccess::new(None);
        assert!(access.check_bind("127.0.0.1:1".parse().unwrap()).is_ok());
        assert!(access.check_bind("[::1]:1".parse().unwrap()).is_ok());
        assert!(access.check_bind("0.0.0.0:1".parse().unwrap()).is_err());
        access.allow_remote = true;
        assert!(access.check_bind("0.0.0.0:1".parse().unwrap()).is_ok());
    }
}

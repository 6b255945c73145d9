//! The token protocol of charge, usage and refresh: use the stored access token while it
//! is fresh, refresh it when stale, and when the API refuses it refresh once and retry
//! once. A refresh replaces the stored access token at once (the API retires the previous
//! one) and keeps the refresh token unless the answer carries a new one (the hosted API
//! does not rotate it).
//!
//! Refreshes of one agent are serialized by the store's refresh lock, across processes
//! sharing the state file too. Two refreshes racing with one refresh token would present
//! a superseded token, which revokes the whole token family; so a caller that waited for
//! the lock first reads the tokens again and checks whether another already replaced the
//! one it used.

use std::future::Future;

use liveauth_protocol::problem::ErrorCode;
use liveauth_protocol::wire::RefreshResponse;

use super::{Caller, ToolError};
use crate::api::ApiError;
use crate::session::Tokens;

impl Caller {
    /// Refreshes with `token` (default: the stored one) and stores the rotated tokens.
    pub(super) async fn refresh(
        &self,
        token: Option<String>,
    ) -> Result<RefreshResponse, ToolError> {
        let mut lock = self.session.lock_tokens().await?;
        let token = match token {
            Some(token) => token,
            None => lock
                .tokens()?
                .and_then(|tokens| tokens.refresh_token)
                .ok_or(ToolError::NotAuthenticated)?,
        };
        let (response, tokens) = self.refresh_call(token).await?;
        lock.commit(Some(&tokens))?;
        Ok(response)
    }

    /// Runs `call` with a fresh JWT; on a 401 refreshes once and retries.
    pub(super) async fn with_token<T, F, Fut>(&self, call: F) -> Result<T, ToolError>
    where
        F: Fn(String) -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        let jwt = self.fresh_jwt().await?;
        match call(jwt.clone()).await {
            Err(error) if token_refused(&error) => {
                // Status and code only: an API's detail text is not ours to log.
                tracing::info!(code = error.code(), "access token refused; refreshing once");
                let jwt = self.refresh_stored(&jwt).await?;
                Ok(call(jwt).await?)
            }
            other => Ok(other?),
        }
    }

    /// The refresh request (made while the caller holds the lock), and the tokens to
    /// store from its answer.
    async fn refresh_call(&self, token: String) -> Result<(RefreshResponse, Tokens), ToolError> {
        let response = self.api.refresh(&token).await?;
        tracing::info!("access token refreshed");
        // An API that does not rotate (hosted) sends no new refresh token: the one just
        // used stays the session's, even when the agent passed it and none was stored.
        let tokens = Tokens::new(
            response.jwt.clone(),
            response.expires_in,
            response.refresh_token.clone().or(Some(token)),
            self.clock.now_unix(),
        );
        Ok((response, tokens))
    }

    /// A JWT that is not about to expire: the stored one, or a refreshed one.
    async fn fresh_jwt(&self) -> Result<String, ToolError> {
        let tokens = self.session.tokens()?.ok_or(ToolError::NotAuthenticated)?;
        if !tokens.is_stale(self.clock.now_unix()) {
            return Ok(tokens.jwt);
        }
        self.refresh_stored(&tokens.jwt).await
    }

    /// Replaces `used_jwt`, unless another call (of this process, or of another process
    /// on the same state file) already did while this one waited for the lock.
    async fn refresh_stored(&self, used_jwt: &str) -> Result<String, ToolError> {
        let mut lock = self.session.lock_tokens().await?;
        let tokens = lock.tokens()?.ok_or(ToolError::NotAuthenticated)?;
        if tokens.jwt != used_jwt && !tokens.is_stale(self.clock.now_unix()) {
            return Ok(tokens.jwt);
        }
        let token = tokens.refresh_token.ok_or(ToolError::NotAuthenticated)?;
        match self.refresh_call(token).await {
            Ok((response, tokens)) => {
                lock.commit(Some(&tokens))?;
                Ok(response.jwt)
            }
            Err(ToolError::Api(error)) if refresh_refused(&error) => {
                // The session is over; say so rather than retrying a dead token forever.
                lock.commit(None)?;
                Err(ToolError::Api(error))
            }
            Err(error) => Err(error),
        }
    }
}

/// Whether the API refused the access token: any 401 (ours `token_expired`, the hosted
/// `Unknown token`, `Token expired`, `Missing projectId/jti`), and the hosted usage
/// endpoint's 404 `No active session found` for a token whose session row moved on.
fn token_refused(error: &ApiError) -> bool {
    match error.status() {
        Some(401) => true,
        Some(404) => error
            .detail()
            .is_some_and(|d| d.to_ascii_lowercase().starts_with("no active session")),
        _ => false,
    }
}

/// Whether a refresh was refused for good: `invalid_grant`, or the hosted plain-text 401
/// `Invalid refresh token`.
fn refresh_refused(error: &ApiError) -> bool {
    error.error_code() == Some(ErrorCode::InvalidGrant) || error.status() == Some(401)
}

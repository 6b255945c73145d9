//! Refresh: trade the current refresh token for a new access token and a new refresh
//! token. Rotation on every use; a superseded token revokes its family.

use axum::Json;
use axum::extract::State;
use liveauth_protocol::problem::ErrorCode;
use liveauth_protocol::wire::{RefreshRequest, RefreshResponse};

use crate::error::Rejection;
use crate::extract::{ApiJson, ProjectKey};
use crate::state::{AppState, refresh_hash};

/// `POST /api/mcp/refresh`: every refusal is 400 `invalid_grant` (RFC 6749 §5.2).
#[utoipa::path(
    post,
    path = "/api/mcp/refresh",
    tag = "sessions",
    operation_id = "refresh",
    summary = "Trade the refresh token for a new access token and a new refresh token",
    description = "Refresh tokens rotate on every use; presenting a superseded one revokes the whole family (RFC 9700 §4.14.2).",
    request_body(content = liveauth_protocol::wire::RefreshRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "New tokens; keep only the new `refreshToken`.", body = liveauth_protocol::wire::RefreshResponse),
        (status = 400, description = "`bad_request`: malformed body; `invalid_grant`: the refresh token is unknown, superseded, revoked or its session ended (RFC 6749 §5.2).", body = liveauth_protocol::problem::Problem, content_type = "application/problem+json"),
        crate::openapi::JsonBodyRefusals,
    ),
    security(()),
)]
pub(crate) async fn refresh(
    State(state): State<AppState>,
    ProjectKey(key): ProjectKey,
    ApiJson(request): ApiJson<RefreshRequest>,
) -> Result<Json<RefreshResponse>, Rejection> {
    let now = state.now();
    let presented = refresh_hash(&request.refresh_token);
    if key.is_some() {
        // Checked before rotating: a refused request changes nothing.
        let mut project = None;
        if let Some(session_id) = state.store.refresh_session(&presented) {
            state
                .store
                .update_session(&session_id, &mut |s| project = Some(s.project_id.clone()));
        }
        if let Some(project) = project {
            state.check_sent_key(key.as_deref(), &project)?;
        }
    }
    let (session_id, replacement) = if state.config.profile.rotates_refresh_tokens() {
        let replacement = state.new_refresh_token();
        let session = state
            .store
            .rotate_refresh(&presented, refresh_hash(&replacement), now);
        (session, Some(replacement))
    } else {
        (state.store.check_refresh(&presented, now), None)
    };
    let session_id =
        session_id.map_err(|error| Rejection::new(ErrorCode::InvalidGrant, error.to_string()))?;
    let mut info = None;
    state.store.update_session(&session_id, &mut |session| {
        session.budget.roll(now);
        info = Some(session.info());
    });
    let info = info.ok_or_else(|| {
        Rejection::new(
            ErrorCode::InvalidGrant,
            "the session of this refresh token has ended",
        )
    })?;
    let (jwt, expires_in, jti) = state.access_token(&info, now, "mcp_refresh")?;
    // The session's one current token from now on (retires the previous where the
    // profile does so).
    state.store.update_session(&session_id, &mut |session| {
        session.current_jti = jti.clone()
    });
    Ok(Json(RefreshResponse {
        jwt,
        expires_in,
        remaining_budget_sats: info.remaining_sats,
        refresh_token: replacement,
    }))
}

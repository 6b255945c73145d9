//! Discovery and liveness: JWKS, health, OpenAPI.

use axum::Json;
use axum::extract::State;
use liveauth_protocol::wire::HealthResponse;

use crate::state::AppState;

/// `GET /.well-known/jwks.json`: the Ed25519 key(s) access tokens are signed with.
pub async fn jwks(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(state.keys.tokens.jwks())
}

/// `GET /healthz`.
pub async fn healthz() -> Json<HealthResponse> {
    Json(HealthResponse::default())
}

//! Discovery and liveness: JWKS, health, OpenAPI.

use axum::Json;
use axum::extract::State;
use liveauth_protocol::wire::HealthResponse;

use crate::state::AppState;

/// `GET /.well-known/jwks.json`: the Ed25519 key(s) access tokens are signed with.
#[utoipa::path(
    get,
    path = "/.well-known/jwks.json",
    tag = "discovery",
    operation_id = "jwks",
    summary = "The Ed25519 key(s) access tokens are signed with",
    responses(
        (status = 200, description = "JWKS (RFC 7517).", body = crate::openapi::Jwks),
    ),
    security(()),
)]
pub(crate) async fn jwks(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(state.keys.tokens.jwks())
}

/// `GET /healthz`.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "discovery",
    operation_id = "healthz",
    summary = "Liveness",
    responses(
        (status = 200, description = "`{\"status\": \"ok\"}`.", body = liveauth_protocol::wire::HealthResponse),
    ),
    security(()),
)]
pub(crate) async fn healthz() -> Json<HealthResponse> {
    Json(HealthResponse::default())
}

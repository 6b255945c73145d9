//! Extractors whose rejections speak the API's own error format: a JSON body that names
//! the offending field, a path segment, the project key header, and the bearer token
//! (a handler that takes [`Authenticated`] is protected).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use liveauth_protocol::auth::Credential;
use liveauth_protocol::json::{decode_strict, is_json_media_type};
use liveauth_protocol::problem::ErrorCode;
use liveauth_protocol::wire::PROJECT_KEY_HEADER;
use serde::de::{DeserializeOwned, IgnoredAny};

use crate::error::Rejection;
use crate::state::AppState;
use crate::token::{AccessClaims, TokenError};

/// A JSON object body. An empty body reads as `{}`; a body without a JSON content type is
/// 415 (a browser can send a cross-site POST without one, never with one); JSON that is
/// not an object (`[]`, `1`, `"x"`, `null`) is `body_not_object` (serde would read `[]`
/// as a struct with no fields); a malformed or mistyped one is 400 naming the field
/// (`nonce` gets its own code).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = Rejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req.headers().get(header::CONTENT_TYPE);
        let json = content_type.map(|value| is_json_media_type(value.to_str().unwrap_or("")));
        if json == Some(false) {
            return Err(unsupported_media_type());
        }
        let body = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                payload_too_large()
            } else {
                Rejection::bad_request(format!("could not read the body: {rejection}"))
            }
        })?;
        let body: &[u8] = match body.iter().position(|b| !b.is_ascii_whitespace()) {
            None => b"{}",
            Some(_) if json.is_none() => return Err(unsupported_media_type()),
            Some(first)
                if body[first] != b'{' && serde_json::from_slice::<IgnoredAny>(&body).is_ok() =>
            {
                return Err(Rejection::new(
                    ErrorCode::BodyNotObject,
                    "the body must be a JSON object, such as {}",
                ));
            }
            Some(_) => &body,
        };
        decode_strict(body).map(Self).map_err(|error| {
            if error.path() == Some("nonce") {
                Rejection::new(ErrorCode::NonceInvalid, error.inner().to_string())
            } else {
                Rejection::bad_request(error.to_string())
            }
        })
    }
}

/// The answer to a body above [`crate::MAX_BODY_BYTES`], announced or read.
pub(crate) fn payload_too_large() -> Rejection {
    Rejection::new(
        ErrorCode::PayloadTooLarge,
        "request body is larger than 64 KiB",
    )
}

fn unsupported_media_type() -> Rejection {
    Rejection::new(
        ErrorCode::UnsupportedMediaType,
        "send the body as JSON, with Content-Type: application/json",
    )
}

/// One path parameter.
#[derive(Debug, Clone)]
pub(crate) struct PathParam(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathParam {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(value) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|rejection| Rejection::bad_request(rejection.body_text()))?;
        Ok(Self(value))
    }
}

/// The `X-LW-Public` header, if sent.
#[derive(Debug, Clone)]
pub(crate) struct ProjectKey(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ProjectKey {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts.headers.get(PROJECT_KEY_HEADER) {
            None => Ok(Self(None)),
            Some(value) => value
                .to_str()
                .map(|key| Self(Some(key.trim().to_owned())))
                .map_err(|_| Rejection::bad_request("X-LW-Public must be visible ASCII")),
        }
    }
}

/// The `Authorization` header parsed as a credential, if sent.
#[derive(Debug)]
pub(crate) struct MaybeCredential(pub Option<Credential>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeCredential {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Ok(Self(None));
        };
        let value = value.to_str().map_err(|_| {
            Rejection::Token(
                ErrorCode::TokenInvalid,
                "Authorization must be visible ASCII".into(),
            )
        })?;
        Credential::parse(value)
            .map(|c| Self(Some(c)))
            .map_err(|error| {
                Rejection::Token(
                    ErrorCode::TokenInvalid,
                    format!("Authorization header: {error}"),
                )
            })
    }
}

/// A verified access token. Taking it makes a handler require `Authorization: Bearer`.
#[derive(Debug, Clone)]
pub(crate) struct Authenticated(pub AccessClaims);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = Rejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match MaybeCredential::from_request_parts(parts, state).await?.0 {
            Some(Credential::Bearer(token)) => state.verify_access_token(&token).map(Self),
            Some(_) => Err(Rejection::Token(
                ErrorCode::TokenInvalid,
                "this endpoint takes `Authorization: Bearer <jwt>`".into(),
            )),
            None => Err(Rejection::Token(
                ErrorCode::TokenMissing,
                "send `Authorization: Bearer <jwt>` (from confirm or refresh)".into(),
            )),
        }
    }
}

impl From<TokenError> for Rejection {
    fn from(error: TokenError) -> Self {
        match error {
            TokenError::Expired => Self::Token(
                ErrorCode::TokenExpired,
                "access token expired: call refresh with your refresh token".into(),
            ),
            other => Self::Token(ErrorCode::TokenInvalid, other.to_string()),
        }
    }
}

//! The hosted profile's access tokens (facts §2.2, §9.5): HS256 under a shared secret,
//! `iss` `LiveAuth`, `aud` `LiveAuthUsers`, and the hosted claims `userId`
//! (`mcp:{projectId}:{quoteId}`), the role claim under its full URI (`McpClient`),
//! `projectId`, `authType`, `mcpQuoteId`, `jti` (32 hex) and `exp`; no `sub`, `iat`,
//! `nbf`, `kid` or `typ: at+jwt`, and no JWKS. [`AccessTokens`] is the one switch between
//! these and the strict EdDSA tokens of [`crate::token`].

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::token::{AccessClaims, TokenError, TokenIssuer};

/// `iss` of hosted tokens.
pub const HOSTED_ISSUER: &str = "LiveAuth";
/// `aud` of hosted tokens.
pub const HOSTED_AUDIENCE: &str = "LiveAuthUsers";
/// The claim name .NET's `ClaimTypes.Role` serializes to.
pub const ROLE_CLAIM: &str = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role";

/// Longer inputs are refused before parsing.
const MAX_TOKEN_LEN: usize = 8 * 1024;

/// The claims of a hosted token, in the hosted names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostedClaims {
    #[serde(rename = "userId")]
    pub user_id: String,
    #[serde(rename = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role")]
    pub role: String,
    #[serde(rename = "projectId")]
    pub project_id: String,
    /// `mcp_pow`, `mcp_lightning` or `mcp_refresh`.
    #[serde(rename = "authType")]
    pub auth_type: String,
    /// The quote the session came from; the mock's hosted session id.
    #[serde(rename = "mcpQuoteId")]
    pub mcp_quote_id: String,
    pub jti: String,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
}

/// HS256 tokens under one secret.
#[derive(Clone)]
pub struct HostedTokenIssuer {
    secret: [u8; 32],
    encoding_key: EncodingKey,
    decoding_key: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for HostedTokenIssuer {
    // By hand, so the secret never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HostedTokenIssuer { .. }")
    }
}

impl HostedTokenIssuer {
    pub fn new(secret: [u8; 32]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[HOSTED_ISSUER]);
        validation.set_audience(&[HOSTED_AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        // Expiry is checked against the app's clock (it may be manual), below.
        validation.validate_exp = false;
        Self {
            secret,
            encoding_key: EncodingKey::from_secret(&secret),
            decoding_key: DecodingKey::from_secret(&secret),
            validation,
        }
    }

    /// The HS256 key (derived from `--seed`): what a test decodes tokens with.
    pub fn secret(&self) -> &[u8; 32] {
        &self.secret
    }

    pub fn issue(&self, claims: &HostedClaims) -> Result<String, TokenError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding_key)
            .map_err(|_| TokenError::Signing)
    }

    pub fn verify(&self, token: &str, now_unix: i64) -> Result<HostedClaims, TokenError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(TokenError::Invalid("token too long"));
        }
        let claims =
            jsonwebtoken::decode::<HostedClaims>(token, &self.decoding_key, &self.validation)
                .map_err(|_| TokenError::Invalid("not a valid HS256 token of this API"))?
                .claims;
        if now_unix >= claims.exp {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

/// The profile's access tokens: one of two formats, the same operations.
#[derive(Debug, Clone)]
pub enum AccessTokens {
    /// Strict: EdDSA `at+jwt`, published at `/.well-known/jwks.json`.
    EdDsa(TokenIssuer),
    /// Hosted: HS256 with the hosted claims, nothing published.
    Hs256(HostedTokenIssuer),
}

impl AccessTokens {
    /// Signs a token for `claims`; `auth_type` (`mcp_pow`, …) is written by hosted only.
    pub fn issue(&self, claims: &AccessClaims, auth_type: &str) -> Result<String, TokenError> {
        match self {
            Self::EdDsa(issuer) => issuer.issue(claims),
            Self::Hs256(issuer) => issuer.issue(&HostedClaims {
                user_id: format!("mcp:{}:{}", claims.project_id, claims.sub),
                role: "McpClient".to_owned(),
                project_id: claims.project_id.clone(),
                auth_type: auth_type.to_owned(),
                mcp_quote_id: claims.sub.clone(),
                jti: claims.jti.clone(),
                exp: claims.exp,
                iss: HOSTED_ISSUER.to_owned(),
                aud: HOSTED_AUDIENCE.to_owned(),
            }),
        }
    }

    /// Verifies a token, giving the claims the handlers use (session, project, `jti`).
    pub fn verify(&self, token: &str, now_unix: i64) -> Result<AccessClaims, TokenError> {
        match self {
            Self::EdDsa(issuer) => issuer.verify(token, now_unix),
            Self::Hs256(issuer) => {
                let hosted = issuer.verify(token, now_unix)?;
                Ok(AccessClaims {
                    iss: hosted.iss,
                    aud: hosted.aud,
                    sub: hosted.mcp_quote_id,
                    iat: 0,
                    nbf: 0,
                    exp: hosted.exp,
                    jti: hosted.jti,
                    // Budgets live in the session, not the hosted token.
                    max_sats_per_day: 0,
                    max_calls_per_minute: 0,
                    project_id: hosted.project_id,
                })
            }
        }
    }
}

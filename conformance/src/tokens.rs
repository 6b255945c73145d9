//! Access tokens: forged JWTs are refused, genuine ones verify with the published JWKS.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Validation};
use serde_json::{Value, json};

use crate::client::Resp;
use crate::{CheckResult, Ctx, Outcome, ensure, skip_unless};

/// A JWT's header and claims, decoded.
fn parts(jwt: &str) -> Result<(Value, Value, String), String> {
    let mut split = jwt.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (split.next(), split.next(), split.next(), split.next())
    else {
        return Err(format!(
            "not a JWS compact token: {} parts",
            jwt.split('.').count()
        ));
    };
    let decode = |part: &str, what: &str| -> Result<Value, String> {
        let bytes = URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|e| format!("JWT {what} is not base64url: {e}"))?;
        serde_json::from_slice(&bytes).map_err(|e| format!("JWT {what} is not JSON: {e}"))
    };
    Ok((decode(h, "header")?, decode(p, "payload")?, s.to_owned()))
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// The answer must be a readable 401, and when `strict` a problem+json with `code`.
fn expect_token_refused(resp: &Resp, code: &str, strict: bool, what: &str) -> Result<(), String> {
    ensure!(
        resp.status == 401,
        "{what}: expected 401, got {}",
        resp.brief()
    );
    resp.expect_refused(strict.then_some((401, code)), what)
}

/// A secret that is not the API's, for HS256 forgeries.
const FOREIGN_SECRET: &[u8] = b"conformance: not the API's signing secret";

/// A key that is not the API's: a fixed Ed25519 seed as PKCS#8 (RFC 8410).
fn foreign_key() -> EncodingKey {
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend_from_slice(&[0x5a; 32]);
    EncodingKey::from_ed_der(&der)
}

pub(crate) async fn bearer_missing(ctx: &Ctx, strict: bool) -> CheckResult {
    for resp in [
        ctx.api
            .fetch(ctx.api.keyed(reqwest::Method::GET, "/api/mcp/usage"))
            .await?,
        ctx.api
            .fetch(
                ctx.api
                    .keyed(reqwest::Method::POST, "/api/mcp/charge")
                    .json(&json!({"callCostSats": 1})),
            )
            .await?,
    ] {
        expect_token_refused(&resp, "token_missing", strict, "no Authorization")?;
        if strict {
            ensure!(
                resp.header_all("www-authenticate")
                    .iter()
                    .any(|v| v.starts_with("Bearer")),
                "no WWW-Authenticate: Bearer on a 401: {:?}",
                resp.header_all("www-authenticate")
            );
        }
    }
    Ok(Outcome::Pass)
}

/// The three forgeries, each held to 401 `token_invalid` problem+json.
pub(crate) async fn forgeries_problem(ctx: &Ctx) -> CheckResult {
    alg_none(ctx, true).await?;
    wrong_key(ctx, true).await?;
    wrong_audience(ctx, true).await
}

pub(crate) async fn alg_none(ctx: &Ctx, strict: bool) -> CheckResult {
    let session = ctx.api.session().await?;
    let (mut header, claims, _) = parts(&session.jwt)?;
    header["alg"] = json!("none");
    for token in [
        format!("{}.{}.", b64(&header), b64(&claims)),
        format!("{}.{}", b64(&header), b64(&claims)),
    ] {
        let resp = ctx.api.usage_with(&format!("Bearer {token}")).await?;
        expect_token_refused(&resp, "token_invalid", strict, "alg none")?;
    }
    Ok(Outcome::Pass)
}

pub(crate) async fn wrong_key(ctx: &Ctx, strict: bool) -> CheckResult {
    let session = ctx.api.session().await?;
    let (mut header, claims, _) = parts(&session.jwt)?;
    // Another key of the token's own algorithm; anything but EdDSA is forged as HS256
    // (the hosted algorithm).
    let (key, alg) = if header["alg"] == "EdDSA" {
        (foreign_key(), Algorithm::EdDSA)
    } else {
        header["alg"] = json!("HS256");
        (EncodingKey::from_secret(FOREIGN_SECRET), Algorithm::HS256)
    };
    let message = format!("{}.{}", b64(&header), b64(&claims));
    let signature = jsonwebtoken::crypto::sign(message.as_bytes(), &key, alg)
        .map_err(|e| format!("signing: {e}"))?;
    let resp = ctx.api.usage(&format!("{message}.{signature}")).await?;
    expect_token_refused(&resp, "token_invalid", strict, "signed with another key")?;
    Ok(Outcome::Pass)
}

/// The hosted verifier's clock skew (facts §2.2): a token is good until `exp + 60`.
const HOSTED_SKEW_SECS: i64 = 60;

/// A genuine token refused once expired: `strict` at `exp` exactly with `token_expired`,
/// compat past the hosted skew with any 401.
pub(crate) async fn expired(ctx: &Ctx, strict: bool) -> CheckResult {
    skip_unless!(ctx.need_clock());
    let session = ctx.api.session().await?;
    let (_, claims, _) = parts(&session.jwt)?;
    ctx.api
        .usage(&session.jwt)
        .await?
        .expect(200, "usage before exp")?;
    let now = ctx.api.advance(0).await?;
    let exp = claims["exp"]
        .as_i64()
        .ok_or("the token has no integer exp")?;
    let at = if strict {
        exp
    } else {
        exp + HOSTED_SKEW_SECS + 1
    };
    ctx.api
        .advance(u64::try_from(at - now).unwrap_or(0))
        .await?;
    let resp = ctx.api.usage(&session.jwt).await?;
    expect_token_refused(
        &resp,
        "token_expired",
        strict,
        &format!("a token {}s past its exp", at - exp),
    )?;
    Ok(Outcome::Pass)
}

pub(crate) async fn wrong_audience(ctx: &Ctx, strict: bool) -> CheckResult {
    let session = ctx.api.session().await?;
    let (header, mut claims, signature) = parts(&session.jwt)?;
    claims["aud"] = json!("conformance-other-audience");
    let token = match &ctx.options.token_signer {
        Some(sign) => sign(&claims).ok_or("the token signer refused the claims")?,
        None => format!("{}.{}.{signature}", b64(&header), b64(&claims)),
    };
    let resp = ctx.api.usage(&token).await?;
    expect_token_refused(&resp, "token_invalid", strict, "another audience")?;
    Ok(Outcome::Pass)
}

pub(crate) async fn verifies_with_jwks(ctx: &Ctx) -> CheckResult {
    let session = ctx.api.session().await?;
    let (header, claims, _) = parts(&session.jwt)?;
    ensure!(header["alg"] == "EdDSA", "alg is not EdDSA: {header}");
    ensure!(
        header["typ"]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case("at+jwt")),
        "typ is not at+jwt: {header}"
    );
    let kid = header["kid"].as_str().ok_or("the JWT header has no kid")?;
    let jwks = ctx.api.get("/.well-known/jwks.json").await?;
    let keys = jwks.expect(200, "JWKS")?["keys"]
        .as_array()
        .ok_or_else(|| format!("JWKS has no keys array: {}", jwks.brief()))?;
    let jwk = keys
        .iter()
        .find(|k| k["kid"] == kid)
        .ok_or_else(|| format!("kid {kid} is not in the JWKS: {}", jwks.brief()))?;
    ensure!(
        jwk["kty"] == "OKP" && jwk["crv"] == "Ed25519",
        "the JWK is not an Ed25519 OKP key: {jwk}"
    );
    let x = jwk["x"].as_str().ok_or("the JWK has no x")?;
    let key = DecodingKey::from_ed_components(x).map_err(|e| format!("JWK x: {e}"))?;
    let mut validation = Validation::new(Algorithm::EdDSA);
    // Time is the API's (its clock may be manual): checked below against the claims.
    validation.validate_exp = false;
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub", "nbf"]);
    let iss = claims["iss"].as_str().ok_or("no iss")?;
    let aud = claims["aud"].as_str().ok_or("no aud")?;
    validation.set_issuer(&[iss]);
    validation.set_audience(&[aud]);
    jsonwebtoken::decode::<Value>(&session.jwt, &key, &validation)
        .map_err(|e| format!("the JWT does not verify with the JWKS key: {e}"))?;
    for claim in ["sub", "jti"] {
        ensure!(
            crate::quotes::is_nonempty_str(&claims[claim]),
            "claim {claim} missing: {claims}"
        );
    }
    let (iat, exp) = (claims["iat"].as_i64(), claims["exp"].as_i64());
    ensure!(
        claims["nbf"].as_i64().is_some(),
        "nbf is not an integer: {claims}"
    );
    let lifetime = match (iat, exp) {
        (Some(iat), Some(exp)) => exp - iat,
        _ => return Err(format!("iat/exp are not integers: {claims}")),
    };
    ensure!(
        session.confirm["expiresIn"].as_i64() == Some(lifetime),
        "exp - iat = {lifetime} but expiresIn = {}",
        session.confirm["expiresIn"]
    );
    Ok(Outcome::Pass)
}

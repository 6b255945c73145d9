//! Access tokens: EdDSA (Ed25519) JWTs with `typ: at+jwt` (RFC 9068), and
//! the JWKS document that publishes the verification key.
//!
//! - The signing key is derived from a 32-byte seed, so `mock-api --seed N`
//!   issues byte-identical tokens for the same claims (Ed25519 signatures are
//!   deterministic, and header and claims serialize in a fixed order).
//! - `kid` is the RFC 7638 JWK thumbprint (SHA-256, base64url, no padding) of
//!   the public key, so any client can recompute it from the JWKS.
//! - Claims: the registered `iss, aud, sub, iat, nbf, exp, jti` plus the
//!   session's budget as camelCase private claims `maxSatsPerDay`,
//!   `maxCallsPerMinute`, `projectId` (camelCase like the rest of the API).
//! - [`TokenIssuer::verify`] is strict: algorithm pinned to `EdDSA`, `typ`
//!   must be `at+jwt`, `kid` must be ours, no `crit` header, signature,
//!   `iss`/`aud` equal to ours, and every claim present. Time is checked
//!   against the caller's clock (the mock's clock can be manual), never the
//!   system clock: valid iff `nbf <= now < exp`, with no leeway, because
//!   issuer and verifier share one clock.
//! - Ed25519 verification is most of a metered call's CPU, so the claims of a
//!   token whose signature and time-independent claims have verified are
//!   remembered (bounded, keyed by the whole token string); `exp` and `nbf`
//!   are still checked on every call. Results are the same as verifying anew.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use ed25519_dalek::SigningKey;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use liveauth_protocol::codec::{decode_base64url, encode_base64url};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// The JOSE `typ` of an access token (RFC 9068 §2.1).
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";

/// Longer inputs are refused before any parsing: our tokens are well under
/// 1 KiB, and this bounds the work an attacker can make us do.
const MAX_TOKEN_LEN: usize = 8 * 1024;

/// Verified tokens remembered; beyond this an arbitrary one is forgotten (and
/// simply verified again when it comes back).
const VERIFIED_TOKENS: usize = 4096;

/// RFC 8410 PKCS#8 v1 prefix for an Ed25519 private key; the 32-byte seed
/// follows. Building the DER by hand keeps [`TokenIssuer::new`] infallible,
/// and it is what `jsonwebtoken`'s `EncodingKey::from_ed_der` expects.
const ED25519_PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// Why an access token was refused. Messages never contain the token or key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Genuine token whose `exp` has passed (`now >= exp`): the client
    /// should refresh.
    #[error("access token expired")]
    Expired,
    /// Anything else: malformed, forged, wrong algorithm/type/key, wrong
    /// issuer or audience, missing claims, not yet valid.
    #[error("access token invalid: {0}")]
    Invalid(&'static str),
    /// Signing failed (a bug, not bad input).
    #[error("access token could not be signed")]
    Signing,
}

/// Claims of an access token. Registered claims keep their JWT names; the
/// private budget claims are camelCase (`maxSatsPerDay`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessClaims {
    /// Issuer; must equal the issuer's configured value.
    pub iss: String,
    /// Audience; must equal the issuer's configured value.
    pub aud: String,
    /// Session id.
    pub sub: String,
    /// Issued at, Unix seconds.
    pub iat: i64,
    /// Not before, Unix seconds.
    pub nbf: i64,
    /// Expiry, Unix seconds; the token is expired from this second on.
    pub exp: i64,
    /// Unique token id.
    pub jti: String,
    /// Session budget: sats per UTC day.
    pub max_sats_per_day: u64,
    /// Session budget: calls per minute.
    pub max_calls_per_minute: u32,
    /// Project the session belongs to.
    pub project_id: String,
}

/// Signs and verifies access tokens with one Ed25519 key.
#[derive(Clone)]
pub struct TokenIssuer {
    encoding_key: EncodingKey,
    decoding_key: DecodingKey,
    /// Public key, base64url (the JWK `x`).
    public_x: String,
    kid: String,
    issuer: String,
    audience: String,
    validation: Validation,
    /// Token → its claims, for tokens whose signature, header, `iss` and
    /// `aud` verified. Shared by clones (they hold the same key).
    verified: Arc<Mutex<HashMap<Box<str>, AccessClaims>>>,
}

impl std::fmt::Debug for TokenIssuer {
    // By hand, so key material can never reach a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenIssuer")
            .field("kid", &self.kid)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

/// The parts of the JOSE header we check, parsed by us so that an unknown
/// `alg` (such as `none`) is reported as a refused algorithm, not as junk.
#[derive(Deserialize)]
struct JoseHeader {
    alg: String,
    typ: Option<String>,
    kid: Option<String>,
    crit: Option<serde_json::Value>,
}

impl TokenIssuer {
    /// Derives the signing key from `seed`; `issuer` and `audience` are the
    /// only `iss` and `aud` values [`Self::verify`] accepts.
    #[must_use]
    pub fn new(seed: [u8; 32], issuer: String, audience: String) -> Self {
        let public = SigningKey::from_bytes(&seed).verifying_key().to_bytes();
        let mut der = [0u8; 48];
        der[..16].copy_from_slice(&ED25519_PKCS8_PREFIX);
        der[16..].copy_from_slice(&seed);
        let public_x = encode_base64url(&public);
        let kid = jwk_thumbprint(&public_x);

        let mut validation = Validation::new(Algorithm::EdDSA);
        // Time is checked in `verify` against the caller's clock.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.set_issuer(&[&issuer]);
        validation.set_audience(&[&audience]);

        Self {
            encoding_key: EncodingKey::from_ed_der(&der),
            // jsonwebtoken's Ed25519 verifier wants the raw 32-byte key here.
            decoding_key: DecodingKey::from_ed_der(&public),
            public_x,
            kid,
            issuer,
            audience,
            validation,
            verified: Arc::default(),
        }
    }

    /// The key id: RFC 7638 thumbprint of the public key.
    #[must_use]
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The `iss` value this issuer signs and accepts.
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The `aud` value this issuer signs and accepts.
    #[must_use]
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// The JWKS document served at `/.well-known/jwks.json`.
    #[must_use]
    pub fn jwks(&self) -> serde_json::Value {
        serde_json::json!({
            "keys": [{
                "kty": "OKP",
                "crv": "Ed25519",
                "x": self.public_x,
                "kid": self.kid,
                "alg": "EdDSA",
                "use": "sig",
            }]
        })
    }

    /// Signs `claims` as an `at+jwt`. The claims are signed as given: the
    /// caller sets `iss`/`aud` to [`Self::issuer`]/[`Self::audience`].
    pub fn issue(&self, claims: &AccessClaims) -> Result<String, TokenError> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some(ACCESS_TOKEN_TYP.to_owned());
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding_key).map_err(|_| TokenError::Signing)
    }

    /// Verifies `token` at time `now_unix` (the caller's clock). See the
    /// module docs for the rules; only a genuine, expired token gives
    /// [`TokenError::Expired`].
    pub fn verify(&self, token: &str, now_unix: i64) -> Result<AccessClaims, TokenError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(TokenError::Invalid("token too long"));
        }
        let claims = match self.remembered(token) {
            Some(claims) => claims,
            None => {
                let claims = self.verify_signed(token)?;
                self.remember(token, &claims);
                claims
            }
        };
        if now_unix >= claims.exp {
            return Err(TokenError::Expired);
        }
        if now_unix < claims.nbf {
            return Err(TokenError::Invalid("token not yet valid"));
        }
        Ok(claims)
    }

    /// Everything [`Self::verify`] checks that does not depend on the time.
    fn verify_signed(&self, token: &str) -> Result<AccessClaims, TokenError> {
        self.check_header(token)?;

        let data =
            jsonwebtoken::decode::<serde_json::Value>(token, &self.decoding_key, &self.validation)
                .map_err(|e| TokenError::Invalid(reason(e.kind())))?;
        let claims: AccessClaims = serde_json::from_value(data.claims)
            .map_err(|_| TokenError::Invalid("malformed claims"))?;

        // jsonwebtoken checked these too; repeated so the contract does not
        // rest on its set-membership and array-audience semantics.
        if claims.iss != self.issuer {
            return Err(TokenError::Invalid("issuer mismatch"));
        }
        if claims.aud != self.audience {
            return Err(TokenError::Invalid("audience mismatch"));
        }
        Ok(claims)
    }

    fn verified(&self) -> MutexGuard<'_, HashMap<Box<str>, AccessClaims>> {
        // The map holds only fully verified entries whatever panicked.
        self.verified
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    fn remembered(&self, token: &str) -> Option<AccessClaims> {
        self.verified().get(token).cloned()
    }

    fn remember(&self, token: &str, claims: &AccessClaims) {
        let mut verified = self.verified();
        if verified.len() >= VERIFIED_TOKENS {
            let evict = verified.keys().next().cloned();
            if let Some(evict) = evict {
                verified.remove(&evict);
            }
        }
        verified.insert(token.into(), claims.clone());
    }

    /// Checks `alg`, `typ`, `kid` and `crit` before any signature work.
    fn check_header(&self, token: &str) -> Result<(), TokenError> {
        const MALFORMED: TokenError = TokenError::Invalid("malformed token");
        let mut parts = token.split('.');
        let (Some(header_b64), Some(_), Some(_), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(MALFORMED);
        };
        let bytes = decode_base64url(header_b64).map_err(|_| MALFORMED)?;
        let header: JoseHeader = serde_json::from_slice(&bytes).map_err(|_| MALFORMED)?;

        if header.alg != "EdDSA" {
            return Err(TokenError::Invalid("algorithm not allowed"));
        }
        // Media type names compare case-insensitively, and "application/"
        // may be omitted (RFC 7515 §4.1.9, RFC 9068 §4).
        let typ_ok = header.typ.as_deref().is_some_and(|typ| {
            typ.eq_ignore_ascii_case(ACCESS_TOKEN_TYP)
                || typ.eq_ignore_ascii_case("application/at+jwt")
        });
        if !typ_ok {
            return Err(TokenError::Invalid("wrong token type"));
        }
        if header.kid.as_deref() != Some(self.kid.as_str()) {
            return Err(TokenError::Invalid("unknown key id"));
        }
        // We understand no extensions, so any `crit` must be refused
        // (RFC 7515 §4.1.11).
        if header.crit.is_some() {
            return Err(TokenError::Invalid("unsupported critical header"));
        }
        Ok(())
    }
}

/// RFC 7638 thumbprint of an Ed25519 public key given as base64url `x`:
/// SHA-256 over the required members in lexicographic order, no spaces.
fn jwk_thumbprint(x: &str) -> String {
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    encode_base64url(&Sha256::digest(canonical.as_bytes()))
}

/// Maps a jsonwebtoken error to a short, key-free reason.
fn reason(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidSignature => "signature invalid",
        ErrorKind::InvalidAlgorithm
        | ErrorKind::MissingAlgorithm
        | ErrorKind::InvalidAlgorithmName
        | ErrorKind::UnsupportedAlgorithm => "algorithm not allowed",
        ErrorKind::MissingRequiredClaim(_) => "missing required claim",
        ErrorKind::InvalidClaimFormat(_) => "malformed claims",
        ErrorKind::InvalidIssuer => "issuer mismatch",
        ErrorKind::InvalidAudience => "audience mismatch",
        ErrorKind::InvalidToken
        | ErrorKind::Base64(_)
        | ErrorKind::Json(_)
        | ErrorKind::Utf8(_) => "malformed token",
        _ => "token rejected",
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use ed25519_dalek::SigningKey;
    use ed25519_dalek::pkcs8::EncodePrivateKey as _;
    use jsonwebtoken::jwk::{JwkSet, ThumbprintHash};
    use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
    use liveauth_protocol::codec::{decode_base64url, encode_base64url};
    use serde_json::{Value, json};
    use sha2::{Digest as _, Sha256};

    use super::{AccessClaims, TokenError, TokenIssuer};

    const ISS: &str = "https://mock.liveauth.test";
    const AUD: &str = "liveauth-api";
    const NOW: i64 = 1_700_000_000;

    fn issuer(seed: u8) -> TokenIssuer {
        TokenIssuer::new([seed; 32], ISS.to_owned(), AUD.to_owned())
    }

    fn claims() -> AccessClaims {
        AccessClaims {
            iss: ISS.to_owned(),
            aud: AUD.to_owned(),
            sub: "sess_1".to_owned(),
            iat: NOW,
            nbf: NOW,
            exp: NOW + 600,
            jti: "jti_1".to_owned(),
            max_sats_per_day: 10_000,
            max_calls_per_minute: 60,
            project_id: "proj_demo".to_owned(),
        }
    }

    fn b64(bytes: &[u8]) -> String {
        encode_base64url(bytes)
    }

    fn b64_json(value: &Value) -> String {
        b64(&serde_json::to_vec(value).unwrap())
    }

    /// Claims as a JSON object, for building tokens with claims removed.
    fn claims_json() -> Value {
        serde_json::to_value(claims()).unwrap()
    }

    /// Signs arbitrary header/claims JSON with `seed`'s Ed25519 key, as a
    /// forger holding that key would.
    fn sign_raw(seed: [u8; 32], header: &Value, claims: &Value) -> String {
        let signing_input = format!("{}.{}", b64_json(header), b64_json(claims));
        let der = SigningKey::from_bytes(&seed).to_pkcs8_der().unwrap();
        let key = EncodingKey::from_ed_der(der.as_bytes());
        let sig =
            jsonwebtoken::crypto::sign(signing_input.as_bytes(), &key, Algorithm::EdDSA).unwrap();
        format!("{signing_input}.{sig}")
    }

    /// `iss.verify` at `NOW` of `claims` under `header`, signed with issuer 7's key.
    fn verify_under(
        iss: &TokenIssuer,
        header: &Value,
        claims: &Value,
    ) -> Result<AccessClaims, TokenError> {
        iss.verify(&sign_raw([7; 32], header, claims), NOW)
    }

    fn our_header(iss: &TokenIssuer) -> Value {
        json!({"alg": "EdDSA", "typ": "at+jwt", "kid": iss.kid()})
    }

    fn invalid(reason: &'static str) -> Result<AccessClaims, TokenError> {
        Err(TokenError::Invalid(reason))
    }

    /// A token verifies to exactly the claims it was issued with.
    #[test]
    fn round_trip() {
        let iss = issuer(7);
        let token = iss.issue(&claims()).unwrap();
        assert_eq!(iss.verify(&token, NOW), Ok(claims()));
        assert_eq!(iss.verify(&token, NOW + 599), Ok(claims()));
    }

    /// The wire form: header fields and camelCase budget claims.
    #[test]
    fn wire_shape() {
        let iss = issuer(7);
        let token = iss.issue(&claims()).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: Value = serde_json::from_slice(&decode_base64url(parts[0]).unwrap()).unwrap();
        assert_eq!(
            header,
            json!({"alg": "EdDSA", "typ": "at+jwt", "kid": iss.kid()})
        );
        let payload: Value = serde_json::from_slice(&decode_base64url(parts[1]).unwrap()).unwrap();
        assert_eq!(
            payload,
            json!({
                "iss": ISS, "aud": AUD, "sub": "sess_1", "iat": NOW, "nbf": NOW,
                "exp": NOW + 600, "jti": "jti_1", "maxSatsPerDay": 10_000,
                "maxCallsPerMinute": 60, "projectId": "proj_demo",
            })
        );
    }

    /// An external client holding only the JWKS JSON can verify our tokens.
    #[test]
    fn verifies_with_only_the_jwks_document() {
        let iss = issuer(7);
        let token = iss.issue(&claims()).unwrap();
        let jwks_text = serde_json::to_string(&iss.jwks()).unwrap();

        // By hand: the raw key from `x`, found by the header's kid.
        let doc: Value = serde_json::from_str(&jwks_text).unwrap();
        let kid = jsonwebtoken::decode_header(&token).unwrap().kid.unwrap();
        let jwk = doc["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kid"] == kid.as_str())
            .unwrap();
        assert_eq!(jwk["kty"], "OKP");
        assert_eq!(jwk["crv"], "Ed25519");
        assert_eq!(jwk["alg"], "EdDSA");
        assert_eq!(jwk["use"], "sig");
        let x = decode_base64url(jwk["x"].as_str().unwrap()).unwrap();
        assert_eq!(x.len(), 32);
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[ISS]);
        validation.set_audience(&[AUD]);
        // The client checks signature and claims, not time (NOW is past).
        validation.validate_exp = false;
        let got = jsonwebtoken::decode::<AccessClaims>(
            &token,
            &DecodingKey::from_ed_der(&x),
            &validation,
        )
        .unwrap();
        assert_eq!(got.claims, claims());

        // Through jsonwebtoken's own JWK types, as a library client would.
        let set: JwkSet = serde_json::from_str(&jwks_text).unwrap();
        let key = DecodingKey::from_jwk(set.find(&kid).unwrap()).unwrap();
        let got = jsonwebtoken::decode::<AccessClaims>(&token, &key, &validation).unwrap();
        assert_eq!(got.claims, claims());
    }

    /// kid is the RFC 7638 thumbprint, recomputed three independent ways.
    #[test]
    fn kid_is_rfc7638_thumbprint() {
        let iss = issuer(7);
        let jwks = iss.jwks();
        let jwk = &jwks["keys"][0];
        assert_eq!(jwk["kid"], iss.kid());

        // Canonical JSON from a sorted map of the required members.
        let required: BTreeMap<&str, &str> = [
            ("kty", "OKP"),
            ("crv", "Ed25519"),
            ("x", jwk["x"].as_str().unwrap()),
        ]
        .into_iter()
        .collect();
        let canonical = serde_json::to_string(&required).unwrap();
        assert_eq!(b64(&Sha256::digest(canonical.as_bytes())), iss.kid());

        // jsonwebtoken's implementation.
        let set: JwkSet = serde_json::from_value(jwks.clone()).unwrap();
        assert_eq!(
            set.keys[0].thumbprint(ThumbprintHash::SHA256).unwrap(),
            iss.kid()
        );
    }

    /// RFC 8037 appendix A: the private key `d` of A.1 gives the public `x`
    /// of A.2 and the thumbprint of A.3 (figures cross-checked against
    /// several independent implementations' test vectors).
    #[test]
    fn rfc8037_example_key() {
        let d = decode_base64url("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A").unwrap();
        let iss = TokenIssuer::new(d.try_into().unwrap(), ISS.to_owned(), AUD.to_owned());
        assert_eq!(
            iss.jwks()["keys"][0]["x"],
            "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
        );
        assert_eq!(iss.kid(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    }

    /// Same seed, same kid and byte-identical token; another seed differs.
    #[test]
    fn deterministic_for_a_seed() {
        let (a, b) = (issuer(7), issuer(7));
        assert_eq!(a.kid(), b.kid());
        assert_eq!(a.jwks(), b.jwks());
        assert_eq!(a.issue(&claims()).unwrap(), b.issue(&claims()).unwrap());
        assert_ne!(a.kid(), issuer(8).kid());
    }

    /// Debug output names the key id but no key material.
    #[test]
    fn debug_hides_keys() {
        let iss = issuer(7);
        let shown = format!("{iss:?}");
        assert!(shown.contains(iss.kid()));
        let x = iss.jwks()["keys"][0]["x"].as_str().unwrap().to_owned();
        assert!(!shown.contains(&x));
    }

    /// Any change to the payload breaks the signature.
    #[test]
    fn tampered_payload() {
        let iss = issuer(7);
        let token = iss.issue(&claims()).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        let mut richer = claims_json();
        richer["maxSatsPerDay"] = json!(1_000_000_000u64);
        let forged = format!("{}.{}.{}", parts[0], b64_json(&richer), parts[2]);
        assert_eq!(iss.verify(&forged, NOW), invalid("signature invalid"));
    }

    /// A flipped signature bit is refused.
    #[test]
    fn tampered_signature() {
        let iss = issuer(7);
        let token = iss.issue(&claims()).unwrap();
        let (input, sig) = token.rsplit_once('.').unwrap();
        let mut sig = decode_base64url(sig).unwrap();
        sig[10] ^= 1;
        let forged = format!("{input}.{}", b64(&sig));
        assert_eq!(iss.verify(&forged, NOW), invalid("signature invalid"));
        // Truncated and empty signatures too.
        assert_eq!(
            iss.verify(&format!("{input}.{}", b64(&sig[..63])), NOW),
            invalid("signature invalid")
        );
        assert_eq!(
            iss.verify(&format!("{input}."), NOW),
            invalid("signature invalid")
        );
    }

    /// Another key's token: by its kid, and forged with our kid.
    #[test]
    fn signed_by_another_seed() {
        let iss = issuer(7);
        let other = issuer(8).issue(&claims()).unwrap();
        assert_eq!(iss.verify(&other, NOW), invalid("unknown key id"));
        let forged = sign_raw([8; 32], &our_header(&iss), &claims_json());
        assert_eq!(iss.verify(&forged, NOW), invalid("signature invalid"));
    }

    /// `alg: none` with an empty signature is refused.
    #[test]
    fn alg_none() {
        let iss = issuer(7);
        for alg in ["none", "None", "NONE"] {
            let header = json!({"alg": alg, "typ": "at+jwt", "kid": iss.kid()});
            let token = format!("{}.{}.", b64_json(&header), b64_json(&claims_json()));
            assert_eq!(iss.verify(&token, NOW), invalid("algorithm not allowed"));
        }
    }

    /// HS256 "signed" with our public key (raw bytes or its base64url) is
    /// refused: the algorithm is pinned, not taken from the header.
    #[test]
    fn hs256_with_public_key_as_secret() {
        let iss = issuer(7);
        let x = iss.jwks()["keys"][0]["x"].as_str().unwrap().to_owned();
        let raw = decode_base64url(&x).unwrap();
        for secret in [raw.as_slice(), x.as_bytes()] {
            let mut header = Header::new(Algorithm::HS256);
            header.typ = Some("at+jwt".to_owned());
            header.kid = Some(iss.kid().to_owned());
            let token = jsonwebtoken::encode(&header, &claims(), &EncodingKey::from_secret(secret))
                .unwrap();
            assert_eq!(iss.verify(&token, NOW), invalid("algorithm not allowed"));
        }
    }

    /// Other asymmetric algorithms in the header are refused before any
    /// key is used.
    #[test]
    fn other_algorithms() {
        let iss = issuer(7);
        let token = iss.issue(&claims()).unwrap();
        let (_, rest) = token.split_once('.').unwrap();
        for alg in ["RS256", "ES256", "PS256", "HS512", "Ed25519", "eddsa"] {
            let header = json!({"alg": alg, "typ": "at+jwt", "kid": iss.kid()});
            let forged = format!("{}.{rest}", b64_json(&header));
            assert_eq!(
                iss.verify(&forged, NOW),
                invalid("algorithm not allowed"),
                "{alg}"
            );
        }
    }

    /// iss and aud must be exactly ours, even when correctly signed.
    #[test]
    fn wrong_iss_and_aud() {
        let iss = issuer(7);
        let mut c = claims();
        c.iss = "https://evil.test".to_owned();
        assert_eq!(
            iss.verify(&iss.issue(&c).unwrap(), NOW),
            invalid("issuer mismatch")
        );
        let mut c = claims();
        c.aud = "other-api".to_owned();
        assert_eq!(
            iss.verify(&iss.issue(&c).unwrap(), NOW),
            invalid("audience mismatch")
        );
        // An audience array, even one containing ours, is not our shape.
        let mut c = claims_json();
        c["aud"] = json!([AUD, "other-api"]);
        let token = sign_raw([7; 32], &our_header(&iss), &c);
        assert!(matches!(
            iss.verify(&token, NOW),
            Err(TokenError::Invalid(_))
        ));
    }

    /// Every claim is required, even in a correctly signed token.
    #[test]
    fn missing_claims() {
        let iss = issuer(7);
        for claim in ["sub", "exp", "iss", "aud", "nbf"] {
            let mut c = claims_json();
            c.as_object_mut().unwrap().remove(claim);
            let token = sign_raw([7; 32], &our_header(&iss), &c);
            assert_eq!(
                iss.verify(&token, NOW),
                invalid("missing required claim"),
                "{claim}"
            );
        }
        for claim in [
            "iat",
            "jti",
            "maxSatsPerDay",
            "maxCallsPerMinute",
            "projectId",
        ] {
            let mut c = claims_json();
            c.as_object_mut().unwrap().remove(claim);
            let token = sign_raw([7; 32], &our_header(&iss), &c);
            assert_eq!(
                iss.verify(&token, NOW),
                invalid("malformed claims"),
                "{claim}"
            );
        }
        // Ill-typed claims are refused, not coerced.
        for (claim, value) in [
            ("exp", json!("soon")),
            ("exp", json!(-1)),
            ("sub", json!(5)),
        ] {
            let mut c = claims_json();
            c[claim] = value;
            let token = sign_raw([7; 32], &our_header(&iss), &c);
            assert!(
                matches!(iss.verify(&token, NOW), Err(TokenError::Invalid(_))),
                "{claim}"
            );
        }
    }

    /// Valid on [nbf, exp): exp itself is expired, before nbf is invalid.
    #[test]
    fn time_window() {
        let iss = issuer(7);
        let token = iss.issue(&claims()).unwrap();
        assert_eq!(iss.verify(&token, NOW + 600), Err(TokenError::Expired));
        assert_eq!(iss.verify(&token, NOW + 100_000), Err(TokenError::Expired));
        assert_eq!(iss.verify(&token, NOW - 1), invalid("token not yet valid"));
        assert_eq!(iss.verify(&token, NOW), Ok(claims()));
        // Extreme clocks do not overflow.
        assert_eq!(iss.verify(&token, i64::MAX), Err(TokenError::Expired));
        assert_eq!(iss.verify(&token, i64::MIN), invalid("token not yet valid"));
    }

    /// A remembered token answers exactly as a fresh verification: its time
    /// window still applies, and near-copies of it are still refused.
    #[test]
    fn remembered_tokens_verify_the_same() {
        let iss = issuer(7);
        let token = iss.issue(&claims()).unwrap();
        assert_eq!(iss.verify(&token, NOW), Ok(claims()));
        assert_eq!(iss.remembered(&token), Some(claims()));
        assert_eq!(iss.clone().verify(&token, NOW + 599), Ok(claims()));
        assert_eq!(iss.verify(&token, NOW + 600), Err(TokenError::Expired));
        assert_eq!(iss.verify(&token, NOW - 1), invalid("token not yet valid"));
        let (input, _) = token.rsplit_once('.').unwrap();
        let forged = sign_raw([8; 32], &our_header(&iss), &claims_json());
        let (_, forged_sig) = forged.rsplit_once('.').unwrap();
        let spliced = format!("{input}.{forged_sig}");
        assert_eq!(iss.verify(&spliced, NOW), invalid("signature invalid"));
        assert_eq!(iss.remembered(&spliced), None);
        // Another issuer (another key) does not share what this one remembers.
        assert_eq!(issuer(8).verify(&token, NOW), invalid("unknown key id"));
    }

    /// The memory of verified tokens is bounded.
    #[test]
    fn remembered_tokens_are_bounded() {
        let iss = issuer(7);
        for i in 0..super::VERIFIED_TOKENS + 10 {
            let mut c = claims();
            c.jti = format!("jti_{i}");
            let token = iss.issue(&c).unwrap();
            assert_eq!(iss.verify(&token, NOW), Ok(c));
        }
        assert_eq!(iss.verified().len(), super::VERIFIED_TOKENS);
    }

    /// A forged, expired token is reported as invalid, not expired.
    #[test]
    fn expired_forgery_is_invalid() {
        let iss = issuer(7);
        let forged = sign_raw([8; 32], &our_header(&iss), &claims_json());
        assert_eq!(
            iss.verify(&forged, NOW + 10_000),
            invalid("signature invalid")
        );
    }

    /// typ must be at+jwt (case-insensitive, optional "application/").
    #[test]
    fn token_type() {
        let iss = issuer(7);
        let c = claims_json();
        for typ in ["AT+JWT", "application/at+jwt", "Application/AT+JWT"] {
            let header = json!({"alg": "EdDSA", "typ": typ, "kid": iss.kid()});
            assert_eq!(verify_under(&iss, &header, &c), Ok(claims()), "{typ}");
        }
        for typ in [
            json!("JWT"),
            json!("at+jwt "),
            json!("dpop+jwt"),
            json!(null),
            json!(1),
        ] {
            let header = json!({"alg": "EdDSA", "typ": typ, "kid": iss.kid()});
            let got = verify_under(&iss, &header, &c);
            assert!(matches!(got, Err(TokenError::Invalid(_))), "{typ}");
        }
        let header = json!({"alg": "EdDSA", "kid": iss.kid()});
        assert_eq!(verify_under(&iss, &header, &c), invalid("wrong token type"));
    }

    /// kid must be present and ours.
    #[test]
    fn key_id() {
        let iss = issuer(7);
        let c = claims_json();
        for header in [
            json!({"alg": "EdDSA", "typ": "at+jwt", "kid": "someone-else"}),
            json!({"alg": "EdDSA", "typ": "at+jwt"}),
        ] {
            assert_eq!(
                verify_under(&iss, &header, &c),
                invalid("unknown key id"),
                "{header}"
            );
        }
    }

    /// A `crit` header is refused: we implement no extensions.
    #[test]
    fn critical_header() {
        let iss = issuer(7);
        let header = json!({"alg": "EdDSA", "typ": "at+jwt", "kid": iss.kid(), "crit": ["exp"]});
        assert_eq!(
            verify_under(&iss, &header, &claims_json()),
            invalid("unsupported critical header")
        );
    }

    /// Garbage of any kind is invalid, never a panic.
    #[test]
    fn garbage() {
        let iss = issuer(7);
        let token = iss.issue(&claims()).unwrap();
        let (input, _) = token.rsplit_once('.').unwrap();
        let cases = [
            String::new(),
            ".".to_owned(),
            "..".to_owned(),
            "...".to_owned(),
            "a.b.c".to_owned(),
            "a.b".to_owned(),
            "not a token".to_owned(),
            ".".repeat(10 * 1024),
            ".".repeat(8000),
            "é.ü.ß".to_owned(),
            format!("{token}.{token}"),
            format!("{input}.!!!"),
            format!("{input}.{}", "A".repeat(7000)),
            format!("{}.{}.sig", b64(b"null"), b64(b"{}")),
            format!("{}.{}.sig", b64(b"[1,2]"), b64(b"{}")),
            format!("{}.e30.sig", b64_json(&our_header(&iss))),
            format!("{}.{}.", b64_json(&our_header(&iss)), b64(b"\xff\xfe")),
            format!("{}.{}.", b64_json(&our_header(&iss)), b64(b"[]")),
            token.replacen('.', "=.", 1),
            format!(" {token}"),
        ];
        for case in &cases {
            let got = iss.verify(case, NOW);
            assert!(
                matches!(got, Err(TokenError::Invalid(_))),
                "{case:.40}: {got:?}"
            );
        }
        assert_eq!(
            iss.verify(&".".repeat(10 * 1024), NOW),
            invalid("token too long")
        );
        assert_eq!(iss.verify("", NOW), invalid("malformed token"));
        assert_eq!(iss.verify("a.b.c", NOW), invalid("malformed token"));
    }

    /// Error messages carry no token or key material.
    #[test]
    fn error_messages() {
        assert_eq!(TokenError::Expired.to_string(), "access token expired");
        assert_eq!(
            TokenError::Invalid("signature invalid").to_string(),
            "access token invalid: signature invalid"
        );
    }
}

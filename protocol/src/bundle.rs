//! The L402 bundle macaroon (facts §2.8): not a V2 binary macaroon ([`crate::macaroon`])
//! but the hosted API's own bearer format for a prepaid bundle of calls:
//!
//! `base64(claims JSON) "." base64(HMAC-SHA256(key, ASCII of the first part))`, both
//! standard base64 with padding, the claims keyed in the order `kid, aid, scopes, bid,
//! rate, exp, iat, jti`. The hosted key is SHA-256 of a constant string
//! ([`HOSTED_SECRET`]); a mock mints under its own ([`BundleKey`]), so a macaroon of one
//! never verifies at the other.
//!
//! Verification order is the hosted API's: the shape (two parts), the MAC (compared in
//! constant time), then the claims; expiry and depletion are [`BundleClaims::check`],
//! against the caller's clock. Nothing here panics on input, and input longer than
//! [`MAX_BUNDLE_MACAROON_LEN`] is refused before it is decoded.

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::codec;

type HmacSha256 = Hmac<Sha256>;

/// The constant the published backend derives its key from (facts §2.8); only for test
/// vectors: a verifier that accepted it would accept anyone's macaroons.
pub const HOSTED_SECRET: &str = "liveauth-macaroon-secret-v1";

/// The scopes every bundle macaroon carries.
pub const BUNDLE_SCOPES: [&str; 2] = ["mcp.verify", "auth.start"];

/// Longest macaroon read: real ones are about 350 characters.
pub const MAX_BUNDLE_MACAROON_LEN: usize = 4096;

/// The HMAC key of bundle macaroons: SHA-256 of a secret string, as the hosted API does.
#[derive(Clone)]
pub struct BundleKey([u8; 32]);

impl BundleKey {
    /// The key the hosted API derives from `secret`.
    pub fn from_secret(secret: &str) -> Self {
        Self(Sha256::digest(secret.as_bytes()).into())
    }

    /// A key given as its 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    fn mac(&self, first_part: &str) -> String {
        // HMAC takes a key of any length: this cannot fail for 32 bytes.
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(first_part.as_bytes());
        codec::encode_base64(&mac.finalize().into_bytes())
    }

    /// The macaroon of `claims`.
    pub fn mint(&self, claims: &BundleClaims) -> String {
        // Serializing a struct of strings and integers cannot fail.
        let json = serde_json::to_vec(claims).unwrap_or_default();
        let first = codec::encode_base64(&json);
        let mac = self.mac(&first);
        format!("{first}.{mac}")
    }

    /// The claims of `macaroon` if it was minted under this key; neither expiry nor the
    /// remaining calls are looked at (see [`BundleClaims::check`]).
    pub fn verify(&self, macaroon: &str) -> Result<BundleClaims, BundleMacaroonError> {
        if macaroon.len() > MAX_BUNDLE_MACAROON_LEN {
            return Err(BundleMacaroonError::TooLong);
        }
        let mut parts = macaroon.split('.');
        let (Some(first), Some(mac), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(BundleMacaroonError::Malformed);
        };
        let expected = self.mac(first);
        if !bool::from(expected.as_bytes().ct_eq(mac.as_bytes())) {
            return Err(BundleMacaroonError::Forged);
        }
        let json = codec::decode_base64(first).map_err(|_| BundleMacaroonError::Claims)?;
        serde_json::from_slice(&json).map_err(|_| BundleMacaroonError::Claims)
    }
}

impl std::fmt::Debug for BundleKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BundleKey(<redacted>)")
    }
}

/// What a bundle macaroon says, in the hosted key order.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleClaims {
    /// The project's id (lowercase hyphenated UUID).
    pub kid: String,
    /// The agent id given at invoice time, else `default`.
    pub aid: String,
    /// [`BUNDLE_SCOPES`].
    pub scopes: Vec<String>,
    /// The bundle id (`bundle_<tier>_<12 hex>`).
    pub bid: String,
    /// Calls left when the macaroon was minted.
    pub rate: i64,
    /// Bundle expiry, unix seconds (0: none).
    pub exp: i64,
    /// Minted at, unix seconds.
    pub iat: i64,
    /// `tok_` + 12 hex.
    pub jti: String,
}

impl BundleClaims {
    /// Refuses an expired macaroon and one minted with no calls left, as the hosted API
    /// does before it looks the bundle up.
    pub fn check(&self, now: i64) -> Result<(), BundleMacaroonError> {
        if self.exp > 0 && now > self.exp {
            return Err(BundleMacaroonError::Expired);
        }
        if self.rate <= 0 {
            return Err(BundleMacaroonError::Depleted);
        }
        Ok(())
    }
}

/// Why a bundle macaroon was refused; the hosted 402 `message` is [`Self::reason`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BundleMacaroonError {
    #[error("macaroon longer than {MAX_BUNDLE_MACAROON_LEN} characters")]
    TooLong,
    #[error("macaroon is not two `.`-separated base64 parts")]
    Malformed,
    #[error("macaroon signature does not verify")]
    Forged,
    #[error("macaroon claims are not the bundle claims JSON")]
    Claims,
    #[error("macaroon expired")]
    Expired,
    #[error("bundle depleted")]
    Depleted,
}

impl BundleMacaroonError {
    /// The hosted API's wording (the `message` of its 402 body).
    pub fn reason(self) -> &'static str {
        match self {
            Self::TooLong | Self::Malformed => "Invalid macaroon format",
            Self::Forged => "Invalid macaroon signature",
            Self::Claims => "Invalid macaroon claims",
            Self::Expired => "Macaroon expired",
            Self::Depleted => "Bundle depleted",
        }
    }
}

/// A bundle size the API sells (facts §2.7); each lasts 90 days from its claim.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BundleTier {
    /// 100 calls for 50 sats.
    Starter,
    /// 1,000 calls for 400 sats.
    Growth,
    /// 10,000 calls for 3,000 sats.
    Scale,
    /// 100,000 calls for 20,000 sats.
    Enterprise,
}

/// Days a claimed bundle lasts.
pub const BUNDLE_VALID_DAYS: i64 = 90;

impl BundleTier {
    /// Every tier, smallest first.
    pub const ALL: [Self; 4] = [Self::Starter, Self::Growth, Self::Scale, Self::Enterprise];

    /// The tier's name on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Starter => "starter",
            Self::Growth => "growth",
            Self::Scale => "scale",
            Self::Enterprise => "enterprise",
        }
    }

    /// Calls the bundle holds.
    pub const fn total_calls(self) -> u64 {
        match self {
            Self::Starter => 100,
            Self::Growth => 1_000,
            Self::Scale => 10_000,
            Self::Enterprise => 100_000,
        }
    }

    /// What the bundle's invoice asks.
    pub const fn price_sats(self) -> u64 {
        match self {
            Self::Starter => 50,
            Self::Growth => 400,
            Self::Scale => 3_000,
            Self::Enterprise => 20_000,
        }
    }

    /// A tier name in any case, as the hosted API reads it.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|tier| tier.as_str().eq_ignore_ascii_case(name))
    }
}

impl std::fmt::Display for BundleTier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Body of `POST /api/public/l402/bundle/invoice`.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BundleInvoiceRequest {
    /// `starter`, `growth`, `scale` or `enterprise` (any case).
    #[serde(default)]
    pub tier: Option<String>,
    /// Named in the macaroon's `aid` (else `default`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    /// The project key, instead of `X-LW-Public`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
}

/// The fields of a [`BundleInvoiceResponse`] as written, sorted.
pub const INVOICE_FIELDS: [&str; 8] = [
    "amountSats",
    "bolt11",
    "bundleId",
    "expiresAtUnix",
    "invoice",
    "paymentHash",
    "tier",
    "totalCalls",
];

/// Result of `POST /api/public/l402/bundle/invoice`: pay `bolt11`, then claim with
/// `paymentHash`.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BundleInvoiceResponse {
    /// `bundle_<tier as sent>_<12 hex>`.
    pub bundle_id: String,
    /// BOLT11 payment request.
    pub invoice: String,
    /// The same string as `invoice`.
    pub bolt11: String,
    /// 64 lowercase hex; the claim names the bundle by it, exactly as written here.
    pub payment_hash: String,
    /// The tier's price.
    pub amount_sats: u64,
    /// After this unix time the invoice cannot be paid.
    pub expires_at_unix: i64,
    /// The tier, as sent.
    pub tier: String,
    /// Calls the bundle will hold.
    pub total_calls: u64,
}

/// Body of `POST /api/public/l402/bundle/claim`.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BundleClaimRequest {
    /// From the invoice response.
    #[serde(default)]
    pub payment_hash: Option<String>,
    /// The project key, instead of `X-LW-Public`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
}

/// Result of a claim of a paid bundle: a fresh macaroon (a secret: `Debug` hides it).
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BundleClaimResponse {
    /// The bundle macaroon: confirm a `forceL402` quote with it.
    pub macaroon: String,
    pub bundle_id: String,
    pub remaining_calls: u64,
    /// Bundle expiry, unix seconds.
    pub expires_at_unix: i64,
    /// [`BUNDLE_SCOPES`].
    pub scopes: Vec<String>,
}

impl std::fmt::Debug for BundleClaimResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BundleClaimResponse")
            .field("macaroon", &"<redacted>")
            .field("bundle_id", &self.bundle_id)
            .field("remaining_calls", &self.remaining_calls)
            .field("expires_at_unix", &self.expires_at_unix)
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// Result of `GET /api/public/l402/bundle/status`.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BundleStatusResponse {
    pub bundle_id: String,
    pub tier: String,
    pub total_calls: u64,
    pub remaining_calls: u64,
    pub used_calls: u64,
    /// Unix seconds: the invoice's expiry until claimed, then the bundle's.
    pub expires_at_unix: i64,
    pub is_expired: bool,
    pub is_depleted: bool,
}

/// The bundle-macaroon property as a plain function: it panics only when the property is
/// violated. The fuzz target `bundle_macaroon` and the testkit proptest call it. Not API.
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing {
    use super::{BundleKey, BundleMacaroonError};

    /// The key the property mints and verifies under.
    pub fn fuzz_key() -> BundleKey {
        BundleKey::from_secret("fuzz bundle key")
    }

    /// Any bytes: verifying never panics; what verifies re-mints to a macaroon that
    /// verifies to the same claims; and a valid macaroon with one byte changed never
    /// verifies to other claims (a change is either refused or, in base64 padding-free
    /// positions only, impossible: the MAC covers the exact text).
    pub fn bundle_macaroon(data: &[u8]) {
        let key = fuzz_key();
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        let _ = key.verify(text);
        let _ = BundleKey::from_secret(super::HOSTED_SECRET).verify(text);
        if let Ok(claims) = key.verify(text) {
            let minted = key.mint(&claims);
            assert_eq!(key.verify(&minted).as_ref(), Ok(&claims), "re-mint differs");
        }
        // Treat the input as claims JSON too: mint it, then flip every byte in turn.
        if let Ok(claims) = serde_json::from_slice::<super::BundleClaims>(data) {
            let minted = key.mint(&claims);
            assert_eq!(key.verify(&minted).as_ref(), Ok(&claims), "mint round trip");
            for i in 0..minted.len() {
                let mut bytes = minted.clone().into_bytes();
                bytes[i] ^= 0x01;
                if let Ok(changed) = String::from_utf8(bytes) {
                    assert!(
                        key.verify(&changed).is_err(),
                        "a changed byte {i} still verifies"
                    );
                }
            }
            let cut = &minted[..minted.len() - 1];
            assert_eq!(
                key.verify(cut),
                Err(BundleMacaroonError::Forged),
                "truncated"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example_claims() -> BundleClaims {
        BundleClaims {
            kid: "00000000-0000-0000-0000-000000000002".into(),
            aid: "agent-1".into(),
            scopes: BUNDLE_SCOPES.map(String::from).to_vec(),
            bid: "bundle_starter_0123456789ab".into(),
            rate: 100,
            exp: 1_790_000_000,
            iat: 1_782_224_000,
            jti: "tok_0123456789ab".into(),
        }
    }

    const EXAMPLE: &str = "eyJraWQiOiIwMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDIiLCJhaWQiOiJhZ2VudC0xIiwic2NvcGVzIjpbIm1jcC52ZXJpZnkiLCJhdXRoLnN0YXJ0Il0sImJpZCI6ImJ1bmRsZV9zdGFydGVyXzAxMjM0NTY3ODlhYiIsInJhdGUiOjEwMCwiZXhwIjoxNzkwMDAwMDAwLCJpYXQiOjE3ODIyMjQwMDAsImp0aSI6InRva18wMTIzNDU2Nzg5YWIifQ==.7kjr4tfV3JFpus9kv4JTfJcx8eHt/7B5MVvr1FrHAXY=";

    /// The worked example of facts §2.8, minted and verified under the hosted key.
    #[test]
    fn the_worked_example() {
        let key = BundleKey::from_secret(HOSTED_SECRET);
        assert_eq!(
            codec::encode_hex(&key.0),
            "0e3ec06696bdab830ea35413c0f6740eaaaac87c216271d480ec673dae93ea00"
        );
        assert_eq!(key.mint(&example_claims()), EXAMPLE);
        assert_eq!(key.verify(EXAMPLE), Ok(example_claims()));
        assert_eq!(example_claims().check(1_790_000_000), Ok(()));
        assert_eq!(
            example_claims().check(1_790_000_001),
            Err(BundleMacaroonError::Expired)
        );
    }

    /// Another key, a cut, a changed claim, a third part: each refused with its reason.
    #[test]
    fn refusals() {
        let ours = BundleKey::from_secret("mock");
        assert_eq!(ours.verify(EXAMPLE), Err(BundleMacaroonError::Forged));
        let hosted = BundleKey::from_secret(HOSTED_SECRET);
        assert_eq!(
            hosted.verify(&EXAMPLE[..EXAMPLE.len() - 2]),
            Err(BundleMacaroonError::Forged)
        );
        assert_eq!(hosted.verify("abc"), Err(BundleMacaroonError::Malformed));
        assert_eq!(
            hosted.verify(&format!("{EXAMPLE}.x")),
            Err(BundleMacaroonError::Malformed)
        );
        let long = "a".repeat(MAX_BUNDLE_MACAROON_LEN + 1);
        assert_eq!(hosted.verify(&long), Err(BundleMacaroonError::TooLong));
        // A MAC over text that is not claims JSON: verified, then refused as claims.
        let first = codec::encode_base64(b"{}");
        let odd = format!("{first}.{}", hosted.mac(&first));
        assert_eq!(hosted.verify(&odd), Err(BundleMacaroonError::Claims));
        let mut depleted = example_claims();
        depleted.rate = 0;
        assert_eq!(depleted.check(0), Err(BundleMacaroonError::Depleted));
        assert_eq!(
            BundleMacaroonError::Forged.reason(),
            "Invalid macaroon signature"
        );
    }

    #[test]
    fn the_property_holds_on_the_example() {
        fuzzing::bundle_macaroon(EXAMPLE.as_bytes());
        let json = serde_json::to_vec(&example_claims()).unwrap();
        fuzzing::bundle_macaroon(&json);
        fuzzing::bundle_macaroon(b"");
    }
}

//! Signed call receipts: what the API hands back with every accepted charge, so the
//! caller can later prove what it was charged (hosted-api-facts §3).
//!
//! - [`v1`]: `mcp-call-receipt-v1`, HMAC-SHA256 under a secret shared with the API; the
//!   hosted API sends it as the charge answer's `receipt`.
//! - `v2` (feature `receipt-v2`): `receipt-v2`, ECDSA P-256 that anyone can verify against
//!   the API's key set (`/.well-known/liveauth-receipt-keys.json`); our mock sends it as
//!   `receiptV2`.
//! - [`json`]: the canonical JSON both payloads are written in (compact, .NET's escaping).
//!
//! Both versions share the envelope ([`SignedReceipt`]) and one rule that matters more
//! than any other: the signature covers the **text** of the base64url `payload`, not the
//! JSON it decodes to, so a verifier checks the signature before it parses anything.

pub mod json;
pub mod v1;
#[cfg(feature = "receipt-v2")]
pub mod v2;

#[cfg(all(feature = "fuzzing", feature = "receipt-v2"))]
#[doc(hidden)]
pub mod fuzzing;

use serde::{Deserialize, Serialize};

crate::text_enum! {
    /// Why a receipt does not verify: the npm verifier's codes (§3.2), in the order it
    /// checks, plus `malformed_receipt` for an envelope that is not a JSON object of
    /// strings. The message of each is `Invalid LiveAuth receipt: <code>`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum ReceiptErrorCode as "receipt error code" {
        /// The envelope is not a JSON object whose fields have the right types.
        MalformedReceipt = "malformed_receipt",
        UnsupportedVersion = "unsupported_receipt_version",
        UnsupportedAlgorithm = "unsupported_receipt_algorithm",
        /// No key of the key set has the envelope's `keyId`.
        UnknownKey = "unknown_receipt_key",
        /// The key set lists the key under another algorithm.
        KeyAlgorithmMismatch = "receipt_key_algorithm_mismatch",
        /// The signature is not canonical unpadded base64url.
        MalformedSignature = "malformed_receipt_signature",
        /// The key set's `publicKey` is not base64 of a P-256 SubjectPublicKeyInfo.
        MalformedPublicKey = "malformed_receipt_public_key",
        /// The signature does not match the payload text under the key.
        InvalidSignature = "invalid_receipt_signature",
        /// The (correctly signed) payload is not base64url of a JSON object.
        MalformedPayload = "malformed_receipt_payload",
        /// The payload's `version`, `algorithm` or key id differs from the envelope's.
        EnvelopePayloadMismatch = "receipt_envelope_payload_mismatch",
        IssuerMismatch = "receipt_issuer_mismatch",
        EnvironmentMismatch = "receipt_environment_mismatch",
    }
}

impl ReceiptErrorCode {
    /// What the code means for whoever holds the receipt, in a sentence.
    pub const fn meaning(self) -> &'static str {
        match self {
            Self::MalformedReceipt => "the receipt is not a JSON object of receipt fields",
            Self::UnsupportedVersion => "the receipt's version is not one this verifier checks",
            Self::UnsupportedAlgorithm => {
                "the receipt's signatureAlgorithm is not the one its version uses"
            }
            Self::UnknownKey => "the key set lists no key with the receipt's keyId",
            Self::KeyAlgorithmMismatch => {
                "the key set lists the receipt's key under another algorithm"
            }
            Self::MalformedSignature => "the signature is not unpadded base64url",
            Self::MalformedPublicKey => {
                "the key set's publicKey is not base64 of a P-256 SubjectPublicKeyInfo"
            }
            Self::InvalidSignature => {
                "the signature does not match the payload: the receipt was altered, or not \
                 signed with this key"
            }
            Self::MalformedPayload => "the signed payload is not base64url of a JSON object",
            Self::EnvelopePayloadMismatch => {
                "the signed payload's version, algorithm or signingKeyId differs from the \
                 envelope's"
            }
            Self::IssuerMismatch => "the receipt was issued by someone else than expected",
            Self::EnvironmentMismatch => "the receipt is of another environment than expected",
        }
    }
}

/// A receipt that does not verify, with its stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Invalid LiveAuth receipt: {0}")]
pub struct ReceiptError(pub ReceiptErrorCode);

impl ReceiptError {
    pub fn code(self) -> ReceiptErrorCode {
        self.0
    }
}

impl From<ReceiptErrorCode> for ReceiptError {
    fn from(code: ReceiptErrorCode) -> Self {
        Self(code)
    }
}

/// The envelope of either version, as the charge answer carries it. Missing fields read
/// as empty (the npm verifier reads them as `undefined`), so an envelope without
/// `version` fails as `unsupported_receipt_version`, as it does there; a missing field
/// stays missing when written back, so a client passes the API's envelope through as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SignedReceipt {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// base64url (no padding) of the payload JSON; the signed bytes are this text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub payload: String,
    /// base64url (no padding) of the signature.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub signature: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub signature_algorithm: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub key_id: String,
    /// A presentation copy of the payload's fields (v1), or `{}` (v2): never signed,
    /// never read by a verifier.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub body: serde_json::Value,
    /// v2 only: whether `body` is covered by the signature (ours: `false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presentation_data_authenticated: Option<bool>,
    /// Every other field the API sent, kept so the envelope passes through whole.
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl SignedReceipt {
    /// Reads an envelope from JSON; anything but an object of the right field types is
    /// `malformed_receipt`.
    pub fn from_json(bytes: &[u8]) -> Result<Self, ReceiptError> {
        let value: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|_| ReceiptError(ReceiptErrorCode::MalformedReceipt))?;
        Self::from_value(&value)
    }

    /// The same, from a JSON value already parsed.
    pub fn from_value(value: &serde_json::Value) -> Result<Self, ReceiptError> {
        // serde would also read a struct from an array.
        if !value.is_object() {
            return Err(ReceiptErrorCode::MalformedReceipt.into());
        }
        Self::deserialize(value).map_err(|_| ReceiptErrorCode::MalformedReceipt.into())
    }
}

/// The signature bytes of an envelope: canonical unpadded base64url, else
/// `malformed_receipt_signature` (the npm verifier also takes non-canonical trailing bits;
/// we do not, so every changed character of a signature fails).
fn signature_bytes(receipt: &SignedReceipt) -> Result<Vec<u8>, ReceiptError> {
    base64url(&receipt.signature).ok_or(ReceiptErrorCode::MalformedSignature.into())
}

/// The payload JSON object of an envelope whose signature already checked out.
fn payload_object(
    receipt: &SignedReceipt,
) -> Result<serde_json::Map<String, serde_json::Value>, ReceiptError> {
    let bytes = base64url(&receipt.payload).ok_or(ReceiptErrorCode::MalformedPayload)?;
    serde_json::from_slice(&bytes).map_err(|_| ReceiptErrorCode::MalformedPayload.into())
}

/// Non-empty canonical unpadded base64url, decoded.
fn base64url(text: &str) -> Option<Vec<u8>> {
    if text.is_empty() {
        return None;
    }
    crate::codec::decode_base64url(text).ok()
}

/// Whether `payload[field]` is the string `expected`.
fn field_is(
    payload: &serde_json::Map<String, serde_json::Value>,
    field: &str,
    expected: &str,
) -> bool {
    payload.get(field).and_then(serde_json::Value::as_str) == Some(expected)
}

/// `createdAt` as .NET's round-trip format writes a UTC time:
/// `yyyy-MM-ddTHH:mm:ss.fffffffZ`, always seven fractional digits (100 ns ticks).
pub fn created_at(unix_secs: i64, ticks: u32) -> String {
    let seconds = crate::time::rfc3339_utc(unix_secs);
    let seconds = seconds.strip_suffix('Z').unwrap_or(&seconds);
    format!("{seconds}.{:07}Z", ticks.min(9_999_999))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_at_has_seven_fractional_digits() {
        // 2026-06-11T12:34:56Z
        assert_eq!(
            created_at(1_781_181_296, 1_234_567),
            "2026-06-11T12:34:56.1234567Z"
        );
        assert_eq!(created_at(0, 0), "1970-01-01T00:00:00.0000000Z");
    }

    #[test]
    fn error_messages_carry_the_code() {
        let error = ReceiptError(ReceiptErrorCode::InvalidSignature);
        assert_eq!(
            error.to_string(),
            "Invalid LiveAuth receipt: invalid_receipt_signature"
        );
    }

    #[test]
    fn envelopes_of_the_wrong_shape_are_malformed() {
        for bad in [&b"[]"[..], b"{\"version\": 2}", b"nope", b""] {
            assert_eq!(
                SignedReceipt::from_json(bad),
                Err(ReceiptError(ReceiptErrorCode::MalformedReceipt))
            );
        }
        let empty = SignedReceipt::from_json(b"{}").unwrap();
        assert_eq!(empty.version, "");
    }
}

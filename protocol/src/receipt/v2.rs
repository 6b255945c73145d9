//! `receipt-v2` (hosted-api-facts §3.2): ECDSA P-256 over SHA-256 that anyone can check
//! against the API's key set, `GET /.well-known/liveauth-receipt-keys.json`.
//!
//! The signature is base64url (no padding) of the 64-byte `r ‖ s` form (IEEE P1363, not
//! DER) over the payload **text**. [`verify`] checks in the npm verifier's order and
//! answers its codes; signing ([`Signer`]) uses RFC 6979 nonces, so the same payload
//! under the same key signs to the same bytes (a replayed charge's receipt is identical).

use p256::ecdsa::signature::{Signer as _, Verifier as _};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePrivateKey as _, DecodePublicKey as _, EncodePublicKey as _};
use serde::{Deserialize, Serialize};

use super::json::{self, Value};
use super::{ReceiptError, ReceiptErrorCode, SignedReceipt};
use crate::codec::{decode_base64_any, encode_base64, encode_base64url};

pub const VERSION: &str = "receipt-v2";
pub const ALGORITHM: &str = "ECDSA-P256-SHA256";
/// The key set document's `version`.
pub const KEY_SET_VERSION: &str = "receipt-key-set-v1";
/// Where an API publishes its key set.
pub const KEY_SET_PATH: &str = "/.well-known/liveauth-receipt-keys.json";

/// A key's `status`: a retired key signs no more receipts but still verifies old ones.
pub const ACTIVE: &str = "active";
pub const RETIRED: &str = "retired";

/// The key set document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ReceiptKeySet {
    /// `receipt-key-set-v1`.
    pub version: String,
    pub keys: Vec<ReceiptKey>,
}

/// One key of a [`ReceiptKeySet`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ReceiptKey {
    pub key_id: String,
    /// `ECDSA-P256-SHA256`.
    pub algorithm: String,
    /// Standard base64 of the DER SubjectPublicKeyInfo.
    pub public_key: String,
    /// `active` or `retired`.
    pub status: String,
}

impl ReceiptKeySet {
    /// The key named `key_id`, if listed.
    pub fn key(&self, key_id: &str) -> Option<&ReceiptKey> {
        self.keys.iter().find(|key| key.key_id == key_id)
    }
}

/// What a verifier may additionally require of the payload.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Expectations<'a> {
    pub issuer: Option<&'a str>,
    pub environment: Option<&'a str>,
}

/// A receipt that verified: its payload and the key that signed it.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified<'k> {
    pub payload: serde_json::Map<String, serde_json::Value>,
    pub key: &'k ReceiptKey,
}

/// Verifies `receipt` against `keys`, in the npm verifier's order: envelope version and
/// algorithm, the key (listed, same algorithm), the signature's form, the public key, the
/// signature over the payload text, and only then the payload (JSON object; its
/// `version`, `algorithm` and `signingKeyId` those of the envelope; issuer and
/// environment if expected).
pub fn verify<'k>(
    receipt: &SignedReceipt,
    keys: &'k ReceiptKeySet,
    expect: &Expectations<'_>,
) -> Result<Verified<'k>, ReceiptError> {
    if receipt.version != VERSION {
        return Err(ReceiptErrorCode::UnsupportedVersion.into());
    }
    if receipt.signature_algorithm != ALGORITHM {
        return Err(ReceiptErrorCode::UnsupportedAlgorithm.into());
    }
    let key = keys
        .key(&receipt.key_id)
        .ok_or(ReceiptErrorCode::UnknownKey)?;
    if key.algorithm != ALGORITHM {
        return Err(ReceiptErrorCode::KeyAlgorithmMismatch.into());
    }
    let signature = super::signature_bytes(receipt)?;
    let public_key = decode_base64_any(&key.public_key)
        .ok()
        .and_then(|der| VerifyingKey::from_public_key_der(&der).ok())
        .ok_or(ReceiptErrorCode::MalformedPublicKey)?;
    // A signature of the wrong length or out-of-range scalars is simply not valid.
    let valid = Signature::from_slice(&signature).is_ok_and(|signature| {
        public_key
            .verify(receipt.payload.as_bytes(), &signature)
            .is_ok()
    });
    if !valid {
        return Err(ReceiptErrorCode::InvalidSignature.into());
    }
    let payload = super::payload_object(receipt)?;
    let consistent = super::field_is(&payload, "version", VERSION)
        && super::field_is(&payload, "algorithm", ALGORITHM)
        && super::field_is(&payload, "signingKeyId", &receipt.key_id);
    if !consistent {
        return Err(ReceiptErrorCode::EnvelopePayloadMismatch.into());
    }
    if let Some(issuer) = expect.issuer
        && !super::field_is(&payload, "issuer", issuer)
    {
        return Err(ReceiptErrorCode::IssuerMismatch.into());
    }
    if let Some(environment) = expect.environment
        && !super::field_is(&payload, "environment", environment)
    {
        return Err(ReceiptErrorCode::EnvironmentMismatch.into());
    }
    Ok(Verified { payload, key })
}

/// What a v2 payload says beyond `version`, `algorithm` and `signingKeyId` (which the
/// [`Signer`] writes first). The npm verifier's fixture has the fields down to
/// `resultHash`; the rest (absent ones are left out) are ours, so a v2 receipt names the
/// charge it proves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Claims<'a> {
    pub issuer: &'a str,
    /// `TEST` or `LIVE`.
    pub environment: &'a str,
    pub amount_debited_sats: u64,
    pub tool_slug: Option<&'a str>,
    /// SHA-256 hex of the call's canonical arguments, if the charge named it.
    pub request_hash: Option<&'a str>,
    pub result_hash: Option<&'a str>,
    pub receipt_id: Option<&'a str>,
    pub revenue_event_id: Option<&'a str>,
    pub created_at: Option<&'a str>,
}

/// A receipt signing key and its id.
#[derive(Clone)]
pub struct Signer {
    key_id: String,
    key: SigningKey,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

/// A private key that cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a P-256 private key in PKCS#8 (DER or PEM)")]
pub struct KeyError;

impl Signer {
    /// A key from PKCS#8, DER or PEM (`-----BEGIN PRIVATE KEY-----`).
    pub fn from_pkcs8(key_id: &str, bytes: &[u8]) -> Result<Self, KeyError> {
        let key = match std::str::from_utf8(bytes) {
            Ok(pem) if pem.trim_start().starts_with("-----BEGIN") => {
                SigningKey::from_pkcs8_pem(pem.trim())
            }
            _ => SigningKey::from_pkcs8_der(bytes),
        };
        key.map(|key| Self::new(key_id, key)).map_err(|_| KeyError)
    }

    /// A key whose secret scalar is `secret` (big-endian), if it is one (non-zero, below
    /// the group order: every value but about 1 in 2^128).
    pub fn from_secret(key_id: &str, secret: &[u8; 32]) -> Result<Self, KeyError> {
        SigningKey::from_slice(secret)
            .map(|key| Self::new(key_id, key))
            .map_err(|_| KeyError)
    }

    fn new(key_id: &str, key: SigningKey) -> Self {
        Self {
            key_id: key_id.to_owned(),
            key,
        }
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// This key's entry in a key set, with `status`.
    pub fn key_set_entry(&self, status: &str) -> ReceiptKey {
        let der = self
            .key
            .verifying_key()
            .to_public_key_der()
            .map(|document| encode_base64(document.as_bytes()))
            .unwrap_or_default();
        ReceiptKey {
            key_id: self.key_id.clone(),
            algorithm: ALGORITHM.into(),
            public_key: der,
            status: status.into(),
        }
    }

    /// The receipt of `claims`.
    pub fn sign(&self, claims: &Claims<'_>) -> SignedReceipt {
        let mut fields = vec![
            ("version", Value::Str(VERSION)),
            ("algorithm", Value::Str(ALGORITHM)),
            ("signingKeyId", Value::Str(&self.key_id)),
            ("issuer", Value::Str(claims.issuer)),
            ("environment", Value::Str(claims.environment)),
            ("amountDebitedSats", Value::Int(claims.amount_debited_sats)),
        ];
        let optional = [
            ("toolSlug", claims.tool_slug),
            ("requestHash", claims.request_hash),
            ("resultHash", claims.result_hash),
            ("receiptId", claims.receipt_id),
            ("revenueEventId", claims.revenue_event_id),
            ("createdAt", claims.created_at),
        ];
        fields.extend(
            optional
                .into_iter()
                .filter_map(|(name, value)| Some((name, Value::Str(value?)))),
        );
        self.sign_payload_json(&json::object(&fields))
    }

    /// The receipt whose payload is `payload_json` as given.
    pub fn sign_payload_json(&self, payload_json: &str) -> SignedReceipt {
        let payload = encode_base64url(payload_json.as_bytes());
        let signature: Signature = self.key.sign(payload.as_bytes());
        SignedReceipt {
            version: VERSION.into(),
            payload,
            signature: encode_base64url(&signature.to_bytes()),
            signature_algorithm: ALGORITHM.into(),
            key_id: self.key_id.clone(),
            body: serde_json::Value::Object(serde_json::Map::new()),
            presentation_data_authenticated: Some(false),
            extra: serde_json::Map::new(),
        }
    }
}

/// hosted-api-facts §3.2's worked example: a key generated for it, a receipt signed by
/// Node. For tests and fuzz seeds; never a key to trust.
pub mod example {
    /// The key's id.
    pub const KEY_ID: &str = "key-a";
    /// Its public key, standard base64 of the SPKI DER.
    pub const PUBLIC_KEY: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEmREXpitO3oRJwNV3hMnqmHQsh8ZdwzoRA7k4kcApsXEzNDuqr6rsN5eWCk2r2F4kopLcHyhkZyFkdVJV33D8ag==";
    /// Its private key (PKCS#8 DER, standard base64): test only.
    pub const PRIVATE_KEY: &str = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgZARfubJ1D1m1NvsnWD/wseL/MDeGFxSigcSaPAZS4t6hRANCAASZERemK07ehEnA1XeEyeqYdCyHxl3DOhEDuTiRwCmxcTM0O6qvquw3l5YKTavYXiSiktwfKGRnIWR1UlXfcPxq";
    pub const PAYLOAD: &str = "eyJ2ZXJzaW9uIjoicmVjZWlwdC12MiIsImFsZ29yaXRobSI6IkVDRFNBLVAyNTYtU0hBMjU2Iiwic2lnbmluZ0tleUlkIjoia2V5LWEiLCJpc3N1ZXIiOiJMaXZlQXV0aCBUZXN0IiwiZW52aXJvbm1lbnQiOiJURVNUIiwiYW1vdW50RGViaXRlZFNhdHMiOjUsInRvb2xTbHVnIjoiaW5zcGVjdCIsInJlcXVlc3RIYXNoIjoiYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYSIsInJlc3VsdEhhc2giOiJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiIn0";
    pub const SIGNATURE: &str =
        "_3KhCj3bgthcO6SUbS3d4nwjES-pK6_25suJNrTsnRLn88V2AgZ_n5Pp3rggVLLiKG1_0jPE5lopDnlwUrGZVQ";

    /// The example's key set (the key, active).
    pub fn key_set() -> super::ReceiptKeySet {
        super::ReceiptKeySet {
            version: super::KEY_SET_VERSION.into(),
            keys: vec![super::ReceiptKey {
                key_id: KEY_ID.into(),
                algorithm: super::ALGORITHM.into(),
                public_key: PUBLIC_KEY.into(),
                status: super::ACTIVE.into(),
            }],
        }
    }

    /// The example's receipt (empty body, as the npm fixture has it).
    pub fn receipt() -> super::SignedReceipt {
        super::SignedReceipt {
            version: super::VERSION.into(),
            payload: PAYLOAD.into(),
            signature: SIGNATURE.into(),
            signature_algorithm: super::ALGORITHM.into(),
            key_id: KEY_ID.into(),
            body: serde_json::json!({}),
            presentation_data_authenticated: Some(false),
            extra: serde_json::Map::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::decode_base64;

    fn code(receipt: &SignedReceipt, keys: &ReceiptKeySet) -> ReceiptErrorCode {
        verify(receipt, keys, &Expectations::default())
            .unwrap_err()
            .code()
    }

    fn example_claims() -> Claims<'static> {
        Claims {
            issuer: "LiveAuth Test",
            environment: "TEST",
            amount_debited_sats: 5,
            tool_slug: Some("inspect"),
            request_hash: Some("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
            result_hash: Some("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"),
            ..Claims::default()
        }
    }

    fn example_signer() -> Signer {
        let der = decode_base64(example::PRIVATE_KEY).unwrap();
        Signer::from_pkcs8(example::KEY_ID, &der).unwrap()
    }

    #[test]
    fn the_worked_example_verifies_with_its_public_key() {
        let keys = example::key_set();
        let verified = verify(
            &example::receipt(),
            &keys,
            &Expectations {
                issuer: Some("LiveAuth Test"),
                environment: Some("TEST"),
            },
        )
        .unwrap();
        assert_eq!(verified.key.key_id, "key-a");
        assert_eq!(verified.payload["amountDebitedSats"], 5);
        assert_eq!(verified.payload["toolSlug"], "inspect");
    }

    /// The example's private key is the pair of its public key, and our payload for the
    /// fixture's claims is the fixture's payload byte for byte.
    #[test]
    fn our_signer_writes_the_worked_example_payload() {
        let signer = example_signer();
        assert_eq!(signer.key_set_entry(ACTIVE), example::key_set().keys[0]);
        let ours = signer.sign(&example_claims());
        assert_eq!(ours.payload, example::PAYLOAD);
        verify(&ours, &example::key_set(), &Expectations::default()).unwrap();
        // RFC 6979: the same payload signs to the same bytes.
        assert_eq!(signer.sign(&example_claims()), ours);
    }

    /// Every changed character of the payload or the signature fails: the signature is
    /// checked over the payload text before the payload is read.
    #[test]
    fn every_changed_character_fails() {
        let keys = example::key_set();
        let receipt = example::receipt();
        for i in 0..receipt.payload.len() {
            let mut tampered = receipt.clone();
            let mut bytes = tampered.payload.into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            tampered.payload = String::from_utf8(bytes).unwrap();
            assert_eq!(
                code(&tampered, &keys),
                ReceiptErrorCode::InvalidSignature,
                "payload[{i}]"
            );
        }
        for i in 0..receipt.signature.len() {
            let mut tampered = receipt.clone();
            let mut bytes = tampered.signature.into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            tampered.signature = String::from_utf8(bytes).unwrap();
            let got = code(&tampered, &keys);
            // The last character's low bits are padding, which must be zero.
            let last_may_be_malformed =
                i == receipt.signature.len() - 1 && got == ReceiptErrorCode::MalformedSignature;
            assert!(
                got == ReceiptErrorCode::InvalidSignature || last_may_be_malformed,
                "signature[{i}]: {got}"
            );
        }
        // The same signature over the decoded JSON instead of the payload text fails.
        let json = crate::codec::decode_base64url(&receipt.payload).unwrap();
        let public =
            VerifyingKey::from_public_key_der(&decode_base64(example::PUBLIC_KEY).unwrap())
                .unwrap();
        let signature =
            Signature::from_slice(&crate::codec::decode_base64url(example::SIGNATURE).unwrap())
                .unwrap();
        assert!(public.verify(&json, &signature).is_err());
    }

    /// Each check, broken alone (and with every later one broken too), gives its code.
    #[test]
    fn checks_run_in_the_npm_verifiers_order() {
        let keys = example::key_set();
        let good = example::receipt();
        let other_key = |f: &dyn Fn(&mut ReceiptKey)| {
            let mut keys = example::key_set();
            f(&mut keys.keys[0]);
            keys
        };
        let broken = SignedReceipt {
            version: "receipt-v1".into(),
            signature_algorithm: "HS256".into(),
            key_id: "nobody".into(),
            signature: "*".into(),
            ..good.clone()
        };
        assert_eq!(code(&broken, &keys), ReceiptErrorCode::UnsupportedVersion);
        let broken = SignedReceipt {
            version: VERSION.into(),
            ..broken
        };
        assert_eq!(code(&broken, &keys), ReceiptErrorCode::UnsupportedAlgorithm);
        let broken = SignedReceipt {
            signature_algorithm: ALGORITHM.into(),
            ..broken
        };
        assert_eq!(code(&broken, &keys), ReceiptErrorCode::UnknownKey);
        let broken = SignedReceipt {
            key_id: example::KEY_ID.into(),
            ..broken
        };
        let garbled = other_key(&|key| {
            key.algorithm = "ES384".into();
            key.public_key = "!!".into();
        });
        assert_eq!(
            code(&broken, &garbled),
            ReceiptErrorCode::KeyAlgorithmMismatch
        );
        let garbled = other_key(&|key| key.public_key = "!!".into());
        assert_eq!(
            code(&broken, &garbled),
            ReceiptErrorCode::MalformedSignature
        );
        assert_eq!(code(&good, &garbled), ReceiptErrorCode::MalformedPublicKey);
        // A valid SPKI of another key: the signature does not match.
        let another = Signer::from_secret("key-a", &[7; 32]).unwrap();
        let another_set = ReceiptKeySet {
            version: KEY_SET_VERSION.into(),
            keys: vec![another.key_set_entry(ACTIVE)],
        };
        assert_eq!(
            code(&good, &another_set),
            ReceiptErrorCode::InvalidSignature
        );
        let short = SignedReceipt {
            signature: encode_base64url(&[1; 63]),
            ..good.clone()
        };
        assert_eq!(code(&short, &keys), ReceiptErrorCode::InvalidSignature);
        let zero = SignedReceipt {
            signature: encode_base64url(&[0; 64]),
            ..good.clone()
        };
        assert_eq!(code(&zero, &keys), ReceiptErrorCode::InvalidSignature);

        // Correctly signed payloads that are wrong in themselves.
        let signer = example_signer();
        for (json, expected) in [
            ("not json", ReceiptErrorCode::MalformedPayload),
            ("\"text\"", ReceiptErrorCode::MalformedPayload),
            (
                r#"{"version":"receipt-v2","algorithm":"ECDSA-P256-SHA256","signingKeyId":"key-b"}"#,
                ReceiptErrorCode::EnvelopePayloadMismatch,
            ),
            (
                r#"{"version":"receipt-v2","algorithm":"ES256","signingKeyId":"key-a"}"#,
                ReceiptErrorCode::EnvelopePayloadMismatch,
            ),
        ] {
            let receipt = signer.sign_payload_json(json);
            assert_eq!(code(&receipt, &keys), expected, "{json}");
        }
        let expect = |issuer, environment| Expectations {
            issuer: Some(issuer),
            environment: Some(environment),
        };
        let result = verify(&good, &keys, &expect("LiveAuth", "LIVE"));
        assert_eq!(result.unwrap_err().code(), ReceiptErrorCode::IssuerMismatch);
        let result = verify(&good, &keys, &expect("LiveAuth Test", "LIVE"));
        assert_eq!(
            result.unwrap_err().code(),
            ReceiptErrorCode::EnvironmentMismatch
        );
    }

    #[test]
    fn a_retired_key_still_verifies() {
        let old = example_signer();
        let new = Signer::from_secret("key-b", &[9; 32]).unwrap();
        let keys = ReceiptKeySet {
            version: KEY_SET_VERSION.into(),
            keys: vec![new.key_set_entry(ACTIVE), old.key_set_entry(RETIRED)],
        };
        verify(&example::receipt(), &keys, &Expectations::default()).unwrap();
        verify(
            &new.sign(&example_claims()),
            &keys,
            &Expectations::default(),
        )
        .unwrap();
    }

    #[test]
    fn keys_load_from_pem_and_refuse_garbage() {
        let der = decode_base64(example::PRIVATE_KEY).unwrap();
        let body: Vec<String> = example::PRIVATE_KEY
            .as_bytes()
            .chunks(64)
            .map(|line| String::from_utf8(line.to_vec()).unwrap())
            .collect();
        let pem = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            body.join("\n")
        );
        let from_pem = Signer::from_pkcs8("key-a", pem.as_bytes()).unwrap();
        let from_der = Signer::from_pkcs8("key-a", &der).unwrap();
        assert_eq!(
            from_pem.key_set_entry(ACTIVE),
            from_der.key_set_entry(ACTIVE)
        );
        assert_eq!(Signer::from_pkcs8("k", b"junk").unwrap_err(), KeyError);
        assert!(Signer::from_secret("k", &[0; 32]).is_err());
        assert!(Signer::from_secret("k", &[0xff; 32]).is_err());
    }
}

//! The receipt verifiers as a fuzz property over bytes: the `receipt_verify` target in
//! `fuzz/` and the proptests of `testkit/tests/fuzz_protocol.rs` call it. It panics only
//! when a property is violated. Not API: compiled only with `fuzzing` and `receipt-v2`.
//!
//! The input is an envelope's JSON, verified as v2 against the worked example's key set
//! and as v1 under the worked example's key (hosted-api-facts §3). Properties: no panic;
//! the first check decides the code (a wrong `version` is always
//! `unsupported_receipt_version`); a receipt that verifies really is signed (checked again
//! with the raw primitives, not the verifier's helpers); and changing any character of
//! its payload then fails as `invalid_receipt_signature`.

use hmac::{Hmac, KeyInit as _, Mac as _};
use p256::ecdsa::signature::Verifier as _;
use sha2::Sha256;

use super::{ReceiptErrorCode, SignedReceipt, v1, v2};

/// The v1 worked example's key.
pub const V1_KEY: &[u8] = b"test-jwt-signing-key-that-is-at-least-32-bytes-long";

pub fn receipt_verify(data: &[u8]) {
    let Ok(receipt) = SignedReceipt::from_json(data) else {
        return;
    };
    let keys = v2::example::key_set();
    let result = v2::verify(&receipt, &keys, &v2::Expectations::default());
    assert_eq!(
        result,
        v2::verify(&receipt, &keys, &v2::Expectations::default()),
        "verification is deterministic"
    );
    match &result {
        Err(error) if receipt.version != v2::VERSION => {
            assert_eq!(error.code(), ReceiptErrorCode::UnsupportedVersion);
        }
        Err(_) => {}
        Ok(verified) => {
            assert!(raw_p256(&receipt), "verified but not signed: {receipt:?}");
            assert_eq!(verified.payload["signingKeyId"], receipt.key_id.as_str());
            tampered_fails(&receipt, &|r| {
                v2::verify(r, &keys, &v2::Expectations::default()).map(|_| ())
            });
        }
    }
    match v1::verify(&receipt, V1_KEY) {
        Err(error) if receipt.version != v1::VERSION => {
            assert_eq!(error.code(), ReceiptErrorCode::UnsupportedVersion);
        }
        Err(_) => {}
        Ok(payload) => {
            assert!(raw_hmac(&receipt), "verified but not signed: {receipt:?}");
            assert_eq!(payload["version"], v1::VERSION);
            tampered_fails(&receipt, &|r| v1::verify(r, V1_KEY).map(|_| ()));
        }
    }
}

/// A verified receipt with one payload character changed (at a few spread positions)
/// fails on its signature.
fn tampered_fails(
    receipt: &SignedReceipt,
    verify: &dyn Fn(&SignedReceipt) -> Result<(), super::ReceiptError>,
) {
    let len = receipt.payload.len();
    for i in (0..len).step_by(len.div_ceil(8).max(1)) {
        let mut bytes = receipt.payload.clone().into_bytes();
        bytes[i] = if bytes[i] == b'x' { b'y' } else { b'x' };
        let tampered = SignedReceipt {
            payload: String::from_utf8_lossy(&bytes).into_owned(),
            ..receipt.clone()
        };
        assert_eq!(
            verify(&tampered).map_err(|error| error.code()),
            Err(ReceiptErrorCode::InvalidSignature),
            "payload[{i}] changed"
        );
    }
}

fn decode_url(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .ok()
}

fn raw_p256(receipt: &SignedReceipt) -> bool {
    use base64::Engine as _;
    use p256::pkcs8::DecodePublicKey as _;
    let Ok(der) = base64::engine::general_purpose::STANDARD.decode(v2::example::PUBLIC_KEY) else {
        return false;
    };
    let Ok(key) = p256::ecdsa::VerifyingKey::from_public_key_der(&der) else {
        return false;
    };
    let signature = decode_url(&receipt.signature)
        .and_then(|bytes| p256::ecdsa::Signature::from_slice(&bytes).ok());
    signature.is_some_and(|signature| key.verify(receipt.payload.as_bytes(), &signature).is_ok())
}

fn raw_hmac(receipt: &SignedReceipt) -> bool {
    let Ok(mut mac) = <Hmac<Sha256>>::new_from_slice(V1_KEY) else {
        return false;
    };
    mac.update(receipt.payload.as_bytes());
    let expected = mac.finalize().into_bytes();
    decode_url(&receipt.signature).is_some_and(|bytes| bytes[..] == expected[..])
}

//! `mcp-call-receipt-v1` (hosted-api-facts §3.1): the hosted API's receipt, an HMAC-SHA256
//! under a secret it shares with nobody but the verifier it trusts.
//!
//! The payload is base64url (no padding) of the receipt's fields as compact JSON, keys in
//! sorted order, every key present (`null` when absent); the signature is base64url of
//! HMAC-SHA256(key, the payload **text**). `body` repeats the fields for reading.

use hmac::{Hmac, KeyInit as _, Mac as _};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::json::{self, Value};
use super::{ReceiptError, ReceiptErrorCode, SignedReceipt};
use crate::codec::encode_base64url;

pub const VERSION: &str = "mcp-call-receipt-v1";
pub const ALGORITHM: &str = "HMAC-SHA256";
/// The hosted API's `Mcp:ReceiptKeyId` default.
pub const DEFAULT_KEY_ID: &str = "liveauth-mcp-receipt-v1";
/// `status` of a receipt: only charged events get one.
pub const STATUS_CHARGED: &str = "Charged";

/// The §3.1 payload keys, in their (sorted) order.
pub const PAYLOAD_KEYS: [&str; 19] = [
    "agentId",
    "createdAt",
    "feeBasisPoints",
    "grossSats",
    "idempotencyKey",
    "mcpGateSessionId",
    "mcpGateTokenId",
    "mcpToolId",
    "netSats",
    "payingProjectId",
    "platformFeeSats",
    "receiptId",
    "requestId",
    "revenueEventId",
    "status",
    "toolMethodName",
    "toolName",
    "toolSlug",
    "version",
];
/// The eight more keys of a receipt with an attestation, between `agentId` and
/// `createdAt`.
pub const ATTESTATION_KEYS: [&str; 8] = [
    "attestationClaims",
    "attestationClaimsSha256",
    "attestationKind",
    "attestationNetwork",
    "attestationObservedAt",
    "attestationOperation",
    "attestationSource",
    "attestationSubjectId",
];

/// The fields of a v1 receipt, declared in the order of the hosted `body`; the payload
/// sorts them ([`CallReceipt::canonical_json`]). GUIDs are lowercase hyphenated text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallReceipt {
    /// `mcp_receipt_` and the revenue event's 32 hex digits.
    pub receipt_id: String,
    pub revenue_event_id: String,
    pub mcp_tool_id: Option<String>,
    pub tool_name: Option<String>,
    pub tool_slug: Option<String>,
    pub tool_method_name: Option<String>,
    pub mcp_gate_token_id: Option<String>,
    pub mcp_gate_session_id: Option<String>,
    /// `null` on a caller-funded call.
    pub paying_project_id: Option<String>,
    pub agent_id: Option<String>,
    pub gross_sats: u64,
    pub platform_fee_sats: u64,
    pub net_sats: u64,
    pub fee_basis_points: u64,
    pub status: String,
    pub idempotency_key: Option<String>,
    /// The API's trace identifier of the charge's first request.
    pub request_id: Option<String>,
    /// [`super::created_at`]'s form.
    pub created_at: String,
}

impl CallReceipt {
    /// `mcp_receipt_` and the GUID's hex digits without hyphens.
    pub fn receipt_id_for(revenue_event_id: &str) -> String {
        format!("mcp_receipt_{}", revenue_event_id.replace('-', ""))
    }

    /// The payload JSON: every key, sorted (ordinal order, which is .NET's culture order
    /// for these keys), `null` when absent, `version` included.
    pub fn canonical_json(&self) -> String {
        fn s(text: &Option<String>) -> Value<'_> {
            Value::from(text.as_deref())
        }
        json::object(&[
            ("agentId", s(&self.agent_id)),
            ("createdAt", Value::Str(&self.created_at)),
            ("feeBasisPoints", Value::Int(self.fee_basis_points)),
            ("grossSats", Value::Int(self.gross_sats)),
            ("idempotencyKey", s(&self.idempotency_key)),
            ("mcpGateSessionId", s(&self.mcp_gate_session_id)),
            ("mcpGateTokenId", s(&self.mcp_gate_token_id)),
            ("mcpToolId", s(&self.mcp_tool_id)),
            ("netSats", Value::Int(self.net_sats)),
            ("payingProjectId", s(&self.paying_project_id)),
            ("platformFeeSats", Value::Int(self.platform_fee_sats)),
            ("receiptId", Value::Str(&self.receipt_id)),
            ("requestId", s(&self.request_id)),
            ("revenueEventId", Value::Str(&self.revenue_event_id)),
            ("status", Value::Str(&self.status)),
            ("toolMethodName", s(&self.tool_method_name)),
            ("toolName", s(&self.tool_name)),
            ("toolSlug", s(&self.tool_slug)),
            ("version", Value::Str(VERSION)),
        ])
    }

    /// The signed envelope under `key` (the secret's UTF-8 bytes), named `key_id`.
    pub fn sign(&self, key: &[u8], key_id: &str) -> SignedReceipt {
        let payload = encode_base64url(self.canonical_json().as_bytes());
        let signature = encode_base64url(&mac(key, &payload).finalize().into_bytes());
        let mut body = serde_json::to_value(self).unwrap_or_default();
        if let Some(fields) = body.as_object_mut() {
            // The hosted body's last field; our receipts carry no attestation.
            fields.insert("attestation".into(), serde_json::Value::Null);
        }
        SignedReceipt {
            version: VERSION.into(),
            payload,
            signature,
            signature_algorithm: ALGORITHM.into(),
            key_id: key_id.into(),
            body,
            presentation_data_authenticated: None,
            extra: serde_json::Map::new(),
        }
    }
}

fn mac(key: &[u8], payload: &str) -> Hmac<Sha256> {
    // HMAC takes a key of any length.
    let mut mac = <Hmac<Sha256>>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(payload.as_bytes());
    mac
}

/// Verifies a v1 receipt under `key`, in the v2 verifier's order: version, algorithm,
/// signature (over the payload text, before anything is parsed), payload, and the
/// payload's `version`. Returns the payload's fields.
pub fn verify(
    receipt: &SignedReceipt,
    key: &[u8],
) -> Result<serde_json::Map<String, serde_json::Value>, ReceiptError> {
    if receipt.version != VERSION {
        return Err(ReceiptErrorCode::UnsupportedVersion.into());
    }
    if receipt.signature_algorithm != ALGORITHM {
        return Err(ReceiptErrorCode::UnsupportedAlgorithm.into());
    }
    let signature = super::signature_bytes(receipt)?;
    mac(key, &receipt.payload)
        .verify_slice(&signature)
        .map_err(|_| ReceiptError(ReceiptErrorCode::InvalidSignature))?;
    let payload = super::payload_object(receipt)?;
    if !super::field_is(&payload, "version", VERSION) {
        return Err(ReceiptErrorCode::EnvelopePayloadMismatch.into());
    }
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// hosted-api-facts §3.1's worked example.
    pub(crate) const KEY: &[u8] = b"test-jwt-signing-key-that-is-at-least-32-bytes-long";
    const JSON: &str = r#"{"agentId":"agent-1","createdAt":"2026-06-11T12:34:56.1234567Z","feeBasisPoints":500,"grossSats":5,"idempotencyKey":"call-1","mcpGateSessionId":"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb","mcpGateTokenId":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","mcpToolId":"11111111-2222-4333-8444-555555555555","netSats":4,"payingProjectId":"00000000-0000-0000-0000-000000000002","platformFeeSats":1,"receiptId":"mcp_receipt_3f2b8c1e5d4a4e6f9a7b1c2d3e4f5a6b","requestId":"0HN7ABCDEF12:00000001","revenueEventId":"3f2b8c1e-5d4a-4e6f-9a7b-1c2d3e4f5a6b","status":"Charged","toolMethodName":"web_fetch","toolName":"Test Web Fetch","toolSlug":"test-web-fetch","version":"mcp-call-receipt-v1"}"#;
    const PAYLOAD: &str = "eyJhZ2VudElkIjoiYWdlbnQtMSIsImNyZWF0ZWRBdCI6IjIwMjYtMDYtMTFUMTI6MzQ6NTYuMTIzNDU2N1oiLCJmZWVCYXNpc1BvaW50cyI6NTAwLCJncm9zc1NhdHMiOjUsImlkZW1wb3RlbmN5S2V5IjoiY2FsbC0xIiwibWNwR2F0ZVNlc3Npb25JZCI6ImJiYmJiYmJiLWJiYmItNGJiYi04YmJiLWJiYmJiYmJiYmJiYiIsIm1jcEdhdGVUb2tlbklkIjoiYWFhYWFhYWEtYWFhYS00YWFhLThhYWEtYWFhYWFhYWFhYWFhIiwibWNwVG9vbElkIjoiMTExMTExMTEtMjIyMi00MzMzLTg0NDQtNTU1NTU1NTU1NTU1IiwibmV0U2F0cyI6NCwicGF5aW5nUHJvamVjdElkIjoiMDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAyIiwicGxhdGZvcm1GZWVTYXRzIjoxLCJyZWNlaXB0SWQiOiJtY3BfcmVjZWlwdF8zZjJiOGMxZTVkNGE0ZTZmOWE3YjFjMmQzZTRmNWE2YiIsInJlcXVlc3RJZCI6IjBITjdBQkNERUYxMjowMDAwMDAwMSIsInJldmVudWVFdmVudElkIjoiM2YyYjhjMWUtNWQ0YS00ZTZmLTlhN2ItMWMyZDNlNGY1YTZiIiwic3RhdHVzIjoiQ2hhcmdlZCIsInRvb2xNZXRob2ROYW1lIjoid2ViX2ZldGNoIiwidG9vbE5hbWUiOiJUZXN0IFdlYiBGZXRjaCIsInRvb2xTbHVnIjoidGVzdC13ZWItZmV0Y2giLCJ2ZXJzaW9uIjoibWNwLWNhbGwtcmVjZWlwdC12MSJ9";

    pub(crate) fn example() -> CallReceipt {
        CallReceipt {
            receipt_id: "mcp_receipt_3f2b8c1e5d4a4e6f9a7b1c2d3e4f5a6b".into(),
            revenue_event_id: "3f2b8c1e-5d4a-4e6f-9a7b-1c2d3e4f5a6b".into(),
            mcp_tool_id: Some("11111111-2222-4333-8444-555555555555".into()),
            tool_name: Some("Test Web Fetch".into()),
            tool_slug: Some("test-web-fetch".into()),
            tool_method_name: Some("web_fetch".into()),
            mcp_gate_token_id: Some("aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa".into()),
            mcp_gate_session_id: Some("bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb".into()),
            paying_project_id: Some("00000000-0000-0000-0000-000000000002".into()),
            agent_id: Some("agent-1".into()),
            gross_sats: 5,
            platform_fee_sats: 1,
            net_sats: 4,
            fee_basis_points: 500,
            status: STATUS_CHARGED.into(),
            idempotency_key: Some("call-1".into()),
            request_id: Some("0HN7ABCDEF12:00000001".into()),
            created_at: super::super::created_at(1_781_181_296, 1_234_567),
        }
    }

    #[test]
    fn the_worked_example_is_reproduced_exactly() {
        let receipt = example();
        assert_eq!(receipt.canonical_json(), JSON);
        assert_eq!(
            CallReceipt::receipt_id_for(&receipt.revenue_event_id),
            receipt.receipt_id
        );
        let signed = receipt.sign(KEY, DEFAULT_KEY_ID);
        assert_eq!(signed.payload, PAYLOAD);
        assert_eq!(
            signed.signature,
            "WfSHpVoDUTDI4t7FLE_yai9oN5yvEgy7JkZMTUHmP3k"
        );
        assert_eq!(signed.version, VERSION);
        assert_eq!(signed.signature_algorithm, ALGORITHM);
        assert_eq!(signed.key_id, DEFAULT_KEY_ID);
        assert_eq!(signed.body["grossSats"], 5);
        assert_eq!(signed.body["attestation"], serde_json::Value::Null);
        let payload = verify(&signed, KEY).unwrap();
        assert_eq!(payload["receiptId"], receipt.receipt_id.as_str());
    }

    #[test]
    fn the_worked_example_with_nulls_is_reproduced_exactly() {
        let receipt = CallReceipt {
            agent_id: None,
            idempotency_key: None,
            ..example()
        };
        let json = receipt.canonical_json();
        assert!(json.starts_with(r#"{"agentId":null,"#), "{json}");
        assert!(json.contains(r#","idempotencyKey":null,"#), "{json}");
        let signed = receipt.sign(KEY, DEFAULT_KEY_ID);
        assert_eq!(
            signed.signature,
            "MhSK8WIXRsCZJFcO6YD4sonwmaNwKoiQbIj4-Yi-t9M"
        );
        verify(&signed, KEY).unwrap();
    }

    /// Every changed character of the payload or the signature fails, as a changed
    /// signature: the signature is checked before anything is parsed.
    #[test]
    fn every_changed_character_fails() {
        let signed = example().sign(KEY, DEFAULT_KEY_ID);
        for (field, text) in [
            ("payload", &signed.payload),
            ("signature", &signed.signature),
        ] {
            for i in 0..text.len() {
                let mut bytes = text.clone().into_bytes();
                bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
                let changed = String::from_utf8(bytes).unwrap();
                let mut tampered = signed.clone();
                if field == "payload" {
                    tampered.payload = changed;
                } else {
                    tampered.signature = changed;
                }
                let code = verify(&tampered, KEY).unwrap_err().code();
                let expected = if field == "signature" && i == text.len() - 1 {
                    // The last character carries padding bits, which must be zero.
                    [
                        ReceiptErrorCode::InvalidSignature,
                        ReceiptErrorCode::MalformedSignature,
                    ]
                } else {
                    [ReceiptErrorCode::InvalidSignature; 2]
                };
                assert!(expected.contains(&code), "{field}[{i}]: {code}");
            }
        }
    }

    #[test]
    fn checks_run_in_order() {
        let signed = example().sign(KEY, DEFAULT_KEY_ID);
        let code = |receipt: &SignedReceipt, key: &[u8]| verify(receipt, key).unwrap_err().code();
        let wrong = SignedReceipt {
            version: "v0".into(),
            signature_algorithm: "none".into(),
            ..signed.clone()
        };
        assert_eq!(code(&wrong, KEY), ReceiptErrorCode::UnsupportedVersion);
        let wrong = SignedReceipt {
            signature_algorithm: "none".into(),
            signature: "!".into(),
            ..signed.clone()
        };
        assert_eq!(code(&wrong, KEY), ReceiptErrorCode::UnsupportedAlgorithm);
        let wrong = SignedReceipt {
            signature: "a+b/".into(),
            ..signed.clone()
        };
        assert_eq!(code(&wrong, KEY), ReceiptErrorCode::MalformedSignature);
        assert_eq!(
            code(&signed, b"another key"),
            ReceiptErrorCode::InvalidSignature
        );
        // A correctly signed payload that is no JSON object, or of another version.
        for (text, expected) in [
            ("not json", ReceiptErrorCode::MalformedPayload),
            ("[1]", ReceiptErrorCode::MalformedPayload),
            (
                r#"{"version":"receipt-v2"}"#,
                ReceiptErrorCode::EnvelopePayloadMismatch,
            ),
        ] {
            let payload = encode_base64url(text.as_bytes());
            let signature = encode_base64url(&mac(KEY, &payload).finalize().into_bytes());
            let odd = SignedReceipt {
                payload,
                signature,
                ..signed.clone()
            };
            assert_eq!(code(&odd, KEY), expected, "{text}");
        }
    }
}

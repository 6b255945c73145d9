//! Receipts on accepted charges (hosted-api-facts §3): the v1 `receipt`'s shape, which
//! the hosted API sends (compat), and our promises (strict): a `receiptV2` that verifies
//! against `/.well-known/liveauth-receipt-keys.json`, receipts byte-identical on a replay.

use liveauth_protocol::codec::decode_base64url;
use liveauth_protocol::receipt::v2::{self, Expectations, ReceiptKeySet};
use liveauth_protocol::receipt::{SignedReceipt, v1};
use serde_json::Value;

use crate::client::{Idempotency, Session};
use crate::{CheckResult, Ctx, Outcome, ensure};

/// An accepted charge's answer, with a key unique to the run.
async fn accepted(ctx: &Ctx, session: &Session, key: &str) -> Result<Value, String> {
    let key = format!("{}-{key}", session.quote_id);
    let resp = ctx
        .api
        .charge(&session.jwt, 2, Idempotency::Body(&key))
        .await?;
    let body = resp.expect(200, "charge")?;
    ensure!(
        body["status"] == "ok",
        "the charge was not accepted: {body}"
    );
    Ok(body.clone())
}

fn envelope(body: &Value, field: &str) -> Result<SignedReceipt, String> {
    let value = body
        .get(field)
        .ok_or_else(|| format!("an accepted charge has no `{field}`: {body}"))?;
    SignedReceipt::from_value(value).map_err(|error| format!("`{field}`: {error}: {value}"))
}

pub(crate) async fn v1_shape(ctx: &Ctx) -> CheckResult {
    let session = ctx.api.session().await?;
    let body = accepted(ctx, &session, "receipt-shape").await?;
    let receipt = envelope(&body, "receipt")?;
    ensure!(
        receipt.version == v1::VERSION && receipt.signature_algorithm == v1::ALGORITHM,
        "receipt is not {} / {}: {receipt:?}",
        v1::VERSION,
        v1::ALGORITHM
    );
    ensure!(!receipt.key_id.is_empty(), "receipt has no keyId");
    ensure!(
        decode_base64url(&receipt.signature).is_ok_and(|mac| mac.len() == 32),
        "signature is not unpadded base64url of 32 bytes: {}",
        receipt.signature
    );
    let text = decode_base64url(&receipt.payload)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| {
            format!(
                "payload is not unpadded base64url text: {}",
                receipt.payload
            )
        })?;
    let payload: serde_json::Map<String, Value> = serde_json::from_str(&text)
        .map_err(|error| format!("payload is not a JSON object ({error}): {text}"))?;
    let keys: Vec<&str> = payload.keys().map(String::as_str).collect();
    let mut with_attestation: Vec<&str> = vec![v1::PAYLOAD_KEYS[0]];
    with_attestation.extend(v1::ATTESTATION_KEYS);
    with_attestation.extend(&v1::PAYLOAD_KEYS[1..]);
    ensure!(
        keys == v1::PAYLOAD_KEYS || keys == with_attestation,
        "payload keys are not the §3.1 set: {keys:?}"
    );
    // serde_json's map is sorted and its writer compact: a canonical payload reads back
    // as itself (for ASCII strings, which .NET escapes the same way).
    let canonical = serde_json::to_string(&payload).unwrap_or_default();
    ensure!(
        !text.is_ascii() || text == canonical,
        "payload is not compact key-sorted JSON: {text}"
    );
    ensure!(payload["version"] == v1::VERSION, "payload version: {text}");
    ensure!(payload["status"] == "Charged", "payload status: {text}");
    let created_at = payload["createdAt"].as_str().unwrap_or_default();
    ensure!(
        created_at.len() == 28 && created_at.ends_with('Z') && created_at.as_bytes()[19] == b'.',
        "createdAt is not yyyy-MM-ddTHH:mm:ss.fffffffZ: {created_at}"
    );
    let revenue_event = payload["revenueEventId"].as_str().unwrap_or_default();
    ensure!(
        payload["receiptId"] == format!("mcp_receipt_{}", revenue_event.replace('-', "")),
        "receiptId is not mcp_receipt_ + the revenue event's hex: {text}"
    );
    ensure!(
        payload["grossSats"] == 2 && payload["netSats"].as_u64().is_some(),
        "amounts: {text}"
    );
    Ok(Outcome::Pass)
}

pub(crate) async fn v2_verifies(ctx: &Ctx) -> CheckResult {
    let session = ctx.api.session().await?;
    let body = accepted(ctx, &session, "receipt-v2").await?;
    let receipt = envelope(&body, "receiptV2")?;
    let resp = ctx.api.get(v2::KEY_SET_PATH).await?;
    let keys: ReceiptKeySet = serde_json::from_value(resp.expect(200, "the key set")?.clone())
        .map_err(|error| format!("the key set: {error}: {}", resp.brief()))?;
    ensure!(
        keys.version == v2::KEY_SET_VERSION,
        "key set version is not {}: {:?}",
        v2::KEY_SET_VERSION,
        keys.version
    );
    let verified = v2::verify(&receipt, &keys, &Expectations::default())
        .map_err(|error| format!("receiptV2 does not verify: {error}"))?;
    ensure!(
        verified.payload["amountDebitedSats"] == 2,
        "amountDebitedSats is not the charge's 2 sats: {:?}",
        verified.payload
    );
    Ok(Outcome::Pass)
}

pub(crate) async fn replay_identical(ctx: &Ctx) -> CheckResult {
    let session = ctx.api.session().await?;
    let first = accepted(ctx, &session, "receipt-replay").await?;
    let again = accepted(ctx, &session, "receipt-replay").await?;
    for field in ["receipt", "receiptV2"] {
        let (a, b) = (&first[field], &again[field]);
        ensure!(!a.is_null(), "an accepted charge has no `{field}`: {first}");
        ensure!(
            serde_json::to_string(a).ok() == serde_json::to_string(b).ok(),
            "the replay's `{field}` differs: {a} then {b}"
        );
    }
    Ok(Outcome::Pass)
}

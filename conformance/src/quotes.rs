//! Quotes: the start shapes (PoW and Lightning), the key header, status and lnurl.

use liveauth_protocol::codec::encode_hex;
use liveauth_protocol::pow::target_from_bits;
use serde_json::{Value, json};

use crate::{CheckResult, Ctx, Outcome, ensure};

pub(crate) fn is_hex64(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|s| s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

pub(crate) fn is_nonempty_str(value: &Value) -> bool {
    value.as_str().is_some_and(|s| !s.is_empty())
}

/// `YYYY-MM-DDTHH:MM:SSZ` (what `liveauth_protocol::time` writes; the parse is the
/// independent reference).
pub(crate) fn is_rfc3339(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|s| liveauth_protocol::time::parse_rfc3339_utc(s).is_some())
}

/// A timestamp as APIs send it, read to unix seconds: RFC 3339, or the hosted API's
/// zone-less database form, which means UTC.
pub(crate) fn api_time(value: &Value) -> Option<i64> {
    value
        .as_str()
        .and_then(liveauth_protocol::time::parse_api_timestamp)
}

/// A payment hash as the hosted API sends it: 32 bytes as hex (current backend), base64
/// or base64url (the older backend's LND `r_hash`).
pub(crate) fn payment_hash_bytes(value: &Value) -> Option<[u8; 32]> {
    value
        .as_str()
        .and_then(liveauth_protocol::codec::decode_hash32_any)
}

/// A start answer (Lightning or PoW): 200, a `quoteId`, and the other kind's field `null`.
async fn started(ctx: &Ctx, lightning: bool) -> Result<Value, String> {
    let (what, other) = if lightning {
        ("start (forceLightning)", "powChallenge")
    } else {
        ("start", "invoice")
    };
    let body = ctx
        .api
        .start_raw(lightning)
        .await?
        .expect(200, what)?
        .clone();
    ensure!(
        is_nonempty_str(&body["quoteId"]),
        "quoteId is not a string: {body}"
    );
    ensure!(
        body.get(other) == Some(&Value::Null),
        "{other} is not null: {body}"
    );
    Ok(body)
}

pub(crate) async fn start_pow_shape(ctx: &Ctx) -> CheckResult {
    let body = started(ctx, false).await?;
    let c = &body["powChallenge"];
    for field in ["projectId", "projectPublicKey", "challengeHex", "signature"] {
        ensure!(
            is_nonempty_str(&c[field]),
            "powChallenge.{field} is not a string: {c}"
        );
    }
    ensure!(
        c["projectPublicKey"]
            .as_str()
            .is_some_and(|k| k.starts_with("la_pk_")),
        "projectPublicKey does not start with la_pk_: {c}"
    );
    if let Some(key) = ctx.api.key() {
        ensure!(
            c["projectPublicKey"] == key,
            "projectPublicKey is not the sent key: {c}"
        );
    }
    ensure!(
        c["challengeHex"]
            .as_str()
            .is_some_and(|h| h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))),
        "challengeHex is not lowercase hex: {c}"
    );
    ensure!(
        is_hex64(&c["targetHex"]),
        "targetHex is not 64 lowercase hex: {c}"
    );
    ensure!(
        c["difficultyBits"].as_u64().is_some_and(|b| b <= 256),
        "difficultyBits is not an integer in 0..=256: {c}"
    );
    ensure!(
        c["expiresAtUnix"].is_i64(),
        "expiresAtUnix is not an integer: {c}"
    );
    ensure!(
        body.get("authHint")
            .is_some_and(|h| h.is_null() || h.is_string()),
        "authHint is neither null nor a string: {body}"
    );
    Ok(Outcome::Pass)
}

pub(crate) async fn start_lightning_shape(ctx: &Ctx) -> CheckResult {
    let body = started(ctx, true).await?;
    let invoice = &body["invoice"];
    ensure!(
        invoice["bolt11"]
            .as_str()
            .is_some_and(|b| b.to_ascii_lowercase().starts_with("ln")),
        "invoice.bolt11 is not a BOLT11 string: {invoice}"
    );
    ensure!(
        invoice["amountSats"].as_u64().is_some_and(|a| a > 0),
        "invoice.amountSats is not a positive integer: {invoice}"
    );
    ensure!(
        invoice["expiresAtUnix"].is_i64(),
        "invoice.expiresAtUnix is not an integer: {invoice}"
    );
    ensure!(
        payment_hash_bytes(&invoice["paymentHash"]).is_some(),
        "invoice.paymentHash is not 32 bytes in hex, base64 or base64url: {invoice}"
    );
    // The hosted fee fields (facts §2.3), when sent: base + fee = total = amountSats.
    if let (Some(base), Some(fee)) = (
        invoice["baseAmountSats"].as_u64(),
        invoice["invoiceFeeSats"].as_u64(),
    ) {
        ensure!(
            invoice["amountSats"].as_u64() == base.checked_add(fee),
            "baseAmountSats + invoiceFeeSats is not amountSats: {invoice}"
        );
        if let Some(total) = invoice.get("totalChargedSats").filter(|t| !t.is_null()) {
            ensure!(
                *total == invoice["amountSats"],
                "totalChargedSats is not amountSats: {invoice}"
            );
        }
    }
    Ok(Outcome::Pass)
}

pub(crate) async fn start_key_header(ctx: &Ctx) -> CheckResult {
    let without = ctx.api.start_with_key(None).await?;
    let demo = without.expect(200, "start without a key (the anonymous demo project)")?;
    let demo_key = &demo["powChallenge"]["projectPublicKey"];
    ensure!(
        demo_key.as_str().is_some_and(|k| k.starts_with("la_pk_")),
        "start without a key: no PoW challenge with a projectPublicKey: {}",
        without.brief()
    );
    if let Some(key) = ctx.api.key() {
        ensure!(
            demo_key != key,
            "start without a key gave the keyed project's challenge: {}",
            without.brief()
        );
    }
    let unknown = ctx
        .api
        .start_with_key(Some("la_pk_conformance_unknown_project"))
        .await?;
    ensure!(
        unknown.status == 401,
        "start with an unknown key: expected 401, got {}",
        unknown.brief()
    );
    unknown.expect_refusal("start with an unknown key")?;
    Ok(Outcome::Pass)
}

pub(crate) async fn challenge_target_matches_bits(ctx: &Ctx) -> CheckResult {
    let quote = ctx.api.start_pow().await?;
    let bits = quote.bits();
    let expected = target_from_bits(bits).map_err(|e| e.to_string())?;
    ensure!(
        quote.field_str("targetHex") == encode_hex(&expected),
        "targetHex {} is not the target of {bits} bits ({})",
        quote.field_str("targetHex"),
        encode_hex(&expected)
    );
    Ok(Outcome::Pass)
}

pub(crate) async fn status_shape(ctx: &Ctx) -> CheckResult {
    let quote = ctx.api.start_pow().await?;
    let path = format!("/api/mcp/status/{}", quote.quote_id);
    let resp = ctx.api.get(&path).await?;
    let body = resp.expect(200, "status")?;
    ensure!(
        body["quoteId"] == quote.quote_id.as_str(),
        "quoteId differs: {body}"
    );
    ensure!(
        body["status"] == "pending",
        "status of a new quote is not pending: {body}"
    );
    ensure!(
        body.get("paymentStatus") == Some(&Value::Null),
        "paymentStatus of a PoW quote is not null: {body}"
    );
    ensure!(
        api_time(&body["expiresAt"]).is_some(),
        "expiresAt is not a timestamp: {body}"
    );
    let (nonce, hash) = crate::client::solve_quote(&quote, 0).await?;
    ctx.api
        .confirm(&quote.confirm_body(nonce, &hash))
        .await?
        .expect(200, "confirm")?;
    let after = ctx.api.get(&path).await?;
    let body = after.expect(200, "status after confirm")?;
    ensure!(
        body["status"] == "confirmed",
        "status after confirm is not confirmed: {body}"
    );
    Ok(Outcome::Pass)
}

pub(crate) async fn lnurl_shape(ctx: &Ctx) -> CheckResult {
    let (quote_id, invoice) = ctx.api.start_lightning().await?;
    let resp = ctx.api.get(&format!("/api/mcp/lnurl/{quote_id}")).await?;
    let body = resp.expect(200, "lnurl")?;
    ensure!(
        body["pr"] == invoice["bolt11"],
        "pr is not the quoted bolt11: {body}"
    );
    ensure!(body["routes"] == json!([]), "routes is not []: {body}");
    Ok(Outcome::Pass)
}

pub(crate) async fn timestamps_carry_zone(ctx: &Ctx) -> CheckResult {
    let quote = ctx.api.start_pow().await?;
    let status = ctx
        .api
        .get(&format!("/api/mcp/status/{}", quote.quote_id))
        .await?;
    let status = status.expect(200, "status")?;
    ensure!(
        is_rfc3339(&status["expiresAt"]),
        "status.expiresAt is not RFC 3339 with Z: {status}"
    );
    let session = ctx.api.session().await?;
    let usage = ctx.api.usage(&session.jwt).await?;
    let usage = usage.expect(200, "usage")?;
    for field in ["expiresAt", "dayWindowStart"] {
        ensure!(
            is_rfc3339(&usage[field]),
            "usage.{field} is not RFC 3339 with Z: {usage}"
        );
    }
    Ok(Outcome::Pass)
}

/// lnurl of a PoW quote and of an unknown quote: refused; `lud06` also holds the body to
/// the LUD-06 error shape.
pub(crate) async fn lnurl_errors(ctx: &Ctx, lud06: bool) -> CheckResult {
    let pow = ctx.api.start_pow().await?;
    let unknown = "00000000-0000-4000-8000-000000000000";
    for (what, id) in [
        ("a PoW quote", pow.quote_id.as_str()),
        ("an unknown quote", unknown),
    ] {
        let resp = ctx.api.get(&format!("/api/mcp/lnurl/{id}")).await?;
        resp.expect_refusal(&format!("lnurl of {what}"))?;
        if lud06 {
            ensure!(
                resp.json["status"] == "ERROR" && is_nonempty_str(&resp.json["reason"]),
                "lnurl of {what}: not a LUD-06 error: {}",
                resp.brief()
            );
        }
    }
    Ok(Outcome::Pass)
}

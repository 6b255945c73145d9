//! Lightning: real BOLT11 invoices, the payment flow, 402 challenges and L402/x402
//! credentials.

use std::str::FromStr as _;

use lightning_invoice::Bolt11Invoice;
use liveauth_protocol::auth::Challenge;
use liveauth_protocol::l402::L402Identifier;
use liveauth_protocol::macaroon::Macaroon;
use reqwest::Method;
use serde_json::{Value, json};

use crate::client::Resp;
use crate::{CheckResult, Ctx, Outcome, ensure, skip_unless};

const RESOURCE: &str = "/api/demo/resource";

/// The invoice's payment hash, lowercase hex.
pub(crate) fn payment_hash_hex(invoice: &Bolt11Invoice) -> String {
    let bytes: &[u8; 32] = invoice.payment_hash().as_ref();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn parse_bolt11(text: &str) -> Result<Bolt11Invoice, String> {
    let invoice =
        Bolt11Invoice::from_str(text).map_err(|e| format!("bolt11 does not parse: {e}"))?;
    invoice
        .check_signature()
        .map_err(|e| format!("bolt11 signature: {e}"))?;
    Ok(invoice)
}

pub(crate) async fn bolt11_valid(ctx: &Ctx) -> CheckResult {
    let (_, quoted) = ctx.api.start_lightning().await?;
    let invoice = parse_bolt11(quoted["bolt11"].as_str().unwrap_or_default())?;
    let sats = quoted["amountSats"]
        .as_u64()
        .ok_or("amountSats is not an integer")?;
    ensure!(
        invoice.amount_milli_satoshis() == Some(sats * 1000),
        "the invoice asks for {:?} msat, the quote says {sats} sats",
        invoice.amount_milli_satoshis()
    );
    let hash: &[u8; 32] = invoice.payment_hash().as_ref();
    ensure!(
        crate::quotes::payment_hash_bytes(&quoted["paymentHash"]).as_ref() == Some(hash),
        "the invoice's payment hash {} is not the quoted {} (read as hex, base64 or base64url)",
        payment_hash_hex(&invoice),
        quoted["paymentHash"]
    );
    let expires = invoice.expires_at().map(|d| d.as_secs());
    ensure!(
        expires.and_then(|e| i64::try_from(e).ok()) == quoted["expiresAtUnix"].as_i64(),
        "the invoice expires at {expires:?}, the quote says {}",
        quoted["expiresAtUnix"]
    );
    Ok(Outcome::Pass)
}

async fn status(ctx: &Ctx, quote_id: &str) -> Result<Value, String> {
    let resp = ctx.api.get(&format!("/api/mcp/status/{quote_id}")).await?;
    resp.expect(200, "status").cloned()
}

/// The quote's `status` is one of `quote_status` and its `paymentStatus` is this.
async fn status_is(
    ctx: &Ctx,
    quote_id: &str,
    quote_status: &[&str],
    payment_status: &str,
    what: &str,
) -> Result<(), String> {
    let answer = status(ctx, quote_id).await?;
    ensure!(
        quote_status.iter().any(|s| answer["status"] == *s)
            && answer["paymentStatus"] == payment_status,
        "status of {what}: {answer}"
    );
    Ok(())
}

/// A Lightning quote from unpaid to confirmed. `strict` holds the unpaid answer's grant
/// fields to `null` (hosted sends `0`s) and a paid, unconfirmed quote's status to `paid`
/// (hosted keeps `pending` until confirmed).
pub(crate) async fn confirm_pending_then_paid(ctx: &Ctx, strict: bool) -> CheckResult {
    // Paying a real invoice needs the dev endpoint: no API settles one by itself (the
    // hosted anonymous demo project's invoices are real too).
    skip_unless!(ctx.need_settle());
    let keyed = ctx.api.key().is_some();
    let (quote_id, invoice) = ctx.api.start_lightning().await?;
    let body = json!({"quoteId": quote_id});
    let first = ctx.api.confirm(&body).await?;
    let first_body = first.expect(200, "confirm of an unpaid quote")?;
    let settled_already = first_body["jwt"].is_string();
    if settled_already {
        // Only the demo's simulated payment can be this quick.
        ensure!(!keyed, "an unpaid keyed quote confirmed: {first_body}");
        ensure!(
            first_body["paymentStatus"] == "paid",
            "paymentStatus is not paid: {first_body}"
        );
        return Ok(Outcome::Pass);
    }
    for field in ["jwt", "refreshToken"] {
        ensure!(
            first_body.get(field).is_none_or(Value::is_null),
            "{field} is set while unpaid: {first_body}"
        );
    }
    for field in ["expiresIn", "remainingBudgetSats"] {
        let value = first_body.get(field).unwrap_or(&Value::Null);
        if strict {
            ensure!(
                value.is_null(),
                "{field} is not null while unpaid: {first_body}"
            );
        } else {
            ensure!(
                value.is_null() || *value == 0,
                "{field} is neither null nor 0 while unpaid: {first_body}"
            );
        }
    }
    ensure!(
        first_body["paymentStatus"] == "pending",
        "paymentStatus is not pending: {first_body}"
    );
    status_is(ctx, &quote_id, &["pending"], "pending", "an unpaid quote").await?;
    // The dev endpoint takes the hash as hex; the quote may carry base64.
    let hash = crate::quotes::payment_hash_bytes(&invoice["paymentHash"])
        .ok_or_else(|| format!("paymentHash is not 32 bytes: {invoice}"))?;
    ctx.api
        .settle(&liveauth_protocol::codec::encode_hex(&hash))
        .await?;
    // The hosted status stays pending until the quote is confirmed.
    let paid_status: &[&str] = if strict {
        &["paid"]
    } else {
        &["paid", "pending"]
    };
    status_is(ctx, &quote_id, paid_status, "paid", "a paid quote").await?;
    let second = ctx.api.confirm(&body).await?;
    let second_body = second.expect(200, "confirm of a paid quote")?;
    ensure!(
        second_body["jwt"].is_string(),
        "no jwt for a paid quote: {second_body}"
    );
    ensure!(
        second_body["paymentStatus"] == "paid",
        "paymentStatus is not paid: {second_body}"
    );
    let done = status(ctx, &quote_id).await?;
    ensure!(
        done["status"] == "confirmed",
        "status after confirm: {done}"
    );
    Ok(Outcome::Pass)
}

/// The two challenges of a 402, parsed.
fn challenges(resp: &Resp) -> Result<(Challenge, Challenge), String> {
    ensure!(resp.status == 402, "expected 402, got {}", resp.brief());
    let values = resp.header_all("www-authenticate");
    let parsed: Vec<Challenge> = values
        .iter()
        .filter_map(|v| Challenge::parse(v).ok())
        .collect();
    let l402 = parsed.iter().find(|c| matches!(c, Challenge::L402 { .. }));
    let x402 = parsed.iter().find(|c| matches!(c, Challenge::X402 { .. }));
    match (l402, x402) {
        (Some(l), Some(x)) => Ok((l.clone(), x.clone())),
        _ => Err(format!(
            "WWW-Authenticate lacks a parseable L402 and x402 challenge: {values:?}"
        )),
    }
}

pub(crate) async fn challenge_headers(ctx: &Ctx) -> CheckResult {
    let resp = ctx.api.get(RESOURCE).await?;
    let (l402, x402) = challenges(&resp)?;
    let (
        Challenge::L402 {
            macaroon,
            invoice: l_invoice,
            ..
        },
        Challenge::X402 {
            invoice: x_invoice,
            payment_hash,
        },
    ) = (&l402, &x402)
    else {
        return Err("challenge kinds swapped".into());
    };
    ensure!(
        l_invoice == x_invoice,
        "the L402 and x402 challenges name different invoices"
    );
    let invoice = parse_bolt11(l_invoice)?;
    let hash_hex: String = payment_hash.iter().map(|b| format!("{b:02x}")).collect();
    ensure!(
        payment_hash_hex(&invoice) == hash_hex,
        "x402 paymentHash is not the invoice's"
    );
    let identifier =
        L402Identifier::from_macaroon(macaroon).map_err(|e| format!("macaroon identifier: {e}"))?;
    ensure!(
        identifier.version() == 0,
        "identifier version {}",
        identifier.version()
    );
    ensure!(
        identifier.payment_hash() == payment_hash,
        "the macaroon's payment hash is not the invoice's"
    );
    ensure!(
        resp.content_type() == "application/problem+json" && resp.code().is_some(),
        "the 402 body is not problem+json with a code: {}",
        resp.brief()
    );
    Ok(Outcome::Pass)
}

/// A fresh 402 challenge of the resource: its macaroon and payment hash (hex).
async fn resource_challenge(ctx: &Ctx) -> Result<(Macaroon, String), String> {
    let (l402, x402) = challenges(&ctx.api.get(RESOURCE).await?)?;
    let (Challenge::L402 { macaroon, .. }, Challenge::X402 { payment_hash, .. }) = (l402, x402)
    else {
        return Err("challenge kinds swapped".into());
    };
    let hash_hex = payment_hash.iter().map(|b| format!("{b:02x}")).collect();
    Ok((macaroon, hash_hex))
}

pub(crate) async fn paid_credential(ctx: &Ctx) -> CheckResult {
    skip_unless!(ctx.need_settle());
    let get = |authorization: String| {
        ctx.api.fetch(
            ctx.api
                .req(Method::GET, RESOURCE)
                .header("authorization", authorization),
        )
    };
    let (macaroon, hash_hex) = resource_challenge(ctx).await?;
    // Unpaid: a guessed preimage is refused with fresh challenges.
    let guess = "11".repeat(32);
    let unpaid = get(format!("L402 {}:{guess}", macaroon.to_base64())).await?;
    challenges(&unpaid).map_err(|e| format!("an unpaid L402 credential: {e}"))?;
    let unpaid = get(format!("x402 {guess}")).await?;
    challenges(&unpaid).map_err(|e| format!("an unpaid x402 credential: {e}"))?;

    let preimage = ctx.api.settle(&hash_hex).await?;
    let paid = format!("L402 {}:{preimage}", macaroon.to_base64());
    let resp = get(paid.clone()).await?;
    ensure!(
        resp.status == 200,
        "a paid L402 credential: {}",
        resp.brief()
    );
    // A payment opens a bounded number of calls (the mock's default, as the hosted
    // pay-per-call token: one); a spent credential asks for payment again.
    let spent = get(paid).await?;
    challenges(&spent).map_err(|e| format!("a spent L402 credential: {e}"))?;
    for scheme in ["LSAT", "x402"] {
        let (macaroon, hash_hex) = resource_challenge(ctx).await?;
        let preimage = ctx.api.settle(&hash_hex).await?;
        let value = match scheme {
            "LSAT" => format!("LSAT {}:{preimage}", macaroon.to_base64()),
            _ => format!("x402 {preimage}"),
        };
        let resp = get(value).await?;
        ensure!(
            resp.status == 200,
            "a paid {scheme} credential: {}",
            resp.brief()
        );
    }
    Ok(Outcome::Pass)
}

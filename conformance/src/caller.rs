//! Caller funding (LiveAuth 1.3, facts §2.5, §2.6): the 402 `payment_required` challenge
//! of an unfunded caller-funded charge, and (strict) the payment confirmed once and the
//! retried charge booked once. An API whose capabilities do not offer caller funding is
//! skipped, as a 1.3 client would not send it a caller-funded charge.

use liveauth_protocol::wire::{CALLER_PAYMENT_FIELDS, PAYMENT_REQUIRED_FIELDS};
use reqwest::Method;
use serde_json::{Value, json};

use crate::client::{Resp, Session};
use crate::lightning::parse_bolt11;
use crate::{CheckResult, Ctx, Outcome, ensure, skip_unless};

/// `requestHash` of `{"url":"https://example.com"}` (§6.5), and of `{}`.
const HASH: &str = "5dc5c505a79bfc2eb22d0e45eff415c6ecf0c965c3d53d6e3e02c1bda74b0927";
const OTHER_HASH: &str = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
const COST: u64 = 2;

/// A session, or why the check is skipped: the API does not say `callerFunding: true`.
async fn caller_session(ctx: &Ctx) -> Result<Result<Session, Outcome>, String> {
    let session = ctx.api.session().await?;
    let request = ctx
        .api
        .keyed(Method::GET, "/api/mcp/capabilities")
        .bearer_auth(&session.jwt);
    let resp = ctx.api.fetch(request).await?;
    if resp.status != 200 || resp.json["callerFunding"] != true {
        return Ok(Err(Outcome::Skip(format!(
            "the API offers no caller funding (GET /api/mcp/capabilities: {})",
            resp.brief()
        ))));
    }
    Ok(Ok(session))
}

async fn caller_charge(ctx: &Ctx, jwt: &str, key: &str, hash: &str) -> Result<Resp, String> {
    let body = json!({
        "fundingMode": "caller", "callCostSats": COST, "idempotencyKey": key, "requestHash": hash,
    });
    let request = ctx
        .api
        .keyed(Method::POST, "/api/mcp/charge")
        .bearer_auth(jwt);
    ctx.api.fetch(request.json(&body)).await
}

async fn confirm_payment(ctx: &Ctx, jwt: &str, payment_id: &str) -> Result<Resp, String> {
    let path = format!("/api/mcp/payments/{payment_id}/confirm");
    let request = ctx.api.keyed(Method::POST, &path).bearer_auth(jwt);
    ctx.api.fetch(request.json(&json!({}))).await
}

async fn sats_used(ctx: &Ctx, jwt: &str) -> Result<Value, String> {
    let resp = ctx.api.usage(jwt).await?;
    Ok(resp.expect(200, "usage")?["satsUsed"].clone())
}

/// The challenge, checked: the hosted example's fields, a real invoice of `amountSats`
/// that credits no more than it costs, the confirm path and retry key of this charge.
fn checked_challenge(resp: &Resp, key: &str) -> Result<Value, String> {
    let body = resp.expect(402, "an unfunded caller-funded charge")?;
    let missing: Vec<_> = PAYMENT_REQUIRED_FIELDS
        .iter()
        .filter(|field| body.get(**field).is_none())
        .collect();
    ensure!(missing.is_empty(), "the 402 lacks {missing:?}: {body}");
    ensure!(
        body["status"] == "deny"
            && body["reason"] == "payment_required"
            && body["fundingMode"] == "caller"
            && body["grossSats"] == COST,
        "the 402 is not a caller payment_required deny of {COST} sats: {body}"
    );
    let payment = &body["payment"];
    let mut fields: Vec<&str> = payment
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    fields.sort_unstable();
    ensure!(fields == CALLER_PAYMENT_FIELDS, "payment fields: {payment}");
    let id = payment["paymentId"].as_str().unwrap_or_default();
    ensure!(
        payment["method"] == "lightning"
            && payment["retryIdempotencyKey"] == key
            && payment["confirmPath"] == format!("/api/mcp/payments/{id}/confirm"),
        "payment: {payment}"
    );
    let invoice = parse_bolt11(payment["invoice"].as_str().unwrap_or_default())?;
    let (amount, credit) = (
        payment["amountSats"].as_u64(),
        payment["creditSats"].as_u64(),
    );
    ensure!(
        amount.map(|sats| sats * 1000) == invoice.amount_milli_satoshis()
            && credit.is_some_and(|credit| credit <= COST && Some(credit) <= amount),
        "the invoice asks {:?} msat for amountSats {amount:?} crediting {credit:?} of a {COST}-sat call",
        invoice.amount_milli_satoshis()
    );
    Ok(body.clone())
}

/// Compat: an unfunded caller-funded charge is the 402 challenge, and nothing is booked.
pub(crate) async fn challenge_shape(ctx: &Ctx) -> CheckResult {
    let session = match caller_session(ctx).await? {
        Ok(session) => session,
        Err(skip) => return Ok(skip),
    };
    let resp = caller_charge(ctx, &session.jwt, "conformance-1", HASH).await?;
    checked_challenge(&resp, "conformance-1")?;
    let used = sats_used(ctx, &session.jwt).await?;
    ensure!(used == 0, "an unfunded charge was booked: satsUsed {used}");
    Ok(Outcome::Pass)
}

/// Strict: the retry before payment asks for the same payment; confirmed by another
/// session it is not found; paid (dev settle) and confirmed it credits once; the retry
/// is booked once (`duplicate: true` on a repeat, with the same receipt); another call
/// under the key is `idempotency_conflict`, booked nowhere.
pub(crate) async fn paid_once(ctx: &Ctx) -> CheckResult {
    skip_unless!(ctx.need_settle());
    let session = match caller_session(ctx).await? {
        Ok(session) => session,
        Err(skip) => return Ok(skip),
    };
    let jwt = &session.jwt;
    let key = "conformance-2";
    let asked = checked_challenge(&caller_charge(ctx, jwt, key, HASH).await?, key)?;
    let again = checked_challenge(&caller_charge(ctx, jwt, key, HASH).await?, key)?;
    ensure!(
        asked["payment"] == again["payment"],
        "a retry asked for another payment: {again}"
    );
    let payment = &asked["payment"];
    let id = payment["paymentId"].as_str().unwrap_or_default();
    let other = ctx.api.session().await?;
    let stranger = confirm_payment(ctx, &other.jwt, id).await?;
    ensure!(
        stranger.status == 404,
        "another session confirmed it: {}",
        stranger.brief()
    );

    let invoice = parse_bolt11(payment["invoice"].as_str().unwrap_or_default())?;
    ctx.api
        .settle(&crate::lightning::payment_hash_hex(&invoice))
        .await?;
    let credit = &payment["creditSats"];
    for attempt in ["confirm", "confirm again"] {
        let resp = confirm_payment(ctx, jwt, id).await?;
        let body = resp.expect(200, attempt)?;
        ensure!(
            body["status"] == "paid"
                && body["paymentId"] == id
                && body["callerBalanceSats"] == *credit,
            "{attempt}: {body} (credit {credit}, once)"
        );
    }
    let booked = caller_charge(ctx, jwt, key, HASH).await?;
    let booked = booked.expect(200, "the retried charge")?.clone();
    ensure!(
        booked["status"] == "ok"
            && booked["fundingMode"] == "caller"
            && booked["duplicate"] != true,
        "the retried charge: {booked}"
    );
    let repeat = caller_charge(ctx, jwt, key, HASH).await?;
    let repeat = repeat.expect(200, "a repeat of the booked charge")?;
    ensure!(
        repeat["duplicate"] == true && repeat["receipt"] == booked["receipt"],
        "a repeat: {repeat}"
    );
    let conflict = caller_charge(ctx, jwt, key, OTHER_HASH).await?;
    ensure!(
        conflict.json["reason"] == "idempotency_conflict" && conflict.json["status"] == "deny",
        "another call under the key: {}",
        conflict.brief()
    );
    let used = sats_used(ctx, jwt).await?;
    ensure!(
        used == COST,
        "satsUsed {used}, expected {COST} (booked once)"
    );
    Ok(Outcome::Pass)
}

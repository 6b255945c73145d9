//! L402 bundles (facts §2.7, §2.8): the invoice, claim and status shapes, and macaroon
//! confirms of `forceL402` quotes. The bundle endpoints need a project key: keyless, the
//! flow check holds the API to its 401.

use liveauth_protocol::bundle::{
    BUNDLE_SCOPES, BundleClaims, BundleKey, HOSTED_SECRET, INVOICE_FIELDS,
};
use serde_json::{Value, json};

use crate::client::Resp;
use crate::{CheckResult, Ctx, Outcome, ensure, skip_unless};

const INVOICE: &str = "/api/public/l402/bundle/invoice";
const CLAIM: &str = "/api/public/l402/bundle/claim";

/// The keys of a JSON object, sorted.
fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    keys.sort_unstable();
    keys
}

/// A `forceL402` quote: `{quoteId, powChallenge: null, invoice: null, authHint:
/// "l402_bundle"}`.
async fn l402_quote(ctx: &Ctx) -> Result<String, String> {
    let resp = ctx
        .api
        .post_json("/api/mcp/start", &json!({"forceL402": true}))
        .await?;
    let body = resp.expect(200, "start (forceL402)")?;
    ensure!(
        body["authHint"] == "l402_bundle"
            && body["powChallenge"].is_null()
            && body["invoice"].is_null(),
        "start (forceL402): {body}"
    );
    body["quoteId"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("start (forceL402): no quoteId: {body}"))
}

/// A macaroon no API minted: the §2.8 format under the published constant, naming a
/// bundle that does not exist.
fn foreign_macaroon() -> String {
    BundleKey::from_secret(HOSTED_SECRET).mint(&BundleClaims {
        kid: "00000000-0000-0000-0000-000000000000".into(),
        aid: "conformance".into(),
        scopes: BUNDLE_SCOPES.map(String::from).to_vec(),
        bid: "bundle_starter_000000000000".into(),
        rate: 100,
        exp: 0,
        iat: 0,
        jti: "tok_000000000000".into(),
    })
}

/// Bought, paid (dev settle) and claimed: `(bundleId, claim body)`.
async fn claimed(ctx: &Ctx) -> Result<(String, Value), String> {
    let resp = ctx
        .api
        .post_json(INVOICE, &json!({"tier": "starter"}))
        .await?;
    let invoice = resp.expect(200, "bundle invoice")?.clone();
    let hash = invoice["paymentHash"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    ctx.api.settle(&hash).await?;
    let resp = ctx
        .api
        .post_json(CLAIM, &json!({"paymentHash": hash}))
        .await?;
    let body = resp.expect(200, "bundle claim of a paid invoice")?.clone();
    let id = invoice["bundleId"].as_str().unwrap_or_default().to_owned();
    Ok((id, body))
}

async fn remaining_calls(ctx: &Ctx, bundle_id: &str) -> Result<u64, String> {
    let resp = ctx
        .api
        .get(&format!(
            "/api/public/l402/bundle/status?bundleId={bundle_id}"
        ))
        .await?;
    resp.expect(200, "bundle status")?["remainingCalls"]
        .as_u64()
        .ok_or_else(|| format!("bundle status: no remainingCalls: {}", resp.brief()))
}

/// The bundle flow's shapes: invoice `{bundleId, invoice, bolt11, paymentHash,
/// amountSats, expiresAtUnix, tier, totalCalls}` at the starter price, an unpaid claim
/// 402, a paid one `{macaroon, bundleId, remainingCalls, expiresAtUnix, scopes}`, status
/// `{bundleId, tier, totalCalls, remainingCalls, usedCalls, expiresAtUnix, isExpired,
/// isDepleted}`. Keyless: the invoice is a 401.
pub(crate) async fn flow_shape(ctx: &Ctx) -> CheckResult {
    if ctx.api.key().is_none() {
        let resp = ctx
            .api
            .post_json(INVOICE, &json!({"tier": "starter"}))
            .await?;
        ensure!(
            resp.status == 401,
            "a keyless bundle invoice: {}",
            resp.brief()
        );
        return Ok(Outcome::Pass);
    }
    let resp = ctx
        .api
        .post_json(INVOICE, &json!({"tier": "starter"}))
        .await?;
    let invoice = resp.expect(200, "bundle invoice")?;
    ensure!(
        keys(invoice) == INVOICE_FIELDS,
        "bundle invoice fields: {invoice}"
    );
    ensure!(
        invoice["totalCalls"] == 100
            && invoice["amountSats"] == 50
            && invoice["invoice"] == invoice["bolt11"]
            && invoice["bundleId"]
                .as_str()
                .is_some_and(|id| id.starts_with("bundle_starter_")),
        "starter bundle invoice: {invoice}"
    );
    let hash = invoice["paymentHash"].as_str().unwrap_or_default();
    let unpaid = ctx
        .api
        .post_json(CLAIM, &json!({"paymentHash": hash}))
        .await?;
    ensure!(
        unpaid.status == 402,
        "claim of an unpaid invoice: {}",
        unpaid.brief()
    );
    skip_unless!(ctx.need_settle());
    let (bundle_id, claim) = claimed(ctx).await?;
    ensure!(
        keys(&claim)
            == [
                "bundleId",
                "expiresAtUnix",
                "macaroon",
                "remainingCalls",
                "scopes"
            ]
            && claim["remainingCalls"] == 100
            && claim["scopes"] == json!(BUNDLE_SCOPES)
            && claim["macaroon"]
                .as_str()
                .is_some_and(|m| m.split('.').count() == 2),
        "claim: {}",
        json!({"bundleId": claim["bundleId"], "remainingCalls": claim["remainingCalls"]})
    );
    let resp = ctx
        .api
        .get(&format!(
            "/api/public/l402/bundle/status?bundleId={bundle_id}"
        ))
        .await?;
    let status = resp.expect(200, "bundle status")?;
    ensure!(
        keys(status)
            == [
                "bundleId",
                "expiresAtUnix",
                "isDepleted",
                "isExpired",
                "remainingCalls",
                "tier",
                "totalCalls",
                "usedCalls"
            ]
            && status["usedCalls"] == 0,
        "bundle status: {status}"
    );
    Ok(Outcome::Pass)
}

/// A `forceL402` quote confirmed with a macaroon the API never minted is a 402.
pub(crate) async fn bad_macaroon_402(ctx: &Ctx) -> CheckResult {
    let quote = l402_quote(ctx).await?;
    let resp = ctx
        .api
        .confirm(&json!({"quoteId": quote, "macaroon": foreign_macaroon()}))
        .await?;
    ensure!(
        resp.status == 402,
        "confirm with a foreign macaroon: {}",
        resp.brief()
    );
    ensure!(
        resp.json.get("jwt").is_none_or(Value::is_null),
        "a foreign macaroon got a token"
    );
    Ok(Outcome::Pass)
}

/// A forged, truncated or changed macaroon is 402 `macaroon_invalid` and spends nothing;
/// the real one then confirms, spending exactly one call.
pub(crate) async fn forged_macaroons_refused(ctx: &Ctx) -> CheckResult {
    let quote = l402_quote(ctx).await?;
    let refused = |resp: &Resp, what: &str| resp.expect_problem(402, "macaroon_invalid", what);
    let foreign = ctx
        .api
        .confirm(&json!({"quoteId": quote, "macaroon": foreign_macaroon()}))
        .await?;
    refused(&foreign, "confirm with a foreign macaroon")?;
    if ctx.api.key().is_none() {
        return Ok(Outcome::Pass);
    }
    skip_unless!(ctx.need_settle());
    let (bundle_id, claim) = claimed(ctx).await?;
    let good = claim["macaroon"].as_str().unwrap_or_default().to_owned();
    let mut changed = good.clone().into_bytes();
    if let Some(byte) = changed.get_mut(5) {
        *byte ^= 0x01;
    }
    let changed = String::from_utf8(changed).map_err(|e| e.to_string())?;
    for (what, macaroon) in [
        ("truncated", good[..good.len().saturating_sub(3)].to_owned()),
        ("changed", changed),
    ] {
        let resp = ctx
            .api
            .confirm(&json!({"quoteId": quote, "macaroon": macaroon}))
            .await?;
        refused(&resp, &format!("confirm with a {what} macaroon"))?;
    }
    ensure!(
        remaining_calls(ctx, &bundle_id).await? == 100,
        "refused macaroons spent bundle calls"
    );
    let resp = ctx
        .api
        .confirm(&json!({"quoteId": quote, "macaroon": good}))
        .await?;
    let body = resp.expect(200, "confirm with the claimed macaroon")?;
    ensure!(
        body["paymentStatus"] == "l402_paid" && body["remainingBudgetSats"] == 99,
        "confirm with the claimed macaroon: paymentStatus {}, remainingBudgetSats {}",
        body["paymentStatus"],
        body["remainingBudgetSats"]
    );
    ensure!(
        remaining_calls(ctx, &bundle_id).await? == 99,
        "a confirm did not spend exactly one call"
    );
    Ok(Outcome::Pass)
}

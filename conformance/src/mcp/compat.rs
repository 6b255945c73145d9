//! The compat checks: what the seed README promises, whatever the implementation. Every
//! answer is cross-checked with the API: the quote exists there, the JWT works there,
//! usage and quote states are the API's own, so a server that makes anything up fails
//! with a reason that says so.

use liveauth_protocol::codec::{decode_hash32_any, encode_hex};
use rmcp::model::Tool;
use serde_json::{Value, json};

use super::McpCtx;
use super::server::brief;
use crate::client::{Idempotency, Resp, solve_for};
use crate::{CheckResult, Outcome, ensure, skip_unless};

/// The seed's seven tools and the parameters the seed README gives each.
pub const SEED_TOOLS: [(&str, &[&str]); 7] = [
    ("liveauth_mcp_start", &["forceLightning"]),
    (
        "liveauth_mcp_confirm",
        &[
            "quoteId",
            "challengeHex",
            "nonce",
            "hashHex",
            "expiresAtUnix",
            "difficultyBits",
            "signature",
        ],
    ),
    ("liveauth_mcp_charge", &["callCostSats"]),
    ("liveauth_mcp_status", &["quoteId"]),
    ("liveauth_mcp_lnurl", &["quoteId"]),
    ("liveauth_mcp_usage", &[]),
    ("liveauth_mcp_refresh", &["refreshToken"]),
];

/// A session the server confirmed and the API accepts.
pub(crate) struct Session {
    pub(crate) quote_id: String,
    pub(crate) jwt: String,
    pub(crate) refresh_token: Option<String>,
}

pub(crate) async fn initialize(ctx: &McpCtx) -> CheckResult {
    let info = ctx.server.info().ok_or("no initialize result")?;
    ensure!(
        info.capabilities.tools.is_some(),
        "initialize announces no tools capability"
    );
    Ok(Outcome::Pass)
}

/// `name` in a `tools/list` answer.
pub(crate) fn find_tool<'a>(tools: &'a [Tool], name: &str) -> Result<&'a Tool, String> {
    tools
        .iter()
        .find(|t| t.name == name)
        .ok_or_else(|| format!("tools/list has no {name}"))
}

pub(crate) async fn seed_tools(ctx: &McpCtx) -> CheckResult {
    let tools = ctx.server.tools().await?;
    for (name, params) in SEED_TOOLS {
        let tool = find_tool(&tools, name)?;
        ensure!(
            tool.input_schema.get("type") == Some(&json!("object")),
            "{name}: the input schema is not an object schema"
        );
        let props = tool.input_schema.get("properties");
        for param in params {
            ensure!(
                props.and_then(|p| p.get(*param)).is_some(),
                "{name}: the input schema has no parameter {param}"
            );
        }
    }
    Ok(Outcome::Pass)
}

/// The API's answer to `GET /api/mcp/status/{quote}`, which must exist.
async fn api_status(ctx: &McpCtx, quote_id: &str) -> Result<Value, String> {
    let resp = ctx
        .api
        .api
        .get(&format!("/api/mcp/status/{quote_id}"))
        .await?;
    resp.expect(200, "the API's status of the quote the server returned")
        .cloned()
        .map_err(|e| format!("{e} (a quote the API does not know: made up?)"))
}

/// The API's usage for `jwt`: the API accepts the token.
async fn api_usage(ctx: &McpCtx, jwt: &str) -> Result<Value, String> {
    let resp = ctx.api.api.usage(jwt).await?;
    refused_jwt(&resp)?;
    Ok(resp.json)
}

fn refused_jwt(resp: &Resp) -> Result<(), String> {
    ensure!(
        resp.status == 200,
        "the API refuses the JWT the server handed out ({}): a made-up token",
        resp.brief()
    );
    Ok(())
}

/// Starts a PoW quote through the server; `(quoteId, powChallenge)`, the quote checked
/// with the API.
async fn start_pow(ctx: &McpCtx) -> Result<(String, Value), String> {
    let start = ctx.ok("liveauth_mcp_start", json!({})).await?;
    let quote_id = start["quoteId"]
        .as_str()
        .ok_or_else(|| format!("start: no quoteId: {start}"))?
        .to_owned();
    let challenge = start["powChallenge"].clone();
    for field in ["projectPublicKey", "challengeHex", "targetHex", "signature"] {
        ensure!(
            challenge[field].is_string(),
            "start: powChallenge.{field} is not a string: {start}"
        );
    }
    for field in ["difficultyBits", "expiresAtUnix"] {
        ensure!(
            challenge[field].is_u64(),
            "start: powChallenge.{field} is not a number: {start}"
        );
    }
    ensure!(
        start["invoice"].is_null(),
        "start: a PoW quote with an invoice: {start}"
    );
    let status = api_status(ctx, &quote_id).await?;
    ensure!(
        status["status"] == "pending",
        "the API says the new quote is {}, not pending",
        status["status"]
    );
    Ok((quote_id, challenge))
}

/// The confirm arguments of the seed for `challenge`, solved by the checker itself.
async fn solved_confirm(quote_id: &str, challenge: &Value) -> Result<Value, String> {
    let text = |f: &str| challenge[f].as_str().unwrap_or_default().to_owned();
    let bits = challenge["difficultyBits"]
        .as_u64()
        .and_then(|b| u32::try_from(b).ok())
        .unwrap_or(0);
    let (nonce, hash) = solve_for(text("projectPublicKey"), text("challengeHex"), bits, 0).await?;
    Ok(json!({
        "quoteId": quote_id,
        "challengeHex": challenge["challengeHex"],
        "nonce": nonce,
        "hashHex": hash,
        "expiresAtUnix": challenge["expiresAtUnix"],
        "difficultyBits": challenge["difficultyBits"],
        "signature": challenge["signature"],
    }))
}

/// The `jwt` of a confirm result, checked with the API.
async fn accepted_jwt(ctx: &McpCtx, confirm: &Value) -> Result<String, String> {
    let jwt = confirm["jwt"]
        .as_str()
        .ok_or_else(|| format!("confirm: no jwt: {confirm}"))?;
    api_usage(ctx, jwt).await?;
    Ok(jwt.to_owned())
}

/// start → the checker's own solution → confirm with every field, the JWT accepted by the
/// API.
pub(crate) async fn session(ctx: &McpCtx) -> Result<Session, String> {
    let (quote_id, challenge) = start_pow(ctx).await?;
    let arguments = solved_confirm(&quote_id, &challenge).await?;
    let confirm = ctx.ok("liveauth_mcp_confirm", arguments).await?;
    let jwt = accepted_jwt(ctx, &confirm).await?;
    Ok(Session {
        quote_id,
        jwt,
        refresh_token: confirm["refreshToken"].as_str().map(str::to_owned),
    })
}

pub(crate) async fn pow_confirm(ctx: &McpCtx) -> CheckResult {
    session(ctx).await?;
    Ok(Outcome::Pass)
}

/// `field` of the tool's answer equals the API's.
fn agrees(what: &str, field: &str, tool: &Value, api: &Value) -> Result<(), String> {
    ensure!(
        tool[field] == api[field],
        "{what}: {field} is {} but the API says {}",
        tool[field],
        api[field]
    );
    Ok(())
}

pub(crate) async fn charge_matches_api(ctx: &McpCtx) -> CheckResult {
    let session = session(ctx).await?;
    let charge = ctx
        .ok("liveauth_mcp_charge", json!({"callCostSats": 3}))
        .await?;
    ensure!(
        charge["status"] == "ok",
        "charge of 3 sats on a fresh session: status {}, not ok",
        charge["status"]
    );
    let usage = api_usage(ctx, &session.jwt).await?;
    ensure!(
        usage["satsUsed"] == 3 && usage["callsUsed"] == 1,
        "the API booked {} sats in {} calls, not the 3 sats in 1 call the server reported",
        usage["satsUsed"],
        usage["callsUsed"]
    );
    for field in ["callsUsed", "satsUsed"] {
        agrees("charge", field, &charge, &usage)?;
    }
    Ok(Outcome::Pass)
}

pub(crate) async fn usage_matches_api(ctx: &McpCtx) -> CheckResult {
    let session = session(ctx).await?;
    // Booked by the checker at the API, so only a server that asks the API can know it.
    let key = format!("conformance-mcp-{}", session.quote_id);
    let booked = ctx
        .api
        .api
        .charge(&session.jwt, 5, Idempotency::Body(&key))
        .await?;
    booked.expect(200, "the checker's own charge at the API")?;
    let usage = ctx.ok("liveauth_mcp_usage", json!({})).await?;
    let api = api_usage(ctx, &session.jwt).await?;
    for field in [
        "callsUsed",
        "satsUsed",
        "remainingBudgetSats",
        "maxSatsPerDay",
    ] {
        agrees("usage", field, &usage, &api)?;
    }
    Ok(Outcome::Pass)
}

pub(crate) async fn refresh_matches_api(ctx: &McpCtx) -> CheckResult {
    let session = session(ctx).await?;
    let token = session
        .refresh_token
        .ok_or("confirm gave no refreshToken")?;
    let refreshed = ctx
        .ok("liveauth_mcp_refresh", json!({"refreshToken": token}))
        .await?;
    let jwt = accepted_jwt(ctx, &refreshed).await?;
    ensure!(jwt != session.jwt, "refresh returned the same JWT");
    Ok(Outcome::Pass)
}

pub(crate) async fn status_matches_api(ctx: &McpCtx) -> CheckResult {
    let (pending, _) = start_pow(ctx).await?;
    let session = session(ctx).await?;
    for quote_id in [&pending, &session.quote_id] {
        let status = ctx
            .ok("liveauth_mcp_status", json!({"quoteId": quote_id}))
            .await?;
        let api = api_status(ctx, quote_id).await?;
        agrees("status", "status", &status, &api)?;
        agrees("status", "paymentStatus", &status, &api)?;
    }
    Ok(Outcome::Pass)
}

pub(crate) async fn confirm_quote_only(ctx: &McpCtx, required: bool) -> CheckResult {
    let (quote_id, _) = start_pow(ctx).await?;
    let confirm = ctx
        .call("liveauth_mcp_confirm", json!({"quoteId": quote_id}))
        .await?;
    if confirm.is_error() && !required {
        return Ok(Outcome::Skip(format!(
            "not offered: {}",
            brief(&confirm.text())
        )));
    }
    accepted_jwt(ctx, &confirm.ok()?).await?;
    Ok(Outcome::Pass)
}

pub(crate) async fn lightning_flow(ctx: &McpCtx) -> CheckResult {
    skip_unless!(ctx.api.need_settle());
    let start = ctx
        .ok("liveauth_mcp_start", json!({"forceLightning": true}))
        .await?;
    let quote_id = start["quoteId"]
        .as_str()
        .ok_or_else(|| format!("start: no quoteId: {start}"))?;
    let invoice = &start["invoice"];
    let bolt11 = invoice["bolt11"]
        .as_str()
        .ok_or_else(|| format!("start (forceLightning): no invoice.bolt11: {start}"))?;
    let hash = invoice["paymentHash"]
        .as_str()
        .and_then(decode_hash32_any)
        .ok_or_else(|| format!("start (forceLightning): no 32-byte paymentHash: {start}"))?;
    ensure!(
        invoice["amountSats"].is_u64(),
        "start (forceLightning): no invoice.amountSats: {start}"
    );
    let api = api_status(ctx, quote_id).await?;
    ensure!(
        api["paymentStatus"] != "paid",
        "the API says the new quote is already paid"
    );

    let lnurl = ctx
        .ok("liveauth_mcp_lnurl", json!({"quoteId": quote_id}))
        .await?;
    ensure!(
        lnurl["pr"]
            .as_str()
            .is_some_and(|pr| pr.eq_ignore_ascii_case(bolt11)),
        "lnurl: pr is not the quote's invoice: {lnurl}"
    );

    let unpaid = ctx
        .call("liveauth_mcp_confirm", json!({"quoteId": quote_id}))
        .await?;
    let unpaid = unpaid.json();
    ensure!(
        !unpaid["jwt"].is_string(),
        "confirm of an unpaid quote handed out a JWT (the API says paymentStatus {}): made up",
        api["paymentStatus"]
    );

    let preimage = ctx.api.api.settle(&encode_hex(&hash)).await?;
    ctx.secret(&preimage);
    let status = ctx
        .ok("liveauth_mcp_status", json!({"quoteId": quote_id}))
        .await?;
    let api = api_status(ctx, quote_id).await?;
    ensure!(
        status["paymentStatus"] == "paid",
        "status of the paid quote: paymentStatus {}, not paid",
        status["paymentStatus"]
    );
    agrees("status", "paymentStatus", &status, &api)?;
    agrees("status", "status", &status, &api)?;

    let confirm = ctx
        .ok("liveauth_mcp_confirm", json!({"quoteId": quote_id}))
        .await?;
    accepted_jwt(ctx, &confirm).await?;
    let api = api_status(ctx, quote_id).await?;
    ensure!(
        api["status"] == "confirmed",
        "after confirm the API says the quote is {}, not confirmed",
        api["status"]
    );
    Ok(Outcome::Pass)
}

pub(crate) async fn budget_deny(ctx: &McpCtx) -> CheckResult {
    let session = session(ctx).await?;
    let before = api_usage(ctx, &session.jwt).await?;
    let remaining = before["remainingBudgetSats"]
        .as_u64()
        .ok_or_else(|| format!("the API's usage has no remainingBudgetSats: {before}"))?;
    let charge = ctx
        .call(
            "liveauth_mcp_charge",
            json!({"callCostSats": remaining + 1}),
        )
        .await?;
    let json = charge.json();
    ensure!(
        json["status"] != "ok",
        "a charge over the remaining budget ({remaining} sats) was reported as ok: {}",
        brief(&charge.text())
    );
    ensure!(
        charge.is_error() || json["status"] == "deny",
        "a charge over the budget is neither isError nor status deny: {}",
        brief(&charge.text())
    );
    let after = api_usage(ctx, &session.jwt).await?;
    ensure!(
        after["satsUsed"] == before["satsUsed"],
        "the API's satsUsed moved from {} to {} on a denied charge",
        before["satsUsed"],
        after["satsUsed"]
    );
    Ok(Outcome::Pass)
}

pub(crate) async fn errors_are_tool_errors(ctx: &McpCtx) -> CheckResult {
    let unknown = "00000000-0000-4000-8000-000000000000";
    let status = ctx
        .call("liveauth_mcp_status", json!({"quoteId": unknown}))
        .await?;
    ensure!(
        status.is_error(),
        "status of an unknown quote is not isError: {}",
        brief(&status.text())
    );
    let (quote_id, challenge) = start_pow(ctx).await?;
    let mut wrong = solved_confirm(&quote_id, &challenge).await?;
    wrong["hashHex"] = json!("00".repeat(32));
    let confirm = ctx.call("liveauth_mcp_confirm", wrong).await?;
    ensure!(
        confirm.is_error() && !confirm.json()["jwt"].is_string(),
        "confirm with a wrong hashHex is not isError: {}",
        brief(&confirm.text())
    );
    let api = api_status(ctx, &quote_id).await?;
    ensure!(
        api["status"] == "pending",
        "after a refused confirm the API says the quote is {}",
        api["status"]
    );
    ctx.server
        .tools()
        .await
        .map_err(|e| format!("after two errors the server no longer answers: {e}"))?;
    Ok(Outcome::Pass)
}

//! Sessions and money: charge, usage, budgets under concurrency, idempotency, refresh.

use std::sync::Arc;

use serde_json::Value;
use tokio::sync::Semaphore;

use crate::client::{Idempotency, Resp};
use crate::quotes::{api_time, is_nonempty_str};
use crate::{CheckResult, Ctx, Outcome, ensure};

fn u64_field(body: &Value, field: &str) -> Result<u64, String> {
    body[field]
        .as_u64()
        .ok_or_else(|| format!("{field} is not an integer: {body}"))
}

async fn usage_of(ctx: &Ctx, jwt: &str) -> Result<Value, String> {
    let resp = ctx.api.usage(jwt).await?;
    resp.expect(200, "usage").cloned()
}

pub(crate) async fn charge_shape(ctx: &Ctx) -> CheckResult {
    let session = ctx.api.session().await?;
    let resp = ctx.api.charge(&session.jwt, 3, Idempotency::None).await?;
    let body = resp.expect(200, "charge")?;
    ensure!(body["status"] == "ok", "status is not ok: {body}");
    ensure!(
        body["callsUsed"] == 1 && body["satsUsed"] == 3,
        "first charge of 3 sats not counted as 1 call, 3 sats: {body}"
    );
    let second = ctx.api.charge(&session.jwt, 2, Idempotency::None).await?;
    let body = second.expect(200, "second charge")?;
    ensure!(
        body["callsUsed"] == 2 && body["satsUsed"] == 5,
        "second charge: {body}"
    );
    Ok(Outcome::Pass)
}

pub(crate) async fn usage_shape(ctx: &Ctx) -> CheckResult {
    let session = ctx.api.session().await?;
    ctx.api
        .charge(&session.jwt, 7, Idempotency::None)
        .await?
        .expect(200, "charge")?;
    let body = usage_of(ctx, &session.jwt).await?;
    ensure!(body["status"] == "active", "status is not active: {body}");
    ensure!(
        body["callsUsed"] == 1 && body["satsUsed"] == 7,
        "usage does not count the charge: {body}"
    );
    let max = u64_field(&body, "maxSatsPerDay")?;
    ensure!(
        body["remainingBudgetSats"].as_u64() == max.checked_sub(7),
        "remainingBudgetSats is not maxSatsPerDay - satsUsed: {body}"
    );
    u64_field(&body, "maxCallsPerMinute")?;
    ensure!(
        api_time(&body["expiresAt"]).is_some(),
        "expiresAt is not a timestamp: {body}"
    );
    ensure!(
        api_time(&body["dayWindowStart"]).is_some_and(|t| t.rem_euclid(86_400) == 0),
        "dayWindowStart is not a UTC midnight: {body}"
    );
    Ok(Outcome::Pass)
}

pub(crate) async fn charge_over_budget(ctx: &Ctx) -> CheckResult {
    let session = ctx.api.session().await?;
    let before = usage_of(ctx, &session.jwt).await?;
    let remaining = u64_field(&before, "remainingBudgetSats")?;
    let resp = ctx
        .api
        .charge(&session.jwt, remaining + 1, Idempotency::None)
        .await?;
    let body = resp.expect(200, "charge above the budget")?;
    ensure!(body["status"] == "deny", "status is not deny: {body}");
    ensure!(
        body["satsUsed"] == 0 && body["callsUsed"] == 0,
        "a deny was counted: {body}"
    );
    if let Some(reason) = body.get("reason") {
        ensure!(
            reason == "budget_exceeded",
            "reason is not budget_exceeded: {body}"
        );
    }
    let after = usage_of(ctx, &session.jwt).await?;
    ensure!(after["satsUsed"] == 0, "usage after a deny: {after}");
    Ok(Outcome::Pass)
}

pub(crate) async fn charge_rate_limited(ctx: &Ctx) -> CheckResult {
    let session = ctx.api.session().await?;
    let limit = u64_field(&usage_of(ctx, &session.jwt).await?, "maxCallsPerMinute")?;
    if limit > 200 {
        return Ok(Outcome::Skip(format!(
            "maxCallsPerMinute is {limit}: too many calls to spend"
        )));
    }
    for i in 0..limit {
        let resp = ctx.api.charge(&session.jwt, 1, Idempotency::None).await?;
        ensure!(
            resp.json["status"] == "ok",
            "call {} of {limit} refused: {}",
            i + 1,
            resp.brief()
        );
    }
    let resp = ctx.api.charge(&session.jwt, 1, Idempotency::None).await?;
    let body = resp.expect(200, "the call over the rate limit")?;
    ensure!(
        body["status"] == "deny" && body["reason"] == "rate_limited",
        "not denied as rate_limited: {body}"
    );
    ensure!(
        body["retryAfterSeconds"]
            .as_u64()
            .is_some_and(|s| (1..=60).contains(&s)),
        "retryAfterSeconds is not in 1..=60: {body}"
    );
    ensure!(
        body["callsUsed"] == limit,
        "the denied call was counted: {body}"
    );
    Ok(Outcome::Pass)
}

pub(crate) async fn parallel_charges(ctx: &Ctx) -> CheckResult {
    const CHARGES: u64 = 1000;
    let session = ctx.api.session().await?;
    let usage = usage_of(ctx, &session.jwt).await?;
    let budget = u64_field(&usage, "maxSatsPerDay")?;
    let calls = u64_field(&usage, "maxCallsPerMinute")?.min(CHARGES);
    ensure!(
        calls >= 3,
        "maxCallsPerMinute is {calls}: too low for this check"
    );
    // Price a call so that fewer than `calls - 1` fit the budget: the budget binds.
    let cost = budget / (calls - 2) + 1;
    let fit = budget / cost;
    let permits = Arc::new(Semaphore::new(200));
    let tasks: Vec<_> = (0..CHARGES)
        .map(|_| {
            let (api, jwt, permits) = (ctx.api.clone(), session.jwt.clone(), permits.clone());
            tokio::spawn(async move {
                let _permit = permits.acquire_owned().await;
                api.charge(&jwt, cost, Idempotency::None).await
            })
        })
        .collect();
    let (mut ok, mut denied, mut other) = (0u64, 0u64, Vec::<String>::new());
    for task in tasks {
        let resp: Resp = task.await.map_err(|e| format!("charge task: {e}"))??;
        match (resp.status, resp.json["status"].as_str()) {
            (200, Some("ok")) => ok += 1,
            (200, Some("deny")) => denied += 1,
            _ => other.push(resp.brief()),
        }
    }
    ensure!(
        other.is_empty(),
        "unexpected answers: {:?}",
        &other[..other.len().min(3)]
    );
    let after = usage_of(ctx, &session.jwt).await?;
    let spent = u64_field(&after, "satsUsed")?;
    ensure!(spent <= budget, "overspent: {spent} sats used of {budget}");
    ensure!(
        spent == ok * cost && after["callsUsed"] == ok,
        "{ok} charges of {cost} accepted but usage says {after}"
    );
    ensure!(
        ok == fit && denied == CHARGES - fit,
        "{ok} accepted, {denied} denied; expected exactly {fit} of {cost} sats in a budget of {budget}"
    );
    Ok(Outcome::Pass)
}

/// Where [`idempotency`] sends its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdempotencyVia {
    Body,
    Header,
}

pub(crate) async fn idempotency(ctx: &Ctx, via: IdempotencyVia) -> CheckResult {
    let session = ctx.api.session().await?;
    // The hosted API scopes keys by tool, across sessions: a key fixed across runs would
    // replay an earlier run's charge. The quote id is new on every run.
    let key = format!("conformance-{}-1", session.quote_id);
    let other_key = format!("conformance-{}-2", session.quote_id);
    let sent = |key: &str| {
        let (api, jwt, key) = (ctx.api.clone(), session.jwt.clone(), key.to_owned());
        async move {
            let idempotency = match via {
                IdempotencyVia::Body => Idempotency::Body(&key),
                IdempotencyVia::Header => Idempotency::Header(&key),
            };
            api.charge(&jwt, 11, idempotency).await
        }
    };
    let first = sent(&key).await?;
    let first_body = first.expect(200, "first charge")?.clone();
    ensure!(
        first_body["status"] == "ok",
        "first charge not ok: {first_body}"
    );
    let tasks: Vec<_> = (0..4).map(|_| tokio::spawn(sent(&key))).collect();
    for task in tasks {
        let resp = task.await.map_err(|e| format!("charge task: {e}"))??;
        let body = resp.expect(200, "repeated charge")?;
        match via {
            IdempotencyVia::Header => ensure!(
                resp.body == first.body,
                "a repeat answered {body}, the first {first_body}"
            ),
            IdempotencyVia::Body => {
                ensure!(body["status"] == "ok", "a repeat is not ok: {body}");
                for field in ["callsUsed", "satsUsed"] {
                    ensure!(
                        body[field] == first_body[field],
                        "a repeat's {field} differs: {body}, the first {first_body}"
                    );
                }
            }
        }
    }
    let usage = usage_of(ctx, &session.jwt).await?;
    ensure!(
        usage["callsUsed"] == 1 && usage["satsUsed"] == 11,
        "five charges with one key were not counted once: {usage}"
    );
    let other = sent(&other_key).await?;
    ensure!(
        other.json["satsUsed"] == 22,
        "a new key was not counted: {}",
        other.brief()
    );
    Ok(Outcome::Pass)
}

/// The token part of a confirm or refresh answer: a JWS compact `jwt`, a positive
/// `expiresIn` and an integer `remainingBudgetSats`. Returns the JWT.
pub(crate) fn token_grant(body: &Value) -> Result<&str, String> {
    let jwt = body["jwt"].as_str().unwrap_or_default();
    ensure!(
        jwt.split('.').count() == 3,
        "jwt is not a JWS compact token: {body}"
    );
    ensure!(
        body["expiresIn"].as_u64().is_some_and(|s| s > 0),
        "expiresIn is not a positive integer: {body}"
    );
    ensure!(
        body["remainingBudgetSats"].is_u64(),
        "remainingBudgetSats is not an integer: {body}"
    );
    Ok(jwt)
}

pub(crate) async fn refresh_shape(ctx: &Ctx) -> CheckResult {
    let session = ctx.api.session().await?;
    let mut token = session.refresh_token.clone();
    for round in 1..=2 {
        let resp = ctx.api.refresh(&token).await?;
        let body = resp.expect(200, &format!("refresh {round}"))?;
        let jwt = token_grant(body)?;
        let usage = ctx.api.usage(jwt).await?;
        usage.expect(200, &format!("usage with the jwt of refresh {round}"))?;
        // Rotation hands out the next token; without one, the same token stays good.
        match body.get("refreshToken").filter(|t| !t.is_null()) {
            None => {}
            Some(next) => {
                ensure!(
                    is_nonempty_str(next),
                    "refresh {round}: refreshToken is neither absent, null nor a string: {body}"
                );
                token = next.as_str().unwrap_or_default().to_owned();
            }
        }
    }
    Ok(Outcome::Pass)
}

pub(crate) async fn refresh_rotation(ctx: &Ctx) -> CheckResult {
    let session = ctx.api.session().await?;
    let mut token = session.refresh_token.clone();
    let mut seen = vec![token.clone()];
    for round in 1..=3 {
        let resp = ctx.api.refresh(&token).await?;
        let body = resp.expect(200, &format!("refresh {round}"))?;
        let next = body["refreshToken"].as_str().unwrap_or_default().to_owned();
        ensure!(
            is_nonempty_str(&body["refreshToken"]),
            "refresh {round} returned no refreshToken: {body}"
        );
        ensure!(
            !seen.contains(&next),
            "refresh {round} returned a token seen before"
        );
        seen.push(next.clone());
        token = next;
    }
    // The first token was used: refused.
    ctx.api.refresh(&seen[1]).await?.expect_problem(
        400,
        "invalid_grant",
        "a used refresh token",
    )?;
    Ok(Outcome::Pass)
}

pub(crate) async fn refresh_family_revocation(ctx: &Ctx) -> CheckResult {
    let session = ctx.api.session().await?;
    let resp = ctx.api.refresh(&session.refresh_token).await?;
    let newest = resp.expect(200, "refresh")?["refreshToken"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    ctx.api
        .refresh(&session.refresh_token)
        .await?
        .expect_problem(400, "invalid_grant", "the superseded token")?;
    ctx.api.refresh(&newest).await?.expect_problem(
        400,
        "invalid_grant",
        "the newest token after a replay",
    )?;
    ctx.api
        .refresh("la_rt_conformance-never-issued")
        .await?
        .expect_problem(400, "invalid_grant", "a token never issued")?;
    Ok(Outcome::Pass)
}

//! The PoW rule and the confirm endpoint's defences: only a solution of the signed
//! challenge, submitted once, before expiry, yields a token.

use liveauth_protocol::pow::{solution_hash, target_from_bits};
use serde_json::{Value, json};

use crate::client::{KEY_HEADER, non_solving_nonce, solve_for, solve_quote};
use crate::{CheckResult, Ctx, Outcome, ensure, skip_unless};

/// Confirms `body`, which the API must refuse: any readable 4xx, and when `strict`,
/// exactly `status` and `code` as problem+json.
async fn refused(
    ctx: &Ctx,
    body: &Value,
    (status, code): (u16, &str),
    strict: bool,
    what: &str,
) -> Result<(), String> {
    ctx.api
        .confirm(body)
        .await?
        .expect_refused(strict.then_some((status, code)), what)
}

/// The compat PoW defences again, each holding its refusals to the strict status and code.
pub(crate) async fn refusal_codes(ctx: &Ctx) -> CheckResult {
    let runs: [(&str, CheckResult); 11] = [
        ("forged signature", forged_signature(ctx, true).await),
        (
            "tampered challengeHex",
            tampered_challenge_hex(ctx, true).await,
        ),
        (
            "tampered difficultyBits",
            tampered_difficulty_bits(ctx, true).await,
        ),
        (
            "tampered expiresAtUnix",
            tampered_expires_at(ctx, true).await,
        ),
        ("tampered quoteId", tampered_quote_id(ctx, true).await),
        (
            "failed attempts",
            failed_attempts_consume_nothing(ctx, true).await,
        ),
        ("expired challenge", expired_challenge(ctx, true).await),
        ("replay", nonce_replayed(ctx, true).await),
        ("second nonce", second_nonce(ctx, true).await),
        ("hash = target", hash_equal_to_target(ctx, true).await),
        ("hash mismatch", hash_mismatch(ctx, true).await),
    ];
    for (what, result) in runs {
        // A part that cannot run here (no dev clock, difficulty too low) proves nothing
        // and fails nothing; the others still hold.
        result.map_err(|why| format!("{what}: {why}"))?;
    }
    wrong_project_key(ctx, true).await
}

pub(crate) async fn valid_solution_accepted(ctx: &Ctx) -> CheckResult {
    let quote = ctx.api.start_pow().await?;
    let (nonce, hash) = solve_quote(&quote, 0).await?;
    let resp = ctx.api.confirm(&quote.confirm_body(nonce, &hash)).await?;
    let body = resp.expect(200, "confirm")?;
    crate::sessions::token_grant(body)?;
    ensure!(
        crate::quotes::is_nonempty_str(&body["refreshToken"]),
        "refreshToken is not a string: {body}"
    );
    ensure!(
        body.get("paymentStatus").is_none_or(Value::is_null),
        "paymentStatus of a PoW quote is neither absent nor null: {body}"
    );
    Ok(Outcome::Pass)
}

pub(crate) async fn forged_signature(ctx: &Ctx, strict: bool) -> CheckResult {
    let quote = ctx.api.start_pow().await?;
    let (nonce, hash) = solve_quote(&quote, 0).await?;
    let real = quote.field_str("signature");
    // Same length and alphabet; the first character changed to a digit, so the forgery
    // also differs from the real one ignoring case (the hosted API reads hex in any case).
    let mut forged: Vec<char> = real.chars().collect();
    if let Some(first) = forged.first_mut() {
        *first = if *first == '0' { '1' } else { '0' };
    }
    let forged: String = forged.into_iter().collect();
    for sig in [
        forged.as_str(),
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "",
    ] {
        let mut body = quote.confirm_body(nonce, &hash);
        body["sig"] = json!(sig);
        refused(
            ctx,
            &body,
            (422, "signature_invalid"),
            strict,
            &format!("sig {sig:?}"),
        )
        .await?;
    }
    Ok(Outcome::Pass)
}

pub(crate) async fn tampered_challenge_hex(ctx: &Ctx, strict: bool) -> CheckResult {
    let quote = ctx.api.start_pow().await?;
    let real = quote.field_str("challengeHex");
    // Another challenge of the same length: the last digit changed.
    let mut other = real.clone();
    let last = other.pop().unwrap_or('0');
    other.push(if last == '0' { '1' } else { '0' });
    let (nonce, hash) = solve_for(
        quote.field_str("projectPublicKey"),
        other.clone(),
        quote.bits(),
        0,
    )
    .await?;
    let mut body = quote.confirm_body(nonce, &hash);
    body["challengeHex"] = json!(other);
    refused(
        ctx,
        &body,
        (422, "challenge_mismatch"),
        strict,
        "a solution of a tampered challengeHex",
    )
    .await?;
    Ok(Outcome::Pass)
}

pub(crate) async fn tampered_difficulty_bits(ctx: &Ctx, strict: bool) -> CheckResult {
    let quote = ctx.api.start_pow().await?;
    let bits = quote.bits();
    if bits < 4 {
        return Ok(Outcome::Skip(format!(
            "difficultyBits is {bits}: too low to lower it by 4"
        )));
    }
    let lower = bits - 4;
    let real_target = target_from_bits(bits).map_err(|e| e.to_string())?;
    let key = quote.field_str("projectPublicKey");
    let challenge = quote.field_str("challengeHex");
    // A nonce that meets the lowered target but not the real one.
    let mut from = 0;
    let (nonce, hash) = loop {
        let (nonce, hash) = solve_for(key.clone(), challenge.clone(), lower, from).await?;
        if solution_hash(&key, &challenge, nonce) >= real_target {
            break (nonce, hash);
        }
        from = nonce + 1;
    };
    let mut body = quote.confirm_body(nonce, &hash);
    body["difficultyBits"] = json!(lower);
    refused(
        ctx,
        &body,
        (422, "challenge_mismatch"),
        strict,
        "difficultyBits lowered by 4",
    )
    .await?;
    let (nonce, hash) = solve_quote(&quote, 0).await?;
    let mut body = quote.confirm_body(nonce, &hash);
    body["difficultyBits"] = json!(bits + 1);
    refused(
        ctx,
        &body,
        (422, "challenge_mismatch"),
        strict,
        "a real solution with difficultyBits + 1",
    )
    .await?;
    Ok(Outcome::Pass)
}

pub(crate) async fn tampered_expires_at(ctx: &Ctx, strict: bool) -> CheckResult {
    let quote = ctx.api.start_pow().await?;
    let (nonce, hash) = solve_quote(&quote, 0).await?;
    let mut body = quote.confirm_body(nonce, &hash);
    let expires = quote.challenge["expiresAtUnix"].as_i64().unwrap_or(0);
    body["expiresAtUnix"] = json!(expires + 3600);
    refused(
        ctx,
        &body,
        (422, "challenge_mismatch"),
        strict,
        "expiresAtUnix moved an hour later",
    )
    .await?;
    Ok(Outcome::Pass)
}

pub(crate) async fn tampered_quote_id(ctx: &Ctx, strict: bool) -> CheckResult {
    let solved = ctx.api.start_pow().await?;
    let other = ctx.api.start_pow().await?;
    let (nonce, hash) = solve_quote(&solved, 0).await?;
    let mut body = solved.confirm_body(nonce, &hash);
    body["quoteId"] = json!(other.quote_id);
    // The other quote's stored challenge differs, so the sig cannot verify for it.
    refused(
        ctx,
        &body,
        (422, "signature_invalid"),
        strict,
        "quote A's solution sent for quote B",
    )
    .await?;
    Ok(Outcome::Pass)
}

pub(crate) async fn failed_attempts_consume_nothing(ctx: &Ctx, strict: bool) -> CheckResult {
    let quote = ctx.api.start_pow().await?;
    let (nonce, hash) = solve_quote(&quote, 0).await?;
    let mut bad_sig = quote.confirm_body(nonce, &hash);
    bad_sig["sig"] = json!("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    let mut bad_hash = quote.confirm_body(nonce, &hash);
    bad_hash["hashHex"] = json!("0".repeat(64));
    let mut attempts = vec![
        (bad_sig, 422, "signature_invalid"),
        (bad_hash, 422, "hash_mismatch"),
    ];
    if let Some((wrong, wrong_hash)) = non_solving_nonce(&quote, 0) {
        attempts.push((
            quote.confirm_body(wrong, &wrong_hash),
            422,
            "solution_invalid",
        ));
    }
    for (body, status, code) in attempts {
        refused(ctx, &body, (status, code), strict, "a refused attempt").await?;
    }
    let resp = ctx.api.confirm(&quote.confirm_body(nonce, &hash)).await?;
    ensure!(
        resp.status == 200 && resp.json["jwt"].is_string(),
        "the real solution after refused attempts: {}",
        resp.brief()
    );
    Ok(Outcome::Pass)
}

pub(crate) async fn expired_challenge(ctx: &Ctx, strict: bool) -> CheckResult {
    skip_unless!(ctx.need_clock());
    let quote = ctx.api.start_pow().await?;
    let (nonce, hash) = solve_quote(&quote, 0).await?;
    let now = ctx.api.advance(0).await?;
    let expires = quote.challenge["expiresAtUnix"].as_i64().unwrap_or(now);
    let wait = u64::try_from(expires - now).unwrap_or(0);
    ctx.api.advance(wait).await?;
    refused(
        ctx,
        &quote.confirm_body(nonce, &hash),
        (410, "challenge_expired"),
        strict,
        "a solution at expiresAtUnix",
    )
    .await?;
    Ok(Outcome::Pass)
}

pub(crate) async fn nonce_replayed(ctx: &Ctx, strict: bool) -> CheckResult {
    let quote = ctx.api.start_pow().await?;
    let (nonce, hash) = solve_quote(&quote, 0).await?;
    let body = quote.confirm_body(nonce, &hash);
    ctx.api.confirm(&body).await?.expect(200, "first confirm")?;
    refused(
        ctx,
        &body,
        (409, "already_confirmed"),
        strict,
        "the same body replayed",
    )
    .await?;
    Ok(Outcome::Pass)
}

pub(crate) async fn second_nonce(ctx: &Ctx, strict: bool) -> CheckResult {
    let quote = ctx.api.start_pow().await?;
    let (first, first_hash) = solve_quote(&quote, 0).await?;
    let (second, second_hash) = solve_quote(&quote, first + 1).await?;
    ctx.api
        .confirm(&quote.confirm_body(first, &first_hash))
        .await?
        .expect(200, "first confirm")?;
    refused(
        ctx,
        &quote.confirm_body(second, &second_hash),
        (409, "already_confirmed"),
        strict,
        "a second valid nonce",
    )
    .await?;
    Ok(Outcome::Pass)
}

pub(crate) async fn parallel_confirms(ctx: &Ctx) -> CheckResult {
    let quote = ctx.api.start_pow().await?;
    let mut bodies = Vec::new();
    let mut from = 0;
    for _ in 0..20 {
        let (nonce, hash) = solve_quote(&quote, from).await?;
        bodies.push(quote.confirm_body(nonce, &hash));
        from = nonce + 1;
    }
    let tasks: Vec<_> = bodies
        .into_iter()
        .map(|body| {
            let api = ctx.api.clone();
            tokio::spawn(async move { api.confirm(&body).await })
        })
        .collect();
    let (mut tokens, mut conflicts, mut other) = (0, 0, Vec::new());
    for task in tasks {
        let resp = task.await.map_err(|e| format!("confirm task: {e}"))??;
        match (resp.status, resp.code()) {
            (200, _) if resp.json["jwt"].is_string() => tokens += 1,
            (409, Some("already_confirmed")) => conflicts += 1,
            _ => other.push(resp.brief()),
        }
    }
    ensure!(
        tokens == 1 && conflicts == 19,
        "{tokens} tokens, {conflicts} already_confirmed, others: {other:?}"
    );
    Ok(Outcome::Pass)
}

pub(crate) async fn noncanonical_nonces(ctx: &Ctx) -> CheckResult {
    let quote = ctx.api.start_pow().await?;
    let (nonce, hash) = solve_quote(&quote, 0).await?;
    let base = quote.confirm_body(nonce, &hash);
    let text = nonce.to_string();
    // Raw JSON for the nonce value, so floats and exponents reach the wire as written.
    let spellings = [
        format!("\"0{text}\""),
        format!("\"+{text}\""),
        format!("\"-{text}\""),
        format!("\" {text}\""),
        format!("\"{text} \""),
        format!("{text}.0"),
        format!("{text}e0"),
        format!("-{text}"),
        format!("\"0x{nonce:x}\""),
        "\"\"".to_owned(),
        "9007199254740992".to_owned(),
        "\"9007199254740992\"".to_owned(),
        "18446744073709551616".to_owned(),
        "null".to_owned(),
    ];
    for spelling in &spellings {
        let raw = serde_json::to_string(&base)
            .map_err(|e| e.to_string())?
            .replace(
                &format!("\"nonce\":{text}"),
                &format!("\"nonce\":{spelling}"),
            );
        ensure!(
            raw.contains(spelling.as_str()),
            "could not build the body for {spelling}"
        );
        let resp = ctx
            .api
            .fetch(
                ctx.api
                    .req(reqwest::Method::POST, "/api/mcp/confirm")
                    .header("content-type", "application/json")
                    .body(raw),
            )
            .await?;
        // `null` is a missing nonce (bad_request); every other spelling is nonce_invalid.
        let code = if spelling == "null" {
            "bad_request"
        } else {
            "nonce_invalid"
        };
        resp.expect_refused(Some((400, code)), &format!("nonce {spelling}"))?;
    }
    let ok = ctx.api.confirm(&base).await?;
    ensure!(
        ok.status == 200 && ok.json["jwt"].is_string(),
        "the canonical nonce after the refused spellings: {}",
        ok.brief()
    );
    Ok(Outcome::Pass)
}

pub(crate) async fn hash_equal_to_target(ctx: &Ctx, strict: bool) -> CheckResult {
    let quote = ctx.api.start_pow().await?;
    let Some((nonce, _)) = non_solving_nonce(&quote, 0) else {
        return Ok(Outcome::Skip(format!(
            "difficultyBits is {}: no non-solving nonce found",
            quote.bits()
        )));
    };
    let mut body = quote.confirm_body(nonce, "");
    body["hashHex"] = json!(quote.field_str("targetHex"));
    refused(
        ctx,
        &body,
        (422, "hash_mismatch"),
        strict,
        "hashHex = targetHex with a non-solving nonce",
    )
    .await?;
    body["hashHex"] = json!("0".repeat(64));
    refused(
        ctx,
        &body,
        (422, "hash_mismatch"),
        strict,
        "hashHex = 0 with a non-solving nonce",
    )
    .await?;
    Ok(Outcome::Pass)
}

pub(crate) async fn hash_mismatch(ctx: &Ctx, strict: bool) -> CheckResult {
    let quote = ctx.api.start_pow().await?;
    let (nonce, hash) = solve_quote(&quote, 0).await?;
    let (next, next_hash) = solve_quote(&quote, nonce + 1).await?;
    // A real solving hash, but of another nonce.
    let mut body = quote.confirm_body(nonce, &next_hash);
    ensure!(
        next != nonce && next_hash != hash,
        "solver returned the same nonce twice"
    );
    refused(
        ctx,
        &body,
        (422, "hash_mismatch"),
        strict,
        "hashHex of another solving nonce",
    )
    .await?;
    // The hosted API compares hashHex case-insensitively: only strict refuses uppercase.
    if strict {
        body["hashHex"] = json!(hash.to_uppercase());
        refused(
            ctx,
            &body,
            (422, "hash_mismatch"),
            strict,
            "hashHex in uppercase",
        )
        .await?;
    }
    Ok(Outcome::Pass)
}

pub(crate) async fn wrong_project_key(ctx: &Ctx, strict: bool) -> CheckResult {
    let quote = ctx.api.start_pow().await?;
    let (nonce, hash) = solve_quote(&quote, 0).await?;
    let resp = ctx
        .api
        .fetch(
            ctx.api
                .req(reqwest::Method::POST, "/api/mcp/confirm")
                .header(KEY_HEADER, "la_pk_conformance_other_project")
                .json(&quote.confirm_body(nonce, &hash)),
        )
        .await?;
    let what = "confirm with another project's key";
    ensure!(
        matches!(resp.status, 401 | 404),
        "{what}: expected 401 or 404, got {}",
        resp.brief()
    );
    resp.expect_refused(strict.then_some((401, "project_mismatch")), what)?;
    Ok(Outcome::Pass)
}

//! The strict checks: this implementation's promises beyond the seed (docs/design.md §6):
//! schemas and structured content, honest annotations, bad arguments named, no secret on
//! stderr, progress and cancellation of a solve, the 1.x tools and shapes.

use std::time::Duration;

use rmcp::model::Tool;
use serde_json::{Value, json};

use super::McpCtx;
use super::compat::{SEED_TOOLS, find_tool, session};
use super::server::brief;
use crate::{CheckResult, Outcome, ensure, skip_unless};

/// The seed tools that only read (status, lnurl, usage).
const READ_ONLY: [&str; 3] = [
    "liveauth_mcp_status",
    "liveauth_mcp_lnurl",
    "liveauth_mcp_usage",
];

fn validator(tool: &Tool) -> Result<jsonschema::Validator, String> {
    let schema = tool
        .output_schema
        .as_ref()
        .ok_or_else(|| format!("{} has no output schema", tool.name))?;
    jsonschema::validator_for(&Value::Object(schema.as_ref().clone()))
        .map_err(|e| format!("{}: the output schema does not compile: {e}", tool.name))
}

pub(crate) async fn output_schemas(ctx: &McpCtx) -> CheckResult {
    for tool in ctx.server.tools().await? {
        validator(&tool)?;
    }
    Ok(Outcome::Pass)
}

pub(crate) async fn structured_content(ctx: &McpCtx) -> CheckResult {
    let tools = ctx.server.tools().await?;
    let results = ctx
        .seen
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .results
        .clone();
    let mut checked = 0;
    for answer in results.iter().filter(|a| !a.is_error()) {
        let name = &answer.tool;
        let structured = answer
            .result
            .structured_content
            .as_ref()
            .ok_or_else(|| format!("{name}: a success without structuredContent"))?;
        let text: Value = serde_json::from_str(&answer.text()).map_err(|e| {
            format!(
                "{name}: the text block is not JSON ({e}): {}",
                brief(&answer.text())
            )
        })?;
        ensure!(
            &text == structured,
            "{name}: the text JSON differs from structuredContent"
        );
        let errors: Vec<String> = validator(find_tool(&tools, name)?)?
            .iter_errors(structured)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .take(3)
            .collect();
        ensure!(
            errors.is_empty(),
            "{name}: structuredContent does not fit the output schema: {}",
            errors.join("; ")
        );
        checked += 1;
    }
    ensure!(checked > 0, "no successful tool result to check");
    Ok(Outcome::Pass)
}

pub(crate) async fn annotations(ctx: &McpCtx) -> CheckResult {
    let tools = ctx.server.tools().await?;
    for (name, _) in SEED_TOOLS {
        let a = find_tool(&tools, name)?
            .annotations
            .as_ref()
            .ok_or_else(|| format!("{name} has no annotations"))?;
        let read_only = READ_ONLY.contains(&name);
        ensure!(
            a.read_only_hint == Some(read_only),
            "{name}: readOnlyHint {:?}, expected {read_only}",
            a.read_only_hint
        );
        if read_only {
            ensure!(
                a.idempotent_hint == Some(true),
                "{name}: a read-only tool without idempotentHint true"
            );
        }
        ensure!(
            a.destructive_hint == Some(false),
            "{name}: destructiveHint {:?}, expected false (nothing is deleted)",
            a.destructive_hint
        );
        ensure!(
            a.open_world_hint == Some(true),
            "{name}: openWorldHint {:?}, expected true (it calls the API)",
            a.open_world_hint
        );
    }
    Ok(Outcome::Pass)
}

pub(crate) async fn bad_arguments(ctx: &McpCtx) -> CheckResult {
    let cases = [
        (
            "liveauth_mcp_start",
            json!({"forceLightning": "yes"}),
            "forceLightning",
        ),
        (
            "liveauth_mcp_charge",
            json!({"callCostSats": -1}),
            "callCostSats",
        ),
        ("liveauth_mcp_status", json!({"quoteId": 5}), "quoteId"),
        ("liveauth_mcp_confirm", json!({}), "quoteId"),
        (
            "liveauth_mcp_refresh",
            json!({"refreshToken": 7}),
            "refreshToken",
        ),
    ];
    for (tool, arguments, field) in cases {
        let answer = ctx.call(tool, arguments.clone()).await?;
        ensure!(
            answer.is_error() && answer.text().contains(field),
            "{tool} {arguments}: expected isError naming {field}, got: {}",
            brief(&answer.text())
        );
    }
    Ok(Outcome::Pass)
}

pub(crate) async fn stderr_no_secrets(ctx: &McpCtx) -> CheckResult {
    let secrets = ctx
        .seen
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .secrets
        .clone();
    if !ctx.server.spawned() {
        return Ok(Outcome::Skip(
            "a server reached over HTTP: its stderr is not the checker's to read".into(),
        ));
    }
    if secrets.is_empty() {
        return Ok(Outcome::Skip(
            "no flow handed out a secret to look for".into(),
        ));
    }
    let stderr = ctx.server.stderr();
    let leaked = secrets
        .iter()
        .filter(|s| stderr.contains(s.as_str()))
        .count();
    ensure!(
        leaked == 0,
        "{leaked} of the {} tokens, refresh tokens, preimages and macaroons of this run are on the server's stderr (RUST_LOG=debug)",
        secrets.len()
    );
    Ok(Outcome::Pass)
}

/// A second instance of the server against the hard mock, with a solve of one of its
/// quotes running (confirm with only the quote id) as a cancellable request.
async fn hard_solve(
    ctx: &McpCtx,
) -> Result<
    Option<(
        super::Server,
        String,
        rmcp::service::RequestHandle<rmcp::RoleClient>,
    )>,
    String,
> {
    let Some(base) = &ctx.hard_base else {
        return Ok(None);
    };
    let server = ctx.spawn_against(base).await?;
    let start = server.call("liveauth_mcp_start", json!({})).await?.ok()?;
    let quote_id = start["quoteId"]
        .as_str()
        .ok_or_else(|| format!("start: no quoteId: {start}"))?
        .to_owned();
    let handle = server
        .send("liveauth_mcp_confirm", json!({"quoteId": quote_id}))
        .await?;
    Ok(Some((server, quote_id, handle)))
}

const NO_HARD: &str = "needs a challenge too hard to finish while the check waits: runs against the checker's own mock (no --api-base)";

pub(crate) async fn solve_progress(ctx: &McpCtx) -> CheckResult {
    let Some((server, _, handle)) = hard_solve(ctx).await? else {
        return Ok(Outcome::Skip(NO_HARD.into()));
    };
    let outcome = async {
        let wait = Duration::from_secs(30);
        let first = server
            .next_progress(wait)
            .await
            .ok_or("no progress notification within 30 s of a solve")?;
        ensure!(
            first.progress_token == handle.progress_token,
            "progress for another token"
        );
        let second = server
            .next_progress(wait)
            .await
            .ok_or("one progress notification, then none within 30 s")?;
        ensure!(
            second.progress.total_cmp(&first.progress).is_ge(),
            "progress went back from {} to {}",
            first.progress,
            second.progress
        );
        Ok(Outcome::Pass)
    }
    .await;
    let _ = handle.cancel(Some("conformance".into())).await;
    server.stop().await;
    outcome
}

/// CPU ticks `server` uses over one second.
async fn ticks_per_second(server: &super::Server) -> Option<u64> {
    let before = server.cpu_ticks()?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    Some(server.cpu_ticks()?.saturating_sub(before))
}

pub(crate) async fn solve_cancel(ctx: &McpCtx) -> CheckResult {
    let Some((server, quote_id, handle)) = hard_solve(ctx).await? else {
        return Ok(Outcome::Skip(NO_HARD.into()));
    };
    let outcome = async {
        // Solving, as the progress says (or a second's grace for a server without it).
        if server.next_progress(Duration::from_secs(30)).await.is_none() {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        let busy = ticks_per_second(&server).await;
        handle
            .cancel(Some("conformance".into()))
            .await
            .map_err(|e| format!("cannot send the cancellation: {e}"))?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let idle = ticks_per_second(&server).await;
        if let (Some(busy), Some(idle)) = (busy, idle) {
            ensure!(
                busy >= 20,
                "the server used {busy} CPU ticks in a second of solving: it is not solving"
            );
            ensure!(
                idle * 4 <= busy,
                "after the cancellation the server still used {idle} CPU ticks per second ({busy} while solving): the solve goes on"
            );
        }
        server
            .tools()
            .await
            .map_err(|e| format!("after the cancellation the server no longer answers: {e}"))?;
        let status = server
            .call("liveauth_mcp_status", json!({"quoteId": quote_id}))
            .await?
            .ok()?;
        ensure!(
            status["status"] == "pending",
            "the cancelled quote is {}, not pending",
            status["status"]
        );
        Ok(Outcome::Pass)
    }
    .await;
    server.stop().await;
    outcome
}

pub(crate) async fn start_force_l402(ctx: &McpCtx) -> CheckResult {
    let start = ctx
        .ok("liveauth_mcp_start", json!({"forceL402": true}))
        .await?;
    ensure!(
        start["authHint"] == "l402_bundle"
            && start["powChallenge"].is_null()
            && start["invoice"].is_null()
            && start["quoteId"].is_string(),
        "start forceL402: expected {{quoteId, powChallenge: null, invoice: null, authHint: l402_bundle}}, got {start}"
    );
    Ok(Outcome::Pass)
}

pub(crate) async fn l402_bundle_tool(ctx: &McpCtx) -> CheckResult {
    let tools = ctx.server.tools().await?;
    let tool = find_tool(&tools, "liveauth_mcp_l402_bundle")?;
    ensure!(
        tool.input_schema
            .get("properties")
            .and_then(|p| p.get("tier"))
            .is_some(),
        "liveauth_mcp_l402_bundle has no tier parameter"
    );
    if !ctx.keyed() {
        return Ok(Outcome::Skip(
            "keyless: the API sells bundles to keyed projects only".into(),
        ));
    }
    skip_unless!(ctx.api.need_settle());
    let pay = ctx
        .ok("liveauth_mcp_l402_bundle", json!({"tier": "starter"}))
        .await?;
    let hash = pay["paymentHash"]
        .as_str()
        .ok_or_else(|| format!("l402_bundle: no paymentHash: {pay}"))?;
    ensure!(
        pay["invoice"].as_str().is_some_and(|i| i.starts_with("ln")),
        "l402_bundle: no invoice: {pay}"
    );
    let preimage = ctx.api.api.settle(hash).await?;
    ctx.secret(&preimage);
    let claimed = ctx.ok("liveauth_mcp_l402_bundle", json!({})).await?;
    ensure!(
        claimed["step"] == "claimed" && claimed["macaroonKept"] == true,
        "l402_bundle after payment: not claimed: {claimed}"
    );
    Ok(Outcome::Pass)
}

pub(crate) async fn charge_receipts(ctx: &McpCtx) -> CheckResult {
    session(ctx).await?;
    let charge = ctx
        .ok("liveauth_mcp_charge", json!({"callCostSats": 2}))
        .await?;
    let receipt = &charge["receipt"];
    ensure!(
        receipt["version"] == "mcp-call-receipt-v1"
            && receipt["payload"].is_string()
            && receipt["signature"].is_string(),
        "an accepted charge's result carries no mcp-call-receipt-v1 receipt: {}",
        brief(&charge.to_string())
    );
    Ok(Outcome::Pass)
}

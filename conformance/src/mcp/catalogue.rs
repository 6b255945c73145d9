//! Every MCP check: its name, level, description and body, in the order [`super::run`]
//! runs them (the strict checks after the compat ones, since `structured_content` and
//! `stderr_no_secrets` read what the flows before them saw).

use super::{McpCtx, compat, strict};
use crate::{Check, Level};

/// Every MCP check, in the order [`super::run`] runs them.
pub fn catalogue() -> Vec<Check<McpCtx>> {
    vec![
        Check {
            name: "mcp_initialize",
            level: Level::Compat,
            description: "the server answers initialize over stdio and announces tools",
            run: |ctx| Box::pin(compat::initialize(ctx)),
        },
        Check {
            name: "mcp_seed_tools",
            level: Level::Compat,
            description: "tools/list has the seed's seven tools, each with the seed's parameters in an object input schema",
            run: |ctx| Box::pin(compat::seed_tools(ctx)),
        },
        Check {
            name: "mcp_pow_confirm",
            level: Level::Compat,
            description: "start gives a PoW quote the API knows (pending there); confirm with every field of the checker's own solution gives a JWT the API accepts",
            run: |ctx| Box::pin(compat::pow_confirm(ctx)),
        },
        Check {
            name: "mcp_charge_matches_api",
            level: Level::Compat,
            description: "charge of 3 sats on a fresh session is status ok, and the API's usage for that JWT shows exactly that call, with the same callsUsed and satsUsed",
            run: |ctx| Box::pin(compat::charge_matches_api(ctx)),
        },
        Check {
            name: "mcp_usage_matches_api",
            level: Level::Compat,
            description: "after the checker charges 5 sats at the API itself, usage answers the API's callsUsed, satsUsed, remainingBudgetSats and maxSatsPerDay",
            run: |ctx| Box::pin(compat::usage_matches_api(ctx)),
        },
        Check {
            name: "mcp_refresh_matches_api",
            level: Level::Compat,
            description: "refresh with confirm's refreshToken gives a new JWT the API accepts",
            run: |ctx| Box::pin(compat::refresh_matches_api(ctx)),
        },
        Check {
            name: "mcp_status_matches_api",
            level: Level::Compat,
            description: "status of a pending and of a confirmed quote answers the API's status and paymentStatus",
            run: |ctx| Box::pin(compat::status_matches_api(ctx)),
        },
        Check {
            name: "mcp_confirm_quote_only",
            level: Level::Compat,
            description: "where offered (1.1+), confirm with only quoteId solves the PoW itself and gives a JWT the API accepts; skipped when the server refuses it",
            run: |ctx| Box::pin(compat::confirm_quote_only(ctx, false)),
        },
        Check {
            name: "mcp_lightning_flow",
            level: Level::Compat,
            description: "start forceLightning gives an invoice the API quoted; lnurl gives that invoice; confirm while unpaid gives no JWT; after the checker settles it (dev endpoint) status says paid as the API does, confirm with quoteId gives a JWT the API accepts, and the API says confirmed",
            run: |ctx| Box::pin(compat::lightning_flow(ctx)),
        },
        Check {
            name: "mcp_budget_deny",
            level: Level::Compat,
            description: "a charge of one sat more than the API's remainingBudgetSats is reported as a deny (isError or status deny), never ok, and the API booked nothing",
            run: |ctx| Box::pin(compat::budget_deny(ctx)),
        },
        Check {
            name: "mcp_errors_are_tool_errors",
            level: Level::Compat,
            description: "status of an unknown quote and confirm with a wrong hashHex are isError tool results (not JSON-RPC errors), the quote stays pending at the API, and the server keeps answering",
            run: |ctx| Box::pin(compat::errors_are_tool_errors(ctx)),
        },
        Check {
            name: "mcp_output_schemas",
            level: Level::Strict,
            description: "every listed tool has an output schema that compiles (JSON Schema)",
            run: |ctx| Box::pin(strict::output_schemas(ctx)),
        },
        Check {
            name: "mcp_bad_arguments_named",
            level: Level::Strict,
            description: "a bad argument (wrong type, negative cost, missing quoteId) is an isError result whose text names the field",
            run: |ctx| Box::pin(strict::bad_arguments(ctx)),
        },
        Check {
            name: "mcp_annotations",
            level: Level::Strict,
            description: "the seed tools carry honest annotations: status, lnurl and usage read-only and idempotent, start, confirm, charge and refresh not read-only; none destructive; all open-world (they call the API)",
            run: |ctx| Box::pin(strict::annotations(ctx)),
        },
        Check {
            name: "mcp_confirm_quote_only_1x",
            level: Level::Strict,
            description: "confirm with only quoteId (1.1+) solves the PoW itself and gives a JWT the API accepts",
            run: |ctx| Box::pin(compat::confirm_quote_only(ctx, true)),
        },
        Check {
            name: "mcp_start_force_l402",
            level: Level::Strict,
            description: "start with forceL402 (1.1+) is {quoteId, powChallenge: null, invoice: null, authHint: l402_bundle}",
            run: |ctx| Box::pin(strict::start_force_l402(ctx)),
        },
        Check {
            name: "mcp_l402_bundle",
            level: Level::Strict,
            description: "liveauth_mcp_l402_bundle takes a tier; keyed, starter gives an invoice, and once the checker settles it (dev endpoint) a call without tier claims the bundle and keeps its macaroon",
            run: |ctx| Box::pin(strict::l402_bundle_tool(ctx)),
        },
        Check {
            name: "mcp_charge_receipts",
            level: Level::Strict,
            description: "an accepted charge's result carries the API's mcp-call-receipt-v1 receipt {version, payload, signature}",
            run: |ctx| Box::pin(strict::charge_receipts(ctx)),
        },
        Check {
            name: "mcp_solve_progress",
            level: Level::Strict,
            description: "confirm with only quoteId of a 30-bit challenge sends progress notifications for the request's token, not going backwards",
            run: |ctx| Box::pin(strict::solve_progress(ctx)),
        },
        Check {
            name: "mcp_solve_cancel",
            level: Level::Strict,
            description: "cancelling that solve stops it: the server's CPU time (its process tree, /proc) falls to under a quarter of what it used while solving, it keeps answering, and the quote stays pending",
            run: |ctx| Box::pin(strict::solve_cancel(ctx)),
        },
        Check {
            name: "mcp_structured_content",
            level: Level::Strict,
            description: "every successful tool result of this run has structuredContent, a text block holding the same JSON, and fits the tool's output schema",
            run: |ctx| Box::pin(strict::structured_content(ctx)),
        },
        Check {
            name: "mcp_stderr_no_secrets",
            level: Level::Strict,
            description: "no JWT, refresh token, preimage or macaroon of this run appears on the server's stderr (RUST_LOG=debug)",
            run: |ctx| Box::pin(strict::stderr_no_secrets(ctx)),
        },
    ]
}

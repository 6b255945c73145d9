//! MCP server figures:
//! `mcp-figures [TARGET_DIR]` with release builds of `mock-api` and `liveauth-mcp` in
//! TARGET_DIR/release (default `target`).
//!
//! Starts `mock-api --difficulty-bits 18` on loopback, then measures over stdio, speaking
//! raw JSON-RPC to the `liveauth-mcp` binary:
//! - cold start: process spawn to the `initialize` result (median of 20 fresh processes);
//! - idle RSS after `initialize`;
//! - tool-call overhead: `liveauth_mcp_status` through MCP against the same
//!   `GET /api/mcp/status/{id}` made directly over a kept-alive connection (medians of 200);
//! - `liveauth_mcp_authenticate` at 18 bits end to end (median and p95 of 20).

#![allow(clippy::print_stdout)] // the figures are this program's output

use std::time::{Duration, Instant};

use anyhow::Context as _;
use liveauth_bench::stdio::Fixture;
use liveauth_bench::{median_p95, ms, rss_mib};
use serde_json::json;

const COLD_STARTS: usize = 20;
const STATUS_CALLS: usize = 200;
const AUTHENTICATIONS: usize = 20;

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let fixture = Fixture::start(&["--difficulty-bits", "18"]).await?;
    let http = reqwest::Client::new();

    // Cold starts: a fresh process each time, spawn to the initialize result.
    let mut starts = Vec::with_capacity(COLD_STARTS);
    for _ in 0..COLD_STARTS {
        let began = Instant::now();
        let mut mcp = fixture.mcp(&["--state", "memory"])?;
        mcp.initialize()?;
        starts.push(began.elapsed());
    }
    let (start_median, start_p95) = median_p95(&mut starts);

    let mut mcp = fixture.mcp(&["--state", "memory"])?;
    mcp.initialize()?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (idle_rss, _) = rss_mib(mcp.child.0.id())?;

    // Tool-call overhead: the same status read through MCP and directly.
    let quote = mcp.call("liveauth_mcp_start", json!({}))?;
    let quote_id = quote["quoteId"].as_str().context("no quoteId")?.to_owned();
    let status_url = format!("{}/api/mcp/status/{quote_id}", fixture.base);
    let mut via_mcp = Vec::with_capacity(STATUS_CALLS);
    let mut direct = Vec::with_capacity(STATUS_CALLS);
    for _ in 0..STATUS_CALLS / 10 {
        // Warm both paths' connections.
        mcp.call("liveauth_mcp_status", json!({"quoteId": quote_id}))?;
        http.get(&status_url).send().await?.bytes().await?;
    }
    for _ in 0..STATUS_CALLS {
        let began = Instant::now();
        mcp.call("liveauth_mcp_status", json!({"quoteId": quote_id}))?;
        via_mcp.push(began.elapsed());
        let began = Instant::now();
        http.get(&status_url)
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        direct.push(began.elapsed());
    }
    let (mcp_median, mcp_p95) = median_p95(&mut via_mcp);
    let (direct_median, direct_p95) = median_p95(&mut direct);

    // Authenticate end to end at the mock's 18 bits.
    let mut auths = Vec::with_capacity(AUTHENTICATIONS);
    let mut hashes = 0u64;
    for _ in 0..AUTHENTICATIONS {
        let began = Instant::now();
        let result = mcp.call("liveauth_mcp_authenticate", json!({}))?;
        auths.push(began.elapsed());
        hashes += result["solve"]["hashesTried"].as_u64().unwrap_or(0);
    }
    let (auth_median, auth_p95) = median_p95(&mut auths);
    let (_, peak) = rss_mib(mcp.child.0.id())?;

    println!("| figure | median | p95 | target |");
    println!("|---|---:|---:|---|");
    println!(
        "| cold start to `initialize` result ({COLD_STARTS} processes) | {} ms | {} ms | < 30 ms median |",
        ms(start_median),
        ms(start_p95)
    );
    println!("| idle RSS after `initialize` | {idle_rss:.1} MiB | | < 25 MB |");
    println!(
        "| `liveauth_mcp_status` through MCP ({STATUS_CALLS} calls) | {} ms | {} ms | |",
        ms(mcp_median),
        ms(mcp_p95)
    );
    println!(
        "| the same `GET /api/mcp/status/{{id}}` directly | {} ms | {} ms | |",
        ms(direct_median),
        ms(direct_p95)
    );
    println!(
        "| tool-call overhead (difference of medians) | {} ms | | < 1 ms median |",
        ms(mcp_median.saturating_sub(direct_median))
    );
    println!(
        "| `liveauth_mcp_authenticate` at 18 bits ({AUTHENTICATIONS} runs, {} hashes mean) | {} ms | {} ms | < 60 ms median |",
        hashes / AUTHENTICATIONS as u64,
        ms(auth_median),
        ms(auth_p95)
    );
    println!("| peak RSS of the MCP server after the runs | {peak:.1} MiB | | |");
    Ok(())
}

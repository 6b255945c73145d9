//! State store figures:
//! `state-figures [TARGET_DIR]` with release builds of `mock-api` and `liveauth-mcp` in
//! TARGET_DIR/release (default `target`).
//!
//! Starts `mock-api` on loopback, then, speaking raw JSON-RPC to `liveauth-mcp`:
//! - populates a state file in a temporary directory: authenticate, a charge, and quotes
//!   up to the per-scope bound (64), from one process that is then stopped;
//! - cold start: process spawn to the `initialize` result with that file (`--state
//!   FILE`) and with `--state memory` (median and p95 of 30 fresh processes each);
//! - the store's cost on a charge: two servers, one on the populated file, one in memory,
//!   each authenticated; `liveauth_mcp_charge` round trips alternating between them
//!   (2,000 each); median and p99 of each, and their difference.

#![allow(clippy::print_stdout)] // the figures are this program's output

use std::time::{Duration, Instant};

use anyhow::Context as _;
use liveauth_bench::stdio::Fixture;
use liveauth_bench::{ms, nearest_rank};
use serde_json::json;

const COLD_STARTS: usize = 30;
const CHARGES: usize = 2_000;
/// The per-scope quote bound (`MAX_QUOTES` in the server's session).
const QUOTES: usize = 64;

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let fixture = Fixture::start(&[
        "--difficulty-bits",
        "12",
        "--max-sats-per-day",
        "100000000",
        "--max-calls-per-minute",
        "100000000",
    ])
    .await?;
    let scratch = std::env::temp_dir().join(format!("state-figures-{}", std::process::id()));
    let state = scratch.join("state.db");
    let state_arg = state.to_str().context("temporary path is not UTF-8")?;
    let file_args = ["--state", state_arg];
    let memory_args = ["--state", "memory"];

    // A populated file: a session and the most quotes a scope keeps.
    {
        let mut mcp = fixture.mcp(&file_args)?;
        mcp.initialize()?;
        mcp.call("liveauth_mcp_authenticate", json!({}))?;
        mcp.call("liveauth_mcp_charge", json!({"callCostSats": 1}))?;
        for _ in 1..QUOTES {
            mcp.call("liveauth_mcp_start", json!({}))?;
        }
    }
    let file_bytes = std::fs::metadata(&state)?.len()
        + std::fs::metadata(scratch.join("state.db-wal")).map_or(0, |m| m.len());

    let cold = |args: &[&str]| -> anyhow::Result<(Duration, Duration)> {
        let mut samples = Vec::with_capacity(COLD_STARTS);
        for _ in 0..COLD_STARTS {
            let began = Instant::now();
            let mut mcp = fixture.mcp(args)?;
            mcp.initialize()?;
            samples.push(began.elapsed());
        }
        samples.sort_unstable();
        Ok((nearest_rank(&samples, 0.5), nearest_rank(&samples, 0.95)))
    };
    let (file_start, file_start_p95) = cold(&file_args)?;
    let (memory_start, memory_start_p95) = cold(&memory_args)?;

    // Charges, alternating between the two servers so both see the same machine load.
    let mut on_file = fixture.mcp(&file_args)?;
    on_file.initialize()?;
    let mut in_memory = fixture.mcp(&memory_args)?;
    in_memory.initialize()?;
    in_memory.call("liveauth_mcp_authenticate", json!({}))?;
    let charge = json!({"callCostSats": 1});
    for _ in 0..CHARGES / 10 {
        on_file.call("liveauth_mcp_charge", charge.clone())?;
        in_memory.call("liveauth_mcp_charge", charge.clone())?;
    }
    let (mut file_calls, mut memory_calls) =
        (Vec::with_capacity(CHARGES), Vec::with_capacity(CHARGES));
    for _ in 0..CHARGES {
        let began = Instant::now();
        on_file.call("liveauth_mcp_charge", charge.clone())?;
        file_calls.push(began.elapsed());
        let began = Instant::now();
        in_memory.call("liveauth_mcp_charge", charge.clone())?;
        memory_calls.push(began.elapsed());
    }
    drop((on_file, in_memory));
    std::fs::remove_dir_all(&scratch)?;
    file_calls.sort_unstable();
    memory_calls.sort_unstable();
    let quantiles = |sorted: &[Duration]| (nearest_rank(sorted, 0.5), nearest_rank(sorted, 0.99));
    let (file_median, file_p99) = quantiles(&file_calls);
    let (memory_median, memory_p99) = quantiles(&memory_calls);

    println!("state file: {file_bytes} bytes with 1 session and {QUOTES} quotes");
    println!("| figure | median | p95 / p99 | target |");
    println!("|---|---:|---:|---|");
    println!(
        "| cold start to `initialize`, populated file ({COLD_STARTS} processes) | {} ms | {} ms (p95) | < 10 ms |",
        ms(file_start),
        ms(file_start_p95)
    );
    println!(
        "| cold start to `initialize`, `--state memory` | {} ms | {} ms (p95) | |",
        ms(memory_start),
        ms(memory_start_p95)
    );
    println!(
        "| `liveauth_mcp_charge`, state file ({CHARGES} calls) | {} ms | {} ms (p99) | |",
        ms(file_median),
        ms(file_p99)
    );
    println!(
        "| `liveauth_mcp_charge`, `--state memory` | {} ms | {} ms (p99) | |",
        ms(memory_median),
        ms(memory_p99)
    );
    println!(
        "| added by the state file (difference) | {} ms | {} ms (p99) | < 0.5 ms |",
        signed_ms(file_median, memory_median),
        signed_ms(file_p99, memory_p99)
    );
    Ok(())
}

/// `a - b` in milliseconds, negative when `b` is larger.
fn signed_ms(a: Duration, b: Duration) -> String {
    format!("{:+.3}", (a.as_secs_f64() - b.as_secs_f64()) * 1000.0)
}

//! Solve-time table: `cargo run --release -p liveauth-bench --bin solve-table [RUNS]`.
//!
//! For 16, 20 and 24 difficulty bits, solves RUNS (default 50) random challenges on all
//! cores with `solve()` as the MCP server calls it, and prints the median and p95 wall
//! time next to the expected 2^bits hashes.

#![allow(clippy::print_stdout)] // the table is this program's output

use std::time::{Duration, Instant};

use liveauth_bench::{median_p95, ms};
use liveauth_protocol::codec::encode_hex;
use liveauth_protocol::pow::solver::{Kernel, SolveControl, SolveOptions, solve};
use liveauth_protocol::pow::target_from_bits;
use rand::RngCore;

fn main() -> anyhow::Result<()> {
    let runs: usize = match std::env::args().nth(1) {
        Some(arg) => arg.parse()?,
        None => 50,
    };
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    println!(
        "{runs} solves per row, {cores} threads, kernel: {}",
        Kernel::Fastest.describe()
    );
    println!("| bits | expected hashes (2^bits) | mean hashes tried | median | p95 | mean rate |");
    println!("|---:|---:|---:|---:|---:|---:|");
    let mut rng = rand::rng();
    for bits in [16u32, 20, 24] {
        let target = target_from_bits(bits)?;
        let mut times = Vec::with_capacity(runs);
        let mut hashes = 0u64;
        for _ in 0..runs {
            let mut challenge = [0u8; 32];
            rng.fill_bytes(&mut challenge);
            let challenge = encode_hex(&challenge);
            let started = Instant::now();
            let found = solve(
                "la_pk_demo",
                &challenge,
                &target,
                &SolveOptions::default(),
                &SolveControl::new(),
            )?;
            times.push(started.elapsed());
            hashes += found.hashes_tried;
        }
        let total: Duration = times.iter().sum();
        let (median, p95) = median_p95(&mut times);
        #[allow(clippy::cast_precision_loss)] // display only
        let (mean_hashes, rate) = (
            hashes as f64 / runs as f64,
            hashes as f64 / total.as_secs_f64() / 1e6,
        );
        println!(
            "| {bits} | {} | {mean_hashes:.0} | {} ms | {} ms | {rate:.1} MH/s |",
            1u64 << bits,
            ms(median),
            ms(p95)
        );
    }
    Ok(())
}

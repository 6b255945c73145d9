//! Shared helpers of the benchmark drivers in `src/bin/` (see BENCHMARKS.md):
//!
//! - `solve-table`: solve-time median and p95 at 16, 20 and 24 bits.
//! - `api-fixtures`: pre-solved confirm bodies and access tokens for the `wrk` scenarios
//!   in `bench/wrk/`, and the quote churn that shows the mock's memory stays flat.
//! - `mcp-figures`: the MCP server's cold start, idle memory, tool-call overhead and
//!   end-to-end `liveauth_mcp_authenticate` time.
//! - `state-figures`: what the state store adds to a charge, and cold start with a
//!   populated state file.
//!
//! [`stdio`] runs the release binaries for them.

pub mod stdio;

use std::time::Duration;

/// The median and the 95th percentile (nearest rank) of `samples`, which it sorts.
pub fn median_p95(samples: &mut [Duration]) -> (Duration, Duration) {
    samples.sort_unstable();
    (nearest_rank(samples, 0.5), nearest_rank(samples, 0.95))
}

/// The `p` quantile (nearest rank, `0 < p <= 1`) of `sorted`; zero when empty.
pub fn nearest_rank(sorted: &[Duration], p: f64) -> Duration {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // small counts
    let index = ((p * sorted.len() as f64).ceil() as usize).saturating_sub(1);
    sorted
        .get(index.min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or(Duration::ZERO)
}

/// Milliseconds with two decimals, for tables.
pub fn ms(duration: Duration) -> String {
    format!("{:.2}", duration.as_secs_f64() * 1000.0)
}

/// `VmRSS` and `VmHWM` (peak) of a process in MiB, from `/proc/PID/status` (Linux).
pub fn rss_mib(pid: u32) -> anyhow::Result<(f64, f64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let field = |name: &str| -> anyhow::Result<f64> {
        let line = status
            .lines()
            .find(|line| line.starts_with(name))
            .ok_or_else(|| anyhow::anyhow!("no {name} in /proc/{pid}/status"))?;
        let kib: f64 = line
            .split_whitespace()
            .nth(1)
            .ok_or_else(|| anyhow::anyhow!("malformed {name}"))?
            .parse()?;
        Ok(kib / 1024.0)
    };
    Ok((field("VmRSS:")?, field("VmHWM:")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut samples: Vec<_> = (1..=100).rev().map(Duration::from_millis).collect();
        assert_eq!(
            median_p95(&mut samples),
            (Duration::from_millis(50), Duration::from_millis(95))
        );
    }
}

//! Shared helpers of the benchmark drivers in `src/bin/` (see BENCHMARKS.md):
//!
//! - `solve-table`: solve-time median and p95 at 16, 20 and 24 bits.
//! - `api-fixtures`: pre-solved confirm bodies and access tokens for the `wrk` scenarios
//!   in `bench/wrk/`, and the quote churn that shows the mock's memory stays flat.
//! - `mcp-figures`: the MCP server's cold start, idle memory, tool-call overhead and
//!   end-to-end `liveauth_mcp_authenticate` time.

use std::time::Duration;

/// The median and the 95th percentile (nearest rank) of `samples`, which it sorts.
pub fn median_p95(samples: &mut [Duration]) -> (Duration, Duration) {
    samples.sort_unstable();
    if samples.is_empty() {
        return (Duration::ZERO, Duration::ZERO);
    }
    let rank = |p: f64| {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // small counts
        let index = ((p * samples.len() as f64).ceil() as usize).saturating_sub(1);
        samples[index.min(samples.len() - 1)]
    };
    (rank(0.5), rank(0.95))
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

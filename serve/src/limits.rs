//! What one connection may cost: [`Limits`], the same flags in both binaries.

use std::time::Duration;

/// Socket-level limits of [`crate::serve`]. `Default` is what the flags default to.
///
/// Both binaries flatten this into their command line, so the flags and their defaults
/// are written once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::Args)]
pub struct Limits {
    /// Time a new connection has to send its first request head, and a kept-alive one to
    /// finish a head it has started (`10s`, `500ms`; a bare number is seconds).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = duration)]
    pub header_read_timeout: Duration,
    /// Time a kept-alive connection may sit idle between requests before it is closed.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = duration)]
    pub idle_timeout: Duration,
    /// Open connections served at once; one more is answered 503 and closed at once.
    #[arg(long, value_name = "N", default_value_t = 512,
        value_parser = clap::value_parser!(u32).range(1..=65_536))]
    pub max_connections: u32,
    /// Largest request line plus headers, in bytes (431 above).
    #[arg(long, value_name = "BYTES", default_value_t = 16 * 1024,
        value_parser = clap::value_parser!(u32).range(1024..=1024 * 1024))]
    pub max_header_bytes: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 512,
            max_header_bytes: 16 * 1024,
        }
    }
}

/// Longest timeout a flag may set: longer ones only keep attackers' connections.
const MAX_TIMEOUT: Duration = Duration::from_secs(3600);

/// `10s`, `500ms` or `10` (seconds): positive, at most an hour.
fn duration(text: &str) -> Result<Duration, String> {
    let (number, millis_per_unit) = match text.strip_suffix("ms") {
        Some(number) => (number, 1),
        None => (text.strip_suffix('s').unwrap_or(text), 1000),
    };
    let millis = number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(millis_per_unit))
        .ok_or_else(|| format!("{text:?} is not a duration like 10s or 500ms"))?;
    let duration = Duration::from_millis(millis);
    if duration.is_zero() || duration > MAX_TIMEOUT {
        return Err(format!("{text:?} must be above 0 and at most 1 hour"));
    }
    Ok(duration)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;

    #[derive(Debug, clap::Parser)]
    struct Cli {
        #[command(flatten)]
        limits: Limits,
    }

    #[test]
    fn flag_defaults_are_the_default() {
        assert_eq!(Cli::parse_from(["x"]).limits, Limits::default());
    }

    #[test]
    fn durations() {
        assert_eq!(duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(duration("7"), Ok(Duration::from_secs(7)));
        assert_eq!(duration("250ms"), Ok(Duration::from_millis(250)));
        for bad in [
            "",
            "0",
            "0ms",
            "-1",
            "1h",
            "3601s",
            "1.5s",
            "99999999999999999999",
        ] {
            assert!(duration(bad).is_err(), "{bad}");
        }
    }
}

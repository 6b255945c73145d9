//! The app's clock. Handlers read time only from here, so tests (and `--manual-clock`)
//! control expiry, UTC-day rollover and rate windows without sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Unix seconds. The manual clock starts here (2026-01-01T00:00:00Z) so seeded runs are
/// byte-identical.
pub const MANUAL_CLOCK_START: i64 = 1_767_225_600;

/// Longest single move: ten years, more than any lifetime a test waits out.
pub const MAX_STEP_SECS: u64 = 10 * 365 * 86_400;

/// Longest total move: a century. Past it nothing a test means remains, and each year
/// brings the BOLT11 limit closer.
pub const MAX_TOTAL_SECS: u64 = 100 * 365 * 86_400;

/// Latest time the clock may show: a BOLT11 timestamp has 35 bits (it ends in year
/// 3058) and an invoice's expiry is added to it, so stay ten years (the longest lifetime
/// flag) short of that. Past it every Lightning start would fail.
pub const LATEST_UNIX: i64 = (1 << 35) - 1 - 10 * 365 * 86_400;

/// The clock did not move: the step was too long.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the clock moves at most {MAX_STEP_SECS} s per call and {MAX_TOTAL_SECS} s in total, \
     and never past what BOLT11 invoices can encode: at most {max_seconds} s now"
)]
pub struct TooFar {
    /// The longest step still allowed.
    pub max_seconds: u64,
}

/// System time plus an offset that the dev endpoint can advance, or a manual time that
/// moves only through that endpoint.
#[derive(Debug, Clone)]
pub struct Clock {
    manual: bool,
    /// Manual: the current time. System: seconds added to the system time.
    value: Arc<AtomicI64>,
    /// What `value` was at the start, so `value - origin` is how far it was moved.
    origin: i64,
}

impl Clock {
    pub fn system() -> Self {
        Self {
            manual: false,
            value: Arc::new(AtomicI64::new(0)),
            origin: 0,
        }
    }

    pub fn manual(start_unix: i64) -> Self {
        Self {
            manual: true,
            value: Arc::new(AtomicI64::new(start_unix)),
            origin: start_unix,
        }
    }

    pub fn now(&self) -> i64 {
        self.at(self.value.load(Ordering::SeqCst))
    }

    /// The time shown when `value` holds `value`.
    fn at(&self, value: i64) -> i64 {
        if self.manual {
            return value;
        }
        let system = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        i64::try_from(system)
            .unwrap_or(i64::MAX)
            .saturating_add(value)
    }

    /// Moves time forward (never back: expiry must not be undone) by at most
    /// [`MAX_STEP_SECS`], [`MAX_TOTAL_SECS`] in all, never past [`LATEST_UNIX`]; returns
    /// the new time. A refused step moves nothing.
    pub fn advance(&self, seconds: u64) -> Result<i64, TooFar> {
        let mut value = self.value.load(Ordering::SeqCst);
        loop {
            let moved = u64::try_from(value.saturating_sub(self.origin)).unwrap_or(0);
            let to_latest = u64::try_from(LATEST_UNIX.saturating_sub(self.at(value))).unwrap_or(0);
            let max_seconds = MAX_STEP_SECS
                .min(MAX_TOTAL_SECS.saturating_sub(moved))
                .min(to_latest);
            if seconds > max_seconds {
                return Err(TooFar { max_seconds });
            }
            // Fits: `seconds` is at most a century.
            let next = value.saturating_add(i64::try_from(seconds).unwrap_or(i64::MAX));
            match self
                .value
                .compare_exchange(value, next, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(_) => return Ok(self.at(next)),
                Err(current) => value = current,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_advanced() {
        let clock = Clock::manual(100);
        assert_eq!(clock.now(), 100);
        assert_eq!(clock.advance(60), Ok(160));
        assert_eq!(clock.clone().now(), 160);
    }

    #[test]
    fn system_clock_offset() {
        let clock = Clock::system();
        let before = clock.now();
        assert!(clock.advance(3600).unwrap() >= before + 3600);
    }

    #[test]
    fn steps_are_bounded_per_call_in_total_and_by_bolt11() {
        let clock = Clock::manual(MANUAL_CLOCK_START);
        assert!(clock.advance(MAX_STEP_SECS + 1).is_err());
        assert!(clock.advance(u64::MAX).is_err());
        while clock.advance(MAX_STEP_SECS).is_ok() {}
        let moved = clock.now() - MANUAL_CLOCK_START;
        assert_eq!(u64::try_from(moved).unwrap(), MAX_TOTAL_SECS);
        assert_eq!(clock.advance(1), Err(TooFar { max_seconds: 0 }));
        assert_eq!(clock.advance(0), Ok(clock.now()));

        let near_the_end = Clock::manual(LATEST_UNIX - 5);
        assert_eq!(near_the_end.advance(6), Err(TooFar { max_seconds: 5 }));
        assert_eq!(near_the_end.advance(5), Ok(LATEST_UNIX));
    }
}

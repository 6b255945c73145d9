//! The app's clock. Handlers read time only from here, so tests (and `--manual-clock`)
//! control expiry, UTC-day rollover and rate windows without sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Unix seconds. The manual clock starts here (2026-01-01T00:00:00Z) so seeded runs are
/// byte-identical.
pub const MANUAL_CLOCK_START: i64 = 1_767_225_600;

/// System time plus an offset that the dev endpoint can advance, or a manual time that
/// moves only through that endpoint.
#[derive(Debug, Clone)]
pub struct Clock {
    manual: bool,
    /// Manual: the current time. System: seconds added to the system time.
    value: Arc<AtomicI64>,
}

impl Clock {
    pub fn system() -> Self {
        Self {
            manual: false,
            value: Arc::new(AtomicI64::new(0)),
        }
    }

    pub fn manual(start_unix: i64) -> Self {
        Self {
            manual: true,
            value: Arc::new(AtomicI64::new(start_unix)),
        }
    }

    pub fn now(&self) -> i64 {
        let value = self.value.load(Ordering::SeqCst);
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

    /// Moves time forward (never back: expiry must not be undone); returns the new time.
    pub fn advance(&self, seconds: u64) -> i64 {
        let seconds = i64::try_from(seconds).unwrap_or(i64::MAX);
        self.value.fetch_add(seconds, Ordering::SeqCst);
        self.now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_advanced() {
        let clock = Clock::manual(100);
        assert_eq!(clock.now(), 100);
        assert_eq!(clock.advance(60), 160);
        assert_eq!(clock.clone().now(), 160);
    }

    #[test]
    fn system_clock_offset() {
        let clock = Clock::system();
        let before = clock.now();
        assert!(clock.advance(3600) >= before + 3600);
    }
}

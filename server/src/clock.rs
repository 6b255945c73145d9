//! The server's clock: the unix time against which it checks challenge, invoice and
//! access-token expiry. Injected, so that a test can share the clock of the API it talks
//! to (the mock's manual clock) and move time instead of sleeping or jumping decades.

use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Unix seconds: the system's by default, or whatever a shared source says.
#[derive(Clone, Default)]
pub struct Clock {
    shared: Option<Arc<dyn Fn() -> i64 + Send + Sync>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock that reads `now` (unix seconds), e.g. another component's manual clock.
    pub fn from_fn(now: impl Fn() -> i64 + Send + Sync + 'static) -> Self {
        Self {
            shared: Some(Arc::new(now)),
        }
    }

    /// The current unix time in seconds.
    pub fn now_unix(&self) -> i64 {
        match &self.shared {
            Some(now) => now(),
            None => {
                let secs = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                i64::try_from(secs).unwrap_or(i64::MAX)
            }
        }
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.shared.is_some() {
            "Clock(shared)"
        } else {
            "Clock(system)"
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicI64, Ordering};

    use super::*;

    #[test]
    fn a_shared_clock_moves_with_its_source() {
        let source = Arc::new(AtomicI64::new(100));
        let reader = Arc::clone(&source);
        let clock = Clock::from_fn(move || reader.load(Ordering::SeqCst));
        assert_eq!(clock.now_unix(), 100);
        source.store(160, Ordering::SeqCst);
        assert_eq!(clock.clone().now_unix(), 160);
        assert!(Clock::system().now_unix() > 1_700_000_000);
    }
}

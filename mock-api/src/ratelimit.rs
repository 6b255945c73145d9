//! The per-client rate limit on what costs the mock memory without a credential: starts
//! and 402 challenges (issue 12, fault 2). A fixed window of a minute per client address,
//! in app time; loopback clients are exempt unless configured, so local load tests and
//! benchmarks run at full speed. The table of clients is itself bounded.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use liveauth_protocol::problem::ErrorCode;

use crate::config::ClientRate;
use crate::error::{FULL_RETRY_AFTER_SECS, Rejection};

const WINDOW_SECS: i64 = 60;

/// Clients remembered at once; a new one beyond this (after dropping ended windows) is
/// refused as over capacity.
pub(crate) const MAX_CLIENTS: usize = 100_000;

/// The address of the client, when the app is served with connect info
/// (`mock_api::serve`); `None` in `oneshot` tests that insert none.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientAddr(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let addr = parts.extensions.get::<ConnectInfo<SocketAddr>>();
        Ok(Self(addr.map(|ConnectInfo(addr)| addr.ip())))
    }
}

#[derive(Debug)]
pub(crate) struct ClientLimiter {
    rate: ClientRate,
    windows: Mutex<HashMap<IpAddr, Window>>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    start: i64,
    count: u32,
}

impl ClientLimiter {
    pub(crate) fn new(rate: ClientRate) -> Self {
        Self {
            rate,
            windows: Mutex::default(),
        }
    }

    /// Counts one request of `client` at `now`, or refuses it: 429 `rate_limited` with
    /// `Retry-After` when its minute is used up.
    pub(crate) fn check(&self, client: ClientAddr, now: i64) -> Result<(), Rejection> {
        let Some(ip) = client.0 else { return Ok(()) };
        if self.rate.per_minute == 0 || (ip.is_loopback() && !self.rate.loopback) {
            return Ok(());
        }
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if windows.len() >= MAX_CLIENTS && !windows.contains_key(&ip) {
            windows.retain(|_, w| now < w.start.saturating_add(WINDOW_SECS));
            if windows.len() >= MAX_CLIENTS {
                return Err(Rejection::Busy {
                    code: ErrorCode::OverCapacity,
                    detail: format!("too many clients at once: retry in {FULL_RETRY_AFTER_SECS} s"),
                    retry_after: FULL_RETRY_AFTER_SECS,
                });
            }
        }
        let window = windows.entry(ip).or_insert(Window {
            start: now,
            count: 0,
        });
        let ends = window.start.saturating_add(WINDOW_SECS);
        if now >= ends {
            *window = Window {
                start: now,
                count: 0,
            };
        } else if window.count >= self.rate.per_minute {
            let retry_after = u64::try_from(ends - now).unwrap_or(1).max(1);
            return Err(Rejection::Busy {
                code: ErrorCode::RateLimited,
                detail: format!(
                    "at most {} starts and payment challenges a minute per client: retry in \
                     {retry_after} s",
                    self.rate.per_minute
                ),
                retry_after,
            });
        }
        window.count += 1;
        Ok(())
    }

    /// Forgets the clients whose window has ended.
    pub(crate) fn purge(&self, now: i64) {
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        windows.retain(|_, w| now < w.start.saturating_add(WINDOW_SECS));
        if windows.len() <= windows.capacity() / 4 {
            windows.shrink_to_fit();
        }
    }

    #[cfg(test)]
    fn clients(&self) -> usize {
        self.windows.lock().map_or(0, |w| w.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(last: u8) -> ClientAddr {
        ClientAddr(Some(IpAddr::from([203, 0, 113, last])))
    }

    #[test]
    fn a_minute_per_client_then_429_until_it_ends() {
        let limiter = ClientLimiter::new(ClientRate {
            per_minute: 2,
            loopback: false,
        });
        assert!(limiter.check(client(1), 0).is_ok());
        assert!(limiter.check(client(1), 1).is_ok());
        let refused = limiter.check(client(1), 20).unwrap_err();
        assert_eq!(refused.code(), ErrorCode::RateLimited);
        assert!(matches!(
            refused,
            Rejection::Busy {
                retry_after: 40,
                ..
            }
        ));
        assert!(limiter.check(client(2), 20).is_ok(), "another client");
        let loopback = ClientAddr(Some(IpAddr::from([127, 0, 0, 1])));
        for _ in 0..10 {
            assert!(limiter.check(loopback, 20).is_ok(), "loopback is exempt");
        }
        assert!(limiter.check(client(1), 60).is_ok(), "a new minute");
        limiter.purge(200);
        assert_eq!(limiter.clients(), 0);
    }
}

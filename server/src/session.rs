//! What the server remembers for one agent (one stdio connection, or one MCP session over
//! HTTP): the quotes it started, its access token with expiry, and its refresh token.
//! Tools read and write it in short critical sections, never across an `.await`.
//!
//! Expiry is absolute unix time, compared with the server's [`crate::clock::Clock`]
//! reading that callers pass in, so a test that moves the clock moves token expiry too.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use liveauth_protocol::wire::StartResponse;

use crate::solve::SolveStats;

/// Refresh this many seconds before the access token's expiry, so a call never races it.
const EXPIRY_MARGIN_SECS: i64 = 5;

/// The longest access-token lifetime believed (a day); longer claims are cut to it.
const MAX_TOKEN_LIFETIME_SECS: u64 = 86_400;

/// Quotes remembered per agent; the oldest are forgotten first.
const MAX_QUOTES: usize = 64;

#[derive(Debug, Clone, Default)]
pub struct AgentSession {
    inner: Arc<Mutex<State>>,
    /// Held across a refresh (an `.await`), so it is tokio's mutex, apart from `inner`.
    refresh_gate: Arc<tokio::sync::Mutex<()>>,
}

#[derive(Debug, Default)]
struct State {
    quotes: HashMap<String, StartResponse>,
    solutions: HashMap<String, SolveStats>,
    order: Vec<String>,
    tokens: Option<Tokens>,
}

/// The agent's credentials. `Debug` is implemented by hand to keep them out of logs.
#[derive(Clone)]
pub struct Tokens {
    pub jwt: String,
    /// Unix seconds.
    pub expires_at_unix: i64,
    pub refresh_token: Option<String>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("expires_at_unix", &self.expires_at_unix)
            .finish_non_exhaustive()
    }
}

impl Tokens {
    /// Tokens received at `now_unix`. `expires_in_secs` comes from the API: an absurd
    /// value must not overflow the clock.
    pub fn new(
        jwt: String,
        expires_in_secs: u64,
        refresh_token: Option<String>,
        now_unix: i64,
    ) -> Self {
        let lifetime = expires_in_secs.min(MAX_TOKEN_LIFETIME_SECS);
        let lifetime = i64::try_from(lifetime).unwrap_or(0);
        Self {
            jwt,
            expires_at_unix: now_unix.saturating_add(lifetime),
            refresh_token,
        }
    }

    /// Whether the access token is (about to be) expired at `now_unix`.
    pub fn is_stale(&self, now_unix: i64) -> bool {
        now_unix.saturating_add(EXPIRY_MARGIN_SECS) >= self.expires_at_unix
    }
}

impl AgentSession {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Critical sections only move values in and out; a poisoned lock is still usable.
        self.inner
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    pub fn remember_quote(&self, quote: &StartResponse) {
        let mut state = self.lock();
        state.order.retain(|id| id != &quote.quote_id);
        state.order.push(quote.quote_id.clone());
        if state.order.len() > MAX_QUOTES {
            let oldest = state.order.remove(0);
            state.quotes.remove(&oldest);
            state.solutions.remove(&oldest);
        }
        state.quotes.insert(quote.quote_id.clone(), quote.clone());
    }

    pub fn quote(&self, quote_id: &str) -> Option<StartResponse> {
        self.lock().quotes.get(quote_id).cloned()
    }

    /// The most recent quote, optionally only one with a PoW challenge.
    pub fn latest_quote(&self, pow_only: bool) -> Option<StartResponse> {
        let state = self.lock();
        state
            .order
            .iter()
            .rev()
            .filter_map(|id| state.quotes.get(id))
            .find(|quote| !pow_only || quote.pow_challenge.is_some())
            .cloned()
    }

    /// Remembers a quote's solution, so confirm can fill it in.
    pub fn remember_solution(&self, quote_id: &str, stats: &SolveStats) {
        let mut state = self.lock();
        if state.quotes.contains_key(quote_id) {
            state.solutions.insert(quote_id.to_owned(), stats.clone());
        }
    }

    pub fn solution(&self, quote_id: &str) -> Option<SolveStats> {
        self.lock().solutions.get(quote_id).cloned()
    }

    /// Serializes refreshes of this agent's tokens.
    pub fn refresh_gate(&self) -> Arc<tokio::sync::Mutex<()>> {
        Arc::clone(&self.refresh_gate)
    }

    pub fn tokens(&self) -> Option<Tokens> {
        self.lock().tokens.clone()
    }

    pub fn set_tokens(&self, tokens: Tokens) {
        self.lock().tokens = Some(tokens);
    }

    /// Replaces the access token received at `now_unix`; keeps the refresh token unless a
    /// new one is given.
    pub fn update_tokens(
        &self,
        jwt: String,
        expires_in_secs: u64,
        refresh: Option<String>,
        now_unix: i64,
    ) {
        let mut state = self.lock();
        let refresh = refresh.or_else(|| state.tokens.as_ref()?.refresh_token.clone());
        state.tokens = Some(Tokens::new(jwt, expires_in_secs, refresh, now_unix));
    }

    pub fn clear_tokens(&self) {
        self.lock().tokens = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quote(id: &str) -> StartResponse {
        StartResponse {
            quote_id: id.into(),
            pow_challenge: None,
            invoice: None,
            auth_hint: None,
        }
    }

    #[test]
    fn remembers_a_bounded_number_of_quotes() {
        let session = AgentSession::default();
        for i in 0..100 {
            session.remember_quote(&quote(&i.to_string()));
        }
        assert!(session.quote("0").is_none());
        assert!(session.quote("99").is_some());
        assert_eq!(
            session.latest_quote(false).map(|q| q.quote_id),
            Some("99".into())
        );
        assert!(session.latest_quote(true).is_none());
    }

    const NOW: i64 = 1_767_225_600;

    #[test]
    fn token_updates_keep_the_refresh_token() {
        let session = AgentSession::default();
        session.set_tokens(Tokens::new("a".into(), 600, Some("r1".into()), NOW));
        session.update_tokens("b".into(), 600, None, NOW);
        let tokens = session.tokens().unwrap();
        assert_eq!(
            (tokens.jwt.as_str(), tokens.refresh_token.as_deref()),
            ("b", Some("r1"))
        );
        assert!(!tokens.is_stale(NOW));
        assert!(Tokens::new("c".into(), 0, None, NOW).is_stale(NOW));
        // An absurd lifetime from the API neither panics nor lasts forever.
        assert!(Tokens::new("d".into(), u64::MAX, None, NOW).expires_at_unix < NOW + 86_401);
        assert!(!format!("{tokens:?}").contains("r1"));
    }

    #[test]
    fn tokens_go_stale_as_the_clock_moves() {
        let tokens = Tokens::new("a".into(), 600, None, NOW);
        assert_eq!(tokens.expires_at_unix, NOW + 600);
        assert!(!tokens.is_stale(NOW + 594));
        // Five seconds of margin: stale before the API would refuse it.
        assert!(tokens.is_stale(NOW + 595));
        assert!(tokens.is_stale(i64::MAX));
    }
}

//! Where the API keeps quotes, sessions and refresh-token families.
//!
//! Handlers see only the [`Store`] trait, whose operations are each atomic: a durable
//! store can implement them as transactions without touching a handler. [`MemoryStore`]
//! keeps everything under one mutex, held only for the few microseconds an operation takes
//! (never across an `.await`).

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

use liveauth_protocol::wire::{ChargeResponse, Invoice, PowChallenge};

use crate::budget::Budget;

/// SHA-256 of a refresh token: the token itself is never stored.
pub type TokenHash = [u8; 32];

/// Expired quotes are kept this long after expiry, so status still says "expired" for a
/// while; after that they can no longer matter and are purged.
pub const QUOTE_GRACE_SECS: i64 = 3600;

/// How long an `Idempotency-Key` is remembered (as in common payment APIs).
pub const IDEMPOTENCY_TTL_SECS: i64 = 86_400;

/// Superseded refresh tokens remembered per family for reuse detection. Older ones are
/// forgotten: presenting one is still refused (unknown token), but no longer revokes.
pub const REMEMBERED_SUPERSEDED: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    pub id: String,
    pub project_id: String,
    pub project_public_key: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub kind: QuoteKind,
    /// The session a confirm created; set once, atomically.
    pub confirmed_session: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuoteKind {
    Pow(PowChallenge),
    Lightning(LightningQuote),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LightningQuote {
    pub invoice: Invoice,
    pub payment_hash: [u8; 32],
    pub preimage: [u8; 32],
    pub paid_at: Option<i64>,
    /// Demo quotes settle by themselves at this time (payment is simulated).
    pub auto_settle_at: Option<i64>,
}

impl LightningQuote {
    pub fn is_paid(&self, now: i64) -> bool {
        self.paid_at.is_some() || self.auto_settle_at.is_some_and(|at| now >= at)
    }
}

#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub project_id: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub budget: Budget,
    /// `Idempotency-Key` → the accepted charge it produced. Only accepted charges are
    /// remembered: a denied one changed nothing, so repeating it is already harmless
    /// (and may succeed later), and the rate limit bounds how many keys there can be.
    pub idempotency: HashMap<String, IdempotentCharge>,
}

impl Session {
    /// What tokens and answers need of a session, without its idempotency records.
    pub fn info(&self) -> SessionInfo {
        SessionInfo {
            id: self.id.clone(),
            project_id: self.project_id.clone(),
            expires_at: self.expires_at,
            max_sats_per_day: self.budget.max_sats_per_day,
            max_calls_per_minute: self.budget.max_calls_per_minute,
            remaining_sats: self.budget.remaining_sats(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    pub id: String,
    pub project_id: String,
    pub expires_at: i64,
    pub max_sats_per_day: u64,
    pub max_calls_per_minute: u32,
    pub remaining_sats: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotentCharge {
    pub cost: u64,
    pub response: ChargeResponse,
    pub at: i64,
}

/// Why a refresh token was refused. All of them are `invalid_grant` on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RefreshError {
    #[error("refresh token is not known")]
    Unknown,
    #[error("refresh token was already used; its session's refresh tokens are now revoked")]
    Reused,
    #[error("refresh token was revoked")]
    Revoked,
    #[error("refresh token expired with its session")]
    Expired,
}

/// Counts of what a store holds, to check that memory stays bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StoreStats {
    pub quotes: usize,
    pub sessions: usize,
    pub refresh_families: usize,
    pub refresh_hashes: usize,
    pub idempotency_keys: usize,
}

/// Atomic operations on the API's state.
pub trait Store: Send + Sync + std::fmt::Debug {
    fn insert_quote(&self, quote: Quote);
    fn quote(&self, id: &str) -> Option<Quote>;
    /// Applies `f` to the quote atomically; false if there is no such quote.
    fn update_quote(&self, id: &str, f: &mut dyn FnMut(&mut Quote)) -> bool;
    fn quote_id_for_payment(&self, payment_hash: &[u8; 32]) -> Option<String>;

    fn insert_session(&self, session: Session);
    /// Applies `f` to the session atomically; false if there is no such session.
    fn update_session(&self, id: &str, f: &mut dyn FnMut(&mut Session)) -> bool;

    /// Starts a refresh-token family for a session.
    fn insert_refresh(&self, token: TokenHash, session_id: &str, expires_at: i64);
    /// The session a refresh token (current or superseded) belongs to, without using it.
    fn refresh_session(&self, token: &TokenHash) -> Option<String>;
    /// Replaces `presented` by `replacement` if `presented` is its family's current token;
    /// presenting a superseded token revokes the whole family (RFC 9700 §4.14.2).
    /// Returns the session id.
    fn rotate_refresh(
        &self,
        presented: &TokenHash,
        replacement: TokenHash,
        now: i64,
    ) -> Result<String, RefreshError>;

    /// Drops everything that can no longer matter at `now`.
    fn purge(&self, now: i64);
    fn stats(&self) -> StoreStats;
}

#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    quotes: HashMap<String, Quote>,
    payments: HashMap<[u8; 32], String>,
    sessions: HashMap<String, Session>,
    families: HashMap<u64, Family>,
    refresh_index: HashMap<TokenHash, u64>,
    next_family: u64,
}

#[derive(Debug)]
struct Family {
    session_id: String,
    current: TokenHash,
    superseded: VecDeque<TokenHash>,
    revoked: bool,
    expires_at: i64,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every operation leaves the maps consistent before it can panic, so a poisoned
        // lock still guards valid state.
        self.inner
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }
}

impl Store for MemoryStore {
    fn insert_quote(&self, quote: Quote) {
        let mut inner = self.lock();
        if let QuoteKind::Lightning(ln) = &quote.kind {
            inner.payments.insert(ln.payment_hash, quote.id.clone());
        }
        inner.quotes.insert(quote.id.clone(), quote);
    }

    fn quote(&self, id: &str) -> Option<Quote> {
        self.lock().quotes.get(id).cloned()
    }

    fn update_quote(&self, id: &str, f: &mut dyn FnMut(&mut Quote)) -> bool {
        self.lock().quotes.get_mut(id).map(f).is_some()
    }

    fn quote_id_for_payment(&self, payment_hash: &[u8; 32]) -> Option<String> {
        self.lock().payments.get(payment_hash).cloned()
    }

    fn insert_session(&self, session: Session) {
        self.lock().sessions.insert(session.id.clone(), session);
    }

    fn update_session(&self, id: &str, f: &mut dyn FnMut(&mut Session)) -> bool {
        self.lock().sessions.get_mut(id).map(f).is_some()
    }

    fn insert_refresh(&self, token: TokenHash, session_id: &str, expires_at: i64) {
        let mut inner = self.lock();
        let id = inner.next_family;
        inner.next_family += 1;
        let family = Family {
            session_id: session_id.to_owned(),
            current: token,
            superseded: VecDeque::new(),
            revoked: false,
            expires_at,
        };
        inner.families.insert(id, family);
        inner.refresh_index.insert(token, id);
    }

    fn refresh_session(&self, token: &TokenHash) -> Option<String> {
        let inner = self.lock();
        let family = inner.refresh_index.get(token)?;
        inner.families.get(family).map(|f| f.session_id.clone())
    }

    fn rotate_refresh(
        &self,
        presented: &TokenHash,
        replacement: TokenHash,
        now: i64,
    ) -> Result<String, RefreshError> {
        let mut inner = self.lock();
        let id = *inner
            .refresh_index
            .get(presented)
            .ok_or(RefreshError::Unknown)?;
        let family = inner.families.get_mut(&id).ok_or(RefreshError::Unknown)?;
        if family.revoked {
            return Err(RefreshError::Revoked);
        }
        if family.current != *presented {
            family.revoked = true;
            return Err(RefreshError::Reused);
        }
        if now >= family.expires_at {
            return Err(RefreshError::Expired);
        }
        family.superseded.push_back(family.current);
        family.current = replacement;
        let session_id = family.session_id.clone();
        let forgotten = if family.superseded.len() > REMEMBERED_SUPERSEDED {
            family.superseded.pop_front()
        } else {
            None
        };
        if let Some(old) = forgotten {
            inner.refresh_index.remove(&old);
        }
        inner.refresh_index.insert(replacement, id);
        Ok(session_id)
    }

    fn purge(&self, now: i64) {
        let mut inner = self.lock();
        let Inner {
            quotes,
            payments,
            sessions,
            families,
            refresh_index,
            ..
        } = &mut *inner;
        quotes.retain(|_, quote| quote.expires_at.saturating_add(QUOTE_GRACE_SECS) > now);
        payments.retain(|_, quote_id| quotes.contains_key(quote_id));
        sessions.retain(|_, session| session.expires_at > now);
        for session in sessions.values_mut() {
            session.budget.roll(now);
            session
                .idempotency
                .retain(|_, charge| charge.at + IDEMPOTENCY_TTL_SECS > now);
        }
        families.retain(|_, family| family.expires_at > now);
        refresh_index.retain(|_, id| families.contains_key(id));
    }

    fn stats(&self) -> StoreStats {
        let inner = self.lock();
        StoreStats {
            quotes: inner.quotes.len(),
            sessions: inner.sessions.len(),
            refresh_families: inner.families.len(),
            refresh_hashes: inner.refresh_index.len(),
            idempotency_keys: inner.sessions.values().map(|s| s.idempotency.len()).sum(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_then_reuse_revokes_the_family() {
        let store = MemoryStore::new();
        store.insert_refresh([1; 32], "s", 1000);
        assert_eq!(store.rotate_refresh(&[1; 32], [2; 32], 10), Ok("s".into()));
        assert_eq!(
            store.rotate_refresh(&[1; 32], [3; 32], 11),
            Err(RefreshError::Reused)
        );
        // The token that was current is now dead too.
        assert_eq!(
            store.rotate_refresh(&[2; 32], [4; 32], 12),
            Err(RefreshError::Revoked)
        );
        assert_eq!(
            store.rotate_refresh(&[9; 32], [5; 32], 12),
            Err(RefreshError::Unknown)
        );
    }

    #[test]
    fn refresh_expires_with_the_session() {
        let store = MemoryStore::new();
        store.insert_refresh([1; 32], "s", 100);
        assert_eq!(
            store.rotate_refresh(&[1; 32], [2; 32], 100),
            Err(RefreshError::Expired)
        );
        store.purge(100);
        assert_eq!(store.stats(), StoreStats::default());
    }

    #[test]
    fn superseded_memory_is_bounded() {
        let store = MemoryStore::new();
        store.insert_refresh([0; 32], "s", 1000);
        for i in 0..100u8 {
            store.rotate_refresh(&[i; 32], [i + 1; 32], 1).unwrap();
        }
        assert_eq!(store.stats().refresh_hashes, REMEMBERED_SUPERSEDED + 1);
    }
}

//! Where the API keeps quotes, sessions and refresh-token families.
//!
//! Handlers see only the [`Store`] trait, whose operations are each atomic: a durable
//! store can implement them as transactions without touching a handler. [`MemoryStore`]
//! keeps quotes and sessions in sharded maps, each operation holding one shard's mutex for
//! the few microseconds it takes (never across an `.await`).

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, Hash, RandomState};
use std::sync::{Mutex, MutexGuard};

use liveauth_protocol::wire::{ChargeResponse, Invoice, PowChallenge};

use crate::budget::Budget;
use crate::config::Project;

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

impl Quote {
    /// A new, unconfirmed quote of `project`.
    pub fn new(id: String, project: &Project, now: i64, expires_at: i64, kind: QuoteKind) -> Self {
        Self {
            id,
            project_id: project.id.clone(),
            project_public_key: project.public_key.clone(),
            created_at: now,
            expires_at,
            kind,
            confirmed_session: None,
        }
    }
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
    /// The `jti` of the session's latest access token (the hosted gate-token row): where
    /// the profile retires older tokens, only this one is accepted.
    pub current_jti: String,
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

    /// The session of a refresh token that is its family's current one, without rotating
    /// it (the hosted profile's refresh tokens last the session).
    fn check_refresh(&self, presented: &TokenHash, now: i64) -> Result<String, RefreshError>;

    /// Drops everything that can no longer matter at `now`.
    fn purge(&self, now: i64);
    fn stats(&self) -> StoreStats;
}

/// Locks quotes and sessions are spread over: enough that two requests rarely wait for
/// each other, and that growing or purging one map pauses only a sixteenth of them.
const SHARDS: usize = 16;

/// Everything in memory. Quotes and sessions live in [`SHARDS`] maps each, chosen by a
/// hash of their id; every operation on a quote or a session locks only that one shard,
/// which is what makes it atomic (a confirm's claim, a charge's check-and-spend).
/// Refresh-token families and their index share one lock, because a rotation must
/// update both at once; Lightning payment hashes have their own. No operation holds two
/// locks at a time.
#[derive(Debug)]
pub struct MemoryStore {
    hasher: RandomState,
    /// Boxed, so growing a shard moves pointers rather than whole quotes.
    quotes: [Mutex<HashMap<String, Box<Quote>>>; SHARDS],
    sessions: [Mutex<HashMap<String, Session>>; SHARDS],
    payments: Mutex<HashMap<[u8; 32], String>>,
    refresh: Mutex<Refresh>,
}

#[derive(Debug, Default)]
struct Refresh {
    families: HashMap<u64, Family>,
    index: HashMap<TokenHash, u64>,
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

impl Default for MemoryStore {
    fn default() -> Self {
        Self {
            hasher: RandomState::new(),
            quotes: Default::default(),
            sessions: Default::default(),
            payments: Mutex::default(),
            refresh: Mutex::default(),
        }
    }
}

/// Every operation leaves its map consistent before it can panic, so a poisoned lock
/// still guards valid state.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poison| poison.into_inner())
}

/// After a purge, a map holding under a quarter of its capacity is rebuilt to fit. Measured
/// over five cycles of 100,000 quotes expiring (BENCHMARKS.md): RSS 86.5 -> 88.4 MiB with
/// this, 86.4 -> 92.1 MiB without. The next wave regrows the tables under their shard's
/// lock, which is cheap because quotes are boxed. (`capacity()` does not count slots left
/// by erased entries, so it may understate the table; an emptied map is always rebuilt.)
fn compact<K: Eq + Hash, V>(map: &mut HashMap<K, V>) {
    if map.len() <= map.capacity() / 4 {
        map.shrink_to_fit();
    }
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn shard<'a, T>(&self, shards: &'a [Mutex<T>; SHARDS], id: &str) -> MutexGuard<'a, T> {
        let index = usize::try_from(self.hasher.hash_one(id) % SHARDS as u64).unwrap_or(0);
        lock(&shards[index])
    }
}

impl Store for MemoryStore {
    fn insert_quote(&self, quote: Quote) {
        let payment = match &quote.kind {
            QuoteKind::Lightning(ln) => Some((ln.payment_hash, quote.id.clone())),
            QuoteKind::Pow(_) => None,
        };
        // The quote first: whoever finds the payment hash then finds its quote.
        self.shard(&self.quotes, &quote.id)
            .insert(quote.id.clone(), Box::new(quote));
        if let Some((hash, id)) = payment {
            lock(&self.payments).insert(hash, id);
        }
    }

    fn quote(&self, id: &str) -> Option<Quote> {
        self.shard(&self.quotes, id)
            .get(id)
            .map(|quote| Quote::clone(quote))
    }

    fn update_quote(&self, id: &str, f: &mut dyn FnMut(&mut Quote)) -> bool {
        self.shard(&self.quotes, id)
            .get_mut(id)
            .map(|quote| f(quote))
            .is_some()
    }

    fn quote_id_for_payment(&self, payment_hash: &[u8; 32]) -> Option<String> {
        lock(&self.payments).get(payment_hash).cloned()
    }

    fn insert_session(&self, session: Session) {
        self.shard(&self.sessions, &session.id)
            .insert(session.id.clone(), session);
    }

    fn update_session(&self, id: &str, f: &mut dyn FnMut(&mut Session)) -> bool {
        self.shard(&self.sessions, id).get_mut(id).map(f).is_some()
    }

    fn insert_refresh(&self, token: TokenHash, session_id: &str, expires_at: i64) {
        let mut refresh = lock(&self.refresh);
        let id = refresh.next_family;
        refresh.next_family += 1;
        let family = Family {
            session_id: session_id.to_owned(),
            current: token,
            superseded: VecDeque::new(),
            revoked: false,
            expires_at,
        };
        refresh.families.insert(id, family);
        refresh.index.insert(token, id);
    }

    fn refresh_session(&self, token: &TokenHash) -> Option<String> {
        let refresh = lock(&self.refresh);
        let family = refresh.index.get(token)?;
        refresh.families.get(family).map(|f| f.session_id.clone())
    }

    fn rotate_refresh(
        &self,
        presented: &TokenHash,
        replacement: TokenHash,
        now: i64,
    ) -> Result<String, RefreshError> {
        let mut refresh = lock(&self.refresh);
        let id = *refresh.index.get(presented).ok_or(RefreshError::Unknown)?;
        let family = refresh.families.get_mut(&id).ok_or(RefreshError::Unknown)?;
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
            refresh.index.remove(&old);
        }
        refresh.index.insert(replacement, id);
        Ok(session_id)
    }

    fn check_refresh(&self, presented: &TokenHash, now: i64) -> Result<String, RefreshError> {
        let refresh = lock(&self.refresh);
        let id = refresh.index.get(presented).ok_or(RefreshError::Unknown)?;
        let family = refresh.families.get(id).ok_or(RefreshError::Unknown)?;
        if family.revoked {
            return Err(RefreshError::Revoked);
        }
        if family.current != *presented {
            return Err(RefreshError::Unknown);
        }
        if now >= family.expires_at {
            return Err(RefreshError::Expired);
        }
        Ok(family.session_id.clone())
    }

    fn purge(&self, now: i64) {
        let mut gone_payments = Vec::new();
        for shard in &self.quotes {
            let mut quotes = lock(shard);
            quotes.retain(|_, quote| {
                let keep = quote.expires_at.saturating_add(QUOTE_GRACE_SECS) > now;
                if let (false, QuoteKind::Lightning(ln)) = (keep, &quote.kind) {
                    gone_payments.push((ln.payment_hash, quote.id.clone()));
                }
                keep
            });
            compact(&mut quotes);
        }
        if !gone_payments.is_empty() {
            let mut payments = lock(&self.payments);
            for (hash, id) in &gone_payments {
                // Only if it still names the purged quote (as a retain over quote ids).
                if payments.get(hash) == Some(id) {
                    payments.remove(hash);
                }
            }
            compact(&mut payments);
        }
        for shard in &self.sessions {
            let mut sessions = lock(shard);
            sessions.retain(|_, session| session.expires_at > now);
            for session in sessions.values_mut() {
                session.budget.roll(now);
                session
                    .idempotency
                    .retain(|_, charge| charge.at + IDEMPOTENCY_TTL_SECS > now);
            }
            compact(&mut sessions);
        }
        let mut refresh = lock(&self.refresh);
        let Refresh {
            families, index, ..
        } = &mut *refresh;
        families.retain(|_, family| family.expires_at > now);
        index.retain(|_, id| families.contains_key(id));
        compact(families);
        compact(index);
    }

    fn stats(&self) -> StoreStats {
        let mut stats = StoreStats::default();
        for shard in &self.quotes {
            stats.quotes += lock(shard).len();
        }
        for shard in &self.sessions {
            let sessions = lock(shard);
            stats.sessions += sessions.len();
            stats.idempotency_keys += sessions
                .values()
                .map(|s| s.idempotency.len())
                .sum::<usize>();
        }
        let refresh = lock(&self.refresh);
        stats.refresh_families = refresh.families.len();
        stats.refresh_hashes = refresh.index.len();
        stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use liveauth_protocol::wire::Invoice;

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

    fn lightning_quote(id: &str, hash: u8, expires_at: i64) -> Quote {
        Quote {
            id: id.to_owned(),
            project_id: "p".to_owned(),
            project_public_key: "la_pk_x".to_owned(),
            created_at: 0,
            expires_at,
            kind: QuoteKind::Lightning(LightningQuote {
                invoice: Invoice::new("lnbcrt1".to_owned(), 3, expires_at, String::new()),
                payment_hash: [hash; 32],
                preimage: [0; 32],
                paid_at: None,
                auto_settle_at: None,
            }),
            confirmed_session: None,
        }
    }

    /// Quotes spread over the shards are all found, and a purge drops exactly the expired
    /// ones with their payment hashes, leaving the maps compacted.
    #[test]
    fn purge_drops_expired_quotes_and_their_payments() {
        let store = MemoryStore::new();
        for i in 0..1000u32 {
            let hash = u8::try_from(i % 200).unwrap();
            let expires_at = if i < 200 { 10 } else { 1_000_000 };
            store.insert_quote(lightning_quote(&format!("q{i}"), hash, expires_at));
        }
        assert_eq!(store.stats().quotes, 1000);
        assert!(store.quote("q999").is_some());
        assert!(store.update_quote("q0", &mut |q| q.created_at = 5));
        assert_eq!(store.quote("q0").map(|q| q.created_at), Some(5));
        store.purge(10 + QUOTE_GRACE_SECS);
        assert_eq!(store.stats().quotes, 800);
        assert!(store.quote("q0").is_none());
        // Hashes 0..200 were reused by live quotes (the later insert names the hash), so
        // the purge of the first quotes leaves them.
        assert_eq!(
            store.quote_id_for_payment(&[7; 32]),
            Some("q807".to_owned())
        );
        store.purge(2_000_000);
        assert_eq!(store.stats(), StoreStats::default());
        assert_eq!(store.quote_id_for_payment(&[7; 32]), None);
        assert!(
            store
                .quotes
                .iter()
                .all(|shard| lock(shard).capacity() <= 64)
        );
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

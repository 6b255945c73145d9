//! Where the API keeps quotes, sessions and refresh-token families.
//!
//! Handlers see only the [`Store`] trait, whose operations are each atomic: a durable
//! store can implement them as transactions without touching a handler. [`MemoryStore`]
//! keeps quotes and sessions in sharded maps, each operation holding one shard's mutex for
//! the few microseconds it takes (never across an `.await`). It holds at most what its
//! [`Limits`] allow, counted per project and in total; quotes are kept in the compact
//! form of `crate::record`.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, Hash, RandomState};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use liveauth_protocol::wire::{ChargeResponse, Invoice, PowChallenge};

use crate::budget::Budget;
use crate::config::Project;
pub use crate::limits::{Cap, Full, Held, Limits};
use crate::limits::{Counts, Ledger};
use crate::record::{StoredQuote, Uuid, parse_uuid};

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

/// A quote as handlers see it. A [`MemoryStore`] keeps it compact and gives back a
/// PoW challenge without its `signature` (a MAC of the other fields, recomputed when a
/// confirm verifies the one sent).
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
    /// Which cap the quote counts against.
    pub origin: QuoteOrigin,
}

impl Quote {
    /// A new, unconfirmed quote of `project`.
    pub fn new(
        id: String,
        project: &Project,
        now: i64,
        expires_at: i64,
        kind: QuoteKind,
        origin: QuoteOrigin,
    ) -> Self {
        Self {
            id,
            project_id: project.id.clone(),
            project_public_key: project.public_key.clone(),
            created_at: now,
            expires_at,
            kind,
            confirmed_session: None,
            origin,
        }
    }
}

/// Why a quote was made: a start, a 402 answer's payment challenge, or the invoice of a
/// caller-funding payment (which opens no session: confirm and status do not know it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuoteOrigin {
    Start,
    Challenge,
    CallerPayment,
}

impl QuoteOrigin {
    fn held(self) -> Held {
        match self {
            Self::Start => Held::Quote,
            Self::Challenge | Self::CallerPayment => Held::Challenge,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuoteKind {
    Pow(PowChallenge),
    Lightning(LightningQuote),
    /// `forceL402`: confirmed with an L402 bundle macaroon (`crate::bundle`).
    L402Bundle,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LightningQuote {
    pub invoice: Invoice,
    pub payment_hash: [u8; 32],
    pub preimage: [u8; 32],
    pub paid_at: Option<i64>,
    /// Demo quotes settle by themselves at this time (payment is simulated).
    pub auto_settle_at: Option<i64>,
    /// Calls of the demo resource this payment's credential has opened.
    pub resource_calls: u32,
}

impl LightningQuote {
    pub fn is_paid(&self, now: i64) -> bool {
        self.paid_at.is_some() || self.auto_settle_at.is_some_and(|at| now >= at)
    }

    /// Paid only because the demo simulates payment (no settle, no credential).
    pub fn settled_by_itself(&self, now: i64) -> bool {
        self.paid_at.is_none() && self.auto_settle_at.is_some_and(|at| now >= at)
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
    /// The caller's own funds (LiveAuth 1.3 caller funding): credited by confirmed
    /// payments, debited by caller-funded charges; never reset at midnight.
    pub caller_balance_sats: u64,
    /// Payment id → what a caller-funded charge asked to be paid. A key may have several
    /// (an expired one and its successor): a paid one is never replaced before it is
    /// confirmed.
    pub payments: HashMap<String, CallerPaymentBinding>,
}

/// Payments one session may hold (each an invoice and a binding, kept until its expiry
/// plus the quote grace time): an agent retries one call at a time, so a few are plenty.
/// Beyond it a charge that needs a new invoice is refused before one is made.
pub const MAX_CALLER_PAYMENTS: usize = 32;

/// What a caller-funding payment was asked for: the charge it funds and whether its
/// credit is in the balance yet. The invoice is a Lightning quote of origin
/// [`QuoteOrigin::CallerPayment`] whose id is the payment's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerPaymentBinding {
    pub payment_id: String,
    /// The idempotency key of the charge it funds.
    pub idempotency_key: String,
    /// The charge's `requestHash` (lowercase hex) and price.
    pub request_hash: String,
    pub cost: u64,
    /// Added to the balance on confirmation (the invoice adds its fee on top).
    pub credit_sats: u64,
    pub expires_at: i64,
    pub credited: bool,
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
    /// The `requestHash` of a caller-funded charge (a repeat must carry the same).
    pub request_hash: Option<String>,
    /// The answer without its receipts, which a replay signs again from `receipt`.
    pub response: ChargeResponse,
    pub at: i64,
    pub receipt: crate::receipts::ReceiptFacts,
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
    /// Quotes minted for 402 answers (also counted in `quotes`).
    pub challenges: usize,
    /// What the quotes occupy, by `crate::record`'s measure.
    pub quote_bytes: usize,
}

/// Atomic operations on the API's state.
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Keeps `quote`, unless a cap on its kind is reached.
    fn insert_quote(&self, quote: Quote) -> Result<(), Full>;
    fn quote(&self, id: &str) -> Option<Quote>;
    /// Applies `f` to the quote atomically; false if there is no such quote.
    fn update_quote(&self, id: &str, f: &mut dyn FnMut(&mut Quote)) -> bool;
    fn quote_id_for_payment(&self, payment_hash: &[u8; 32]) -> Option<String>;

    /// Keeps `session`, unless the cap on sessions is reached.
    fn insert_session(&self, session: Session) -> Result<(), Full>;
    /// Counts one more idempotency record of `project_id`'s sessions, unless a cap is
    /// reached; the record is then inserted by an `update_session`, or the count given
    /// back with [`Store::release_idempotency`].
    fn admit_idempotency(&self, project_id: &str) -> Result<(), Full>;
    fn release_idempotency(&self, project_id: &str);
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
/// update both at once; Lightning payment hashes have their own; the project table (read
/// almost always) its own. No operation holds two locks at a time: what is counted
/// against the [`Limits`] is counted with atomics before a record is stored.
#[derive(Debug)]
pub struct MemoryStore {
    hasher: RandomState,
    ledger: Ledger,
    /// The projects quotes and sessions belong to, with their counts; quote records name
    /// their project by index here. Only grows by the projects the app serves.
    projects: RwLock<Vec<Arc<ProjectSlot>>>,
    quotes: [Mutex<HashMap<Uuid, StoredQuote>>; SHARDS],
    sessions: [Mutex<HashMap<String, Session>>; SHARDS],
    payments: Mutex<HashMap<[u8; 32], Uuid>>,
    refresh: Mutex<Refresh>,
}

#[derive(Debug)]
struct ProjectSlot {
    id: String,
    public_key: String,
    counts: Counts,
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
        Self::with_limits(Limits::default())
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
/// lock, which is cheap because quote records are small. (`capacity()` does not count
/// slots left by erased entries, so it may understate the table; an emptied map is
/// always rebuilt.)
fn compact<K: Eq + Hash, V>(map: &mut HashMap<K, V>) {
    if map.len() <= map.capacity() / 4 {
        map.shrink_to_fit();
    }
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// A store that holds at most what `limits` allow.
    pub fn with_limits(limits: Limits) -> Self {
        Self {
            hasher: RandomState::new(),
            ledger: Ledger::new(limits),
            projects: RwLock::default(),
            quotes: Default::default(),
            sessions: Default::default(),
            payments: Mutex::default(),
            refresh: Mutex::default(),
        }
    }

    fn shard<'a, T, K: Hash + ?Sized>(
        &self,
        shards: &'a [Mutex<T>; SHARDS],
        id: &K,
    ) -> MutexGuard<'a, T> {
        let index = usize::try_from(self.hasher.hash_one(id) % SHARDS as u64).unwrap_or(0);
        lock(&shards[index])
    }

    /// The table index of a project, added on first sight (with its key, from a quote).
    fn project_index(&self, id: &str, public_key: &str) -> Option<u16> {
        let find = |slots: &[Arc<ProjectSlot>]| slots.iter().position(|slot| slot.id == id);
        let read = self.projects.read().unwrap_or_else(|p| p.into_inner());
        if let Some(index) = find(&read) {
            return u16::try_from(index).ok();
        }
        drop(read);
        let mut write = self.projects.write().unwrap_or_else(|p| p.into_inner());
        let index = find(&write).unwrap_or_else(|| {
            write.push(Arc::new(ProjectSlot {
                id: id.to_owned(),
                public_key: public_key.to_owned(),
                counts: Counts::default(),
            }));
            write.len() - 1
        });
        u16::try_from(index).ok()
    }

    fn slot(&self, index: u16) -> Option<Arc<ProjectSlot>> {
        let slots = self.projects.read().unwrap_or_else(|p| p.into_inner());
        slots.get(usize::from(index)).cloned()
    }

    /// The counts of a project by id (a session's: its project has a quote, so a slot).
    fn slot_of(&self, project_id: &str) -> Option<Arc<ProjectSlot>> {
        let slots = self.projects.read().unwrap_or_else(|p| p.into_inner());
        slots.iter().find(|slot| slot.id == project_id).cloned()
    }

    fn expand(&self, key: &Uuid, record: &StoredQuote) -> Option<Quote> {
        let slot = self.slot(record.project)?;
        Some(record.expand(key, &slot.id, &slot.public_key))
    }

    fn release(&self, project_id: &str, held: Held, n: usize) {
        if let Some(slot) = self.slot_of(project_id) {
            self.ledger.release(&slot.counts, held, n);
        }
    }
}

impl Store for MemoryStore {
    fn insert_quote(&self, quote: Quote) -> Result<(), Full> {
        let project = self
            .project_index(&quote.project_id, &quote.project_public_key)
            .ok_or(Full::Unstorable)?;
        let (key, record) = StoredQuote::compact(&quote, project).ok_or(Full::Unstorable)?;
        let slot = self.slot(project).ok_or(Full::Unstorable)?;
        self.ledger.admit(&slot.counts, quote.origin.held())?;
        let payment = record.lightning().map(|ln| ln.payment_hash);
        // The quote first: whoever finds the payment hash then finds its quote.
        let replaced = self.shard(&self.quotes, &key).insert(key, record);
        if let Some(old) = replaced {
            // The same id again (never from the app): it is still one quote.
            self.ledger.release(&slot.counts, old.origin.held(), 1);
        }
        if let Some(hash) = payment {
            lock(&self.payments).insert(hash, key);
        }
        Ok(())
    }

    fn quote(&self, id: &str) -> Option<Quote> {
        let key = parse_uuid(id)?;
        let record = self.shard(&self.quotes, &key).get(&key).cloned()?;
        self.expand(&key, &record)
    }

    fn update_quote(&self, id: &str, f: &mut dyn FnMut(&mut Quote)) -> bool {
        let Some(key) = parse_uuid(id) else {
            return false;
        };
        let Some(slot) = self.shard(&self.quotes, &key).get(&key).map(|r| r.project) else {
            return false;
        };
        let Some(slot) = self.slot(slot) else {
            return false;
        };
        let mut quotes = self.shard(&self.quotes, &key);
        let Some(record) = quotes.get_mut(&key) else {
            return false;
        };
        let mut quote = record.expand(&key, &slot.id, &slot.public_key);
        f(&mut quote);
        match StoredQuote::compact(&quote, record.project) {
            Some((_, updated)) => *record = updated,
            None => tracing::error!(quote = id, "an update left a quote unstorable; kept as was"),
        }
        true
    }

    fn quote_id_for_payment(&self, payment_hash: &[u8; 32]) -> Option<String> {
        lock(&self.payments)
            .get(payment_hash)
            .map(liveauth_protocol::codec::format_uuid)
    }

    fn insert_session(&self, session: Session) -> Result<(), Full> {
        let slot = self.slot_of(&session.project_id).ok_or(Full::Unstorable)?;
        self.ledger.admit(&slot.counts, Held::Session)?;
        let replaced = self
            .shard(&self.sessions, session.id.as_str())
            .insert(session.id.clone(), session);
        if let Some(old) = replaced {
            self.ledger.release(&slot.counts, Held::Session, 1);
            self.ledger
                .release(&slot.counts, Held::Idempotency, old.idempotency.len());
        }
        Ok(())
    }

    fn admit_idempotency(&self, project_id: &str) -> Result<(), Full> {
        let slot = self.slot_of(project_id).ok_or(Full::Unstorable)?;
        self.ledger.admit(&slot.counts, Held::Idempotency)
    }

    fn release_idempotency(&self, project_id: &str) {
        self.release(project_id, Held::Idempotency, 1);
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
        let mut gone: Vec<(u16, Held)> = Vec::new();
        for shard in &self.quotes {
            let mut quotes = lock(shard);
            quotes.retain(|key, quote| {
                let keep = quote.expires_at.saturating_add(QUOTE_GRACE_SECS) > now;
                if !keep {
                    gone.push((quote.project, quote.origin.held()));
                    if let Some(ln) = quote.lightning() {
                        gone_payments.push((ln.payment_hash, *key));
                    }
                }
                keep
            });
            compact(&mut quotes);
        }
        for (project, held) in gone {
            if let Some(slot) = self.slot(project) {
                self.ledger.release(&slot.counts, held, 1);
            }
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
        // (project id, sessions gone, idempotency records gone)
        let mut released: Vec<(String, usize, usize)> = Vec::new();
        for shard in &self.sessions {
            let mut sessions = lock(shard);
            sessions.retain(|_, session| {
                let keep = session.expires_at > now;
                if !keep {
                    released.push((session.project_id.clone(), 1, session.idempotency.len()));
                }
                keep
            });
            for session in sessions.values_mut() {
                session.budget.roll(now);
                let before = session.idempotency.len();
                session
                    .idempotency
                    .retain(|_, charge| charge.at + IDEMPOTENCY_TTL_SECS > now);
                let expired = before - session.idempotency.len();
                if expired > 0 {
                    released.push((session.project_id.clone(), 0, expired));
                }
            }
            compact(&mut sessions);
        }
        for (project_id, sessions, records) in released {
            self.release(&project_id, Held::Session, sessions);
            self.release(&project_id, Held::Idempotency, records);
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
            let quotes = lock(shard);
            stats.quotes += quotes.len();
            stats.quote_bytes += quotes.values().map(StoredQuote::footprint).sum::<usize>();
            stats.challenges += quotes
                .values()
                .filter(|q| q.origin != QuoteOrigin::Start)
                .count();
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

    /// The UUID of test quote `i`.
    fn qid(i: u32) -> String {
        let mut bytes = [0; 16];
        bytes[..4].copy_from_slice(&i.to_be_bytes());
        liveauth_protocol::codec::format_uuid(&bytes)
    }

    fn lightning_quote(i: u32, hash: u8, expires_at: i64) -> Quote {
        Quote {
            id: qid(i),
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
                resource_calls: 0,
            }),
            confirmed_session: None,
            origin: QuoteOrigin::Start,
        }
    }

    /// Quotes spread over the shards are all found, and a purge drops exactly the expired
    /// ones with their payment hashes, leaving the maps compacted and the counts at zero.
    #[test]
    fn purge_drops_expired_quotes_and_their_payments() {
        let store = MemoryStore::new();
        for i in 0..1000u32 {
            let hash = u8::try_from(i % 200).unwrap();
            let expires_at = if i < 200 { 10 } else { 1_000_000 };
            store
                .insert_quote(lightning_quote(i, hash, expires_at))
                .unwrap();
        }
        assert_eq!(store.stats().quotes, 1000);
        assert!(store.quote(&qid(999)).is_some());
        assert!(store.update_quote(&qid(0), &mut |q| q.created_at = 5));
        assert_eq!(store.quote(&qid(0)).map(|q| q.created_at), Some(5));
        store.purge(10 + QUOTE_GRACE_SECS);
        assert_eq!(store.stats().quotes, 800);
        assert!(store.quote(&qid(0)).is_none());
        // Hashes 0..200 were reused by live quotes (the later insert names the hash), so
        // the purge of the first quotes leaves them.
        assert_eq!(store.quote_id_for_payment(&[7; 32]), Some(qid(807)));
        assert_eq!(store.ledger.totals(), [800, 0, 0, 0, 0]);
        store.purge(2_000_000);
        assert_eq!(store.stats(), StoreStats::default());
        assert_eq!(store.ledger.totals(), [0; 5]);
        assert_eq!(store.quote_id_for_payment(&[7; 32]), None);
        assert!(
            store
                .quotes
                .iter()
                .all(|shard| lock(shard).capacity() <= 64)
        );
    }

    /// Beyond its cap a quote is refused and not stored; a purge makes room again.
    #[test]
    fn a_full_store_refuses_quotes_until_a_purge() {
        let store = MemoryStore::with_limits(Limits {
            quotes: Cap::new(3, 10),
            ..Limits::default()
        });
        for i in 0..3 {
            store.insert_quote(lightning_quote(i, 1, 10)).unwrap();
        }
        assert_eq!(
            store.insert_quote(lightning_quote(3, 1, 10)),
            Err(Full::Project(Held::Quote))
        );
        assert_eq!(store.stats().quotes, 3);
        store.purge(10 + QUOTE_GRACE_SECS);
        assert_eq!(store.insert_quote(lightning_quote(4, 1, 10)), Ok(()));
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

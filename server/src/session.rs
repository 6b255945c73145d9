//! What the server remembers for one agent: the quotes it started (with their invoices,
//! last known status and solutions), its access token with expiry, and its refresh token.
//! It lives in the [`Store`]: the durable one for the agent of a (API base, project key)
//! scope, or a private in-memory one (an HTTP MCP session, tests).
//!
//! Expiry is absolute unix time, compared with the server's [`crate::clock::Clock`]
//! reading that callers pass in, so a test that moves the clock moves token expiry too.
//! Bounds: [`MAX_QUOTES`] quotes per scope; a quote is purged a day after it expired,
//! a token row when its access token expired (with no refresh token) or
//! [`REFRESH_KEPT_SECS`] after (with one).

mod receipts;

use liveauth_protocol::wire::StartResponse;
use rusqlite::{OptionalExtension as _, params};

use crate::api::ApiClient;
use crate::solve::SolveStats;
use crate::state::{StateError, Store, WriteLock};

/// Refresh this many seconds before the access token's expiry, so a call never races it;
/// a quarter of the lifetime for a token that lives less than 20 s.
const EXPIRY_MARGIN_SECS: i64 = 5;

/// The longest access-token lifetime believed (a day); longer claims are cut to it.
const MAX_TOKEN_LIFETIME_SECS: u64 = 86_400;

/// Quotes remembered per scope; the oldest are forgotten first.
pub(crate) const MAX_QUOTES: i64 = 64;

/// A quote is kept this long after its challenge or invoice expired: a paid Lightning
/// quote may still be confirmed after its invoice's expiry.
const QUOTE_KEPT_SECS: i64 = 86_400;

/// A refresh token is kept this long after its access token expired (the API does not say
/// how long a refresh token lives; a refused one is dropped at once).
const REFRESH_KEPT_SECS: i64 = 30 * 86_400;

/// One agent's state: a scope of a store. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AgentSession {
    store: Store,
    scope: i64,
}

/// The agent's credentials. `Debug` is implemented by hand to keep them out of logs.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Tokens {
    pub jwt: String,
    /// Unix seconds.
    pub issued_at_unix: i64,
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
    pub(crate) fn new(
        jwt: String,
        expires_in_secs: u64,
        refresh_token: Option<String>,
        now_unix: i64,
    ) -> Self {
        let lifetime = expires_in_secs.min(MAX_TOKEN_LIFETIME_SECS);
        let lifetime = i64::try_from(lifetime).unwrap_or(0);
        Self {
            jwt,
            issued_at_unix: now_unix,
            expires_at_unix: now_unix.saturating_add(lifetime),
            refresh_token,
        }
    }

    /// Whether the access token is (about to be) expired at `now_unix`.
    pub(crate) fn is_stale(&self, now_unix: i64) -> bool {
        let lifetime = self.expires_at_unix.saturating_sub(self.issued_at_unix);
        let margin = EXPIRY_MARGIN_SECS.min(lifetime / 4);
        now_unix.saturating_add(margin) >= self.expires_at_unix
    }
}

impl AgentSession {
    /// The durable session of `api`'s scope (its base and project key) in `store`.
    pub fn for_api(store: Store, api: &ApiClient) -> Result<Self, StateError> {
        Self::scoped(store, api.base(), api.project_key().unwrap_or(""))
    }

    /// The session of scope (`api_base`, `project_key`; `""` is anonymous).
    pub fn scoped(store: Store, api_base: &str, project_key: &str) -> Result<Self, StateError> {
        let scope = store.with(|conn| {
            conn.execute(
                "INSERT INTO scopes (api_base, project_key) VALUES (?1, ?2)
                 ON CONFLICT DO NOTHING",
                params![api_base, project_key],
            )?;
            Ok(conn.query_row(
                "SELECT id FROM scopes WHERE api_base = ?1 AND project_key = ?2",
                params![api_base, project_key],
                |row| row.get(0),
            )?)
        })?;
        Ok(Self { store, scope })
    }

    /// A session of its own in a private in-memory store (an HTTP MCP session, tests).
    pub fn in_memory() -> Self {
        #[allow(clippy::expect_used)]
        // An in-memory SQLite database involves no I/O and no input: it fails only when
        // allocation does, and then the process is lost anyway.
        Self::scoped(
            Store::memory().expect("an in-memory SQLite database opens"),
            "",
            "",
        )
        .expect("an in-memory SQLite database takes a scope")
    }

    /// Remembers a quote started at `now_unix`, as the newest; purges expired quotes and
    /// the oldest beyond [`MAX_QUOTES`].
    pub(crate) fn remember_quote(
        &self,
        quote: &StartResponse,
        now_unix: i64,
    ) -> Result<(), StateError> {
        let (kind, expires_at) = match (&quote.pow_challenge, &quote.invoice) {
            (Some(challenge), _) => ("pow", challenge.expires_at_unix),
            (None, Some(invoice)) => ("lightning", invoice.expires_at_unix),
            (None, None) => ("other", now_unix.saturating_add(QUOTE_KEPT_SECS)),
        };
        let json = serde_json::to_string(quote)?;
        self.store.with(|conn| {
            let tx = conn.transaction()?;
            tx.execute(
                "INSERT INTO quotes (scope_id, quote_id, seq, kind, quote, status, expires_at)
                 VALUES (?1, ?2,
                   (SELECT coalesce(max(seq), 0) + 1 FROM quotes WHERE scope_id = ?1),
                   ?3, ?4, 'pending', ?5)
                 ON CONFLICT (scope_id, quote_id) DO UPDATE SET
                   seq = excluded.seq, kind = excluded.kind, quote = excluded.quote,
                   expires_at = excluded.expires_at",
                params![self.scope, quote.quote_id, kind, json, expires_at],
            )?;
            tx.execute(
                "DELETE FROM quotes WHERE scope_id = ?1 AND (expires_at < ?2 OR seq <=
                   (SELECT max(seq) FROM quotes WHERE scope_id = ?1) - ?3)",
                params![
                    self.scope,
                    now_unix.saturating_sub(QUOTE_KEPT_SECS),
                    MAX_QUOTES
                ],
            )?;
            Ok(tx.commit()?)
        })
    }

    pub(crate) fn quote(&self, quote_id: &str) -> Result<Option<StartResponse>, StateError> {
        let json: Option<String> = self.store.with(|conn| {
            Ok(conn
                .query_row(
                    "SELECT quote FROM quotes WHERE scope_id = ?1 AND quote_id = ?2",
                    params![self.scope, quote_id],
                    |row| row.get(0),
                )
                .optional()?)
        })?;
        Ok(json.map(|json| serde_json::from_str(&json)).transpose()?)
    }

    /// The most recent quote, optionally only one with a PoW challenge.
    pub(crate) fn latest_quote(&self, pow_only: bool) -> Result<Option<StartResponse>, StateError> {
        let json: Option<String> = self.store.with(|conn| {
            Ok(conn
                .query_row(
                    "SELECT quote FROM quotes WHERE scope_id = ?1 AND (?2 = 0 OR kind = 'pow')
                     ORDER BY seq DESC LIMIT 1",
                    params![self.scope, pow_only],
                    |row| row.get(0),
                )
                .optional()?)
        })?;
        Ok(json.map(|json| serde_json::from_str(&json)).transpose()?)
    }

    /// Remembers a quote's solution, so confirm can fill it in.
    pub(crate) fn remember_solution(
        &self,
        quote_id: &str,
        stats: &SolveStats,
    ) -> Result<(), StateError> {
        let json = serde_json::to_string(stats)?;
        self.store.with(|conn| {
            conn.execute(
                "UPDATE quotes SET solution = ?3, status = 'solved'
                 WHERE scope_id = ?1 AND quote_id = ?2",
                params![self.scope, quote_id, json],
            )?;
            Ok(())
        })
    }

    pub(crate) fn solution(&self, quote_id: &str) -> Result<Option<SolveStats>, StateError> {
        let json: Option<String> = self.store.with(|conn| {
            Ok(conn
                .query_row(
                    "SELECT solution FROM quotes WHERE scope_id = ?1 AND quote_id = ?2",
                    params![self.scope, quote_id],
                    |row| row.get(0),
                )
                .optional()?
                .flatten())
        })?;
        Ok(json.map(|json| serde_json::from_str(&json)).transpose()?)
    }

    /// Records what the API last said of a quote (`pending`, `paid`, `confirmed`, …).
    pub(crate) fn note_status(&self, quote_id: &str, status: &str) -> Result<(), StateError> {
        self.store.with(|conn| {
            conn.execute(
                "UPDATE quotes SET status = ?3 WHERE scope_id = ?1 AND quote_id = ?2",
                params![self.scope, quote_id, status],
            )?;
            Ok(())
        })
    }

    /// The stored tokens (a read of the shared file: another process's refresh shows).
    pub(crate) fn tokens(&self) -> Result<Option<Tokens>, StateError> {
        self.store.with(|conn| read_tokens(conn, self.scope))
    }

    /// Stores the tokens of a new session (confirm); purges dead token rows.
    pub(crate) fn set_tokens(&self, tokens: &Tokens) -> Result<(), StateError> {
        self.store
            .with(|conn| write_tokens(conn, self.scope, Some(tokens)))
    }

    /// Takes the refresh lock (see [`Store::write_lock`]) for this scope's tokens.
    pub(crate) async fn lock_tokens(&self) -> Result<TokenLock, StateError> {
        Ok(TokenLock {
            lock: self.store.write_lock().await?,
            scope: self.scope,
        })
    }
}

/// An L402 bundle invoice this server requested and has not claimed yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PendingBundle {
    pub payment_hash: String,
    pub bundle_id: String,
    pub tier: String,
}

/// A claimed bundle's macaroon. `Debug` masks it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct KeptBundle {
    pub bundle_id: String,
    pub macaroon: String,
}

impl std::fmt::Debug for KeptBundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeptBundle")
            .field("bundle_id", &self.bundle_id)
            .field("macaroon", &crate::redact::mask_secret(&self.macaroon))
            .finish()
    }
}

/// The `payments.purpose` of a bundle invoice: `l402_bundle <bundleId> <tier>`.
const BUNDLE_PURPOSE: &str = "l402_bundle";

/// L402 bundles: the invoice until claimed (table `payments`), then the macaroon (table
/// `l402_credentials`, `host` = the bundle id), the file being the only place it rests.
impl AgentSession {
    /// Remembers a requested bundle invoice as pending.
    pub(crate) fn remember_bundle_invoice(
        &self,
        pending: &PendingBundle,
        amount_sats: u64,
        now_unix: i64,
    ) -> Result<(), StateError> {
        let purpose = format!("{BUNDLE_PURPOSE} {} {}", pending.bundle_id, pending.tier);
        let amount = i64::try_from(amount_sats).unwrap_or(i64::MAX);
        self.store.with(|conn| {
            conn.execute(
                "INSERT OR REPLACE INTO payments
                   (scope_id, payment_hash, amount_sats, status, purpose, created_at, updated_at)
                 VALUES (?1, ?2, ?3, 'pending', ?4, ?5, ?5)",
                params![self.scope, pending.payment_hash, amount, purpose, now_unix],
            )?;
            Ok(())
        })
    }

    /// The pending bundle invoice with `payment_hash`, or the newest one.
    pub(crate) fn pending_bundle(
        &self,
        payment_hash: Option<&str>,
    ) -> Result<Option<PendingBundle>, StateError> {
        let row: Option<(String, String)> = self.store.with(|conn| {
            Ok(conn
                .query_row(
                    "SELECT payment_hash, purpose FROM payments
                     WHERE scope_id = ?1 AND status = 'pending' AND purpose LIKE ?2
                       AND (?3 IS NULL OR payment_hash = ?3)
                     ORDER BY created_at DESC, rowid DESC LIMIT 1",
                    params![self.scope, format!("{BUNDLE_PURPOSE} %"), payment_hash],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()?)
        })?;
        Ok(row.and_then(|(payment_hash, purpose)| {
            let mut parts = purpose.split(' ').skip(1);
            Some(PendingBundle {
                payment_hash,
                bundle_id: parts.next()?.to_owned(),
                tier: parts.next()?.to_owned(),
            })
        }))
    }

    /// Keeps a claimed bundle's macaroon and marks its invoice paid.
    pub(crate) fn keep_bundle(
        &self,
        pending: &PendingBundle,
        macaroon: &str,
        expires_at_unix: i64,
        now_unix: i64,
    ) -> Result<(), StateError> {
        self.store.with(|conn| {
            let tx = conn.transaction()?;
            tx.execute(
                "DELETE FROM l402_credentials WHERE scope_id = ?1 AND host = ?2",
                params![self.scope, pending.bundle_id],
            )?;
            tx.execute(
                "INSERT INTO l402_credentials (scope_id, host, macaroon, bundle_tier, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    self.scope,
                    pending.bundle_id,
                    macaroon,
                    pending.tier,
                    expires_at_unix
                ],
            )?;
            tx.execute(
                "UPDATE payments SET status = 'paid', updated_at = ?3
                 WHERE scope_id = ?1 AND payment_hash = ?2",
                params![self.scope, pending.payment_hash, now_unix],
            )?;
            Ok(tx.commit()?)
        })
    }

    /// The kept bundle macaroon that lasts longest and has not expired at `now_unix`.
    pub(crate) fn bundle(&self, now_unix: i64) -> Result<Option<KeptBundle>, StateError> {
        self.store.with(|conn| {
            Ok(conn
                .query_row(
                    "SELECT host, macaroon FROM l402_credentials
                     WHERE scope_id = ?1 AND bundle_tier IS NOT NULL AND expires_at > ?2
                     ORDER BY expires_at DESC LIMIT 1",
                    params![self.scope, now_unix],
                    |row| {
                        Ok(KeptBundle {
                            bundle_id: row.get(0)?,
                            macaroon: row.get(1)?,
                        })
                    },
                )
                .optional()?)
        })
    }
}

/// This scope's tokens under the refresh lock: read them again, refresh, write, commit.
#[derive(Debug)]
pub(crate) struct TokenLock {
    lock: WriteLock,
    scope: i64,
}

impl TokenLock {
    /// The tokens as committed now (by this process or another).
    pub(crate) fn tokens(&mut self) -> Result<Option<Tokens>, StateError> {
        let scope = self.scope;
        self.lock.with(|conn| read_tokens(conn, scope))
    }

    /// Replaces the tokens (`None`: the session is over) and releases the lock.
    pub(crate) fn commit(mut self, tokens: Option<&Tokens>) -> Result<(), StateError> {
        let scope = self.scope;
        self.lock.with(|conn| write_tokens(conn, scope, tokens))?;
        self.lock.commit()
    }
}

fn read_tokens(conn: &rusqlite::Connection, scope: i64) -> Result<Option<Tokens>, StateError> {
    Ok(conn
        .prepare_cached(
            "SELECT jwt, issued_at, expires_at, refresh_token FROM tokens WHERE scope_id = ?1",
        )?
        .query_row([scope], |row| {
            Ok(Tokens {
                jwt: row.get(0)?,
                issued_at_unix: row.get(1)?,
                expires_at_unix: row.get(2)?,
                refresh_token: row.get(3)?,
            })
        })
        .optional()?)
}

/// Writes (or with `None` deletes) the scope's tokens, and purges token rows of any scope
/// that can no longer be used.
fn write_tokens(
    conn: &rusqlite::Connection,
    scope: i64,
    tokens: Option<&Tokens>,
) -> Result<(), StateError> {
    match tokens {
        Some(tokens) => conn.execute(
            "INSERT OR REPLACE INTO tokens
               (scope_id, jwt, issued_at, expires_at, refresh_token)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                scope,
                tokens.jwt,
                tokens.issued_at_unix,
                tokens.expires_at_unix,
                tokens.refresh_token
            ],
        )?,
        None => conn.execute("DELETE FROM tokens WHERE scope_id = ?1", [scope])?,
    };
    if let Some(tokens) = tokens {
        let now = tokens.issued_at_unix;
        conn.execute(
            "DELETE FROM tokens WHERE scope_id != ?1 AND
               ((refresh_token IS NULL AND expires_at < ?2) OR expires_at < ?3)",
            params![scope, now, now.saturating_sub(REFRESH_KEPT_SECS)],
        )?;
    }
    Ok(())
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
        let session = AgentSession::in_memory();
        for i in 0..100 {
            session.remember_quote(&quote(&i.to_string()), NOW).unwrap();
        }
        assert!(session.quote("0").unwrap().is_none());
        assert!(session.quote("35").unwrap().is_none());
        assert!(session.quote("36").unwrap().is_some());
        assert!(session.quote("99").unwrap().is_some());
        assert_eq!(
            session.latest_quote(false).unwrap().map(|q| q.quote_id),
            Some("99".into())
        );
        assert!(session.latest_quote(true).unwrap().is_none());
        // Expired a day ago: purged by the next start.
        session
            .remember_quote(&quote("late"), NOW + QUOTE_KEPT_SECS * 3)
            .unwrap();
        assert!(session.quote("99").unwrap().is_none());
        assert!(session.quote("late").unwrap().is_some());
    }

    #[test]
    fn scopes_never_see_each_other() {
        let store = Store::memory().unwrap();
        let a = AgentSession::scoped(store.clone(), "http://a", "").unwrap();
        let b = AgentSession::scoped(store.clone(), "http://a", "la_pk_b").unwrap();
        let a_again = AgentSession::scoped(store, "http://a", "").unwrap();
        a.set_tokens(&Tokens::new("jwt-a".into(), 600, None, NOW))
            .unwrap();
        a.remember_quote(&quote("q"), NOW).unwrap();
        assert!(b.tokens().unwrap().is_none());
        assert!(b.quote("q").unwrap().is_none());
        assert_eq!(a_again.tokens().unwrap().unwrap().jwt, "jwt-a");
    }

    const NOW: i64 = 1_767_225_600;

    #[tokio::test]
    async fn a_refresh_keeps_or_replaces_under_the_lock() {
        let session = AgentSession::in_memory();
        session
            .set_tokens(&Tokens::new("a".into(), 600, Some("r1".into()), NOW))
            .unwrap();
        let mut lock = session.lock_tokens().await.unwrap();
        assert_eq!(lock.tokens().unwrap().unwrap().jwt, "a");
        let next = Tokens::new("b".into(), 600, Some("r1".into()), NOW);
        lock.commit(Some(&next)).unwrap();
        assert_eq!(session.tokens().unwrap(), Some(next));
        // Dropped without commit: nothing written.
        drop(session.lock_tokens().await.unwrap());
        assert_eq!(session.tokens().unwrap().unwrap().jwt, "b");
        session.lock_tokens().await.unwrap().commit(None).unwrap();
        assert!(session.tokens().unwrap().is_none());
    }

    #[test]
    fn tokens_keep_secrets_out_of_debug() {
        let tokens = Tokens::new("eyJsecret".into(), 600, Some("r1secret".into()), NOW);
        assert!(!tokens.is_stale(NOW));
        assert!(Tokens::new("c".into(), 0, None, NOW).is_stale(NOW));
        // An absurd lifetime from the API neither panics nor lasts forever.
        assert!(Tokens::new("d".into(), u64::MAX, None, NOW).expires_at_unix < NOW + 86_401);
        let debug = format!("{tokens:?}");
        assert!(!debug.contains("secret"), "{debug}");
    }

    #[test]
    fn tokens_go_stale_as_the_clock_moves() {
        let tokens = Tokens::new("a".into(), 600, None, NOW);
        assert_eq!(tokens.expires_at_unix, NOW + 600);
        assert!(!tokens.is_stale(NOW + 594));
        // Five seconds of margin: stale before the API would refuse it.
        assert!(tokens.is_stale(NOW + 595));
        assert!(tokens.is_stale(i64::MAX));
        // A short-lived token keeps most of its life: a quarter as margin, here none.
        let short = Tokens::new("s".into(), 2, None, NOW);
        assert!(!short.is_stale(NOW + 1));
        assert!(short.is_stale(NOW + 2));
        let twelve = Tokens::new("t".into(), 12, None, NOW);
        assert!(!twelve.is_stale(NOW + 8));
        assert!(twelve.is_stale(NOW + 9));
    }
}

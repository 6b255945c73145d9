//! The state file's schema and its migrations.
//!
//! `PRAGMA user_version` is the schema version: 0 is an empty file, `MIGRATIONS[v]` takes a
//! file from version `v` to `v + 1`. Each step runs in its own write transaction that reads
//! the version again first, so two processes opening an old file at once migrate it once.
//! `PRAGMA application_id` marks the file as ours, so another program's SQLite database is
//! refused rather than written into. A version newer than [`VERSION`] is refused before
//! anything is written: an older binary must not damage what a newer one keeps.

use rusqlite::{Connection, TransactionBehavior};

/// "LAMC" (LiveAuth MCP), in the header's application-id field.
pub(crate) const APPLICATION_ID: i32 = 0x4C41_4D43;

/// `MIGRATIONS[v]` migrates version `v` to `v + 1`. Append only: a released step never
/// changes, because files at every earlier version exist.
pub(crate) const MIGRATIONS: &[&str] = &[V1];

/// The version this build writes.
#[allow(clippy::cast_possible_truncation)] // a handful of migrations
pub(crate) const VERSION: i64 = MIGRATIONS.len() as i64;

/// Version 1. Every row belongs to a scope: one (API base, project key) pair, `''` being
/// anonymous; so two configurations never see each other's tokens. Times are unix
/// seconds. `receipts`, `l402_credentials` and `payments` (the wallet's ledger) are
/// created here for the issues that write them.
const V1: &str = "
CREATE TABLE scopes (
    id INTEGER PRIMARY KEY,
    api_base TEXT NOT NULL,
    project_key TEXT NOT NULL,
    UNIQUE (api_base, project_key)
) STRICT;

CREATE TABLE tokens (
    scope_id INTEGER PRIMARY KEY REFERENCES scopes (id) ON DELETE CASCADE,
    jwt TEXT NOT NULL,
    issued_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    refresh_token TEXT
) STRICT;

CREATE TABLE quotes (
    scope_id INTEGER NOT NULL REFERENCES scopes (id) ON DELETE CASCADE,
    quote_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('pow', 'lightning', 'other')),
    quote TEXT NOT NULL,
    status TEXT NOT NULL,
    solution TEXT,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (scope_id, quote_id)
) STRICT;
CREATE INDEX quotes_by_seq ON quotes (scope_id, seq);

CREATE TABLE receipts (
    scope_id INTEGER NOT NULL REFERENCES scopes (id) ON DELETE CASCADE,
    receipt_id TEXT NOT NULL,
    receipt TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (scope_id, receipt_id)
) STRICT;

CREATE TABLE l402_credentials (
    scope_id INTEGER NOT NULL REFERENCES scopes (id) ON DELETE CASCADE,
    host TEXT NOT NULL,
    macaroon TEXT NOT NULL,
    preimage TEXT,
    bundle_tier TEXT,
    expires_at INTEGER,
    PRIMARY KEY (scope_id, host, macaroon)
) STRICT;

CREATE TABLE payments (
    scope_id INTEGER NOT NULL REFERENCES scopes (id) ON DELETE CASCADE,
    payment_hash TEXT NOT NULL,
    amount_sats INTEGER NOT NULL CHECK (amount_sats >= 0),
    status TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'settled')),
    purpose TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (scope_id, payment_hash)
) STRICT;
";

/// What a file says about itself before anything is written to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub application_id: i32,
    pub user_version: i64,
    /// Tables, indexes, views and triggers in the file.
    pub objects: i64,
}

/// Reads the header fields (read-only: nothing in the file changes).
pub(crate) fn header(conn: &Connection) -> rusqlite::Result<Header> {
    Ok(Header {
        application_id: conn.pragma_query_value(None, "application_id", |row| row.get(0))?,
        user_version: conn.pragma_query_value(None, "user_version", |row| row.get(0))?,
        objects: conn.query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))?,
    })
}

/// What a header means for this build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Ours (or empty), at this version or an older one.
    Usable,
    /// Ours, from a newer build.
    Newer(i64),
    /// Another program's database.
    Foreign,
}

impl Header {
    pub(crate) fn verdict(self) -> Verdict {
        let empty = self.application_id == 0 && self.user_version == 0 && self.objects == 0;
        if self.application_id != APPLICATION_ID && !empty {
            Verdict::Foreign
        } else if self.user_version > VERSION {
            Verdict::Newer(self.user_version)
        } else {
            Verdict::Usable
        }
    }
}

/// Migrates to [`VERSION`], one transaction per step; stops without writing at a foreign
/// file or a version newer than ours.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), MigrateError> {
    migrate_to(conn, VERSION)
}

/// Migrates to `target` (tests build files at every earlier version with it).
pub(crate) fn migrate_to(conn: &mut Connection, target: i64) -> Result<(), MigrateError> {
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let found = header(&tx)?;
        match found.verdict() {
            Verdict::Foreign => return Err(MigrateError::Foreign),
            Verdict::Newer(version) => return Err(MigrateError::Newer(version)),
            Verdict::Usable => {}
        }
        if found.user_version >= target {
            return Ok(tx.commit()?);
        }
        let step = usize::try_from(found.user_version).unwrap_or(usize::MAX);
        let Some(sql) = MIGRATIONS.get(step) else {
            return Err(MigrateError::Newer(found.user_version));
        };
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)?;
        tx.pragma_update(None, "user_version", found.user_version + 1)?;
        tx.commit()?;
    }
}

/// Why a migration stopped.
#[derive(Debug, thiserror::Error)]
pub(crate) enum MigrateError {
    #[error("schema version {0} is newer than this build's")]
    Newer(i64),
    #[error("not a liveauth-mcp state file")]
    Foreign,
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The schema as SQLite records it, for comparing two files.
    fn schema_sql(conn: &Connection) -> Vec<String> {
        let mut statement = conn
            .prepare("SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY name")
            .unwrap();
        statement
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn migrates_from_every_earlier_version() {
        let mut fresh = Connection::open_in_memory().unwrap();
        migrate(&mut fresh).unwrap();
        assert_eq!(header(&fresh).unwrap().user_version, VERSION);
        for from in 0..VERSION {
            let mut conn = Connection::open_in_memory().unwrap();
            migrate_to(&mut conn, from).unwrap();
            assert_eq!(header(&conn).unwrap().user_version, from);
            migrate(&mut conn).unwrap();
            let found = header(&conn).unwrap();
            assert_eq!(
                (found.application_id, found.user_version),
                (APPLICATION_ID, VERSION),
                "from version {from}"
            );
            assert_eq!(schema_sql(&conn), schema_sql(&fresh), "from version {from}");
            // Migrating again is a no-op.
            migrate(&mut conn).unwrap();
            assert_eq!(schema_sql(&conn), schema_sql(&fresh));
        }
    }

    #[test]
    fn headers_are_judged() {
        let ours = |user_version| Header {
            application_id: APPLICATION_ID,
            user_version,
            objects: 3,
        };
        assert_eq!(ours(VERSION).verdict(), Verdict::Usable);
        assert_eq!(ours(VERSION + 1).verdict(), Verdict::Newer(VERSION + 1));
        let empty = Header {
            application_id: 0,
            user_version: 0,
            objects: 0,
        };
        assert_eq!(empty.verdict(), Verdict::Usable);
        assert_eq!(
            Header {
                objects: 1,
                ..empty
            }
            .verdict(),
            Verdict::Foreign
        );
        assert_eq!(
            Header {
                user_version: 4,
                ..empty
            }
            .verdict(),
            Verdict::Foreign
        );
    }
}

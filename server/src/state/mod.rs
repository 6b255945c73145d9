//! The server's durable state: one SQLite file (or an in-memory database) holding each
//! agent's tokens and quotes, so a restarted server, or a second copy of it, carries on
//! without a new proof-of-work or payment. What a session keeps is in
//! [`crate::session`]; this module opens the file and keeps the connections.
//!
//! - [`location`]: where the file is (`--state`, `LIVEAUTH_STATE`, the XDG default) and
//!   the permission rules (directory 0700, file 0600, a file others can read refused).
//! - [`schema`]: the versioned schema and its migrations.
//!
//! Several processes may share one file: WAL lets readers run beside one writer, the busy
//! timeout makes a writer wait for another's transaction, and every transaction is short,
//! except a token refresh, which holds the write lock across its API call (see
//! [`Store::write_lock`]): that is what serializes refreshes across processes. Statements
//! are synchronous and run in short critical sections of a std mutex, never across an
//! `.await`; only the refresh lock, a separate connection behind tokio's mutex, is held
//! across one.

pub(crate) mod location;
pub(crate) mod schema;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use tokio::sync::OwnedMutexGuard;

pub use location::StateLocation;
use schema::MigrateError;

/// How long a statement waits for another connection's write transaction. Longer than an
/// API call may take ([`crate::config::DEFAULT_TIMEOUT`]), because a refresh holds the
/// write lock across one.
const BUSY_TIMEOUT: Duration = Duration::from_secs(15);

/// Why the state store cannot be used. Each message names the file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(
        "no place for the state file: neither XDG_STATE_HOME nor HOME is set; pass --state \
         PATH, or --state memory to keep nothing on disk"
    )]
    NoHome,
    #[error("cannot create the state directory {}: {source}", path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot open the state file {}: {source}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the state file {} can be read by other users (mode {mode:03o}); it holds access and \
         refresh tokens: run `chmod 600 {}`, or pass another --state",
        path.display(),
        path.display()
    )]
    Readable { path: PathBuf, mode: u32 },
    #[error(
        "{} is not a SQLite database (a corrupt file, or another program's); it was left as \
         it is: move it away, or pass another --state",
        path.display()
    )]
    NotADatabase { path: PathBuf },
    #[error(
        "{} is another program's SQLite database, not a liveauth-mcp state file; it was left \
         as it is: pass another --state",
        path.display()
    )]
    Foreign { path: PathBuf },
    #[error(
        "the state file {} has schema version {found}, newer than this liveauth-mcp's \
         ({supported}); it was left as it is: upgrade liveauth-mcp, or pass another --state",
        path.display(),
        supported = schema::VERSION
    )]
    Newer { path: PathBuf, found: i64 },
    #[error("the state store failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("a stored value does not decode: {0}")]
    Decode(#[from] serde_json::Error),
    #[error("the state store's worker thread stopped")]
    Worker,
}

/// The store: cheap to clone, shared by every session of the process.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    /// Every statement but a refresh's.
    conn: Mutex<Connection>,
    /// `None`: in memory (one connection; no other process can see it).
    path: Option<PathBuf>,
    /// The refresh lock: a second connection that holds the write transaction across the
    /// API call (opened on first use, `None` until then and after a cancelled refresh).
    refresh: Arc<tokio::sync::Mutex<Option<Connection>>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.inner.path {
            Some(path) => write!(f, "Store({})", path.display()),
            None => f.write_str("Store(memory)"),
        }
    }
}

impl Store {
    /// Opens (creating, migrating) the store at `location`.
    pub fn open(location: &StateLocation) -> Result<Self, StateError> {
        match location {
            StateLocation::Memory => Self::memory(),
            StateLocation::File(path) => Self::open_file(path),
        }
    }

    /// A private in-memory store: nothing reaches the disk, nothing outlives the process.
    pub fn memory() -> Result<Self, StateError> {
        let mut conn = Connection::open_in_memory()?;
        configure(&conn)?;
        schema::migrate(&mut conn).map_err(|error| migrate_error(error, Path::new(":memory:")))?;
        Ok(Self::from_parts(conn, None))
    }

    /// Opens the file at `path`: permissions first, then what the file is (read only),
    /// and only then WAL and migrations, so a file that is refused is never written.
    pub fn open_file(path: &Path) -> Result<Self, StateError> {
        location::prepare(path)?;
        let mut conn = connect(path)?;
        let header = schema::header(&conn).map_err(|error| sqlite_error(error, path))?;
        match header.verdict() {
            schema::Verdict::Usable => {}
            schema::Verdict::Foreign => return Err(StateError::Foreign { path: path.into() }),
            schema::Verdict::Newer(found) => {
                return Err(StateError::Newer {
                    path: path.into(),
                    found,
                });
            }
        }
        // WAL is a property of the file: set once, every later connection gets it.
        let _mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "wal", |row| row.get(0))
            .map_err(|error| sqlite_error(error, path))?;
        schema::migrate(&mut conn).map_err(|error| migrate_error(error, path))?;
        Ok(Self::from_parts(conn, Some(path.to_owned())))
    }

    fn from_parts(conn: Connection, path: Option<PathBuf>) -> Self {
        Self {
            inner: Arc::new(Inner {
                conn: Mutex::new(conn),
                path,
                refresh: Arc::new(tokio::sync::Mutex::new(None)),
            }),
        }
    }

    /// The file, or `None` in memory.
    pub fn path(&self) -> Option<&Path> {
        self.inner.path.as_deref()
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A statement either ran or did not; a poisoned lock is still usable.
        self.inner
            .conn
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// Runs `f` on the shared connection (a short critical section, never across an
    /// `.await`). A write in `f` is one transaction: use one statement, or `BEGIN`.
    pub(crate) fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StateError>,
    ) -> Result<T, StateError> {
        f(&mut self.lock())
    }

    /// The write lock that serializes token refreshes, in this process and across
    /// processes on the same file: this process's refresh gate, then (for a file)
    /// `BEGIN IMMEDIATE` on the refresh connection, waiting up to the busy timeout for
    /// another process's refresh to commit. Statements of the lock see the latest
    /// committed tokens; nothing is written unless [`WriteLock::commit`] runs.
    pub(crate) async fn write_lock(&self) -> Result<WriteLock, StateError> {
        let mut guard = Arc::clone(&self.inner.refresh).lock_owned().await;
        if let Some(path) = self.inner.path.clone() {
            let conn = match guard.take() {
                Some(conn) => conn,
                None => connect(&path)?,
            };
            // Waiting for another process's transaction blocks: not on the runtime.
            let (conn, begun) = tokio::task::spawn_blocking(move || {
                let begun = conn.execute_batch("BEGIN IMMEDIATE");
                (conn, begun)
            })
            .await
            .map_err(|_| StateError::Worker)?;
            *guard = Some(conn);
            begun?;
        }
        Ok(WriteLock {
            guard,
            store: self.clone(),
            open: true,
        })
    }
}

/// A held refresh lock (see [`Store::write_lock`]). Dropped without
/// [`WriteLock::commit`], it rolls back.
pub(crate) struct WriteLock {
    guard: OwnedMutexGuard<Option<Connection>>,
    store: Store,
    open: bool,
}

impl std::fmt::Debug for WriteLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteLock")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl WriteLock {
    /// Runs `f` inside the lock's transaction (in memory: on the one connection, which
    /// the refresh gate already makes exclusive for refreshes).
    pub(crate) fn with<T>(
        &mut self,
        f: impl FnOnce(&mut Connection) -> Result<T, StateError>,
    ) -> Result<T, StateError> {
        match self.guard.as_mut() {
            Some(conn) => f(conn),
            None => self.store.with(f),
        }
    }

    /// Commits what the lock's statements wrote and releases it.
    pub(crate) fn commit(mut self) -> Result<(), StateError> {
        self.open = false;
        if let Some(conn) = self.guard.as_mut() {
            conn.execute_batch("COMMIT")?;
        }
        Ok(())
    }
}

impl Drop for WriteLock {
    fn drop(&mut self) {
        if !self.open {
            return;
        }
        if let Some(conn) = self.guard.as_mut()
            && conn.execute_batch("ROLLBACK").is_err()
        {
            // A connection in an unknown state is closed (which rolls back) and reopened
            // by the next refresh.
            *self.guard = None;
        }
    }
}

/// A connection to an existing file with this store's settings.
fn connect(path: &Path) -> Result<Connection, StateError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn =
        Connection::open_with_flags(path, flags).map_err(|error| sqlite_error(error, path))?;
    configure(&conn).map_err(|error| sqlite_error(error, path))?;
    Ok(conn)
}

/// Per-connection settings. `synchronous = FULL`: a committed quote or token survives a
/// power cut too, not only a crash (writes are rare: start, solve, confirm, refresh).
fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "synchronous", "FULL")
}

/// SQLite's "not a database" becomes the clear message; the rest pass through.
fn sqlite_error(error: rusqlite::Error, path: &Path) -> StateError {
    match error.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => StateError::NotADatabase { path: path.into() },
        _ => StateError::Sqlite(error),
    }
}

fn migrate_error(error: MigrateError, path: &Path) -> StateError {
    match error {
        MigrateError::Newer(found) => StateError::Newer {
            path: path.into(),
            found,
        },
        MigrateError::Foreign => StateError::Foreign { path: path.into() },
        MigrateError::Sqlite(error) => sqlite_error(error, path),
    }
}

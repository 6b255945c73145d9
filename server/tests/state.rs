//! The state file itself: where it goes and with which permissions, and what happens to a
//! file that is not ours to use (readable by others, corrupt, another program's, from a
//! newer version): a clear error, and the file's bytes unchanged. Also through the
//! binary, whose start-up message must say the same.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a panic is a failed test

use std::path::Path;

use liveauth_mcp::AgentSession;
use liveauth_mcp::state::{StateError, StateLocation, Store};

const BIN: &str = env!("CARGO_BIN_EXE_liveauth-mcp");

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Opens `path` expecting a refusal; the file's bytes must be what they were.
fn refused(path: &Path) -> StateError {
    let before = std::fs::read(path).unwrap();
    let error = Store::open_file(path).unwrap_err();
    assert_eq!(
        std::fs::read(path).unwrap(),
        before,
        "a refused file changed"
    );
    error
}

/// The binary refuses to start on `path`, saying `expected`, and leaves it as it was.
fn binary_refuses(path: &Path, expected: &str) {
    let before = std::fs::read(path).unwrap();
    let output = std::process::Command::new(BIN)
        .args(["--api-base", "http://127.0.0.1:9", "--state"])
        .arg(path)
        .env_remove("LIVEAUTH_STATE")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains(expected), "{stderr}");
    assert!(output.stdout.is_empty(), "stdout is MCP only");
    assert_eq!(
        std::fs::read(path).unwrap(),
        before,
        "a refused file changed"
    );
}

/// A new file: the directory is made 0700, the file and SQLite's `-wal` and `-shm` 0600.
#[cfg(unix)]
#[test]
fn a_new_state_file_is_private() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/liveauth-mcp/state.db");
    let store = Store::open(&StateLocation::File(path.clone())).unwrap();
    // Open while checking: SQLite removes its side files when the last connection closes.
    let _session = AgentSession::scoped(store, "http://api", "").unwrap();
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    assert_eq!(mode(&path), 0o600);
    for side in ["state.db-wal", "state.db-shm"] {
        let side = path.with_file_name(side);
        assert!(side.exists(), "{} missing: not in WAL mode", side.display());
        assert_eq!(mode(&side), 0o600, "{}", side.display());
    }
}

/// A file that group or others may read is refused, with the chmod to run.
#[cfg(unix)]
#[test]
fn a_file_others_can_read_is_refused() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    drop(Store::open_file(&path).unwrap());
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let error = refused(&path);
    assert!(
        matches!(error, StateError::Readable { mode: 0o644, .. }),
        "{error}"
    );
    assert!(error.to_string().contains("chmod 600"), "{error}");
    binary_refuses(&path, "can be read by other users");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    Store::open_file(&path).unwrap();
}

/// Bytes that are no SQLite database: refused, untouched.
#[test]
fn a_corrupt_file_is_refused_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = private_file(dir.path(), &[0x5a; 8192]);
    let error = refused(&path);
    assert!(matches!(error, StateError::NotADatabase { .. }), "{error}");
    binary_refuses(&path, "is not a SQLite database");
}

/// Another program's SQLite database: refused, untouched (not even switched to WAL).
#[test]
fn another_programs_database_is_refused_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = private_file(dir.path(), b"");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine');")
            .unwrap();
    }
    let error = refused(&path);
    assert!(matches!(error, StateError::Foreign { .. }), "{error}");
    binary_refuses(&path, "another program's SQLite database");
}

/// A file from a newer liveauth-mcp: refused with both versions named, never rewritten.
#[test]
fn a_newer_schema_is_refused_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    drop(Store::open_file(&path).unwrap());
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        // Back to a rollback journal, so the whole file is in the main file's bytes.
        conn.pragma_update(None, "journal_mode", "delete").unwrap();
    }
    let error = refused(&path);
    assert!(
        matches!(error, StateError::Newer { found: 99, .. }),
        "{error}"
    );
    assert!(
        error.to_string().contains("upgrade liveauth-mcp"),
        "{error}"
    );
    binary_refuses(&path, "schema version 99");
}

/// An empty file (what `touch` makes) is a fresh store, migrated to the current schema.
#[test]
fn an_empty_file_becomes_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = private_file(dir.path(), b"");
    let store = Store::open_file(&path).unwrap();
    AgentSession::scoped(store, "http://api", "la_pk_x").unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap();
    assert!(version >= 1);
    let scopes: i64 = conn
        .query_row("SELECT count(*) FROM scopes", [], |row| row.get(0))
        .unwrap();
    assert_eq!(scopes, 1);
}

/// `--state memory` writes nothing; the XDG default is used only when asked for.
#[test]
fn memory_keeps_nothing_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(BIN)
        .args(["--api-base", "http://127.0.0.1:9", "--state", "memory"])
        .env("XDG_STATE_HOME", dir.path())
        .env("HOME", dir.path())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    // No initialize arrives on stdin: the server stops, and nothing was written.
    assert!(!output.status.success());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    // Without --state, the default file under XDG_STATE_HOME.
    let output = std::process::Command::new(BIN)
        .args(["--api-base", "http://127.0.0.1:9"])
        .env_remove("LIVEAUTH_STATE")
        .env("XDG_STATE_HOME", dir.path())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(dir.path().join("liveauth-mcp/state.db").exists());
}

fn private_file(dir: &Path, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join("state.db");
    std::fs::write(&path, bytes).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    path
}

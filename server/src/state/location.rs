//! Where the state file is, and the permissions it must have.
//!
//! Default `$XDG_STATE_HOME/liveauth-mcp/state.db`, else
//! `~/.local/state/liveauth-mcp/state.db`; `--state PATH` / `LIVEAUTH_STATE` choose
//! another file, `--state memory` none. A missing directory is created 0700 and a
//! missing file 0600 (SQLite gives its `-wal` and `-shm` files the file's mode). A file
//! that others may read (any group or other permission bit) is refused: it holds tokens.

use std::fmt;
use std::path::{Path, PathBuf};

use super::StateError;

/// The `--state` value that keeps everything in memory.
pub(crate) const MEMORY: &str = "memory";

/// The default file's place under the state home.
const DEFAULT_RELATIVE: &str = "liveauth-mcp/state.db";

/// Where the store lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateLocation {
    /// Nothing on disk; nothing outlives the process.
    Memory,
    File(PathBuf),
}

impl StateLocation {
    /// A `--state` / `LIVEAUTH_STATE` value: `memory`, or a path.
    pub fn from_arg(value: &str) -> Self {
        if value == MEMORY {
            Self::Memory
        } else {
            Self::File(PathBuf::from(value))
        }
    }

    /// The default file, from `XDG_STATE_HOME` (if absolute, as the XDG spec says) else
    /// `HOME`.
    pub fn default_file() -> Result<Self, StateError> {
        Self::default_file_from(
            std::env::var_os("XDG_STATE_HOME").map(PathBuf::from),
            std::env::var_os("HOME").map(PathBuf::from),
        )
    }

    fn default_file_from(
        xdg_state_home: Option<PathBuf>,
        home: Option<PathBuf>,
    ) -> Result<Self, StateError> {
        let base = xdg_state_home
            .filter(|dir| dir.is_absolute())
            .or_else(|| {
                home.filter(|dir| !dir.as_os_str().is_empty())
                    .map(|home| home.join(".local/state"))
            })
            .ok_or(StateError::NoHome)?;
        Ok(Self::File(base.join(DEFAULT_RELATIVE)))
    }
}

impl fmt::Display for StateLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Memory => f.write_str(MEMORY),
            Self::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// Makes sure `path` may be used: its directory exists (created 0700), and the file
/// exists (created 0600) and is private to its owner. Changes nothing else.
pub(super) fn prepare(path: &Path) -> Result<(), StateError> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty())
        && !dir.exists()
    {
        create_dir(dir).map_err(|source| StateError::CreateDir {
            path: dir.into(),
            source,
        })?;
    }
    let open_error = |source| StateError::Open {
        path: path.into(),
        source,
    };
    match std::fs::metadata(path) {
        Ok(metadata) => check_private(path, &metadata),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            match create_file(path) {
                Ok(()) => Ok(()),
                // Another process created it first: check what it made.
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                    check_private(path, &std::fs::metadata(path).map_err(open_error)?)
                }
                Err(error) => Err(open_error(error)),
            }
        }
        Err(error) => Err(open_error(error)),
    }
}

#[cfg(unix)]
fn create_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

#[cfg(unix)]
fn create_file(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map(drop)
}

#[cfg(not(unix))]
fn create_file(path: &Path) -> std::io::Result<()> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map(drop)
}

#[cfg(unix)]
fn check_private(path: &Path, metadata: &std::fs::Metadata) -> Result<(), StateError> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(StateError::Readable {
            path: path.into(),
            mode,
        });
    }
    Ok(())
}

/// Elsewhere the file's ACL is the user profile's; nothing to check here.
#[cfg(not(unix))]
fn check_private(_: &Path, _: &std::fs::Metadata) -> Result<(), StateError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_file_follows_xdg_then_home() {
        let file = |xdg: Option<&str>, home: Option<&str>| {
            StateLocation::default_file_from(xdg.map(PathBuf::from), home.map(PathBuf::from))
                .map(|location| location.to_string())
        };
        assert_eq!(
            file(Some("/x/state"), Some("/home/a")).unwrap(),
            "/x/state/liveauth-mcp/state.db"
        );
        // A relative XDG_STATE_HOME is ignored, as the spec says.
        assert_eq!(
            file(Some("rel"), Some("/home/a")).unwrap(),
            "/home/a/.local/state/liveauth-mcp/state.db"
        );
        assert!(matches!(file(None, None), Err(StateError::NoHome)));
        assert!(matches!(file(None, Some("")), Err(StateError::NoHome)));
        assert_eq!(StateLocation::from_arg("memory"), StateLocation::Memory);
        assert_eq!(
            StateLocation::from_arg("./s.db"),
            StateLocation::File("./s.db".into())
        );
    }
}

//! The log subscriber both binaries install: `RUST_LOG` as usual, except that nothing
//! below `info` from a library that logs whole messages ever reaches a log.
//!
//! rmcp logs every JSON-RPC message at `debug` (JWTs and refresh tokens included), and the
//! HTTP stacks log raw headers and bodies at `trace`. An `EnvFilter` cap such as
//! `rmcp=info` is overridden by a more specific directive (`rmcp::service=debug`), so the
//! cap here is a second, per-layer filter that `RUST_LOG` never reaches: an event passes
//! only if both filters let it through.

use tracing::{Level, Metadata};
use tracing_subscriber::layer::{Layer as _, SubscriberExt as _};
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, filter};

/// Crates that log whole messages, headers or bodies below `info`; capped at `info`
/// whatever `RUST_LOG` says. A module of one (`rmcp::service`) is capped with its crate.
pub const MESSAGE_LOGGING_CRATES: &[&str] = &[
    "rmcp",
    "hyper",
    "hyper_util",
    "h2",
    "reqwest",
    "tower_http",
    "axum",
    "wiremock",
];

/// Whether an event or span with `metadata` may reach a log: everything at `info` or
/// above, and lower levels only from crates that never log message contents.
#[must_use]
pub fn may_log(metadata: &Metadata<'_>) -> bool {
    *metadata.level() <= Level::INFO || !logs_messages(metadata.target())
}

fn logs_messages(target: &str) -> bool {
    MESSAGE_LOGGING_CRATES.iter().any(|name| {
        target
            .strip_prefix(name)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
    })
}

/// Installs the stderr subscriber: `RUST_LOG` (else `default_directives`), then
/// [`may_log`]. Returns an error if a subscriber is already installed.
pub fn init_stderr(default_directives: &str) -> Result<(), tracing_subscriber::util::TryInitError> {
    let env = EnvFilter::try_from_default_env().unwrap_or_else(|_| default_directives.into());
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_filter(env)
        .with_filter(filter::filter_fn(may_log));
    tracing_subscriber::registry().with(stderr).try_init()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_whole_crates_and_their_modules_only() {
        for target in [
            "rmcp",
            "rmcp::service",
            "hyper::proto::h1::io",
            "tower_http::trace",
        ] {
            assert!(logs_messages(target), "{target}");
        }
        for target in ["rmcpx", "liveauth_mcp::tools", "mock_api", "hyperlocal"] {
            assert!(!logs_messages(target), "{target}");
        }
    }
}

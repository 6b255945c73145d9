//! The LiveAuth MCP server: lets an AI agent get a JWT from a LiveAuth API by solving a
//! SHA-256 proof-of-work challenge or paying a Lightning invoice, then meter its usage.
//!
//! - [`tools`]: the MCP server, one file per tool; `payment_view`: the MCP Apps page that
//!   shows a pending invoice to a person; [`session`]: what the server keeps
//!   for each agent, in [`state`]: the SQLite store (a file shared by the server's
//!   processes, or memory); [`solve`]: the solver run for async callers.
//! - [`api`]: the HTTP client for the LiveAuth API; [`invoice_check`]: the checks every
//!   invoice passes before an agent sees it; [`redact`]: secrets shortened for logs.
//! - [`config`]: settings from flags and environment; [`clock`]: the time expiries are
//!   checked against (injected); [`transport`]: stdio and Streamable HTTP,
//!   [`http_access`]: who may use the HTTP one and how many sessions, [`stdio`]: the
//!   stdio transport that answers every request and bounds the unanswered; [`embedded`]:
//!   the mock API in-process; [`in_process`]: an MCP client connected to the server in
//!   this process; [`demo`]: the guided walkthrough; [`setup`]: the config block that adds
//!   this server to Claude Desktop, Goose or Cursor, printed or merged into their file.
//! - The `embedded-mock` feature (default) brings in the `mock-api` crate for [`embedded`]
//!   and [`demo`]; without it they are absent. The `fuzzing` feature exposes the invoice
//!   check's fuzz property (`invoice_check::fuzzing`, not API) to `fuzz/` and the testkit.

pub mod api;
pub mod clock;
pub mod config;
#[cfg(feature = "embedded-mock")]
pub mod demo;
#[cfg(feature = "embedded-mock")]
pub mod embedded;
pub mod http_access;
pub mod in_process;
pub mod invoice_check;
mod payment_view;
pub mod receipts;
mod redact;
mod session;
pub mod setup;
mod solve;
pub mod state;
pub mod stdio;
mod tools;
pub mod transport;

pub use session::AgentSession;
pub use solve::SolveLimit;
pub use tools::{LiveAuthServer, next_step};

//! The LiveAuth MCP server: lets an AI agent get a JWT from a LiveAuth API by solving a
//! SHA-256 proof-of-work challenge or paying a Lightning invoice, then meter its usage.
//!
//! - [`tools`]: the MCP server, one file per tool; [`session`]: what the server keeps
//!   for each agent; [`solve`]: the solver run for async callers.
//! - [`api`]: the HTTP client for the LiveAuth API; [`invoice_check`]: the checks every
//!   invoice passes before an agent sees it; [`redact`]: secrets shortened for logs.
//! - [`config`]: settings from flags and environment; [`clock`]: the time expiries are
//!   checked against (injected); [`transport`]: stdio and Streamable HTTP; [`embedded`]:
//!   the mock API in-process; [`in_process`]: an MCP client connected to the server in
//!   this process; [`demo`]: the guided walkthrough.
//! - The `embedded-mock` feature (default) brings in the `mock-api` crate for [`embedded`],
//!   [`demo`] and [`fuzzing`] (the tool-call fuzzing harness); without it they are absent.

pub mod api;
pub mod clock;
pub mod config;
#[cfg(feature = "embedded-mock")]
pub mod demo;
#[cfg(feature = "embedded-mock")]
pub mod embedded;
#[cfg(feature = "embedded-mock")]
pub mod fuzzing;
pub mod in_process;
pub mod invoice_check;
pub mod redact;
pub mod session;
pub mod solve;
pub mod tools;
pub mod transport;

pub use tools::LiveAuthServer;

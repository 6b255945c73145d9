//! `conformance mcp -- COMMAND ARGS…`: checks any LiveAuth MCP server from the outside, as
//! an agent sees it, and cross-checks every answer with the API the server talks to.
//!
//! - [`catalogue`]: every named MCP check, its [`Level`] and what it proves; [`run`] runs
//!   them through [`crate::run_checks`], so the report, its lines and the JUnit file are the
//!   API suite's.
//! - `server`: the server under test, spawned over stdio with `LIVEAUTH_API_BASE`,
//!   `LIVEAUTH_API_KEY` and a fresh state directory, spoken to by rmcp's client, its stderr
//!   kept and its CPU time read (for the cancellation check).
//! - `compat`: what the seed README promises, whatever the implementation: the seven tools,
//!   the PoW and Lightning flows, a deny, errors as tool errors; each answer cross-checked
//!   with the API (the JWT works there, usage and quote states are the API's own).
//! - `strict`: this implementation's promises: output schemas and structured content,
//!   annotations, bad arguments named, no secret on stderr, progress and cancellation of a
//!   solve, the 1.x tools.
//! - `embedded` (feature `embedded-mock`): the mock API the checker starts on loopback when
//!   no `--api-base` is given.

mod catalogue;
mod compat;
#[cfg(feature = "embedded-mock")]
mod embedded;
mod http;
mod server;
mod strict;

use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

pub use catalogue::catalogue;
pub use compat::SEED_TOOLS;
use serde_json::Value;
use server::{Answer, Server};

use crate::{Ctx, Level, Options, Report};

liveauth_protocol::text_enum! {
    /// The profile of the mock the checker starts when no `--api-base` is given.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum MockProfile as "profile" {
        /// Behaves like the hosted API.
        Hosted = "hosted",
        /// The reference's stronger promises.
        Strict = "strict",
    }
}

/// What the MCP checks run against.
#[derive(Clone)]
pub struct McpOptions {
    /// The server's program and its arguments.
    pub command: Vec<String>,
    /// Instead of spawning `command`: a server already serving Streamable HTTP here,
    /// pointed at `api_base` (which is then required).
    pub mcp_url: Option<String>,
    /// `Authorization: Bearer` for `mcp_url`.
    pub bearer: Option<String>,
    /// The API the server is pointed at; `None`: a mock the checker starts on loopback
    /// (feature `embedded-mock`).
    pub api_base: Option<String>,
    /// `LIVEAUTH_API_KEY` for the server; `None`: keyless mode (the anonymous demo project).
    pub api_key: Option<String>,
    pub level: Level,
    /// The profile of the checker's own mock.
    pub profile: MockProfile,
    /// How long one tool call (and one API request) may take.
    pub timeout: Duration,
}

impl fmt::Debug for McpOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("McpOptions")
            .field("command", &self.command)
            .field("mcp_url", &self.mcp_url)
            .field("api_base", &self.api_base)
            .field("keyed", &self.api_key.is_some())
            .field("level", &self.level)
            .field("profile", &self.profile)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl McpOptions {
    pub fn new(command: Vec<String>) -> Self {
        Self {
            command,
            mcp_url: None,
            bearer: None,
            api_base: None,
            api_key: None,
            level: Level::Compat,
            profile: MockProfile::Hosted,
            timeout: Duration::from_secs(30),
        }
    }
}

/// Difficulty of the checker's own mock: the mock's default (solved in milliseconds).
#[cfg(feature = "embedded-mock")]
const MOCK_BITS: u32 = 18;

/// Difficulty of the second mock the progress and cancellation checks solve against:
/// about a billion hashes, far longer than those checks wait.
#[cfg(feature = "embedded-mock")]
const HARD_BITS: u32 = 30;

/// What the checks learn as they go, for the checks that read it later.
#[derive(Debug, Default)]
struct Seen {
    /// Every tool result, for the structured-content check.
    results: Vec<Answer>,
    /// Every token, refresh token, preimage and macaroon of the flows, for the stderr check.
    secrets: Vec<String>,
}

/// What every MCP check gets.
pub struct McpCtx {
    /// The server under test, against the API.
    server: Server,
    /// The API itself, for the cross-checks (the API suite's context: its client and
    /// whether the dev endpoints exist).
    api: Ctx,
    options: McpOptions,
    /// The API's base URL as given to the server.
    base: String,
    /// A mock issuing challenges too hard to finish while a check waits (only when the
    /// checker runs its own mocks).
    hard_base: Option<String>,
    seen: Mutex<Seen>,
}

impl fmt::Debug for McpCtx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("McpCtx")
            .field("options", &self.options)
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl McpCtx {
    /// Calls `tool` on the server under test and keeps the answer (and the secrets in it).
    async fn call(&self, tool: &str, arguments: Value) -> Result<Answer, String> {
        let answer = self.server.call(tool, arguments).await?;
        self.keep(&answer);
        Ok(answer)
    }

    /// A successful call's JSON (`structuredContent`, else the text parsed); fails when the
    /// result is `isError` or holds no JSON object.
    async fn ok(&self, tool: &str, arguments: Value) -> Result<Value, String> {
        self.call(tool, arguments).await?.ok()
    }

    fn keep(&self, answer: &Answer) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        collect_secrets(&answer.json(), &mut seen.secrets);
        seen.results.push(answer.clone());
    }

    /// Remembers a secret the checker itself handled (a preimage).
    fn secret(&self, secret: &str) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.secrets.push(secret.to_owned());
    }

    fn keyed(&self) -> bool {
        self.options.api_key.is_some()
    }

    /// Spawns another instance of the server under test against `base` (keyless).
    async fn spawn_against(&self, base: &str) -> Result<Server, String> {
        Server::spawn(&self.options.command, base, None, self.options.timeout).await
    }
}

/// The values of `jwt`, `refreshToken`, `macaroon` and `preimage` anywhere in `value`.
fn collect_secrets(value: &Value, into: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("jwt" | "refreshToken" | "macaroon" | "preimage", Value::String(s))
                        if s.len() >= 16 =>
                    {
                        into.push(s.clone());
                    }
                    _ => collect_secrets(value, into),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_secrets(v, into)),
        _ => {}
    }
}

/// The API the server is pointed at, and the hard mock, when the checker starts its own.
async fn apis(options: &McpOptions) -> Result<(String, Option<String>), String> {
    if let Some(base) = &options.api_base {
        return Ok((base.trim_end_matches('/').to_owned(), None));
    }
    if options.mcp_url.is_some() {
        return Err("--mcp-url needs --api-base: the API that server is pointed at".into());
    }
    #[cfg(feature = "embedded-mock")]
    {
        let key = options.api_key.as_deref();
        let base = embedded::start(options.profile, key, MOCK_BITS).await?;
        let hard = embedded::start(options.profile, None, HARD_BITS).await?;
        Ok((base, Some(hard)))
    }
    #[cfg(not(feature = "embedded-mock"))]
    Err("no --api-base, and this build cannot start a mock (feature embedded-mock)".into())
}

/// Starts the API (a mock, without `api_base`), spawns the server, runs the checks of
/// `options.level` in catalogue order and returns the report; `on_result` is called after
/// each check. `Err` when the server cannot be started or initialized.
pub async fn run(
    options: McpOptions,
    on_result: impl FnMut(&crate::CheckReport),
) -> Result<Report, String> {
    let (base, hard_base) = apis(&options).await?;
    let mut api_options = Options::new(base.clone(), options.api_key.clone());
    api_options.timeout = options.timeout;
    let api = Ctx::connect(api_options).await?;
    let server = match &options.mcp_url {
        Some(url) => Server::connect(url, options.bearer.as_deref(), options.timeout).await?,
        None => {
            let key = options.api_key.as_deref();
            Server::spawn(&options.command, &base, key, options.timeout).await?
        }
    };
    let level = options.level;
    let ctx = McpCtx {
        server,
        api,
        options,
        base,
        hard_base,
        seen: Mutex::new(Seen::default()),
    };
    let report = crate::run_checks(catalogue(), &ctx, level, on_result).await;
    ctx.server.stop().await;
    Ok(report)
}

/// The API's base URL that [`run`] uses for `options` (the checker's own mock is started
/// by `run` itself; this is for the banner).
pub fn describe(options: &McpOptions) -> String {
    match &options.api_base {
        Some(base) => base.clone(),
        None => format!("the checker's own mock ({} profile)", options.profile),
    }
}

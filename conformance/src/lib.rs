//! Conformance checks for any LiveAuth-compatible HTTP API (the hosted one, or the mock).
//!
//! - [`catalogue`]: every named check, each with its [`Level`] and a one-line statement of
//!   what it proves; [`run`] runs them in order against one API and returns a [`Report`].
//! - [`client`]: a thin HTTP client that keeps every answer raw (status, headers, bytes,
//!   JSON), so checks assert on the wire, plus helpers to start, solve and confirm.
//! - One module per group of checks: [`quotes`] (start, status, lnurl shapes), [`pow`]
//!   (the PoW rule and the confirm endpoint's defences), [`sessions`] (charge, usage,
//!   budgets, idempotency, refresh), [`tokens`] (JWT forgeries and the JWKS),
//!   [`lightning`] (BOLT11, 402 challenges, L402/x402 credentials), [`errors`]
//!   (problem+json, 404, 413).
//! - [`junit`]: the JUnit XML report.
//!
//! Two levels, as docs/design.md §7 says. `compat` checks what the hosted API does and its
//! clients rely on (paths, the key header, shapes, the PoW rule, refusals as any readable
//! 4xx): every compat check holds against `mock-api --profile hosted` and `--profile
//! strict`, and so against production. `strict` adds this reference's stronger promises
//! (problem+json and exact codes, JWKS, refresh rotation and reuse detection, the
//! per-minute limit, the `Idempotency-Key` header, atomicity, 402 headers) and passes
//! against `--profile strict`. A run at a level runs the checks it includes
//! ([`Level::includes`]): compat runs the compat checks, strict runs both. Where one
//! behaviour has a hosted form and a stronger one, the catalogue holds two checks (a
//! compat one for what hosted does, a strict one for the promise) rather than one weak
//! check. Checks that need the mock's dev endpoints (settle, clock) are skipped, with the
//! reason, when the API does not offer them.

mod bundles;
mod caller;
mod catalogue;
mod client;
mod errors;
pub mod junit;
mod lightning;
pub mod mcp;
mod pow;
mod quotes;
mod receipts;
mod sessions;
mod tokens;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

pub use catalogue::catalogue;
use client::Api;

liveauth_protocol::text_enum! {
    /// How strong a promise a check holds the API to.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Level as "level" {
        /// What the hosted API and existing clients rely on.
        Compat = "compat",
        /// This reference's stronger promises.
        Strict = "strict",
    }
}

impl Level {
    /// Whether a run at this level runs a check of `check` level: strict includes compat.
    pub fn includes(self, check: Level) -> bool {
        match self {
            Self::Compat => check == Self::Compat,
            Self::Strict => true,
        }
    }
}

/// How a check ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Fail(String),
    Skip(String),
}

/// What a check body returns: `Ok(Pass)` / `Ok(Skip(reason))`, or `Err(why it failed)`.
pub type CheckResult = Result<Outcome, String>;

/// A boxed check body.
pub type CheckFuture<'a> = Pin<Box<dyn Future<Output = CheckResult> + Send + 'a>>;

/// One named check of a catalogue, run against a context `C`: the API suite's [`Ctx`], or
/// the MCP suite's [`mcp::McpCtx`].
pub struct Check<C = Ctx> {
    pub name: &'static str,
    pub level: Level,
    /// What passing proves (and, where it matters, what it does not).
    pub description: &'static str,
    pub run: for<'a> fn(&'a C) -> CheckFuture<'a>,
}

impl<C> Clone for Check<C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<C> Copy for Check<C> {}

impl<C> fmt::Debug for Check<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Check")
            .field("name", &self.name)
            .field("level", &self.level)
            .finish_non_exhaustive()
    }
}

/// Signs access tokens with the API's own key, when the suite holds it (the in-process
/// tests do: they built the mock). Lets the wrong-audience check change only `aud`.
pub type TokenSigner = std::sync::Arc<dyn Fn(&serde_json::Value) -> Option<String> + Send + Sync>;

/// What the checks run against.
#[derive(Clone)]
pub struct Options {
    /// e.g. `http://127.0.0.1:8402`.
    pub api_base: String,
    /// Project public key; `None` = keyless mode (`POST /api/mcp/start` without
    /// `X-LW-Public`: the anonymous demo project).
    pub api_key: Option<String>,
    /// Which checks run: compat only (the default), or compat and strict.
    pub level: Level,
    /// Per-request timeout.
    pub timeout: Duration,
    /// The API's own token signer, if known.
    pub token_signer: Option<TokenSigner>,
}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options")
            .field("api_base", &self.api_base)
            .field("api_key", &self.api_key)
            .field("level", &self.level)
            .field("timeout", &self.timeout)
            .field("token_signer", &self.token_signer.is_some())
            .finish()
    }
}

impl Options {
    pub fn new(api_base: impl Into<String>, api_key: Option<String>) -> Self {
        Self {
            api_base: api_base.into(),
            api_key,
            level: Level::Compat,
            timeout: Duration::from_secs(30),
            token_signer: None,
        }
    }
}

/// What every check gets: the API and what was learnt about it once.
#[derive(Debug)]
pub struct Ctx {
    pub api: Api,
    pub options: Options,
    /// `POST /api/dev/settle/{hash}` exists.
    pub has_settle: bool,
    /// `POST /api/dev/clock/advance` exists.
    pub has_clock: bool,
}

impl Ctx {
    /// Probes the dev endpoints with harmless requests: settling an unknown invoice and
    /// advancing the clock by zero seconds.
    pub async fn connect(options: Options) -> Result<Self, String> {
        let api = Api::new(&options.api_base, options.api_key.clone(), options.timeout)?;
        // A settle of an unknown (all-zero) hash: 404 `quote_not_found` if the endpoint
        // exists, 404 `not_found` (no route) if not. An API that words its 404s without a
        // code (the mock's hosted profile) tells the two apart only in its OpenAPI
        // document, which lists the dev paths it serves.
        let settle = api
            .post_json(
                &format!("/api/dev/settle/{}", "0".repeat(64)),
                &serde_json::json!({}),
            )
            .await?;
        let has_settle = settle.status == 404
            && (settle.code() == Some("quote_not_found")
                || documents(&api, "/api/dev/settle/{paymentHash}").await);
        let clock = api
            .post_json("/api/dev/clock/advance", &serde_json::json!({"seconds": 0}))
            .await?;
        let has_clock = clock.status == 200 && clock.json.get("nowUnix").is_some();
        Ok(Self {
            api,
            options,
            has_settle,
            has_clock,
        })
    }

    /// Skip unless the settle endpoint exists.
    pub fn need_settle(&self) -> Result<(), Outcome> {
        need(self.has_settle, "POST /api/dev/settle/{paymentHash}")
    }

    /// Skip unless the clock endpoint exists.
    pub fn need_clock(&self) -> Result<(), Outcome> {
        need(self.has_clock, "POST /api/dev/clock/advance")
    }
}

/// Whether the API's `/openapi.json` (if it has one) lists `path`.
async fn documents(api: &Api, path: &str) -> bool {
    match api.get("/openapi.json").await {
        Ok(doc) => doc.status == 200 && doc.json["paths"].get(path).is_some(),
        Err(_) => false,
    }
}

/// `Ok` when the API has the dev endpoint, else the skip that names it.
fn need(has: bool, endpoint: &str) -> Result<(), Outcome> {
    if has {
        Ok(())
    } else {
        Err(Outcome::Skip(format!(
            "needs the mock's dev endpoint {endpoint}"
        )))
    }
}

/// Early return from a check: `skip_unless!(ctx.need_clock())`.
#[macro_export]
macro_rules! skip_unless {
    ($need:expr) => {
        if let Err(outcome) = $need {
            return Ok(outcome);
        }
    };
}

/// `ensure!(cond, "why it failed {}", x)`: fails the check when `cond` is false.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $($why:tt)+) => {
        if !$cond {
            return Err(format!($($why)+));
        }
    };
}

/// The result of one check.
#[derive(Debug, Clone)]
pub struct CheckReport {
    pub name: &'static str,
    pub level: Level,
    pub description: &'static str,
    pub outcome: Outcome,
    pub elapsed: Duration,
}

impl CheckReport {
    /// `PASS [compat] name — description`, or FAIL/SKIP with the reason.
    pub fn line(&self) -> String {
        match &self.outcome {
            Outcome::Pass => format!("PASS [{}] {}: {}", self.level, self.name, self.description),
            Outcome::Fail(why) => format!("FAIL [{}] {}: {why}", self.level, self.name),
            Outcome::Skip(why) => format!("SKIP [{}] {}: {why}", self.level, self.name),
        }
    }
}

/// Every check's result, in catalogue order.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub checks: Vec<CheckReport>,
}

impl Report {
    pub fn count(&self, what: fn(&Outcome) -> bool) -> usize {
        self.checks.iter().filter(|c| what(&c.outcome)).count()
    }

    /// The names of the checks whose outcome is `what`, in order.
    pub fn names(&self, what: fn(&Outcome) -> bool) -> Vec<&'static str> {
        self.checks
            .iter()
            .filter(|c| what(&c.outcome))
            .map(|c| c.name)
            .collect()
    }

    pub fn passed(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Pass))
    }

    pub fn failed(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Fail(_)))
    }

    pub fn skipped(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Skip(_)))
    }

    /// Exactly `N passed, M failed, K skipped`.
    pub fn summary(&self) -> String {
        format!(
            "{} passed, {} failed, {} skipped",
            self.passed(),
            self.failed(),
            self.skipped()
        )
    }
}

/// Runs the checks of `options.level` ([`Level::includes`]), in catalogue order, against
/// `options.api_base`, calling `on_result` after each check (the binary prints there, so
/// progress shows as it goes).
pub async fn run(options: Options, on_result: impl FnMut(&CheckReport)) -> Result<Report, String> {
    let level = options.level;
    let ctx = Ctx::connect(options).await?;
    Ok(run_checks(catalogue(), &ctx, level, on_result).await)
}

/// Runs the `checks` that `level` includes, in order, against `ctx`, calling `on_result`
/// after each: the one runner of both suites.
pub async fn run_checks<C>(
    checks: Vec<Check<C>>,
    ctx: &C,
    level: Level,
    mut on_result: impl FnMut(&CheckReport),
) -> Report {
    let mut report = Report::default();
    for check in checks
        .into_iter()
        .filter(|check| level.includes(check.level))
    {
        let started = std::time::Instant::now();
        let outcome = match (check.run)(ctx).await {
            Ok(outcome) => outcome,
            Err(why) => Outcome::Fail(why),
        };
        let result = CheckReport {
            name: check.name,
            level: check.level,
            description: check.description,
            outcome,
            elapsed: started.elapsed(),
        };
        on_result(&result);
        report.checks.push(result);
    }
    report
}

//! The MCP tools and the server that serves them.
//!
//! Each tool parses its arguments itself (a bad argument is an `isError` result that names
//! the field, never a JSON-RPC error), calls the API through [`ApiClient`], keeps the
//! agent's [`AgentSession`] up to date, and answers with structured content plus the same
//! JSON as text.
//!
//! - this file: [`LiveAuthServer`], its [`rmcp::ServerHandler`], the instructions, and the
//!   router, composed from one `#[tool_router]` per tool;
//! - one file per tool, holding its parameters, result, `#[tool]` fn and logic:
//!   `start`, `confirm`, `charge`, `usage`, `refresh`, `status`, `lnurl`, `solve`,
//!   `authenticate`, `l402_bundle`;
//! - `token`: a fresh access token for charge, usage and refresh (refresh when stale,
//!   retry once on a 401, serialized per agent);
//! - `lightning`: the `lightning` block of a result with an invoice, and its QR image;
//! - `args`: the argument extractor; `error`: [`ToolError`] and how it reads; `advice`:
//!   what an agent should do about a failed API call ([`next_step`]).

/// Declares one tool: a `#[tool_router]` block named `$router` holding the `#[tool]`
/// adapter, which parses the arguments (a bad one is an `isError` naming the field), runs
/// `$body` for the calling agent (`$caller`, with the parsed `$args` and the request
/// `$context`) and renders its `Result` as the tool result. The doc comment is the tool's
/// description; the flags are its MCP annotations (no tool here is destructive); `meta`,
/// if given, is its `_meta` (the payment view's `ui` entry, see `crate::payment_view`).
/// Each tool file declares its tool with it once.
macro_rules! tool {
    (
        $(#[doc = $doc:literal])+
        $router:ident: $name:ident($params:ty) -> $output:ty,
        title: $title:literal,
        read_only: $read_only:literal,
        idempotent: $idempotent:literal,
        open_world: $open_world:literal,
        $(meta: $meta:expr,)?
        |$caller:ident, $args:ident, $context:ident| $body:expr $(,)?
    ) => {
        #[rmcp::tool_router(router = $router, vis = "pub(super)")]
        impl $crate::tools::LiveAuthServer {
            $(#[doc = $doc])+
            #[rmcp::tool(
                input_schema = rmcp::handler::server::common::schema_for_type::<$params>(),
                output_schema = rmcp::handler::server::common::schema_for_output::<$output>(),
                annotations(
                    title = $title,
                    read_only_hint = $read_only,
                    destructive_hint = false,
                    idempotent_hint = $idempotent,
                    open_world_hint = $open_world
                )
                $(, meta = $meta)?
            )]
            pub async fn $name(
                &self,
                $crate::tools::Args(args): $crate::tools::Args<$params>,
                $context: rmcp::service::RequestContext<rmcp::RoleServer>,
            ) -> rmcp::model::CallToolResult {
                let $caller = self.caller(&$context);
                $crate::tools::respond(
                    async {
                        let $args = args?;
                        $body
                    }
                    .await,
                )
            }
        }
    };
}

mod advice;
mod args;
mod authenticate;
mod charge;
mod confirm;
mod error;
mod l402_bundle;
pub(crate) mod lightning;
mod lnurl;
mod payment_confirm;
mod refresh;
mod solve;
mod start;
mod status;
mod token;
mod usage;

use rmcp::RoleServer;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::model::CallToolResult;
use rmcp::service::RequestContext;
use serde::Serialize;

pub use advice::next_step;
pub(crate) use args::{Args, QuoteParams};
pub(crate) use confirm::ConfirmParams;
pub(crate) use error::ToolError;
pub(crate) use start::StartParams;

use crate::api::ApiClient;
use crate::clock::Clock;
use crate::payment_view;
use crate::receipts::{KeySetCache, resources};
use crate::session::AgentSession;
use crate::solve::SolveLimit;

/// The MCP server: the API client, the agent's session, the tools.
///
/// Over stdio there is one agent. Over HTTP, a server is made per MCP session (legacy
/// protocol versions) or per request (2026-07-28, which has no sessions): requests that
/// carry no `Mcp-Session-Id` then share the process-wide `shared` session.
#[derive(Debug, Clone)]
pub struct LiveAuthServer {
    api: ApiClient,
    own: AgentSession,
    shared: Option<AgentSession>,
    clock: Clock,
    solves: SolveLimit,
    receipt_keys: KeySetCache,
    tool_router: ToolRouter<Self>,
}

/// One tool call's view of the server: the API, the session of the agent that called, the
/// clock, and the process's solve limit.
#[derive(Debug, Clone)]
struct Caller {
    api: ApiClient,
    session: AgentSession,
    clock: Clock,
    solves: SolveLimit,
    receipt_keys: KeySetCache,
}

impl LiveAuthServer {
    /// A server whose state belongs to this connection alone, in memory (one HTTP MCP
    /// session, tests).
    pub fn new(api: ApiClient) -> Self {
        Self::with_session(api, AgentSession::in_memory())
    }

    /// A server whose agent has `session` (stdio: the durable session of the API's
    /// scope, see [`AgentSession::for_api`]).
    pub fn with_session(api: ApiClient, session: AgentSession) -> Self {
        Self {
            api,
            own: session,
            shared: None,
            clock: Clock::system(),
            solves: SolveLimit::per_core(),
            receipt_keys: KeySetCache::default(),
            tool_router: Self::tool_router(),
        }
    }

    /// The same server under `solves` (HTTP shares one limit among all its sessions).
    #[must_use]
    pub fn with_solve_limit(mut self, solves: SolveLimit) -> Self {
        self.solves = solves;
        self
    }

    /// The same server on another clock (tests share the API's manual clock).
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// A server for HTTP: sessionless requests use `shared`.
    pub fn with_shared_session(api: ApiClient, shared: AgentSession) -> Self {
        Self {
            shared: Some(shared),
            ..Self::new(api)
        }
    }

    /// Every tool; `tools/list` sorts them by name, so the order here does not matter.
    fn tool_router() -> ToolRouter<Self> {
        Self::start_router()
            + Self::confirm_router()
            + Self::charge_router()
            + Self::status_router()
            + Self::lnurl_router()
            + Self::usage_router()
            + Self::refresh_router()
            + Self::solve_router()
            + Self::authenticate_router()
            + Self::l402_bundle_router()
            + Self::payment_confirm_router()
    }

    /// The session of the agent behind this call.
    pub fn session(&self, context: &RequestContext<RoleServer>) -> AgentSession {
        let sessionless = context
            .extensions
            .get::<axum::http::request::Parts>()
            .is_some_and(|parts| !parts.headers.contains_key("mcp-session-id"));
        match &self.shared {
            Some(shared) if sessionless => shared.clone(),
            _ => self.own.clone(),
        }
    }

    fn caller(&self, context: &RequestContext<RoleServer>) -> Caller {
        Caller {
            api: self.api.clone(),
            session: self.session(context),
            clock: self.clock.clone(),
            solves: self.solves.clone(),
            receipt_keys: self.receipt_keys.clone(),
        }
    }
}

/// An API timestamp as RFC 3339 UTC (`…Z`). The hosted API writes the times it reads back
/// from its database without a zone, meaning UTC; an agent must not read them as local
/// time. Text that is no timestamp is passed on as sent.
fn utc(text: String) -> String {
    liveauth_protocol::time::parse_api_timestamp(&text)
        .and_then(liveauth_protocol::time::try_rfc3339_utc)
        .unwrap_or(text)
}

/// Structured content and the same JSON as text (then, for a pending invoice, its QR
/// code: [`lightning::attach_qr`]), or the error.
fn respond<T: Serialize>(result: Result<T, ToolError>) -> CallToolResult {
    match result.and_then(|value| serde_json::to_value(value).map_err(ToolError::Encode)) {
        Ok(value) => {
            let mut result = CallToolResult::structured(value);
            lightning::attach_qr(&mut result);
            result
        }
        Err(error) => error.into_result(),
    }
}

/// What an agent reads first: when to call what.
pub(crate) const INSTRUCTIONS: &str = "\
LiveAuth lets you authenticate to an API by proof-of-work (PoW) or a Lightning payment, \
then meter your calls in sats.
Quickest: call liveauth_mcp_authenticate. It starts a session, solves the PoW challenge on \
this machine's CPU and confirms it, returning a JWT to send as `Authorization: Bearer <jwt>`.
Step by step (PoW): liveauth_mcp_start -> liveauth_mcp_solve -> liveauth_mcp_confirm.
Lightning: liveauth_mcp_start with forceLightning=true (or liveauth_mcp_authenticate with \
forceLightning=true), get the verified invoice with liveauth_mcp_lnurl, pay it, poll \
liveauth_mcp_status until paymentStatus is \"paid\", then liveauth_mcp_confirm with the quoteId.
After each paid API call, call liveauth_mcp_charge with its cost in sats; if it is denied, stop \
making paid calls until the retry time. Each accepted charge's signed receipt is kept and \
listed as a resource (liveauth://receipts). liveauth_mcp_usage shows the remaining budget. This \
server keeps your JWT and refresh token and refreshes an expired JWT by itself; \
liveauth_mcp_refresh does it explicitly.";

#[rmcp::tool_handler(router = self.tool_router)]
impl rmcp::ServerHandler for LiveAuthServer {
    fn get_info(&self) -> rmcp::model::ServerConfig {
        use rmcp::model::{Implementation, ServerCapabilities, ServerConfig};
        let capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_resources()
            .build();
        ServerConfig::new(capabilities)
            .with_server_info(
                Implementation::new("liveauth-mcp", env!("CARGO_PKG_VERSION"))
                    .with_title("LiveAuth"),
            )
            .with_instructions(INSTRUCTIONS)
    }

    /// The payment view (first page only), then the agent's receipts (see
    /// [`crate::receipts::resources`]).
    async fn list_resources(
        &self,
        request: Option<rmcp::model::PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::ListResourcesResult, rmcp::ErrorData> {
        let cursor = request.and_then(|request| request.cursor);
        let mut listed = resources::list(&self.session(&context), cursor.as_deref())?;
        if cursor.is_none() {
            listed.resources.insert(0, payment_view::resource());
        }
        Ok(listed)
    }

    async fn list_resource_templates(
        &self,
        _request: Option<rmcp::model::PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::ListResourceTemplatesResult, rmcp::ErrorData> {
        Ok(resources::templates())
    }

    async fn read_resource(
        &self,
        request: rmcp::model::ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::ReadResourceResponse, rmcp::ErrorData> {
        if request.uri == payment_view::URI {
            return Ok(payment_view::read().into());
        }
        resources::read(&self.session(&context), &request.uri).map(Into::into)
    }
}

//! The MCP tools. Each parses its arguments itself (a bad argument is an `isError` result
//! that names the field, never a JSON-RPC error), calls the API through [`ApiClient`],
//! keeps the agent's [`AgentSession`] up to date, and answers with structured content
//! plus the same JSON as text.

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use liveauth_protocol::l402::Challenge;
use liveauth_protocol::pow::{decode_hex32, encode_hex32, meets_target, solution_hash};
use liveauth_protocol::wire::{
    ChargeResponse, ChargeStatus, ConfirmRequest, ConfirmResponse, Invoice, Nonce, PaymentStatus,
    RefreshResponse, StartResponse, StatusResponse, UsageResponse,
};
use rmcp::handler::server::common::{FromContextPart, schema_for_output, schema_for_type};
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::ToolCallContext;
use rmcp::model::{CallToolResult, ContentBlock, ProgressNotificationParam};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, tool, tool_router};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::api::{ApiClient, ApiError};
use crate::invoice_check::{DecodedInvoice, ExpectedInvoice, InvoiceCheckError, check_invoice};
use crate::session::{AgentSession, Tokens};
use crate::solve::{SolveFailure, SolveStats, effective_target, solve_challenge};

/// How often `liveauth_mcp_authenticate` polls a Lightning quote's status.
const PAYMENT_POLL: Duration = Duration::from_millis(500);
/// The longest `waitForPaymentSeconds` honoured.
const MAX_PAYMENT_WAIT_SECS: u64 = 600;

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
    pub(crate) tool_router: ToolRouter<Self>,
}

/// One tool call's view: the API and the session of the agent that called.
#[derive(Debug, Clone)]
struct Agent {
    api: ApiClient,
    session: AgentSession,
}

// ---------------------------------------------------------------------------------------
// Arguments

/// Tool arguments, parsed by the tool itself so that a bad argument becomes an `isError`
/// result naming the field (rmcp's `Parameters` would make it a JSON-RPC error).
#[derive(Debug)]
pub struct Args<T>(pub Result<T, ToolError>);

impl<S, T: DeserializeOwned> FromContextPart<ToolCallContext<'_, S>> for Args<T> {
    fn from_context_part(context: &mut ToolCallContext<'_, S>) -> Result<Self, ErrorData> {
        let arguments = serde_json::Value::Object(context.arguments.take().unwrap_or_default());
        let parsed = serde_path_to_error::deserialize(arguments).map_err(|error| {
            let path = error.path().to_string();
            let field = if path == "." {
                "arguments".to_owned()
            } else {
                format!("`{path}`")
            };
            ToolError::InvalidArgument(format!("{field}: {}", error.into_inner()))
        });
        Ok(Self(parsed))
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StartParams {
    /// If true, request a Lightning invoice instead of a proof-of-work challenge.
    #[serde(default)]
    pub force_lightning: Option<bool>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConfirmParams {
    /// The quoteId from the start response.
    pub quote_id: String,
    /// The challenge hex from the start response (filled in from the quote if omitted).
    #[serde(default)]
    pub challenge_hex: Option<String>,
    /// The nonce that solves the PoW challenge (filled in from liveauth_mcp_solve if
    /// omitted).
    #[serde(default)]
    pub nonce: Option<Nonce>,
    /// sha256 of `projectPublicKey:challengeHex:nonce` (computed here if omitted).
    #[serde(default)]
    pub hash_hex: Option<String>,
    /// Expiration timestamp from the challenge (filled in if omitted).
    #[serde(default)]
    pub expires_at_unix: Option<i64>,
    /// Difficulty bits from the challenge (filled in if omitted).
    #[serde(default)]
    pub difficulty_bits: Option<u32>,
    /// Signature from the challenge (filled in if omitted).
    #[serde(default)]
    pub signature: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChargeParams {
    /// Cost of the API call in sats.
    pub call_cost_sats: u64,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct QuoteParams {
    /// The quoteId from the start response.
    pub quote_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct NoParams {}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefreshParams {
    /// The refreshToken from confirm or the last refresh (default: the one this server
    /// holds for you).
    #[serde(default)]
    pub refresh_token: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SolveParams {
    /// The quote whose PoW challenge to solve (default: the latest PoW quote).
    #[serde(default)]
    pub quote_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticateParams {
    /// If true, authenticate with a Lightning payment instead of proof-of-work.
    #[serde(default)]
    pub force_lightning: Option<bool>,
    /// Lightning only: wait up to this many seconds (max 600) for the payment, then
    /// confirm. 0 or absent: return the invoice at once.
    #[serde(default)]
    pub wait_for_payment_seconds: Option<u64>,
}

// ---------------------------------------------------------------------------------------
// Results

/// `liveauth_mcp_lnurl`: LUD-06 `{pr, routes}` plus the invoice as this server checked it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LnurlResult {
    /// BOLT11 payment request, checked against the quote.
    pub pr: String,
    pub routes: Vec<serde_json::Value>,
    /// What the invoice says, verified: signature, amount, payment hash, expiry.
    pub decoded: DecodedInvoice,
}

/// `liveauth_mcp_solve`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SolveResult {
    pub quote_id: String,
    #[serde(flatten)]
    pub stats: SolveStats,
}

/// `liveauth_mcp_authenticate`: the confirm result, plus how it was obtained.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticateResult {
    /// `pow` or `lightning`.
    pub method: String,
    pub quote_id: String,
    /// The access token; null while a Lightning payment is pending.
    pub jwt: Option<String>,
    pub expires_in: Option<u64>,
    pub remaining_budget_sats: Option<u64>,
    pub refresh_token: Option<String>,
    /// Lightning only: `pending` or `paid`.
    pub payment_status: Option<PaymentStatus>,
    /// PoW only: what solving cost.
    pub solve: Option<SolveStats>,
    /// Lightning only: the checked invoice to pay.
    pub invoice: Option<CheckedInvoice>,
    /// What to do next, if anything.
    pub next_step: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CheckedInvoice {
    pub bolt11: String,
    pub decoded: DecodedInvoice,
}

// ---------------------------------------------------------------------------------------
// Errors

/// Why a tool failed. Every variant becomes an `isError` result with a message that says
/// what happened and what to do next.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    #[error("invalid argument {0}")]
    InvalidArgument(String),
    #[error(
        "not authenticated: call liveauth_mcp_authenticate (or liveauth_mcp_start + \
         liveauth_mcp_confirm) first"
    )]
    NotAuthenticated,
    #[error("{0}")]
    Api(ApiError),
    #[error("{0}")]
    Quote(String),
    #[error("{0}")]
    Solve(#[from] SolveFailure),
    #[error("{0}")]
    Invoice(#[from] InvoiceCheckError),
    #[error(
        "charge denied ({reason}): {sats} sats used in {calls} call(s) today; {retry}stop making paid \
         calls until then",
        reason = deny_reason(.0),
        sats = .0.sats_used,
        calls = .0.calls_used,
        retry = retry_hint(.0)
    )]
    Denied(ChargeResponse),
}

fn deny_reason(response: &ChargeResponse) -> String {
    response
        .reason
        .as_ref()
        .and_then(|r| serde_json::to_value(r).ok())
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "budget".to_owned())
}

fn retry_hint(response: &ChargeResponse) -> String {
    response
        .retry_after_seconds
        .map(|s| format!("retry after {s} s; "))
        .unwrap_or_default()
}

impl From<ApiError> for ToolError {
    fn from(error: ApiError) -> Self {
        Self::Api(error)
    }
}

impl ToolError {
    fn into_result(self) -> CallToolResult {
        let text = match &self {
            Self::Api(error) => {
                format!(
                    "{error}.{} Next: {}",
                    offered_invoices(error),
                    error.next_step()
                )
            }
            other => other.to_string(),
        };
        match &self {
            // The deny keeps its shape, so an agent that reads structured content sees it.
            Self::Denied(response) => {
                let mut result = CallToolResult::error(vec![ContentBlock::text(text)]);
                result.structured_content = serde_json::to_value(response).ok();
                result
            }
            _ => CallToolResult::error(vec![ContentBlock::text(text)]),
        }
    }
}

/// What a 402's `WWW-Authenticate` challenges ask to be paid, so the agent sees it. The
/// invoices are not quoted to this server, so they are described, never recommended.
fn offered_invoices(error: &ApiError) -> String {
    let ApiError::Api {
        status: 402,
        www_authenticate,
        ..
    } = error
    else {
        return String::new();
    };
    let mut invoices: Vec<String> = www_authenticate
        .iter()
        .filter_map(|value| match Challenge::parse(value).ok()? {
            Challenge::L402 { invoice, .. } | Challenge::X402 { invoice, .. } => Some(invoice),
        })
        .collect();
    invoices.dedup();
    if invoices.is_empty() {
        return String::new();
    }
    let described: Vec<String> = invoices
        .iter()
        .map(|invoice| {
            let amount = invoice
                .parse::<lightning_invoice::Bolt11Invoice>()
                .ok()
                .and_then(|parsed| parsed.amount_milli_satoshis())
                .map_or_else(
                    || "amount unreadable".to_owned(),
                    |msat| format!("{} sats", msat / 1000),
                );
            format!("{invoice} ({amount})")
        })
        .collect();
    format!(
        " The API's payment challenge offers invoice {}.",
        described.join(", ")
    )
}

/// Structured content and the same JSON as text, or the error.
fn respond<T: Serialize>(result: Result<T, ToolError>) -> CallToolResult {
    match result.and_then(|value| {
        serde_json::to_value(value)
            .map_err(|error| ToolError::Quote(format!("could not encode the result: {error}")))
    }) {
        Ok(value) => CallToolResult::structured(value),
        Err(error) => error.into_result(),
    }
}

fn now_unix() -> i64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    i64::try_from(secs).unwrap_or(i64::MAX)
}

// ---------------------------------------------------------------------------------------
// Tools

#[tool_router]
impl LiveAuthServer {
    /// A server whose state belongs to this connection (stdio, or one HTTP MCP session).
    pub fn new(api: ApiClient) -> Self {
        Self {
            api,
            own: AgentSession::default(),
            shared: None,
            tool_router: Self::tool_router(),
        }
    }

    /// A server for HTTP: sessionless requests use `shared`.
    pub fn with_shared_session(api: ApiClient, shared: AgentSession) -> Self {
        Self {
            shared: Some(shared),
            ..Self::new(api)
        }
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

    fn agent(&self, context: &RequestContext<RoleServer>) -> Agent {
        Agent {
            api: self.api.clone(),
            session: self.session(context),
        }
    }

    /// Start a new LiveAuth session. Returns a proof-of-work challenge by default, or a
    /// Lightning invoice if forceLightning=true. Call this first (or use
    /// liveauth_mcp_authenticate to do start, solve and confirm in one step).
    #[tool(
        name = "liveauth_mcp_start",
        input_schema = schema_for_type::<StartParams>(),
        output_schema = schema_for_output::<StartResponse>(),
        annotations(
            title = "Start a LiveAuth session",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    pub async fn liveauth_mcp_start(
        &self,
        Args(args): Args<StartParams>,
        context: RequestContext<RoleServer>,
    ) -> CallToolResult {
        respond(self.agent(&context).start(args).await)
    }

    /// Submit the solved proof-of-work challenge (or, for a Lightning quote, just the
    /// quoteId once paid) to receive a JWT. Fields you omit are filled in from the quote
    /// and from liveauth_mcp_solve. The solution is checked locally before it is sent.
    /// Save the refreshToken (this server keeps it for you too).
    #[tool(
        name = "liveauth_mcp_confirm",
        input_schema = schema_for_type::<ConfirmParams>(),
        output_schema = schema_for_output::<ConfirmResponse>(),
        annotations(
            title = "Confirm a quote and get a JWT",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    pub async fn liveauth_mcp_confirm(
        &self,
        Args(args): Args<ConfirmParams>,
        context: RequestContext<RoleServer>,
    ) -> CallToolResult {
        respond(self.agent(&context).confirm(args).await)
    }

    /// Meter API usage after making an authenticated call: call this with the cost in sats
    /// of each API request. If the budget is exceeded the result is an error with
    /// status "deny": stop making paid calls.
    #[tool(
        name = "liveauth_mcp_charge",
        input_schema = schema_for_type::<ChargeParams>(),
        output_schema = schema_for_output::<ChargeResponse>(),
        annotations(
            title = "Charge an API call",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    pub async fn liveauth_mcp_charge(
        &self,
        Args(args): Args<ChargeParams>,
        context: RequestContext<RoleServer>,
    ) -> CallToolResult {
        respond(self.agent(&context).charge(args).await)
    }

    /// Check the status of a quote. Use it to poll for Lightning payment confirmation:
    /// when paymentStatus is "paid", call liveauth_mcp_confirm with the quoteId.
    #[tool(
        name = "liveauth_mcp_status",
        input_schema = schema_for_type::<QuoteParams>(),
        output_schema = schema_for_output::<StatusResponse>(),
        annotations(
            title = "Quote status",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn liveauth_mcp_status(&self, Args(args): Args<QuoteParams>) -> CallToolResult {
        respond(async { Ok(self.api.status(&args?.quote_id).await?) }.await)
    }

    /// Get the Lightning invoice of a quote (lnget-compatible {pr, routes}) to pay with any
    /// wallet. The invoice is verified first (signature, amount and payment hash equal to
    /// the quote, not expired) and returned decoded; never pay an invoice this refuses.
    #[tool(
        name = "liveauth_mcp_lnurl",
        input_schema = schema_for_type::<QuoteParams>(),
        output_schema = schema_for_output::<LnurlResult>(),
        annotations(
            title = "Get the checked Lightning invoice",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn liveauth_mcp_lnurl(
        &self,
        Args(args): Args<QuoteParams>,
        context: RequestContext<RoleServer>,
    ) -> CallToolResult {
        respond(async { self.agent(&context).lnurl(&args?.quote_id).await }.await)
    }

    /// Query current usage and remaining budget without making a charge. Use it before
    /// making paid API calls.
    #[tool(
        name = "liveauth_mcp_usage",
        input_schema = schema_for_type::<NoParams>(),
        output_schema = schema_for_output::<UsageResponse>(),
        annotations(
            title = "Usage and remaining budget",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    pub async fn liveauth_mcp_usage(
        &self,
        Args(args): Args<NoParams>,
        context: RequestContext<RoleServer>,
    ) -> CallToolResult {
        let agent = self.agent(&context);
        respond(
            async {
                args?;
                let api = &agent.api;
                agent
                    .with_token(|jwt| async move { api.usage(&jwt).await })
                    .await
            }
            .await,
        )
    }

    /// Get a new JWT without re-authenticating, using the refreshToken from confirm (this
    /// server uses the one it holds if you omit it). The refresh token is rotated: the
    /// result carries the new one, and the old one stops working.
    #[tool(
        name = "liveauth_mcp_refresh",
        input_schema = schema_for_type::<RefreshParams>(),
        output_schema = schema_for_output::<RefreshResponse>(),
        annotations(
            title = "Refresh the JWT",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    pub async fn liveauth_mcp_refresh(
        &self,
        Args(args): Args<RefreshParams>,
        context: RequestContext<RoleServer>,
    ) -> CallToolResult {
        respond(async { self.agent(&context).refresh(args?.refresh_token).await }.await)
    }

    /// Solve the proof-of-work challenge of a quote (default: the latest) on all CPU
    /// cores. Returns the nonce and hash to pass to liveauth_mcp_confirm (which also
    /// picks them up by itself). Reports progress; stops if cancelled or if the
    /// challenge expires.
    #[tool(
        name = "liveauth_mcp_solve",
        input_schema = schema_for_type::<SolveParams>(),
        output_schema = schema_for_output::<SolveResult>(),
        annotations(
            title = "Solve a PoW challenge",
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    pub async fn liveauth_mcp_solve(
        &self,
        Args(args): Args<SolveParams>,
        context: RequestContext<RoleServer>,
    ) -> CallToolResult {
        respond(
            async {
                self.agent(&context)
                    .solve(args?.quote_id.as_deref(), &context)
                    .await
            }
            .await,
        )
    }

    /// Authenticate in one step. Proof-of-work (default): start, solve and confirm, and
    /// return the JWT with solve statistics. Lightning (forceLightning=true): start and
    /// return the checked invoice to pay; with waitForPaymentSeconds > 0, wait for the
    /// payment and confirm.
    #[tool(
        name = "liveauth_mcp_authenticate",
        input_schema = schema_for_type::<AuthenticateParams>(),
        output_schema = schema_for_output::<AuthenticateResult>(),
        annotations(
            title = "Authenticate (start, solve or pay, confirm)",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    pub async fn liveauth_mcp_authenticate(
        &self,
        Args(args): Args<AuthenticateParams>,
        context: RequestContext<RoleServer>,
    ) -> CallToolResult {
        respond(async { self.agent(&context).authenticate(args?, &context).await }.await)
    }
}

// ---------------------------------------------------------------------------------------
// What the tools do

impl Agent {
    async fn start(
        &self,
        args: Result<StartParams, ToolError>,
    ) -> Result<StartResponse, ToolError> {
        let force_lightning = args?.force_lightning.unwrap_or(false);
        let quote = self.api.start(force_lightning).await?;
        self.session.remember_quote(&quote);
        Ok(quote)
    }

    async fn confirm(
        &self,
        args: Result<ConfirmParams, ToolError>,
    ) -> Result<ConfirmResponse, ToolError> {
        let args = args?;
        let request = self.confirm_request(args)?;
        let response = self.api.confirm(&request).await?;
        if let Some(jwt) = &response.jwt {
            let expires_in = response.expires_in.unwrap_or(0);
            self.session.set_tokens(Tokens::new(
                jwt.clone(),
                expires_in,
                response.refresh_token.clone(),
            ));
        }
        Ok(response)
    }

    /// Completes and checks a confirm request: PoW fields the agent left out come from the
    /// stored quote and solution; the solution is verified before any network call.
    fn confirm_request(&self, args: ConfirmParams) -> Result<ConfirmRequest, ToolError> {
        let quote = self.session.quote(&args.quote_id);
        let challenge = quote.as_ref().and_then(|q| q.pow_challenge.clone());
        if quote.as_ref().is_some_and(|q| q.invoice.is_some()) {
            return Ok(ConfirmRequest {
                quote_id: args.quote_id,
                ..ConfirmRequest::default()
            });
        }
        let solution = self.session.solution(&args.quote_id);
        let nonce = args
            .nonce
            .map(|n| n.0)
            .or(solution.as_ref().map(|s| s.nonce));
        let mut request = ConfirmRequest {
            quote_id: args.quote_id.clone(),
            challenge_hex: args
                .challenge_hex
                .or(challenge.as_ref().map(|c| c.challenge_hex.clone())),
            nonce: nonce.map(Nonce),
            hash_hex: args.hash_hex,
            expires_at_unix: args
                .expires_at_unix
                .or(challenge.as_ref().map(|c| c.expires_at_unix)),
            difficulty_bits: args
                .difficulty_bits
                .or(challenge.as_ref().map(|c| c.difficulty_bits)),
            sig: args
                .signature
                .or(challenge.as_ref().map(|c| c.signature.clone())),
        };
        let Some(challenge) = challenge else {
            // A quote this server did not start: send what the agent gave, if complete.
            let missing: Vec<&str> = [
                ("challengeHex", request.challenge_hex.is_none()),
                ("nonce", request.nonce.is_none()),
                ("expiresAtUnix", request.expires_at_unix.is_none()),
                ("difficultyBits", request.difficulty_bits.is_none()),
                ("signature", request.sig.is_none()),
            ]
            .into_iter()
            .filter_map(|(field, absent)| absent.then_some(field))
            .collect();
            if missing.is_empty() || missing.len() == 5 {
                return Ok(request);
            }
            return Err(ToolError::InvalidArgument(format!(
                "{}: required because quote {} was not started through this server",
                missing.join(", "),
                args.quote_id
            )));
        };
        let Some(nonce) = nonce else {
            return Err(ToolError::InvalidArgument(
                "`nonce`: no solution yet for this quote; call liveauth_mcp_solve first".into(),
            ));
        };
        let challenge_hex = request.challenge_hex.clone().unwrap_or_default();
        let hash = solution_hash(&challenge.project_public_key, &challenge_hex, nonce);
        if let Some(sent) = &request.hash_hex
            && decode_hex32(&sent.to_ascii_lowercase()).ok() != Some(hash)
        {
            return Err(ToolError::InvalidArgument(format!(
                "`hashHex` is not sha256(projectPublicKey:challengeHex:nonce) = {}",
                encode_hex32(&hash)
            )));
        }
        let target = effective_target(&challenge)?;
        if !meets_target(&hash, &target) {
            return Err(ToolError::InvalidArgument(format!(
                "`nonce` {nonce} does not solve the challenge: its hash {} is not below the \
                 target {}; call liveauth_mcp_solve to find one",
                encode_hex32(&hash),
                challenge.target_hex
            )));
        }
        request.hash_hex = Some(encode_hex32(&hash));
        Ok(request)
    }

    async fn charge(
        &self,
        args: Result<ChargeParams, ToolError>,
    ) -> Result<ChargeResponse, ToolError> {
        let cost = args?.call_cost_sats;
        // One key for this charge and its retry, so a retried charge is counted once.
        let key = uuid::Uuid::new_v4().to_string();
        let response = self
            .with_token(|jwt| {
                let key = key.clone();
                async move {
                    match self.api.charge(&jwt, cost, &key).await {
                        Err(error) if error.is_transport() => {
                            tracing::warn!("charge failed in transport, retrying once: {error}");
                            self.api.charge(&jwt, cost, &key).await
                        }
                        other => other,
                    }
                }
            })
            .await?;
        match response.status {
            ChargeStatus::Ok => Ok(response),
            ChargeStatus::Deny => Err(ToolError::Denied(response)),
        }
    }

    async fn lnurl(&self, quote_id: &str) -> Result<LnurlResult, ToolError> {
        let invoice = self.quoted_invoice(quote_id)?;
        let lnurl = self.api.lnurl(quote_id).await?;
        let decoded = checked(&lnurl.pr, &invoice)?;
        Ok(LnurlResult {
            pr: lnurl.pr,
            routes: lnurl.routes,
            decoded,
        })
    }

    fn quoted_invoice(&self, quote_id: &str) -> Result<Invoice, ToolError> {
        match self.session.quote(quote_id) {
            Some(StartResponse {
                invoice: Some(invoice),
                ..
            }) => Ok(invoice),
            Some(_) => Err(ToolError::Quote(format!(
                "quote {quote_id} is a proof-of-work quote and has no invoice; solve it with \
                 liveauth_mcp_solve, or start a Lightning quote with forceLightning=true"
            ))),
            None => Err(ToolError::Quote(format!(
                "quote {quote_id} was not started through this server, so its invoice cannot be \
                 checked against a quoted amount; call liveauth_mcp_start with \
                 forceLightning=true"
            ))),
        }
    }

    /// Refreshes with `token` (default: the stored one) and stores the rotated tokens.
    async fn refresh(&self, token: Option<String>) -> Result<RefreshResponse, ToolError> {
        let _gate = self.session.refresh_gate().lock_owned().await;
        self.refresh_locked(token).await
    }

    /// Refreshes while holding the session's refresh gate: two refreshes racing with one
    /// refresh token would present a superseded token, which revokes the whole family.
    async fn refresh_locked(&self, token: Option<String>) -> Result<RefreshResponse, ToolError> {
        let token = token
            .or_else(|| self.session.tokens()?.refresh_token)
            .ok_or(ToolError::NotAuthenticated)?;
        let response = self.api.refresh(&token).await?;
        self.session.update_tokens(
            response.jwt.clone(),
            response.expires_in,
            response.refresh_token.clone(),
        );
        Ok(response)
    }

    /// A JWT that is not about to expire: the stored one, or a refreshed one.
    async fn fresh_jwt(&self) -> Result<String, ToolError> {
        let tokens = self.session.tokens().ok_or(ToolError::NotAuthenticated)?;
        if !tokens.is_stale() {
            return Ok(tokens.jwt);
        }
        self.refresh_stored(&tokens.jwt).await
    }

    /// Replaces `used_jwt`, unless a concurrent call already did while we waited.
    async fn refresh_stored(&self, used_jwt: &str) -> Result<String, ToolError> {
        let _gate = self.session.refresh_gate().lock_owned().await;
        let tokens = self.session.tokens().ok_or(ToolError::NotAuthenticated)?;
        if tokens.jwt != used_jwt && !tokens.is_stale() {
            return Ok(tokens.jwt);
        }
        match self.refresh_locked(None).await {
            Ok(response) => Ok(response.jwt),
            Err(ToolError::Api(error)) if error.code() == Some("invalid_grant") => {
                // The session is over; say so rather than retrying a dead token forever.
                self.session.clear_tokens();
                Err(ToolError::Api(error))
            }
            Err(error) => Err(error),
        }
    }

    /// Runs `call` with a fresh JWT; on a 401 refreshes once and retries.
    async fn with_token<T, F, Fut>(&self, call: F) -> Result<T, ToolError>
    where
        F: Fn(String) -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        let jwt = self.fresh_jwt().await?;
        match call(jwt.clone()).await {
            Err(error) if error.status() == Some(401) => {
                // Status and code only: an API's detail text is not ours to log.
                tracing::info!(code = error.code(), "access token refused; refreshing once");
                let jwt = self.refresh_stored(&jwt).await?;
                Ok(call(jwt).await?)
            }
            other => Ok(other?),
        }
    }

    async fn solve(
        &self,
        quote_id: Option<&str>,
        context: &RequestContext<RoleServer>,
    ) -> Result<SolveResult, ToolError> {
        let quote = match quote_id {
            Some(id) => self.session.quote(id).ok_or_else(|| {
                ToolError::Quote(format!(
                    "quote {id} was not started through this server; call liveauth_mcp_start"
                ))
            })?,
            None => self.session.latest_quote(true).ok_or_else(|| {
                ToolError::Quote("no PoW quote yet: call liveauth_mcp_start first".into())
            })?,
        };
        let challenge = quote.pow_challenge.ok_or_else(|| {
            ToolError::Quote(format!(
                "quote {} is a Lightning quote: pay its invoice instead (liveauth_mcp_lnurl)",
                quote.quote_id
            ))
        })?;
        let token = context.meta.get_progress_token();
        let peer = context.peer.clone();
        let expected = 2f64.powi(i32::try_from(challenge.difficulty_bits).unwrap_or(i32::MAX));
        let progress = move |hashes: u64| {
            let Some(token) = token.clone() else { return };
            let peer = peer.clone();
            #[allow(clippy::cast_precision_loss)] // progress is approximate by nature
            let param = ProgressNotificationParam::new(token, hashes as f64)
                .with_total(expected)
                .with_message(format!(
                    "{hashes} hashes tried (about {expected:.0} expected)"
                ));
            tokio::spawn(async move {
                let _ = peer.notify_progress(param).await;
            });
        };
        let stats = solve_challenge(&challenge, now_unix(), &context.ct, progress).await?;
        self.session.remember_solution(&quote.quote_id, &stats);
        Ok(SolveResult {
            quote_id: quote.quote_id,
            stats,
        })
    }

    async fn authenticate(
        &self,
        args: AuthenticateParams,
        context: &RequestContext<RoleServer>,
    ) -> Result<AuthenticateResult, ToolError> {
        let lightning = args.force_lightning.unwrap_or(false);
        let quote = self
            .start(Ok(StartParams {
                force_lightning: Some(lightning),
            }))
            .await?;
        let quote_id = quote.quote_id.clone();
        if let Some(invoice) = quote.invoice.clone() {
            return self
                .authenticate_lightning(quote_id, invoice, args.wait_for_payment_seconds)
                .await;
        }
        let solved = self.solve(Some(&quote_id), context).await?;
        let confirm = self.confirm(Ok(confirm_params(&quote_id))).await?;
        Ok(AuthenticateResult {
            method: "pow".into(),
            quote_id,
            jwt: confirm.jwt,
            expires_in: confirm.expires_in,
            remaining_budget_sats: confirm.remaining_budget_sats,
            refresh_token: confirm.refresh_token,
            payment_status: None,
            solve: Some(solved.stats),
            invoice: None,
            next_step: None,
        })
    }

    async fn authenticate_lightning(
        &self,
        quote_id: String,
        invoice: Invoice,
        wait_secs: Option<u64>,
    ) -> Result<AuthenticateResult, ToolError> {
        let decoded = checked(&invoice.bolt11, &invoice)?;
        let checked_invoice = CheckedInvoice {
            bolt11: invoice.bolt11.clone(),
            decoded,
        };
        let wait = Duration::from_secs(wait_secs.unwrap_or(0).min(MAX_PAYMENT_WAIT_SECS));
        let deadline = tokio::time::Instant::now() + wait;
        let mut paid = false;
        while !wait.is_zero() {
            let status = self.api.status(&quote_id).await?;
            if matches!(status.payment_status, Some(PaymentStatus::Paid)) {
                paid = true;
                break;
            }
            if matches!(status.payment_status, Some(PaymentStatus::Expired)) {
                return Err(ToolError::Quote(format!(
                    "the invoice of quote {quote_id} expired unpaid; call \
                     liveauth_mcp_authenticate again"
                )));
            }
            if tokio::time::Instant::now() + PAYMENT_POLL > deadline {
                break;
            }
            tokio::time::sleep(PAYMENT_POLL).await;
        }
        let pending = AuthenticateResult {
            method: "lightning".into(),
            quote_id: quote_id.clone(),
            jwt: None,
            expires_in: None,
            remaining_budget_sats: None,
            refresh_token: None,
            payment_status: Some(PaymentStatus::Pending),
            solve: None,
            invoice: Some(checked_invoice),
            next_step: Some(format!(
                "pay the invoice, then call liveauth_mcp_confirm with quoteId {quote_id} (poll \
                 liveauth_mcp_status until paymentStatus is \"paid\")"
            )),
        };
        if !paid {
            return Ok(pending);
        }
        let confirm = self.confirm(Ok(confirm_params(&quote_id))).await?;
        Ok(AuthenticateResult {
            jwt: confirm.jwt,
            expires_in: confirm.expires_in,
            remaining_budget_sats: confirm.remaining_budget_sats,
            refresh_token: confirm.refresh_token,
            payment_status: Some(PaymentStatus::Paid),
            next_step: None,
            ..pending
        })
    }
}

fn confirm_params(quote_id: &str) -> ConfirmParams {
    ConfirmParams {
        quote_id: quote_id.to_owned(),
        challenge_hex: None,
        nonce: None,
        hash_hex: None,
        expires_at_unix: None,
        difficulty_bits: None,
        signature: None,
    }
}

/// The cross-check every invoice passes before an agent sees it.
fn checked(bolt11: &str, quoted: &Invoice) -> Result<DecodedInvoice, ToolError> {
    let expected = ExpectedInvoice {
        amount_sats: quoted.amount_sats,
        payment_hash_hex: &quoted.payment_hash,
    };
    let now = u64::try_from(now_unix()).unwrap_or(0);
    Ok(check_invoice(bolt11, &expected, now)?)
}

/// What an agent reads first: when to call what.
pub const INSTRUCTIONS: &str = "\
LiveAuth lets you authenticate to an API by proof-of-work (PoW) or a Lightning payment, \
then meter your calls in sats.
Quickest: call liveauth_mcp_authenticate. It starts a session, solves the PoW challenge on \
this machine's CPU and confirms it, returning a JWT to send as `Authorization: Bearer <jwt>`.
Step by step (PoW): liveauth_mcp_start -> liveauth_mcp_solve -> liveauth_mcp_confirm.
Lightning: liveauth_mcp_start with forceLightning=true (or liveauth_mcp_authenticate with \
forceLightning=true), get the verified invoice with liveauth_mcp_lnurl, pay it, poll \
liveauth_mcp_status until paymentStatus is \"paid\", then liveauth_mcp_confirm with the quoteId.
After each paid API call, call liveauth_mcp_charge with its cost in sats; if it is denied, stop \
making paid calls until the retry time. liveauth_mcp_usage shows the remaining budget. This \
server keeps your JWT and refresh token and refreshes an expired JWT by itself; \
liveauth_mcp_refresh does it explicitly.";

#[rmcp::tool_handler(router = self.tool_router)]
impl rmcp::ServerHandler for LiveAuthServer {
    fn get_info(&self) -> rmcp::model::ServerConfig {
        use rmcp::model::{Implementation, ServerCapabilities, ServerConfig};
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(
                Implementation::new("liveauth-mcp", env!("CARGO_PKG_VERSION"))
                    .with_title("LiveAuth"),
            )
            .with_instructions(INSTRUCTIONS)
    }
}

//! The HTTP client for the LiveAuth API (v1): one method per endpoint, typed with the
//! wire types of [`liveauth_protocol::wire`], and one error type, [`ApiError`], that
//! says what went wrong (what an agent should do about it is the tools' advice).
//!
//! Safety rules this module keeps:
//! - Caller-supplied path parts (quote ids come from an AI agent) are percent-encoded
//!   as exactly one path segment, so no input can reach another endpoint.
//! - Redirects are not followed: tokens and keys go only to the configured base.
//! - Secrets never appear in `Debug`, `Display` or error messages: the API key is
//!   masked, and bodies of successful answers (which carry tokens) are never echoed.
//! - Response bodies are read up to [`MAX_BODY_BYTES`]; no answer can make it panic.

use std::fmt;
use std::time::Duration;

use liveauth_protocol::bundle::{
    BundleClaimRequest, BundleClaimResponse, BundleInvoiceRequest, BundleInvoiceResponse,
    BundleTier,
};
use liveauth_protocol::codec::encode_hex;
use liveauth_protocol::json::{decode_strict, is_json_media_type};
use liveauth_protocol::problem::{ApiErrorBody, ErrorCode, parse_error_body};
use liveauth_protocol::receipt::v2::ReceiptKeySet;
use liveauth_protocol::wire::{
    Capabilities, ChargeRequest, ChargeResponse, ChargeStatus, ConfirmRequest, ConfirmResponse,
    Invoice, LegacyDemoStartResponse, LnurlResponse, PaymentConfirmResponse, RefreshRequest,
    RefreshResponse, StartRequest, StartResponse, StatusResponse, UsageResponse,
};
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, RequestBuilder, Response, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::redact::mask_secret;

/// The header that carries the project's public key.
pub use liveauth_protocol::wire::PROJECT_KEY_HEADER;

/// Most bytes read from any response body; the rest is ignored.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

const USER_AGENT: &str = concat!("liveauth-mcp/", env!("CARGO_PKG_VERSION"));

/// A client for one LiveAuth API, with or without a project key.
///
/// Cheap to clone (the connection pool is shared). With a key, the key goes on every
/// request: the hosted API finds the project of confirm, status and lnurl from it and
/// answers 404 for a quote of another project. Without one it is anonymous (the hosted
/// API's demo project, real PoW, no key sent); [`ApiClient::legacy_demo`] is the
/// `LIVEAUTH_DEMO=true` mode.
#[derive(Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    base: Url,
    /// `base` as shown in messages: no trailing slash.
    base_display: String,
    api_key: Option<String>,
    /// `LIVEAUTH_DEMO=true`: sessions start at the legacy demo endpoint.
    legacy_demo: bool,
    timeout: Duration,
}

impl fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiClient")
            .field("base", &self.base_display)
            .field("api_key", &self.api_key.as_deref().map(mask_secret))
            .field("legacy_demo", &self.legacy_demo)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Why an [`ApiClient`] could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The base URL does not parse.
    #[error("LIVEAUTH_API_BASE {base:?} is not a valid URL: {reason}")]
    InvalidBase { base: String, reason: String },
    /// The base URL is not `http` or `https`.
    #[error("LIVEAUTH_API_BASE must be an http:// or https:// URL, not {scheme}://")]
    UnsupportedScheme { scheme: String },
    /// The base URL embeds a user name or password, which would leak into messages.
    #[error("LIVEAUTH_API_BASE must not contain a user name or password")]
    CredentialsInBase,
    /// The base URL has a query or fragment, which endpoint paths cannot follow.
    #[error("LIVEAUTH_API_BASE must not contain a query (?…) or fragment (#…)")]
    QueryInBase,
    /// The API key cannot be sent as a header value.
    #[error(
        "LIVEAUTH_API_KEY must be visible ASCII without spaces (it looks like la_pk_…); got \
         {masked}"
    )]
    InvalidKey { masked: String },
    /// The HTTP client could not be set up (TLS roots, …).
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
}

/// What kind of transport failure a [`ApiError::Transport`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportCause {
    /// Nothing listens at the address (TCP connection refused).
    Refused,
    /// No complete answer within the client's timeout.
    Timeout,
    /// The TLS handshake failed (certificate, protocol).
    Tls,
    /// Anything else: DNS, reset connections, broken bodies, …
    Other,
}

/// A failed API call.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The API answered with a non-2xx status.
    #[error("{}", api_display(*.status, .code.as_deref(), .detail.as_deref()))]
    Api {
        /// The HTTP status.
        status: u16,
        /// The stable error code (`code` or `error` in the body), if any.
        code: Option<String>,
        /// What went wrong, from the body (≤ 200 chars), if readable.
        detail: Option<String>,
        /// Every `WWW-Authenticate` header (Bearer, L402, x402 challenges).
        www_authenticate: Vec<String>,
    },
    /// No answer: connection refused, timeout, TLS, DNS, broken connection.
    #[error("cannot reach the LiveAuth API at {base}: {message}")]
    Transport {
        /// The configured base URL.
        base: String,
        /// The kind of failure.
        cause: TransportCause,
        /// What failed, e.g. `connection refused` or `timed out after 10 s`.
        message: String,
    },
    /// A 2xx answer whose body is not the expected JSON.
    #[error("unexpected answer from the LiveAuth API ({status}): {message}")]
    Decode {
        /// The HTTP status.
        status: u16,
        /// Which field failed and why; never the body itself (it may hold tokens).
        message: String,
    },
    /// An argument cannot be sent (e.g. an empty quote id or a token with line breaks);
    /// nothing was sent.
    #[error("invalid argument: {message}")]
    InvalidInput {
        /// Which argument and why.
        message: String,
    },
}

fn api_display(status: u16, code: Option<&str>, detail: Option<&str>) -> String {
    let mut out = format!("LiveAuth API error {status}");
    match code {
        Some(code) => {
            out.push(' ');
            out.push_str(code);
        }
        None => {
            if let Some(reason) = StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
            {
                out.push_str(" (");
                out.push_str(reason);
                out.push(')');
            }
        }
    }
    if let Some(detail) = detail {
        out.push_str(": ");
        out.push_str(detail);
    }
    out
}

impl ApiError {
    /// The API's stable error code, if it sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Api { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// The code as an [`ErrorCode`], if it is one this server knows.
    pub fn error_code(&self) -> Option<ErrorCode> {
        self.code()?.parse().ok()
    }

    /// `true` if no answer arrived (the API may be down or unreachable).
    pub fn is_transport(&self) -> bool {
        matches!(self, Self::Transport { .. })
    }

    /// What the API said went wrong (its text, ≤ 200 chars), if it said anything.
    pub fn detail(&self) -> Option<&str> {
        match self {
            Self::Api { detail, .. } => detail.as_deref(),
            _ => None,
        }
    }

    /// The HTTP status of the answer, if one arrived.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } | Self::Decode { status, .. } => Some(*status),
            Self::Transport { .. } | Self::InvalidInput { .. } => None,
        }
    }
}

impl ApiClient {
    /// A client for the API at `base` (`http(s)://host[:port][/prefix]`, trailing slash
    /// optional). Without `api_key` it is anonymous (no key sent). `timeout` bounds each
    /// whole request, body included.
    pub fn new(
        base: &str,
        api_key: Option<String>,
        timeout: Duration,
    ) -> Result<Self, ConfigError> {
        let mut url = Url::parse(base.trim()).map_err(|error| ConfigError::InvalidBase {
            base: base.to_owned(),
            reason: error.to_string(),
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ConfigError::UnsupportedScheme {
                scheme: url.scheme().to_owned(),
            });
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(ConfigError::CredentialsInBase);
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(ConfigError::QueryInBase);
        }
        // `https://host/prefix/` and `https://host/prefix` mean the same base.
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty();
        }
        let base_display = url.as_str().trim_end_matches('/').to_owned();
        if let Some(key) = &api_key
            && (key.is_empty() || !key.bytes().all(|b| b.is_ascii_graphic()))
        {
            return Err(ConfigError::InvalidKey {
                masked: mask_secret(key),
            });
        }
        let http = reqwest::Client::builder()
            .use_rustls_tls()
            .user_agent(USER_AGENT)
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| ConfigError::Client(error.to_string()))?;
        Ok(Self {
            http,
            base: url,
            base_display,
            api_key,
            legacy_demo: false,
            timeout,
        })
    }

    /// The same client in the legacy demo mode (`LIVEAUTH_DEMO=true`): no key is sent and
    /// sessions start at `POST /api/public/auth/demo/start`, whose answer is mapped to a
    /// Lightning quote. Nothing is simulated here: confirm still asks the API.
    #[must_use]
    pub fn legacy_demo(mut self) -> Self {
        self.api_key = None;
        self.legacy_demo = true;
        self
    }

    /// `true` without a project key (anonymous or legacy demo): no key is sent.
    pub fn is_demo(&self) -> bool {
        self.api_key.is_none()
    }

    /// `true` in the legacy demo mode.
    pub fn is_legacy_demo(&self) -> bool {
        self.legacy_demo
    }

    /// The project key sent on every request, if any.
    pub fn project_key(&self) -> Option<&str> {
        self.api_key.as_deref()
    }

    /// The base URL, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base_display
    }

    /// The per-request timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Starts a quote: a PoW challenge, or an invoice with `force_lightning`.
    ///
    /// `POST /api/mcp/start`, with `X-LW-Public` when keyed and without it when anonymous
    /// (the hosted API then issues a real challenge of its demo project). In the legacy
    /// demo mode: [`ApiClient::legacy_demo_start`], mapped to a Lightning quote.
    pub async fn start(&self, force_lightning: bool) -> Result<StartResponse, ApiError> {
        if self.legacy_demo {
            return self.legacy_demo_start(force_lightning).await;
        }
        let body = StartRequest {
            force_lightning: force_lightning.then_some(true),
            force_l402: None,
        };
        let builder = self.post_json(&["api", "mcp", "start"], &body)?;
        self.send(builder).await
    }

    /// Starts a quote to confirm with an L402 bundle macaroon: `POST /api/mcp/start
    /// {"forceL402": true}` (answered `authHint: "l402_bundle"`).
    pub async fn start_l402(&self) -> Result<StartResponse, ApiError> {
        let body = StartRequest {
            force_lightning: None,
            force_l402: Some(true),
        };
        let builder = self.post_json(&["api", "mcp", "start"], &body)?;
        self.send(builder).await
    }

    /// Buys an L402 bundle: `POST /api/public/l402/bundle/invoice {tier, agentId?}`.
    pub async fn bundle_invoice(
        &self,
        tier: BundleTier,
        agent_id: Option<&str>,
    ) -> Result<BundleInvoiceResponse, ApiError> {
        let body = BundleInvoiceRequest {
            tier: Some(tier.as_str().to_owned()),
            agent_id: agent_id.map(str::to_owned),
            public_key: None,
        };
        let builder = self.post_json(&["api", "public", "l402", "bundle", "invoice"], &body)?;
        self.send(builder).await
    }

    /// Claims a paid bundle's macaroon: `POST /api/public/l402/bundle/claim
    /// {paymentHash}`; an unpaid invoice is a 402 [`ApiError::Api`].
    pub async fn bundle_claim(&self, payment_hash: &str) -> Result<BundleClaimResponse, ApiError> {
        let body = BundleClaimRequest {
            payment_hash: Some(payment_hash.to_owned()),
            public_key: None,
        };
        let builder = self.post_json(&["api", "public", "l402", "bundle", "claim"], &body)?;
        self.send(builder).await
    }

    /// `POST /api/public/auth/demo/start`: the hosted simulated demo. Its answer
    /// (`{sessionId, invoice: "<bolt11>", amountSats, …, mode: "DEMO"}`) becomes a
    /// Lightning quote whose payment hash is read from the invoice itself (the answer
    /// names none), so the amount is still checked against what the API quoted.
    async fn legacy_demo_start(&self, force_lightning: bool) -> Result<StartResponse, ApiError> {
        let body = StartRequest {
            force_lightning: force_lightning.then_some(true),
            force_l402: None,
        };
        let builder = self.post_json(&["api", "public", "auth", "demo", "start"], &body)?;
        let demo: LegacyDemoStartResponse = self.send(builder).await?;
        let payment_hash = demo
            .invoice
            .trim()
            .parse::<lightning_invoice::Bolt11Invoice>()
            .map(|invoice| {
                let hash: &[u8; 32] = invoice.payment_hash().as_ref();
                encode_hex(hash)
            })
            .map_err(|error| ApiError::Decode {
                status: 200,
                message: format!("field `invoice`: not a BOLT11 invoice ({error})"),
            })?;
        Ok(StartResponse {
            quote_id: demo.session_id,
            pow_challenge: None,
            invoice: Some(Invoice {
                bolt11: demo.invoice,
                amount_sats: demo.amount_sats,
                expires_at_unix: demo.expires_at_unix,
                payment_hash,
                fees: demo.fees,
                credit_amount_sats: None,
            }),
            auth_hint: None,
        })
    }

    /// Exchanges a solved or paid quote for a session: `POST /api/mcp/confirm`.
    ///
    /// An unpaid Lightning quote answers `{jwt: null, paymentStatus: "pending"}`.
    pub async fn confirm(&self, request: &ConfirmRequest) -> Result<ConfirmResponse, ApiError> {
        let builder = self.post_json(&["api", "mcp", "confirm"], request)?;
        self.send(builder).await
    }

    /// Books a call against the session: `POST /api/mcp/charge`. A charge repeated with
    /// the same `idempotencyKey` is counted once. A budget deny is a successful answer
    /// with `status: "deny"`.
    ///
    /// The key goes in the body field `idempotencyKey`, the hosted API's only idempotency
    /// mechanism, and in an `Idempotency-Key` header too, which the reference API reads
    /// and the hosted one ignores.
    pub async fn charge(
        &self,
        jwt: &str,
        request: &ChargeRequest,
    ) -> Result<ChargeResponse, ApiError> {
        let mut builder = self
            .post_json(&["api", "mcp", "charge"], request)?
            .header(header::AUTHORIZATION, bearer(jwt)?);
        if let Some(key) = &request.idempotency_key {
            builder = builder.header("Idempotency-Key", header_value("idempotency key", key)?);
        }
        // A deny is the answer whatever the status (402 `payment_required`, 422
        // `idempotency_conflict`), as the 1.2+ gate reads it.
        self.send_or(builder, |body| {
            decode::<ChargeResponse>(body)
                .ok()
                .filter(|charge| charge.status == ChargeStatus::Deny)
        })
        .await
    }

    /// Credits a paid caller-funding invoice to the session's balance (LiveAuth 1.3):
    /// `POST /api/mcp/payments/{paymentId}/confirm` with the body `{}`.
    pub async fn confirm_payment(
        &self,
        jwt: &str,
        payment_id: &str,
    ) -> Result<PaymentConfirmResponse, ApiError> {
        let is_not = "a payment id (use the paymentId of the payment_required charge)";
        let payment_id = check_id(payment_id, "paymentId", is_not)?;
        let path = ["api", "mcp", "payments", payment_id, "confirm"];
        let builder = self
            .post_json(&path, &serde_json::Map::new())?
            .header(header::AUTHORIZATION, bearer(jwt)?);
        self.send(builder).await
    }

    /// What the API offers beyond 1.1: `GET /api/mcp/capabilities` (LiveAuth 1.3).
    pub async fn capabilities(&self, jwt: &str) -> Result<Capabilities, ApiError> {
        let builder = self
            .request(Method::GET, &["api", "mcp", "capabilities"], None)?
            .header(header::AUTHORIZATION, bearer(jwt)?);
        self.send(builder).await
    }

    /// The quote's lifecycle and payment state: `GET /api/mcp/status/{quoteId}`.
    pub async fn status(&self, quote_id: &str) -> Result<StatusResponse, ApiError> {
        let builder = self.request(Method::GET, &["api", "mcp", "status"], Some(quote_id))?;
        self.send(builder).await
    }

    /// The quote's BOLT11 invoice in LUD-06 form: `GET /api/mcp/lnurl/{quoteId}`.
    pub async fn lnurl(&self, quote_id: &str) -> Result<LnurlResponse, ApiError> {
        let builder = self.request(Method::GET, &["api", "mcp", "lnurl"], Some(quote_id))?;
        self.send(builder).await
    }

    /// The session's usage and budget, without charging: `GET /api/mcp/usage`.
    pub async fn usage(&self, jwt: &str) -> Result<UsageResponse, ApiError> {
        let builder = self
            .request(Method::GET, &["api", "mcp", "usage"], None)?
            .header(header::AUTHORIZATION, bearer(jwt)?);
        self.send(builder).await
    }

    /// A new access token: `POST /api/mcp/refresh`. The previous access token stops
    /// working. The reference API rotates the refresh token (the answer carries the new
    /// one, and presenting the spent one revokes the session); the hosted API keeps it
    /// (the answer carries none).
    pub async fn refresh(&self, refresh_token: &str) -> Result<RefreshResponse, ApiError> {
        let body = RefreshRequest {
            refresh_token: refresh_token.to_owned(),
        };
        let builder = self.post_json(&["api", "mcp", "refresh"], &body)?;
        self.send(builder).await
    }

    /// The keys `receiptV2` receipts are signed with:
    /// `GET /.well-known/liveauth-receipt-keys.json`.
    pub async fn receipt_keys(&self) -> Result<ReceiptKeySet, ApiError> {
        let builder = self.request(
            Method::GET,
            &[".well-known", "liveauth-receipt-keys.json"],
            None,
        )?;
        self.send(builder).await
    }

    fn post_json<B: Serialize>(&self, path: &[&str], body: &B) -> Result<RequestBuilder, ApiError> {
        Ok(self.request(Method::POST, path, None)?.json(body))
    }

    /// A request to `base` + `path`, plus `param` as one percent-encoded segment, with
    /// the project key when there is one (every endpoint: see [`ApiClient`]).
    fn request(
        &self,
        method: Method,
        path: &[&str],
        param: Option<&str>,
    ) -> Result<RequestBuilder, ApiError> {
        let url = self.endpoint(path, param)?;
        let builder = self
            .http
            .request(method, url)
            .header(header::ACCEPT, "application/json");
        Ok(match &self.api_key {
            Some(key) => builder.header(PROJECT_KEY_HEADER, header_value("API key", key)?),
            None => builder,
        })
    }

    fn endpoint(&self, path: &[&str], param: Option<&str>) -> Result<Url, ApiError> {
        let param = param.map(check_segment).transpose()?;
        let mut url = self.base.clone();
        {
            let mut segments = url
                .path_segments_mut()
                .map_err(|()| ApiError::InvalidInput {
                    message: "the base URL cannot take a path".to_owned(),
                })?;
            segments.pop_if_empty().extend(path);
            if let Some(param) = param {
                segments.push(param);
            }
        }
        Ok(url)
    }

    async fn send<T: DeserializeOwned>(&self, request: RequestBuilder) -> Result<T, ApiError> {
        self.send_or(request, |_| None).await
    }

    /// As [`Self::send`], except that a non-2xx answer whose body `denial` reads as a
    /// result is that result (a charge deny may come with 402 or 422; never a 401).
    async fn send_or<T: DeserializeOwned>(
        &self,
        request: RequestBuilder,
        denial: impl FnOnce(&[u8]) -> Option<T>,
    ) -> Result<T, ApiError> {
        let response = request
            .send()
            .await
            .map_err(|error| self.transport_error(&error))?;
        let status = response.status();
        if !status.is_success() {
            let headers = response.headers().clone();
            // A broken error body still leaves the status to report.
            let body = read_capped(response)
                .await
                .map(|(body, _)| body)
                .unwrap_or_default();
            // A 401 is never a deny: the token protocol refreshes on it.
            if status != StatusCode::UNAUTHORIZED
                && let Some(result) = denial(&body)
            {
                return Ok(result);
            }
            return Err(error_from_parts(status, &headers, &body));
        }
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let (body, truncated) = read_capped(response)
            .await
            .map_err(|error| self.transport_error(&error))?;
        if truncated {
            return Err(ApiError::Decode {
                status: status.as_u16(),
                message: format!("the body is larger than {} KiB", MAX_BODY_BYTES / 1024),
            });
        }
        decode(&body).map_err(|message| {
            let message = match content_type.filter(|t| !is_json_media_type(t)) {
                Some(content_type) => format!("{message} (content type {content_type})"),
                None => message,
            };
            ApiError::Decode {
                status: status.as_u16(),
                message,
            }
        })
    }

    fn transport_error(&self, error: &reqwest::Error) -> ApiError {
        let https = self.base.scheme() == "https";
        let (cause, message) = classify_transport(error, self.timeout, https);
        ApiError::Transport {
            base: self.base_display.clone(),
            cause,
            message,
        }
    }
}

fn bearer(token: &str) -> Result<HeaderValue, ApiError> {
    if token.is_empty() {
        return Err(ApiError::InvalidInput {
            message: "the access token is empty".to_owned(),
        });
    }
    header_value("access token", &format!("Bearer {token}"))
}

/// A header value marked sensitive (hidden from `Debug`). Never echoes `value`.
fn header_value(what: &str, value: &str) -> Result<HeaderValue, ApiError> {
    let mut header = HeaderValue::from_str(value)
        .ok()
        .filter(|_| !value.is_empty())
        .ok_or_else(|| ApiError::InvalidInput {
            message: format!("the {what} must be non-empty visible ASCII"),
        })?;
    header.set_sensitive(true);
    Ok(header)
}

/// Checks a caller-supplied path segment. `Url::path_segments_mut().push` then
/// percent-encodes it as one segment (`/`, `?`, `#`, `%`, spaces, non-ASCII), but it
/// silently drops `.` and `..` and strips tabs and line breaks, so those are refused here.
/// `value` as one path segment (a quote id), unless it is empty, a dot segment or has
/// line breaks.
fn check_segment(value: &str) -> Result<&str, ApiError> {
    check_id(
        value,
        "quoteId",
        "a quote id (use the quoteId liveauth_mcp_start returned)",
    )
}

/// `value` if it can be the id `name` in a path, else what it should be (`is_not`).
fn check_id<'a>(value: &'a str, name: &str, is_not: &str) -> Result<&'a str, ApiError> {
    let refused =
        value.is_empty() || value == "." || value == ".." || value.contains(['\t', '\n', '\r']);
    if refused {
        return Err(ApiError::InvalidInput {
            message: format!(
                "{name} {:?} is not {is_not}",
                value.chars().take(80).collect::<String>()
            ),
        });
    }
    Ok(value)
}

/// Reads at most [`MAX_BODY_BYTES`]; `true` if more was there.
async fn read_capped(mut response: Response) -> Result<(Vec<u8>, bool), reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = MAX_BODY_BYTES - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return Ok((body, true));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, false))
}

fn error_from_parts(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> ApiError {
    let parsed = read_error_body(body);
    let detail = parsed.detail.or_else(|| redirect_detail(status, headers));
    ApiError::Api {
        status: status.as_u16(),
        code: parsed.code,
        detail,
        www_authenticate: headers
            .get_all(header::WWW_AUTHENTICATE)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect(),
    }
}

/// Most characters of an error detail kept (as the protocol's reader keeps).
const MAX_DETAIL_CHARS: usize = 200;

/// Reads an error body in the order the hosted API's clients read it: `error_description`,
/// `detail`, `message`, then `error`, then the text body; an ASP.NET validation problem's
/// `errors` (`{"QuoteId": ["The QuoteId field is required."]}`) say more than its `title`.
/// Other forms (nested errors, LUD-06, plain text, HTML, empty) are the protocol's
/// [`parse_error_body`].
fn read_error_body(body: &[u8]) -> ApiErrorBody {
    let parsed = parse_error_body(body);
    let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(body)
    else {
        return parsed;
    };
    if map.get("error").is_some_and(serde_json::Value::is_object) {
        return parsed;
    }
    let text = |key: &str| {
        map.get(key)
            .and_then(serde_json::Value::as_str)
            .and_then(short_text)
    };
    let validation = map.get("errors").and_then(validation_messages);
    let detail = ["error_description", "detail", "message"]
        .into_iter()
        .find_map(text)
        .or(validation)
        .or(parsed.detail);
    ApiErrorBody {
        code: parsed.code,
        detail,
    }
}

/// The messages of an ASP.NET validation problem's `errors` map, joined.
fn validation_messages(errors: &serde_json::Value) -> Option<String> {
    let messages: Vec<&str> = errors
        .as_object()?
        .values()
        .filter_map(serde_json::Value::as_array)
        .flatten()
        .filter_map(serde_json::Value::as_str)
        .collect();
    short_text(&messages.join(" "))
}

/// Whitespace collapsed, control characters dropped, at most [`MAX_DETAIL_CHARS`].
fn short_text(text: &str) -> Option<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut out: String = words
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    if out.chars().count() > MAX_DETAIL_CHARS {
        out = out.chars().take(MAX_DETAIL_CHARS - 1).collect();
        out.push('…');
    }
    (!out.is_empty()).then_some(out)
}

fn redirect_detail(status: StatusCode, headers: &HeaderMap) -> Option<String> {
    if !status.is_redirection() {
        return None;
    }
    let location = headers.get(header::LOCATION)?.to_str().ok()?;
    let location: String = location.chars().take(200).collect();
    Some(format!("the API redirects to {location}"))
}

/// Decodes a 2xx body; the error names the failing field but never quotes the body,
/// which may hold tokens.
fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err("the body is empty, expected JSON".to_owned());
    }
    decode_strict(body).map_err(|error| {
        let inner = scrub_quoted(&error.inner().to_string());
        match error.path() {
            Some(path) => format!("field `{path}`: {inner}"),
            None => format!("the body is not the expected JSON: {inner}"),
        }
    })
}

/// Replaces long quoted spans (`"…"` or `` `…` ``) in a serde message by their masked
/// form: serde quotes the offending value, and in a token response that may be a token.
fn scrub_quoted(message: &str) -> String {
    const MAX_QUOTED_CHARS: usize = 24;
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(open) = rest.find(['"', '`']) {
        let quote = &rest[open..=open];
        out.push_str(&rest[..=open]);
        let after = &rest[open + 1..];
        // An unclosed quote runs to the end of the message.
        let close = after.find(quote);
        let quoted = close.map_or(after, |close| &after[..close]);
        if quoted.chars().count() > MAX_QUOTED_CHARS {
            out.push_str(&mask_secret(quoted));
        } else {
            out.push_str(quoted);
        }
        match close {
            Some(close) => {
                out.push_str(quote);
                rest = &after[close + 1..];
            }
            None => rest = "",
        }
    }
    out.push_str(rest);
    out
}

fn classify_transport(
    error: &reqwest::Error,
    timeout: Duration,
    https: bool,
) -> (TransportCause, String) {
    let chain = source_chain(error);
    let io_kinds = io_error_kinds(error);
    if error.is_timeout() || io_kinds.contains(&std::io::ErrorKind::TimedOut) {
        return (
            TransportCause::Timeout,
            format!("timed out after {}", format_duration(timeout)),
        );
    }
    if io_kinds.contains(&std::io::ErrorKind::ConnectionRefused) {
        return (TransportCause::Refused, "connection refused".to_owned());
    }
    let lower = chain.to_ascii_lowercase();
    // rustls errors reach us wrapped in an `InvalidData` I/O error; their text varies.
    let tls = (https && io_kinds.contains(&std::io::ErrorKind::InvalidData))
        || ["certificate", "tls", "ssl", "handshake"]
            .iter()
            .any(|word| lower.contains(word));
    if tls {
        return (
            TransportCause::Tls,
            format!("TLS handshake failed: {chain}"),
        );
    }
    let message = if chain.is_empty() {
        if error.is_connect() {
            "cannot connect".to_owned()
        } else {
            "the connection failed".to_owned()
        }
    } else {
        chain
    };
    (TransportCause::Other, message)
}

/// The messages of the error's causes, joined by `: `, without reqwest's own line (it
/// repeats the URL) and hyper's generic wrappers.
fn source_chain(error: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let text = cause.to_string();
        let generic = text.starts_with("client error (") || text.is_empty();
        if !generic && parts.last() != Some(&text) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

/// The kinds of every I/O error in the chain, including those wrapped inside another
/// I/O error (`io::Error::source` skips the wrapped error itself).
fn io_error_kinds(error: &reqwest::Error) -> Vec<std::io::ErrorKind> {
    let mut kinds = Vec::new();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let mut inner: Option<&(dyn std::error::Error + 'static)> = Some(cause);
        while let Some(io) = inner.and_then(|e| e.downcast_ref::<std::io::Error>()) {
            kinds.push(io.kind());
            inner = io
                .get_ref()
                .map(|e| e as &(dyn std::error::Error + 'static));
        }
        source = cause.source();
    }
    kinds
}

/// `10 s`, `300 ms`, `1.5 s`.
fn format_duration(duration: Duration) -> String {
    if duration.subsec_nanos() == 0 {
        format!("{} s", duration.as_secs())
    } else if duration < Duration::from_secs(1) {
        format!("{} ms", duration.as_millis())
    } else {
        format!("{:.1} s", duration.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DEFAULT_TIMEOUT;

    fn client(base: &str) -> ApiClient {
        ApiClient::new(base, None, DEFAULT_TIMEOUT).unwrap()
    }

    #[test]
    fn base_urls() {
        for base in ["http://h:1", "http://h:1/", " http://h:1/ "] {
            assert_eq!(client(base).base(), "http://h:1");
        }
        let prefixed = client("https://h/liveauth/");
        assert_eq!(prefixed.base(), "https://h/liveauth");
        assert_eq!(
            prefixed
                .endpoint(&["api", "mcp", "usage"], None)
                .unwrap()
                .as_str(),
            "https://h/liveauth/api/mcp/usage"
        );
        assert!(matches!(
            ApiClient::new("ftp://h", None, DEFAULT_TIMEOUT),
            Err(ConfigError::UnsupportedScheme { .. })
        ));
        assert!(matches!(
            ApiClient::new("localhost:8402", None, DEFAULT_TIMEOUT),
            Err(ConfigError::UnsupportedScheme { .. } | ConfigError::InvalidBase { .. })
        ));
        assert!(matches!(
            ApiClient::new("not a url", None, DEFAULT_TIMEOUT),
            Err(ConfigError::InvalidBase { .. })
        ));
        assert!(matches!(
            ApiClient::new("https://u:secret@h", None, DEFAULT_TIMEOUT),
            Err(ConfigError::CredentialsInBase)
        ));
        assert!(matches!(
            ApiClient::new("https://h/?x=1", None, DEFAULT_TIMEOUT),
            Err(ConfigError::QueryInBase)
        ));
    }

    fn keyed(key: &str) -> Result<ApiClient, ConfigError> {
        ApiClient::new("http://h", Some(key.into()), DEFAULT_TIMEOUT)
    }

    #[test]
    fn bad_keys_are_refused_without_echo() {
        let error = keyed("la_pk_abcdefghijklmno\npqrstuvwxyz").unwrap_err();
        let text = error.to_string();
        assert!(!text.contains("efghij"), "{text}");
    }

    #[test]
    fn debug_hides_the_key() {
        let client = keyed("la_pk_abcdefghijklmnopqrstuvwxyz").unwrap();
        let debug = format!("{client:?}");
        assert!(debug.contains("la_pk_ab…yz"), "{debug}");
        assert!(!debug.contains("klmnop"), "{debug}");
        assert!(!client.is_demo());
    }

    #[test]
    fn segments_stay_one_segment() {
        let client = client("http://h/");
        let url = |id: &str| {
            client
                .endpoint(&["api", "mcp", "status"], Some(id))
                .unwrap()
                .to_string()
        };
        assert_eq!(url("abc-1"), "http://h/api/mcp/status/abc-1");
        assert_eq!(
            url("../dev/settle/x"),
            "http://h/api/mcp/status/..%2Fdev%2Fsettle%2Fx"
        );
        assert_eq!(url("a?b#c"), "http://h/api/mcp/status/a%3Fb%23c");
        assert_eq!(url("%2e%2e"), "http://h/api/mcp/status/%252e%252e");
        assert_eq!(url("a\\b c"), "http://h/api/mcp/status/a%5Cb%20c");
        assert_eq!(url("é"), "http://h/api/mcp/status/%C3%A9");
        assert_eq!(url("..."), "http://h/api/mcp/status/...");
        for bad in ["", ".", "..", "a\tb", "a\nb", "a\r"] {
            assert!(matches!(
                client.endpoint(&["api", "mcp", "status"], Some(bad)),
                Err(ApiError::InvalidInput { .. })
            ));
        }
    }

    #[test]
    fn decode_names_the_field_and_hides_values() {
        let secret = "la_rt_SECRETSECRETSECRETSECRETSECRET";
        let body = format!(r#"{{"jwt":"x","expiresIn":"{secret}","remainingBudgetSats":1}}"#);
        let message = decode::<RefreshResponse>(body.as_bytes()).unwrap_err();
        assert!(
            message.starts_with("field `expiresIn`: invalid type"),
            "{message}"
        );
        assert!(!message.contains("SECRETSECRET"), "{message}");
        let message = decode::<RefreshResponse>(b"<html>").unwrap_err();
        assert!(
            message.starts_with("the body is not the expected JSON"),
            "{message}"
        );
        assert_eq!(
            decode::<RefreshResponse>(b"  ").unwrap_err(),
            "the body is empty, expected JSON"
        );
        assert!(decode::<LnurlResponse>(br#"{"pr":"lnbc1","routes":[]} x"#).is_err());
    }

    #[test]
    fn scrub_quoted_masks_long_spans_only() {
        assert_eq!(
            scrub_quoted("unknown variant `nope`, expected `ok` or `deny`"),
            "unknown variant `nope`, expected `ok` or `deny`"
        );
        assert_eq!(
            scrub_quoted(
                r#"invalid type: string "eyJhbGciOiJFZERTQSJ9.eyJzdWIi.c2ln", expected u64"#
            ),
            r#"invalid type: string "eyJhb…ln", expected u64"#
        );
        assert_eq!(
            scrub_quoted(r#"bad "0123456789012345678901234567890"#),
            r#"bad "01…90"#
        );
    }

    /// `error_description`, then `detail`, then `message`; a validation problem's
    /// `errors` before its `title`; the rest as the protocol reads it.
    #[test]
    fn error_bodies_are_read_in_the_clients_order() {
        let read = |body: &str| read_error_body(body.as_bytes());
        let both = read(
            r#"{"error":"invalid_grant","error_description":"the refresh token is spent","detail":"d"}"#,
        );
        assert_eq!(both.code.as_deref(), Some("invalid_grant"));
        assert_eq!(both.detail.as_deref(), Some("the refresh token is spent"));
        let problem = read(r#"{"title":"Bad","detail":"d","message":"m"}"#);
        assert_eq!(problem.detail.as_deref(), Some("d"));
        let l402 = read(r#"{"error":"Payment required","message":"macaroon expired"}"#);
        assert_eq!(
            (l402.code.as_deref(), l402.detail.as_deref()),
            (Some("Payment required"), Some("macaroon expired"))
        );
        let validation = read(
            r#"{"title":"One or more validation errors occurred.","status":400,
                "errors":{"QuoteId":["The QuoteId field is required."]}}"#,
        );
        assert_eq!(
            validation.detail.as_deref(),
            Some("The QuoteId field is required.")
        );
        assert_eq!(
            read("Hash mismatch").detail.as_deref(),
            Some("Hash mismatch")
        );
        // `detail` before `message`; `error` is the code, shown when nothing else is sent.
        let all_but_description = read(r#"{"error":"e","message":"m","detail":"d"}"#);
        assert_eq!(
            (
                all_but_description.code.as_deref(),
                all_but_description.detail.as_deref()
            ),
            (Some("e"), Some("d"))
        );
        let sentence = read(r#"{"error":"Session expired"}"#);
        assert_eq!(
            (sentence.code.as_deref(), sentence.detail),
            (Some("Session expired"), None)
        );
        assert_eq!(read(""), ApiErrorBody::default());
        let long = format!(r#"{{"message":"{}"}}"#, "x".repeat(500));
        assert_eq!(read(&long).detail.map(|d| d.chars().count()), Some(200));
    }

    #[test]
    fn durations() {
        assert_eq!(format_duration(Duration::from_secs(10)), "10 s");
        assert_eq!(format_duration(Duration::from_millis(300)), "300 ms");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.5 s");
    }

    #[test]
    fn display() {
        let error = ApiError::Api {
            status: 410,
            code: Some("challenge_expired".into()),
            detail: Some("the challenge expired at 2026-01-01T00:00:00Z".into()),
            www_authenticate: Vec::new(),
        };
        assert_eq!(
            error.to_string(),
            "LiveAuth API error 410 challenge_expired: the challenge expired at \
             2026-01-01T00:00:00Z"
        );
        assert_eq!(error.error_code(), Some(ErrorCode::ChallengeExpired));
        let bare = ApiError::Api {
            status: 503,
            code: None,
            detail: None,
            www_authenticate: Vec::new(),
        };
        assert_eq!(
            bare.to_string(),
            "LiveAuth API error 503 (Service Unavailable)"
        );
        assert_eq!(bare.error_code(), None);
    }
}

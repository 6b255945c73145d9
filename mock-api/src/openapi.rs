//! The OpenAPI 3.1 document of the API, served at `GET /openapi.json`.
//!
//! Every route of [`crate::router`] is listed in [`ApiDoc`]; the operations themselves
//! are the `#[utoipa::path]` attributes on the handlers, next to the code whose errors
//! they document. Schemas come from the wire types in `liveauth_protocol` (its `openapi`
//! feature). `tests/openapi.rs` checks that the document and the router agree.

use std::collections::btree_map::Entry;
use std::sync::OnceLock;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use liveauth_protocol::problem::{self, ErrorCode, Problem};
use liveauth_protocol::wire::{ChargeResponse, PROJECT_KEY_HEADER};
use serde::Serialize;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Required};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::error::Rejection;
use crate::profile::Profile;
use crate::routes::{bundle, caller, demo, dev, meta, meter, quote, receipt_keys, refresh};
use crate::state::AppState;

/// Paths of the mock-only endpoints; left out of the document when they are off.
const DEV_PREFIX: &str = "/api/dev/";

/// The document: info, every operation, the schemas they use and the security schemes.
#[derive(Debug, Clone, Copy, OpenApi)]
#[openapi(
    info(
        title = "LiveAuth HTTP API",
        version = "1",
        description = "The LiveAuth API (v1) as served by `mock-api`, the reference \
            implementation: signed proof-of-work challenges or Lightning invoices (quotes), \
            confirmed into a session with an EdDSA access token (JWT) and a rotating refresh \
            token, metered against per-session budgets; L402/x402 payment credentials.\n\n\
            Every error is RFC 9457 `application/problem+json` (`type, title, status, detail, \
            code`, plus `error` = code and `error_description` = detail for existing clients), \
            except the LUD-06 endpoint `/api/mcp/lnurl/{quoteId}`. The stable `code` is what to \
            match on. Any endpoint may also answer 408 `request_timeout`, 413 \
            `payload_too_large`, 421 `host_not_allowed` (the DNS-rebinding defence: `Host` \
            must be localhost, a loopback IP, the IP the mock was reached at, or a name given \
            with `--allow-host`) or 500 `internal_error`; a JSON body needs `Content-Type: \
            application/json` (415) and must be an object (422 `body_not_object`, 400 in the \
            hosted profile); an unknown path is 404 `not_found`, a known path with another \
            method 405 `method_not_allowed`.",
        license(name = "MIT", identifier = "MIT"),
    ),
    paths(
        quote::start,
        quote::demo_start,
        quote::confirm,
        quote::status,
        quote::lnurl,
        meter::charge,
        meter::usage,
        refresh::refresh,
        demo::resource,
        meta::jwks,
        receipt_keys::keys,
        meta::healthz,
        openapi_json,
        dev::settle,
        dev::advance_clock,
        bundle::invoice,
        bundle::claim,
        bundle::status,
        caller::capabilities,
        caller::confirm_payment,
    ),
    components(schemas(
        Problem,
        ErrorCode,
        liveauth_protocol::wire::LnurlError,
        liveauth_protocol::wire::Nonce,
    )),
    modifiers(&Common),
    tags(
        (name = "quotes", description = "Start a quote (PoW challenge or Lightning invoice), \
            confirm it into a session, follow its status."),
        (name = "sessions", description = "Metering and token refresh for a confirmed session."),
        (name = "bundles", description = "L402 bundles: prepaid calls bought with one invoice, \
            claimed as a macaroon, spent one per confirm of a `forceL402` quote."),
        (name = "demo", description = "An example resource protected by LiveAuth or L402/x402."),
        (name = "discovery", description = "Keys, this document, liveness."),
        (name = "dev", description = "Mock only: on unless `mock-api --no-dev-endpoints`; \
            never part of the hosted API."),
    ),
)]
pub struct ApiDoc;

/// Security schemes, and the answers the middleware can give on every route.
#[derive(Debug)]
struct Common;

impl Modify for Common {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearerAuth",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "`Authorization: Bearer <jwt>`: the access token from confirm or \
                         refresh (EdDSA, `typ: at+jwt`, 600 s). Refusals are 401 with \
                         `WWW-Authenticate: Bearer error=\"invalid_token\"`.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "projectKey",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                PROJECT_KEY_HEADER,
                "The project's public key, `la_pk_…`.",
            ))),
        );
        // OpenAPI has no registered http scheme for L402/x402: both are described as the
        // raw `Authorization` header value.
        components.add_security_scheme(
            "l402",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "`L402 <macaroon base64>:<preimage hex>` (`LSAT` also accepted): the macaroon \
                 and invoice come from a 402 `WWW-Authenticate: L402 macaroon=\"…\", \
                 invoice=\"…\"` challenge; the preimage proves the invoice was paid.",
            ))),
        );
        components.add_security_scheme(
            "x402",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "`x402 <preimage hex>`: the preimage of the invoice from a 402 \
                 `WWW-Authenticate: x402 invoice=\"…\", paymentHash=\"…\"` challenge.",
            ))),
        );

        // An empty body reads as `{}`, so the start bodies are optional.
        for path in ["/api/mcp/start", "/api/public/demo/start"] {
            let body = openapi
                .paths
                .paths
                .get_mut(path)
                .and_then(|item| item.post.as_mut())
                .and_then(|operation| operation.request_body.as_mut());
            if let Some(body) = body {
                body.required = Some(Required::False);
            }
        }

        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                let body = operation.request_body.is_some();
                let answers = EVERY_ROUTE
                    .iter()
                    .chain(body.then_some(JSON_BODY).into_iter().flatten());
                for &(code, what) in answers {
                    add_answer(&mut operation.responses, code, what);
                }
            }
        }
    }
}

/// What the middleware and the socket layer may answer on any route.
const EVERY_ROUTE: &[(ErrorCode, &str)] = &[
    (ErrorCode::RequestTimeout, "the request took too long"),
    (ErrorCode::InternalError, "a failure on the server's side"),
    (
        ErrorCode::PayloadTooLarge,
        "the body exceeds 64 KiB (an announced `Content-Length` is refused unread)",
    ),
    (
        ErrorCode::HostNotAllowed,
        "the `Host` header names no address of this server (localhost, a loopback IP, the IP \
         it was reached at, or a name given with `--allow-host`)",
    ),
];

/// What any route that reads a JSON body may answer.
const JSON_BODY: &[(ErrorCode, &str)] = &[
    (
        ErrorCode::UnsupportedMediaType,
        "a body without `Content-Type: application/json`",
    ),
    (
        ErrorCode::BodyNotObject,
        "the body is JSON but not an object (the hosted profile answers 400)",
    ),
];

/// Documents `code` among `responses`: a response of its own, or a line added to the one
/// already at its status.
fn add_answer(responses: &mut utoipa::openapi::Responses, code: ErrorCode, what: &str) {
    let line = format!("`{code}`: {what}.");
    let status = code.default_status().to_string();
    match responses.responses.entry(status) {
        Entry::Occupied(mut entry) => {
            if let RefOr::T(response) = entry.get_mut()
                && !response.description.contains(&format!("`{code}`"))
            {
                response.description = format!("{} {line}", response.description);
            }
        }
        Entry::Vacant(entry) => {
            let problem = ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build();
            entry.insert(
                ResponseBuilder::new()
                    .description(line)
                    .content(problem::CONTENT_TYPE, problem)
                    .into(),
            );
        }
    }
}

/// The document for an app whose dev endpoints are on or off.
pub fn document(dev_endpoints: bool) -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    if !dev_endpoints {
        doc.paths
            .paths
            .retain(|path, _| !path.starts_with(DEV_PREFIX));
        if let Some(tags) = doc.tags.as_mut() {
            tags.retain(|tag| tag.name != "dev");
        }
    }
    doc
}

/// The operations only the hosted profile serves.
#[derive(Debug, Clone, Copy, OpenApi)]
#[openapi(paths(quote::legacy_demo_start))]
struct HostedDoc;

/// [`document`] for a mock in `profile`: `info.x-liveauth-profile` names it and the
/// description says what it changes; hosted has no JWKS path.
pub fn document_for(dev_endpoints: bool, profile: Profile) -> utoipa::openapi::OpenApi {
    let mut doc = document(dev_endpoints);
    let sentence = match profile {
        Profile::Hosted => {
            "\n\nThis server runs the `hosted` profile (`mock-api --profile hosted`, the \
             default): it behaves like the hosted LiveAuth API, so its refusals are the \
             hosted plain-text bodies, ASP.NET problem+json or `{error, error_description}` \
             rather than the problem documents described per response, tokens are HS256, \
             refresh tokens are not rotated and there is no JWKS."
        }
        Profile::Strict => {
            "\n\nThis server runs the `strict` profile (`mock-api --profile strict`): the \
             reference behaviour described here."
        }
    };
    let description = doc.info.description.take().unwrap_or_default();
    doc.info.description = Some(format!("{description}{sentence}"));
    doc.info.extensions = Some(
        utoipa::openapi::extensions::ExtensionsBuilder::new()
            .add("x-liveauth-profile", profile.as_str())
            .build(),
    );
    if !profile.publishes_jwks() {
        doc.paths.paths.remove("/.well-known/jwks.json");
    }
    if profile.legacy_demo_start() {
        // The older path answers the same legacy shape (see its description).
        doc.paths.paths.remove("/api/public/demo/start");
        doc.merge(HostedDoc::openapi());
    }
    doc
}

/// `GET /openapi.json`: this document, serialized once per process (per dev setting and
/// profile).
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "discovery",
    operation_id = "openapi",
    summary = "This OpenAPI 3.1 document",
    responses(
        (status = 200, description = "The OpenAPI document of this server (without the \
            `dev` paths when they are off).", body = Object, content_type = "application/json"),
    ),
)]
pub async fn openapi_json(State(state): State<AppState>) -> Response {
    static CACHE: [OnceLock<Option<Bytes>>; 4] = [const { OnceLock::new() }; 4];
    let dev = state.config.dev_endpoints;
    let profile = state.config.profile;
    let cell = &CACHE[usize::from(dev) * 2 + usize::from(profile == Profile::Hosted)];
    let json = cell.get_or_init(|| document_for(dev, profile).to_json().ok().map(Bytes::from));
    match json {
        Some(json) => ([(header::CONTENT_TYPE, "application/json")], json.clone()).into_response(),
        None => Rejection::new(
            ErrorCode::InternalError,
            "the OpenAPI document could not be serialized",
        )
        .into_response(),
    }
}

/// Body of `GET /.well-known/jwks.json` (RFC 7517), as documented; the handler builds it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Jwks {
    /// The Ed25519 signing key(s); `kid` matches the access token header's `kid`.
    pub keys: Vec<Jwk>,
}

/// One Ed25519 public key (RFC 8037).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Jwk {
    /// Always `"OKP"`.
    #[schema(example = "OKP")]
    pub kty: String,
    /// Always `"Ed25519"`.
    #[schema(example = "Ed25519")]
    pub crv: String,
    /// The public key, base64url without padding.
    pub x: String,
    /// Key id, as in the JWT header.
    pub kid: String,
    /// Always `"EdDSA"`.
    #[schema(example = "EdDSA")]
    pub alg: String,
    /// Always `"sig"`.
    #[serde(rename = "use")]
    #[schema(example = "sig")]
    pub key_use: String,
}

/// The refusals of every endpoint that reads a JSON body (documentation only: the
/// handlers answer them through [`Rejection`]).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub(crate) enum JsonBodyRefusals {
    /// `payload_too_large`: the body exceeds 64 KiB.
    #[response(status = 413, content_type = "application/problem+json")]
    TooLarge(Problem),
    /// `unsupported_media_type`: the body is not `application/json`.
    #[response(status = 415, content_type = "application/problem+json")]
    NotJson(Problem),
}

/// Body of `GET /api/demo/resource`, as documented; the handler builds it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DemoResource {
    /// Always `"demo"`.
    #[schema(example = "demo")]
    pub resource: String,
    /// A greeting.
    pub message: String,
    /// How this call was paid for.
    pub paid_by: DemoPaidBy,
}

/// How a call of the demo resource was paid for, by `method`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(tag = "method", rename_all = "lowercase")]
pub enum DemoPaidBy {
    /// A bearer access token; the call was charged to its session.
    Jwt {
        /// The charge booked for this call (always `status: "ok"`: a deny is a 429).
        // Boxed: the hosted charge fields made this variant much larger than the others.
        charge: Box<ChargeResponse>,
    },
    /// A paid L402 credential.
    L402 {
        /// The quote whose invoice the credential paid.
        #[serde(rename = "quoteId")]
        quote_id: String,
    },
    /// A paid x402 credential.
    X402 {
        /// The quote whose invoice the credential paid.
        #[serde(rename = "quoteId")]
        quote_id: String,
    },
}

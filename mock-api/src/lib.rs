//! A mock of the LiveAuth HTTP API (v1) to test clients against: signed PoW challenges,
//! real BOLT11 invoices, access tokens, atomic budgets, L402/x402; in the [`profile`]
//! `hosted` (the default) as the hosted API answers, in `strict` with the reference's
//! stronger promises (problem+json, EdDSA tokens, rotating refresh tokens).
//!
//! Public: the app ([`app`], [`router`], [`serve`]), its [`Config`], [`Profile`] and
//! [`AppState`], and the modules tests and other crates read ([`clock`], [`config`],
//! [`lightning`], [`token`], [`hosted_token`], [`store`], [`openapi`], [`profile`]); the
//! rest is private to the crate.
//!
//! - [`app`] / [`router`]: the axum app; [`serve`] runs it on a listener, through
//!   `liveauth_serve` (timeouts, a connection cap, bounded heads; flags in
//!   [`Config::connection_limits`]).
//! - `routes`: one module per group of endpoints.
//! - `state`: keys, clock, RNG and store, passed to every handler.
//! - [`store`]: the [`store::Store`] trait (atomic operations) and its in-memory version;
//!   `record`: the compact form it keeps quotes in; `limits`: the caps on what it holds.
//! - `ratelimit`: the per-client limit on starts and 402 challenges.
//! - `budget`: the per-session spending rules.
//! - `bundle`: L402 bundles (their book; the routes are `routes::bundle`).
//! - `payment`: Lightning quotes and L402/x402 credentials; [`lightning`]: the node
//!   that signs invoices; [`token`]: access tokens and the JWKS; [`hosted_token`]: the
//!   hosted profile's HS256 tokens.
//! - `host`: only requests addressed to the mock are served (DNS rebinding).
//! - `error` and `extract`: every failure as problem+json, including rejections;
//!   `hosted_errors`: the hosted profile's wording of the same failures.
//! - [`openapi`]: the OpenAPI 3.1 document of every route, served at `/openapi.json`.
//! - [`profile`]: `hosted` (the default, like the hosted API) or `strict` (the
//!   reference's promises), and every point where the two differ.
//! - [`clock`], `rng`, [`config`]: what makes runs deterministic and configurable.

mod budget;
mod bundle;
pub mod clock;
pub mod config;
mod error;
mod extract;
mod host;
mod hosted_errors;
pub mod hosted_token;
pub mod lightning;
mod limits;
pub mod openapi;
mod payment;
pub mod profile;
mod ratelimit;
pub mod receipts;
mod record;
mod rng;
mod routes;
mod state;
pub mod store;
pub mod token;

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use liveauth_protocol::problem::ErrorCode;
use liveauth_serve::BodyLimit;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

pub use config::Config;
pub use profile::Profile;
pub use state::AppState;

use error::Rejection;
use routes::{bundle as bundles, caller, demo, dev, meta, meter, quote, receipt_keys, refresh};

/// Largest request body accepted (413 above).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The app for `config`, with a fresh in-memory store.
pub fn app(config: Config) -> Router {
    router(AppState::new(config))
}

/// The app over an existing state (tests keep a clone to move the clock or read stats).
/// Inside a Tokio runtime it also starts the state's purge timer.
pub fn router(state: AppState) -> Router {
    state.spawn_purger();
    let mut routes = Router::new()
        .route("/api/mcp/start", post(quote::start))
        .route("/api/mcp/confirm", post(quote::confirm))
        .route("/api/mcp/charge", post(meter::charge))
        .route("/api/mcp/status/{quote_id}", get(quote::status))
        .route("/api/mcp/lnurl/{quote_id}", get(quote::lnurl))
        .route("/api/mcp/usage", get(meter::usage))
        .route("/api/mcp/refresh", post(refresh::refresh))
        .route("/api/demo/resource", get(demo::resource))
        // = `liveauth_protocol::receipt::v2::KEY_SET_PATH`, written out for the route list
        // that tests/openapi.rs reads from this source.
        .route(
            "/.well-known/liveauth-receipt-keys.json",
            get(receipt_keys::keys),
        )
        .route("/api/public/l402/bundle/invoice", post(bundles::invoice))
        .route("/api/public/l402/bundle/claim", post(bundles::claim))
        .route("/api/public/l402/bundle/status", get(bundles::status))
        .route("/healthz", get(meta::healthz))
        .route("/openapi.json", get(openapi::openapi_json));
    routes = if state.config.profile.legacy_demo_start() {
        routes
            .route(
                "/api/public/auth/demo/start",
                post(quote::legacy_demo_start),
            )
            .route("/api/public/demo/start", post(quote::legacy_demo_start))
    } else {
        routes.route("/api/public/demo/start", post(quote::demo_start))
    };
    if state.config.profile.publishes_jwks() {
        routes = routes.route("/.well-known/jwks.json", get(meta::jwks));
    }
    if state.config.caller_funding {
        routes = routes
            .route("/api/mcp/capabilities", get(caller::capabilities))
            .route(
                "/api/mcp/payments/{payment_id}/confirm",
                post(caller::confirm_payment),
            );
    }
    if state.config.dev_endpoints {
        routes = routes
            .route("/api/dev/settle/{payment_hash}", post(dev::settle))
            .route("/api/dev/clock/advance", post(dev::advance_clock));
    }
    let timeout = Duration::from_secs(state.config.request_timeout_secs);
    let body_limit = BodyLimit::new(MAX_BODY_BYTES, || {
        extract::payload_too_large().into_response()
    });
    let hosts = host::AllowedHosts::new(&state.config.allowed_hosts);
    routes
        .fallback(|| async { Rejection::new(ErrorCode::NotFound, "no such endpoint") })
        .method_not_allowed_fallback(|| async {
            Rejection::new(
                ErrorCode::MethodNotAllowed,
                "this endpoint does not take that method",
            )
        })
        .layer(middleware::from_fn_with_state(
            body_limit,
            liveauth_serve::refuse_oversized,
        ))
        .layer(middleware::from_fn_with_state(hosts, host::check_host))
        .layer(middleware::from_fn_with_state(
            state.config.profile,
            hosted_errors::render,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(timeout, request_timeout))
        .layer(CatchPanicLayer::custom(|_| {
            Rejection::new(
                ErrorCode::InternalError,
                "the server failed on this request",
            )
            .into_response()
        }))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Answers 408 when a request takes longer than the configured timeout.
async fn request_timeout(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            Rejection::new(ErrorCode::RequestTimeout, "the request took too long").into_response()
        }
    }
}

/// Serves the app over `state` on `listener`, within `state.config.connection_limits`, until
/// `shutdown` completes, finishing open requests.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The client's address (axum's `ConnectInfo`, set by `liveauth_serve`) feeds the
    // per-client rate limit.
    let limits = state.config.connection_limits;
    liveauth_serve::serve(listener, router(state), limits, shutdown).await
}

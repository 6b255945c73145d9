//! `mock-api`: serves the reference LiveAuth API on 127.0.0.1:8402.

use std::net::SocketAddr;

use anyhow::Context as _;
use clap::Parser;
use liveauth_protocol::bundle::BundleKey;
use liveauth_protocol::receipt::v2::Signer;
use mock_api::config::{ClientRate, DEMO_PUBLIC_KEY, PaymentHashEncoding, ProjectSpec};
use mock_api::lightning::Network;
use mock_api::receipts::{self, ReceiptConfig};
use mock_api::store::{Cap, Limits};
use mock_api::{AppState, Config, Profile};

/// The LiveAuth reference API: signed PoW challenges, real regtest BOLT11 invoices, EdDSA
/// JWTs and budgets, for offline development and conformance tests.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// `hosted`: behave like the hosted API (plain-text errors, HS256, ≤ target, …);
    /// `strict`: the reference's stronger promises (problem+json, EdDSA + JWKS, rotation).
    #[arg(long, default_value = "hosted", value_parser = clap::value_parser!(Profile))]
    profile: Profile,
    /// How `invoice.paymentHash` is written: `hex` (current hosted backend) or `base64`
    /// (LND's `r_hash`, as an older backend sent it).
    #[arg(long, default_value = "hex", value_parser = clap::value_parser!(PaymentHashEncoding))]
    payment_hash_encoding: PaymentHashEncoding,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8402")]
    listen: SocketAddr,
    /// PoW difficulty of new challenges.
    #[arg(long, default_value_t = 18, value_parser = clap::value_parser!(u32).range(0..=256))]
    difficulty_bits: u32,
    /// Seconds a PoW challenge stays valid.
    #[arg(long, default_value_t = 300, value_parser = seconds())]
    challenge_ttl: u64,
    /// Seconds an access token stays valid.
    #[arg(long, default_value_t = 600, value_parser = seconds())]
    jwt_ttl: u64,
    /// Seconds a session (and its refresh tokens) lasts.
    #[arg(long, default_value_t = 86_400, value_parser = seconds())]
    session_ttl: u64,
    /// Daily sats budget of each session (UTC day).
    #[arg(long, default_value_t = 10_000)]
    max_sats_per_day: u64,
    /// Calls per sliding minute of each session.
    #[arg(long, default_value_t = 60)]
    max_calls_per_minute: u32,
    /// Price of a demo-project Lightning quote, in sats.
    #[arg(long, default_value_t = 3)]
    price_sats: u64,
    /// A project that may start sessions: `KEY[:PRICE_SATS]` (price default 50). Repeatable.
    #[arg(long = "project", value_name = "KEY[:PRICE_SATS]")]
    projects: Vec<ProjectSpec>,
    /// Lightning network of the invoices.
    #[arg(long, default_value = "regtest")]
    network: Network,
    /// Seconds after which a demo invoice counts as paid.
    #[arg(long, default_value_t = 2, value_parser = seconds())]
    demo_settle_after: u64,
    /// Derive every key and random value from this seed (byte-identical runs).
    #[arg(long)]
    seed: Option<u64>,
    /// Start the clock at 2026-01-01T00:00:00Z; it moves only via the dev endpoint.
    #[arg(long)]
    manual_clock: bool,
    /// Turn off /api/dev/settle and /api/dev/clock/advance.
    #[arg(long)]
    no_dev_endpoints: bool,
    /// Behave as an API without caller funding (LiveAuth before 1.3): no
    /// /api/mcp/capabilities, no payment confirmation, `fundingMode` ignored.
    #[arg(long)]
    no_caller_funding: bool,
    /// A host name clients use to reach the mock besides localhost and its IP addresses
    /// (any other `Host` is refused, against DNS rebinding). Repeatable.
    #[arg(long = "allow-host", value_name = "NAME")]
    allowed_hosts: Vec<String>,
    #[command(flatten, next_help_heading = "Connection limits")]
    connection_limits: liveauth_serve::Limits,
    /// Cap on live quotes from starts, per project and in total (beyond: 503 with
    /// Retry-After).
    #[arg(long, value_name = "PER_PROJECT/TOTAL", default_value_t = caps().quotes)]
    max_quotes: Cap,
    /// Cap on the Lightning quotes minted for 402 answers.
    #[arg(long, value_name = "PER_PROJECT/TOTAL", default_value_t = caps().challenges)]
    max_challenges: Cap,
    /// Cap on sessions.
    #[arg(long, value_name = "PER_PROJECT/TOTAL", default_value_t = caps().sessions)]
    max_sessions: Cap,
    /// Cap on remembered idempotency keys.
    #[arg(long, value_name = "PER_PROJECT/TOTAL", default_value_t = caps().idempotency)]
    max_idempotency_keys: Cap,
    /// Starts and 402 answers per client address a minute (beyond: 429); 0 is no limit.
    #[arg(long, default_value_t = ClientRate::default().per_minute)]
    client_rate: u32,
    /// Apply --client-rate to loopback clients too (exempt by default, for load tests).
    #[arg(long)]
    rate_limit_loopback: bool,
    /// Seconds a session lasts when a demo invoice settled by itself (nobody paid).
    #[arg(long, default_value_t = 3600, value_parser = seconds())]
    demo_session_ttl: u64,
    /// Calls of /api/demo/resource one paid L402/x402 credential opens.
    #[arg(long, default_value_t = 1)]
    calls_per_payment: u32,
    /// Cap on L402 bundles, pending or active.
    #[arg(long, value_name = "PER_PROJECT/TOTAL", default_value_t = caps().bundles)]
    max_bundles: Cap,
    /// The secret L402 bundle macaroons are signed under (the HMAC key is its SHA-256,
    /// as the hosted API derives its own). Default: derived from the mock's keys (from
    /// --seed when given), so no macaroon of another server ever verifies here.
    #[arg(
        long,
        value_name = "SECRET",
        env = "MOCK_BUNDLE_MACAROON_SECRET",
        hide_env_values = true
    )]
    bundle_macaroon_secret: Option<String>,
    /// The secret `receipt` (mcp-call-receipt-v1) is HMAC-signed with (its UTF-8 bytes);
    /// default: derived from the mock's keys (so from --seed).
    #[arg(long, env = "LIVEAUTH_MOCK_RECEIPT_HMAC_KEY", hide_env_values = true)]
    receipt_hmac_key: Option<String>,
    /// The `keyId` of v1 receipts.
    #[arg(long, default_value = liveauth_protocol::receipt::v1::DEFAULT_KEY_ID)]
    receipt_key_id: String,
    /// A PKCS#8 file (DER or PEM) with the P-256 key `receiptV2` is signed with; default:
    /// derived from the mock's keys (so from --seed).
    #[arg(long, value_name = "FILE")]
    receipt_v2_key: Option<std::path::PathBuf>,
    /// The key id of the receipt-v2 key.
    #[arg(long, default_value = receipts::DEFAULT_V2_KEY_ID)]
    receipt_v2_key_id: String,
    /// The `issuer` of v2 receipts.
    #[arg(long, default_value = receipts::DEFAULT_ISSUER)]
    receipt_issuer: String,
    /// A retired key listed in the key set (it signs nothing; receipts it signed still
    /// verify): KEY_ID=FILE, a PKCS#8 file as for --receipt-v2-key. Repeatable.
    #[arg(long = "retired-receipt-key", value_name = "KEY_ID=FILE")]
    retired_receipt_keys: Vec<String>,
    /// Send only the v1 `receipt`, no `receiptV2` (as a backend without the v2 signer).
    #[arg(long)]
    no_receipt_v2: bool,
}

/// The receipt settings of the command line, keys read and checked.
fn receipt_config(args: &Args) -> anyhow::Result<ReceiptConfig> {
    let signer = |key_id: &str, path: &std::path::Path| -> anyhow::Result<Signer> {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        Signer::from_pkcs8(key_id, &bytes).with_context(|| format!("{}", path.display()))
    };
    let retired = args
        .retired_receipt_keys
        .iter()
        .map(|spec| {
            let (key_id, path) = spec
                .split_once('=')
                .filter(|(key_id, _)| !key_id.is_empty())
                .with_context(|| format!("--retired-receipt-key {spec:?}: use KEY_ID=FILE"))?;
            signer(key_id, std::path::Path::new(path))
        })
        .collect::<anyhow::Result<_>>()?;
    Ok(ReceiptConfig {
        hmac_key: args.receipt_hmac_key.clone(),
        hmac_key_id: args.receipt_key_id.clone(),
        v2_key: match &args.receipt_v2_key {
            Some(path) => Some(signer(&args.receipt_v2_key_id, path)?),
            None => None,
        },
        v2_key_id: args.receipt_v2_key_id.clone(),
        issuer: args.receipt_issuer.clone(),
        retired,
        v2: !args.no_receipt_v2,
        ..ReceiptConfig::default()
    })
}

fn caps() -> Limits {
    Limits::default()
}

/// A duration flag: at most ten years, so time arithmetic can never overflow.
fn seconds() -> clap::builder::RangedU64ValueParser<u64> {
    clap::value_parser!(u64).range(0..=10 * 365 * 86_400)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Whatever RUST_LOG says, no library logs a whole request (tokens included).
    liveauth_protocol::log::init_stderr("mock_api=info,tower_http=info")?;
    let args = Args::parse();
    let receipts = receipt_config(&args)?;
    let config = Config {
        profile: args.profile,
        payment_hash_encoding: args.payment_hash_encoding,
        difficulty_bits: args.difficulty_bits,
        challenge_ttl_secs: args.challenge_ttl,
        jwt_ttl_secs: args.jwt_ttl,
        session_ttl_secs: args.session_ttl,
        max_sats_per_day: args.max_sats_per_day,
        max_calls_per_minute: args.max_calls_per_minute,
        demo_price_sats: args.price_sats,
        projects: args.projects,
        network: args.network,
        demo_settle_after_secs: args.demo_settle_after,
        seed: args.seed,
        manual_clock: args.manual_clock,
        dev_endpoints: !args.no_dev_endpoints,
        caller_funding: !args.no_caller_funding,
        allowed_hosts: args.allowed_hosts,
        connection_limits: args.connection_limits,
        limits: Limits {
            quotes: args.max_quotes,
            challenges: args.max_challenges,
            sessions: args.max_sessions,
            idempotency: args.max_idempotency_keys,
            bundles: args.max_bundles,
        },
        client_rate: ClientRate {
            per_minute: args.client_rate,
            loopback: args.rate_limit_loopback,
        },
        demo_session_ttl_secs: args.demo_session_ttl,
        calls_per_payment: args.calls_per_payment,
        receipts,
        bundle_key: args
            .bundle_macaroon_secret
            .as_deref()
            .map(BundleKey::from_secret),
        ..Config::default()
    };
    let state = AppState::new(config);
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let base = format!("http://{}", listener.local_addr()?);
    print_banner(&state, &base);
    mock_api::serve(listener, state, shutdown_signal()).await?;
    tracing::info!("shut down");
    Ok(())
}

#[allow(clippy::print_stdout)] // the banner is this binary's interface; logs go to stderr
fn print_banner(state: &AppState, base: &str) {
    println!("LiveAuth mock API listening on {base}");
    println!("profile: {}", state.config.profile);
    println!(
        "  demo project key : {DEMO_PUBLIC_KEY} (or POST {base}/api/mcp/start without X-LW-Public)"
    );
    for project in state.projects.iter().skip(1) {
        println!(
            "  project key      : {} ({} sats)",
            project.public_key, project.price_sats
        );
    }
    println!(
        "  lightning node   : {} ({})",
        state.keys.node.node_id_hex(),
        state.config.network
    );
    if state.config.profile.publishes_jwks() {
        println!("  jwks             : {base}/.well-known/jwks.json");
    }
    if state.config.dev_endpoints {
        println!("  dev endpoints    : POST {base}/api/dev/settle/{{paymentHash}}");
        println!("                     POST {base}/api/dev/clock/advance {{\"seconds\": N}}");
    }
    if !state.config.allowed_hosts.is_empty() {
        println!(
            "  also serves Host : {}",
            state.config.allowed_hosts.join(", ")
        );
    }
    if state.config.manual_clock {
        println!("  clock            : manual, now {}", state.now());
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!("cannot listen for Ctrl-C: {error}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!("cannot listen for SIGTERM: {error}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

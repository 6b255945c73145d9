//! `liveauth-mcp`: the LiveAuth MCP server (stdio by default), `liveauth-mcp demo` and
//! `liveauth-mcp setup`.
//! Built without the `embedded-mock` feature, `--embedded-mock` and `demo` say so and fail.

use std::net::SocketAddr;

use anyhow::Context as _;
use clap::builder::TypedValueParser as _;
use clap::{Parser, Subcommand};
use liveauth_mcp::config::Settings;
use liveauth_mcp::http_access::{self, HttpAccess};
use liveauth_mcp::receipts::audit::Audit;
use liveauth_mcp::state::{StateError, StateLocation, Store};
use liveauth_mcp::transport;
use liveauth_mcp::{AgentSession, SolveLimit};
use tokio_util::sync::CancellationToken;

/// MCP server that lets AI agents authenticate to a LiveAuth API by proof-of-work or a
/// Lightning payment and meter their usage in sats. Speaks MCP on stdio by default.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    /// LiveAuth API base URL.
    #[arg(long, env = "LIVEAUTH_API_BASE", global = true)]
    api_base: Option<String>,
    /// Project public key (la_pk_…), sent on every request; without one the server is
    /// anonymous (the API's demo project, real proof-of-work).
    #[arg(long, env = "LIVEAUTH_API_KEY", hide_env_values = true, global = true)]
    api_key: Option<String>,
    /// The legacy simulated demo (POST /api/public/auth/demo/start, no key sent); this
    /// server never invents tokens, so confirm still asks the API.
    #[arg(long, env = "LIVEAUTH_DEMO", global = true, value_parser = clap::builder::BoolishValueParser::new())]
    demo: bool,
    /// Run the mock LiveAuth API in this process and use it (offline); an --api-key is
    /// registered there as a project.
    #[arg(long, conflicts_with = "api_base")]
    embedded_mock: bool,
    /// Where tokens and quotes are kept across restarts: a SQLite file (default
    /// $XDG_STATE_HOME/liveauth-mcp/state.db, else ~/.local/state/liveauth-mcp/state.db;
    /// in memory with --embedded-mock), or `memory` to keep nothing on disk.
    #[arg(long, env = "LIVEAUTH_STATE", value_name = "PATH|memory")]
    state: Option<String>,
    /// Serve MCP over Streamable HTTP at http://ADDR/mcp instead of stdio (loopback only,
    /// unless --http-allow-remote). Every request needs `Authorization: Bearer TOKEN`:
    /// LIVEAUTH_HTTP_TOKEN, or a random token printed to stderr at start.
    #[arg(long, value_name = "ADDR")]
    http: Option<SocketAddr>,
    /// With --http: timeouts, the connection cap and the bound on request heads.
    #[command(flatten, next_help_heading = "HTTP connection limits (with --http)")]
    http_limits: liveauth_serve::Limits,
    /// Allow --http on an address that is not loopback (anyone who can reach it and knows
    /// the token can use this server's tokens).
    #[arg(long, requires = "http")]
    http_allow_remote: bool,
    /// A `Host` name (and browser origin) --http accepts besides localhost, 127.0.0.1 and
    /// [::1], e.g. the name a remote client uses. Repeatable.
    #[arg(long = "http-allow-host", value_name = "NAME", requires = "http")]
    http_allow_hosts: Vec<String>,
    /// Most MCP sessions --http keeps open at once; beyond, `initialize` gets 503.
    #[arg(long, default_value_t = http_access::DEFAULT_MAX_SESSIONS, value_parser = clap::value_parser!(u16).range(1..).map(usize::from))]
    http_max_sessions: usize,
    /// Seconds after which an idle --http session is closed and its memory freed.
    #[arg(long, value_name = "SECS", default_value_t = http_access::DEFAULT_SESSION_IDLE.as_secs(), value_parser = clap::value_parser!(u64).range(1..=86_400))]
    http_session_idle: u64,
    /// Most proof-of-work solves running at once (each uses every core); default: the
    /// number of cores.
    #[arg(long, env = "LIVEAUTH_MAX_SOLVES", value_parser = clap::value_parser!(u16).range(1..).map(usize::from))]
    max_solves: Option<usize>,
    /// Most solves waiting for a turn; beyond, a solve is refused (isError, busy).
    /// Default: as many as --max-solves.
    #[arg(long, env = "LIVEAUTH_MAX_QUEUED_SOLVES", value_parser = clap::value_parser!(u16).map(usize::from))]
    max_queued_solves: Option<usize>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Walk every tool through a real MCP client against the embedded mock (or --api-base).
    Demo,
    /// Signed call receipts.
    Receipts {
        #[command(subcommand)]
        command: ReceiptsCommand,
    },
    /// Print the config that adds this server to an MCP client (never a key); --write
    /// merges it into the client's config file.
    Setup(liveauth_mcp::setup::SetupArgs),
}

#[derive(Debug, Subcommand)]
enum ReceiptsCommand {
    /// Verify a receipt (an envelope, a charge answer or tool result, or a kept receipt
    /// resource): receipt-v2 against the API's key set, mcp-call-receipt-v1 under the
    /// API's secret. Prints each signed payload; exits 0 when every receipt in it
    /// verifies, 1 with the verifier's code otherwise.
    Verify {
        /// The JSON file, or `-` for stdin.
        file: String,
        /// The key set for receipt-v2: the API's base URL (its
        /// /.well-known/liveauth-receipt-keys.json is fetched), the document's URL, or a
        /// saved copy. Default: --api-base.
        #[arg(long, value_name = "URL|FILE")]
        keys: Option<String>,
        /// The API's receipt secret, for mcp-call-receipt-v1.
        #[arg(long, env = "LIVEAUTH_RECEIPT_HMAC_KEY", hide_env_values = true)]
        hmac_key: Option<String>,
        /// Require this `issuer` in a receipt-v2 payload.
        #[arg(long)]
        issuer: Option<String>,
        /// Require this `environment` (TEST, LIVE) in a receipt-v2 payload.
        #[arg(long)]
        environment: Option<String>,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // stdout is the MCP channel: logs go to stderr only, and never a whole message.
    liveauth_protocol::log::init_stderr("liveauth_mcp=info,warn")?;

    match cli.command {
        Some(Command::Demo) => return demo(cli).await,
        Some(Command::Setup(ref args)) => {
            let settings = Settings::new(cli.api_base.clone(), cli.api_key.clone(), cli.demo);
            let mut stdout = std::io::stdout().lock();
            return Ok(liveauth_mcp::setup::run(args, &settings, &mut stdout).await?);
        }
        Some(Command::Receipts {
            command:
                ReceiptsCommand::Verify {
                    ref file,
                    ref keys,
                    ref hmac_key,
                    ref issuer,
                    ref environment,
                },
        }) => {
            let audit = Audit {
                keys: keys.clone().or_else(|| cli.api_base.clone()),
                hmac_key: hmac_key.clone(),
                issuer: issuer.clone(),
                environment: environment.clone(),
            };
            std::process::exit(verify_receipts(&audit, file).await);
        }
        None => {}
    }
    if cli.embedded_mock {
        return serve_with_embedded_mock(cli).await;
    }
    let base = cli.api_base.clone();
    serve(&cli, base, StateLocation::default_file()).await
}

/// Serves MCP (stdio, or HTTP with `--http`) against the API at `base`, keeping state at
/// `--state`, else at `default_state`.
async fn serve(
    cli: &Cli,
    base: Option<String>,
    default_state: Result<StateLocation, StateError>,
) -> anyhow::Result<()> {
    let settings = Settings::new(base, cli.api_key.clone(), cli.demo);
    tracing::info!(?settings, "starting");
    let api = settings.client().context("invalid API base")?;
    let solves = solve_limit(cli);
    let location = match cli.state.as_deref() {
        Some(value) => StateLocation::from_arg(value),
        None => default_state?,
    };
    let store = Store::open(&location)?;
    tracing::info!(state = %location, "state store open");
    let session = AgentSession::for_api(store, &api)?;
    match cli.http {
        Some(addr) => {
            let access = http_access(cli);
            let shutdown = CancellationToken::new();
            let trigger = shutdown.clone();
            tokio::spawn(async move {
                let _ = tokio::signal::ctrl_c().await;
                trigger.cancel();
            });
            transport::serve_http(
                api,
                session,
                solves,
                &access,
                addr,
                cli.http_limits,
                shutdown,
            )
            .await?;
        }
        None => transport::serve_stdio(api, session, solves).await?,
    }
    Ok(())
}

/// `receipts verify`: the payloads on stdout, the verdict on stderr; the exit code.
#[allow(clippy::print_stdout, clippy::print_stderr)] // a command's output, not the MCP channel
async fn verify_receipts(audit: &Audit, file: &str) -> i32 {
    let input = if file == "-" {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes).map(|_| bytes)
    } else {
        std::fs::read(file)
    };
    let input = match input {
        Ok(input) => input,
        Err(error) => {
            eprintln!("invalid: cannot read {file}: {error}");
            return 1;
        }
    };
    match audit.verify(&input).await {
        Ok(verified) => {
            for receipt in verified {
                let payload = serde_json::Value::Object(receipt.payload);
                let json = serde_json::to_string_pretty(&payload).unwrap_or_default();
                println!("{json}");
                eprintln!(
                    "valid: {} signed with key {}",
                    receipt.version, receipt.key_id
                );
            }
            0
        }
        Err(error) => {
            eprintln!("invalid: {error}");
            1
        }
    }
}

/// `--max-solves` and `--max-queued-solves`, defaulting to one per core.
fn solve_limit(cli: &Cli) -> SolveLimit {
    let default = SolveLimit::per_core();
    match cli.max_solves {
        None if cli.max_queued_solves.is_none() => default,
        running => {
            let running = running.unwrap_or_else(|| default.max_running());
            SolveLimit::new(running, cli.max_queued_solves.unwrap_or(running))
        }
    }
}

/// The `--http` access rules. A generated token is printed to stderr, the one secret this
/// server ever writes there: the operator needs it to configure the client.
#[allow(clippy::print_stderr)]
fn http_access(cli: &Cli) -> HttpAccess {
    let (mut access, generated) = HttpAccess::new(std::env::var(http_access::TOKEN_ENV).ok());
    if generated {
        eprintln!(
            "liveauth-mcp: {} is not set; clients must send Authorization: Bearer {}",
            http_access::TOKEN_ENV,
            access.token()
        );
    }
    access.allow_remote = cli.http_allow_remote;
    access.extra_hosts.clone_from(&cli.http_allow_hosts);
    access.max_sessions = cli.http_max_sessions;
    access.session_idle = std::time::Duration::from_secs(cli.http_session_idle);
    access
}

#[cfg(feature = "embedded-mock")]
async fn serve_with_embedded_mock(cli: Cli) -> anyhow::Result<()> {
    let key = cli.api_key.as_deref().filter(|_| !cli.demo);
    let mock = liveauth_mcp::embedded::EmbeddedMock::start_with_project(key).await?;
    // The embedded mock's keys and port are new on every run: nothing kept would be of use.
    let served = serve(&cli, Some(mock.base_url.clone()), Ok(StateLocation::Memory)).await;
    mock.stop().await;
    served
}

#[cfg(feature = "embedded-mock")]
async fn demo(cli: Cli) -> anyhow::Result<()> {
    let key = if cli.demo { None } else { cli.api_key };
    Ok(liveauth_mcp::demo::run(cli.api_base, key).await?)
}

#[cfg(not(feature = "embedded-mock"))]
async fn serve_with_embedded_mock(_: Cli) -> anyhow::Result<()> {
    anyhow::bail!(
        "--embedded-mock needs the `embedded-mock` feature, which this build lacks: run \
         mock-api and pass --api-base, or rebuild with the feature"
    )
}

#[cfg(not(feature = "embedded-mock"))]
async fn demo(_: Cli) -> anyhow::Result<()> {
    anyhow::bail!("demo needs the `embedded-mock` feature, which this build lacks")
}

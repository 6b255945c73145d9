//! `liveauth-mcp`: the LiveAuth MCP server (stdio by default), and `liveauth-mcp demo`.
//! Built without the `embedded-mock` feature, `--embedded-mock` and `demo` say so and fail.

use std::net::SocketAddr;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use liveauth_mcp::AgentSession;
use liveauth_mcp::config::Settings;
use liveauth_mcp::state::{StateError, StateLocation, Store};
use liveauth_mcp::transport;
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
    /// Serve MCP over Streamable HTTP at http://ADDR/mcp instead of stdio.
    #[arg(long, value_name = "ADDR")]
    http: Option<SocketAddr>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Walk every tool through a real MCP client against the embedded mock (or --api-base).
    Demo,
}

/// `RUST_LOG`, except that rmcp never logs below info: at debug it logs whole messages,
/// tokens included, and tokens must never reach a log.
fn log_filter() -> tracing_subscriber::EnvFilter {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "liveauth_mcp=info,warn".into());
    match "rmcp=info".parse() {
        Ok(cap) => filter.add_directive(cap),
        Err(_) => filter,
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // stdout is the MCP channel: logs go to stderr only.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(log_filter())
        .init();

    if let Some(Command::Demo) = cli.command {
        return demo(cli).await;
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
    let location = match cli.state.as_deref() {
        Some(value) => StateLocation::from_arg(value),
        None => default_state?,
    };
    let store = Store::open(&location)?;
    tracing::info!(state = %location, "state store open");
    let session = AgentSession::for_api(store, &api)?;
    match cli.http {
        Some(addr) => {
            let shutdown = CancellationToken::new();
            let trigger = shutdown.clone();
            tokio::spawn(async move {
                let _ = tokio::signal::ctrl_c().await;
                trigger.cancel();
            });
            transport::serve_http(api, session, addr, shutdown).await?;
        }
        None => transport::serve_stdio(api, session).await?,
    }
    Ok(())
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

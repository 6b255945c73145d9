//! `liveauth-mcp`: the LiveAuth MCP server (stdio by default), and `liveauth-mcp demo`.

use std::net::SocketAddr;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use liveauth_mcp::api::ApiClient;
use liveauth_mcp::config::Settings;
use liveauth_mcp::embedded::EmbeddedMock;
use liveauth_mcp::{demo, transport};
use tokio_util::sync::CancellationToken;

/// MCP server that lets AI agents authenticate to a LiveAuth API by proof-of-work or a
/// Lightning payment and meter their usage in sats. Speaks MCP on stdio by default.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    /// LiveAuth API base URL.
    #[arg(long, env = "LIVEAUTH_API_BASE", global = true)]
    api_base: Option<String>,
    /// Project public key (la_pk_…); without one the server runs in demo mode.
    #[arg(long, env = "LIVEAUTH_API_KEY", hide_env_values = true, global = true)]
    api_key: Option<String>,
    /// Force demo mode (the free demo endpoint, no key sent).
    #[arg(long, env = "LIVEAUTH_DEMO", global = true, value_parser = clap::builder::BoolishValueParser::new())]
    demo: bool,
    /// Run the mock LiveAuth API in this process and use it (offline); an --api-key is
    /// registered there as a project.
    #[arg(long, conflicts_with = "api_base")]
    embedded_mock: bool,
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
        let key = if cli.demo { None } else { cli.api_key };
        return Ok(demo::run(cli.api_base, key).await?);
    }

    let mock = if cli.embedded_mock {
        let mut config = mock_api::Config::default();
        if let Some(key) = cli.api_key.as_deref().filter(|_| !cli.demo) {
            // The demo key is known to the mock already; any other must look like one.
            if key != mock_api::config::DEMO_PUBLIC_KEY {
                let project = key
                    .parse()
                    .map_err(|why| anyhow::anyhow!("--api-key: {why}"))?;
                config.projects.push(project);
            }
        }
        Some(EmbeddedMock::start(config).await?)
    } else {
        None
    };
    let base = mock.as_ref().map(|m| m.base_url.clone()).or(cli.api_base);
    let settings = Settings::new(base, cli.api_key, cli.demo);
    tracing::info!(?settings, "starting");
    let api = ApiClient::new(
        &settings.api_base,
        settings.api_key.clone(),
        settings.timeout,
    )
    .context("invalid API base")?;
    match cli.http {
        Some(addr) => {
            let shutdown = CancellationToken::new();
            let trigger = shutdown.clone();
            tokio::spawn(async move {
                let _ = tokio::signal::ctrl_c().await;
                trigger.cancel();
            });
            transport::serve_http(api, addr, shutdown).await?;
        }
        None => transport::serve_stdio(api).await?,
    }
    if let Some(mock) = mock {
        mock.stop().await;
    }
    Ok(())
}

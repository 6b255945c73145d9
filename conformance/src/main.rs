//! `conformance --api-base URL [--api-key KEY] [--level compat|strict] [--junit FILE]`:
//! runs the API checks of the level; `conformance mcp [options] -- COMMAND ARGS…` runs the
//! MCP checks against the server that command starts. Each prints one line per check and
//! the summary; exit status 1 on any failure.

#![allow(clippy::print_stdout)] // this binary's output is its report

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use conformance::mcp::{McpOptions, MockProfile};
use conformance::{Level, Report};

/// Checks a LiveAuth-compatible HTTP API against docs/design.md (compat and strict levels),
/// or, with `mcp`, a LiveAuth MCP server.
#[derive(Debug, Parser)]
#[command(version, args_conflicts_with_subcommands = true)]
struct Args {
    /// Base URL of the API, e.g. http://127.0.0.1:8402 (required without a subcommand)
    #[arg(long, env = "LIVEAUTH_API_BASE")]
    api_base: Option<String>,
    /// Project public key (la_pk_…); without it, quotes are the anonymous demo project's
    /// (POST /api/mcp/start without X-LW-Public).
    #[arg(long, env = "LIVEAUTH_API_KEY")]
    api_key: Option<String>,
    /// compat: what the hosted API does (pass against production and both mock
    /// profiles); strict: compat plus the reference's stronger promises (pass against
    /// `mock-api --profile strict`).
    #[arg(long, default_value = "compat")]
    level: Level,
    /// Also write a JUnit XML report here.
    #[arg(long)]
    junit: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Checks a LiveAuth MCP server from the outside: spawns COMMAND over stdio with
    /// LIVEAUTH_API_BASE and LIVEAUTH_API_KEY, drives the seed's flows through MCP and
    /// cross-checks every answer with the API.
    Mcp(McpArgs),
}

#[derive(Debug, clap::Args)]
struct McpArgs {
    /// The API the server is pointed at; default: a mock the checker serves on loopback
    /// (in --profile), with dev endpoints, so every check can run.
    #[arg(long)]
    api_base: Option<String>,
    /// Given to the server as LIVEAUTH_API_KEY (and registered in the checker's own mock);
    /// without it the server runs keyless (the anonymous demo project).
    #[arg(long)]
    api_key: Option<String>,
    /// compat: what the seed README promises; strict: compat plus this implementation's
    /// promises (schemas, annotations, progress, cancellation, no secrets on stderr, 1.x).
    #[arg(long, default_value = "compat")]
    level: Level,
    /// Profile of the checker's own mock (without --api-base).
    #[arg(long, default_value = "hosted", conflicts_with = "api_base")]
    profile: MockProfile,
    /// Seconds one tool call or API request may take.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600))]
    timeout: u64,
    /// Also write a JUnit XML report here.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Check a server already serving Streamable HTTP at this URL instead of spawning one
    /// (needs --api-base: the API that server is pointed at).
    #[arg(
        long,
        value_name = "URL",
        requires = "api_base",
        conflicts_with = "command"
    )]
    mcp_url: Option<String>,
    /// With --mcp-url: sent as `Authorization: Bearer TOKEN`.
    #[arg(long, value_name = "TOKEN", requires = "mcp_url")]
    bearer: Option<String>,
    /// The server's command and arguments, e.g. `-- npx -y @liveauth-labs/mcp-server`.
    #[arg(
        last = true,
        required_unless_present = "mcp_url",
        value_name = "COMMAND"
    )]
    command: Vec<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let args = Args::parse();
    let (report, level, junit) = match args.command {
        Some(Command::Mcp(mcp)) => {
            let mut options = McpOptions::new(mcp.command.clone());
            options.mcp_url = mcp.mcp_url.clone();
            options.bearer = mcp.bearer;
            options.api_base = mcp.api_base;
            options.api_key = mcp.api_key;
            options.level = mcp.level;
            options.profile = mcp.profile;
            options.timeout = Duration::from_secs(mcp.timeout);
            println!(
                "LiveAuth MCP conformance of `{}` against {} ({}), level {}",
                mcp.mcp_url.unwrap_or_else(|| mcp.command.join(" ")),
                conformance::mcp::describe(&options),
                mode(options.api_key.as_deref()),
                mcp.level
            );
            let report = conformance::mcp::run(options, |result| println!("{}", result.line()))
                .await
                .map_err(anyhow::Error::msg)
                .context("cannot run the MCP checks")?;
            (report, mcp.level, mcp.junit)
        }
        None => {
            let Some(api_base) = args.api_base else {
                anyhow::bail!("--api-base URL (or LIVEAUTH_API_BASE) is required");
            };
            let mut options = conformance::Options::new(api_base.clone(), args.api_key.clone());
            options.level = args.level;
            println!(
                "LiveAuth conformance against {api_base} ({}), level {}",
                mode(args.api_key.as_deref()),
                args.level
            );
            let report = conformance::run(options, |result| println!("{}", result.line()))
                .await
                .map_err(anyhow::Error::msg)
                .context("cannot run the checks")?;
            (report, args.level, args.junit)
        }
    };
    finish(&report, level, junit.as_deref())
}

fn mode(key: Option<&str>) -> &'static str {
    match key {
        Some(_) => "keyed project",
        None => "keyless: the anonymous demo project",
    }
}

/// Prints the summary, writes the JUnit file; failure when any check failed.
fn finish(
    report: &Report,
    level: Level,
    junit: Option<&std::path::Path>,
) -> anyhow::Result<ExitCode> {
    println!("level {level}: {}", report.summary());
    if let Some(path) = junit {
        std::fs::write(path, conformance::junit::to_junit_xml(report))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(if report.failed() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

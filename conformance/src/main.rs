//! `conformance --api-base URL [--api-key KEY] [--level compat|strict] [--junit FILE]`:
//! runs the API checks of the level and prints one line per check and the summary; exit
//! status 1 on any failure.

#![allow(clippy::print_stdout)] // this binary's output is its report

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;

/// Checks a LiveAuth-compatible HTTP API against docs/design.md (compat and strict levels).
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Base URL of the API, e.g. http://127.0.0.1:8402
    #[arg(long, env = "LIVEAUTH_API_BASE")]
    api_base: String,
    /// Project public key (la_pk_…); without it, quotes are the anonymous demo project's
    /// (POST /api/mcp/start without X-LW-Public).
    #[arg(long, env = "LIVEAUTH_API_KEY")]
    api_key: Option<String>,
    /// compat: what the hosted API does (pass against production and both mock
    /// profiles); strict: compat plus the reference's stronger promises (pass against
    /// `mock-api --profile strict`).
    #[arg(long, default_value = "compat")]
    level: conformance::Level,
    /// Also write a JUnit XML report here.
    #[arg(long)]
    junit: Option<std::path::PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let args = Args::parse();
    let mut options = conformance::Options::new(args.api_base.clone(), args.api_key.clone());
    options.level = args.level;
    let mode = match &args.api_key {
        Some(_) => "keyed project",
        None => "keyless: the anonymous demo project",
    };
    println!(
        "LiveAuth conformance against {} ({mode}), level {}",
        args.api_base, args.level
    );
    let report = conformance::run(options, |result| println!("{}", result.line()))
        .await
        .map_err(anyhow::Error::msg)
        .context("cannot run the checks")?;
    println!("level {}: {}", args.level, report.summary());
    if let Some(path) = &args.junit {
        std::fs::write(path, conformance::junit::to_junit_xml(&report))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(if report.failed() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

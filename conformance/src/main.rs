//! `conformance --api-base URL [--api-key KEY] [--junit FILE]`: runs the API checks and
//! prints one line per check and the summary; exit status 1 on any failure.

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
    /// Project public key (la_pk_…); without it the demo start endpoint is used.
    #[arg(long, env = "LIVEAUTH_API_KEY")]
    api_key: Option<String>,
    /// Also write a JUnit XML report here.
    #[arg(long)]
    junit: Option<std::path::PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let args = Args::parse();
    let options = conformance::Options::new(args.api_base.clone(), args.api_key.clone());
    let mode = match &args.api_key {
        Some(_) => "keyed project",
        None => "demo mode",
    };
    println!("LiveAuth conformance against {} ({mode})", args.api_base);
    let report = conformance::run(options, |result| println!("{}", result.line()))
        .await
        .map_err(anyhow::Error::msg)
        .context("cannot run the checks")?;
    println!("{}", report.summary());
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

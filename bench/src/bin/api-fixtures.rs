//! Fixtures and memory churn for the API load scenarios (`bench/api-load.sh` runs them):
//!
//! ```text
//! api-fixtures confirm-bodies BASE COUNT FILE   # COUNT pre-solved confirm bodies, one JSON per line
//! api-fixtures tokens BASE COUNT FILE           # COUNT sessions' access tokens, one per line
//! api-fixtures churn BASE PID ROUNDS QUOTES     # RSS of PID while quotes are made and expire
//! ```
//!
//! All requests go to the demo project (`POST /api/public/demo/start`) over 64
//! connections. Solving happens here, before any timed window.

#![allow(clippy::print_stdout)] // reports are this program's output

use std::io::Write as _;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context as _, bail};
use liveauth_bench::rss_mib;
use liveauth_protocol::wire::{ConfirmRequest, ConfirmResponse, StartResponse};

const CONNECTIONS: usize = 64;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage =
        "usage: api-fixtures confirm-bodies|tokens BASE COUNT FILE | churn BASE PID ROUNDS QUOTES";
    let arg = |i: usize| args.get(i).map(String::as_str).context(usage);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CONNECTIONS)
        .build()?;
    let base: Arc<str> = arg(1)?.trim_end_matches('/').into();
    match arg(0)? {
        "confirm-bodies" => {
            let bodies = many(&http, &base, arg(2)?.parse()?, solved_body).await?;
            write_lines(arg(3)?, bodies.iter().map(serde_json::to_string))?;
        }
        "tokens" => {
            let tokens = many(&http, &base, arg(2)?.parse()?, session_token).await?;
            write_lines(arg(3)?, tokens.into_iter().map(Ok::<_, serde_json::Error>))?;
        }
        "churn" => {
            churn(
                &http,
                &base,
                arg(2)?.parse()?,
                arg(3)?.parse()?,
                arg(4)?.parse()?,
            )
            .await?
        }
        _ => bail!("{usage}"),
    }
    Ok(())
}

/// Runs `job` `count` times over [`CONNECTIONS`] concurrent tasks.
async fn many<T, F, Fut>(
    http: &reqwest::Client,
    base: &Arc<str>,
    count: usize,
    job: F,
) -> anyhow::Result<Vec<T>>
where
    T: Send + 'static,
    F: Fn(reqwest::Client, Arc<str>) -> Fut + Copy + Send + 'static,
    Fut: Future<Output = anyhow::Result<T>> + Send,
{
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..CONNECTIONS {
        let share = count / CONNECTIONS + usize::from(worker < count % CONNECTIONS);
        let (http, base) = (http.clone(), base.clone());
        tasks.spawn(async move {
            let mut out = Vec::with_capacity(share);
            for _ in 0..share {
                out.push(job(http.clone(), base.clone()).await?);
            }
            anyhow::Ok(out)
        });
    }
    let mut all = Vec::with_capacity(count);
    while let Some(done) = tasks.join_next().await {
        all.extend(done??);
    }
    Ok(all)
}

async fn start(http: &reqwest::Client, base: &str) -> anyhow::Result<StartResponse> {
    let response = http
        .post(format!("{base}/api/public/demo/start"))
        .json(&serde_json::json!({}))
        .send()
        .await?
        .error_for_status()?;
    Ok(response.json().await?)
}

/// A new quote, solved: the confirm body that redeems it.
async fn solved_body(http: reqwest::Client, base: Arc<str>) -> anyhow::Result<ConfirmRequest> {
    Ok(liveauth_testkit::pow::solved(&start(&http, &base).await?)?)
}

/// A new session's access token.
async fn session_token(http: reqwest::Client, base: Arc<str>) -> anyhow::Result<String> {
    let body = solved_body(http.clone(), base.clone()).await?;
    let confirmed: ConfirmResponse = http
        .post(format!("{base}/api/mcp/confirm"))
        .json(&body)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    confirmed.jwt.context("confirm gave no token")
}

fn write_lines<E: std::error::Error + Send + Sync + 'static>(
    path: &str,
    lines: impl Iterator<Item = Result<String, E>>,
) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for line in lines {
        writeln!(out, "{}", line?)?;
    }
    out.flush()?;
    Ok(())
}

/// `rounds` times: `quotes` new quotes, then the clock moved past their expiry and the
/// purge grace (the mock must run with `--manual-clock`), reporting RSS after each step.
async fn churn(
    http: &reqwest::Client,
    base: &Arc<str>,
    pid: u32,
    rounds: usize,
    quotes: usize,
) -> anyhow::Result<()> {
    let (rss, hwm) = rss_mib(pid)?;
    println!("| step | quotes held | VmRSS MiB | VmHWM MiB |");
    println!("|---|---:|---:|---:|");
    println!("| start | 0 | {rss:.1} | {hwm:.1} |");
    for round in 1..=rounds {
        let started = Instant::now();
        many(http, base, quotes, |http, base| async move {
            start(&http, &base).await.map(drop)
        })
        .await?;
        let elapsed = started.elapsed().as_secs_f64();
        let (rss, hwm) = rss_mib(pid)?;
        println!(
            "| round {round}: {quotes} quotes in {elapsed:.1} s | {quotes} | {rss:.1} | {hwm:.1} |"
        );
        // Past the challenge TTL (300 s) and the status grace (3600 s): the advance purges.
        http.post(format!("{base}/api/dev/clock/advance"))
            .json(&serde_json::json!({ "seconds": 4000 }))
            .send()
            .await?
            .error_for_status()?;
        let (rss, hwm) = rss_mib(pid)?;
        println!("| round {round}: expired and purged | 0 | {rss:.1} | {hwm:.1} |");
    }
    Ok(())
}

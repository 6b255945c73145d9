//! Fixtures and memory churn for the API load scenarios (`bench/api-load.sh` runs them):
//!
//! ```text
//! api-fixtures confirm-bodies BASE COUNT FILE   # COUNT pre-solved confirm bodies, one JSON per line
//! api-fixtures tokens BASE COUNT FILE           # COUNT sessions' access tokens, one per line
//! api-fixtures churn BASE PID ROUNDS QUOTES     # RSS of PID while quotes are made and expire
//! api-fixtures flood BASE PID STARTS            # RSS of PID during STARTS starts at full speed
//! api-fixtures soak BASE PID SECONDS            # RSS of PID during SECONDS of starts
//! ```
//!
//! All requests go to the demo project (`POST /api/public/demo/start`) over 64
//! connections. Solving happens here, before any timed window.

#![allow(clippy::print_stdout)] // reports are this program's output

use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use liveauth_bench::rss_mib;
use liveauth_protocol::wire::{ConfirmRequest, ConfirmResponse, StartResponse};

const CONNECTIONS: usize = 64;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: api-fixtures confirm-bodies|tokens BASE COUNT FILE | churn BASE PID \
                 ROUNDS QUOTES | flood BASE PID STARTS | soak BASE PID SECONDS";
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
        "flood" => {
            let until = Until::Count(arg(3)?.parse()?);
            flood(&http, &base, arg(2)?.parse()?, until).await?
        }
        "soak" => {
            let until = Until::Elapsed(Duration::from_secs(arg(3)?.parse()?));
            flood(&http, &base, arg(2)?.parse()?, until).await?
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

/// When a flood stops.
#[derive(Debug, Clone, Copy)]
enum Until {
    Count(usize),
    Elapsed(Duration),
}

/// Answers of a flood: accepted, refused with `Retry-After` (429/503), anything else.
#[derive(Debug, Default)]
struct Tally {
    sent: AtomicUsize,
    ok: AtomicUsize,
    refused: AtomicUsize,
    other: AtomicUsize,
}

/// PoW starts as fast as [`CONNECTIONS`] connections send them, whatever the answers,
/// until `until`; a row of RSS every 5 s and at the end. The caps decide what is kept.
async fn flood(
    http: &reqwest::Client,
    base: &Arc<str>,
    pid: u32,
    until: Until,
) -> anyhow::Result<()> {
    let tally = Arc::new(Tally::default());
    let began = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..CONNECTIONS {
        let (http, base, tally) = (http.clone(), base.clone(), tally.clone());
        workers.spawn(async move {
            let url = format!("{base}/api/public/demo/start");
            loop {
                let more = match until {
                    Until::Count(n) => tally.sent.fetch_add(1, Ordering::Relaxed) < n,
                    Until::Elapsed(limit) => began.elapsed() < limit,
                };
                if !more {
                    return anyhow::Ok(());
                }
                let response = http.post(&url).json(&serde_json::json!({})).send().await?;
                let counter = match response.status().as_u16() {
                    200 => &tally.ok,
                    429 | 503 => &tally.refused,
                    _ => &tally.other,
                };
                counter.fetch_add(1, Ordering::Relaxed);
                response.bytes().await?;
            }
        });
    }
    println!("| elapsed | answered | 200 | 429/503 | other | VmRSS MiB | VmHWM MiB |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    let row = |tally: &Tally| -> anyhow::Result<()> {
        let (rss, hwm) = rss_mib(pid)?;
        let [ok, refused, other] =
            [&tally.ok, &tally.refused, &tally.other].map(|c| c.load(Ordering::Relaxed));
        println!(
            "| {:.0} s | {} | {ok} | {refused} | {other} | {rss:.1} | {hwm:.1} |",
            began.elapsed().as_secs_f64(),
            ok + refused + other
        );
        Ok(())
    };
    row(&tally)?;
    let mut ticks = tokio::time::interval_at(
        tokio::time::Instant::now() + Duration::from_secs(5),
        Duration::from_secs(5),
    );
    loop {
        tokio::select! {
            done = workers.join_next() => match done {
                Some(done) => done??,
                None => break,
            },
            _ = ticks.tick() => row(&tally)?,
        }
    }
    row(&tally)
}

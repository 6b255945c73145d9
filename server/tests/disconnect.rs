//! A client that disconnects in the middle of a solve stops the solver threads. Alone in
//! its test binary, so the process's CPU time belongs to this test only.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a panic is a failed test

mod common;

use std::time::Duration;

use liveauth_mcp::LiveAuthServer;
use liveauth_mcp::in_process::{self, InProcess};

/// User plus system CPU time of this process, in clock ticks (from /proc/self/stat).
fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    // Fields after the command name, which is in parentheses and may contain spaces.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

#[tokio::test]
async fn disconnect_mid_solve_stops_the_solver() {
    let (mock, api) = common::mock_at_difficulty(40).await;
    let InProcess { client, server } = in_process::connect(LiveAuthServer::new(api)).await.unwrap();
    let (_quote_id, _handle) =
        liveauth_testkit::mcp::solve_in_background(&client, "liveauth_mcp_solve")
            .await
            .unwrap();

    // The solver is busy: CPU time grows.
    let before = cpu_ticks();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(cpu_ticks() > before, "the solver did not start");

    // The client goes away without cancelling anything.
    drop(client);
    // rmcp lets in-flight requests finish for up to 5 s after the transport closes, then
    // cancels them; the solver stops at that cancellation.
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .unwrap()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let settled = cpu_ticks();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    // Two busy solver threads would burn ~200 ticks in that second; an idle process ~0.
    let burned = cpu_ticks() - settled;
    assert!(
        burned < 20,
        "solver threads still running after disconnect: {burned} ticks/s"
    );
    mock.stop().await;
}

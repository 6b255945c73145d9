//! `liveauth-mcp --http` (the built binary) on a real loopback socket against slow and
//! greedy clients (issue 12, fault 1): the checks `mock-api/tests/sockets.rs` runs against
//! the mock, here through the server's own flags. No API is needed: nothing here reaches
//! a tool.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a panic is a failed test

use std::net::SocketAddr;
use std::time::Duration;

use liveauth_testkit::process;
use liveauth_testkit::socket;
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_liveauth-mcp");

/// A running `liveauth-mcp --http 127.0.0.1:0`; killed when dropped.
struct Server {
    addr: SocketAddr,
    _child: Child,
}

/// Starts the binary with `flags` and reads its address from the log line it prints.
async fn start(flags: &[&str]) -> Server {
    let mut command = Command::new(BIN);
    command
        .args(["--http", "127.0.0.1:0", "--api-base", "http://127.0.0.1:9"])
        .args(flags);
    let mut spawned = process::spawn(&mut command, "liveauth_mcp=info");
    let addr = spawned
        .stderr
        .find(|line| {
            let rest = line.split("http://").nth(1)?;
            Some(rest.strip_suffix("/mcp")?.parse().unwrap())
        })
        .await;
    // Keep reading stderr so the server never blocks on a full pipe.
    spawned.stderr.drain();
    Server {
        addr,
        _child: spawned.child,
    }
}

#[tokio::test]
async fn a_slow_first_head_is_cut_off() {
    let server = start(&["--header-read-timeout", "300ms", "--idle-timeout", "60s"]).await;
    socket::slow_first_head_is_cut_off(server.addr, "/mcp", Duration::from_millis(300))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_slow_next_head_is_cut_off() {
    let server = start(&["--header-read-timeout", "300ms", "--idle-timeout", "60s"]).await;
    socket::slow_next_head_is_cut_off(server.addr, "/mcp")
        .await
        .unwrap();
}

#[tokio::test]
async fn an_idle_connection_is_closed() {
    let server = start(&["--header-read-timeout", "60s", "--idle-timeout", "300ms"]).await;
    socket::idle_connection_is_closed(server.addr, "/mcp", Duration::from_millis(300))
        .await
        .unwrap();
}

#[tokio::test]
async fn connections_beyond_the_cap_are_refused_at_once() {
    let server = start(&["--max-connections", "4"]).await;
    socket::extra_connections_are_refused(server.addr, "/mcp", 4)
        .await
        .unwrap();
}

/// An MCP message announced above 1 MiB is 413 at once, with no `100 Continue`.
#[tokio::test]
async fn an_oversized_announced_body_is_refused_unread() {
    let server = start(&[]).await;
    socket::oversized_body_is_refused_unread(server.addr, "/mcp")
        .await
        .unwrap();
}

#[tokio::test]
async fn an_oversized_head_is_431() {
    let server = start(&[]).await;
    socket::oversized_head_is_431(server.addr, "/mcp", 16 * 1024)
        .await
        .unwrap();
    let server = start(&["--max-header-bytes", "4096"]).await;
    socket::oversized_head_is_431(server.addr, "/mcp", 4096)
        .await
        .unwrap();
}

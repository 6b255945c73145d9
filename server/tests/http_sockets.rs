//! `liveauth-mcp --http` (the built binary) on a real loopback socket against slow and
//! greedy clients (issue 12, fault 1): the checks `mock-api/tests/sockets.rs` runs against
//! the mock (`liveauth_testkit::socket_tests!`), here through the server's own flags. No
//! API is needed: nothing here reaches a tool.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a panic is a failed test

use std::net::SocketAddr;
use std::time::Duration;

use liveauth_testkit::process;
use liveauth_testkit::socket::{Limits, Listening};
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_liveauth-mcp");

/// A running `liveauth-mcp --http 127.0.0.1:0`; killed when dropped.
struct Server {
    addr: SocketAddr,
    _child: Child,
}

impl Listening for Server {
    fn addr(&self) -> SocketAddr {
        self.addr
    }
}

/// Starts the binary within `limits` (given as its flags) and reads its address from the
/// log line it prints.
async fn start(limits: Limits) -> Server {
    let millis = |timeout: Duration| format!("{}ms", timeout.as_millis());
    let mut command = Command::new(BIN);
    command
        .args(["--http", "127.0.0.1:0", "--api-base", "http://127.0.0.1:9"])
        .args(["--header-read-timeout", &millis(limits.header_read_timeout)])
        .args(["--idle-timeout", &millis(limits.idle_timeout)])
        .args(["--max-connections", &limits.max_connections.to_string()])
        .args(["--max-header-bytes", &limits.max_header_bytes.to_string()]);
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

// An MCP message announced above 1 MiB.
liveauth_testkit::socket_tests!(serve: start, get: "/mcp", bodies: ["/mcp"]);

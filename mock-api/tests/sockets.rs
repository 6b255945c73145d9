//! The mock on a real loopback socket against slow and greedy clients (issue 12, fault 1):
//! header-read and idle timeouts, the connection cap, an immediate 413 for an announced
//! oversized body, and bounded heads. Timeouts are configured short; every wait is
//! bounded (`liveauth_testkit::socket::BOUND`). `server/tests/http_sockets.rs` runs the
//! same checks (`liveauth_testkit::socket_tests!`) against `liveauth-mcp --http`.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a panic is a failed test

use std::net::SocketAddr;

use liveauth_serve::Limits;
use mock_api::Config;

/// Serves the mock within `limits` on 127.0.0.1:0.
async fn serve(limits: Limits) -> SocketAddr {
    let config = Config {
        connection_limits: limits,
        ..liveauth_testkit::mock::config(7)
    };
    let served = liveauth_testkit::mock::serve(config).await.unwrap();
    served.base.trim_start_matches("http://").parse().unwrap()
}

// A body announced above 64 KiB, on a route that reads bodies and on one that does not.
liveauth_testkit::socket_tests!(
    serve: serve,
    get: "/healthz",
    bodies: ["/api/mcp/start", "/api/dev/clock/advance", "/healthz"],
);

//! The mock on a real loopback socket against slow and greedy clients (issue 12, fault 1):
//! header-read and idle timeouts, the connection cap, an immediate 413 for an announced
//! oversized body, and bounded heads. Timeouts are configured short; every wait is
//! bounded (`liveauth_testkit::socket::BOUND`). `server/tests/http_sockets.rs` runs the
//! same checks against `liveauth-mcp --http`.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a panic is a failed test

use std::net::SocketAddr;
use std::time::Duration;

use liveauth_serve::Limits;
use liveauth_testkit::socket;
use mock_api::Config;

const SHORT: Duration = Duration::from_millis(300);
const LONG: Duration = Duration::from_secs(60);

/// Serves the mock within `limits` on 127.0.0.1:0.
async fn serve(limits: Limits) -> SocketAddr {
    let config = Config {
        connection_limits: limits,
        ..liveauth_testkit::mock::config(7)
    };
    let served = liveauth_testkit::mock::serve(config).await.unwrap();
    served.base.trim_start_matches("http://").parse().unwrap()
}

fn timeouts(header_read_timeout: Duration, idle_timeout: Duration) -> Limits {
    Limits {
        header_read_timeout,
        idle_timeout,
        ..Limits::default()
    }
}

/// A new connection that drips its head byte by byte is closed at the header-read timeout.
#[tokio::test]
async fn a_slow_first_head_is_cut_off() {
    let addr = serve(timeouts(SHORT, LONG)).await;
    socket::slow_first_head_is_cut_off(addr, "/healthz", SHORT)
        .await
        .unwrap();
}

/// A kept-alive connection that starts its next head and drips it is closed at the
/// header-read timeout, though the idle timeout is a minute.
#[tokio::test]
async fn a_slow_next_head_is_cut_off() {
    let addr = serve(timeouts(SHORT, LONG)).await;
    socket::slow_next_head_is_cut_off(addr, "/healthz")
        .await
        .unwrap();
}

/// A kept-alive connection that sends nothing more is closed at the idle timeout, not the
/// (longer) header-read timeout.
#[tokio::test]
async fn an_idle_connection_is_closed() {
    let addr = serve(timeouts(LONG, SHORT)).await;
    socket::idle_connection_is_closed(addr, "/healthz", SHORT)
        .await
        .unwrap();
}

/// Beyond the cap a connection is answered 503 (or closed) at once, never left waiting;
/// once a held one closes, new connections are served again.
#[tokio::test]
async fn connections_beyond_the_cap_are_refused_at_once() {
    let addr = serve(Limits {
        max_connections: 4,
        ..timeouts(LONG, LONG)
    })
    .await;
    socket::extra_connections_are_refused(addr, "/healthz", 4)
        .await
        .unwrap();
}

/// A body announced above 64 KiB is answered 413 at once, on a route that reads bodies and
/// on one that does not, and `Expect: 100-continue` gets no `100 Continue`.
#[tokio::test]
async fn an_oversized_announced_body_is_refused_unread() {
    let addr = serve(Limits::default()).await;
    for path in ["/api/mcp/start", "/api/dev/clock/advance", "/healthz"] {
        socket::oversized_body_is_refused_unread(addr, path)
            .await
            .unwrap();
    }
}

/// Request line plus headers are bounded: 16 KiB by default, or as configured; 431 above.
#[tokio::test]
async fn an_oversized_head_is_431() {
    let default = Limits::default();
    let addr = serve(default).await;
    let max = usize::try_from(default.max_header_bytes).unwrap();
    socket::oversized_head_is_431(addr, "/healthz", max)
        .await
        .unwrap();

    let addr = serve(Limits {
        max_header_bytes: 4096,
        ..default
    })
    .await;
    socket::oversized_head_is_431(addr, "/healthz", 4096)
        .await
        .unwrap();
}

//! The server survives its API going away mid-session and coming back.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a panic is a failed test

mod common;

use common::{Harness, Profile, mock_config};
use liveauth_mcp::embedded::EmbeddedMock;
use liveauth_testkit::mock::hosted_or_strict;
use serde_json::json;

/// While the API is down, calls fail with a clear transport error; when a fresh API comes
/// back (it has forgotten the session), the old token is refused, and
/// `liveauth_mcp_authenticate` starts a new session by itself.
async fn api_goes_away_and_comes_back(profile: Profile) {
    let mut h = Harness::new(profile).await;
    h.ok("liveauth_mcp_authenticate", json!({})).await;
    h.ok("liveauth_mcp_charge", json!({"callCostSats": 1}))
        .await;
    let addr: std::net::SocketAddr = h.base.trim_start_matches("http://").parse().unwrap();

    h.mock.take().unwrap().stop().await;
    let down = h
        .err("liveauth_mcp_charge", json!({"callCostSats": 1}))
        .await;
    assert!(
        down.contains(&format!("cannot reach the LiveAuth API at {}", h.base)),
        "{down}"
    );
    let down = h.err("liveauth_mcp_usage", json!({})).await;
    assert!(down.contains("cannot reach"), "{down}");

    let mock = EmbeddedMock::start_at(
        addr,
        mock_api::Config {
            seed: Some(99),
            ..mock_config(profile)
        },
    )
    .await
    .unwrap();
    let stale = h
        .err("liveauth_mcp_charge", json!({"callCostSats": 1}))
        .await;
    let refusal = hosted_or_strict(profile, "Invalid refresh token", "invalid_grant");
    assert!(stale.contains(refusal), "{stale}");
    assert!(stale.contains("liveauth_mcp_authenticate"), "{stale}");
    let gone = h.err("liveauth_mcp_usage", json!({})).await;
    assert!(gone.starts_with("not authenticated"), "{gone}");

    h.ok("liveauth_mcp_authenticate", json!({})).await;
    h.first_charge(2).await;
    mock.stop().await;
}

liveauth_testkit::on_both_profiles!(api_goes_away_and_comes_back);

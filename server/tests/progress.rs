//! A long solve reports progress to a client that asked for it, and stops when the client
//! cancels the request.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a panic is a failed test

mod common;

use std::time::Duration;

use liveauth_mcp::LiveAuthServer;
use liveauth_mcp::in_process;
use rmcp::model::ProgressNotificationParam;
use rmcp::service::NotificationContext;
use rmcp::{ClientHandler, RoleClient};
use serde_json::json;
use tokio::sync::mpsc;

struct ProgressClient {
    sink: mpsc::UnboundedSender<ProgressNotificationParam>,
}

impl ClientHandler for ProgressClient {
    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _: NotificationContext<RoleClient>,
    ) {
        let _ = self.sink.send(params);
    }
}

#[tokio::test]
async fn solve_reports_progress_and_stops_on_cancel() {
    solving_reports_progress_and_stops_on_cancel("liveauth_mcp_solve").await;
}

/// Confirm with only the quote solves by itself, the same way.
#[tokio::test]
async fn confirm_reports_progress_and_stops_on_cancel() {
    solving_reports_progress_and_stops_on_cancel("liveauth_mcp_confirm").await;
}

async fn solving_reports_progress_and_stops_on_cancel(tool: &str) {
    // 30 bits: about a billion hashes, far more than the test waits for.
    let (mock, api) = common::mock_at_difficulty(30).await;
    let (sink, mut progress) = mpsc::unbounded_channel();
    let client = in_process::connect_with(LiveAuthServer::new(api), ProgressClient { sink })
        .await
        .unwrap()
        .client;

    let call = liveauth_testkit::mcp::request;
    let (quote_id, handle) = liveauth_testkit::mcp::solve_in_background(&client, tool)
        .await
        .unwrap();
    let token = handle.progress_token.clone();

    let first = tokio::time::timeout(Duration::from_secs(30), progress.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.progress_token, token);
    assert_eq!(first.total, Some(2f64.powi(30)));
    assert!(first.message.unwrap().contains("hashes tried"));
    let second = tokio::time::timeout(Duration::from_secs(30), progress.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(second.progress >= first.progress, "progress went backwards");

    handle.cancel(Some("test".into())).await.unwrap();
    // The server keeps serving, and the cancelled solve left no solution behind (with a
    // solution field given, confirm does not solve by itself).
    let arguments = json!({"quoteId": quote_id, "challengeHex": "00"});
    let confirm = client
        .call_tool(call("liveauth_mcp_confirm", arguments))
        .await
        .unwrap();
    assert_eq!(confirm.is_error, Some(true));
    assert!(common::text(&confirm).contains("call liveauth_mcp_solve first"));
    client.cancel().await.unwrap();
    mock.stop().await;
}

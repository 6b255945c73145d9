//! A long solve reports progress to a client that asked for it, and stops when the client
//! cancels the request.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a panic is a failed test

mod common;

use std::time::Duration;

use liveauth_mcp::LiveAuthServer;
use liveauth_mcp::api::ApiClient;
use liveauth_mcp::embedded::EmbeddedMock;
use liveauth_mcp::in_process;
use rmcp::model::{CallToolRequestParams, ClientRequest, ProgressNotificationParam, Request};
use rmcp::service::{NotificationContext, PeerRequestOptions};
use rmcp::{ClientHandler, RoleClient};
use serde_json::{Map, json};
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
    // 30 bits: about a billion hashes, far more than the test waits for.
    let mock = EmbeddedMock::start(mock_api::Config {
        difficulty_bits: 30,
        ..common::mock_config()
    })
    .await
    .unwrap();
    let api = ApiClient::new(
        &mock.base_url,
        Some(common::DEMO_KEY.to_owned()),
        Duration::from_secs(5),
    )
    .unwrap();
    let (sink, mut progress) = mpsc::unbounded_channel();
    let client = in_process::connect_with(LiveAuthServer::new(api), ProgressClient { sink })
        .await
        .unwrap()
        .client;

    let call = |name: &str, args: serde_json::Value| {
        let serde_json::Value::Object(args) = args else {
            unreachable!()
        };
        CallToolRequestParams::new(name.to_owned()).with_arguments(args)
    };
    let start = client
        .call_tool(call("liveauth_mcp_start", json!({})))
        .await
        .unwrap();
    let quote_id = start.structured_content.unwrap()["quoteId"]
        .as_str()
        .unwrap()
        .to_owned();

    let request = ClientRequest::CallToolRequest(Request::new(
        CallToolRequestParams::new("liveauth_mcp_solve")
            .with_arguments(Map::from_iter([("quoteId".to_owned(), json!(quote_id))])),
    ));
    let handle = client
        .send_cancellable_request(request, PeerRequestOptions::no_options())
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
    // The server keeps serving, and the cancelled solve left no solution behind.
    let confirm = client
        .call_tool(call("liveauth_mcp_confirm", json!({"quoteId": quote_id})))
        .await
        .unwrap();
    assert_eq!(confirm.is_error, Some(true));
    assert!(common::text(&confirm).contains("call liveauth_mcp_solve first"));
    client.cancel().await.unwrap();
    mock.stop().await;
}

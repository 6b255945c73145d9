//! The embedded mock of `--embedded-mock` (issue 12, fault 5): it serves the API but no
//! dev endpoints, which would let any local process settle invoices or move its clock.

use liveauth_mcp::embedded::EmbeddedMock;
use serde_json::json;

#[tokio::test]
async fn the_embedded_mock_serves_no_dev_endpoints() {
    let mock = EmbeddedMock::start_with_project(None).await.unwrap();
    let http = reqwest::Client::new();
    let post = |path: &str, body| {
        http.post(format!("{}{path}", mock.base_url))
            .json(&body)
            .send()
    };
    let start = post("/api/mcp/start", json!({})).await.unwrap();
    assert_eq!(start.status(), 200);
    for path in [
        "/api/dev/clock/advance",
        "/api/dev/settle/0000000000000000000000000000000000000000000000000000000000000000",
    ] {
        let answer = post(path, json!({"seconds": 3600})).await.unwrap();
        assert_eq!(answer.status(), 404, "{path}");
    }
    mock.stop().await;
}

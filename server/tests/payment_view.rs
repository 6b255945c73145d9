//! The MCP Apps payment view in a real headless Chromium, driven over the DevTools
//! protocol. A small host page (served here on 127.0.0.1) loads the view, as read from the
//! MCP server, in an iframe and plays the MCP Apps host: it answers `ui/initialize`,
//! forwards the view's `tools/call` requests to the real MCP server (in-process, against
//! the real mock), records its notifications and `ui/open-link` requests, and passes on
//! the tool results the test gives it. The test reads what the view's DOM shows.
//!
//! The mock runs on a manual clock started at the real time, shared with the MCP server,
//! so the browser's countdown and the server agree until the test moves time past an
//! invoice's expiry. A screenshot of each state is saved under `<target>/payment-view/`.
//!
//! Without Chromium the test is skipped with a reason, unless `CI` is set: there it fails.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a panic is a failed test

#[path = "payment_view/cdp.rs"]
mod cdp;
mod common;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Json;
use axum::extract::State;
use axum::response::Html;
use axum::routing::{get, post};
use common::{Harness, MockClock, PROJECT_KEY, Profile, mock_config};
use rmcp::model::{ReadResourceRequestParams, ResourceContents};
use serde_json::{Value, json};

const VIEW: &str = "ui://liveauth/lightning-payment";

/// The host side of the MCP Apps protocol, as a client with MCP Apps support plays it.
const HOST_PAGE: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><title>MCP Apps test host</title>
<style>body{margin:0;background:#eee}iframe{border:0;width:360px;height:520px;background:#fff;display:block}</style>
</head><body>
<iframe id="view" sandbox="allow-scripts allow-same-origin" src="/view.html"></iframe>
<script>
const frame = document.getElementById("view");
window.host = { notifications: [], openedLinks: [], replies: {}, nextId: 1000 };
function post(message) { frame.contentWindow.postMessage(Object.assign({ jsonrpc: "2.0" }, message), "*"); }
host.notify = (method, params) => post({ method, params });
host.request = (method, params) => { const id = host.nextId++; post({ id, method, params }); return id; };
window.addEventListener("message", async (event) => {
  if (event.source !== frame.contentWindow) return;
  const m = event.data;
  if (m.id !== undefined && !m.method) { host.replies[m.id] = m; return; }
  if (m.id === undefined) { host.notifications.push(m); return; }
  let result;
  if (m.method === "ui/initialize") {
    result = { protocolVersion: "2026-01-26", hostInfo: { name: "test host", version: "0" }, hostCapabilities: {}, hostContext: {} };
  } else if (m.method === "tools/call") {
    const answer = await fetch("/tools/call", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(m.params) });
    result = await answer.json();
  } else if (m.method === "ui/open-link") {
    host.openedLinks.push(m.params.url);
    result = {};
  } else {
    post({ id: m.id, error: { code: -32601, message: "unknown" } });
    return;
  }
  post({ id: m.id, result });
});
</script></body></html>"#;

/// What the host page's server shares: the agent the view's calls go through, the view,
/// and how many times the view polled the status.
struct Host {
    agent: Harness,
    view: String,
    status_calls: AtomicUsize,
}

async fn tools_call(State(host): State<Arc<Host>>, Json(params): Json<Value>) -> Json<Value> {
    let name = params["name"].as_str().unwrap_or_default();
    if name == "liveauth_mcp_status" {
        host.status_calls.fetch_add(1, Ordering::SeqCst);
    }
    let arguments = params.get("arguments").cloned().unwrap_or(json!({}));
    Json(host.agent.call_json(name, arguments).await)
}

/// Serves the host page, the view and the tool bridge on 127.0.0.1; its base URL.
async fn serve_host(host: Arc<Host>) -> String {
    let app = axum::Router::new()
        .route("/", get(|| async { Html(HOST_PAGE) }))
        .route(
            "/view.html",
            get(|State(host): State<Arc<Host>>| async move { Html(host.view.clone()) }),
        )
        .route("/tools/call", post(tools_call))
        .with_state(host);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

/// The view's page, as `resources/read` returns it.
async fn read_view(agent: &Harness) -> String {
    let read = agent
        .client
        .read_resource(ReadResourceRequestParams::new(VIEW))
        .await
        .unwrap();
    match read.contents.into_iter().next() {
        Some(ResourceContents::TextResourceContents { text, .. }) => text,
        other => panic!("the view is not text: {other:?}"),
    }
}

/// A mock on a manual clock that starts now, and a keyed agent sharing it.
async fn agent(profile: Profile) -> (Harness, MockClock) {
    let config = mock_api::Config {
        manual_clock: true,
        ..mock_config(profile)
    };
    let mut state = mock_api::AppState::new(config);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    state.clock = MockClock::manual(i64::try_from(now.as_secs()).unwrap());
    let served = liveauth_testkit::mock::serve_state(state).await.unwrap();
    let harness =
        Harness::sharing_clock(&served.base, Some(PROJECT_KEY), &served.state.clock).await;
    (harness, served.state.clock)
}

/// The expression reading the view's element `id`'s text.
fn text_of(id: &str) -> String {
    format!("frames[0].document.getElementById('{id}').textContent")
}

fn screenshot_path(profile: Profile, state: &str) -> PathBuf {
    let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let dir = target.parent().map_or(target.clone(), PathBuf::from);
    dir.join("payment-view")
        .join(format!("{}-{state}.png", profile.as_str()))
}

/// Waits until the view's status line reads `text`, then saves a screenshot as `state`.
async fn shows(page: &mut cdp::Page, profile: Profile, state: &str, text: &str) {
    let expression = format!("{} === {}", text_of("status"), json!(text));
    page.wait_for(&expression).await;
    page.screenshot("#view", &screenshot_path(profile, state))
        .await;
}

/// Pending with amount, QR image, countdown and short invoice; polled; "Open wallet"
/// asks the host to open the `lightning:` URI; paid after a settle; a second invoice
/// expired once time passes its expiry; a result with markup in its fields shown as
/// text; torn down, it stops polling.
async fn the_view_in_a_browser(profile: Profile) {
    let Some(chromium) = cdp::find_chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium is not installed, and CI is set: the payment view test must run"
        );
        eprintln!("SKIPPED the payment view browser test: chromium is not on PATH (CI unset)");
        return;
    };
    let (agent, clock) = agent(profile).await;
    let view = read_view(&agent).await;
    let host = Arc::new(Host {
        agent,
        view,
        status_calls: AtomicUsize::new(0),
    });
    let base = serve_host(host.clone()).await;
    let browser = cdp::Browser::launch(&chromium).await;
    let mut page = browser.page().await;
    page.navigate(&format!("{base}/")).await;
    page.wait_for(
        "window.host && host.notifications.some(n => n.method === 'ui/notifications/initialized')",
    )
    .await;

    // A real start result, as the host passes it on.
    let start = host
        .agent
        .call_json("liveauth_mcp_start", json!({"forceLightning": true}))
        .await;
    let lightning = start["structuredContent"]["lightning"].clone();
    let invoice = lightning["invoice"].as_str().unwrap().to_owned();
    let feed = |result: &Value| {
        format!(
            "host.notify('ui/notifications/tool-input', {{arguments: {{forceLightning: true}}}}); \
             host.notify('ui/notifications/tool-result', {result}); true"
        )
    };
    page.eval(&feed(&start)).await;
    shows(&mut page, profile, "pending", "Waiting for payment…").await;
    let amount = lightning["amountSats"].as_u64().unwrap();
    assert_eq!(
        page.eval(&text_of("amount")).await,
        format!("⚡ {amount} sats")
    );
    let shown_invoice = page.eval(&text_of("invoice")).await;
    let short = format!("{}…{}", &invoice[..24], &invoice[invoice.len() - 8..]);
    assert_eq!(shown_invoice, short);
    assert!(
        page.eval(&text_of("countdown"))
            .await
            .as_str()
            .unwrap()
            .starts_with("Expires in ")
    );
    let qr = "(() => { const q = frames[0].document.getElementById('qr'); \
              return !q.hidden && q.complete && q.naturalWidth === 280 \
              && q.src.startsWith('data:image/png;base64,'); })()";
    assert_eq!(page.wait_for(qr).await, true);
    assert!(
        page.eval("host.notifications.some(n => n.method === 'ui/notifications/size-changed' && n.params.height > 0)")
            .await
            .as_bool()
            .unwrap()
    );

    // "Open wallet" goes through the host, with the lightning: URI.
    page.eval("frames[0].document.getElementById('open-wallet').click(); true")
        .await;
    let opened = page.wait_for("host.openedLinks[0]").await;
    assert_eq!(opened, lightning["lightningUri"]);

    // The view polls the status (every 3 s) and shows the payment once settled.
    let polled = || host.status_calls.load(Ordering::SeqCst);
    page.wait_for("new Promise(r => setTimeout(() => r(true), 3200))")
        .await;
    assert!(polled() >= 1, "the view did not poll liveauth_mcp_status");
    let payment_hash = start["structuredContent"]["invoice"]["paymentHash"]
        .as_str()
        .unwrap();
    let settled = reqwest::Client::new()
        .post(format!("{}/api/dev/settle/{payment_hash}", host.agent.base))
        .send()
        .await
        .unwrap();
    assert!(settled.status().is_success());
    shows(&mut page, profile, "paid", "Payment received ✓").await;
    assert_eq!(
        page.eval("frames[0].document.getElementById('qr').hidden")
            .await,
        true
    );

    // A second invoice, past its expiry: the next poll shows it expired.
    let second = host
        .agent
        .call_json("liveauth_mcp_start", json!({"forceLightning": true}))
        .await;
    page.eval(&feed(&second)).await;
    shows(&mut page, profile, "pending-again", "Waiting for payment…").await;
    let expires = second["structuredContent"]["invoice"]["expiresAtUnix"]
        .as_i64()
        .unwrap();
    clock
        .advance(u64::try_from(expires - clock.now()).unwrap())
        .unwrap();
    shows(&mut page, profile, "expired", "Invoice expired").await;

    // Markup in a result's fields is shown as text, never run or parsed.
    let mut hostile = start.clone();
    let markup = "<script>window.pwned=1</script>";
    hostile["structuredContent"]["lightning"]["invoice"] = json!(markup);
    hostile["structuredContent"]["lightning"]["lightningUri"] = json!("javascript:window.pwned=2");
    hostile["structuredContent"]["quoteId"] = json!("<img src=x onerror=window.pwned=3>");
    page.eval(&feed(&hostile)).await;
    shows(&mut page, profile, "markup-as-text", "Waiting for payment…").await;
    page.wait_for(&format!("{} === {}", text_of("invoice"), json!(markup)))
        .await;
    let document = "frames[0].document";
    let injected = format!(
        "[{document}.scripts.length, {document}.images.length, frames[0].pwned === undefined, \
         {document}.getElementById('open-wallet').disabled]"
    );
    assert_eq!(page.eval(&injected).await, json!([1, 1, true, true]));

    // Teardown: answered, and no more polling.
    let id = page.eval("host.request('ui/resource-teardown', {})").await;
    let reply = page.wait_for(&format!("host.replies[{id}]")).await;
    assert_eq!(reply["result"], json!({}));
    let after_teardown = polled();
    page.wait_for("new Promise(r => setTimeout(() => r(true), 3500))")
        .await;
    assert_eq!(
        polled(),
        after_teardown,
        "the view polled after its teardown"
    );
}

liveauth_testkit::on_both_profiles!(the_view_in_a_browser);

//! Just enough of the Chrome DevTools protocol to drive one page of a headless Chromium:
//! the browser launched on a free port with a throwaway profile (killed on drop), one
//! WebSocket to its first page, commands answered by id (events are skipped),
//! expressions evaluated, conditions waited for, screenshots saved.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use liveauth_protocol::codec::decode_base64;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

/// How long any one wait may take before the test fails.
const WAIT: Duration = Duration::from_secs(15);

/// `chromium` on `PATH`, if installed.
pub(crate) fn find_chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("chromium"))
        .find(|candidate| candidate.is_file())
}

/// A headless Chromium, killed (by its process id) when dropped.
pub(crate) struct Browser {
    child: Child,
    _profile: tempfile::TempDir,
    port: u16,
}

impl Browser {
    pub(crate) async fn launch(chromium: &Path) -> Self {
        let profile = tempfile::tempdir().unwrap();
        let child = Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--disable-background-networking",
                "--remote-debugging-port=0",
                "--window-size=500,700",
                "--hide-scrollbars",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Chromium writes the port it chose to this file once it listens.
        let port_file = profile.path().join("DevToolsActivePort");
        let started = Instant::now();
        let port = loop {
            let port = std::fs::read_to_string(&port_file)
                .ok()
                .and_then(|text| text.lines().next()?.parse().ok());
            if let Some(port) = port {
                break port;
            }
            assert!(started.elapsed() < WAIT, "chromium did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        Self {
            child,
            _profile: profile,
            port,
        }
    }

    /// The browser's first page.
    pub(crate) async fn page(&self) -> Page {
        let url = format!("http://127.0.0.1:{}/json/list", self.port);
        let targets: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
        let ws_url = targets
            .as_array()
            .unwrap()
            .iter()
            .find(|target| target["type"] == "page")
            .and_then(|target| target["webSocketDebuggerUrl"].as_str())
            .unwrap()
            .to_owned();
        let stream = TcpStream::connect(("127.0.0.1", self.port)).await.unwrap();
        let (ws, _) = tokio_tungstenite::client_async(ws_url, stream)
            .await
            .unwrap();
        Page { ws, next_id: 0 }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One page, driven over its DevTools WebSocket.
pub(crate) struct Page {
    ws: WebSocketStream<TcpStream>,
    next_id: u64,
}

impl Page {
    /// Sends a command and returns its result; a protocol error fails the test.
    pub(crate) async fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let command = json!({ "id": id, "method": method, "params": params });
        self.ws
            .send(Message::text(command.to_string()))
            .await
            .unwrap();
        loop {
            let message = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .unwrap_or_else(|_| panic!("{method}: no answer"))
                .unwrap()
                .unwrap();
            let Message::Text(text) = message else {
                continue;
            };
            let answer: Value = serde_json::from_str(&text).unwrap();
            if answer["id"] == id {
                assert!(answer["error"].is_null(), "{method}: {answer}");
                return answer["result"].clone();
            }
        }
    }

    /// The value of a JavaScript expression (promises awaited); a thrown exception fails
    /// the test.
    pub(crate) async fn eval(&mut self, expression: &str) -> Value {
        let params = json!({
            "expression": expression,
            "returnByValue": true,
            "awaitPromise": true,
        });
        let result = self.call("Runtime.evaluate", params).await;
        assert!(
            result["exceptionDetails"].is_null(),
            "{expression}: {}",
            result["exceptionDetails"]
        );
        result["result"]["value"].clone()
    }

    /// Waits until `expression` is truthy, returning its value.
    pub(crate) async fn wait_for(&mut self, expression: &str) -> Value {
        let started = Instant::now();
        loop {
            let value = self.eval(expression).await;
            let truthy = !matches!(&value, Value::Null | Value::Bool(false))
                && value != json!(0)
                && value != json!("");
            if truthy {
                return value;
            }
            assert!(started.elapsed() < WAIT, "never true: {expression}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub(crate) async fn navigate(&mut self, url: &str) {
        self.call("Page.enable", json!({})).await;
        self.call("Page.navigate", json!({ "url": url })).await;
    }

    /// A PNG of the element `selector` shows, saved at `path`.
    pub(crate) async fn screenshot(&mut self, selector: &str, path: &Path) {
        let rect = format!(
            "(() => {{ const r = document.querySelector({}).getBoundingClientRect(); \
             return {{x: r.x, y: r.y, width: r.width, height: r.height, scale: 1}}; }})()",
            json!(selector)
        );
        let clip = self.eval(&rect).await;
        let params = json!({ "format": "png", "clip": clip });
        let shot = self.call("Page.captureScreenshot", params).await;
        let png = decode_base64(shot["data"].as_str().unwrap()).unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, png).unwrap();
    }
}

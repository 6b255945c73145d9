//! The server under test: spawned over stdio, spoken to by rmcp's client, its stderr kept,
//! its progress notifications collected, its CPU time read from `/proc` (Linux).

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientRequest, ProgressNotificationParam, Request, Tool,
};
use rmcp::service::{NotificationContext, PeerRequestOptions, RequestHandle, RunningService};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{ClientHandler, RoleClient, ServiceExt as _};
use serde_json::Value;
use tokio::io::AsyncBufReadExt as _;
use tokio::sync::mpsc;

/// The most of the server's stderr kept (the rest is read and dropped).
const STDERR_KEPT: usize = 4 << 20;

/// A tool's answer, as received.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub(crate) tool: String,
    pub(crate) result: CallToolResult,
}

impl Answer {
    pub(crate) fn is_error(&self) -> bool {
        self.result.is_error == Some(true)
    }

    /// The text blocks, joined.
    pub(crate) fn text(&self) -> String {
        self.result
            .content
            .iter()
            .filter_map(|c| c.as_text().map(|t| t.text.clone()))
            .collect()
    }

    /// `structuredContent`, else the text parsed as JSON (the seed's servers answer in
    /// text only), else `null`.
    pub(crate) fn json(&self) -> Value {
        match &self.result.structured_content {
            Some(value) => value.clone(),
            None => serde_json::from_str(&self.text()).unwrap_or(Value::Null),
        }
    }

    /// The JSON object of a success; fails on `isError` or when there is no object.
    pub(crate) fn ok(self) -> Result<Value, String> {
        if self.is_error() {
            return Err(format!("{} failed: {}", self.tool, brief(&self.text())));
        }
        let json = self.json();
        if !json.is_object() {
            return Err(format!(
                "{}: the result holds no JSON object: {}",
                self.tool,
                brief(&self.text())
            ));
        }
        Ok(json)
    }
}

/// At most 300 characters of `text`, for failure messages.
pub(crate) fn brief(text: &str) -> String {
    text.chars().take(300).collect()
}

/// Collects progress notifications.
struct Progress(mpsc::UnboundedSender<ProgressNotificationParam>);

impl ClientHandler for Progress {
    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _: NotificationContext<RoleClient>,
    ) {
        let _ = self.0.send(params);
    }
}

/// A spawned server and the client connected to it. The process is killed when this is
/// dropped; its state directory is removed.
pub(crate) struct Server {
    client: RunningService<RoleClient, Progress>,
    progress: tokio::sync::Mutex<mpsc::UnboundedReceiver<ProgressNotificationParam>>,
    pid: Option<u32>,
    stderr: Arc<Mutex<String>>,
    /// The spawned server's state folder; `None` for a server reached over HTTP.
    state_dir: Option<PathBuf>,
    timeout: Duration,
}

impl Server {
    /// Spawns `command` with `LIVEAUTH_API_BASE = base`, `LIVEAUTH_API_KEY = key` (removed
    /// when `None`), `LIVEAUTH_DEMO`/`LIVEAUTH_STATE` removed and `XDG_STATE_HOME` a fresh
    /// directory (so no earlier run's tokens are reused), `RUST_LOG=debug`; then
    /// initializes MCP.
    pub(crate) async fn spawn(
        command: &[String],
        base: &str,
        key: Option<&str>,
        timeout: Duration,
    ) -> Result<Self, String> {
        let (program, args) = command
            .split_first()
            .ok_or("no server command given (after --)")?;
        let state_dir = fresh_dir()?;
        let mut cmd = tokio::process::Command::new(program);
        cmd.args(args)
            .env("LIVEAUTH_API_BASE", base)
            .env("XDG_STATE_HOME", &state_dir)
            .env("RUST_LOG", "debug")
            .env_remove("LIVEAUTH_DEMO")
            .env_remove("LIVEAUTH_STATE");
        match key {
            Some(key) => cmd.env("LIVEAUTH_API_KEY", key),
            None => cmd.env_remove("LIVEAUTH_API_KEY"),
        };
        let (transport, stderr_pipe) = TokioChildProcess::builder(cmd)
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {program}: {e}"))?;
        let pid = transport.id();
        let stderr = Arc::new(Mutex::new(String::new()));
        if let Some(pipe) = stderr_pipe {
            let kept = Arc::clone(&stderr);
            tokio::spawn(async move {
                let mut lines = tokio::io::BufReader::new(pipe).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    let mut kept = kept.lock().unwrap_or_else(|e| e.into_inner());
                    if kept.len() < STDERR_KEPT {
                        kept.push_str(&line);
                        kept.push('\n');
                    }
                }
            });
        }
        let mut server = Self::initialize(transport, program, timeout).await?;
        server.pid = pid;
        server.stderr = stderr;
        server.state_dir = Some(state_dir);
        Ok(server)
    }

    /// Connects to a server already serving Streamable HTTP at `url`, sending `bearer` as
    /// `Authorization: Bearer`.
    pub(crate) async fn connect(
        url: &str,
        bearer: Option<&str>,
        timeout: Duration,
    ) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let mut config = StreamableHttpClientTransportConfig::with_uri(url);
        config.auth_header = bearer.map(str::to_owned);
        let transport = StreamableHttpClientTransport::with_client(super::http::Http(http), config);
        Self::initialize(transport, url, timeout).await
    }

    async fn initialize<T, E, A>(
        transport: T,
        what: &str,
        timeout: Duration,
    ) -> Result<Self, String>
    where
        T: rmcp::transport::IntoTransport<RoleClient, E, A>,
        E: std::error::Error + Send + Sync + 'static,
    {
        let (sink, progress) = mpsc::unbounded_channel();
        let client = tokio::time::timeout(timeout, Progress(sink).serve(transport))
            .await
            .map_err(|_| format!("{what} did not answer initialize within {timeout:?}"))?
            .map_err(|e| format!("MCP initialize with {what} failed: {e}"))?;
        Ok(Self {
            client,
            progress: tokio::sync::Mutex::new(progress),
            pid: None,
            stderr: Arc::default(),
            state_dir: None,
            timeout,
        })
    }

    /// Whether the checker spawned this server (and so reads its stderr).
    pub(crate) fn spawned(&self) -> bool {
        self.state_dir.is_some()
    }

    /// Calls `tool`; `Err` on a JSON-RPC error, a dead server or no answer in time.
    pub(crate) async fn call(&self, tool: &str, arguments: Value) -> Result<Answer, String> {
        let request = request(tool, arguments)?;
        let result = tokio::time::timeout(self.timeout, self.client.call_tool(request))
            .await
            .map_err(|_| format!("{tool}: no answer within {:?}", self.timeout))?
            .map_err(|e| format!("{tool}: a JSON-RPC error, not a tool result: {e}"))?;
        Ok(Answer {
            tool: tool.to_owned(),
            result,
        })
    }

    /// Sends `tool` as a cancellable request with a progress token, without waiting.
    pub(crate) async fn send(
        &self,
        tool: &str,
        arguments: Value,
    ) -> Result<RequestHandle<RoleClient>, String> {
        let request = ClientRequest::CallToolRequest(Request::new(request(tool, arguments)?));
        self.client
            .send_cancellable_request(request, PeerRequestOptions::no_options())
            .await
            .map_err(|e| format!("{tool}: cannot send: {e}"))
    }

    /// The next progress notification, within `wait`.
    pub(crate) async fn next_progress(&self, wait: Duration) -> Option<ProgressNotificationParam> {
        let mut progress = self.progress.lock().await;
        tokio::time::timeout(wait, progress.recv())
            .await
            .ok()
            .flatten()
    }

    /// `tools/list`.
    pub(crate) async fn tools(&self) -> Result<Vec<Tool>, String> {
        tokio::time::timeout(self.timeout, self.client.list_all_tools())
            .await
            .map_err(|_| format!("tools/list: no answer within {:?}", self.timeout))?
            .map_err(|e| format!("tools/list failed: {e}"))
    }

    /// What the server said about itself in `initialize`.
    pub(crate) fn info(&self) -> Option<Arc<rmcp::model::ServerPeerInfo>> {
        self.client.peer_info()
    }

    /// Everything the server wrote to stderr so far.
    pub(crate) fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// CPU time (clock ticks) the server and its descendants used so far; `None` where
    /// `/proc` cannot tell (not Linux).
    pub(crate) fn cpu_ticks(&self) -> Option<u64> {
        cpu_ticks(self.pid?)
    }

    /// Closes the connection (the server sees end of input) and removes the state folder.
    pub(crate) async fn stop(self) {
        let _ = self.client.cancel().await;
        if let Some(dir) = &self.state_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A `tools/call` request; `arguments` must be an object.
fn request(tool: &str, arguments: Value) -> Result<CallToolRequestParams, String> {
    let Value::Object(arguments) = arguments else {
        return Err(format!("{tool}: arguments must be an object"));
    };
    Ok(CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments))
}

/// A new, empty folder under the system's temporary directory.
fn fresh_dir() -> Result<PathBuf, String> {
    static COUNT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("conformance-mcp-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir)
}

/// utime + stime of `pid` and every process descending from it (a launcher such as `npx`
/// runs the real server as its child), from `/proc/*/stat`.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let mut procs = Vec::new();
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(id) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if let Some((ppid, ticks)) = std::fs::read_to_string(entry.path().join("stat"))
            .ok()
            .as_deref()
            .and_then(parse_stat)
        {
            procs.push((id, ppid, ticks));
        }
    }
    let mut tree = vec![pid];
    let mut total = 0;
    let mut grew = true;
    while grew {
        grew = false;
        for &(id, ppid, _) in &procs {
            if tree.contains(&ppid) && !tree.contains(&id) {
                tree.push(id);
                grew = true;
            }
        }
    }
    for &(id, _, ticks) in &procs {
        if tree.contains(&id) {
            total += ticks;
        }
    }
    procs.iter().any(|&(id, _, _)| id == pid).then_some(total)
}

/// `(ppid, utime + stime)` of a `/proc/PID/stat` line (fields after the `)` of the name).
fn parse_stat(stat: &str) -> Option<(u32, u64)> {
    let fields: Vec<&str> = stat
        .get(stat.rfind(')')? + 1..)?
        .split_whitespace()
        .collect();
    let ppid = fields.get(1)?.parse().ok()?;
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((ppid, utime + stime))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_proc_stat() {
        let line = "42 (a (b) c) R 7 42 42 0 -1 4194304 100 0 0 0 250 30 0 0 20 0 9 0 1 2 3";
        assert_eq!(parse_stat(line), Some((7, 280)));
        assert_eq!(parse_stat("garbage"), None);
    }
}

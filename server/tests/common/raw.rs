//! A client that speaks raw JSON-RPC lines to the server: in this process over a pipe
//! through the stdio transport, or to the built binary. For what an rmcp client would
//! never send (malformed lines, reused ids) and for reading every message as sent.

use std::time::Duration;

use liveauth_mcp::api::ApiClient;
use liveauth_mcp::stdio::{StdioLimits, StdioTransport};
use liveauth_mcp::{LiveAuthServer, SolveLimit};
use liveauth_testkit::process;
use rmcp::ServiceExt as _;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, AsyncWrite, AsyncWriteExt as _, BufReader};

/// A client writing raw lines to a server and reading its answers.
pub struct Raw {
    pub write: Box<dyn AsyncWrite + Unpin + Send>,
    pub lines: Box<dyn tokio::io::AsyncBufRead + Unpin + Send>,
}

impl Raw {
    /// A server on `api` over a pipe of `pipe` bytes, initialized.
    pub async fn start(
        api: ApiClient,
        solves: SolveLimit,
        limits: StdioLimits,
        pipe: usize,
    ) -> Self {
        let (server_io, client_io) = tokio::io::duplex(pipe);
        let (read, write) = tokio::io::split(server_io);
        let server = LiveAuthServer::new(api).with_solve_limit(solves);
        tokio::spawn(async move {
            if let Ok(running) = server.serve(StdioTransport::new(read, write, limits)).await {
                let _ = running.waiting().await;
            }
        });
        let (read, write) = tokio::io::split(client_io);
        let mut raw = Self {
            write: Box::new(write),
            lines: Box::new(BufReader::new(read)),
        };
        raw.initialize().await;
        raw
    }

    /// The built binary on stdio with `args`, logging at `rust_log`; the task collects its
    /// stderr (read as it comes, so that a chatty log never blocks the binary) until exit.
    pub fn binary(
        args: &[&str],
        rust_log: &str,
    ) -> (Self, tokio::process::Child, tokio::task::JoinHandle<String>) {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_liveauth-mcp"));
        let spawned = process::spawn(command.args(args), rust_log);
        let raw = Self {
            write: Box::new(spawned.stdin),
            lines: Box::new(spawned.stdout),
        };
        let logs = spawned.stderr.collect();
        (raw, spawned.child, logs)
    }

    pub async fn initialize(&mut self) {
        self.send(
            &json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "limits-test", "version": "0"}}}),
        )
        .await;
        assert_eq!(
            self.answer(&json!(0)).await["result"]["serverInfo"]["name"],
            "liveauth-mcp"
        );
        self.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await;
    }

    pub async fn line(&mut self, line: &str) {
        self.write
            .write_all(format!("{line}\n").as_bytes())
            .await
            .unwrap();
        self.write.flush().await.unwrap();
    }

    pub async fn send(&mut self, message: &Value) {
        self.line(&message.to_string()).await;
    }

    pub async fn call(&mut self, id: u64, tool: &str, arguments: Value) {
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": tool, "arguments": arguments}}))
            .await;
    }

    pub async fn cancel(&mut self, id: u64) {
        self.send(
            &json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
            "params": {"requestId": id, "reason": "test"}}),
        )
        .await;
    }

    /// The next message from the server (a generous timeout: a missing answer fails).
    pub async fn next(&mut self) -> Value {
        let mut line = String::new();
        let read = tokio::time::timeout(Duration::from_secs(60), self.lines.read_line(&mut line));
        assert!(read.await.unwrap().unwrap() > 0, "the server closed stdout");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"))
    }

    /// The answer to request `id`, skipping anything else.
    pub async fn answer(&mut self, id: &Value) -> Value {
        loop {
            let message = self.next().await;
            if message.get("id") == Some(id) {
                return message;
            }
        }
    }

    /// Starts a PoW quote (request `id`) and returns its id.
    pub async fn quote(&mut self, id: u64) -> String {
        self.call(id, "liveauth_mcp_start", json!({})).await;
        let answer = self.answer(&json!(id)).await;
        answer["result"]["structuredContent"]["quoteId"]
            .as_str()
            .unwrap_or_else(|| panic!("{answer}"))
            .to_owned()
    }

    pub async fn ping(&mut self, id: u64) {
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": "ping"}))
            .await;
        let answer = self.answer(&json!(id)).await;
        assert!(answer["result"].is_object(), "{answer}");
    }
}

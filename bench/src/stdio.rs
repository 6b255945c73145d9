//! The release binaries as the drivers run them: `mock-api` on a loopback port, and
//! `liveauth-mcp` spoken to in raw JSON-RPC over stdio; [`Fixture`] is both, as every
//! driver of the MCP server starts them.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use serde_json::{Value, json};

/// A child process killed when dropped (by its own handle: never by name).
#[derive(Debug)]
pub struct Owned(pub Child);

impl Drop for Owned {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The release builds in `TARGET_DIR/release` (`TARGET_DIR` the driver's first argument,
/// default `target`): `mock-api` running on loopback, and `liveauth-mcp` servers spawned
/// against it.
#[derive(Debug)]
pub struct Fixture {
    _mock: Owned,
    pub base: String,
    mcp_bin: String,
}

impl Fixture {
    /// Starts `mock-api MOCK_ARGS…` (see [`start_mock`]).
    pub async fn start(mock_args: &[&str]) -> anyhow::Result<Self> {
        let dir = std::env::args().nth(1).unwrap_or_else(|| "target".into());
        let (mock, base) = start_mock(&format!("{dir}/release/mock-api"), mock_args).await?;
        Ok(Self {
            _mock: mock,
            base,
            mcp_bin: format!("{dir}/release/liveauth-mcp"),
        })
    }

    /// A new `liveauth-mcp ARGS…` on the mock (see [`Mcp::spawn`]).
    pub fn mcp(&self, args: &[&str]) -> anyhow::Result<Mcp> {
        Mcp::spawn(&self.mcp_bin, &self.base, args)
    }
}

/// A `liveauth-mcp` process spoken to in raw JSON-RPC lines over its stdio.
#[derive(Debug)]
pub struct Mcp {
    pub child: Owned,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
}

impl Mcp {
    /// Spawns `binary --api-base API_BASE ARGS…` with a clean LiveAuth environment.
    pub fn spawn(binary: &str, api_base: &str, args: &[&str]) -> anyhow::Result<Self> {
        let mut child = Command::new(binary)
            .args(["--api-base", api_base])
            .args(args)
            .env_remove("LIVEAUTH_STATE")
            .env_remove("LIVEAUTH_API_KEY")
            .env_remove("LIVEAUTH_API_BASE")
            .env_remove("LIVEAUTH_DEMO")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {binary}"))?;
        let stdin = child.stdin.take().context("no stdin")?;
        let stdout = BufReader::new(child.stdout.take().context("no stdout")?);
        Ok(Self {
            child: Owned(child),
            stdin,
            stdout,
            next_id: 1,
        })
    }

    pub fn send(&mut self, message: &Value) -> anyhow::Result<()> {
        writeln!(self.stdin, "{message}")?;
        self.stdin.flush()?;
        Ok(())
    }

    /// Sends a request and reads lines until its response (skipping notifications).
    pub fn request(&mut self, method: &str, params: Value) -> anyhow::Result<Value> {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))?;
        let mut line = String::new();
        loop {
            line.clear();
            if self.stdout.read_line(&mut line)? == 0 {
                bail!("the server closed stdout");
            }
            let message: Value = serde_json::from_str(&line)?;
            if message["id"] == json!(id) {
                if let Some(error) = message.get("error") {
                    bail!("{method}: {error}");
                }
                return Ok(message["result"].clone());
            }
        }
    }

    pub fn initialize(&mut self) -> anyhow::Result<()> {
        self.request(
            "initialize",
            json!({
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "liveauth-bench", "version": "0"},
            }),
        )?;
        self.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
    }

    pub fn call(&mut self, tool: &str, arguments: Value) -> anyhow::Result<Value> {
        let result = self.request("tools/call", json!({"name": tool, "arguments": arguments}))?;
        if result["isError"] == json!(true) {
            bail!("{tool} failed: {result}");
        }
        Ok(result["structuredContent"].clone())
    }
}

pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Starts `mock_bin --listen 127.0.0.1:PORT ARGS…` and waits for its `/healthz`; returns
/// the process and its base URL.
pub async fn start_mock(mock_bin: &str, args: &[&str]) -> anyhow::Result<(Owned, String)> {
    let port = free_port()?;
    let base = format!("http://127.0.0.1:{port}");
    let mock = Owned(
        Command::new(mock_bin)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {mock_bin}"))?,
    );
    let http = reqwest::Client::new();
    let ready = Instant::now();
    while http.get(format!("{base}/healthz")).send().await.is_err() {
        if ready.elapsed() > Duration::from_secs(10) {
            bail!("mock-api did not come up");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok((mock, base))
}

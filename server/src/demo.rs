//! `liveauth-mcp demo`: walks every tool through a real MCP client against the embedded
//! mock (or a given API), printing each call and its result.

use std::time::Duration;

use rmcp::model::CallToolRequestParams;
use serde_json::{Value, json};

use crate::api::{ApiClient, ConfigError};
use crate::config::Settings;
use crate::embedded::EmbeddedMock;
use crate::in_process::{self, ConnectError};
use crate::tools::LiveAuthServer;

/// Strings longer than this are shortened when printed (tokens, invoices).
const SHOWN_CHARS: usize = 48;

/// Why the walkthrough stopped.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("cannot start the embedded mock")]
    Mock(#[source] std::io::Error),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error("the arguments of {tool} must be a JSON object")]
    NotAnObject { tool: String },
    /// `request` is the tool called, or `tools/list`.
    #[error("{request}: the MCP request failed")]
    Call {
        request: String,
        #[source]
        source: rmcp::ServiceError,
    },
    #[error("{tool} failed: {message}")]
    ToolFailed { tool: String, message: String },
    #[error("{tool}: the result has no structured content")]
    NoStructuredContent { tool: String },
    #[error("expected {what} in the result")]
    Missing { what: &'static str },
    #[error("the Lightning quote was not paid within 10 s")]
    NotPaid,
}

/// Runs the walkthrough; `Err` if any step fails.
pub async fn run(api_base: Option<String>, api_key: Option<String>) -> Result<(), DemoError> {
    let mock = match api_base {
        Some(_) => None,
        // The default (hosted) profile: the walkthrough meets the API as production has it.
        None => Some(
            EmbeddedMock::start(mock_api::Config::default())
                .await
                .map_err(DemoError::Mock)?,
        ),
    };
    let base = api_base
        .or_else(|| mock.as_ref().map(|m| m.base_url.clone()))
        .unwrap_or_default();
    let settings = Settings::new(Some(base.clone()), api_key, false);
    let api = ApiClient::new(
        &settings.api_base,
        settings.api_key.clone(),
        settings.timeout,
    )?;
    say(&format!(
        "LiveAuth MCP demo against {base}{} ({} mode)",
        if mock.is_some() {
            " (embedded mock)"
        } else {
            ""
        },
        if settings.is_demo() { "demo" } else { "keyed" }
    ));

    let connection = in_process::connect(LiveAuthServer::new(api)).await?;
    let mut demo = Demo {
        client: &connection.client,
        steps: 0,
    };
    let outcome = demo.walk().await;
    let steps = demo.steps;
    connection.close().await;
    if let Some(mock) = mock {
        mock.stop().await;
    }
    match outcome {
        Ok(()) => {
            say(&format!("\nAll {steps} steps passed."));
            Ok(())
        }
        Err(error) => {
            say(&format!(
                "\nDemo failed at step {steps}: {}",
                with_causes(&error)
            ));
            Err(error)
        }
    }
}

struct Demo<'a> {
    client: &'a rmcp::service::RunningService<rmcp::RoleClient, ()>,
    steps: usize,
}

impl Demo<'_> {
    async fn walk(&mut self) -> Result<(), DemoError> {
        self.steps += 1;
        let tools = self
            .client
            .list_all_tools()
            .await
            .map_err(|source| DemoError::Call {
                request: "tools/list".to_owned(),
                source,
            })?;
        let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
        say(&format!(
            "\n[{}] tools/list → {} tools: {}",
            self.steps,
            names.len(),
            names.join(", ")
        ));

        say("\n— Proof of work —");
        let start = self.call("liveauth_mcp_start", json!({})).await?;
        let quote_id = text(&start["quoteId"], "a quoteId")?;
        self.call("liveauth_mcp_solve", json!({"quoteId": quote_id}))
            .await?;
        self.confirm(&quote_id).await?;
        self.call("liveauth_mcp_charge", json!({"callCostSats": 3}))
            .await?;
        self.call("liveauth_mcp_usage", json!({})).await?;
        self.call("liveauth_mcp_refresh", json!({})).await?;
        self.call("liveauth_mcp_status", json!({"quoteId": quote_id}))
            .await?;

        say("\n— Lightning —");
        let start = self
            .call("liveauth_mcp_start", json!({"forceLightning": true}))
            .await?;
        let quote_id = text(&start["quoteId"], "a quoteId")?;
        self.call("liveauth_mcp_lnurl", json!({"quoteId": quote_id}))
            .await?;
        say("    (waiting for the simulated payment…)");
        let mut paid = false;
        for _ in 0..40 {
            let status = self
                .call_quiet("liveauth_mcp_status", json!({"quoteId": quote_id}))
                .await?;
            if status["paymentStatus"] == "paid" {
                paid = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        if !paid {
            return Err(DemoError::NotPaid);
        }
        self.call("liveauth_mcp_status", json!({"quoteId": quote_id}))
            .await?;
        self.confirm(&quote_id).await?;

        say("\n— One step —");
        self.call("liveauth_mcp_authenticate", json!({})).await?;
        Ok(())
    }

    async fn call(&mut self, tool: &str, arguments: Value) -> Result<Value, DemoError> {
        self.steps += 1;
        say(&format!("\n[{}] {tool} {}", self.steps, arguments));
        let result = self.call_quiet(tool, arguments).await;
        match &result {
            Ok(value) => {
                let shown = shorten(value);
                // A `Value` always serializes; the fallback is the compact form.
                let pretty =
                    serde_json::to_string_pretty(&shown).unwrap_or_else(|_| shown.to_string());
                say(&indent(&pretty));
            }
            Err(error) => say(&format!("    ✗ {}", with_causes(error))),
        }
        result
    }

    /// Confirms `quote_id`, which must give a JWT.
    async fn confirm(&mut self, quote_id: &str) -> Result<(), DemoError> {
        let confirm = self
            .call("liveauth_mcp_confirm", json!({"quoteId": quote_id}))
            .await?;
        text(&confirm["jwt"], "a JWT from confirm")?;
        Ok(())
    }

    async fn call_quiet(&self, tool: &str, arguments: Value) -> Result<Value, DemoError> {
        let tool = tool.to_owned();
        let Value::Object(arguments) = arguments else {
            return Err(DemoError::NotAnObject { tool });
        };
        let params = CallToolRequestParams::new(tool.clone()).with_arguments(arguments);
        let result = match self.client.call_tool(params).await {
            Ok(result) => result,
            Err(source) => {
                return Err(DemoError::Call {
                    request: tool,
                    source,
                });
            }
        };
        if result.is_error == Some(true) {
            let message: Vec<String> = result
                .content
                .iter()
                .filter_map(|c| c.as_text().map(|t| t.text.clone()))
                .collect();
            let message = message.join(" ");
            return Err(DemoError::ToolFailed { tool, message });
        }
        result
            .structured_content
            .ok_or(DemoError::NoStructuredContent { tool })
    }
}

fn text(value: &Value, what: &'static str) -> Result<String, DemoError> {
    value
        .as_str()
        .map(str::to_owned)
        .ok_or(DemoError::Missing { what })
}

/// The error and its causes on one line, as a person reads them.
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        line.push_str(": ");
        line.push_str(&cause.to_string());
        source = cause.source();
    }
    line
}

/// Long strings (tokens, invoices, signatures) shortened for reading.
fn shorten(value: &Value) -> Value {
    match value {
        Value::String(s) if s.chars().count() > SHOWN_CHARS => {
            let head: String = s.chars().take(SHOWN_CHARS - 8).collect();
            Value::String(format!("{head}… ({} chars)", s.chars().count()))
        }
        Value::Array(items) => Value::Array(items.iter().map(shorten).collect()),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), shorten(v))).collect())
        }
        other => other.clone(),
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|line| format!("    {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[allow(clippy::print_stdout)] // the demo's output is for a person at a terminal
fn say(line: &str) {
    println!("{line}");
}

//! The MCP tools under arbitrary arguments, as a plain function over bytes: the fuzz
//! target `tool_call` in `fuzz/` and the proptests in `tests/fuzz_mirror.rs` call it. It
//! panics only when a property is violated: a call must give a result or an `isError`
//! result, never a JSON-RPC error, never a hang.
//!
//! A real rmcp client talks to [`LiveAuthServer`] in-process ([`crate::in_process`]); the server
//! talks to the mock API, embedded on a loopback port (demo mode, 4-bit challenges,
//! instant demo settlement, 5 s API timeout). All of it is set up once per thread and
//! rebuilt every [`CALLS_PER_HARNESS`] calls, so state (quotes, the agent's session) carries
//! from one input to the next, as it would for an agent.
//!
//! Input: the first line names the tool (an unknown name picks one by its bytes), the
//! rest is the JSON arguments. `${name}` there is replaced by the last value of that field
//! in an earlier structured result (`quoteId`, `jwt`, `refreshToken`, `nonce`, ...). An
//! object is sent as the arguments; any other JSON value `v` as `{field: v}` for a field
//! picked by the input's length; text that is not JSON as `{"quoteId": text}`.
//!
//! The invoice properties live in [`crate::invoice_check::fuzzing`].

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::Duration;

use rmcp::model::CallToolRequestParams;
use serde_json::{Map, Value};

use crate::LiveAuthServer;
use crate::api::ApiClient;
use crate::embedded::EmbeddedMock;
use crate::in_process::{self, InProcess};

/// Every tool the server lists.
pub const TOOLS: [&str; 9] = [
    "liveauth_mcp_start",
    "liveauth_mcp_confirm",
    "liveauth_mcp_charge",
    "liveauth_mcp_status",
    "liveauth_mcp_lnurl",
    "liveauth_mcp_usage",
    "liveauth_mcp_refresh",
    "liveauth_mcp_solve",
    "liveauth_mcp_authenticate",
];

/// Every argument name of every tool.
pub const FIELDS: [&str; 12] = [
    "forceLightning",
    "quoteId",
    "challengeHex",
    "nonce",
    "hashHex",
    "expiresAtUnix",
    "difficultyBits",
    "signature",
    "callCostSats",
    "refreshToken",
    "waitForPaymentSeconds",
    "sig",
];

/// The harness is rebuilt after this many calls, so the mock's store stays small.
pub const CALLS_PER_HARNESS: u32 = 2000;

/// Longest a tool call may take before it counts as a hang.
const CALL_LIMIT: Duration = Duration::from_secs(30);

/// The mock behind the server: low difficulty, demo invoices paid at once.
pub fn mock_config() -> mock_api::Config {
    mock_api::Config {
        seed: Some(1),
        difficulty_bits: 4,
        demo_settle_after_secs: 0,
        profile: mock_api::Profile::Strict,
        ..mock_api::Config::default()
    }
}

/// Fields drop in order: the connection and the mock before the runtime they run on.
struct Harness {
    connection: InProcess,
    _mock: EmbeddedMock,
    calls: u32,
    vars: BTreeMap<String, String>,
    runtime: tokio::runtime::Runtime,
}

impl Harness {
    fn new() -> Self {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(error) => panic!("fuzzing harness: no tokio runtime: {error}"),
        };
        let (connection, mock) = runtime.block_on(async {
            let mock = match EmbeddedMock::start(mock_config()).await {
                Ok(mock) => mock,
                Err(error) => panic!("fuzzing harness: embedded mock: {error}"),
            };
            let api = match ApiClient::new(&mock.base_url, None, Duration::from_secs(5)) {
                Ok(api) => api,
                Err(error) => panic!("fuzzing harness: API client: {error}"),
            };
            match in_process::connect(LiveAuthServer::new(api)).await {
                Ok(connection) => (connection, mock),
                Err(error) => panic!("fuzzing harness: {error}: {error:?}"),
            }
        });
        Self {
            connection,
            _mock: mock,
            calls: 0,
            vars: BTreeMap::new(),
            runtime,
        }
    }
}

thread_local! {
    static HARNESS: RefCell<Option<Harness>> = const { RefCell::new(None) };
}

/// A parsed input: which tool, with which arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    pub tool: &'static str,
    pub arguments: Map<String, Value>,
}

/// Reads an input (see the module docs), after `${name}` substitution from `vars`.
fn parse(data: &[u8], vars: &BTreeMap<String, String>) -> ToolCall {
    let (first, rest) = match data.iter().position(|&b| b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[][..]),
    };
    let tool = TOOLS
        .iter()
        .find(|t| t.as_bytes() == first)
        .copied()
        .unwrap_or_else(|| {
            let sum: usize = first.iter().map(|&b| usize::from(b)).sum();
            TOOLS[sum % TOOLS.len()]
        });
    let text = substitute(&String::from_utf8_lossy(rest), vars);
    let arguments = match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(object)) => object,
        Ok(value) => Map::from_iter([(FIELDS[data.len() % FIELDS.len()].to_owned(), value)]),
        Err(_) => Map::from_iter([("quoteId".to_owned(), Value::String(text))]),
    };
    ToolCall { tool, arguments }
}

fn substitute(text: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after
            .find('}')
            .and_then(|end| Some((end, vars.get(&after[..end])?)))
        {
            Some((end, value)) => {
                out.push_str(value);
                rest = &after[end + 1..];
            }
            None => {
                out.push_str("${");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn learn(vars: &mut BTreeMap<String, String>, value: &Value) {
    match value {
        Value::Object(object) => {
            for (key, value) in object {
                match value {
                    Value::String(s) => {
                        vars.insert(key.clone(), s.clone());
                    }
                    Value::Number(n) => {
                        vars.insert(key.clone(), n.to_string());
                    }
                    other => learn(vars, other),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| learn(vars, item)),
        _ => {}
    }
}

/// Runs `f` on this thread's harness, (re)built when missing or used up.
fn with_harness(f: impl FnOnce(&mut Harness)) {
    HARNESS.with(|cell| {
        let mut cell = cell.borrow_mut();
        if cell.as_ref().is_none_or(|h| h.calls >= CALLS_PER_HARNESS) {
            // Drop the old harness (and its mock) before starting the next one.
            *cell = None;
            *cell = Some(Harness::new());
        }
        if let Some(harness) = cell.as_mut() {
            f(harness);
        }
    });
}

/// Any bytes as a tool call (see the module docs), checked as [`call_tool`] does.
pub fn tool_call(data: &[u8]) {
    with_harness(|harness| {
        let call = parse(data, &harness.vars);
        run(harness, call);
    });
}

/// Calls `tool` with `arguments` on this thread's harness: the call must answer in time
/// with a result or an `isError` result that says why, never a JSON-RPC error; a success
/// carries structured content, and its text block holds the same JSON.
pub fn call_tool(tool: &'static str, arguments: Map<String, Value>) {
    with_harness(|harness| run(harness, ToolCall { tool, arguments }));
}

fn run(harness: &mut Harness, call: ToolCall) {
    harness.calls += 1;
    let shown = Value::Object(call.arguments.clone());
    let params = CallToolRequestParams::new(call.tool.to_owned()).with_arguments(call.arguments);
    let client = &harness.connection.client;
    let outcome = harness
        .runtime
        .block_on(async { tokio::time::timeout(CALL_LIMIT, client.call_tool(params)).await });
    let result = match outcome {
        Err(_) => panic!("{} {shown} did not answer within {CALL_LIMIT:?}", call.tool),
        Ok(Err(error)) => panic!("{} {shown} gave a JSON-RPC error: {error}", call.tool),
        Ok(Ok(result)) => result,
    };
    let text: String = result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect();
    if result.is_error == Some(true) {
        assert!(
            !text.trim().is_empty(),
            "{} {shown}: an error result without a message",
            call.tool
        );
        return;
    }
    let Some(structured) = result.structured_content else {
        panic!(
            "{} {shown}: a success without structured content: {text}",
            call.tool
        );
    };
    assert_eq!(
        serde_json::from_str::<Value>(&text).ok().as_ref(),
        Some(&structured),
        "{} {shown}: the text block differs from the structured content",
        call.tool
    );
    learn(&mut harness.vars, &structured);
}

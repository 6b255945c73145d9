//! The MCP tools under arbitrary arguments: a call must give a result or an `isError`
//! result, never a JSON-RPC error, never a hang.
//!
//! A real rmcp client talks to [`LiveAuthServer`] through `liveauth_mcp::in_process`; the server
//! talks to the real mock API on a loopback port (demo mode, 4-bit challenges, instant
//! demo settlement, 5 s API timeout). All of it is set up once per thread and rebuilt
//! every [`CALLS_PER_HARNESS`] calls, so state (quotes, the agent's session) carries from
//! one input to the next, as it would for an agent.
//!
//! Input: the first line names the tool (an unknown name picks one by its bytes), the
//! rest is the JSON arguments. `${name}` there is replaced by the last value of that field
//! in an earlier structured result (`quoteId`, `jwt`, `refreshToken`, `nonce`, ...). An
//! object is sent as the arguments; any other JSON value `v` as `{field: v}` for a field
//! picked by the input's length; text that is not JSON as `{"quoteId": text}`.

use std::cell::RefCell;
use std::time::Duration;

use liveauth_mcp::LiveAuthServer;
use liveauth_mcp::api::ApiClient;
use rmcp::model::CallToolRequestParams;
use rmcp::service::RunningService;
use serde_json::{Map, Value};

use super::vars::Vars;

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
        difficulty_bits: 4,
        ..crate::mock::for_agents(1)
    }
}

/// Fields drop in order: the client before the runtime it (and the mock) run on.
struct Harness {
    client: RunningService<rmcp::RoleClient, ()>,
    calls: u32,
    vars: Vars,
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
        let client = runtime.block_on(async {
            let mock = match crate::mock::serve(mock_config()).await {
                Ok(mock) => mock,
                Err(error) => panic!("fuzzing harness: mock API: {error}"),
            };
            let api = match ApiClient::new(&mock.base, None, Duration::from_secs(5)) {
                Ok(api) => api,
                Err(error) => panic!("fuzzing harness: API client: {error}"),
            };
            match liveauth_mcp::in_process::connect(LiveAuthServer::new(api)).await {
                Ok(connected) => connected.client,
                Err(error) => panic!("fuzzing harness: MCP client: {error}"),
            }
        });
        Self {
            client,
            calls: 0,
            vars: Vars::default(),
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
fn parse(data: &[u8], vars: &Vars) -> ToolCall {
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
    let text = String::from_utf8_lossy(rest);
    let text = String::from_utf8_lossy(&vars.substitute(text.as_bytes())).into_owned();
    let arguments = match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(object)) => object,
        Ok(value) => Map::from_iter([(FIELDS[data.len() % FIELDS.len()].to_owned(), value)]),
        Err(_) => Map::from_iter([("quoteId".to_owned(), Value::String(text))]),
    };
    ToolCall { tool, arguments }
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
    let client = &harness.client;
    let outcome = harness
        .runtime
        .block_on(async { tokio::time::timeout(CALL_LIMIT, client.call_tool(params)).await });
    let result = match outcome {
        Err(_) => panic!("{} {shown} did not answer within {CALL_LIMIT:?}", call.tool),
        Ok(Err(error)) => panic!("{} {shown} gave a JSON-RPC error: {error}", call.tool),
        Ok(Ok(result)) => result,
    };
    let text = crate::mcp::text(&result);
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
    harness.vars.learn(&structured);
}

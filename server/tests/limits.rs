//! The MCP server's bounds (issue 12, faults 6 and 7): concurrent solves, unanswered
//! requests, a client that never reads, and malformed, reused-id or oversized input. Raw
//! JSON-RPC lines over the stdio transport (in this process, over a pipe; once through
//! the built binary), against the real mock.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a panic is a failed test

mod common;

use std::time::Duration;

use common::raw::Raw;
use liveauth_mcp::SolveLimit;
use liveauth_mcp::api::ApiClient;
use liveauth_mcp::stdio::StdioLimits;
use liveauth_testkit::on_both_profiles;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt as _;

/// A difficulty no solve finishes within a test: a solve ends only when cancelled, so it
/// stays in flight as long as a test needs. At most one runs at a time in these tests.
const ENDLESS_BITS: u32 = 40;

/// The text of a tool result in a JSON-RPC answer.
fn result_text(answer: &Value) -> &str {
    answer["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
}

/// Asserts that `answer` is a JSON-RPC error of `code` whose message contains `words`.
fn assert_error(answer: &Value, code: i64, words: &str) {
    assert_eq!(answer["error"]["code"], code, "{answer}");
    let message = answer["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains(words), "{answer}");
}

/// `{"a":{"a":…}}` nested `depth` levels.
fn nested(depth: usize) -> String {
    format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth))
}

async fn server(
    profile: common::Profile,
    solves: SolveLimit,
    limits: StdioLimits,
) -> (liveauth_mcp::embedded::EmbeddedMock, Raw) {
    let mock = liveauth_mcp::embedded::EmbeddedMock::start(mock_api::Config {
        difficulty_bits: ENDLESS_BITS,
        ..common::mock_config(profile)
    })
    .await
    .unwrap();
    let api = ApiClient::new(&mock.base_url, None, Duration::from_secs(5)).unwrap();
    let raw = Raw::start(api, solves, limits, 256 * 1024).await;
    (mock, raw)
}

/// Starts a quote and sends a solve of it as request `id`, asking for progress under the
/// token `id`: a solve reports progress only while it runs, never while it waits.
async fn solve(raw: &mut Raw, id: u64) {
    let quote = raw.quote(id + 1000).await;
    raw.send(
        &json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {
        "name": "liveauth_mcp_solve", "arguments": {"quoteId": quote},
        "_meta": {"progressToken": id}}}),
    )
    .await;
}

/// What one message from the server is, for the solve tests.
enum Seen {
    /// A progress notification of the solve with this id.
    Progress(u64),
    /// A tool result that is an error, for this id.
    Refused(u64, Value),
    Other(Value),
}

async fn next_seen(raw: &mut Raw) -> Seen {
    let message = raw.next().await;
    if message["method"] == "notifications/progress" {
        return Seen::Progress(message["params"]["progressToken"].as_u64().unwrap());
    }
    if message["result"]["isError"] == true {
        return Seen::Refused(message["id"].as_u64().unwrap(), message);
    }
    Seen::Other(message)
}

/// Waits for progress from the solve `id`, skipping progress from any in `skip`; anything
/// else fails the test.
async fn progress_of(raw: &mut Raw, id: u64, skip: &[u64]) {
    loop {
        match next_seen(raw).await {
            Seen::Progress(token) if token == id => return,
            Seen::Progress(token) if skip.contains(&token) => {}
            Seen::Progress(token) => panic!("solve {token} runs while {id} was awaited"),
            Seen::Refused(_, message) | Seen::Other(message) => {
                panic!("awaiting progress from {id}: {message}")
            }
        }
    }
}

/// With one solve running and one waiting allowed, of three solves one is refused at once
/// with a clear isError, one runs (only it reports progress), one waits; a ping and
/// another tool are answered meanwhile; cancelling the running solve gives the waiting
/// one its turn. (A cancelled request is not answered: MCP says its receiver should not.)
async fn solves_beyond_the_limit_wait_or_are_refused(profile: common::Profile) {
    let (mock, mut raw) = server(profile, SolveLimit::new(1, 1), StdioLimits::default()).await;
    for id in 10..13 {
        solve(&mut raw, id).await;
    }
    // Which solve gets which turn is the server's choice: learn it from what it sends.
    let (mut refused, mut running) = (None, None);
    while refused.is_none() || running.is_none() {
        match next_seen(&mut raw).await {
            Seen::Refused(id, message) => {
                assert!(refused.is_none(), "two solves refused: {message}");
                assert!(
                    result_text(&message)
                        .contains("busy: 1 solves are running and 1 waiting, the most"),
                    "{message}"
                );
                refused = Some(id);
            }
            Seen::Progress(id) => assert!(*running.get_or_insert(id) == id, "two solves run"),
            Seen::Other(message) => panic!("{message}"),
        }
    }
    let (refused, running) = (refused.unwrap(), running.unwrap());
    assert_ne!(refused, running);
    let waiting = (10..13)
        .find(|id| ![refused, running].contains(id))
        .unwrap();
    // A few more reports of the running solve, and none of the waiting one meanwhile.
    for _ in 0..2 {
        progress_of(&mut raw, running, &[]).await;
    }
    raw.ping(20).await;
    raw.call(21, "liveauth_mcp_usage", json!({})).await;
    assert_eq!(raw.answer(&json!(21)).await["result"]["isError"], true);
    raw.cancel(running).await;
    progress_of(&mut raw, waiting, &[running]).await;
    raw.cancel(waiting).await;
    raw.ping(22).await;
    mock.stop().await;
}

/// A request that reuses the id of one still unanswered is answered with an error, and
/// the running one is left alone: it goes on reporting progress.
async fn a_reused_id_is_answered(profile: common::Profile) {
    let (mock, mut raw) = server(profile, SolveLimit::new(1, 0), StdioLimits::default()).await;
    solve(&mut raw, 5).await;
    raw.send(&json!({"jsonrpc": "2.0", "id": 5, "method": "ping"}))
        .await;
    assert_error(&raw.answer(&json!(5)).await, -32600, "still unanswered");
    progress_of(&mut raw, 5, &[]).await;
    raw.ping(6).await;
    raw.cancel(5).await;
    raw.ping(7).await;
    mock.stop().await;
}

/// Beyond the unanswered requests allowed, a request is answered busy at once; a
/// cancelled request frees its place.
async fn unanswered_requests_are_bounded(profile: common::Profile) {
    let limits = StdioLimits {
        max_unanswered: 2,
        ..StdioLimits::default()
    };
    // One solve runs, one waits for its turn: two requests in flight.
    let (mock, mut raw) = server(profile, SolveLimit::new(1, 1), limits).await;
    solve(&mut raw, 10).await;
    solve(&mut raw, 11).await;
    raw.send(&json!({"jsonrpc": "2.0", "id": 12, "method": "ping"}))
        .await;
    assert_error(&raw.answer(&json!(12)).await, -32000, "2 requests (");
    raw.cancel(10).await;
    raw.ping(13).await;
    raw.cancel(11).await;
    raw.ping(14).await;
    mock.stop().await;
}

/// A 10 MB `quoteId`, or any oversized string argument, is an invalid argument naming the
/// argument and the limit, not an API failure.
async fn oversized_arguments_are_invalid(profile: common::Profile) {
    let harness = common::Harness::new(profile).await;
    let huge = "q".repeat(10 * 1024 * 1024);
    for tool in [
        "liveauth_mcp_status",
        "liveauth_mcp_lnurl",
        "liveauth_mcp_confirm",
    ] {
        let error = harness.err(tool, json!({"quoteId": huge})).await;
        assert!(
            error.contains("invalid argument `quoteId`") && error.contains("at most 4096"),
            "{tool}: {error}"
        );
    }
    let error = harness
        .err(
            "liveauth_mcp_refresh",
            json!({"refreshToken": "r".repeat(5000)}),
        )
        .await;
    assert!(error.contains("`refreshToken`: 5000 bytes long"), "{error}");
    // The session is untouched: a normal call still works.
    harness.ok("liveauth_mcp_start", json!({})).await;
}

on_both_profiles!(
    solves_beyond_the_limit_wait_or_are_refused,
    a_reused_id_is_answered,
    unanswered_requests_are_bounded,
    oversized_arguments_are_invalid,
);

/// The built binary answers what rmcp's stdio transport drops: a line that is not JSON
/// (-32700), a tool call nested deeper than serde_json's 128 levels (-32600 with its id),
/// JSON that is no message (-32600); and keeps serving.
#[tokio::test]
async fn stdio_answers_malformed_lines() {
    let (mut raw, mut child, _) = Raw::binary(&["--embedded-mock"], "warn");
    raw.initialize().await;
    raw.line("this is not json").await;
    let parse = raw.next().await;
    assert_error(&parse, -32700, "Parse error");
    assert!(parse.get("id").is_none(), "{parse}");

    raw.line(&format!(
        r#"{{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{{"name":"liveauth_mcp_start","arguments":{}}}}}"#,
        nested(200)
    ))
    .await;
    let deep = raw.next().await;
    assert_eq!(deep["id"], 7, "{deep}");
    assert_error(&deep, -32600, "recursion limit");

    raw.line("[]").await;
    assert_eq!(raw.next().await["error"]["code"], -32600);
    // A notification is never answered, even a broken one; the next answer is the ping's.
    raw.line(&format!(
        r#"{{"jsonrpc":"2.0","method":"notifications/x","params":{}}}"#,
        nested(200)
    ))
    .await;
    raw.send(&json!({"jsonrpc": "2.0", "id": 8, "method": "ping"}))
        .await;
    assert_eq!(raw.next().await["id"], 8);
    child.kill().await.unwrap();
}

/// A client that writes requests but never reads the answers is soon not read either:
/// the server holds a bounded number of them instead of reading stdin without end.
#[tokio::test]
async fn a_client_that_never_reads_is_not_read() {
    let (mock, api) = common::mock_at_difficulty(10).await;
    let mut raw = Raw::start(api, SolveLimit::new(1, 0), StdioLimits::default(), 4096).await;
    let ping = format!(
        "{}\n",
        json!({"jsonrpc": "2.0", "id": "p", "method": "ping"})
    );
    let mut written = 0usize;
    for n in 0..100_000u64 {
        let line = ping.replace("\"p\"", &n.to_string());
        let write = raw.write.write_all(line.as_bytes());
        if tokio::time::timeout(Duration::from_secs(2), write)
            .await
            .is_err()
        {
            break;
        }
        written += line.len();
    }
    // The pipe, the reader's buffer and at most 64 unanswered pings: far below 100,000.
    assert!(
        written < 200_000,
        "{written} bytes read from a client that never reads"
    );
    mock.stop().await;
}

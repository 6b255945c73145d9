//! A real rmcp client connected to the server in-process (`liveauth_mcp::in_process`), which
//! talks to the real mock API on a loopback socket. The tool call helpers are
//! `liveauth_testkit::mcp::Agent`'s.

#![allow(dead_code, unreachable_pub, unused_imports)] // each test binary uses a different part
#![allow(clippy::unwrap_used)] // test harness: a panic is a failed test

pub mod http;
pub mod raw;

use std::ops::Deref;
use std::time::Duration;

use liveauth_mcp::LiveAuthServer;
use liveauth_mcp::api::ApiClient;
use liveauth_mcp::clock::Clock;
use liveauth_mcp::embedded::EmbeddedMock;
use liveauth_mcp::in_process;
use liveauth_testkit::mcp::Agent;
use liveauth_testkit::mock;
use serde_json::{Value, json};

pub use liveauth_testkit::mcp::text;
pub use liveauth_testkit::mock::{PROJECT_KEY, Profile};
pub use mock_api::clock::Clock as MockClock;

/// The key of the mock's demo project, which keyless requests are.
pub const DEMO_KEY: &str = mock_api::config::DEMO_PUBLIC_KEY;

pub struct Harness {
    pub agent: Agent,
    pub mock: Option<EmbeddedMock>,
    pub base: String,
}

/// The mock for tests in `profile`: low difficulty, instant demo settlement, seeded.
pub fn mock_config(profile: Profile) -> mock_api::Config {
    mock_api::Config {
        profile,
        difficulty_bits: 10,
        projects: vec![mock::project(PROJECT_KEY, Some(21))],
        ..mock::for_agents(7)
    }
}

/// The mock with challenges of `bits` difficulty (high, for tests that stop a solve), and
/// a keyless API client for it.
pub async fn mock_at_difficulty(bits: u32) -> (EmbeddedMock, ApiClient) {
    let mock = EmbeddedMock::start(mock_api::Config {
        difficulty_bits: bits,
        ..mock_config(Profile::Strict)
    })
    .await
    .unwrap();
    let api = ApiClient::new(&mock.base_url, None, Duration::from_secs(5)).unwrap();
    (mock, api)
}

fn api_client(base: &str, key: Option<&str>) -> ApiClient {
    ApiClient::new(base, key.map(str::to_owned), Duration::from_secs(5)).unwrap()
}

impl Deref for Harness {
    type Target = Agent;

    fn deref(&self) -> &Agent {
        &self.agent
    }
}

impl Harness {
    /// Keyless (the mock's anonymous demo project) against a fresh mock in `profile`.
    pub async fn new(profile: Profile) -> Self {
        Self::with(mock_config(profile), None).await
    }

    pub async fn with(config: mock_api::Config, key: Option<&str>) -> Self {
        let mock = EmbeddedMock::start(config).await.unwrap();
        let base = mock.base_url.clone();
        let mut harness = Self::connect(&base, key).await;
        harness.mock = Some(mock);
        harness
    }

    /// Against a fresh mock in `config` on a manual clock that the server shares, so a
    /// test moves time (`clock.advance`) instead of sleeping; `key` as in [`Harness::with`].
    /// The clock is the mock's: advancing it moves the server's too.
    pub async fn on_manual_clock(config: mock_api::Config, key: Option<&str>) -> (Self, MockClock) {
        let config = mock_api::Config {
            manual_clock: true,
            ..config
        };
        let mock::Served { base, state } = mock::serve(config).await.unwrap();
        let harness = Self::sharing_clock(&base, key, &state.clock).await;
        (harness, state.clock)
    }

    /// Another agent against `base` on the same manual clock.
    pub async fn sharing_clock(base: &str, key: Option<&str>, clock: &MockClock) -> Self {
        let api = api_client(base, key);
        let base = api.base().to_owned();
        let reader = clock.clone();
        let server = LiveAuthServer::new(api).with_clock(Clock::from_fn(move || reader.now()));
        Self::with_server(base, server).await
    }

    /// Against any base URL (e.g. one where nothing listens).
    pub async fn connect(base: &str, key: Option<&str>) -> Self {
        Self::with_api(api_client(base, key)).await
    }

    /// A server on this API client (e.g. one in the legacy demo mode).
    pub async fn with_api(api: ApiClient) -> Self {
        let base = api.base().to_owned();
        Self::with_server(base, LiveAuthServer::new(api)).await
    }

    async fn with_server(base: String, server: LiveAuthServer) -> Self {
        let connection = in_process::connect(server).await.unwrap();
        Self {
            agent: Agent::new(connection.client),
            mock: None,
            base,
        }
    }

    /// A successful call's structured content, checked against the tool's output schema
    /// and against the text block, which must hold the same JSON.
    pub async fn ok(&self, tool: &str, arguments: Value) -> Value {
        self.agent.ok_valid(tool, arguments).await
    }

    /// The session's first charge: booked, one call, `sats` sats.
    pub async fn first_charge(&self, sats: u64) {
        let charge = self
            .ok("liveauth_mcp_charge", json!({"callCostSats": sats}))
            .await;
        assert_eq!(
            (&charge["status"], &charge["callsUsed"], &charge["satsUsed"]),
            (&json!("ok"), &json!(1), &json!(sats)),
            "{charge}"
        );
    }
}

//! The state file across processes, through the built binary: a server killed with
//! SIGKILL and started again carries on with the same session (the mock's counters show
//! no second one), a Lightning quote paid while no server ran confirms afterwards, and
//! two servers on one file share their refreshes while access tokens expire every 2 s.
//!
//! The mock runs in this test's process on a loopback socket, so the test reads its
//! counters and counts its refresh requests. The servers use the system clock (they are
//! other processes), so the expiry test takes real seconds: it is bounded by its count.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a panic is a failed test

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::middleware::Next;
use liveauth_testkit::mcp::Agent;
use liveauth_testkit::mock::{self, PROJECT_KEY, Profile};
use liveauth_testkit::process;
use mock_api::AppState;
use rmcp::ServiceExt as _;
use serde_json::{Value, json};
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_liveauth-mcp");

/// Charges each of the two servers makes in the expiry test.
const CHARGES_PER_PROCESS: usize = 200;

/// Pause between one server's charges, so the run spans several token lifetimes.
const CHARGE_PAUSE: Duration = Duration::from_millis(30);

/// A mock on 127.0.0.1:0 that notes when each refresh request arrives.
struct Mock {
    base: String,
    state: AppState,
    refreshes: Arc<Mutex<Vec<Instant>>>,
}

impl Mock {
    async fn start(config: mock_api::Config) -> Self {
        let state = AppState::new(config);
        let refreshes = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&refreshes);
        let router = mock_api::router(state.clone()).layer(axum::middleware::from_fn(
            move |request: Request, next: Next| {
                if request.uri().path() == "/api/mcp/refresh" {
                    log.lock().unwrap().push(Instant::now());
                }
                next.run(request)
            },
        ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let limits = liveauth_serve::Limits::default();
        tokio::spawn(liveauth_serve::serve(
            listener,
            router,
            limits,
            std::future::pending(),
        ));
        Self {
            base,
            state,
            refreshes,
        }
    }

    fn sessions(&self) -> usize {
        self.state.store.stats().sessions
    }

    fn refreshes(&self) -> Vec<Instant> {
        self.refreshes.lock().unwrap().clone()
    }

    /// Pays an invoice, as a wallet would (the mock's dev endpoint).
    async fn settle(&self, payment_hash: &str) {
        let response = reqwest::Client::new()
            .post(format!("{}/api/dev/settle/{payment_hash}", self.base))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{response:?}");
    }
}

/// The mock for these tests: `profile`, a keyed project whose invoices stay unpaid until
/// settled, quick challenges, and budgets no test here exhausts.
fn config(profile: Profile) -> mock_api::Config {
    mock_api::Config {
        profile,
        difficulty_bits: 8,
        projects: vec![mock::project(PROJECT_KEY, Some(21))],
        max_sats_per_day: 1_000_000,
        max_calls_per_minute: 100_000,
        ..mock::for_agents(15)
    }
}

/// A `liveauth-mcp` process on `state`, with an MCP client on its stdio.
struct Server {
    child: Child,
    agent: Agent,
}

impl Server {
    async fn start(mock: &Mock, state: &Path) -> Self {
        let mut command = Command::new(BIN);
        command
            .args([
                "--api-base",
                &mock.base,
                "--api-key",
                PROJECT_KEY,
                "--state",
            ])
            .arg(state)
            .env_remove("LIVEAUTH_STATE")
            .env_remove("LIVEAUTH_DEMO");
        let spawned = process::spawn(&mut command, "liveauth_mcp=info");
        spawned.stderr.drain();
        let agent = Agent::new(().serve((spawned.stdout, spawned.stdin)).await.unwrap());
        let child = spawned.child;
        Self { child, agent }
    }

    /// SIGKILL: no shutdown code runs, nothing is flushed on the way out.
    async fn kill(mut self) {
        self.child.start_kill().unwrap();
        self.child.wait().await.unwrap();
    }

    async fn ok(&self, tool: &str, arguments: Value) -> Value {
        self.agent.ok(tool, arguments).await
    }
}

/// Authenticated, a PoW quote solved but not confirmed and a Lightning quote started;
/// killed; the invoice paid while no server runs; a new process on the same file: usage,
/// charge, refresh, status, lnurl and both confirms work, and until those confirms the
/// mock holds the one session of the first authentication.
async fn a_killed_server_carries_on(profile: Profile) {
    let mock = Mock::start(config(profile)).await;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.db");

    let first = Server::start(&mock, &state).await;
    first.ok("liveauth_mcp_authenticate", json!({})).await;
    let charge = first
        .ok("liveauth_mcp_charge", json!({"callCostSats": 3}))
        .await;
    assert_eq!(charge["satsUsed"], 3, "{charge}");
    let pow = first.ok("liveauth_mcp_start", json!({})).await;
    let pow_id = pow["quoteId"].as_str().unwrap().to_owned();
    first
        .ok("liveauth_mcp_solve", json!({"quoteId": pow_id}))
        .await;
    let lightning = first
        .ok("liveauth_mcp_start", json!({"forceLightning": true}))
        .await;
    let lightning_id = lightning["quoteId"].as_str().unwrap().to_owned();
    let payment_hash = lightning["invoice"]["paymentHash"].as_str().unwrap();
    first.kill().await;
    assert_eq!(mock.sessions(), 1);

    mock.settle(payment_hash).await;

    let second = Server::start(&mock, &state).await;
    let usage = second.ok("liveauth_mcp_usage", json!({})).await;
    assert_eq!(usage["satsUsed"], 3, "{usage}");
    let charge = second
        .ok("liveauth_mcp_charge", json!({"callCostSats": 4}))
        .await;
    assert_eq!(charge["satsUsed"], 7, "{charge}");
    second.ok("liveauth_mcp_refresh", json!({})).await;
    let charge = second
        .ok("liveauth_mcp_charge", json!({"callCostSats": 1}))
        .await;
    assert_eq!(charge["satsUsed"], 8, "{charge}");
    assert_eq!(mock.sessions(), 1, "the restart opened a second session");

    let status = second
        .ok("liveauth_mcp_status", json!({"quoteId": lightning_id}))
        .await;
    assert_eq!(status["paymentStatus"], "paid", "{status}");
    // lnurl checks the invoice against the quote it kept: the quote survived.
    let lnurl = second
        .ok("liveauth_mcp_lnurl", json!({"quoteId": lightning_id}))
        .await;
    assert_eq!(
        lnurl["decoded"]["amountSats"],
        lightning["invoice"]["amountSats"]
    );
    // Confirm fills in the kept challenge and solution.
    let confirmed = second
        .ok("liveauth_mcp_confirm", json!({"quoteId": pow_id}))
        .await;
    assert!(confirmed["jwt"].is_string(), "{confirmed}");
    let paid = second
        .ok("liveauth_mcp_confirm", json!({"quoteId": lightning_id}))
        .await;
    assert!(paid["jwt"].is_string(), "{paid}");
    assert_eq!(mock.sessions(), 3);
    second.kill().await;
}

/// Two servers on one file, each making [`CHARGES_PER_PROCESS`] charges while access
/// tokens live 2 s: every charge succeeds, on one session, and each expiry is refreshed
/// once. A token is refreshed at the earliest when its issuing second has passed by its
/// whole lifetime, so two refreshes of one expiry would arrive within the same second;
/// every gap between refreshes is longer.
async fn two_servers_share_refreshes(profile: Profile) {
    let mock = Mock::start(mock_api::Config {
        jwt_ttl_secs: 2,
        ..config(profile)
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.db");
    let first = Server::start(&mock, &state).await;
    first.ok("liveauth_mcp_authenticate", json!({})).await;
    let second = Server::start(&mock, &state).await;

    let charges = async |server: &Server| {
        for _ in 0..CHARGES_PER_PROCESS {
            let charge = server
                .ok("liveauth_mcp_charge", json!({"callCostSats": 1}))
                .await;
            assert_eq!(charge["status"], "ok", "{charge}");
            tokio::time::sleep(CHARGE_PAUSE).await;
        }
    };
    tokio::join!(charges(&first), charges(&second));

    let usage = first.ok("liveauth_mcp_usage", json!({})).await;
    assert_eq!(usage["satsUsed"], 2 * CHARGES_PER_PROCESS, "{usage}");
    assert_eq!(mock.sessions(), 1);
    let refreshes = mock.refreshes();
    assert!(
        refreshes.len() >= 2,
        "the run spanned several token lifetimes, yet {} refreshes",
        refreshes.len()
    );
    for pair in refreshes.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap > Duration::from_millis(900),
            "two refreshes {gap:?} apart: one expiry was refreshed twice ({} refreshes)",
            refreshes.len()
        );
    }
    first.kill().await;
    second.kill().await;
}

liveauth_testkit::on_both_profiles!(a_killed_server_carries_on, two_servers_share_refreshes);

//! The real mock API for tests: seeded configurations, the app served on a loopback
//! socket for clients that need one (reqwest, the MCP server's API client), and real
//! invoices from a mock node for stand-in APIs.

pub use mock_api::Profile;
use mock_api::config::ProjectSpec;
use mock_api::lightning::{InvoiceRequest, LightningError, LightningNode, Network};
use mock_api::{AppState, Config};
use tokio::net::TcpListener;

/// The keyed project of [`config`] and [`for_agents`].
pub const PROJECT_KEY: &str = "la_pk_test";

/// A project served by the mock, at `price_sats` per session (the default when `None`).
pub fn project(public_key: &str, price_sats: Option<u64>) -> ProjectSpec {
    ProjectSpec {
        public_key: public_key.to_owned(),
        price_sats,
    }
}

/// Byte-identical runs: seeded, manual clock (tests move it through the dev endpoint),
/// 8-bit challenges (solved at once), and [`PROJECT_KEY`] at the default price, in the
/// strict profile (the tests written before the hosted profile assert its behaviour;
/// hosted tests set `profile` themselves).
pub fn config(seed: u64) -> Config {
    Config {
        profile: Profile::Strict,
        seed: Some(seed),
        manual_clock: true,
        difficulty_bits: 8,
        projects: vec![project(PROJECT_KEY, None)],
        ..Config::default()
    }
}

/// For a mock behind the MCP server: seeded, on the system clock (the server checks
/// challenge and invoice expiry against its own clock, which a manual clock starting in
/// the past would fail), and demo invoices paid as soon as they are issued. Strict
/// profile, as [`config`].
pub fn for_agents(seed: u64) -> Config {
    Config {
        profile: Profile::Strict,
        seed: Some(seed),
        demo_settle_after_secs: 0,
        ..Config::default()
    }
}

/// A mock served on a loopback socket until the runtime that served it ends.
#[derive(Debug, Clone)]
pub struct Served {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub base: String,
    /// The app's state: its keys, clock and store, for tests that read or sign with them.
    pub state: AppState,
}

/// Serves `mock_api::app(config)` on 127.0.0.1:0 in a task of the current runtime.
pub async fn serve(config: Config) -> std::io::Result<Served> {
    serve_state(AppState::new(config)).await
}

/// As [`serve`], over a state the caller made.
pub async fn serve_state(state: AppState) -> std::io::Result<Served> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(mock_api::serve(
        listener,
        state.clone(),
        std::future::pending(),
    ));
    Ok(Served { base, state })
}

/// A real regtest BOLT11 invoice for `amount_sats` and `payment_hash`, created at
/// `created_at_unix` and valid for 600 s, signed by a mock node: for stand-in APIs
/// (wiremock) that must hand out an invoice the MCP server can decode and check.
pub fn invoice(
    amount_sats: u64,
    payment_hash: [u8; 32],
    created_at_unix: u64,
) -> Result<String, LightningError> {
    LightningNode::from_seed([9; 32], Network::Regtest).create_invoice(&InvoiceRequest {
        amount_sats,
        payment_hash,
        payment_secret: [5; 32],
        description: "LiveAuth test invoice".to_owned(),
        created_at_unix,
        expiry_secs: 600,
    })
}

/// Both profiles, for tests that loop over them.
pub const PROFILES: [Profile; 2] = [Profile::Hosted, Profile::Strict];

/// `hosted` or `strict`, by `profile`: what a test expects where the profiles differ.
pub fn hosted_or_strict<T>(profile: Profile, hosted: T, strict: T) -> T {
    match profile {
        Profile::Hosted => hosted,
        Profile::Strict => strict,
    }
}

/// Declares each `async fn name(profile: Profile)` of the test file as two tests,
/// `hosted::name` and `strict::name`, so every flow runs against both mock profiles and a
/// failure names the profile it failed on.
#[macro_export]
macro_rules! on_both_profiles {
    ($($name:ident),+ $(,)?) => {
        mod hosted {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::mock::Profile::Hosted).await;
                }
            )+
        }
        mod strict {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::mock::Profile::Strict).await;
                }
            )+
        }
    };
}

//! The mock API the checker serves on loopback when no `--api-base` is given, in the asked
//! profile, for as long as the checker runs.

use mock_api::config::ProjectSpec;
use mock_api::{AppState, Config, Profile};
use tokio::net::TcpListener;

use super::MockProfile;

/// Serves a mock (`profile`, `bits` of PoW, `key` registered as a project) on
/// 127.0.0.1:0 in a task of the current runtime; its base URL. Demo invoices do not pay
/// themselves (an hour), so the Lightning flow sees a pending quote and settles it
/// through the dev endpoint.
pub(crate) async fn start(
    profile: MockProfile,
    key: Option<&str>,
    bits: u32,
) -> Result<String, String> {
    let mut config = Config {
        profile: match profile {
            MockProfile::Hosted => Profile::Hosted,
            MockProfile::Strict => Profile::Strict,
        },
        difficulty_bits: bits,
        demo_settle_after_secs: 3600,
        ..Config::default()
    };
    if let Some(key) = key {
        let spec: ProjectSpec = key.parse().map_err(|e| format!("--api-key: {e}"))?;
        config.projects.push(spec);
    }
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("cannot listen on loopback: {e}"))?;
    let address = listener
        .local_addr()
        .map_err(|e| format!("cannot read the mock's address: {e}"))?;
    tokio::spawn(mock_api::serve(
        listener,
        AppState::new(config),
        std::future::pending(),
    ));
    Ok(format!("http://{address}"))
}

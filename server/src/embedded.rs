//! The mock API in this process, for offline use (`--embedded-mock`, `demo`). Behind the
//! `embedded-mock` feature, like everything that needs the `mock-api` crate.

use std::net::SocketAddr;

use mock_api::{AppState, Config};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Why the embedded mock did not start.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    /// The project key to register is not one.
    #[error("--api-key: {0}")]
    Key(String),
    #[error("cannot start the embedded mock")]
    Io(#[from] std::io::Error),
}

/// A running in-process mock on 127.0.0.1; stops when dropped.
#[derive(Debug)]
pub struct EmbeddedMock {
    pub base_url: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl EmbeddedMock {
    /// Serves `mock_api::app(config)` on a free loopback port.
    pub async fn start(config: Config) -> std::io::Result<Self> {
        Self::start_at(SocketAddr::from(([127, 0, 0, 1], 0)), config).await
    }

    /// The mock for `--embedded-mock`: `key`, when given, is registered as a project (the
    /// demo key is known to the mock already; any other must look like one). No dev
    /// endpoints: nothing the agent does needs them, and any local process could call them
    /// to settle invoices or move the clock.
    pub async fn start_with_project(key: Option<&str>) -> Result<Self, EmbeddedError> {
        // The default profile, hosted: offline runs meet the API as production has it.
        let mut config = Config {
            dev_endpoints: false,
            ..Config::default()
        };
        if let Some(key) = key.filter(|key| *key != mock_api::config::DEMO_PUBLIC_KEY) {
            config
                .projects
                .push(key.parse().map_err(EmbeddedError::Key)?);
        }
        Ok(Self::start(config).await?)
    }

    /// Serves it on `addr` (tests restart a mock where an old one was).
    pub async fn start_at(addr: SocketAddr, config: Config) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(mock_api::serve(listener, AppState::new(config), async {
            let _ = stopped.await;
        }));
        tracing::info!("embedded mock API at {base_url}");
        Ok(Self {
            base_url,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// Stops the mock and waits for it.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for EmbeddedMock {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

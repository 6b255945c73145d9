//! A real rmcp client connected to a [`LiveAuthServer`] in this process, over
//! `tokio::io::duplex`: what the demo, the fuzzing harness and the tests talk through.
//! Nothing is shortcut: the server reads through the stdio transport ([`crate::stdio`]),
//! so every call crosses the same JSON-RPC framing and limits a stdio client's would.

use rmcp::service::{ClientInitializeError, RunningService};
use rmcp::{ClientHandler, RoleClient, ServiceExt as _};
use tokio::task::JoinHandle;

use crate::stdio::{StdioLimits, StdioTransport};
use crate::tools::LiveAuthServer;

/// Bytes the pipe buffers in each direction; a full buffer only makes the writer wait.
const PIPE_BYTES: usize = 256 * 1024;

/// The client, and the task that serves the server until the client goes away.
#[derive(Debug)]
pub struct InProcess<C: ClientHandler = ()> {
    pub client: RunningService<RoleClient, C>,
    /// Ends when the connection closes (rmcp first lets in-flight requests finish, up
    /// to 5 s).
    pub server: JoinHandle<()>,
}

/// Why no MCP session came up. Boxed: rmcp's error is large, and this one is returned
/// by value.
#[derive(Debug, thiserror::Error)]
#[error("the MCP client could not connect to the in-process server")]
pub struct ConnectError(#[source] Box<ClientInitializeError>);

/// Serves `server` and connects a plain client (one that handles no notifications).
pub async fn connect(server: LiveAuthServer) -> Result<InProcess, ConnectError> {
    connect_with(server, ()).await
}

/// Serves `server` and connects `handler` as the client, e.g. one that collects progress
/// notifications.
pub async fn connect_with<C: ClientHandler>(
    server: LiveAuthServer,
    handler: C,
) -> Result<InProcess<C>, ConnectError> {
    let (server_io, client_io) = tokio::io::duplex(PIPE_BYTES);
    // Spawned before the client connects: both sides take part in the handshake.
    let server = tokio::spawn(async move {
        let (read, write) = tokio::io::split(server_io);
        let transport = StdioTransport::new(read, write, StdioLimits::default());
        match server.serve(transport).await {
            Ok(running) => {
                let _ = running.waiting().await;
            }
            Err(error) => tracing::warn!("in-process MCP server did not start: {error}"),
        }
    });
    let client = handler
        .serve(client_io)
        .await
        .map_err(|error| ConnectError(Box::new(error)))?;
    Ok(InProcess { client, server })
}

impl<C: ClientHandler> InProcess<C> {
    /// Closes the connection and waits for the server task to end.
    pub async fn close(self) {
        let _ = self.client.cancel().await;
        let _ = self.server.await;
    }
}

//! The HTTP/1.1 serving loop of both LiveAuth binaries (`mock-api` and
//! `liveauth-mcp --http`), written once so both resist the same floods and slow clients.
//!
//! - [`serve`]: accepts on a listener and serves an axum [`Router`] within [`Limits`]:
//!   a header-read timeout, an idle keep-alive timeout (both in `timer`), a cap on open
//!   connections (one more is answered 503 and closed at once, never left waiting in the
//!   backlog), and a bound on the request line plus headers (431 above). Each request
//!   carries its connection's [`LocalAddr`] and axum's `ConnectInfo<SocketAddr>`.
//! - [`refuse_oversized`] ([`BodyLimit`]): a middleware that answers an announced body
//!   above the app's limit with the app's own 413, before anything reads it.
//! - [`Limits`]: the flags, flattened into both command lines.

mod body;
mod limits;
mod timer;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, HeaderValue, header};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tower::ServiceExt as _;

pub use body::{BodyLimit, refuse_oversized};
pub use limits::Limits;

use timer::{BytesRead, Counted, HeadTimer};

/// The local address the request's connection was accepted on (a request extension):
/// the address a client reached, even when the listener is on `0.0.0.0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalAddr(pub SocketAddr);

/// Serves `router` on `listener` within `limits` until `shutdown` completes; then stops
/// accepting, closes idle connections and waits for requests in flight.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let listen_addr = listener.local_addr()?;
    let slots = Arc::new(Semaphore::new(
        usize::try_from(limits.max_connections).unwrap_or(usize::MAX),
    ));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    pause_after(error).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            refuse(&stream, peer);
            continue;
        };
        let local = stream.local_addr().unwrap_or(listen_addr);
        // Responses are written whole; Nagle would only delay them.
        let _ = stream.set_nodelay(true);
        let read = Arc::new(BytesRead::default());
        let io = TokioIo::new(Counted::new(stream, Arc::clone(&read)));
        let mut http = http1::Builder::new();
        http.timer(HeadTimer::new(
            limits.header_read_timeout,
            limits.idle_timeout,
            read,
        ))
        .header_read_timeout(limits.header_read_timeout)
        .max_header_size(usize::try_from(limits.max_header_bytes).unwrap_or(usize::MAX));
        let router = router.clone();
        let service = service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(LocalAddr(local));
            request.extensions_mut().insert(ConnectInfo(peer));
            let with_body = carries_body(request.headers());
            let answer = router.clone().oneshot(request);
            async move {
                let mut response = answer.await?;
                if with_body && !response.status().is_success() {
                    close_after(&mut response);
                }
                Ok::<_, std::convert::Infallible>(response)
            }
        });
        let connection = graceful.watch(http.serve_connection(io, service));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%peer, "connection closed: {error}");
            }
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Whether a request announces a body (a length above 0, or chunked).
fn carries_body(headers: &HeaderMap) -> bool {
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .is_some_and(|length| length.as_bytes() != b"0")
}

/// Marks an answer as the connection's last. A refusal may leave the request's body
/// unread (a 413 before reading, a 401 or 415 before the extractor that reads it), and
/// hyper then closes the connection after answering; without `Connection: close` the
/// client keeps it for its next request, which dies with it ("connection closed before
/// message completed").
fn close_after(response: &mut axum::response::Response) {
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
}

/// Answers a connection beyond the cap with a 503 and closes it. The write never waits
/// (a fresh socket's send buffer is empty), so a flood costs no task and no memory.
fn refuse(stream: &TcpStream, peer: SocketAddr) {
    const BODY: &str = "too many open connections: retry later\n";
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\n\
         retry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{BODY}",
        BODY.len()
    );
    let _ = stream.try_write(response.as_bytes());
    tracing::debug!(%peer, "connection refused: at the connection cap");
}

/// After a failed accept: per-connection failures are skipped at once; anything else
/// (out of file descriptors) is logged and waited out briefly instead of spinning.
async fn pause_after(error: io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        error.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::warn!("accept failed: {error}");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

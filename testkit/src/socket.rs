//! What slow and greedy clients do to an HTTP server, over real loopback sockets, for the
//! socket-level tests of both binaries (`mock-api`, `liveauth-mcp --http`), which share
//! their serving code (`liveauth-serve`). Every wait is bounded by [`BOUND`]; each check
//! returns how long the server took, so a test can say it was not cut off early.
//! [`socket_tests!`](crate::socket_tests) declares the checks as tests, once for both.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

pub use liveauth_serve::Limits;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// The longest any check waits for the server: far above the short timeouts the tests
/// configure, far below a hang.
pub const BOUND: Duration = Duration::from_secs(10);

/// The timeout the tests configure short, and the one a check must not be cut off by.
pub const SHORT: Duration = Duration::from_millis(300);
pub const LONG: Duration = Duration::from_secs(60);

/// The default limits with these two timeouts.
pub fn timeouts(header_read_timeout: Duration, idle_timeout: Duration) -> Limits {
    Limits {
        header_read_timeout,
        idle_timeout,
        ..Limits::default()
    }
}

/// A server under the socket tests: where it listens. The value keeps the server serving
/// while it lives.
pub trait Listening {
    fn addr(&self) -> SocketAddr;
}

impl Listening for SocketAddr {
    fn addr(&self) -> SocketAddr {
        *self
    }
}

/// Declares the checks of this module as one `#[tokio::test]` each, the same for both
/// binaries: `serve` is an `async fn(Limits) -> impl Listening` that starts the server
/// under test within those limits, `get` a path it answers to a GET, `bodies` the paths
/// whose announced oversized body must be refused unread.
#[macro_export]
macro_rules! socket_tests {
    (serve: $serve:path, get: $get:expr, bodies: [$($body:expr),+ $(,)?] $(,)?) => {
        /// A new connection that drips its head byte by byte is closed at the header-read
        /// timeout.
        #[tokio::test]
        async fn a_slow_first_head_is_cut_off() -> Result<(), String> {
            use $crate::socket::{self, LONG, Listening as _, SHORT};
            let server = $serve(socket::timeouts(SHORT, LONG)).await;
            socket::slow_first_head_is_cut_off(server.addr(), $get, SHORT).await
        }

        /// A kept-alive connection that starts its next head and drips it is closed at the
        /// header-read timeout, though the idle timeout is a minute.
        #[tokio::test]
        async fn a_slow_next_head_is_cut_off() -> Result<(), String> {
            use $crate::socket::{self, LONG, Listening as _, SHORT};
            let server = $serve(socket::timeouts(SHORT, LONG)).await;
            socket::slow_next_head_is_cut_off(server.addr(), $get).await
        }

        /// A kept-alive connection that sends nothing more is closed at the idle timeout,
        /// not the (longer) header-read timeout.
        #[tokio::test]
        async fn an_idle_connection_is_closed() -> Result<(), String> {
            use $crate::socket::{self, LONG, Listening as _, SHORT};
            let server = $serve(socket::timeouts(LONG, SHORT)).await;
            socket::idle_connection_is_closed(server.addr(), $get, SHORT).await
        }

        /// Beyond the cap a connection is answered 503 (or closed) at once, never left
        /// waiting; once a held one closes, new connections are served again.
        #[tokio::test]
        async fn connections_beyond_the_cap_are_refused_at_once() -> Result<(), String> {
            use $crate::socket::{self, LONG, Limits, Listening as _};
            let limits = Limits {
                max_connections: 4,
                ..socket::timeouts(LONG, LONG)
            };
            let server = $serve(limits).await;
            socket::extra_connections_are_refused(server.addr(), $get, 4).await
        }

        /// A body announced above the app's limit is answered 413 at once, on each path
        /// of `bodies` (routes that read bodies and routes that do not), and
        /// `Expect: 100-continue` gets no `100 Continue`.
        #[tokio::test]
        async fn an_oversized_announced_body_is_refused_unread() -> Result<(), String> {
            use $crate::socket::{self, Limits, Listening as _};
            let server = $serve(Limits::default()).await;
            $(socket::oversized_body_is_refused_unread(server.addr(), $body).await?;)+
            Ok(())
        }

        /// Request line plus headers are bounded: 16 KiB by default, or as configured;
        /// 431 above.
        #[tokio::test]
        async fn an_oversized_head_is_431() -> Result<(), String> {
            use $crate::socket::{self, Limits, Listening as _};
            let default = Limits::default();
            let server = $serve(default).await;
            let max = usize::try_from(default.max_header_bytes).map_err(|e| e.to_string())?;
            socket::oversized_head_is_431(server.addr(), $get, max).await?;
            let server = $serve(Limits {
                max_header_bytes: 4096,
                ..default
            })
            .await;
            socket::oversized_head_is_431(server.addr(), $get, 4096).await
        }
    };
}

/// A request for `path` with no body, addressed to `addr`, kept alive.
pub fn get(addr: SocketAddr, path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nhost: {addr}\r\naccept: */*\r\n\r\n")
}

/// Sends `request` and reads one whole response; returns its status. The connection stays
/// open (if the server keeps it).
pub async fn exchange(stream: &mut TcpStream, request: &str) -> Result<u16, String> {
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| format!("send: {e}"))?;
    tokio::time::timeout(BOUND, read_response(stream))
        .await
        .map_err(|_| format!("no response within {BOUND:?}"))?
}

/// Reads one response (`content-length` or chunked body) and returns its status.
async fn read_response(stream: &mut TcpStream) -> Result<u16, String> {
    let mut data = Vec::new();
    let head_end = loop {
        if let Some(end) = find(&data, b"\r\n\r\n") {
            break end + 4;
        }
        read_more(stream, &mut data).await?;
    };
    let head = String::from_utf8_lossy(&data[..head_end]).to_ascii_lowercase();
    let status = status_of(&head)?;
    let length = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|value| value.trim().parse::<usize>().ok());
    match length {
        Some(length) => {
            while data.len() < head_end + length {
                read_more(stream, &mut data).await?;
            }
        }
        None if head.contains("transfer-encoding: chunked") => {
            while find(&data[head_end..], b"0\r\n\r\n").is_none() {
                read_more(stream, &mut data).await?;
            }
        }
        None => {}
    }
    Ok(status)
}

async fn read_more(stream: &mut TcpStream, data: &mut Vec<u8>) -> Result<(), String> {
    let mut buf = [0; 4096];
    match stream.read(&mut buf).await {
        Ok(0) => Err("closed mid-response".to_owned()),
        Ok(n) => {
            data.extend_from_slice(&buf[..n]);
            Ok(())
        }
        Err(e) => Err(format!("read: {e}")),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

fn status_of(head: &str) -> Result<u16, String> {
    head.split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("not an HTTP response: {head:?}"))
}

/// Waits for the server to close the connection (end of stream or reset), reading and
/// dropping what it sends; how long that took, or an error if it is still open at
/// [`BOUND`].
pub async fn wait_closed(stream: &mut TcpStream) -> Result<Duration, String> {
    let started = Instant::now();
    let closed = async {
        let mut buf = [0; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(BOUND, closed)
        .await
        .map_err(|_| format!("the server kept the connection open for {BOUND:?}"))?;
    Ok(started.elapsed())
}

/// Sends `bytes` one at a time, one every 50 ms (a slowloris client), until the server
/// closes the connection; how long that took, or an error if it did not within
/// [`BOUND`] (or the bytes ran out first).
pub async fn drip_until_closed(stream: &mut TcpStream, bytes: &[u8]) -> Result<Duration, String> {
    let started = Instant::now();
    let mut buf = [0; 1024];
    for byte in bytes {
        if started.elapsed() > BOUND {
            break;
        }
        if stream.write_all(std::slice::from_ref(byte)).await.is_err() {
            return Ok(started.elapsed());
        }
        // A read that ends (or fails) within the gap means the server closed.
        let gap = tokio::time::timeout(Duration::from_millis(50), stream.read(&mut buf)).await;
        if let Ok(Ok(0) | Err(_)) = gap {
            return Ok(started.elapsed());
        }
    }
    Err(format!(
        "the server still read a dripped head after {:?}",
        started.elapsed()
    ))
}

/// The start of a request head that never ends: a header whose value goes on and on.
pub fn endless_head(addr: SocketAddr, path: &str) -> Vec<u8> {
    let mut head = format!("GET {path} HTTP/1.1\r\nhost: {addr}\r\nx-slow: ").into_bytes();
    head.resize(head.len() + 400, b'a');
    head
}

/// The first status line the server sends after `request` (a `100 Continue` counts), or
/// `None` if it closed without one; an error if it sent nothing within [`BOUND`].
pub async fn first_status(stream: &mut TcpStream, request: &str) -> Result<Option<u16>, String> {
    if stream.write_all(request.as_bytes()).await.is_err() {
        return Ok(None);
    }
    let first_line = async {
        let mut data = Vec::new();
        let mut buf = [0; 1024];
        while find(&data, b"\r\n").is_none() {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => data.extend_from_slice(&buf[..n]),
            }
        }
        Some(String::from_utf8_lossy(&data).into_owned())
    };
    match tokio::time::timeout(BOUND, first_line).await {
        Err(_) => Err(format!("no answer within {BOUND:?}")),
        Ok(None) => Ok(None),
        Ok(Some(line)) => status_of(&line).map(Some),
    }
}

/// A POST to `path` announcing a 100 MB JSON body and asking `Expect: 100-continue`,
/// without sending the body.
pub fn oversized_post(addr: SocketAddr, path: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n\
         accept: application/json, text/event-stream\r\ncontent-length: 100000000\r\n\
         expect: 100-continue\r\n\r\n"
    )
}

/// A GET for `path` whose headers add up to `bytes`.
pub fn big_head(addr: SocketAddr, path: &str, bytes: usize) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nhost: {addr}\r\nx-big: {}\r\n\r\n",
        "a".repeat(bytes)
    )
}

/// Opens `count` connections, each kept alive after one request for `path` (so the server
/// has accepted and is holding every one).
pub async fn hold(addr: SocketAddr, path: &str, count: usize) -> Result<Vec<TcpStream>, String> {
    let mut held = Vec::with_capacity(count);
    for _ in 0..count {
        let mut stream = connect(addr).await?;
        exchange(&mut stream, &get(addr, path)).await?;
        held.push(stream);
    }
    Ok(held)
}

/// A close that came sooner than the timeout that should have caused it (with 60 ms of
/// slack for a coarse timer) was something else: an error answer, a crash.
fn not_early(took: Duration, timeout: Duration) -> Result<(), String> {
    if took + Duration::from_millis(60) < timeout {
        return Err(format!(
            "closed after {took:?}, before the {timeout:?} timeout"
        ));
    }
    Ok(())
}

/// Checks: a new connection dripping its head is closed at the header-read timeout.
pub async fn slow_first_head_is_cut_off(
    addr: SocketAddr,
    path: &str,
    header_read_timeout: Duration,
) -> Result<(), String> {
    let mut stream = connect(addr).await?;
    let took = drip_until_closed(&mut stream, &endless_head(addr, path)).await?;
    not_early(took, header_read_timeout)
}

/// Checks: a kept-alive connection that starts its next head and drips it is closed (by
/// the header-read timeout: the server is configured with a longer idle one).
pub async fn slow_next_head_is_cut_off(addr: SocketAddr, path: &str) -> Result<(), String> {
    let mut stream = connect(addr).await?;
    exchange(&mut stream, &get(addr, path)).await?;
    drip_until_closed(&mut stream, &endless_head(addr, path))
        .await
        .map(drop)
}

/// Checks: a kept-alive connection that sends nothing more is closed at the idle timeout.
pub async fn idle_connection_is_closed(
    addr: SocketAddr,
    path: &str,
    idle_timeout: Duration,
) -> Result<(), String> {
    let mut stream = connect(addr).await?;
    exchange(&mut stream, &get(addr, path)).await?;
    let took = wait_closed(&mut stream).await?;
    not_early(took, idle_timeout)
}

/// Checks, for a server capped at `cap` connections: one more is answered 503 or closed at
/// once (never left waiting), and once a held one closes, new connections are served.
pub async fn extra_connections_are_refused(
    addr: SocketAddr,
    path: &str,
    cap: usize,
) -> Result<(), String> {
    let mut held = hold(addr, path, cap).await?;
    let mut extra = connect(addr).await?;
    match first_status(&mut extra, &get(addr, path)).await? {
        None | Some(503) => {}
        Some(status) => return Err(format!("connection {} was served: {status}", cap + 1)),
    }
    drop(held.pop());
    let started = Instant::now();
    loop {
        let mut stream = connect(addr).await?;
        match first_status(&mut stream, &get(addr, path)).await? {
            Some(status) if status != 503 => return Ok(()),
            other if started.elapsed() > BOUND => {
                return Err(format!("a freed slot was not reused: {other:?}"));
            }
            _ => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

/// Checks: a POST to `path` announcing 100 MB with `Expect: 100-continue` is answered 413
/// at once, with no `100 Continue` first, marked `Connection: close`, and the connection
/// is closed (the body was never read, so it cannot carry another request).
pub async fn oversized_body_is_refused_unread(addr: SocketAddr, path: &str) -> Result<(), String> {
    let mut stream = connect(addr).await?;
    stream
        .write_all(oversized_post(addr, path).as_bytes())
        .await
        .map_err(|e| format!("send: {e}"))?;
    let mut answer = Vec::new();
    tokio::time::timeout(BOUND, stream.read_to_end(&mut answer))
        .await
        .map_err(|_| format!("POST {path} announcing 100 MB: still open after {BOUND:?}"))?
        .map_err(|e| format!("read: {e}"))?;
    let answer = String::from_utf8_lossy(&answer).to_ascii_lowercase();
    let head = answer.split("\r\n\r\n").next().unwrap_or_default();
    match status_of(head) {
        Ok(413) if head.lines().any(|line| line == "connection: close") => Ok(()),
        Ok(413) => Err(format!(
            "POST {path}: 413 without connection: close: {head:?}"
        )),
        other => Err(format!("POST {path} announcing 100 MB: {other:?}, not 413")),
    }
}

/// Checks, for a server whose heads are bounded at `max_header_bytes`: a head half that
/// size is served, one a KiB above it is 431.
pub async fn oversized_head_is_431(
    addr: SocketAddr,
    path: &str,
    max_header_bytes: usize,
) -> Result<(), String> {
    let mut stream = connect(addr).await?;
    let status = exchange(&mut stream, &big_head(addr, path, max_header_bytes / 2)).await?;
    if status == 431 {
        return Err(format!(
            "a head of {} bytes was refused",
            max_header_bytes / 2
        ));
    }
    let big = big_head(addr, path, max_header_bytes + 1024);
    match first_status(&mut stream, &big).await? {
        Some(431) => Ok(()),
        other => Err(format!(
            "a head above {max_header_bytes} bytes: {other:?}, not 431"
        )),
    }
}

async fn connect(addr: SocketAddr) -> Result<TcpStream, String> {
    TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect to {addr}: {e}"))
}

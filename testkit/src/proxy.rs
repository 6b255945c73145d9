//! A loopback HTTP/1.1 proxy in front of a real API that loses answers: a chosen request
//! is forwarded, the API handles it (counts a charge, say), and the connection to the
//! client is then closed without a byte of the answer. This is the transport failure a
//! client's retry must survive without being counted twice.
//!
//! It speaks just enough HTTP for the clients of this workspace (reqwest): requests with
//! a `Content-Length` body, answers read until the API closes (each forwarded request
//! asks for `Connection: close`).

use std::sync::{Arc, Mutex, PoisonError};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request the proxy saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    /// Header lines as sent, `name: value` each.
    pub headers: Vec<String>,
    pub body: Vec<u8>,
    /// `false` when its answer was dropped.
    pub answered: bool,
}

impl Seen {
    /// The value of header `name` (case-insensitive), if sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then_some(value.trim())
        })
    }
}

/// A running proxy; it serves until the runtime ends.
#[derive(Debug, Clone)]
pub struct LossyProxy {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl LossyProxy {
    /// Proxies to `upstream` (`http://host:port`), losing the answers of the first
    /// `lose` requests to `lose_path`.
    pub async fn start(upstream: &str, lose_path: &str, lose: usize) -> std::io::Result<Self> {
        let upstream = upstream
            .strip_prefix("http://")
            .unwrap_or(upstream)
            .trim_end_matches('/')
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let losses = Arc::new(Mutex::new(lose));
        let log = Arc::clone(&seen);
        let lose_path = lose_path.to_owned();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (upstream, log, losses, lose_path) = (
                    upstream.clone(),
                    Arc::clone(&log),
                    Arc::clone(&losses),
                    lose_path.clone(),
                );
                tokio::spawn(async move {
                    let _ = serve(client, &upstream, &log, &losses, &lose_path).await;
                });
            }
        });
        Ok(Self { base, seen })
    }

    /// Every request seen so far, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Serves one client connection: one request, forwarded, and its answer or nothing; the
/// connection is closed after it (the answer says `Connection: close`, as the API does).
async fn serve(
    mut client: TcpStream,
    upstream: &str,
    log: &Mutex<Vec<Seen>>,
    losses: &Mutex<usize>,
    lose_path: &str,
) -> std::io::Result<()> {
    let mut buffer = Vec::new();
    let Some((head, body)) = read_request(&mut client, &mut buffer).await? else {
        return Ok(());
    };
    {
        let mut lines = head.split("\r\n");
        let request_line = lines.next().unwrap_or_default().to_owned();
        let headers: Vec<String> = lines.filter(|l| !l.is_empty()).map(str::to_owned).collect();
        let mut parts = request_line.split(' ');
        let method = parts.next().unwrap_or_default().to_owned();
        let path = parts.next().unwrap_or_default().to_owned();
        let lose = path == lose_path && {
            let mut left = losses.lock().unwrap_or_else(PoisonError::into_inner);
            let lose = *left > 0;
            *left = left.saturating_sub(1);
            lose
        };

        let mut forwarded = format!("{request_line}\r\n");
        for line in headers.iter().filter(|l| {
            let name = l.split(':').next().unwrap_or_default().trim();
            !name.eq_ignore_ascii_case("connection")
        }) {
            forwarded.push_str(line);
            forwarded.push_str("\r\n");
        }
        forwarded.push_str("Connection: close\r\n\r\n");
        let mut api = TcpStream::connect(upstream).await?;
        api.write_all(forwarded.as_bytes()).await?;
        api.write_all(&body).await?;
        let mut answer = Vec::new();
        api.read_to_end(&mut answer).await?;

        log.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Seen {
                method,
                path,
                headers,
                body,
                answered: !lose,
            });
        if lose {
            // The API has handled it; the client never learns how.
            return Ok(());
        }
        client.write_all(&answer).await?;
    }
    Ok(())
}

/// The next request's head (request line and headers) and body, or `None` at a clean
/// end of the connection.
async fn read_request(
    client: &mut TcpStream,
    buffer: &mut Vec<u8>,
) -> std::io::Result<Option<(String, Vec<u8>)>> {
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let mut chunk = [0u8; 4096];
        let read = client.read(&mut chunk).await?;
        if read == 0 {
            return Ok(None);
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let length = head
        .split("\r\n")
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let body_start = head_end + 4;
    while buffer.len() < body_start + length {
        let mut chunk = [0u8; 4096];
        let read = client.read(&mut chunk).await?;
        if read == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
    let body = buffer[body_start..body_start + length].to_vec();
    buffer.drain(..body_start + length);
    Ok(Some((head, body)))
}

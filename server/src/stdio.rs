//! The stdio transport: one JSON-RPC message per line, like rmcp's, except that every
//! request gets an answer and the requests waiting for one are bounded.
//!
//! rmcp's own stdio transport (3.11) drops, without a word, a line that is not JSON or
//! that nests deeper than serde_json's 128 levels, so the client waits forever; it runs a
//! request whose id is still unanswered as a second request with the same id; and it
//! reads stdin as fast as the client writes, whether or not anyone reads the answers. Here:
//!
//! - a line that is not JSON is answered `-32700`; JSON that is no message (too deep, not
//!   an object, no `method`) `-32600`, with the request's id when the id can be read (a
//!   notification is never answered);
//! - a request reusing the id of an unanswered one is answered `-32600`, and the one
//!   running is left alone;
//! - beyond [`StdioLimits::max_unanswered`] unanswered requests, or
//!   [`StdioLimits::max_unanswered_bytes`] of them, a request is answered `-32000` (busy)
//!   at once;
//! - those answers are written by the task that reads stdin, so a client that stops
//!   reading stdout stops being read: what is held is bounded by those limits, and
//!   progress notifications beyond [`MAX_QUEUED_PROGRESS`] waiting to be written are
//!   dropped (a request counts as unanswered until its answer is written, not merely
//!   computed).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use rmcp::RoleServer;
use rmcp::model::{
    ClientNotification, ErrorCode, ErrorData, JsonRpcMessage, RequestId, ServerNotification,
};
use rmcp::service::{RxJsonRpcMessage, TxJsonRpcMessage};
use serde::Deserialize;
use tokio::io::{
    AsyncBufReadExt as _, AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _, BufReader,
};
use tokio::sync::mpsc;

/// Bounds of the stdio transport.
#[derive(Debug, Clone, Copy)]
pub struct StdioLimits {
    /// The longest line read (one message); a longer one is skipped and answered
    /// `-32600`. rmcp's limit, so that an oversized tool argument still reaches the tool,
    /// which refuses it naming the argument.
    pub max_line_bytes: usize,
    /// Requests read but not yet answered; beyond it a request is answered busy.
    pub max_unanswered: usize,
    /// The bytes of those requests (their lines); beyond it a request is answered busy.
    pub max_unanswered_bytes: usize,
}

impl Default for StdioLimits {
    fn default() -> Self {
        Self {
            max_line_bytes: 16 * 1024 * 1024,
            max_unanswered: 64,
            max_unanswered_bytes: 32 * 1024 * 1024,
        }
    }
}

/// Progress notifications waiting for stdout beyond which new ones are dropped: they only
/// report, and a client that does not read must not make them pile up.
pub const MAX_QUEUED_PROGRESS: usize = 16;

/// The JSON-RPC code of a request refused because too many wait for an answer.
pub const BUSY: ErrorCode = ErrorCode(-32000);

/// What the reader and the writer share: stdout and the unanswered request ids.
#[derive(Debug)]
struct Shared<W> {
    out: tokio::sync::Mutex<W>,
    /// Each unanswered request's id and line length.
    unanswered: Mutex<HashMap<RequestId, usize>>,
    queued_progress: AtomicUsize,
    limits: StdioLimits,
}

/// The transport: messages come from a task reading `R`, answers go to `W`.
#[derive(Debug)]
pub struct StdioTransport<W> {
    shared: Arc<Shared<W>>,
    incoming: mpsc::Receiver<RxJsonRpcMessage<RoleServer>>,
}

impl<W: AsyncWrite + Unpin + Send + 'static> StdioTransport<W> {
    /// Reads `read` on a task of its own until it ends or the transport is dropped.
    pub fn new<R: AsyncRead + Unpin + Send + 'static>(
        read: R,
        write: W,
        limits: StdioLimits,
    ) -> Self {
        let shared = Arc::new(Shared {
            out: tokio::sync::Mutex::new(write),
            unanswered: Mutex::new(HashMap::new()),
            queued_progress: AtomicUsize::new(0),
            limits,
        });
        // One message in hand at a time: the bound is on unanswered requests, not here.
        let (sender, incoming) = mpsc::channel(1);
        tokio::spawn(read_loop(BufReader::new(read), shared.clone(), sender));
        Self { shared, incoming }
    }
}

/// This process's stdin and stdout.
pub fn stdio(limits: StdioLimits) -> StdioTransport<tokio::io::Stdout> {
    StdioTransport::new(tokio::io::stdin(), tokio::io::stdout(), limits)
}

impl<W> Shared<W> {
    fn unanswered(&self) -> std::sync::MutexGuard<'_, HashMap<RequestId, usize>> {
        // The set holds plain ids, valid whatever a panicking holder did.
        self.unanswered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl<W: AsyncWrite + Unpin + Send + 'static> Shared<W> {
    async fn write(&self, message: &TxJsonRpcMessage<RoleServer>) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(message)?;
        line.push(b'\n');
        let mut out = self.out.lock().await;
        out.write_all(&line).await?;
        out.flush().await
    }

    async fn answer(&self, id: Option<RequestId>, error: ErrorData) -> std::io::Result<()> {
        self.write(&JsonRpcMessage::error(error, id)).await
    }
}

/// What to do with one line.
enum Admit {
    Forward(Box<RxJsonRpcMessage<RoleServer>>),
    Answer(Option<RequestId>, ErrorData),
    Skip,
}

impl<W> Shared<W> {
    fn admit(&self, line: &[u8]) -> Admit {
        let line = line
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(line)
            .trim_ascii();
        if line.is_empty() {
            return Admit::Skip;
        }
        match serde_json::from_slice::<RxJsonRpcMessage<RoleServer>>(line) {
            Ok(JsonRpcMessage::Request(request)) => {
                let mut unanswered = self.unanswered();
                if unanswered.contains_key(&request.id) {
                    return Admit::Answer(
                        Some(request.id),
                        ErrorData::invalid_request(
                            "Invalid request: a request with this id is still unanswered; \
                             use a new id",
                            None,
                        ),
                    );
                }
                let bytes = unanswered.values().sum::<usize>() + line.len();
                if unanswered.len() >= self.limits.max_unanswered
                    || bytes > self.limits.max_unanswered_bytes
                {
                    let message = format!(
                        "server busy: {} requests ({bytes} bytes) are unanswered; wait for \
                         their answers",
                        unanswered.len()
                    );
                    return Admit::Answer(Some(request.id), ErrorData::new(BUSY, message, None));
                }
                unanswered.insert(request.id.clone(), line.len());
                Admit::Forward(Box::new(JsonRpcMessage::Request(request)))
            }
            Ok(JsonRpcMessage::Notification(notification)) => {
                // A cancelled request may never be answered: it no longer counts.
                if let ClientNotification::CancelledNotification(cancelled) =
                    &notification.notification
                    && let Some(id) = &cancelled.params.request_id
                {
                    self.unanswered().remove(id);
                }
                Admit::Forward(Box::new(JsonRpcMessage::Notification(notification)))
            }
            Ok(other) => Admit::Forward(Box::new(other)),
            Err(error) => refusal(line, &error),
        }
    }
}

/// The answer to a line that is no message: with the request's id when it can be read.
/// serde_json skips unknown fields without recursing, so the id of a request nested too
/// deeply is still found.
fn refusal(line: &[u8], error: &serde_json::Error) -> Admit {
    #[derive(Deserialize)]
    struct Envelope {
        #[serde(default)]
        id: Option<RequestId>,
    }
    // Logged by category only: the line may hold a token.
    tracing::debug!(category = ?error.classify(), "refused an incoming line");
    // A derived struct also reads from an array (`[]` would pass for a notification): only
    // an object can be a notification or carry a request's id.
    let object = line.starts_with(b"{");
    match serde_json::from_slice::<Envelope>(line) {
        Ok(Envelope { id: None }) if object => Admit::Skip,
        Ok(Envelope { id: Some(id) }) if object => Admit::Answer(
            Some(id),
            ErrorData::invalid_request(format!("Invalid request: {error}"), None),
        ),
        Ok(_) => Admit::Answer(
            None,
            ErrorData::invalid_request(format!("Invalid request: {error}"), None),
        ),
        Err(envelope) if envelope.is_syntax() || envelope.is_eof() => Admit::Answer(
            None,
            ErrorData::parse_error(format!("Parse error: {envelope}"), None),
        ),
        Err(envelope) => Admit::Answer(
            None,
            ErrorData::invalid_request(format!("Invalid request: {envelope}"), None),
        ),
    }
}

/// One line read, or why not.
enum Line {
    Read,
    TooLong,
    End,
}

/// Reads one line into `line` (cleared first), never holding more than `max` bytes.
async fn read_line<R: AsyncRead + Unpin>(
    read: &mut BufReader<R>,
    line: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<Line> {
    line.clear();
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    if (&mut *read).take(limit).read_until(b'\n', line).await? == 0 {
        return Ok(Line::End);
    }
    if line.last() == Some(&b'\n') || line.len() <= max {
        return Ok(Line::Read);
    }
    // Too long: drop the rest of it, a bounded chunk at a time.
    loop {
        line.clear();
        let read_now = (&mut *read).take(64 * 1024).read_until(b'\n', line).await?;
        if read_now == 0 || line.last() == Some(&b'\n') {
            line.clear();
            return Ok(Line::TooLong);
        }
    }
}

async fn read_loop<R, W>(
    mut read: BufReader<R>,
    shared: Arc<Shared<W>>,
    sender: mpsc::Sender<RxJsonRpcMessage<RoleServer>>,
) where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let max = shared.limits.max_line_bytes;
    let mut line = Vec::new();
    loop {
        let admitted = match read_line(&mut read, &mut line, max).await {
            Ok(Line::Read) => shared.admit(&line),
            Ok(Line::TooLong) => Admit::Answer(
                None,
                ErrorData::invalid_request(
                    format!("Invalid request: a message longer than {max} bytes"),
                    None,
                ),
            ),
            Ok(Line::End) => return,
            Err(error) => {
                tracing::error!("cannot read stdin: {error}");
                return;
            }
        };
        let sent = match admitted {
            Admit::Forward(message) => sender.send(*message).await.is_ok(),
            Admit::Answer(id, error) => shared.answer(id, error).await.is_ok(),
            Admit::Skip => true,
        };
        if !sent {
            return;
        }
    }
}

impl<W: AsyncWrite + Unpin + Send + 'static> rmcp::transport::Transport<RoleServer>
    for StdioTransport<W>
{
    type Error = std::io::Error;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleServer>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        let shared = self.shared.clone();
        async move {
            let answered = match &item {
                JsonRpcMessage::Response(response) => Some(response.id.clone()),
                JsonRpcMessage::Error(error) => error.id.clone(),
                _ => None,
            };
            let progress = matches!(&item, JsonRpcMessage::Notification(n)
                if matches!(n.notification, ServerNotification::ProgressNotification(_)));
            if progress {
                if shared.queued_progress.fetch_add(1, Ordering::AcqRel) >= MAX_QUEUED_PROGRESS {
                    shared.queued_progress.fetch_sub(1, Ordering::AcqRel);
                    return Ok(());
                }
                let written = shared.write(&item).await;
                shared.queued_progress.fetch_sub(1, Ordering::AcqRel);
                return written;
            }
            let written = shared.write(&item).await;
            if let Some(id) = answered {
                shared.unanswered().remove(&id);
            }
            written
        }
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleServer>> {
        self.incoming.recv().await
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        self.incoming.close();
        self.shared.out.lock().await.shutdown().await
    }
}

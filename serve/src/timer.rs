//! The header-read and idle timeouts, through hyper's one header-read timer.
//!
//! hyper starts its header-read timer whenever an HTTP/1 connection waits for a request
//! head (a new connection, or a kept-alive one after a response) and closes the
//! connection when it fires; a request in flight, however long (an SSE stream), is never
//! timed. [`HeadTimer`] is that timer for one connection, with the deadline we want: a
//! new connection has the header-read timeout to send its first head; a kept-alive one
//! may sit idle for the idle timeout, and once the next head's first byte arrives
//! (seen by [`Counted`]) it has the header-read timeout to finish it.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper::rt::{Sleep, Timer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Bytes read so far on one connection, shared by its [`Counted`] stream and its timer.
#[derive(Debug, Default)]
pub(crate) struct BytesRead(AtomicU64);

impl BytesRead {
    fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A stream that counts the bytes read from it.
#[derive(Debug)]
pub(crate) struct Counted<S> {
    inner: S,
    read: Arc<BytesRead>,
}

impl<S> Counted<S> {
    pub(crate) fn new(inner: S, read: Arc<BytesRead>) -> Self {
        Self { inner, read }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Counted<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        let read = buf.filled().len().saturating_sub(before);
        self.read
            .0
            .fetch_add(u64::try_from(read).unwrap_or(u64::MAX), Ordering::Relaxed);
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Counted<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// hyper's timer for one connection (hyper's HTTP/1 server uses it only to bound the wait
/// for a request head).
#[derive(Debug)]
pub(crate) struct HeadTimer {
    header_read: Duration,
    idle: Duration,
    read: Arc<BytesRead>,
    /// Set once the first wait (the new connection's) has begun.
    waited: AtomicBool,
}

impl HeadTimer {
    pub(crate) fn new(header_read: Duration, idle: Duration, read: Arc<BytesRead>) -> Self {
        Self {
            header_read,
            idle,
            read,
            waited: AtomicBool::new(false),
        }
    }
}

impl Timer for HeadTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        Box::pin(Plain(Box::pin(tokio::time::sleep(duration))))
    }

    /// A wait for a request head begins: hyper's own deadline is replaced by ours.
    fn sleep_until(&self, _: Instant) -> Pin<Box<dyn Sleep>> {
        let first = !self.waited.swap(true, Ordering::Relaxed);
        let now = tokio::time::Instant::now();
        let (deadline, started) = if first {
            (now + self.header_read, true)
        } else {
            (now + self.idle, false)
        };
        Box::pin(HeadWait {
            sleep: Box::pin(tokio::time::sleep_until(deadline)),
            read: Arc::clone(&self.read),
            read_at_start: self.read.get(),
            header_read: self.header_read,
            started,
        })
    }
}

/// A plain sleep, for anything else hyper might time.
struct Plain(Pin<Box<tokio::time::Sleep>>);

impl Future for Plain {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.0.as_mut().poll(cx)
    }
}

/// One wait for a request head: idle until the head's first byte, then the header-read
/// timeout (at once for a new connection's first head).
struct HeadWait {
    sleep: Pin<Box<tokio::time::Sleep>>,
    read: Arc<BytesRead>,
    read_at_start: u64,
    header_read: Duration,
    /// The head has begun (or this is the connection's first wait).
    started: bool,
}

impl Future for HeadWait {
    type Output = ();

    /// hyper polls this each time a read leaves the head incomplete, so a first byte is
    /// seen as soon as it is read.
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if !self.started && self.read.get() != self.read_at_start {
            self.started = true;
            let deadline = tokio::time::Instant::now() + self.header_read;
            self.sleep.as_mut().reset(deadline);
        }
        self.sleep.as_mut().poll(cx)
    }
}

impl Sleep for HeadWait {}
impl Sleep for Plain {}

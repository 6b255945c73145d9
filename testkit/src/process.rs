//! The workspace's binaries (`liveauth-mcp`, `mock-api`) as tests run them: spawned with
//! their three standard streams piped and killed when dropped, so that no test leaves a
//! process behind, and with stderr read as it comes, so that a chatty log never blocks
//! the child on a full pipe.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufRead, AsyncBufReadExt as _, AsyncReadExt as _, BufReader, Lines};
use tokio::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command};
use tokio::task::JoinHandle;

/// The longest a test waits for a line a binary is due to print: far above a slow start
/// on a loaded machine, far below a hang.
pub const LINE_BOUND: Duration = Duration::from_secs(60);

/// A spawned binary and its pipes. A pipe the test drops reads as closed to the child:
/// end of input for stdin (as `Stdio::null()` would be).
#[derive(Debug)]
pub struct Spawned {
    pub child: Child,
    pub stdin: ChildStdin,
    pub stdout: BufReader<ChildStdout>,
    pub stderr: Stderr,
}

/// Spawns `command` (program, arguments and environment set by the caller) logging at
/// `RUST_LOG=rust_log`, its streams piped, killed on drop.
pub fn spawn(command: &mut Command, rust_log: &str) -> Spawned {
    let mut child = command
        .env("RUST_LOG", rust_log)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
    let pipes = (child.stdin.take(), child.stdout.take(), child.stderr.take());
    let (Some(stdin), Some(stdout), Some(stderr)) = pipes else {
        unreachable!("all three streams were piped");
    };
    Spawned {
        child,
        stdin,
        stdout: BufReader::new(stdout),
        stderr: Stderr(BufReader::new(stderr).lines()),
    }
}

/// The next line of `lines`, within [`LINE_BOUND`]; panics if the stream ends first.
pub async fn next_line<R: AsyncBufRead + Unpin>(lines: &mut Lines<R>) -> String {
    tokio::time::timeout(LINE_BOUND, lines.next_line())
        .await
        .unwrap_or_else(|_| panic!("no line within {LINE_BOUND:?}"))
        .unwrap_or_else(|e| panic!("cannot read the line: {e}"))
        .unwrap_or_else(|| panic!("the stream ended before the line the test waits for"))
}

/// A child's stderr, read line by line.
#[derive(Debug)]
pub struct Stderr(Lines<BufReader<ChildStderr>>);

impl Stderr {
    /// Reads lines until `found` makes something of one, and returns that (each line
    /// within [`LINE_BOUND`]).
    pub async fn find<T>(&mut self, mut found: impl FnMut(&str) -> Option<T>) -> T {
        loop {
            if let Some(value) = found(&next_line(&mut self.0).await) {
                return value;
            }
        }
    }

    /// Reads the rest in a task, to the child's exit; the task returns it.
    pub fn collect(self) -> JoinHandle<String> {
        let mut rest = self.0.into_inner();
        tokio::spawn(async move {
            let mut text = String::new();
            let _ = rest.read_to_string(&mut text).await;
            text
        })
    }

    /// Reads and drops the rest in a task, for a test that needs none of it.
    pub fn drain(mut self) {
        tokio::spawn(async move { while let Ok(Some(_)) = self.0.next_line().await {} });
    }
}

//! In-process harnesses shared by the workspace's tests, the fuzz targets in `fuzz/` and
//! the bench drivers. Nothing that ships depends on this crate.
//!
//! - [`corpus`]: the seed files of a fuzz target, for the stable mirrors of the targets.
//! - [`mock`]: seeded mock configurations and the real mock app served on 127.0.0.1:0.
//! - [`pow`]: a start response's challenge solved, as a typed confirm body or as JSON.
//! - [`mcp`]: tool calls through an rmcp client, read as the wire carries them.
//! - [`process`]: the workspace's binaries spawned with piped stdio, killed on drop, their
//!   stderr searched or collected.
//! - [`qr`]: QR codes read back from PNG images by an independent decoder.
//! - [`proxy`]: a loopback proxy to a real API that loses chosen answers (transport
//!   failures after the API acted).
//! - [`socket`]: slow and greedy HTTP clients on raw loopback sockets, for the
//!   socket-level tests of both binaries.
//! - [`fuzz`]: the fuzz harnesses that need more than a parser: an API driven by request
//!   scripts, the mock's PoW acceptance, the MCP tools under arbitrary arguments.
//!
//! The fuzz entry points that are parser properties stay beside their parser (the
//! `fuzzing` feature of `liveauth-protocol`). Harness code panics with a message where a
//! test would fail: a panic is a failed test or a fuzzer finding.

pub mod corpus;
pub mod fuzz;
pub mod mcp;
pub mod mock;
pub mod pow;
pub mod process;
pub mod proxy;
pub mod qr;
pub mod socket;

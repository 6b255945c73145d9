//! The LiveAuth protocol: everything both ends of the wire must agree on, and no I/O.
//!
//! - [`pow`]: the proof-of-work rule (target from difficulty bits, strict hex and nonce
//!   formats, verification) and [`pow::solver`], the midstate solver.
//! - [`challenge`]: the HMAC signature that binds a PoW challenge to its quote.
//! - [`wire`]: serde types for every request and response of the HTTP API (camelCase).
//! - [`problem`]: RFC 9457 problem documents and the stable error codes.
//! - [`l402`] and [`macaroon`]: `Authorization` / `WWW-Authenticate` values for L402
//!   (and legacy LSAT) and x402, and the V2 macaroons L402 carries.
//! - [`hex`]: lowercase hex and UUID text, and the JSON media-type test.
//! - [`time`]: RFC 3339 formatting of unix seconds, so timestamps match on both ends.

pub mod challenge;
/// Fuzz entry points (parser properties over bytes): not API, only for `fuzz/` and the
/// testkit's mirrors of its targets.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod hex;
pub mod l402;
pub mod macaroon;
pub mod pow;
pub mod problem;
pub mod time;
pub mod wire;

//! The LiveAuth protocol: everything both ends of the wire must agree on, and no I/O.
//!
//! - [`pow`]: the proof-of-work rule (target from difficulty bits, the nonce format,
//!   [`pow::Submission`], the verifier's check of a presented solution) and
//!   [`pow::solver`], the midstate solver.
//! - [`challenge`]: the HMAC signature that binds a PoW challenge to its quote.
//! - [`wire`]: serde types for every request and response of the HTTP API (camelCase),
//!   and the project key header.
//! - [`json`]: strict JSON decoding whose errors name the field, and the JSON media-type
//!   test.
//! - [`problem`]: RFC 9457 problem documents and the stable error codes.
//! - [`auth`]: `Authorization` / `WWW-Authenticate` values for Bearer, L402 (and legacy
//!   LSAT) and x402; [`l402`]: the L402 macaroon identifier and the preimage check;
//!   [`macaroon`]: the V2 macaroons L402 carries; [`bundle`]: the L402 bundle tiers,
//!   their endpoints' bodies and the bundle macaroon (`base64(claims).base64(mac)`).
//! - [`codec`]: hex, base64 and UUID text, strict and lenient readers (payment hashes in
//!   any spelling).
//! - [`receipt`]: signed call receipts, v1 (HMAC) and v2 (ECDSA P-256, feature
//!   `receipt-v2`), their canonical payloads and verifiers.
//! - [`request_hash`]: the canonical JSON hash that binds a charge to its call's
//!   arguments (LiveAuth 1.3).
//! - [`time`]: RFC 3339 formatting of unix seconds, so timestamps match on both ends.
//! - `log` (feature `log`): the stderr log subscriber of both binaries, which no
//!   `RUST_LOG` can make log a whole message (the one module here that does I/O).

pub mod auth;
pub mod bundle;
pub mod challenge;
pub mod codec;
/// Fuzz entry points (parser properties over bytes): not API, only for `fuzz/` and the
/// testkit's mirrors of its targets.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod json;
pub mod l402;
#[cfg(feature = "log")]
pub mod log;
pub mod macaroon;
pub mod pow;
pub mod problem;
pub mod receipt;
pub mod request_hash;
pub mod text_enum;
pub mod time;
pub mod wire;

//! A quote's PoW challenge solved the way a client does, before anything is timed or
//! asserted: typed (a [`ConfirmRequest`] for a [`StartResponse`]) for clients and bench
//! drivers, and over raw JSON for tests that read answers as the wire carries them.

use std::num::NonZeroUsize;

use liveauth_protocol::codec::encode_hex;
use liveauth_protocol::pow::solver::{Solution, SolveControl, SolveError, SolveOptions, solve};
use liveauth_protocol::pow::{BitsError, Hash, target_from_bits, verify_solution};
use liveauth_protocol::wire::{ConfirmRequest, PowChallenge, StartResponse};
use serde_json::Value;

/// Why a quote could not be solved.
#[derive(Debug, thiserror::Error)]
pub enum PowError {
    #[error("not a PoW quote (no powChallenge)")]
    NotPow,
    #[error("powChallenge field {0} is missing or of the wrong type")]
    Field(&'static str),
    #[error(transparent)]
    Bits(#[from] BitsError),
    #[error(transparent)]
    Solve(#[from] SolveError),
}

/// The lowest nonce whose hash is below the target derived from `difficulty_bits` (as
/// verifiers derive it), searched on one thread: callers solve many quotes at once, and
/// the solver returns the lowest solution whatever the thread count.
pub fn solve_fields(
    project_public_key: &str,
    challenge_hex: &str,
    difficulty_bits: u32,
) -> Result<Solution, PowError> {
    let target = target_from_bits(difficulty_bits)?;
    let options = SolveOptions {
        threads: Some(NonZeroUsize::MIN),
        ..SolveOptions::default()
    };
    Ok(solve(
        project_public_key,
        challenge_hex,
        &target,
        &options,
        &SolveControl::new(),
    )?)
}

/// The lowest solution of a typed challenge.
pub fn solve_challenge(challenge: &PowChallenge) -> Result<Solution, PowError> {
    solve_fields(
        &challenge.project_public_key,
        &challenge.challenge_hex,
        challenge.difficulty_bits,
    )
}

/// The confirm body that redeems a start response: its challenge solved, every signed
/// field echoed back.
pub fn solved(start: &StartResponse) -> Result<ConfirmRequest, PowError> {
    let challenge = start.pow_challenge.as_ref().ok_or(PowError::NotPow)?;
    let found = solve_challenge(challenge)?;
    Ok(ConfirmRequest::solved(
        start.quote_id.clone(),
        challenge,
        found.nonce,
        &found.hash,
    ))
}

/// The three fields a solver reads from a `powChallenge` JSON object.
fn json_fields(challenge: &Value) -> Result<(&str, &str, u32), PowError> {
    let text = |name: &'static str| challenge[name].as_str().ok_or(PowError::Field(name));
    let bits = challenge["difficultyBits"]
        .as_u64()
        .and_then(|bits| u32::try_from(bits).ok())
        .ok_or(PowError::Field("difficultyBits"))?;
    Ok((text("projectPublicKey")?, text("challengeHex")?, bits))
}

/// A solution as tests compare it: the nonce and its hash in lowercase hex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonSolution {
    pub nonce: u64,
    pub hash_hex: String,
}

/// The lowest solution of a `powChallenge` JSON object (from the API or a tool result).
pub fn solve_json(challenge: &Value) -> Result<JsonSolution, PowError> {
    let (key, hex, bits) = json_fields(challenge)?;
    let found = solve_fields(key, hex, bits)?;
    Ok(JsonSolution {
        nonce: found.nonce,
        hash_hex: encode_hex(&found.hash),
    })
}

/// The lowest nonce that does NOT solve a `powChallenge` JSON object (at test
/// difficulties most nonces fail).
pub fn failing_nonce(challenge: &Value) -> Result<u64, PowError> {
    let (key, hex, bits) = json_fields(challenge)?;
    let target: Hash = target_from_bits(bits)?;
    (0..)
        .find(|&nonce| !verify_solution(key, hex, nonce, &target))
        .ok_or(PowError::Solve(SolveError::Exhausted { hashes_tried: 0 }))
}

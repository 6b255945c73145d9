//! Runs the protocol crate's midstate solver for an async caller: on blocking threads,
//! stopped by a cancellation token or the challenge's expiry, reporting progress; and
//! [`SolveLimit`], how many solves run at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use liveauth_protocol::codec::{decode_hex32, encode_hex};
use liveauth_protocol::pow::solver::{SolveControl, SolveError, SolveOptions, solve};
use liveauth_protocol::pow::target_from_bits;
use liveauth_protocol::wire::PowChallenge;
use serde::{Deserialize, Serialize};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

/// The hardest challenge this server will attempt: 2^40 hashes is hours on a laptop. A
/// harder one is refused rather than burning every core until cancelled.
pub(crate) const MAX_SOLVE_BITS: u32 = 40;

/// How often a running solve reports progress.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// What a solve found and what it cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SolveStats {
    /// The nonce that solves the challenge.
    pub nonce: u64,
    /// SHA-256 of `projectPublicKey:challengeHex:nonce`, lowercase hex.
    pub hash_hex: String,
    /// Nonces hashed by all threads.
    pub hashes_tried: u64,
    /// Wall time of the solve in milliseconds.
    pub elapsed_ms: u64,
    /// `hashesTried` per second of wall time.
    pub hashes_per_second: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SolveFailure {
    #[error("the challenge is malformed: {0}")]
    Malformed(String),
    #[error(
        "the challenge asks for {0} bits of work; this server solves at most {MAX_SOLVE_BITS} \
         (pay with Lightning instead: forceLightning=true)"
    )]
    TooHard(u32),
    #[error("the challenge expired before it was solved; start a new quote")]
    Expired,
    #[error("solving was cancelled after {hashes_tried} hashes")]
    Cancelled { hashes_tried: u64 },
    #[error("no nonce solves this challenge (the nonce space is exhausted); start a new quote")]
    Exhausted,
    #[error(
        "busy: {running} solves are running and {waiting} waiting, the most this server \
         allows; retry when one has finished, or pay with Lightning (forceLightning=true)"
    )]
    Busy { running: usize, waiting: usize },
}

/// At most `running` solves at once (each already uses every core), at most `waiting`
/// more waiting for a turn; beyond that a solve is refused ([`SolveFailure::Busy`]). One
/// limit is shared by every agent of the process.
#[derive(Debug, Clone)]
pub struct SolveLimit {
    permits: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
    max_running: usize,
    max_waiting: usize,
}

impl SolveLimit {
    /// `max_running` (at least 1) solves at once, `max_waiting` in line.
    pub fn new(max_running: usize, max_waiting: usize) -> Self {
        let max_running = max_running.max(1);
        Self {
            permits: Arc::new(Semaphore::new(max_running)),
            waiting: Arc::new(AtomicUsize::new(0)),
            max_running,
            max_waiting,
        }
    }

    /// The default: as many solves as cores, as many more waiting.
    pub fn per_core() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        Self::new(cores, cores)
    }

    /// How many solves may run at once.
    pub fn max_running(&self) -> usize {
        self.max_running
    }

    /// A turn to solve: at once, after waiting in line (until `cancel`), or refused.
    pub(crate) async fn acquire(
        &self,
        cancel: &CancellationToken,
    ) -> Result<OwnedSemaphorePermit, SolveFailure> {
        if let Ok(permit) = self.permits.clone().try_acquire_owned() {
            return Ok(permit);
        }
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.max_waiting {
            let waiting = self.waiting.fetch_sub(1, Ordering::AcqRel) - 1;
            return Err(SolveFailure::Busy {
                running: self.max_running,
                waiting,
            });
        }
        let turn = tokio::select! {
            permit = self.permits.clone().acquire_owned() => permit.ok(),
            () = cancel.cancelled() => None,
        };
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        // The semaphore is never closed, so `None` means cancelled.
        turn.ok_or(SolveFailure::Cancelled { hashes_tried: 0 })
    }
}

/// Stops the solver threads when the solve's future is dropped without being cancelled
/// (its task aborted, its runtime shut down, a session closed): else they would hash on
/// every core until the challenge expires, outside the [`SolveLimit`] whose permit went
/// with the future, and a runtime shutting down would wait for them.
struct StopOnDrop(SolveControl);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// The target a solution must meet: the one derived from `difficultyBits`, or the
/// challenge's `targetHex` if that is stricter, so the answer satisfies both readings.
pub(crate) fn effective_target(challenge: &PowChallenge) -> Result<[u8; 32], SolveFailure> {
    let derived = target_from_bits(challenge.difficulty_bits)
        .map_err(|error| SolveFailure::Malformed(error.to_string()))?;
    let stated = decode_hex32(&challenge.target_hex)
        .map_err(|error| SolveFailure::Malformed(format!("targetHex: {error}")))?;
    Ok(derived.min(stated))
}

/// Solves `challenge` on all cores until found, expired (`now_unix` against
/// `expiresAtUnix`) or cancelled; `progress` gets the hashes tried so far.
pub(crate) async fn solve_challenge(
    challenge: &PowChallenge,
    now_unix: i64,
    cancel: &CancellationToken,
    mut progress: impl FnMut(u64) + Send,
) -> Result<SolveStats, SolveFailure> {
    if challenge.difficulty_bits > MAX_SOLVE_BITS {
        return Err(SolveFailure::TooHard(challenge.difficulty_bits));
    }
    let target = effective_target(challenge)?;
    let seconds_left = challenge.expires_at_unix.saturating_sub(now_unix);
    let seconds_left = u64::try_from(seconds_left)
        .ok()
        .filter(|&s| s > 0)
        .ok_or(SolveFailure::Expired)?;
    let started = Instant::now();
    let options = SolveOptions {
        deadline: started.checked_add(Duration::from_secs(seconds_left)),
        ..SolveOptions::default()
    };
    let control = SolveControl::new();
    let _stop = StopOnDrop(control.clone());
    let (key, hex) = (
        challenge.project_public_key.clone(),
        challenge.challenge_hex.clone(),
    );
    let worker_control = control.clone();
    let mut task =
        tokio::task::spawn_blocking(move || solve(&key, &hex, &target, &options, &worker_control));
    let mut ticker = tokio::time::interval(PROGRESS_EVERY);
    ticker.tick().await;
    let outcome = loop {
        tokio::select! {
            joined = &mut task => break joined,
            () = cancel.cancelled(), if !control.is_cancelled() => control.cancel(),
            _ = ticker.tick() => progress(control.hashes_tried()),
        }
    };
    let elapsed = started.elapsed();
    match outcome {
        Ok(Ok(found)) => {
            let secs = elapsed.as_secs_f64().max(1e-6);
            #[allow(clippy::cast_possible_truncation)] // a rate far below u64::MAX
            let rate = (found.hashes_tried as f64 / secs) as u64;
            Ok(SolveStats {
                nonce: found.nonce,
                hash_hex: encode_hex(&found.hash),
                hashes_tried: found.hashes_tried,
                elapsed_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
                hashes_per_second: rate,
            })
        }
        Ok(Err(SolveError::Cancelled { hashes_tried })) => {
            Err(SolveFailure::Cancelled { hashes_tried })
        }
        Ok(Err(SolveError::DeadlineExceeded { .. })) => Err(SolveFailure::Expired),
        Ok(Err(SolveError::Exhausted { .. })) => Err(SolveFailure::Exhausted),
        // The solver does not panic on any input; if a worker did, report it as malformed.
        Err(join) => Err(SolveFailure::Malformed(format!("solver stopped: {join}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use liveauth_protocol::codec::encode_hex;
    use liveauth_protocol::pow::verify_solution;

    fn challenge(bits: u32, expires_at_unix: i64) -> PowChallenge {
        PowChallenge {
            project_id: "p".into(),
            project_public_key: "la_pk_test".into(),
            challenge_hex: "ab".repeat(32),
            target_hex: encode_hex(&target_from_bits(bits).unwrap()),
            difficulty_bits: bits,
            expires_at_unix,
            signature: "s".into(),
        }
    }

    #[tokio::test]
    async fn solves_and_reports() {
        let c = challenge(12, 1000);
        let stats = solve_challenge(&c, 0, &CancellationToken::new(), |_| {})
            .await
            .unwrap();
        let target = target_from_bits(12).unwrap();
        assert!(verify_solution(
            &c.project_public_key,
            &c.challenge_hex,
            stats.nonce,
            &target
        ));
        assert!(stats.hashes_tried > 0);
    }

    #[tokio::test]
    async fn expired_challenge_is_not_attempted() {
        let c = challenge(12, 1000);
        let error = solve_challenge(&c, 1000, &CancellationToken::new(), |_| {}).await;
        assert_eq!(error, Err(SolveFailure::Expired));
    }

    #[tokio::test]
    async fn cancellation_stops_the_threads() {
        let c = challenge(MAX_SOLVE_BITS, i64::MAX); // nothing solves it in this test's time
        let cancel = CancellationToken::new();
        let trigger = cancel.clone();
        let mut reports = 0;
        let handle = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(600)).await;
            trigger.cancel();
        });
        let error = solve_challenge(&c, 0, &cancel, |_| reports += 1)
            .await
            .unwrap_err();
        handle.await.unwrap();
        assert!(matches!(error, SolveFailure::Cancelled { hashes_tried } if hashes_tried > 0));
        assert!(reports >= 1);
    }

    /// A solve whose future is dropped, here by its runtime shutting down, stops its
    /// threads: the runtime, which waits for them, shuts down instead of hashing on until
    /// the challenge expires (the outer 60 s bound is only there to fail, never to time).
    #[test]
    fn a_dropped_solve_stops_its_threads() {
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Runtime::new().unwrap();
            runtime.block_on(async {
                let c = challenge(MAX_SOLVE_BITS, i64::MAX);
                let cancel = CancellationToken::new();
                let solving = solve_challenge(&c, 0, &cancel, |_| {});
                // Long enough for the solver threads to be hashing; then the future drops.
                let outcome = tokio::time::timeout(Duration::from_millis(300), solving).await;
                assert!(outcome.is_err(), "a 40-bit solve finished: {outcome:?}");
            });
            drop(runtime);
            done.send(()).unwrap();
        });
        finished
            .recv_timeout(Duration::from_secs(60))
            .expect("the solver threads outlived their dropped solve");
    }

    #[tokio::test]
    async fn too_hard_challenges_are_refused() {
        let c = challenge(41, 1000);
        let error = solve_challenge(&c, 0, &CancellationToken::new(), |_| {}).await;
        assert_eq!(error, Err(SolveFailure::TooHard(41)));
    }

    #[test]
    fn the_stricter_target_wins() {
        let mut c = challenge(8, 0);
        c.target_hex = encode_hex(&target_from_bits(4).unwrap()); // looser than 8 bits
        assert_eq!(effective_target(&c).unwrap(), target_from_bits(8).unwrap());
        c.target_hex = "zz".into();
        assert!(matches!(
            effective_target(&c),
            Err(SolveFailure::Malformed(_))
        ));
    }
}

//! The midstate solver: one SHA-256 block compression per nonce, on every core.
//!
//! Every message for a challenge starts with the same prefix, so the hash state after the
//! prefix's full 64-byte blocks is computed once. Nonces are tried grouped by their digit
//! count `L`; for each `L` the digits that fall into the final padded block (the "low"
//! digits) change per nonce, and the rest ("high" digits, fixed for a run of `10^k`
//! nonces) are folded into a second midstate. A nonce then costs one compression, or two
//! for the few lengths whose digits all sit in the block before a padding-only block.
//!
//! Threads take chunks of the nonce space from a shared counter, so ranges are disjoint,
//! work is balanced, and a found solution, cancellation or deadline stops everyone within
//! one chunk.
//!
//! The compression itself is a [`Kernel`]: the portable one is `sha2`'s `compress256`
//! (which uses SHA-NI when present, one message at a time); on x86 CPUs with SHA-NI the
//! fastest kernel interleaves [`SHANI_LANES`] consecutive nonces (module `x86`, the only
//! `unsafe` code in the workspace). Nonces are still visited in increasing order, so every
//! kernel returns the same nonce for the same chunk.

use std::num::NonZeroUsize;
use std::ops::{Range, RangeInclusive};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use sha2::block_api::compress256;

use super::{Hash, MAX_NONCE, message_prefix};

#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
mod x86;

/// Nonces hashed at once by the SHA-NI kernel: `sha256rnds2` can start more often than it
/// takes to finish, so independent messages fill the gaps. Measured on Zen 4 (BENCHMARKS.md):
/// 1 lane 22.5, 2 lanes 39.5, 3 lanes 43.3, 4 lanes 40.4 MH/s on one core. Measure again
/// before changing it on another CPU.
pub const SHANI_LANES: usize = 3;

/// Nonces a thread takes at a time: about a millisecond of work, so stopping is prompt.
const CHUNK: u64 = 1 << 14;

/// The SHA-256 initial state (FIPS 180-4, 5.3.3).
const H0: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

const POW10: [u64; 17] = {
    let mut table = [1u64; 17];
    let mut i = 1;
    while i < 17 {
        table[i] = table[i - 1] * 10;
        i += 1;
    }
    table
};

/// How a solve may run. The default: all cores, no deadline, every valid nonce.
#[derive(Debug, Clone)]
pub struct SolveOptions {
    /// Worker threads; `None` means one per available core.
    pub threads: Option<NonZeroUsize>,
    /// Give up once this instant has passed (checked between chunks).
    pub deadline: Option<Instant>,
    /// The nonces to try, in order (clamped to `0..=MAX_NONCE`).
    pub nonces: RangeInclusive<u64>,
    /// Which compression code to use; every choice finds the same nonces.
    pub kernel: Kernel,
}

/// The code that compresses the blocks. Results never depend on the choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Kernel {
    /// The fastest this CPU supports (checked at run time).
    #[default]
    Fastest,
    /// One `sha2::block_api::compress256` call per nonce, on any CPU.
    Portable,
}

/// What a [`Kernel`] choice resolved to on this CPU.
#[derive(Debug, Clone, Copy)]
enum Resolved {
    Portable,
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    ShaNi(x86::ShaNi),
}

impl Kernel {
    fn resolve(self) -> Resolved {
        match self {
            Self::Portable => Resolved::Portable,
            #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
            Self::Fastest => x86::ShaNi::detect().map_or(Resolved::Portable, Resolved::ShaNi),
            #[cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]
            Self::Fastest => Resolved::Portable,
        }
    }

    /// A short description of the code this choice runs on this CPU.
    pub fn describe(self) -> String {
        match self.resolve() {
            Resolved::Portable => "portable (sha2 compress256, one nonce at a time)".to_owned(),
            #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
            Resolved::ShaNi(_) => format!("SHA-NI, {SHANI_LANES} nonces interleaved"),
        }
    }
}

impl Default for SolveOptions {
    fn default() -> Self {
        Self {
            threads: None,
            deadline: None,
            nonces: 0..=MAX_NONCE,
            kernel: Kernel::Fastest,
        }
    }
}

/// A nonce that meets the target, with the hash that proves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Solution {
    pub nonce: u64,
    pub hash: Hash,
    /// Nonces hashed by all threads until the solve stopped.
    pub hashes_tried: u64,
}

/// Why a solve ended without a solution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SolveError {
    #[error("solve cancelled after {hashes_tried} hashes")]
    Cancelled { hashes_tried: u64 },
    #[error("deadline passed after {hashes_tried} hashes without a solution")]
    DeadlineExceeded { hashes_tried: u64 },
    #[error("no nonce in the allowed range meets the target ({hashes_tried} hashes tried)")]
    Exhausted { hashes_tried: u64 },
}

/// Shared between a running solve and whoever watches it: cancel it, or read progress.
#[derive(Debug, Clone, Default)]
pub struct SolveControl {
    inner: Arc<ControlState>,
}

#[derive(Debug, Default)]
struct ControlState {
    cancelled: AtomicBool,
    hashes: AtomicU64,
}

impl SolveControl {
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the solve to stop; it returns [`SolveError::Cancelled`] within one chunk.
    pub fn cancel(&self) {
        self.inner.cancelled.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::Relaxed)
    }

    /// Nonces hashed so far (updated once per chunk per thread).
    pub fn hashes_tried(&self) -> u64 {
        self.inner.hashes.load(Ordering::Relaxed)
    }
}

/// Searches for a nonce whose hash is below `target`. Blocking: async callers run it on a
/// blocking thread and cancel it through `control`.
pub fn solve(
    project_public_key: &str,
    challenge_hex: &str,
    target: &Hash,
    options: &SolveOptions,
    control: &SolveControl,
) -> Result<Solution, SolveError> {
    let hasher = Midstate::with_kernel(
        message_prefix(project_public_key, challenge_hex).as_bytes(),
        options.kernel,
    );
    let target = words(target);
    let first = *options.nonces.start();
    let last = (*options.nonces.end()).min(MAX_NONCE);
    let threads = options
        .threads
        .or_else(|| std::thread::available_parallelism().ok())
        .map_or(1, NonZeroUsize::get);

    let next = AtomicU64::new(first);
    let stop = AtomicBool::new(false);
    let found: Mutex<Option<(u64, Hash)>> = Mutex::new(None);
    let deadline_hit = AtomicBool::new(false);
    let tried_before = control.hashes_tried();

    let worker = || {
        while !stop.load(Ordering::Relaxed) {
            if control.is_cancelled() {
                break;
            }
            if options
                .deadline
                .is_some_and(|deadline| Instant::now() >= deadline)
            {
                deadline_hit.store(true, Ordering::Relaxed);
                break;
            }
            let start = next.fetch_add(CHUNK, Ordering::Relaxed);
            if first > last || start > last {
                break;
            }
            let end = start.saturating_add(CHUNK).min(last + 1);
            let mut hit = None;
            let tried = hasher.scan(start, end, |nonce, state| {
                if below(state, &target) {
                    hit = Some((nonce, bytes(state)));
                    true
                } else {
                    false
                }
            });
            control.inner.hashes.fetch_add(tried, Ordering::Relaxed);
            if let Some((nonce, hash)) = hit {
                stop.store(true, Ordering::Relaxed);
                // Keep the lowest nonce found, so results do not depend on thread timing
                // more than they must. A poisoned lock only means another worker panicked.
                let mut slot = found.lock().unwrap_or_else(|poison| poison.into_inner());
                if slot.is_none_or(|(best, _)| nonce < best) {
                    *slot = Some((nonce, hash));
                }
            }
        }
    };

    if threads == 1 {
        worker();
    } else {
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(worker);
            }
        });
    }

    let hashes_tried = control.hashes_tried() - tried_before;
    let found = *found.lock().unwrap_or_else(|poison| poison.into_inner());
    match found {
        Some((nonce, hash)) => Ok(Solution {
            nonce,
            hash,
            hashes_tried,
        }),
        None if control.is_cancelled() => Err(SolveError::Cancelled { hashes_tried }),
        None if deadline_hit.load(Ordering::Relaxed) => {
            Err(SolveError::DeadlineExceeded { hashes_tried })
        }
        None => Err(SolveError::Exhausted { hashes_tried }),
    }
}

/// The hash state over a constant prefix, and a plan for each nonce length.
#[derive(Debug, Clone)]
pub struct Midstate {
    plans: Vec<LengthPlan>,
    kernel: Resolved,
}

/// The blocks of one message after the prefix's full blocks (the second may be unused).
type Blocks = [[u8; 64]; 2];

/// Compresses `N` messages that share the state before their varying blocks.
trait Lanes<const N: usize> {
    /// For each lane, `state` compressed with `blocks[lane][range]`.
    fn compress(
        &self,
        state: &[u32; 8],
        blocks: &[Blocks; N],
        range: Range<usize>,
    ) -> [[u32; 8]; N];
}

/// `sha2`'s compression, one message at a time.
#[derive(Debug, Clone, Copy)]
struct Portable;

impl Lanes<1> for Portable {
    #[inline(always)]
    fn compress(
        &self,
        state: &[u32; 8],
        blocks: &[Blocks; 1],
        range: Range<usize>,
    ) -> [[u32; 8]; 1] {
        let mut out = *state;
        compress256(&mut out, &blocks[0][range]);
        [out]
    }
}

/// How nonces of one digit count are hashed. Byte offsets are relative to the start of the
/// prefix's last, partial block (the "tail"); everything before it is in `prefix_state`.
#[derive(Debug, Clone)]
struct LengthPlan {
    /// State after the prefix's full blocks.
    prefix_state: [u32; 8],
    /// Tail ‖ nonce digits (as zeros) ‖ 0x80 ‖ zero padding ‖ bit length: 1 or 2 blocks.
    blocks: [[u8; 64]; 2],
    block_count: usize,
    /// Offset of the nonce's first digit.
    digits_at: usize,
    digits: usize,
    /// Digits rewritten per nonce (the last `low_digits` of the nonce).
    low_digits: usize,
    /// First block compressed per nonce; the ones before it belong to the high midstate.
    varying_block: usize,
}

impl Midstate {
    /// Prepares hashing of `prefix ‖ nonce` for every nonce length from 1 to 16 digits,
    /// with the fastest kernel this CPU supports.
    pub fn new(prefix: &[u8]) -> Self {
        Self::with_kernel(prefix, Kernel::Fastest)
    }

    /// As [`Midstate::new`], with a chosen kernel.
    pub fn with_kernel(prefix: &[u8], kernel: Kernel) -> Self {
        let full = prefix.len() / 64 * 64;
        let mut prefix_state = H0;
        for block in prefix[..full].chunks_exact(64) {
            compress256(&mut prefix_state, &[to_block(block)]);
        }
        let tail = &prefix[full..];
        let plans = (1..=16)
            .map(|digits| LengthPlan::new(prefix_state, tail, prefix.len(), digits))
            .collect();
        Self {
            plans,
            kernel: kernel.resolve(),
        }
    }

    /// SHA-256 of `prefix ‖ nonce`, through the same path the search uses; `None` for a
    /// nonce above [`MAX_NONCE`], which no solver may use.
    pub fn hash(&self, nonce: u64) -> Option<Hash> {
        if nonce > MAX_NONCE {
            return None;
        }
        let mut out = None;
        self.scan(nonce, nonce + 1, |_, state| {
            out = Some(bytes(state));
            true
        });
        out
    }

    /// Hashes nonces `start..end` in order, handing each final state to `visit` until it
    /// returns true. Returns how many nonces were hashed.
    fn scan(&self, start: u64, end: u64, visit: impl FnMut(u64, &[u32; 8]) -> bool) -> u64 {
        match self.kernel {
            Resolved::Portable => self.scan_lanes::<1, _>(&Portable, start, end, visit),
            #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
            Resolved::ShaNi(kernel) => kernel.scan::<SHANI_LANES>(self, start, end, visit),
        }
    }

    /// The scan with `N` consecutive nonces per kernel call. Always inlined, so that a
    /// kernel that needs CPU features is inlined into a loop compiled with them.
    #[inline(always)]
    fn scan_lanes<const N: usize, K: Lanes<N>>(
        &self,
        kernel: &K,
        start: u64,
        end: u64,
        mut visit: impl FnMut(u64, &[u32; 8]) -> bool,
    ) -> u64 {
        let mut nonce = start;
        while nonce < end {
            let digits = digit_count(nonce);
            let Some(plan) = self.plans.get(digits - 1) else {
                break;
            };
            let run = POW10[plan.low_digits];
            // This run shares its high digits; it also stops at the next digit count.
            let run_end = end.min((nonce / run + 1) * run).min(POW10[digits]);
            let (base, blocks) = plan.high_midstate(nonce);
            let varying = plan.varying_block..plan.block_count;
            // Lane i holds nonce + i; lanes past the run's end are computed but not visited.
            let mut group = [blocks; N];
            for lane in 1..N {
                group[lane] = group[lane - 1];
                plan.add(&mut group[lane], 1);
            }
            loop {
                let states = kernel.compress(&base, &group, varying.clone());
                let count = (run_end - nonce).min(N as u64);
                for (offset, state) in (0..count).zip(&states) {
                    if visit(nonce + offset, state) {
                        return nonce + offset - start + 1;
                    }
                }
                nonce += count;
                if nonce == run_end {
                    break;
                }
                for lane in &mut group {
                    plan.add(lane, N as u64);
                }
            }
        }
        nonce - start
    }
}

impl LengthPlan {
    fn new(prefix_state: [u32; 8], tail: &[u8], prefix_len: usize, digits: usize) -> Self {
        let message_len = prefix_len + digits;
        let used = tail.len() + digits + 9; // 0x80 and the 64-bit length
        let block_count = used.div_ceil(64);
        let mut blocks = [[0u8; 64]; 2];
        let mut flat = [0u8; 128];
        flat[..tail.len()].copy_from_slice(tail);
        flat[tail.len()..tail.len() + digits].fill(b'0');
        flat[tail.len() + digits] = 0x80;
        let bit_len = (message_len as u64) * 8;
        flat[block_count * 64 - 8..block_count * 64].copy_from_slice(&bit_len.to_be_bytes());
        for (block, chunk) in blocks.iter_mut().zip(flat.chunks_exact(64)) {
            block.copy_from_slice(chunk);
        }
        let digits_end = tail.len() + digits;
        let last_block_start = (block_count - 1) * 64;
        // Digits in the final block vary per nonce at the cost of one compression. When
        // none reach it (the final block is padding only), the block before it varies too.
        let varying_block = if digits_end > last_block_start {
            block_count - 1
        } else {
            0
        };
        let low_digits = (digits_end - (varying_block * 64).max(tail.len())).min(digits);
        Self {
            prefix_state,
            blocks,
            block_count,
            digits_at: tail.len(),
            digits,
            low_digits,
            varying_block,
        }
    }

    /// Writes `nonce` into the blocks and folds the fixed blocks into the state.
    fn high_midstate(&self, nonce: u64) -> ([u32; 8], [[u8; 64]; 2]) {
        let mut blocks = self.blocks;
        let mut rest = nonce;
        for offset in (self.digits_at..self.digits_at + self.digits).rev() {
            blocks[offset / 64][offset % 64] = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
        let mut state = self.prefix_state;
        compress256(&mut state, &blocks[..self.varying_block]);
        (state, blocks)
    }

    /// Adds `amount` to the low digits in place. A carry out of them is dropped: the
    /// caller visits no nonce beyond the run, so a wrapped lane is never looked at.
    #[inline]
    fn add(&self, blocks: &mut Blocks, amount: u64) {
        let low_start = self.digits_at + self.digits - self.low_digits;
        let mut carry = amount;
        for offset in (low_start..self.digits_at + self.digits).rev() {
            if carry == 0 {
                return;
            }
            let digit = &mut blocks[offset / 64][offset % 64];
            let sum = u64::from(*digit - b'0') + carry;
            *digit = b'0' + (sum % 10) as u8;
            carry = sum / 10;
        }
    }
}

fn digit_count(nonce: u64) -> usize {
    POW10[1..]
        .iter()
        .position(|&p| nonce < p)
        .map_or(17, |i| i + 1)
}

fn to_block(bytes: &[u8]) -> [u8; 64] {
    let mut block = [0; 64];
    block.copy_from_slice(bytes);
    block
}

fn words(hash: &Hash) -> [u32; 8] {
    let mut out = [0; 8];
    for (word, chunk) in out.iter_mut().zip(hash.chunks_exact(4)) {
        *word = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
    }
    out
}

fn bytes(state: &[u32; 8]) -> Hash {
    let mut out = [0; 32];
    for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

/// `state < target` as big-endian 256-bit numbers; word order is byte order.
#[inline]
fn below(state: &[u32; 8], target: &[u32; 8]) -> bool {
    state < target
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::encode_hex;
    use crate::pow::{meets_target, solution_hash, target_from_bits};
    use sha2::{Digest, Sha256};

    fn reference(prefix: &[u8], nonce: u64) -> Hash {
        let mut hasher = Sha256::new();
        hasher.update(prefix);
        hasher.update(nonce.to_string());
        hasher.finalize().into()
    }

    /// A scan through one kernel with a given number of lanes.
    type Scan<'a> = &'a dyn Fn(&Midstate, u64, u64, &mut dyn FnMut(u64, &[u32; 8]) -> bool) -> u64;

    /// Every prefix length from 0 to 200 bytes against every nonce length from 1 to 16
    /// digits reaches every remainder of the message length mod 64 (55, 56, 63 and 0 are
    /// the padding edges) through prefixes of one, two and three blocks. At each, nonces
    /// at the start and end of the length and across a run boundary go through the scan
    /// (which advances digits in place, in groups of lanes, with window lengths of every
    /// residue mod 4 so a run ends on every lane) and through `hash`.
    fn assert_matches_sha256_at_every_padding_edge(scan: Scan<'_>) {
        for prefix_len in 0..=200usize {
            let prefix: Vec<u8> = (b'a'..=b'z').cycle().take(prefix_len).collect();
            let midstate = Midstate::with_kernel(&prefix, Kernel::Portable);
            for digits in 1..=16 {
                let low = if digits == 1 { 0 } else { POW10[digits - 1] };
                let high = (POW10[digits] - 1).min(MAX_NONCE);
                let plan = &midstate.plans[digits - 1];
                let boundary = (low / POW10[plan.low_digits] + 1) * POW10[plan.low_digits];
                // Four lengths per place, one per residue mod 4 (so mod 2 and 3 too): the
                // last group of lanes before a window's or a run's end ends on every lane.
                let windows = (0..4).flat_map(|shift| {
                    [
                        (low + shift, low + 12 + 2 * shift),
                        (boundary.saturating_sub(3 + shift).max(low), boundary + 3),
                        (high.saturating_sub(11 + shift).max(low), high + 1),
                    ]
                });
                for (start, end) in windows {
                    let end = end.min(high + 1);
                    if start >= end {
                        continue;
                    }
                    let mut seen = start;
                    let tried = scan(&midstate, start, end, &mut |nonce, state| {
                        assert_eq!(nonce, seen);
                        assert_eq!(
                            bytes(state),
                            reference(&prefix, nonce),
                            "{prefix_len} {nonce}"
                        );
                        seen += 1;
                        false
                    });
                    assert_eq!(tried, end - start);
                    assert_eq!(seen, end);
                    assert_eq!(midstate.hash(end - 1), Some(reference(&prefix, end - 1)));
                }
            }
        }
    }

    #[test]
    fn midstate_matches_plain_sha256_at_every_padding_edge() {
        assert_matches_sha256_at_every_padding_edge(&|midstate, start, end, visit| {
            midstate.scan_lanes::<1, _>(&Portable, start, end, visit)
        });
    }

    /// The SHA-NI kernel, at the lane count the solver uses and at others (a lane count
    /// that does not divide a run leaves lanes unvisited at its end), against the same
    /// exhaustive check. Skipped, with a note, on a CPU without SHA-NI.
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    #[test]
    fn sha_ni_lanes_match_plain_sha256_at_every_padding_edge() {
        let Some(kernel) = x86::ShaNi::detect() else {
            eprintln!("this CPU has no SHA-NI: only the portable kernel is tested");
            return;
        };
        assert_matches_sha256_at_every_padding_edge(&|m, start, end, visit| {
            kernel.scan::<SHANI_LANES>(m, start, end, visit)
        });
        assert_matches_sha256_at_every_padding_edge(&|m, start, end, visit| {
            kernel.scan::<1>(m, start, end, visit)
        });
        assert_matches_sha256_at_every_padding_edge(&|m, start, end, visit| {
            kernel.scan::<2>(m, start, end, visit)
        });
        assert_matches_sha256_at_every_padding_edge(&|m, start, end, visit| {
            kernel.scan::<4>(m, start, end, visit)
        });
    }

    /// The kernels agree on the first solution of a real search, nonce for nonce.
    #[test]
    fn every_kernel_finds_the_same_lowest_nonce() {
        let target = target_from_bits(12).unwrap();
        let found: Vec<_> = [Kernel::Portable, Kernel::Fastest]
            .into_iter()
            .map(|kernel| {
                let options = SolveOptions {
                    threads: NonZeroUsize::new(1),
                    kernel,
                    ..SolveOptions::default()
                };
                solve(
                    "la_pk_demo",
                    &"3c".repeat(32),
                    &target,
                    &options,
                    &SolveControl::new(),
                )
                .unwrap()
            })
            .collect();
        assert_eq!(found[0], found[1]);
    }

    #[test]
    fn finds_a_valid_solution_at_20_bits() {
        let (key, challenge) = ("la_pk_demo", "9f".repeat(32));
        let target = target_from_bits(20).unwrap();
        let control = SolveControl::new();
        let found = solve(key, &challenge, &target, &SolveOptions::default(), &control).unwrap();
        // Independent check: the plain digest of the whole message.
        let plain: Hash = Sha256::digest(format!("{key}:{challenge}:{}", found.nonce)).into();
        assert_eq!(plain, found.hash);
        assert!(meets_target(&plain, &target), "{}", encode_hex(&plain));
        assert!(found.hashes_tried > found.nonce.min(1));
        assert_eq!(control.hashes_tried(), found.hashes_tried);
    }

    #[test]
    fn one_thread_returns_the_lowest_solution() {
        let target = target_from_bits(8).unwrap();
        let options = SolveOptions {
            threads: NonZeroUsize::new(1),
            ..SolveOptions::default()
        };
        let found = solve("k", "00", &target, &options, &SolveControl::new()).unwrap();
        let first = (0..).find(|&n| meets_target(&solution_hash("k", "00", n), &target));
        assert_eq!(Some(found.nonce), first);
        assert_eq!(found.hashes_tried, found.nonce + 1);
    }

    #[test]
    fn exhausts_a_range_without_a_solution() {
        let options = SolveOptions {
            nonces: 0..=99_999,
            ..SolveOptions::default()
        };
        let error = solve("k", "00", &[0; 32], &options, &SolveControl::new()).unwrap_err();
        assert_eq!(
            error,
            SolveError::Exhausted {
                hashes_tried: 100_000
            }
        );
    }

    #[test]
    fn stops_when_cancelled() {
        let control = SolveControl::new();
        control.cancel();
        let error = solve("k", "00", &[0; 32], &SolveOptions::default(), &control).unwrap_err();
        assert!(matches!(error, SolveError::Cancelled { .. }));
    }

    #[test]
    fn cancellation_from_another_thread_stops_workers() {
        let control = SolveControl::new();
        let watcher = control.clone();
        let handle = std::thread::spawn(move || {
            solve("k", "00", &[0; 32], &SolveOptions::default(), &watcher)
        });
        while control.hashes_tried() == 0 {
            std::thread::yield_now();
        }
        control.cancel();
        let error = handle.join().unwrap().unwrap_err();
        assert!(matches!(error, SolveError::Cancelled { hashes_tried } if hashes_tried > 0));
    }

    #[test]
    fn deadline_is_reported() {
        let options = SolveOptions {
            deadline: Some(Instant::now()),
            ..SolveOptions::default()
        };
        let error = solve("k", "00", &[0; 32], &options, &SolveControl::new()).unwrap_err();
        assert!(matches!(error, SolveError::DeadlineExceeded { .. }));
    }

    #[test]
    fn range_end_is_clamped_to_max_nonce() {
        let options = SolveOptions {
            nonces: MAX_NONCE - 9..=u64::MAX,
            threads: NonZeroUsize::new(2),
            ..SolveOptions::default()
        };
        let error = solve("k", "00", &[0; 32], &options, &SolveControl::new()).unwrap_err();
        assert_eq!(error, SolveError::Exhausted { hashes_tried: 10 });
    }
}

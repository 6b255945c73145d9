//! Several SHA-256 compressions at once with the x86 SHA extensions (SHA-NI).
//!
//! Why this module needs `unsafe`: the SHA-NI instructions exist only as `core::arch`
//! intrinsics, which may run only on a CPU that has them. Every call into the
//! `#[target_feature]` code is made through a [`ShaNi`] value, and the only way to get one
//! is [`ShaNi::detect`], which checks the CPU at run time. The other `unsafe` blocks are
//! unaligned loads and stores (`_mm_loadu_si128`, `_mm_storeu_si128`) of in-bounds arrays.
//! Nothing else in the workspace may use `unsafe` (the lint is `deny` at workspace level,
//! only this module allows it, and `.ci/run` fails on an `allow(unsafe_code)` elsewhere).
//!
//! Why several at once: `sha256rnds2` has a latency of several cycles but can start more
//! often than that, so one message (a chain of 32 dependent `sha256rnds2`) leaves the unit
//! idle between rounds. Interleaving independent messages (the solver's consecutive nonces)
//! fills those gaps. The tests hold every lane count to `Sha256::digest` at every padding
//! edge, through the same scan as the portable path.
#![allow(unsafe_code)]

#[cfg(target_arch = "x86")]
use core::arch::x86::*;
#[cfg(target_arch = "x86_64")]
use core::arch::x86_64::*;
use std::ops::Range;

use super::{Blocks, Lanes, Midstate};

/// Proof that this CPU has SHA-NI (and the SSE levels the kernel uses).
#[derive(Debug, Clone, Copy)]
pub(super) struct ShaNi(());

impl ShaNi {
    pub(super) fn detect() -> Option<Self> {
        let present = std::arch::is_x86_feature_detected!("sha")
            && std::arch::is_x86_feature_detected!("sse2")
            && std::arch::is_x86_feature_detected!("ssse3")
            && std::arch::is_x86_feature_detected!("sse4.1");
        present.then_some(Self(()))
    }

    /// [`Midstate::scan`] with `N` nonces per group, compiled with SHA-NI enabled so the
    /// kernel inlines into the loop instead of being called once per group.
    #[inline]
    pub(super) fn scan<const N: usize>(
        self,
        midstate: &Midstate,
        start: u64,
        end: u64,
        visit: impl FnMut(u64, &[u32; 8]) -> bool,
    ) -> u64 {
        // SAFETY: `self` exists only if `detect` found every feature `scan_with_features`
        // enables.
        unsafe { scan_with_features::<N>(self, midstate, start, end, visit) }
    }
}

#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
fn scan_with_features<const N: usize>(
    kernel: ShaNi,
    midstate: &Midstate,
    start: u64,
    end: u64,
    visit: impl FnMut(u64, &[u32; 8]) -> bool,
) -> u64 {
    midstate.scan_lanes::<N, _>(&kernel, start, end, visit)
}

impl<const N: usize> Lanes<N> for ShaNi {
    #[inline(always)]
    fn compress(
        &self,
        state: &[u32; 8],
        blocks: &[Blocks; N],
        range: Range<usize>,
    ) -> [[u32; 8]; N] {
        // SAFETY: as in `ShaNi::scan`: a `ShaNi` value proves the features are present.
        unsafe { compress_lanes(state, blocks, range) }
    }
}

/// Compresses `blocks[lane][range]` for every lane, each from `state`.
#[allow(clippy::needless_range_loop)] // rounds and lanes index several arrays in step
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
fn compress_lanes<const N: usize>(
    state: &[u32; 8],
    blocks: &[Blocks; N],
    range: Range<usize>,
) -> [[u32; 8]; N] {
    let (abef0, cdgh0) = load_state(state);
    let mut abef = [abef0; N];
    let mut cdgh = [cdgh0; N];
    for b in range {
        let (abef_save, cdgh_save) = (abef, cdgh);
        let mut w: [[__m128i; 4]; N] = core::array::from_fn(|lane| load_block(&blocks[lane][b]));
        for r in 0..4 {
            for lane in 0..N {
                rounds4(r, &mut abef[lane], &mut cdgh[lane], w[lane][r]);
            }
        }
        for r in 1..4 {
            for i in 0..4 {
                for lane in 0..N {
                    let w = &mut w[lane];
                    let t1 = _mm_sha256msg1_epu32(w[i], w[(i + 1) % 4]);
                    let t2 = _mm_alignr_epi8(w[(i + 3) % 4], w[(i + 2) % 4], 4);
                    w[i] = _mm_sha256msg2_epu32(_mm_add_epi32(t1, t2), w[(i + 3) % 4]);
                    rounds4(4 * r + i, &mut abef[lane], &mut cdgh[lane], w[i]);
                }
            }
        }
        for lane in 0..N {
            abef[lane] = _mm_add_epi32(abef[lane], abef_save[lane]);
            cdgh[lane] = _mm_add_epi32(cdgh[lane], cdgh_save[lane]);
        }
    }
    core::array::from_fn(|lane| store_state(abef[lane], cdgh[lane]))
}

/// The SHA-256 round constants (FIPS 180-4, 4.2.2).
const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// Four rounds: `rest` holds the four message words of rounds `4r..4r+4`.
#[inline]
#[target_feature(enable = "sha,sse2")]
fn rounds4(r: usize, abef: &mut __m128i, cdgh: &mut __m128i, rest: __m128i) {
    #[allow(clippy::cast_possible_wrap)] // bit patterns, not numbers
    let k = _mm_set_epi32(
        K[4 * r + 3] as i32,
        K[4 * r + 2] as i32,
        K[4 * r + 1] as i32,
        K[4 * r] as i32,
    );
    let t1 = _mm_add_epi32(rest, k);
    *cdgh = _mm_sha256rnds2_epu32(*cdgh, *abef, t1);
    let t2 = _mm_shuffle_epi32(t1, 0x0E);
    *abef = _mm_sha256rnds2_epu32(*abef, *cdgh, t2);
}

/// The block's 16 big-endian words, four per register.
#[inline]
#[target_feature(enable = "sse2,ssse3")]
fn load_block(block: &[u8; 64]) -> [__m128i; 4] {
    let swap = _mm_set_epi64x(0x0C0D_0E0F_0809_0A0B, 0x0405_0607_0001_0203);
    let (chunks, _) = block.as_chunks::<16>();
    core::array::from_fn(|i| {
        // SAFETY: `chunks[i]` is 16 readable bytes; `loadu` needs no alignment.
        let w = unsafe { _mm_loadu_si128(chunks[i].as_ptr().cast()) };
        _mm_shuffle_epi8(w, swap)
    })
}

/// The state in the register layout `sha256rnds2` wants: ABEF and CDGH.
#[inline]
#[target_feature(enable = "sse2,ssse3,sse4.1")]
fn load_state(state: &[u32; 8]) -> (__m128i, __m128i) {
    #[allow(clippy::cast_possible_wrap)] // bit patterns, not numbers
    let word = |i: usize| state[i] as i32;
    let dcba = _mm_set_epi32(word(3), word(2), word(1), word(0));
    let hgfe = _mm_set_epi32(word(7), word(6), word(5), word(4));
    let cdab = _mm_shuffle_epi32(dcba, 0xB1);
    let efgh = _mm_shuffle_epi32(hgfe, 0x1B);
    (
        _mm_alignr_epi8(cdab, efgh, 8),
        _mm_blend_epi16(efgh, cdab, 0xF0),
    )
}

#[inline]
#[target_feature(enable = "sse2,ssse3,sse4.1")]
fn store_state(abef: __m128i, cdgh: __m128i) -> [u32; 8] {
    let feba = _mm_shuffle_epi32(abef, 0x1B);
    let dchg = _mm_shuffle_epi32(cdgh, 0xB1);
    let dcba = _mm_blend_epi16(feba, dchg, 0xF0);
    let hgef = _mm_alignr_epi8(dchg, feba, 8);
    let mut words = [0u32; 8];
    let (halves, _) = words.as_chunks_mut::<4>();
    // SAFETY: each half is 16 writable bytes; `storeu` needs no alignment.
    unsafe {
        _mm_storeu_si128(halves[0].as_mut_ptr().cast(), dcba);
        _mm_storeu_si128(halves[1].as_mut_ptr().cast(), hgef);
    }
    words
}

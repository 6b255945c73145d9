//! Solver throughput, all in one run (BENCHMARKS.md records the figures):
//!
//! - `compress256`: `sha2::block_api::compress256` on one block per call, independent
//!   calls from one state, on one core: the ceiling of a solver that does one
//!   `compress256` per nonce.
//! - `solver/portable/1 thread`: the solver forced onto that path.
//! - `solver/fastest/1 thread` and `solver/fastest/all cores`: the solver as `solve()`
//!   runs it (the SHA-NI multi-lane kernel where the CPU has it).
//!
//! Every solver run uses a fixed challenge, 8-digit nonces and target zero, so no nonce
//! is ever found and each iteration hashes exactly the whole range; criterion's
//! "thrpt" is hashes per second.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark, not a library

use std::hint::black_box;
use std::num::NonZeroUsize;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use liveauth_protocol::pow::solver::{Kernel, SolveControl, SolveError, SolveOptions, solve};
use sha2::block_api::compress256;

const KEY: &str = "la_pk_demo";
const CHALLENGE: &str = "5f0e3c2a9b8d7c6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e";
/// 2^20 nonces per iteration: tens of milliseconds on one core.
const RANGE: u64 = 1 << 20;
const FIRST: u64 = 10_000_000;

fn compress(c: &mut Criterion) {
    const BLOCKS: u64 = 1 << 14;
    let mut group = c.benchmark_group("compress256");
    group.throughput(Throughput::Elements(BLOCKS));
    group.bench_function("1 block per call, 1 core", |b| {
        let mut block = [0u8; 64];
        block[..12].copy_from_slice(b"1234567:0000");
        block[20] = 0x80;
        block[62] = 0x02;
        let state = black_box([
            0x6a09e667u32,
            0xbb67ae85,
            0x3c6ef372,
            0xa54ff53a,
            0x510e527f,
            0x9b05688c,
            0x1f83d9ab,
            0x5be0cd19,
        ]);
        b.iter(|| {
            let mut acc = 0u32;
            for i in 0..BLOCKS {
                // A different block each call, as a solver would hash; the state is not
                // chained, as a solver's nonces are independent.
                block[12..20].copy_from_slice(&i.to_le_bytes());
                let mut out = state;
                compress256(&mut out, std::slice::from_ref(&block));
                acc ^= out[0];
            }
            black_box(acc)
        });
    });
    group.finish();
}

fn solve_range(kernel: Kernel, threads: Option<NonZeroUsize>) -> u64 {
    let options = SolveOptions {
        threads,
        nonces: FIRST..=FIRST + RANGE - 1,
        kernel,
        ..SolveOptions::default()
    };
    match solve(KEY, CHALLENGE, &[0; 32], &options, &SolveControl::new()) {
        Err(SolveError::Exhausted { hashes_tried }) => hashes_tried,
        other => panic!("target zero cannot be met: {other:?}"),
    }
}

fn solver(c: &mut Criterion) {
    let mut group = c.benchmark_group("solver");
    group.throughput(Throughput::Elements(RANGE));
    group.sample_size(20);
    let one = NonZeroUsize::new(1);
    eprintln!("fastest kernel here: {}", Kernel::Fastest.describe());
    group.bench_function("portable/1 thread", |b| {
        b.iter(|| solve_range(Kernel::Portable, one));
    });
    group.bench_function("fastest/1 thread", |b| {
        b.iter(|| solve_range(Kernel::Fastest, one));
    });
    let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    group.bench_function(format!("portable/all cores ({cores})"), |b| {
        b.iter(|| solve_range(Kernel::Portable, None));
    });
    group.bench_function(format!("fastest/all cores ({cores})"), |b| {
        b.iter(|| solve_range(Kernel::Fastest, None));
    });
    group.finish();
}

criterion_group!(benches, compress, solver);
criterion_main!(benches);

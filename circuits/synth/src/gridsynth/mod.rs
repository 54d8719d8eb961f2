//! Ross–Selinger gridsynth: Clifford+T approximations of `rz(θ)` with optimal T-count, built on
//! the geometry of the [`rsgridsynth`] crate.
//!
//! # What comes from rsgridsynth and what does not
//!
//! rsgridsynth's top-level `gridsynth_gates` is not used, for three reasons found in its source
//! (0.2.2):
//!
//! * Its Diophantine step (`diophantine.rs`) stops factoring on **wall-clock** timeouts
//!   (`diophantine_timeout`, `factoring_timeout`), so which candidate is accepted — and so the
//!   word and even its T-count — depends on machine load. Making the timeouts huge is no fix:
//!   when a probabilistic square-root step fails (probability 1/256 per prime) it runs Pollard
//!   rho on a *prime* of ~100 bits, whose inner loop only ends after ~2^50 steps.
//! * It memoises primality, square roots, factors and Diophantine solutions in process-wide
//!   caches (some caching *failures*), so a result depends on what was synthesised before in the
//!   same process; with `try_lock` the cache use even depends on thread timing.
//! * Its working precision is a process-wide atomic (`common::PREC_BITS`) set per call, and the
//!   lazily initialised π (`common::PI`) keeps the precision that was current when it was first
//!   touched — a first call at ε = 1e-2 would leave a 24-bit π for every later call.
//!
//! This module therefore keeps rsgridsynth's unit disk (`UnitDisk`) and its exact decomposition
//! of the found unitary (`decompose_domega_unitary`), and ports or replaces the rest, one file
//! each:
//!
//! * `epsilon` ports its ε-region (`EpsilonRegion`) so that the two grid problems share one
//!   evaluation of the cosine and sine of θ/2, whose Taylor series also stops once the rest
//!   provably cannot change the rounded result.
//! * `grid` ports its grid solvers (`solve_tdgp` and the one-dimensional solvers under it)
//!   operation for operation, but with √2 and the powers of λ = 1 + √2 cached per synthesis
//!   instead of recomputed on every use, so the candidates and their order are bit-for-bit
//!   rsgridsynth's.
//! * `upright` ports its step-lemma reduction (`to_upright`), with exact `floorlog` in place of
//!   slow arbitrary-precision logarithms and shared between the two grid problems as pygridsynth
//!   does, together with the grid-operator × ellipse product it applies at every step (√2
//!   cached, the inverse operator's matrix products memoised per operator).
//! * `diophantine` replaces the Diophantine step with a port of pygridsynth 2.0's, on the exact
//!   rings of `ring` and the integer algorithms of `numtheory`. Its effort limits are iteration
//!   counts (`dloop = floop = 10`, 128 Pollard–Brent steps per batch), never clocks, and its
//!   pseudo-random choices come from a SplitMix64 generator (`rng`) seeded from the bit patterns
//!   of θ and ε and the candidate's index, so they are a pure function of the input.
//! * `synthesize` drives the search and turns the unitary found into a checked word.
//!
//! Every loop has a fixed bound; running out of budget is a typed error, not a hang.
//!
//! The files depend on each other one way only: `ring`, `rng`, `precision` and `epsilon` use
//! none of the others; `numtheory` uses `rng`; `diophantine` uses `ring`, `rng` and
//! `numtheory`; `grid` and `upright` use `ring`; `synthesize` uses them all.
//!
//! Calls into rsgridsynth happen under a process-wide lock (`precision`), which first restores
//! the 1000-bit working precision, forces π and τ at that precision, and then sets the precision
//! for the call: concurrent callers are serialised instead of corrupting each other's precision.
//! (Code elsewhere in the process that calls rsgridsynth directly bypasses this lock.)
//! rsgridsynth reports only through the `log` facade, and only with `verbose` on, which this
//! module never sets; the replaced Diophantine code held its only unconditional `warn!`.
//!
//! # Determinism
//!
//! The gate sequence is a function of the bit patterns of (θ, ε) only: the geometry runs on
//! arbitrary-precision integers and binary floats (dashu), the Diophantine step on integers with
//! the seeded generator above, and no clock, thread or cache state is consulted. The returned
//! `phase` is an `f64` computed with the platform's `atan2`, so it may differ in the last bit
//! between libm implementations; the letters never do.

mod diophantine;
mod epsilon;
mod grid;
mod numtheory;
mod precision;
mod ring;
mod rng;
mod synthesize;
mod upright;

pub use synthesize::{
    GridsynthError, MAX_ABS_THETA, MAX_EPSILON, MIN_EPSILON, rz_error, synthesize_rz,
};

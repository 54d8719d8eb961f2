//! A deterministic mutation run of a fuzz target: the target's seeds, then a fixed number of
//! inputs made by seeded random edits of them (bit flips, byte sets, inserted and deleted spans,
//! duplicated spans, splices of two seeds, dictionary words, fresh random bytes). It finds far
//! less than libFuzzer's coverage-guided search, but it runs every target on thousands of hostile
//! inputs with the ordinary tests, on every machine, the same inputs each time.

use std::panic::{AssertUnwindSafe, catch_unwind};

use eqisa_test_support::Rng;

/// What a run is given.
pub struct Run<'a> {
    /// The target's name, for the failure message and the saved input.
    pub name: &'a str,
    /// Valid (or interesting) inputs to start from; may be empty.
    pub seeds: &'a [Vec<u8>],
    /// Words worth inserting (keywords, operators).
    pub dictionary: &'a [&'a [u8]],
    /// How many mutated inputs to try after the seeds.
    pub inputs: usize,
    /// The longest input made.
    pub max_len: usize,
    /// The generator's seed.
    pub seed: u64,
}

/// Runs `target` on every seed, then on `run.inputs` mutations.
///
/// # Panics
/// When `target` panics on an input: the message names the target and the input's number, and
/// the input is written to `target/fuzz-failures/<name>-<number>` for replay with cargo-fuzz.
pub fn run(target: fn(&[u8]), run: &Run<'_>) {
    for (k, s) in run.seeds.iter().enumerate() {
        check(target, run.name, &format!("seed{k}"), s);
    }
    let mut rng = Rng::new(run.seed);
    for k in 0..run.inputs {
        let input = mutate(&mut rng, run);
        check(target, run.name, &k.to_string(), &input);
    }
}

fn check(target: fn(&[u8]), name: &str, which: &str, input: &[u8]) {
    if catch_unwind(AssertUnwindSafe(|| target(input))).is_ok() {
        return;
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/fuzz-failures");
    let path = dir.join(format!("{name}-{which}"));
    let saved = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(&path, input))
        .map_or_else(
            |e| format!("not saved: {e}"),
            |()| path.display().to_string(),
        );
    panic!(
        "fuzz target {name} failed on input {which} ({} bytes, {saved})",
        input.len()
    );
}

/// One input: a seed (or nothing) with 1–8 random edits.
fn mutate(rng: &mut Rng, run: &Run<'_>) -> Vec<u8> {
    let mut b = if run.seeds.is_empty() || rng.below(8) == 0 {
        let n = rng.below(64) as usize;
        (0..n).map(|_| rng.next_u64() as u8).collect()
    } else {
        run.seeds[rng.below(run.seeds.len() as u64) as usize].clone()
    };
    for _ in 0..1 + rng.below(8) {
        edit(rng, run, &mut b);
    }
    b.truncate(run.max_len);
    b
}

fn edit(rng: &mut Rng, run: &Run<'_>, b: &mut Vec<u8>) {
    let n = b.len();
    let at = |rng: &mut Rng, n: usize| rng.below(n as u64 + 1) as usize;
    match rng.below(8) {
        0 if n > 0 => {
            let i = at(rng, n - 1);
            b[i] ^= 1 << rng.below(8);
        }
        1 if n > 0 => {
            let i = at(rng, n - 1);
            b[i] = [0, 0xff, 0x7f, 0x80, b'\n', b';', b'"', b'0'][rng.below(8) as usize];
        }
        2 => {
            let i = at(rng, n);
            let len = 1 + rng.below(16) as usize;
            let bytes: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
            b.splice(i..i, bytes);
        }
        3 if n > 0 => {
            let i = at(rng, n - 1);
            let end = (i + 1 + rng.below(32) as usize).min(n);
            b.drain(i..end);
        }
        4 if n > 0 => {
            // Duplicate a span in place: repeated statements, repeated blocks.
            let i = at(rng, n - 1);
            let end = (i + 1 + rng.below(64) as usize).min(n);
            let span = b[i..end].to_vec();
            b.splice(end..end, span);
        }
        5 if !run.seeds.is_empty() => {
            // The head of this input on the tail of another seed.
            let other = &run.seeds[rng.below(run.seeds.len() as u64) as usize];
            let cut = at(rng, n);
            let from = at(rng, other.len());
            b.truncate(cut);
            b.extend_from_slice(&other[from..]);
        }
        6 if !run.dictionary.is_empty() => {
            let word = run.dictionary[rng.below(run.dictionary.len() as u64) as usize];
            let i = at(rng, n);
            b.splice(i..i, word.iter().copied());
        }
        7 if n > 0 => b.truncate(at(rng, n - 1)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_makes_the_same_inputs() {
        let seeds = [b"OPENQASM 2.0;".to_vec()];
        let r = Run {
            name: "t",
            seeds: &seeds,
            dictionary: &[b"qreg"],
            inputs: 0,
            max_len: 64,
            seed: 3,
        };
        let make = || {
            let mut rng = Rng::new(9);
            (0..50).map(|_| mutate(&mut rng, &r)).collect::<Vec<_>>()
        };
        let a = make();
        assert_eq!(a, make());
        assert!(a.iter().all(|x| x.len() <= 64));
        assert!(a.iter().any(|x| x != &seeds[0]));
    }

    #[test]
    #[should_panic(expected = "fuzz target boom failed on input seed0")]
    fn a_failing_target_is_named_with_its_input() {
        fn boom(data: &[u8]) {
            assert!(data.is_empty(), "not empty");
        }
        run(
            boom,
            &Run {
                name: "boom",
                seeds: &[vec![1]],
                dictionary: &[],
                inputs: 1,
                max_len: 8,
                seed: 1,
            },
        );
    }
}

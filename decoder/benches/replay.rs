//! Decoding throughput while replaying, in native operations per second: a QEC-like round (h on
//! the ancillas, four cx pairs per ancilla, h, measure with a stride of one round's bits) of
//! about 200 operations, repeated 10^6 times by a counted loop (its text is decoded once into
//! the replay buffer, the rest replayed), against the same round unrolled 2,000 times and decoded
//! straight from the stream. Assembling happens once, outside the measurement; each iteration
//! feeds the whole `.eqb` to a fresh [`Decoder`] and counts what it releases.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use eqisa_assembler::{Structured, assemble, assemble_structured};
use eqisa_decoder::{Decoder, Fed, feed_chunks};
use eqisa_ir::circuit::Register;
use eqisa_isa::IsaError;
use eqisa_isa::control::{ControlBuilder, NodeKind};
use eqisa_isa::model::Priors;
use eqisa_lower::program::{NativeOp, NativeProgram, TimedOp};
use eqisa_lower::target::{TargetDesc, TargetKind};
use eqisa_test_support::flat_codebook;
use smallvec::SmallVec;

/// Ancillas of the round (qubits 0..ANCILLAS); data qubits follow.
const ANCILLAS: u32 = 28;
/// Data qubits.
const DATA: u32 = 29;
/// Iterations of the replayed loop.
const ITERATIONS: u64 = 1_000_000;
/// Rounds of the straight program.
const STRAIGHT_ROUNDS: u64 = 2_000;

fn op(op: NativeOp, qubits: &[u32]) -> TimedOp {
    TimedOp {
        op,
        qubits: SmallVec::from_slice(qubits),
        cond: None,
        start_ns: 0.0,
        duration_ns: 0.0,
    }
}

/// One round, measuring into bits `shift..shift + ANCILLAS`: 28 + 112 + 28 + 28 = 196 ops.
fn round(shift: u32) -> Vec<TimedOp> {
    let mut ops = Vec::new();
    ops.extend((0..ANCILLAS).map(|a| op(NativeOp::H, &[a])));
    for k in 0..4 {
        for a in 0..ANCILLAS {
            let d = ANCILLAS + (a + k) % DATA;
            ops.push(op(NativeOp::Cx, &[a, d]));
        }
    }
    ops.extend((0..ANCILLAS).map(|a| op(NativeOp::H, &[a])));
    ops.extend((0..ANCILLAS).map(|a| op(NativeOp::Measure { clbit: shift + a }, &[a])));
    ops
}

fn program(ops: Vec<TimedOp>, clbits: u32, target: &TargetDesc) -> NativeProgram {
    let n = ANCILLAS + DATA;
    let mut p = NativeProgram {
        target: TargetKind::CliffordT,
        num_qubits: n,
        num_clbits: clbits,
        qregs: vec![Register {
            name: "q".into(),
            start: 0,
            size: n,
        }],
        cregs: vec![Register {
            name: "rec".into(),
            start: 0,
            size: clbits,
        }],
        ops,
        conditions: Vec::new(),
        duration_ns: 0.0,
        angle_bits: 0,
    };
    p.schedule(target);
    p
}

/// The round in a loop of `ITERATIONS`: its bytes and the instructions it releases.
fn looped(target: &TargetDesc) -> (Vec<u8>, u64) {
    let (cb, hash) = flat_codebook();
    let body = round(0);
    let len = body.len() as u64;
    let clbits = u32::try_from(ITERATIONS * u64::from(ANCILLAS)).expect("bits fit");
    let mut tree = ControlBuilder::new();
    tree.open(NodeKind::Repeat {
        count: ITERATIONS,
        stride: u64::from(ANCILLAS),
    })
    .expect("opens");
    tree.ops(len).expect("body");
    tree.close().expect("closes");
    // Scheduled on one round's bits (the loop shifts them), declared with all of them.
    let mut text = program(body, ANCILLAS, target);
    text.num_clbits = clbits;
    text.cregs[0].size = clbits;
    let s = Structured {
        text,
        control: tree.finish().expect("tree"),
    };
    let asm = assemble_structured(&s, target, &cb, hash).expect("assembles");
    (asm.bytes, ITERATIONS * len)
}

/// The round unrolled `STRAIGHT_ROUNDS` times.
fn straight(target: &TargetDesc) -> (Vec<u8>, u64) {
    let (cb, hash) = flat_codebook();
    let ops: Vec<TimedOp> = (0..STRAIGHT_ROUNDS)
        .flat_map(|r| round(u32::try_from(r).expect("small") * ANCILLAS))
        .collect();
    let n = ops.len() as u64;
    let clbits = u32::try_from(STRAIGHT_ROUNDS).expect("small") * ANCILLAS;
    let asm = assemble(&program(ops, clbits, target), target, &cb, hash).expect("assembles");
    (asm.bytes, n)
}

/// Feed the whole program to a fresh decoder and count what it releases.
fn decode_count(bytes: &[u8], priors: &Priors, hash: [u8; 32]) -> u64 {
    let mut dec = Decoder::new(priors, hash);
    let mut rest = bytes;
    let mut n = 0u64;
    let fed = feed_chunks(&mut dec, &mut rest, usize::MAX, |i| {
        black_box(i);
        n += 1;
        Ok::<(), IsaError>(())
    });
    match fed {
        Ok(Fed::End) => n,
        Ok(other) => panic!("decoder stopped early: {other:?}"),
        Err(e) => panic!("decode failed: {e}"),
    }
}

fn bench(c: &mut Criterion) {
    let (cb, hash) = flat_codebook();
    let target = TargetDesc::default_for(TargetKind::CliffordT);
    let mut g = c.benchmark_group("replay");
    g.sample_size(10);
    for (name, (bytes, ops)) in [
        ("loop_1e6_x_196_replayed", looped(&target)),
        ("straight_2000_x_196_streamed", straight(&target)),
    ] {
        eprintln!("{name}: {ops} ops from {} bytes", bytes.len());
        assert_eq!(decode_count(&bytes, &cb.priors, hash), ops);
        g.throughput(Throughput::Elements(ops));
        g.bench_function(name, |b| {
            b.iter(|| decode_count(black_box(&bytes), &cb.priors, hash))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Property: any well-formed instruction stream the ISA can carry — every opcode of either
//! target, conditions, raw and quantised angles, delays on and off the tick grid, barriers with
//! and without a leading qubit, explicit timing — decodes to exactly what was encoded, across
//! block boundaries, with the model's priors flat or skewed.

use eqisa_decoder::decode_all;
use eqisa_encode::StreamEncoder;
use eqisa_isa::IsaError;
use eqisa_isa::container::{Container, Header, Section, SectionKind, Target, codebook_id};
use eqisa_isa::instr::{Arity, Instr, OPCODE_COUNT, Opcode};
use eqisa_isa::model::{Priors, ProgramParams, allowed};
use eqisa_isa::stream::{BlockHeader, ProgramInfo, Scheduler};
use proptest::prelude::*;

#[derive(Clone, Debug)]
struct Op {
    opcode: Opcode,
    qubits: Vec<u32>,
    cond: Option<u32>,
    arg: u64,
}

#[derive(Clone, Debug)]
struct Program {
    target: Target,
    qubits: u32,
    clbits: u32,
    angle_bits: u8,
    conditions: Vec<Vec<u32>>,
    explicit: bool,
    ops: Vec<Op>,
}

fn op_strategy(
    target: Target,
    qubits: u32,
    clbits: u32,
    angle_bits: u8,
    nconds: u32,
) -> impl Strategy<Value = Op> {
    let opcodes: Vec<Opcode> = Opcode::ALL
        .iter()
        .copied()
        .filter(|&o| allowed(target, o))
        .filter(|&o| qubits >= 2 || o.arity() != Arity::Two)
        .collect();
    (
        proptest::sample::select(opcodes),
        proptest::collection::vec(0..qubits, 1..=qubits as usize),
        proptest::option::weighted(0.2, 0..nconds.max(1)),
        any::<u64>(),
        0..4u32,
    )
        .prop_map(move |(opcode, mut qs, cond, raw, kind)| {
            qs.dedup();
            let qubits_of = match opcode.arity() {
                Arity::One => vec![qs[0]],
                Arity::Two => {
                    let a = qs[0];
                    let b = (a + 1 + (raw as u32 % (qubits - 1))) % qubits;
                    vec![a, b]
                }
                // Runs from the first qubit and arbitrary lists both occur.
                Arity::List if kind == 0 => (qs[0]..qubits).collect(),
                Arity::List => qs,
            };
            let arg = match opcode {
                Opcode::Rz if angle_bits == 0 => f64::from_bits(raw).to_bits(),
                Opcode::Rz => raw & ((1u64 << angle_bits) - 1),
                Opcode::Measure => raw % u64::from(clbits),
                Opcode::Delay if kind < 2 => ((raw % 5000) as f64 * 0.5).to_bits(),
                Opcode::Delay => ((raw % 1_000_000) as f64 * 0.123_456_7).to_bits(),
                _ => 0,
            };
            Op {
                opcode,
                qubits: qubits_of,
                cond: if nconds == 0 { None } else { cond },
                arg,
            }
        })
}

fn program_strategy() -> impl Strategy<Value = Program> {
    (
        prop_oneof![Just(Target::Native), Just(Target::CliffordT)],
        1..12u32,
        1..6u32,
        prop_oneof![Just(0u8), 1..=40u8],
        0..4u32,
        any::<bool>(),
    )
        .prop_flat_map(|(target, qubits, clbits, angle_bits, nconds, explicit)| {
            let conds = proptest::collection::vec(
                proptest::collection::btree_set(0..clbits, 0..=clbits as usize),
                nconds as usize,
            );
            let ops = proptest::collection::vec(
                op_strategy(target, qubits, clbits, angle_bits, nconds),
                0..3000,
            );
            (conds, ops).prop_map(move |(conds, ops)| Program {
                target,
                qubits,
                clbits,
                angle_bits,
                conditions: conds.into_iter().map(|s| s.into_iter().collect()).collect(),
                explicit,
                ops,
            })
        })
}

fn instr(op: &Op) -> Instr<'_> {
    Instr {
        opcode: op.opcode,
        qubits: &op.qubits,
        cond: op.cond,
        arg: op.arg,
    }
}

/// Assemble at the ISA level; returns the file and each op's (start, duration).
fn assemble(p: &Program, priors: &Priors, hash: [u8; 32]) -> (Vec<u8>, Vec<(f64, f64)>, u64) {
    let mut durations = [None; OPCODE_COUNT];
    for (i, d) in durations.iter_mut().enumerate() {
        *d = Some(i as f64 * 4.0);
    }
    let info = ProgramInfo {
        params: ProgramParams {
            target: p.target,
            num_qubits: p.qubits,
            num_clbits: p.clbits,
            angle_bits: p.angle_bits,
            num_conditions: p.conditions.len() as u32,
            dt_ns_bits: 0.5f64.to_bits(),
            explicit_timing: p.explicit,
        },
        durations,
        condition_bits: p.conditions.clone(),
        total_ops: p.ops.len() as u64,
    };
    let mut sched = Scheduler::new(p.qubits, &info.condition_bits);
    let mut enc = StreamEncoder::new(priors, info.params).expect("encoder");
    let mut times = Vec::new();
    for (i, op) in p.ops.iter().enumerate() {
        let t = if p.explicit {
            (i as f64 * 1.5, (i % 7) as f64)
        } else {
            sched.place(&instr(op), &info).expect("schedules")
        };
        enc.push(&instr(op), t).expect("encodes");
        times.push(t);
    }
    let (payload, blocks) = enc.finish().expect("finishes");
    let file = Container {
        header: Header {
            codebook_id: codebook_id(&hash),
            qubit_count: p.qubits,
            clbit_count: p.clbits,
            target: p.target,
        },
        sections: vec![
            Section {
                kind: SectionKind::Program,
                payload: info.to_bytes(),
            },
            Section {
                kind: SectionKind::Instructions,
                payload,
            },
        ],
    };
    (file.to_bytes().expect("container"), times, blocks)
}

fn skewed() -> Priors {
    let mut p = Priors::default();
    for (i, v) in p.probs.iter_mut().enumerate() {
        *v = 31 + ((i * 37) % 4000) as u16;
    }
    for (i, v) in p.predictions.iter_mut().enumerate() {
        *v = (i % 18) as u8;
    }
    p
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn every_encodable_stream_decodes_exactly(p in program_strategy(), skew in any::<bool>()) {
        let priors = if skew { skewed() } else { Priors::default() };
        check(&p, &priors);
    }
}

fn check(p: &Program, priors: &Priors) -> u64 {
    let hash = [7u8; 32];
    let (bytes, times, blocks) = assemble(p, priors, hash);
    let d = decode_all(&bytes, priors, hash).expect("decodes");
    assert_eq!(d.instrs.len(), p.ops.len());
    for (i, (got, want)) in d.instrs.iter().zip(&p.ops).enumerate() {
        assert_eq!(got.opcode, want.opcode, "op {i}");
        assert_eq!(got.qubits, want.qubits, "op {i}");
        assert_eq!(got.cond, want.cond, "op {i}");
        assert_eq!(got.arg, want.arg, "op {i}");
        assert_eq!(got.start_ns.to_bits(), times[i].0.to_bits(), "op {i}");
        assert_eq!(got.duration_ns.to_bits(), times[i].1.to_bits(), "op {i}");
    }
    blocks
}

/// Raw 64-bit angles and explicit timing fill several blocks; the model's state must carry
/// across them.
#[test]
fn raw_angles_with_explicit_timing_span_blocks() {
    let ops = (0..6000u64)
        .map(|i| Op {
            opcode: Opcode::Rz,
            qubits: vec![(i % 5) as u32],
            cond: None,
            arg: (i as f64 * 0.001_234_5 - 3.0).to_bits(),
        })
        .collect();
    let p = Program {
        target: Target::Native,
        qubits: 5,
        clbits: 1,
        angle_bits: 0,
        conditions: Vec::new(),
        explicit: true,
        ops,
    };
    assert!(check(&p, &skewed()) >= 2);
}

/// A Clifford+T program made of a few long gridsynth-like words (Matsumoto–Amano syllables
/// `h t` and `s h t`), each repeated many times on changing qubits, with two-qubit gates and
/// conditioned one-qubit gates between: the encoder codes the repeats as copies of the window.
fn repeated_words(reps: usize, distinct: usize, conditioned: bool, explicit: bool) -> Program {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let words: Vec<Vec<Opcode>> = (0..distinct)
        .map(|_| {
            let mut w = vec![Opcode::T];
            for _ in 0..40 {
                if next() % 2 == 0 {
                    w.push(Opcode::S);
                }
                w.extend([Opcode::H, Opcode::T]);
            }
            w.push(Opcode::Z);
            w
        })
        .collect();
    let mut ops = Vec::new();
    for k in 0..reps {
        let q = (k % 4) as u32;
        let word = &words[(k * 5 + k / 7) % distinct];
        ops.extend(word.iter().map(|&opcode| Op {
            opcode,
            qubits: vec![q],
            cond: None,
            arg: 0,
        }));
        ops.push(Op {
            opcode: Opcode::Cx,
            qubits: vec![q, (q + 1) % 4],
            cond: None,
            arg: 0,
        });
        if conditioned && k % 3 == 0 {
            ops.push(Op {
                opcode: Opcode::X,
                qubits: vec![q],
                cond: Some(0),
                arg: 0,
            });
        }
    }
    Program {
        target: Target::CliffordT,
        qubits: 4,
        clbits: 1,
        angle_bits: 0,
        conditions: if conditioned {
            vec![vec![0]]
        } else {
            Vec::new()
        },
        explicit,
        ops,
    }
}

/// Repeated words become copies and decode exactly, with conditioned gates between them; the
/// same program with every word distinct (nothing to copy) costs more than twice as much.
#[test]
fn repeated_words_are_copied_and_decode_exactly() {
    let hash = [7u8; 32];
    let repeated = repeated_words(300, 6, true, false);
    let distinct = repeated_words(300, 300, true, false);
    for p in [&repeated, &distinct] {
        check(p, &Priors::default());
        check(p, &skewed());
    }
    let (with_copies, _, _) = assemble(&repeated, &Priors::default(), hash);
    let (without, _, _) = assemble(&distinct, &Priors::default(), hash);
    assert!(
        with_copies.len() * 2 < without.len(),
        "{} bytes with repeats, {} without",
        with_copies.len(),
        without.len()
    );
}

/// Copies never straddle a block: blocks end by size (explicit timing makes each operation
/// 128 bits) and by the operation limit (copies cost almost nothing per operation), both with
/// copies in flight.
#[test]
fn copies_stay_inside_their_blocks() {
    for (reps, explicit) in [(400, true), (900, false)] {
        let p = repeated_words(reps, 6, false, explicit);
        assert!(check(&p, &Priors::default()) >= 2, "{reps} {explicit}");
    }
}

/// A block whose header (checksums recomputed) says it ends in the middle of a copy is refused
/// by name: the decoder never carries a copy into the next block.
#[test]
fn a_block_that_ends_inside_a_copy_is_corrupt() {
    let p = repeated_words(10, 6, false, false);
    let hash = [7u8; 32];
    let (bytes, _, blocks) = assemble(&p, &Priors::default(), hash);
    assert_eq!(blocks, 1);
    let mut file = Container::parse(&bytes).expect("parses");
    let at = file
        .sections
        .iter()
        .position(|s| s.kind == SectionKind::Instructions)
        .expect("instructions");
    let payload = file.sections[at].payload.clone();
    let (bh, hlen) = BlockHeader::parse(&payload)
        .expect("valid")
        .expect("complete");
    let body = &payload[hlen..hlen + bh.len];
    let mut copy_errors = 0;
    // The seventh word repeats the first (a copy of about a hundred gates) from about op 630.
    for ops in 560..800 {
        let mut edited = Vec::new();
        BlockHeader {
            len: bh.len,
            ops,
            crc: BlockHeader::checksum(bh.len, ops, body),
        }
        .write(&mut edited);
        edited.extend_from_slice(body);
        file.sections[at].payload = edited;
        let err = decode_all(
            &file.to_bytes().expect("container"),
            &Priors::default(),
            hash,
        )
        .expect_err("a block with the wrong count");
        if err == IsaError::Corrupt("a copy runs past the end of its block") {
            copy_errors += 1;
        }
    }
    assert!(copy_errors >= 48, "{copy_errors} counts inside a copy");
}

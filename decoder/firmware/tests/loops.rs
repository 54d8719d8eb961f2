//! Programs with loops on the modelled controller: replayed iterations take no link bytes and
//! cost the decoder less than decoded ones, real-time `while` loops are answered from a seeded
//! source (the same seed, the same run) and stop with an error at the iteration cap.

use eqisa_assembler::{Structured, assemble, assemble_structured};
use eqisa_firmware::energy::{EnergyModel, EnergyReport, Events, ReplayEvents};
use eqisa_firmware::{FirmwareError, FirmwareParams, FirmwareReport, Outcomes, simulate};
use eqisa_ir::circuit::{CondExpr, CondOp, Register};
use eqisa_isa::codebook::Codebook;
use eqisa_isa::control::{ControlBuilder, NodeKind};
use eqisa_isa::model::Priors;
use eqisa_lower::program::{NativeOp, NativeProgram, TimedOp};
use eqisa_lower::target::{TargetDesc, TargetKind};
use smallvec::SmallVec;

fn codebook() -> Codebook {
    Codebook {
        description: "flat".into(),
        priors: Priors::default(),
        paper_dictionary: None,
        training: String::new(),
    }
}

fn op(op: NativeOp, qubits: &[u32]) -> TimedOp {
    TimedOp {
        op,
        qubits: SmallVec::from_slice(qubits),
        cond: None,
        start_ns: 0.0,
        duration_ns: 0.0,
    }
}

fn program(ops: Vec<TimedOp>, clbits: u32, conditions: Vec<CondExpr>) -> NativeProgram {
    NativeProgram {
        target: TargetKind::CliffordT,
        num_qubits: 4,
        num_clbits: clbits,
        qregs: vec![Register {
            name: "q".into(),
            start: 0,
            size: 4,
        }],
        cregs: vec![Register {
            name: "rec".into(),
            start: 0,
            size: clbits,
        }],
        ops,
        conditions,
        duration_ns: 0.0,
        angle_bits: 0,
    }
}

/// A syndrome-extraction-like round on 4 qubits measuring 2 bits from `shift`: 8 operations.
fn round(shift: u32) -> Vec<TimedOp> {
    vec![
        op(NativeOp::H, &[0]),
        op(NativeOp::H, &[1]),
        op(NativeOp::Cx, &[0, 2]),
        op(NativeOp::Cx, &[1, 3]),
        op(NativeOp::Cx, &[0, 3]),
        op(NativeOp::Cx, &[1, 2]),
        op(NativeOp::Measure { clbit: shift }, &[0]),
        op(NativeOp::Measure { clbit: shift + 1 }, &[1]),
    ]
}

const BODY: u64 = 8;

fn scheduled(mut p: NativeProgram, target: &TargetDesc) -> NativeProgram {
    p.schedule(target);
    p
}

/// `count` rounds as a counted loop with a stride of 2 bits, and the same rounds unrolled.
fn looped_and_flat(count: u64) -> (Vec<u8>, Vec<u8>) {
    let target = TargetDesc::default_for(TargetKind::CliffordT);
    let cb = codebook();
    let clbits = u32::try_from(2 * count).expect("fits");
    let mut tree = ControlBuilder::new();
    tree.open(NodeKind::Repeat { count, stride: 2 })
        .expect("open");
    tree.ops(BODY).expect("body");
    tree.close().expect("close");
    let mut text = scheduled(program(round(0), 2, Vec::new()), &target);
    text.num_clbits = clbits;
    text.cregs[0].size = clbits;
    let s = Structured {
        text,
        control: tree.finish().expect("tree"),
    };
    let looped = assemble_structured(&s, &target, &cb, cb.hash()).expect("assembles");
    let flat_ops: Vec<TimedOp> = (0..count)
        .flat_map(|k| round(u32::try_from(2 * k).expect("fits")))
        .collect();
    let flat = scheduled(program(flat_ops, clbits, Vec::new()), &target);
    let flat = assemble(&flat, &target, &cb, cb.hash()).expect("assembles flat");
    (looped.bytes, flat.bytes)
}

fn sim(bytes: &[u8], params: &FirmwareParams) -> Result<FirmwareReport, FirmwareError> {
    let cb = codebook();
    simulate(bytes, &cb.priors, cb.hash(), None, params)
}

/// The energy of a run, with the events the pipeline counts.
fn energy(r: &FirmwareReport) -> EnergyReport {
    let events = Events {
        link_bits: r.link_bits,
        link_lanes: 1,
        instructions_decoded: r.decoded_ops,
        dac_samples: r.dac_samples,
        ..Events::default()
    };
    let replay = ReplayEvents {
        buffer_writes: r.replay_buffer_writes,
        buffer_reads: r.replay_buffer_reads,
        replayed_instructions: r.replayed_ops,
        buffer_bytes: r.replay_buffer_bytes,
    };
    let duration_s = r.schedule_ns.max(r.decode_end_ns) * 1e-9;
    EnergyModel::default_model()
        .expect("model")
        .evaluate_with_replay(&events, &replay, duration_s)
        .expect("evaluates")
}

#[test]
fn a_counted_loop_replays_without_link_bytes_and_costs_less_than_unrolled() {
    let count = 10_000u64;
    let (looped, flat) = looped_and_flat(count);
    assert!(
        looped.len() * 50 < flat.len(),
        "{} vs {}",
        looped.len(),
        flat.len()
    );
    // A short start-up delay, so that the link rate matters for the unrolled program.
    let params = FirmwareParams {
        startup_ns: 1_000.0,
        ..FirmwareParams::default()
    };
    let l = sim(&looped, &params).expect("looped simulates");
    let f = sim(&flat, &params).expect("flat simulates");
    // The link carries the file alone; the decoder decodes the text once.
    assert_eq!(l.link_bits, 8 * looped.len() as u64);
    assert_eq!(l.decoded_ops, BODY);
    assert_eq!(l.replayed_ops, (count - 1) * BODY);
    assert_eq!(l.instructions_decoded, count * BODY);
    assert_eq!(l.replay_buffer_writes, BODY);
    assert_eq!(l.replay_buffer_reads, count * BODY);
    assert!(
        l.replay_buffer_bytes >= BODY * 16,
        "{}",
        l.replay_buffer_bytes
    );
    // The same schedule either way.
    assert_eq!(f.instructions_decoded, count * BODY);
    assert_eq!(f.decoded_ops, count * BODY);
    assert_eq!((f.replayed_ops, f.replay_buffer_bytes), (0, 0));
    assert!((l.schedule_ns - f.schedule_ns).abs() < 1e-6 * f.schedule_ns);
    // A link the unrolled program underruns on is plenty for the loop.
    let f_min = f
        .min_link_gbps
        .expect("a rate is enough for the flat program");
    let l_min = l.min_link_gbps.expect("a rate is enough for the loop");
    assert!(l_min * 10.0 < f_min, "loop {l_min} Gb/s, flat {f_min} Gb/s");
    let slow = FirmwareParams {
        link_gbps: f_min / 2.0,
        ..params.clone()
    };
    assert_eq!(sim(&looped, &slow).expect("looped").underruns, 0);
    assert!(sim(&flat, &slow).expect("flat").underruns > 0);
    // Replaying costs the decoder fewer cycles and less energy.
    assert!(l.decoder_cycles < f.decoder_cycles);
    let (el, ef) = (energy(&l), energy(&f));
    assert!(el.by_kind.replay_buffer_j > 0.0 && el.by_kind.replay_schedule_j > 0.0);
    assert!(
        el.total_energy_j < ef.total_energy_j,
        "{} J vs {} J",
        el.total_energy_j,
        ef.total_energy_j
    );
}

/// `h q0; measure q0 -> rec[0]` then `while (rec[0] == 1) { h q0; measure q0 -> rec[0]; }`.
fn while_program() -> Vec<u8> {
    let target = TargetDesc::default_for(TargetKind::CliffordT);
    let cb = codebook();
    let piece = || {
        scheduled(
            program(
                vec![
                    op(NativeOp::H, &[0]),
                    op(NativeOp::Measure { clbit: 0 }, &[0]),
                ],
                1,
                Vec::new(),
            ),
            &target,
        )
        .ops
    };
    let mut tree = ControlBuilder::new();
    tree.ops(2).expect("ops");
    tree.open(NodeKind::While { cond: 0 }).expect("open");
    tree.ops(2).expect("body");
    tree.close().expect("close");
    let cond = CondExpr::Binary(
        CondOp::Eq,
        Box::new(CondExpr::Bit(0)),
        Box::new(CondExpr::Bool(true)),
    );
    let text: Vec<TimedOp> = piece().into_iter().chain(piece()).collect();
    let s = Structured {
        text: program(text, 1, vec![cond]),
        control: tree.finish().expect("tree"),
    };
    assemble_structured(&s, &target, &cb, cb.hash())
        .expect("assembles")
        .bytes
}

#[test]
fn a_while_loop_is_answered_by_a_seeded_source_and_capped() {
    let bytes = while_program();
    let random = |seed| FirmwareParams {
        outcomes: Outcomes::Random { seed, p_true: 0.9 },
        ..FirmwareParams::default()
    };
    // The same seed, the same run.
    let a = sim(&bytes, &random(7)).expect("runs");
    let b = sim(&bytes, &random(7)).expect("runs");
    assert_eq!(a, b);
    assert_eq!(a.instructions_decoded % 2, 0);
    // Some seed gives another number of iterations.
    assert!((0..20).any(
        |s| sim(&bytes, &random(s)).expect("runs").instructions_decoded != a.instructions_decoded
    ));
    // Given answers: two iterations.
    let given = FirmwareParams {
        outcomes: Outcomes::Given(vec![true, true, false]),
        ..FirmwareParams::default()
    };
    let r = sim(&bytes, &given).expect("runs");
    assert_eq!(r.instructions_decoded, 2 + 2 * 2);
    assert_eq!((r.decoded_ops, r.replayed_ops), (4, 2));
    let short = FirmwareParams {
        outcomes: Outcomes::Given(vec![true]),
        ..FirmwareParams::default()
    };
    assert!(matches!(
        sim(&bytes, &short),
        Err(FirmwareError::OutOfOutcomes { given: 1 })
    ));
    // A loop that never ends stops at the cap, with an error that says so.
    let forever = FirmwareParams {
        outcomes: Outcomes::Random {
            seed: 1,
            p_true: 1.0,
        },
        max_while_iterations: 1_000,
        ..FirmwareParams::default()
    };
    let e = sim(&bytes, &forever).expect_err("capped");
    assert!(
        matches!(
            e,
            FirmwareError::WhileCap {
                cond: 0,
                bit_offset: 0,
                cap: 1_000
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("more than 1000 iterations"), "{e}");
    // A probability outside [0, 1] is refused.
    let bad = FirmwareParams {
        outcomes: Outcomes::Random {
            seed: 0,
            p_true: 1.5,
        },
        ..FirmwareParams::default()
    };
    assert!(matches!(
        sim(&bytes, &bad),
        Err(FirmwareError::Param { .. })
    ));
}

//! decode(assemble(x)) == compile(x) on the repository's examples and, when present, on every
//! file of ../shared/corpus that compiles.

use std::path::{Path, PathBuf};

mod common;

use eqisa_assembler::assemble;
use eqisa_isa::codebook::Codebook;
use eqisa_isa::model::Priors;
use eqisa_lower::clifford_t::{Budget, Synth};
use eqisa_lower::program::NativeProgram;
use eqisa_lower::target::{TargetDesc, TargetKind};
use eqisa_lower::{LowerOptions, lower};

fn codebook() -> (Codebook, [u8; 32]) {
    let cb = Codebook {
        description: "flat test codebook".into(),
        priors: Priors::default(),
        paper_dictionary: None,
        training: String::new(),
    };
    let h = cb.hash();
    (cb, h)
}

fn round_trip(
    program: &NativeProgram,
    target: &TargetDesc,
    cb: &Codebook,
    hash: [u8; 32],
) -> usize {
    let asm = assemble(program, target, cb, hash).expect("assembles");
    let back = common::decode_and_rebuild(&asm.bytes, cb, hash).expect("decodes");
    assert_eq!(back.ops.len(), program.ops.len());
    for (i, (a, b)) in back.ops.iter().zip(&program.ops).enumerate() {
        assert_eq!(a, b, "op {i}");
    }
    assert_eq!(&back, program);
    asm.bytes.len()
}

fn examples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../circuits/examples");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("examples")
        .map(|e| e.expect("entry").path())
        .collect();
    v.sort();
    v
}

#[test]
fn examples_round_trip_on_both_targets() {
    let (cb, hash) = codebook();
    for path in examples() {
        let circuit = eqisa_qasm::parse_file(&path).expect("parses");
        for kind in [TargetKind::Native, TargetKind::CliffordT] {
            let target = TargetDesc::default_for(kind);
            for budget in [Budget::Fidelity(0.99), Budget::Exact] {
                let opts = LowerOptions {
                    synth: Synth::Gridsynth,
                    budget,
                };
                let Ok(lowered) = lower(&circuit, &target, &opts) else {
                    continue;
                };
                let n = round_trip(&lowered.program, &target, &cb, hash);
                eprintln!(
                    "{} {kind:?} {budget:?}: {} ops -> {n} bytes",
                    path.display(),
                    lowered.program.ops.len()
                );
            }
        }
    }
}

/// Decoding whole blocks at a time gives exactly what instruction-by-instruction decoding gives,
/// across several blocks.
#[test]
fn drain_block_matches_next_event_over_many_blocks() {
    use eqisa_decoder::{Decoder, Event};
    let mut qasm = String::from("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[8];\n");
    let mut seed = 12345u64;
    for layer in 0..3000 {
        for q in 0..8 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let a = (seed >> 11) as f64 / (1u64 << 53) as f64 * 6.0;
            qasm.push_str(&format!("rz({a}) q[{q}];\nsx q[{q}];\n"));
        }
        let o = layer % 2;
        for q in (o..7).step_by(2) {
            qasm.push_str(&format!("cz q[{q}],q[{}];\n", q + 1));
        }
    }
    let circuit = eqisa_qasm::parse_str(&qasm, "layers.qasm").expect("parses");
    let target = TargetDesc::default_for(TargetKind::Native);
    let opts = LowerOptions {
        synth: Synth::Gridsynth,
        budget: Budget::Fidelity(0.99),
    };
    let lowered = lower(&circuit, &target, &opts).expect("lowers");
    let (cb, hash) = codebook();
    let asm = assemble(&lowered.program, &target, &cb, hash).expect("assembles");
    assert!(asm.blocks >= 3, "{} blocks", asm.blocks);
    let want = eqisa_decoder::decode_all(&asm.bytes, &cb.priors, hash).expect("decodes");
    let mut got = Vec::new();
    let mut dec = Decoder::new(&cb.priors, hash);
    let mut rest: &[u8] = &asm.bytes;
    loop {
        dec.drain_block(|t| {
            got.push((
                t.instr.opcode,
                t.instr.qubits.to_vec(),
                t.instr.arg,
                t.start_ns.to_bits(),
            ))
        })
        .expect("drains");
        match dec.next_event().expect("decodes") {
            Event::Instr(t) => got.push((
                t.instr.opcode,
                t.instr.qubits.to_vec(),
                t.instr.arg,
                t.start_ns.to_bits(),
            )),
            Event::NeedInput => {
                let n = dec.feed(rest);
                rest = &rest[n..];
            }
            Event::End => break,
        }
    }
    let want: Vec<_> = want
        .instrs
        .iter()
        .map(|d| (d.opcode, d.qubits.clone(), d.arg, d.start_ns.to_bits()))
        .collect();
    assert_eq!(got, want);
}

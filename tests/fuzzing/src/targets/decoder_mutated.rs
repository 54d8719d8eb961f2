//! Edits of a valid program (two examples, assembled at start-up) decoded by the streaming decoder
//! and by `decode_all`. The input is a script: byte 0 picks the program and whether the checksums
//! are recomputed after the edits, byte 1 seeds the chunk sizes, then 4 bytes per edit.
//!
//! Without recomputed checksums the edited program must be refused (unless the edits cancel out),
//! and the streaming decoder may only have released a prefix of the true instructions. With them,
//! the edits reach the parsers and the model behind the checksums: any outcome but a panic, a
//! hang or a disagreement between the two decoders is fine.

use std::sync::LazyLock;

use crate::chunks::Chunks;
use crate::edits::edit;
use crate::eqb::{FLAT, decode_both, fix_crcs};
use eqisa_assembler::assemble;
use eqisa_decoder::DecodedInstr;
use eqisa_lower::clifford_t::{Budget, Synth};
use eqisa_lower::target::{TargetDesc, TargetKind};
use eqisa_lower::{LowerOptions, lower};

/// The programs edited: teleport (native target: conditions, measurements) and QFT-4 (Clifford+T),
/// from `circuits/examples`, assembled at start-up with the flat codebook so they always match
/// the current format and model.
static SEEDS: LazyLock<Vec<(Vec<u8>, Vec<DecodedInstr>)>> = LazyLock::new(|| {
    let (cb, hash) = &*FLAT;
    [
        (
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../circuits/examples/teleport.qasm3"
            )),
            "teleport.qasm3",
            TargetKind::Native,
        ),
        (
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../circuits/examples/qft4.qasm"
            )),
            "qft4.qasm",
            TargetKind::CliffordT,
        ),
    ]
    .into_iter()
    .map(|(text, name, kind)| {
        let circuit = eqisa_qasm::parse_str(text, name).expect("example parses");
        let target = TargetDesc::default_for(kind);
        let opts = LowerOptions {
            synth: Synth::Gridsynth,
            budget: Budget::Fidelity(0.99),
        };
        let program = lower(&circuit, &target, &opts)
            .expect("example lowers")
            .program;
        let bytes = assemble(&program, &target, cb, *hash)
            .expect("example assembles")
            .bytes;
        let truth = eqisa_decoder::decode_all(&bytes, &cb.priors, *hash)
            .expect("example decodes")
            .instrs;
        (bytes, truth)
    })
    .collect()
});

/// Runs the target on `data`; panics when a property fails.
pub fn run(data: &[u8]) {
    let [ctl, chunk_seed, script @ ..] = data else {
        return;
    };
    let (cb, hash) = &*FLAT;
    let which = usize::from(ctl % 2);
    let fix = ctl & 2 != 0;
    let (orig, truth) = &SEEDS[which];
    let mut b = orig.clone();
    for e in script.chunks_exact(4) {
        edit(&mut b, e);
    }
    if fix {
        fix_crcs(&mut b);
    }
    let mut chunks = Chunks::new(u64::from(*chunk_seed) << 1 | u64::from(ctl >> 7));
    let (released, end) = decode_both(&b, &cb.priors, *hash, &mut chunks);
    if b == *orig {
        assert!(end.is_ok(), "the unmodified seed fails: {end:?}");
    } else if !fix {
        assert!(
            end.is_err(),
            "an edited program with stale checksums decodes"
        );
        assert!(
            released.len() <= truth.len() && crate::eqb::same(&released, &truth[..released.len()]),
            "{} instructions released before {end:?}, not a prefix of the program",
            released.len()
        );
    }
}

//! Edits of a valid program (two examples, assembled at start-up) decoded by the streaming decoder
//! and by `decode_all`. The input is a script: byte 0 picks the program and whether the checksums
//! are recomputed after the edits, byte 1 seeds the chunk sizes, then 4 bytes per edit.
//!
//! Without recomputed checksums the edited program must be refused (unless the edits cancel out),
//! and the streaming decoder may only have released a prefix of the true instructions. With them,
//! the edits reach the parsers and the model behind the checksums: any outcome but a panic, a
//! hang or a disagreement between the two decoders is fine.

#![no_main]

mod common;

use std::sync::LazyLock;

use common::{Chunks, FLAT, decode_both, fix_crcs};
use eqisa_assembler::assemble;
use eqisa_circuits::lower::clifford_t::{Budget, Synth};
use eqisa_circuits::lower::target::{TargetDesc, TargetKind};
use eqisa_circuits::lower::{LowerOptions, lower};
use eqisa_decoder::DecodedInstr;
use eqisa_isa::codebook::Codebook;
use libfuzzer_sys::fuzz_target;

/// The programs edited: teleport (native target: conditions, measurements) and QFT-4 (Clifford+T),
/// from `circuits/examples`, assembled at start-up with the flat codebook so they always match
/// the current format and model.
static SEEDS: LazyLock<Vec<(Vec<u8>, Vec<DecodedInstr>)>> = LazyLock::new(|| {
    let (priors, hash) = &*FLAT;
    let cb = Codebook {
        description: "flat test codebook".into(),
        priors: priors.clone(),
        paper_dictionary: None,
        training: String::new(),
    };
    [
        (
            include_str!("../../circuits/examples/teleport.qasm3"),
            "teleport.qasm3",
            TargetKind::Native,
        ),
        (
            include_str!("../../circuits/examples/qft4.qasm"),
            "qft4.qasm",
            TargetKind::CliffordT,
        ),
    ]
    .into_iter()
    .map(|(text, name, kind)| {
        let circuit = eqisa_circuits::parse_str(text, name).expect("example parses");
        let target = TargetDesc::default_for(kind);
        let opts = LowerOptions {
            synth: Synth::Gridsynth,
            budget: Budget::Fidelity(0.99),
        };
        let program = lower(&circuit, &target, &opts)
            .expect("example lowers")
            .program;
        let bytes = assemble(&program, &target, &cb, *hash)
            .expect("example assembles")
            .bytes;
        let truth = eqisa_decoder::decode_all(&bytes, priors, *hash)
            .expect("example decodes")
            .instrs;
        (bytes, truth)
    })
    .collect()
});

const INTERESTING: [u32; 8] = [0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x7fff_ffff, 0xffff_ffff];

fn edit(b: &mut Vec<u8>, e: &[u8]) {
    let n = b.len();
    let at = usize::from(u16::from_le_bytes([e[1], e[2]]));
    let v = e[3];
    match e[0] % 8 {
        0 if n > 0 => b[at % n] ^= v.max(1),
        1 if n > 0 => b[at % n] = v,
        2 => {
            let at = at % (n + 1);
            b.splice(at..at, std::iter::repeat_n(v, 1 + usize::from(e[0] >> 5)));
        }
        3 if n > 0 => {
            let at = at % n;
            let end = (at + 1 + usize::from(v % 16)).min(n);
            b.drain(at..end);
        }
        4 if n > 0 => b.truncate(at % n),
        5 if n > 0 => {
            // Copy a span over another place (a block header, a section...).
            let from = at % n;
            let to = usize::from(v) * n / 256;
            let len = (1 + usize::from(e[0] >> 3)).min(n - from).min(n - to);
            let span = b[from..from + len].to_vec();
            b[to..to + len].copy_from_slice(&span);
        }
        6 if n >= 4 => {
            let at = at % (n - 3);
            let x = INTERESTING[usize::from(v % 8)];
            b[at..at + 4].copy_from_slice(&x.to_le_bytes());
        }
        7 if n > 0 => {
            let at = at % n;
            b[at] = b[at].wrapping_add(if v & 1 == 0 { 1 } else { 0xff });
        }
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let [ctl, chunk_seed, script @ ..] = data else {
        return;
    };
    let (priors, hash) = &*FLAT;
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
    let (released, end) = decode_both(&b, priors, *hash, &mut chunks);
    if b == *orig {
        assert!(end.is_ok(), "the unmodified seed fails: {end:?}");
    } else if !fix {
        assert!(
            end.is_err(),
            "an edited program with stale checksums decodes"
        );
        assert!(
            released.len() <= truth.len() && common::same(&released, &truth[..released.len()]),
            "{} instructions released before {end:?}, not a prefix of the program",
            released.len()
        );
    }
});

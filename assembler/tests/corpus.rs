//! Lossless on the whole corpus: for every file of ../shared/corpus that compiles, on both
//! targets at fidelity 0.99 (gridsynth), decode(assemble(x)) equals compile(x): the same ops,
//! operands, quantised angles and timing. Uses the repository's default codebook. Skips when
//! ../shared/corpus is absent.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

mod common;

use eqisa_assembler::assemble;
use eqisa_isa::codebook::Codebook;
use eqisa_lower::clifford_t::{Budget, Synth};
use eqisa_lower::target::{TargetDesc, TargetKind};
use eqisa_lower::{LowerOptions, lower};
use eqisa_test_support::{corpus_dir, repo_dir};
use rayon::prelude::*;

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for e in entries {
        if e.is_dir() {
            files(&e, out);
        } else if e.extension().is_some_and(|x| x == "qasm" || x == "qasm3") {
            out.push(e);
        }
    }
}

#[test]
fn every_corpus_program_decodes_to_what_was_compiled() {
    let Some(corpus) = corpus_dir() else {
        return;
    };
    let bytes = std::fs::read(repo_dir().join("codebooks/default.eqcb")).expect("default codebook");
    let (cb, hash) = Codebook::parse(&bytes).expect("default codebook parses");
    let mut all = Vec::new();
    files(&corpus, &mut all);
    assert!(all.len() > 400, "{} files", all.len());
    let checked = AtomicU64::new(0);
    let ops = AtomicU64::new(0);
    let skipped = AtomicU64::new(0);
    all.par_iter().for_each(|path| {
        let Ok(circuit) = eqisa_qasm::parse_file(path) else {
            skipped.fetch_add(1, Ordering::Relaxed);
            return;
        };
        for kind in [TargetKind::Native, TargetKind::CliffordT] {
            let target = TargetDesc::default_for(kind);
            let opts = LowerOptions {
                synth: Synth::Gridsynth,
                budget: Budget::Fidelity(0.99),
            };
            let Ok(lowered) = lower(&circuit, &target, &opts) else {
                skipped.fetch_add(1, Ordering::Relaxed);
                continue;
            };
            let p = &lowered.program;
            let name = format!("{} ({kind:?})", path.display());
            let asm = assemble(p, &target, &cb, hash).unwrap_or_else(|e| panic!("{name}: {e}"));
            let back = common::decode_and_rebuild(&asm.bytes, &cb, hash)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            if let Some(i) = (0..p.ops.len()).find(|&i| back.ops.get(i) != p.ops.get(i)) {
                panic!(
                    "{name}: op {i} differs: {:?} vs {:?}",
                    back.ops.get(i),
                    p.ops.get(i)
                );
            }
            assert!(back == *p, "{name}: program differs outside the ops");
            checked.fetch_add(1, Ordering::Relaxed);
            ops.fetch_add(p.ops.len() as u64, Ordering::Relaxed);
        }
    });
    let checked = checked.into_inner();
    eprintln!(
        "{checked} programs ({} ops) decoded losslessly; {} file/target pairs did not compile",
        ops.into_inner(),
        skipped.into_inner()
    );
    assert!(checked > 700, "only {checked} programs checked");
}

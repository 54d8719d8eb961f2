//! The Stim examples of `circuits/programs` give the outcomes their comments promise.

use std::path::PathBuf;

use eqisa_statevector::circuit::OutcomeLimits;
use eqisa_statevector::program::program_outcomes;
use eqisa_stim::parse_stim_file;

fn certain(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../programs")
        .join(name);
    let p = parse_stim_file(path).unwrap_or_else(|e| panic!("{e}"));
    let o = program_outcomes(&p.program, &[], &OutcomeLimits::default()).expect("runs");
    assert_eq!(o.len(), 1, "{name}: {o:?}");
    assert!((o[0].probability - 1.0).abs() < 1e-9);
    o[0].bits
        .iter()
        .map(|&b| if b { '1' } else { '0' })
        .collect()
}

#[test]
fn repetition_code_corrects_by_feedback() {
    assert_eq!(certain("repetition_d3_feedback.stim"), "100000000");
}

#[test]
fn pauli_products_are_certain() {
    assert_eq!(certain("pauli_products.stim"), "00100");
}

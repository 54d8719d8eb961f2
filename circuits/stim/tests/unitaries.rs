//! Every unitary gate of the table, under every name, decomposes to Stim's own unitary (up to
//! global phase), and so do a few `SPP` products. The references come from Stim 1.16
//! (`scripts/stim-references.py` wrote `tests/fixtures/unitaries.json`).

use eqisa_ir::Circuit;
use eqisa_ir::circuit::{GateKind, Op};
use eqisa_ir::matrix::{C64, Matrix};
use eqisa_ir::program::flatten::{FlattenLimits, flatten};
use eqisa_stim::gates::{GATES, Kind};
use eqisa_stim::parse_stim;

fn unitary(c: &Circuit, n: usize) -> Matrix {
    let mut acc = Matrix::identity(n);
    for op in &c.ops {
        let Op::Gate { gate, args, params } = *op else {
            panic!("not a gate: {op:?}");
        };
        let GateKind::Standard(g) = c.gate(gate).kind else {
            panic!("not a standard gate");
        };
        let (qs, ps) = c.gate_operands(gate, args, params);
        let pos: Vec<usize> = qs.iter().map(|&q| q as usize).collect();
        let m = g.matrix(ps).expect("matrix").embed(&pos, n);
        acc = m.mul(&acc);
    }
    acc
}

#[test]
fn decompositions_match_stims_unitaries() {
    let text = include_str!("fixtures/unitaries.json");
    let json: serde_json::Value = serde_json::from_str(text).expect("fixture");
    let cases = json["cases"].as_array().expect("cases");
    let mut seen = Vec::new();
    for case in cases {
        let src = case["text"].as_str().expect("text");
        let n = case["qubits"].as_u64().expect("qubits") as usize;
        let rows = case["unitary"].as_array().expect("unitary");
        let data: Vec<C64> = rows
            .iter()
            .flat_map(|r| r.as_array().expect("row").iter())
            .map(|z| C64::new(z[0].as_f64().expect("re"), z[1].as_f64().expect("im")))
            .collect();
        let want = Matrix::from_vec(n, data);
        let p = parse_stim(src, "case.stim").unwrap_or_else(|e| panic!("{e}"));
        let flat = flatten(&p.program, &[], &FlattenLimits::default()).expect("flatten");
        let got = unitary(&flat, n);
        assert!(
            got.equal_up_to_phase(&want, 1e-6),
            "{src}: {got:?}\nwant {want:?}"
        );
        seen.push(src.split_whitespace().next().unwrap_or("").to_string());
    }
    for g in GATES {
        if let Kind::Unitary { .. } = g.kind {
            for name in std::iter::once(&g.name).chain(g.aliases) {
                assert!(seen.iter().any(|s| s == name), "{name} has no reference");
            }
        }
    }
}

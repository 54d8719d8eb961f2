//! The sweep planner on synthetic points: which columns and rules it finds, that `expand`
//! rebuilds every point bit for bit, and what it refuses.

use eqisa_assembler::AssembleError;
use eqisa_assembler::sweep::{expand, plan_sweep};
use eqisa_isa::angle::{RAW, snap};
use eqisa_isa::sweep::{Column, Rule};
use eqisa_lower::program::{NativeOp, NativeProgram, TimedOp};
use eqisa_lower::target::TargetKind;

/// One qubit: rz(f(x)) sx rz(g(x)) sx rz(π/2), angles snapped to `bits`.
fn point(bits: u8, a: f64, b: f64) -> NativeProgram {
    let op = |op: NativeOp, start: f64, duration: f64| TimedOp {
        op,
        qubits: [0u32].into_iter().collect(),
        cond: None,
        start_ns: start,
        duration_ns: duration,
    };
    NativeProgram {
        target: TargetKind::Native,
        num_qubits: 1,
        num_clbits: 0,
        qregs: Vec::new(),
        cregs: Vec::new(),
        ops: vec![
            op(NativeOp::Rz(snap(a, bits)), 0.0, 0.0),
            op(NativeOp::Sx, 0.0, 32.0),
            op(NativeOp::Rz(snap(b, bits)), 32.0, 0.0),
            op(NativeOp::Sx, 32.0, 32.0),
            op(
                NativeOp::Rz(snap(core::f64::consts::FRAC_PI_2, bits)),
                64.0,
                0.0,
            ),
        ],
        conditions: Vec::new(),
        duration_ns: 64.0,
        angle_bits: bits,
    }
}

#[test]
fn a_product_grid_is_two_progressions_and_rules() {
    // gamma outer (decimal text 0.1 .. 0.8), beta inner (start + i*step in binary).
    let mut points = Vec::new();
    let mut values = Vec::new();
    for g in 1..=8 {
        for b in 0..5 {
            let gamma: f64 = format!("0.{g}").parse().unwrap();
            let beta = -0.3 + f64::from(b) * 0.07;
            // A nonlinear angle of beta alone, and an affine one of both; grids vary by point.
            let bits = if (g + b) % 3 == 0 { 14 } else { 16 };
            points.push(point(
                bits,
                2.0 * gamma - beta / 2.0 + 0.4,
                (3.0 * beta).sin(),
            ));
            values.push(vec![gamma, beta]);
        }
    }
    let plan = plan_sweep(&points, &values).unwrap().expect("one shape");
    assert!(matches!(
        plan.table.columns[0],
        Column::Decimal {
            exponent: 1,
            start: 1,
            step: 1,
            ..
        }
    ));
    assert!(matches!(plan.table.columns[1], Column::Float { .. }));
    assert_eq!(
        plan.table.slots.len(),
        2,
        "the constant rz is the template's"
    );
    assert!(matches!(plan.table.slots[0].rule, Rule::Linear { .. }));
    assert!(
        matches!(plan.table.slots[1].rule, Rule::Stepped { column: 1, ref ks } if ks.len() == 5)
    );
    assert_eq!(expand(&plan.template, &plan.table).unwrap(), points);
}

#[test]
fn angles_of_no_structure_are_listed() {
    let values: Vec<Vec<f64>> = (0..30).map(|i| vec![f64::from(i)]).collect();
    let points: Vec<NativeProgram> = (0..30u32)
        .map(|i| point(12, f64::from(i * i % 17) * 0.37, 0.1))
        .collect();
    let plan = plan_sweep(&points, &values).unwrap().expect("one shape");
    assert!(matches!(plan.table.slots[0].rule, Rule::Listed(_)));
    assert_eq!(expand(&plan.template, &plan.table).unwrap(), points);
}

#[test]
fn raw_angles_and_other_shapes_are_not_planned() {
    let values = vec![vec![0.1], vec![0.2]];
    let raw = vec![point(RAW, 0.1, 0.2), point(RAW, 0.2, 0.2)];
    assert_eq!(plan_sweep(&raw, &values).unwrap(), None);
    let mut other = point(12, 0.2, 0.2);
    other.ops.pop();
    assert_eq!(
        plan_sweep(&[point(12, 0.1, 0.2), other], &values).unwrap(),
        None
    );
}

#[test]
fn malformed_calls_are_errors() {
    assert!(matches!(plan_sweep(&[], &[]), Err(AssembleError::Sweep(_))));
    let p = [point(12, 0.1, 0.2), point(12, 0.2, 0.2)];
    assert!(matches!(
        plan_sweep(&p, &[vec![0.1]]),
        Err(AssembleError::Sweep(_))
    ));
    assert!(matches!(
        plan_sweep(&p, &[vec![0.1], vec![0.2, 0.3]]),
        Err(AssembleError::Sweep(_))
    ));
    // A table whose slot is not an rz of the template.
    let mut plan = plan_sweep(&p, &[vec![0.1], vec![0.2]]).unwrap().unwrap();
    plan.table.slots[0].op = 1;
    assert!(matches!(
        expand(&plan.template, &plan.table),
        Err(AssembleError::Sweep(_))
    ));
}

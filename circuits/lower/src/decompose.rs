//! Exact decomposition of every standard gate, with any modifiers, into single-qubit unitaries,
//! CNOTs and a global phase — the common ground of every target.
//!
//! Every construction is exact, global phase included (the tests compare full unitaries), so
//! that a decomposition stays right when it is later controlled.

use smallvec::SmallVec;

use eqisa_ir::circuit::Modifier;
use eqisa_ir::gates::StandardGate;
use eqisa_ir::matrix::{C64, Matrix};
use eqisa_ir::unroll::Application;
use eqisa_synth::euler::{ry, rz, zyz};

/// Most control qubits decomposed: the recursive construction grows exponentially with them.
pub const MAX_CONTROLS: usize = 10;
/// Largest integer power expanded by repetition.
pub const MAX_REPEAT: u64 = 10_000;

/// One exact basic operation.
#[derive(Clone, Debug, PartialEq)]
pub enum Basic {
    /// A single-qubit unitary on a qubit.
    One { u: Matrix, q: u32 },
    /// CNOT from control `c` to target `t`.
    Cx { c: u32, t: u32 },
    /// A global phase `e^{iθ}`: nothing to play, but it matters once the sequence is controlled.
    Phase(f64),
}

/// Why a gate cannot be decomposed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum DecomposeError {
    #[error("'{0}': a non-integer power of a multi-qubit gate cannot be decomposed")]
    FractionalPower(String),
    #[error("'{gate}': power {power} is too large to expand (at most {MAX_REPEAT})")]
    PowerTooLarge { gate: String, power: f64 },
    #[error("'{gate}': {controls} controls are too many to decompose (at most {MAX_CONTROLS})")]
    TooManyControls { gate: String, controls: usize },
    #[error("'{gate}': {reason}")]
    Matrix { gate: String, reason: String },
}

/// A library gate as a single-qubit unitary. Parameter counts are checked by the parser; should
/// one be wrong anyway, a NaN phase marks the sequence and [`decompose`] reports it.
fn one(g: StandardGate, params: &[f64], q: u32) -> Basic {
    match g.matrix(params) {
        Ok(u) => Basic::One { u, q },
        Err(_) => Basic::Phase(f64::NAN),
    }
}

fn u1(g: StandardGate, q: u32) -> Basic {
    one(g, &[], q)
}

/// Controlled single-qubit unitary (Nielsen & Chuang's ABC construction): exact, with the phase
/// of `u` as a phase gate on the control.
fn cu(u: &Matrix, c: u32, t: u32, out: &mut Vec<Basic>) {
    let e = zyz(u);
    out.push(Basic::One {
        u: rz((e.lambda - e.phi) / 2.0),
        q: t,
    });
    out.push(Basic::Cx { c, t });
    out.push(Basic::One {
        u: ry(-e.theta / 2.0).mul(&rz(-(e.phi + e.lambda) / 2.0)),
        q: t,
    });
    out.push(Basic::Cx { c, t });
    out.push(Basic::One {
        u: rz(e.phi).mul(&ry(e.theta / 2.0)),
        q: t,
    });
    if e.alpha != 0.0 {
        out.push(Basic::One {
            u: phase_gate(e.alpha),
            q: c,
        });
    }
}

/// `diag(1, e^{iθ})`.
fn phase_gate(theta: f64) -> Matrix {
    Matrix::from_vec(
        1,
        vec![
            C64::new(1.0, 0.0),
            C64::new(0.0, 0.0),
            C64::new(0.0, 0.0),
            C64::from_polar(1.0, theta),
        ],
    )
}

/// Toffoli in six CNOTs (the qelib1 definition, exact).
fn ccx(a: u32, b: u32, c: u32, out: &mut Vec<Basic>) {
    use StandardGate::{H, T, Tdg};
    out.extend([
        u1(H, c),
        Basic::Cx { c: b, t: c },
        u1(Tdg, c),
        Basic::Cx { c: a, t: c },
        u1(T, c),
        Basic::Cx { c: b, t: c },
        u1(Tdg, c),
        Basic::Cx { c: a, t: c },
        u1(T, b),
        u1(T, c),
        u1(H, c),
        Basic::Cx { c: a, t: b },
        u1(T, a),
        u1(Tdg, b),
        Basic::Cx { c: a, t: b },
    ]);
}

/// Multi-controlled X.
fn mcx(ctrls: &[u32], t: u32, out: &mut Vec<Basic>) {
    match ctrls {
        [] => out.push(u1(StandardGate::X, t)),
        [c] => out.push(Basic::Cx { c: *c, t }),
        [a, b] => ccx(*a, *b, t, out),
        _ => {
            if let Ok(x) = StandardGate::X.matrix(&[]) {
                mcu(&x, ctrls, t, out);
            }
        }
    }
}

/// Multi-controlled single-qubit unitary (Barenco et al. 1995, lemma 7.5): with V² = U,
/// C^k(U) = C_{c_k}(V) · C^{k-1}X(→c_k) · C_{c_k}(V†) · C^{k-1}X(→c_k) · C^{k-1}(V).
fn mcu(u: &Matrix, ctrls: &[u32], t: u32, out: &mut Vec<Basic>) {
    match ctrls {
        [] => out.push(Basic::One { u: u.clone(), q: t }),
        [c] => cu(u, *c, t, out),
        _ => {
            let (rest, last) = ctrls.split_at(ctrls.len() - 1);
            let ck = last[0];
            // A 2×2 unitary always has a principal square root.
            let Ok(v) = u.power(0.5) else {
                out.push(Basic::Phase(f64::NAN));
                return;
            };
            cu(&v, ck, t, out);
            mcx(rest, ck, out);
            cu(&v.adjoint(), ck, t, out);
            mcx(rest, ck, out);
            mcu(&v, rest, t, out);
        }
    }
}

/// The sequence applied backwards: the inverse.
fn inverse(seq: Vec<Basic>) -> Vec<Basic> {
    seq.into_iter()
        .rev()
        .map(|b| match b {
            Basic::One { u, q } => Basic::One { u: u.adjoint(), q },
            Basic::Phase(p) => Basic::Phase(-p),
            cx => cx,
        })
        .collect()
}

/// The sequence with controls added (on |1>, or on |0> when `negated`).
fn control(seq: &[Basic], ctrls: &[u32], negated: bool) -> Vec<Basic> {
    let mut out = Vec::new();
    let flip = |out: &mut Vec<Basic>| {
        if negated {
            for &c in ctrls {
                out.push(u1(StandardGate::X, c));
            }
        }
    };
    flip(&mut out);
    for b in seq {
        match b {
            Basic::One { u, q } => mcu(u, ctrls, *q, &mut out),
            Basic::Cx { c, t } => {
                let mut all: SmallVec<[u32; 8]> = ctrls.iter().copied().collect();
                all.push(*c);
                mcx(&all, *t, &mut out);
            }
            Basic::Phase(p) => {
                let (rest, last) = ctrls.split_at(ctrls.len() - 1);
                mcu(&phase_gate(*p), rest, last[0], &mut out);
            }
        }
    }
    flip(&mut out);
    out
}

/// The decomposition of a library gate without modifiers.
fn plain(g: StandardGate, p: &[f64], q: &[u32]) -> Vec<Basic> {
    use StandardGate::*;
    let mut out = Vec::new();
    match g {
        Id | U0 => {}
        GPhase => out.push(Basic::Phase(p.first().copied().unwrap_or(0.0))),
        U | U1 | U2 | U3 | P | X | Y | Z | H | S | Sdg | T | Tdg | Sx | Sxdg | Rx | Ry | Rz => {
            out.push(one(g, p, q[0]))
        }
        Cx => out.push(Basic::Cx { c: q[0], t: q[1] }),
        Cz => out.extend([u1(H, q[1]), Basic::Cx { c: q[0], t: q[1] }, u1(H, q[1])]),
        Cy => out.extend([u1(Sdg, q[1]), Basic::Cx { c: q[0], t: q[1] }, u1(S, q[1])]),
        Cp | Cu1 => {
            let l = p[0];
            out.extend([
                one(P, &[l / 2.0], q[0]),
                Basic::Cx { c: q[0], t: q[1] },
                one(P, &[-l / 2.0], q[1]),
                Basic::Cx { c: q[0], t: q[1] },
                one(P, &[l / 2.0], q[1]),
            ]);
        }
        Crz => out.extend([
            one(Rz, &[p[0] / 2.0], q[1]),
            Basic::Cx { c: q[0], t: q[1] },
            one(Rz, &[-p[0] / 2.0], q[1]),
            Basic::Cx { c: q[0], t: q[1] },
        ]),
        Ch | Crx | Cry | Cu3 | Csx | Cu => {
            let target = match g {
                Ch => H.matrix(&[]),
                Crx => Rx.matrix(p),
                Cry => Ry.matrix(p),
                Cu3 => U3.matrix(p),
                Csx => Sx.matrix(&[]),
                _ => U.matrix(&p[..3]).map(|m| m.with_phase(p[3])),
            };
            match target {
                Ok(m) => cu(&m, q[0], q[1], &mut out),
                Err(_) => out.push(Basic::Phase(f64::NAN)),
            }
        }
        Swap => out.extend([
            Basic::Cx { c: q[0], t: q[1] },
            Basic::Cx { c: q[1], t: q[0] },
            Basic::Cx { c: q[0], t: q[1] },
        ]),
        Rzz => out.extend([
            Basic::Cx { c: q[0], t: q[1] },
            one(Rz, p, q[1]),
            Basic::Cx { c: q[0], t: q[1] },
        ]),
        Rxx => out.extend([
            u1(H, q[0]),
            u1(H, q[1]),
            Basic::Cx { c: q[0], t: q[1] },
            one(Rz, p, q[1]),
            Basic::Cx { c: q[0], t: q[1] },
            u1(H, q[0]),
            u1(H, q[1]),
        ]),
        Ccx => ccx(q[0], q[1], q[2], &mut out),
        Cswap => {
            out.push(Basic::Cx { c: q[2], t: q[1] });
            ccx(q[0], q[1], q[2], &mut out);
            out.push(Basic::Cx { c: q[2], t: q[1] });
        }
        Rccx => {
            let (a, b, c) = (q[0], q[1], q[2]);
            out.extend([
                u1(H, c),
                u1(T, c),
                Basic::Cx { c: b, t: c },
                u1(Tdg, c),
                Basic::Cx { c: a, t: c },
                u1(T, c),
                Basic::Cx { c: b, t: c },
                u1(Tdg, c),
                u1(H, c),
            ]);
        }
        Rc3x => {
            let (a, b, c, d) = (q[0], q[1], q[2], q[3]);
            out.extend([
                u1(H, d),
                u1(T, d),
                Basic::Cx { c, t: d },
                u1(Tdg, d),
                u1(H, d),
                Basic::Cx { c: a, t: d },
                u1(T, d),
                Basic::Cx { c: b, t: d },
                u1(Tdg, d),
                Basic::Cx { c: a, t: d },
                u1(T, d),
                Basic::Cx { c: b, t: d },
                u1(Tdg, d),
                u1(H, d),
                u1(T, d),
                Basic::Cx { c, t: d },
                u1(Tdg, d),
                u1(H, d),
            ]);
        }
        C3x => mcx(&q[..3], q[3], &mut out),
        C4x => mcx(&q[..4], q[4], &mut out),
        C3sqrtx => {
            if let Ok(sx) = Sx.matrix(&[]) {
                mcu(&sx, &q[..3], q[3], &mut out);
            }
        }
    }
    out
}

/// The product of a sequence acting on one qubit (phases included), for fractional powers.
fn single_qubit_product(seq: &[Basic]) -> Option<Matrix> {
    let mut m = Matrix::identity(1);
    for b in seq {
        match b {
            Basic::One { u, .. } => m = u.mul(&m),
            Basic::Phase(p) => m = m.with_phase(*p),
            Basic::Cx { .. } => return None,
        }
    }
    Some(m)
}

/// Decompose one (unrolled) gate application exactly into basic operations.
pub fn decompose(a: &Application<'_>) -> Result<Vec<Basic>, DecomposeError> {
    let name = || eqisa_ir::unroll::modified_name(a.gate, a.modifiers);
    let n_ctrl: usize = a
        .modifiers
        .iter()
        .map(|m| match m {
            Modifier::Ctrl { count, .. } => *count as usize,
            _ => 0,
        })
        .sum();
    if n_ctrl > MAX_CONTROLS {
        return Err(DecomposeError::TooManyControls {
            gate: name(),
            controls: n_ctrl,
        });
    }
    let mut seq = plain(a.gate, a.params, &a.qubits[n_ctrl..]);
    let mut ctrl_end = n_ctrl;
    // The last modifier binds tightest: apply from the inside out.
    for m in a.modifiers.iter().rev() {
        match *m {
            Modifier::Inv => seq = inverse(seq),
            Modifier::Pow(k) if k.fract() == 0.0 => {
                if k.abs() > MAX_REPEAT as f64 {
                    return Err(DecomposeError::PowerTooLarge {
                        gate: name(),
                        power: k,
                    });
                }
                let once = if k < 0.0 { inverse(seq) } else { seq };
                seq = Vec::with_capacity(once.len() * k.abs() as usize);
                for _ in 0..k.abs() as u64 {
                    seq.extend(once.iter().cloned());
                }
            }
            Modifier::Pow(k) => {
                let q = seq.iter().find_map(|b| match b {
                    Basic::One { q, .. } => Some(*q),
                    _ => None,
                });
                let Some(m) = single_qubit_product(&seq) else {
                    return Err(DecomposeError::FractionalPower(name()));
                };
                let Some(q) = q else {
                    // Only global phase: its power is a phase.
                    seq = vec![Basic::Phase(m.get(0, 0).arg() * k)];
                    continue;
                };
                let u = m.power(k).map_err(|e| DecomposeError::Matrix {
                    gate: name(),
                    reason: e.to_string(),
                })?;
                seq = vec![Basic::One { u, q }];
            }
            Modifier::Ctrl { count, negated } => {
                let start = ctrl_end - count as usize;
                seq = control(&seq, &a.qubits[start..ctrl_end], negated);
                ctrl_end = start;
            }
        }
    }
    if seq
        .iter()
        .any(|b| matches!(b, Basic::Phase(p) if p.is_nan()))
    {
        return Err(DecomposeError::Matrix {
            gate: name(),
            reason: "no exact matrix".into(),
        });
    }
    Ok(seq)
}

/// The unitary of a sequence on `n` qubits (qubit k = bit k), for verification.
pub fn sequence_unitary(seq: &[Basic], n: usize) -> Matrix {
    let mut m = Matrix::identity(n);
    for b in seq {
        let step = match b {
            Basic::One { u, q } => u.embed(&[*q as usize], n),
            Basic::Cx { c, t } => match StandardGate::Cx.matrix(&[]) {
                Ok(cx) => cx.embed(&[*c as usize, *t as usize], n),
                Err(_) => continue,
            },
            Basic::Phase(p) => Matrix::identity(n).with_phase(*p),
        };
        m = step.mul(&m);
    }
    m
}

//! A lowered structure unrolled to one native program: loops repeated, each iteration's
//! classical bits (measurements and the bits conditions read) shifted by its stride.

use eqisa_ir::circuit::CondExpr;

use super::pieces::{LoweredStructure, Piece};
use crate::program::{NativeOp, NativeProgram};

impl LoweredStructure {
    /// The whole program unrolled, when it holds at most `max_ops` operations (to compare
    /// states with the source): iteration k of a loop with a `clbit_stride` measures into and
    /// reads conditions from its body's bits shifted by `k * clbit_stride`, and each iteration
    /// starts when the one before ended. `None` when too large, or when a piece is a `while`
    /// loop, which has no unrolling: only the run decides its iterations.
    pub fn unrolled(&self, max_ops: u64) -> Option<NativeProgram> {
        if self.realtime_loops || has_while(&self.pieces) {
            return None;
        }
        if self.executed_ops() > u128::from(max_ops) {
            return None;
        }
        let mut out = self.registers()?.clone();
        out.ops.clear();
        out.conditions.clear();
        out.duration_ns = 0.0;
        emit(&self.pieces, 0, &mut out);
        out.angle_bits = self.angle_bits();
        Some(out)
    }
}

fn has_while(pieces: &[Piece]) -> bool {
    pieces.iter().any(|p| match p {
        Piece::Straight(_) => false,
        Piece::Repeat { body, .. } => has_while(body),
        Piece::While { .. } => true,
    })
}

/// Append `pieces` with their bits shifted by `shift`.
fn emit(pieces: &[Piece], shift: u64, out: &mut NativeProgram) {
    for piece in pieces {
        match piece {
            Piece::Straight(l) => {
                let p = &l.program;
                let offset = out.conditions.len() as u32;
                out.conditions
                    .extend(p.conditions.iter().map(|c| shifted(c, shift)));
                for op in &p.ops {
                    let mut op = op.clone();
                    op.cond = op.cond.map(|c| c + offset);
                    op.start_ns += out.duration_ns;
                    if let NativeOp::Measure { clbit } = &mut op.op {
                        *clbit = shift_bit(*clbit, shift);
                    }
                    out.ops.push(op);
                }
                out.duration_ns += p.duration_ns;
            }
            Piece::Repeat {
                count,
                clbit_stride,
                body,
                ..
            } => {
                for k in 0..*count {
                    let s = shift.saturating_add(k.saturating_mul(*clbit_stride));
                    emit(body, s, out);
                }
            }
            Piece::While { .. } => {}
        }
    }
}

/// A clbit moved by `shift` (the lowering kept only loops whose bits stay in their
/// registers, so this never saturates there).
fn shift_bit(b: u32, shift: u64) -> u32 {
    u32::try_from(u64::from(b).saturating_add(shift)).unwrap_or(u32::MAX)
}

/// A condition whose single bits are moved by `shift` (a whole register read does not move:
/// a loop reading one is kept only when its bits do not move).
pub fn shifted(c: &CondExpr, shift: u64) -> CondExpr {
    if shift == 0 {
        return c.clone();
    }
    match c {
        CondExpr::Bit(b) => CondExpr::Bit(shift_bit(*b, shift)),
        CondExpr::Not(e) => CondExpr::Not(Box::new(shifted(e, shift))),
        CondExpr::Binary(op, a, b) => CondExpr::Binary(
            *op,
            Box::new(shifted(a, shift)),
            Box::new(shifted(b, shift)),
        ),
        other => other.clone(),
    }
}

//! `pow(k) @ g` whose exponent is only known by running (an integer variable, as in iterative
//! phase estimation's `pow(power)` doubled each round): the gate repeated k times, `inv @ g`
//! repeated -k times when k is negative. The `ctrl`, `negctrl` and `inv` written to the left of
//! the power commute with it ((ctrl @ U)^k is ctrl @ U^k), so they stay on the repeated gate.

use eqisa_ir::program::expr::{BinaryOp, ClassicalExpr, UnaryOp};
use eqisa_ir::program::stmt::{Block, Iteration, Stmt, VarKind};
use eqisa_ir::program::types::Type;
use eqisa_ir::program::value::Value;
use eqisa_ir::program::visit::calls;

use super::elaborator::Elaborator;
use crate::builder::Source;
use crate::error::QasmError;
use crate::v3::ast::{self, ModifierAst, Name};

impl Elaborator {
    /// Write `mods @ name(params) operands` as a loop when one of its `pow` exponents is an
    /// integer known only at run time; `Ok(false)` when there is none (or one this cannot
    /// repeat, which the caller then reports).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn repeated_gate_call(
        &mut self,
        mods: &[ModifierAst<'_>],
        name: &Name<'_>,
        params: &[ast::Expr<'_>],
        operands: &[ast::Expr<'_>],
        at: &str,
        out: &mut Block,
        src: &mut Source<'_>,
    ) -> Result<bool, QasmError> {
        for (i, m) in mods.iter().enumerate() {
            let ModifierAst::Pow(e) = m else {
                continue;
            };
            // Only ctrl, negctrl and inv may stand to its left: they commute with the power.
            if mods[..i].iter().any(|m| matches!(m, ModifierAst::Pow(_))) {
                return Ok(false);
            }
            let (k, ty) = self.expr(e, src)?;
            if matches!(k, ClassicalExpr::Const(_)) || !ty.is_integral() || calls(&k) {
                continue;
            }
            let k = ClassicalExpr::Cast(Type::Int(None), Box::new(k));
            let rest: Vec<ModifierAst<'_>> = mods
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .map(|(_, m)| m.clone())
                .collect();
            let mut forward = Vec::new();
            self.gate_call(&rest, name, params, None, operands, at, &mut forward, src)?;
            let mut inverse_mods = vec![ModifierAst::Inv];
            inverse_mods.extend(rest.iter().cloned());
            let mut backward = Vec::new();
            self.gate_call(
                &inverse_mods,
                name,
                params,
                None,
                operands,
                at,
                &mut backward,
                src,
            )?;
            let loc = self.loc(at, src);
            let int = |v: i128| ClassicalExpr::Const(Value::Int(v));
            let count_loop = |var, stop: ClassicalExpr, body: Block| Stmt::For {
                var,
                iter: Iteration::Range {
                    start: int(1),
                    step: int(1),
                    stop,
                },
                body,
                loc,
            };
            let up = self.new_var("pow", Type::Int(None), VarKind::Loop, loc);
            let down = self.new_var("pow", Type::Int(None), VarKind::Loop, loc);
            out.push(Stmt::If {
                cond: ClassicalExpr::Binary(BinaryOp::Ge, Box::new(k.clone()), Box::new(int(0))),
                then_body: vec![count_loop(up, k.clone(), forward)],
                else_body: vec![count_loop(
                    down,
                    ClassicalExpr::Unary(UnaryOp::Neg, Box::new(k)),
                    backward,
                )],
                loc,
            });
            return Ok(true);
        }
        Ok(false)
    }
}

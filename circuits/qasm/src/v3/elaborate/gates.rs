//! Gates: definitions (`gate`, `opaque`) into the gate table with their bodies' parameter
//! expressions, modifiers (interned as modified entries, as the OpenQASM 2 builder does), the
//! built-in libraries, and gate applications with their signature checks.

use rustc_hash::FxHashMap;

use super::elaborator::{Elaborator, invalid, unsupported};
use smallvec::SmallVec;

use super::quantum::Known;
use super::scope::{FrameKind, Symbol};
use crate::builder::Source;
use crate::error::{ErrorKind, QasmError};
use crate::gate_table::{GateTable, modifier_label};
use crate::syntax::MAX_NESTING;
use crate::v3::ast::{self, BinaryOpAst, ExprKind, ModifierAst, Name, StmtKind, UnaryOpAst};
use eqisa_ir::circuit::{BodyOp, GateDef, GateEntry, GateId, GateKind, Modifier};
use eqisa_ir::expr::{BinOp, Expr, Func};
use eqisa_ir::program::expr::ClassicalExpr;
use eqisa_ir::program::stmt::{Block, Stmt};
use eqisa_ir::program::types::Type;
use eqisa_ir::program::value::Value;

/// Most control qubits modifiers may add to one gate.
const MAX_CONTROLS: u64 = 64;

/// A number a constant value stands for, if it is a real one.
pub fn real_value(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Uint(u) => Some(*u as f64),
        Value::Float(f) | Value::Angle(f) => Some(*f),
        Value::Bool(b) | Value::Bit(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    }
}

/// Whether `e` names any of `params` (bounded: past [`MAX_NESTING`] it is assumed to).
fn mentions(e: &ast::Expr<'_>, params: &FxHashMap<&str, u32>, depth: usize) -> bool {
    if depth > MAX_NESTING {
        return true;
    }
    let m = |x: &ast::Expr<'_>| mentions(x, params, depth + 1);
    match &e.kind {
        ExprKind::Name(n) => params.contains_key(n.text),
        ExprKind::Unary(_, a) | ExprKind::Cast(_, a) | ExprKind::Measure(a) => m(a),
        ExprKind::Binary(_, a, b) => m(a) || m(b),
        ExprKind::Index(a, _) => m(a),
        ExprKind::Call(_, args) | ExprKind::ArrayLiteral(args) => args.iter().any(m),
        _ => false,
    }
}

impl Elaborator {
    /// `include "stdgates.inc";` (or `qelib1.inc`): the library's gates. `false` when `path` is
    /// no built-in library.
    pub(super) fn include_library(
        &mut self,
        path: &str,
        at: &str,
        src: &mut Source<'_>,
    ) -> Result<bool, QasmError> {
        let Some(gates) = GateTable::library(path) else {
            return Ok(false);
        };
        let pos = src.pos(at).to_string();
        match self
            .gates
            .include_library(&mut self.prog.circuit, path, gates, &pos)
        {
            Ok(()) => Ok(true),
            Err(name) => Err(src.err(
                at,
                ErrorKind::GateRedefinition {
                    name: name.to_string(),
                    previous: self.gates.origin(name).unwrap_or_default().to_string(),
                },
            )),
        }
    }

    /// `gate name(params) qubits { body }`, or `opaque` without a body.
    pub(super) fn gate_def(
        &mut self,
        name: &Name<'_>,
        params: &[Name<'_>],
        qubits: &[Name<'_>],
        body: Option<&[ast::Stmt<'_>]>,
        at: &str,
        src: &mut Source<'_>,
    ) -> Result<(), QasmError> {
        if !self.scopes.at_global() {
            return Err(invalid(
                src,
                at,
                "gates may only be defined at global scope".into(),
            ));
        }
        if let Some(previous) = self.gates.origin(name.text) {
            return Err(src.err(
                name.text,
                ErrorKind::GateRedefinition {
                    name: name.text.to_string(),
                    previous: previous.to_string(),
                },
            ));
        }
        self.check_free(name.text, name.text, src)?;
        // Hash maps, not pairwise comparisons: lists may be hundreds of thousands long.
        let mut pnames: FxHashMap<&str, u32> = FxHashMap::default();
        let mut qnames: FxHashMap<&str, u32> = FxHashMap::default();
        for (k, p) in params.iter().enumerate() {
            if pnames.insert(p.text, k as u32).is_some() {
                return Err(src.err(
                    p.text,
                    ErrorKind::Redefinition {
                        name: p.text.into(),
                    },
                ));
            }
        }
        for (k, q) in qubits.iter().enumerate() {
            if pnames.contains_key(q.text) || qnames.insert(q.text, k as u32).is_some() {
                return Err(src.err(
                    q.text,
                    ErrorKind::Redefinition {
                        name: q.text.into(),
                    },
                ));
            }
        }
        let kind = match body {
            None => GateKind::Opaque,
            Some(body) => {
                let mut ops = Vec::with_capacity(body.len());
                // A gate scope: global names reached from it are the global scope's, seen as
                // from a body (no qubits).
                self.scopes.push(FrameKind::Gate);
                let mut r = Ok(());
                for s in body {
                    r = self.body_op(s, &pnames, &qnames, &mut ops, src);
                    if r.is_err() {
                        break;
                    }
                }
                self.scopes.pop();
                r?;
                GateKind::Defined(GateDef {
                    param_names: params.iter().map(|p| p.text.to_string()).collect(),
                    qubit_names: qubits.iter().map(|p| p.text.to_string()).collect(),
                    body: ops,
                })
            }
        };
        let here = format!("at {}", src.pos(name.text));
        self.gates.define(
            &mut self.prog.circuit,
            GateEntry {
                name: name.text.to_string(),
                num_qubits: qubits.len() as u32,
                num_params: params.len() as u32,
                kind,
                first_use: 0,
            },
            here,
        );
        Ok(())
    }

    /// One statement of a gate body: gate applications only (annotations and empty
    /// statements are skipped).
    fn body_op(
        &mut self,
        s: &ast::Stmt<'_>,
        pnames: &FxHashMap<&str, u32>,
        qnames: &FxHashMap<&str, u32>,
        out: &mut Vec<BodyOp>,
        src: &mut Source<'_>,
    ) -> Result<(), QasmError> {
        let StmtKind::GateCall {
            modifiers,
            name,
            params,
            duration,
            operands,
        } = &s.kind
        else {
            return match s.kind {
                StmtKind::Empty | StmtKind::Pragma(_) => Ok(()),
                _ => Err(unsupported(
                    src,
                    s.at,
                    "in a gate body, only gate applications (with modifiers) are supported".into(),
                )),
            };
        };
        if let Some(d) = duration {
            return Err(unsupported(
                src,
                d.at,
                "a duration on a gate application (gate[d])".into(),
            ));
        }
        let gate = self.resolve_gate(modifiers, name, Some(pnames), src)?;
        self.check_signature(gate, name, params.len(), operands.len(), src)?;
        let mut exprs = Vec::with_capacity(params.len());
        for p in params {
            exprs.push(self.gate_expr(p, pnames, 0, src)?);
        }
        let mut args = Vec::with_capacity(operands.len());
        let mut seen = rustc_hash::FxHashSet::default();
        for o in operands {
            let ExprKind::Name(n) = &o.kind else {
                return Err(invalid(
                    src,
                    o.at,
                    "in a gate body, operands are the gate's own qubit arguments, unindexed".into(),
                ));
            };
            let Some(&k) = qnames.get(n.text) else {
                let msg = if self.scopes.global(n.text).is_some() {
                    format!(
                        "'{}' is not a qubit argument of this gate (gates see no global qubits)",
                        n.text
                    )
                } else {
                    format!("'{}' is not a qubit argument of this gate", n.text)
                };
                return Err(invalid(src, o.at, msg));
            };
            // A set, not a scan: an application may have hundreds of thousands of operands.
            if !seen.insert(k) {
                return Err(src.err(
                    s.at,
                    ErrorKind::DuplicateQubit {
                        qubit: n.text.to_string(),
                    },
                ));
            }
            args.push(k);
        }
        out.push(BodyOp {
            gate,
            params: exprs,
            args,
        });
        Ok(())
    }

    /// A parameter expression of a gate body, over the gate's parameters; parts that do not
    /// mention them are evaluated as constant classical expressions.
    fn gate_expr(
        &mut self,
        e: &ast::Expr<'_>,
        params: &FxHashMap<&str, u32>,
        depth: usize,
        src: &mut Source<'_>,
    ) -> Result<Expr, QasmError> {
        if depth > MAX_NESTING {
            return Err(src.err(e.at, ErrorKind::NestingDepth(MAX_NESTING)));
        }
        if !mentions(e, params, 0) {
            let v = self.const_value(e, "a gate body's parameter", src)?;
            return match real_value(&v) {
                Some(x) if x.is_finite() => Ok(Expr::Num(x)),
                Some(x) => Err(src.err(e.at, ErrorKind::NonFinite(x))),
                None => Err(invalid(
                    src,
                    e.at,
                    "a gate parameter must be a real number or an angle".into(),
                )),
            };
        }
        let sub = |this: &mut Self, x: &ast::Expr<'_>, src: &mut Source<'_>| {
            this.gate_expr(x, params, depth + 1, src)
        };
        Ok(match &e.kind {
            // Only a parameter mentions one: other names took the constant path above.
            ExprKind::Name(n) => match params.get(n.text) {
                Some(&k) => Expr::Param(k),
                None => return Err(src.err(e.at, ErrorKind::UndefinedParameter(n.text.into()))),
            },
            ExprKind::Unary(UnaryOpAst::Neg, a) => Expr::negated(sub(self, a, src)?),
            ExprKind::Binary(op, a, b) => {
                let (x, y) = (sub(self, a, src)?, sub(self, b, src)?);
                match op {
                    BinaryOpAst::Add => x.then(BinOp::Add, y),
                    BinaryOpAst::Sub => x.then(BinOp::Sub, y),
                    BinaryOpAst::Mul => x.then(BinOp::Mul, y),
                    BinaryOpAst::Div => x.then(BinOp::Div, y),
                    BinaryOpAst::Pow => Expr::bin(BinOp::Pow, x, y),
                    _ => return Err(gate_expr_unsupported(src, e.at)),
                }
            }
            ExprKind::Call(f, args) if args.len() == 1 => {
                let func = match f.text {
                    "log" => Some(Func::Ln),
                    name => Func::from_name(name),
                };
                match (func, args.first()) {
                    (Some(func), Some(a)) => Expr::call(func, sub(self, a, src)?),
                    _ => return Err(gate_expr_unsupported(src, e.at)),
                }
            }
            // A cast to a real type keeps the value a real one.
            ExprKind::Cast(ast::TypeAst::Float(_) | ast::TypeAst::Angle(_), a) => {
                sub(self, a, src)?
            }
            _ => return Err(gate_expr_unsupported(src, e.at)),
        })
    }

    /// The gate an application names, with its modifiers applied (interned in the gate
    /// table). Inside a gate body (`gate_params`), a `pow` exponent may not depend on the
    /// gate's parameters.
    fn resolve_gate(
        &mut self,
        mods: &[ModifierAst<'_>],
        name: &Name<'_>,
        gate_params: Option<&FxHashMap<&str, u32>>,
        src: &mut Source<'_>,
    ) -> Result<GateId, QasmError> {
        let Some(base) = self.gates.get(name.text) else {
            return Err(match self.scopes.lookup(name.text) {
                Some((Symbol::Sub(_) | Symbol::Extern(_), _)) => invalid(
                    src,
                    name.text,
                    format!(
                        "'{}' is a subroutine, not a gate: call it as {}(…)",
                        name.text, name.text
                    ),
                ),
                _ => src.err(name.text, ErrorKind::UndefinedGate(name.text.to_string())),
            });
        };
        if mods.is_empty() {
            return Ok(base);
        }
        let mut modifiers = Vec::with_capacity(mods.len());
        let mut extra: u64 = 0;
        for m in mods {
            match m {
                ModifierAst::Inv => modifiers.push(Modifier::Inv),
                ModifierAst::Pow(e) => {
                    if gate_params.is_some_and(|p| mentions(e, p, 0)) {
                        return Err(unsupported(
                            src,
                            e.at,
                            "a pow exponent that depends on gate parameters".into(),
                        ));
                    }
                    let v = self.const_value(e, "a pow modifier's exponent", src)?;
                    let k = match real_value(&v) {
                        Some(k) => k,
                        None => {
                            return Err(invalid(
                                src,
                                e.at,
                                "a pow modifier's exponent must be a real number".into(),
                            ));
                        }
                    };
                    if !k.is_finite() {
                        return Err(src.err(e.at, ErrorKind::NonFinite(k)));
                    }
                    // The exponent is kept as a double: an integer it cannot hold would
                    // silently become a neighbour of another parity (another gate).
                    let exact = match v {
                        Value::Int(i) => k as i128 == i,
                        Value::Uint(u) => k as u128 == u,
                        _ => true,
                    };
                    if !exact {
                        return Err(invalid(
                            src,
                            e.at,
                            format!(
                                "the integer {} is beyond 2^53, where a double cannot hold every \
                                 integer: it would be read as {k:.0} (an exponent of pow would \
                                 silently change the gate)",
                                match v {
                                    Value::Int(i) => i.to_string(),
                                    Value::Uint(u) => u.to_string(),
                                    _ => String::new(),
                                }
                            ),
                        ));
                    }
                    modifiers.push(Modifier::Pow(k));
                }
                ModifierAst::Ctrl(n) | ModifierAst::Negctrl(n) => {
                    let count = match n {
                        None => 1,
                        Some(e) => {
                            self.const_size(e, "the number of control qubits", MAX_CONTROLS, src)?
                        }
                    };
                    extra += u64::from(count);
                    if extra > MAX_CONTROLS {
                        return Err(src.err(
                            name.text,
                            ErrorKind::TooLarge {
                                what: "the number of control qubits".into(),
                                limit: MAX_CONTROLS,
                            },
                        ));
                    }
                    modifiers.push(Modifier::Ctrl {
                        count,
                        negated: matches!(m, ModifierAst::Negctrl(_)),
                    });
                }
            }
        }
        let mut label = String::new();
        for m in &modifiers {
            modifier_label(m, &mut label);
        }
        label.push_str(name.text);
        self.gates
            .modified(&mut self.prog.circuit, base, modifiers, label, extra as u32)
            .ok_or_else(|| src.err(name.text, ErrorKind::UndefinedGate(name.text.to_string())))
    }

    fn check_signature(
        &self,
        id: GateId,
        name: &Name<'_>,
        n_params: usize,
        n_args: usize,
        src: &mut Source<'_>,
    ) -> Result<(), QasmError> {
        let Some(g) = self.prog.circuit.gates.get(id.0 as usize) else {
            return Err(src.err(name.text, ErrorKind::UndefinedGate(name.text.to_string())));
        };
        crate::gate_table::check_signature(g, n_params, n_args).map_err(|k| src.err(name.text, k))
    }

    /// A gate application in a program or subroutine body.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn gate_call(
        &mut self,
        mods: &[ModifierAst<'_>],
        name: &Name<'_>,
        params: &[ast::Expr<'_>],
        duration: Option<&ast::Expr<'_>>,
        operands: &[ast::Expr<'_>],
        at: &str,
        out: &mut Block,
        src: &mut Source<'_>,
    ) -> Result<(), QasmError> {
        if let Some(d) = duration {
            return Err(unsupported(
                src,
                d.at,
                "a duration on a gate application (gate[d])".into(),
            ));
        }
        if mods.iter().any(|m| matches!(m, ModifierAst::Pow(_)))
            && self.repeated_gate_call(mods, name, params, operands, at, out, src)?
        {
            return Ok(());
        }
        let gate = self.resolve_gate(mods, name, None, src)?;
        self.check_signature(gate, name, params.len(), operands.len(), src)?;
        let mut ps = Vec::with_capacity(params.len());
        for p in params {
            ps.push(self.angle_param(p, src)?);
        }
        let loc = self.loc(at, src);
        // The operands go straight into the statement's vector; what is known of them, for
        // the checks, beside it without a heap allocation for up to four operands.
        let mut qs = Vec::with_capacity(operands.len());
        let mut known: SmallVec<[Known; 4]> = SmallVec::new();
        for o in operands {
            let q = self.operand(o, src)?;
            qs.push(q.op);
            known.push(q.known);
        }
        self.check_operands(&known, at, src)?;
        self.grow(1 + qs.len() as u64 + ps.len() as u64, at, src)?;
        if let Some(g) = self.prog.circuit.gates.get_mut(gate.0 as usize)
            && g.first_use == 0
        {
            g.first_use = loc.line;
        }
        out.push(Stmt::Gate {
            gate,
            params: ps,
            qubits: qs,
            loc,
        });
        Ok(())
    }

    /// A gate parameter: an angle stays one, any other real number becomes a `float`.
    fn angle_param(
        &mut self,
        p: &ast::Expr<'_>,
        src: &mut Source<'_>,
    ) -> Result<ClassicalExpr, QasmError> {
        let (x, t) = self.expr(p, src)?;
        let x = match t {
            Type::Angle(_) | Type::Float(None) => x,
            t => self.coerce(
                x,
                &t,
                &Type::Float(None),
                "used as a gate parameter",
                p.at,
                src,
            )?,
        };
        if let ClassicalExpr::Const(v) = &x
            && let Some(f) = real_value(v)
            && !f.is_finite()
        {
            return Err(src.err(p.at, ErrorKind::NonFinite(f)));
        }
        Ok(x)
    }
}

fn gate_expr_unsupported(src: &mut Source<'_>, at: &str) -> QasmError {
    unsupported(
        src,
        at,
        "in a gate body, parameter expressions over the gate's parameters use + - * / ** and sin, cos, tan, arcsin, arccos, arctan, exp, log, sqrt".into(),
    )
}

//! Subroutines (`def`) and `extern` functions: their signatures, bodies (in a scope that sees
//! the global classical names read-only and no global qubits), and calls with their arguments
//! checked and converted.

use super::elaborator::{Elaborator, invalid, unsupported};
use super::scope::{FrameKind, Symbol};
use crate::builder::Source;
use crate::error::{ErrorKind, QasmError};
use crate::v3::ast::{self, Name, ParamAst, TypeAst};
use eqisa_ir::program::expr::{CallArg, ClassicalExpr};
use eqisa_ir::program::ids::SubId;
use eqisa_ir::program::stmt::{Extern, SubParam, Subroutine, VarKind};
use eqisa_ir::program::types::Type;

/// What a call needs to know of one parameter.
enum Sig {
    Classical(Type),
    Qubits(Option<u32>),
}

impl Elaborator {
    /// `def name(params) -> ret { body }`.
    pub(super) fn def(
        &mut self,
        name: &Name<'_>,
        params: &[ParamAst<'_>],
        ret: Option<&TypeAst<'_>>,
        body: &[ast::Stmt<'_>],
        at: &str,
        src: &mut Source<'_>,
    ) -> Result<(), QasmError> {
        if !self.scopes.at_global() {
            return Err(invalid(
                src,
                at,
                "subroutines may only be defined at global scope".into(),
            ));
        }
        self.check_free(name.text, name.text, src)?;
        let loc = self.loc(name.text, src);
        let ret = ret.map(|t| self.ty(t, at, src)).transpose()?;
        if matches!(ret, Some(Type::Array { .. } | Type::Stretch)) {
            return Err(invalid(
                src,
                at,
                "a subroutine returns a single classical value, not an array or stretch".into(),
            ));
        }
        self.scopes.push(FrameKind::Subroutine);
        let r = self.def_inner(name, params, ret, body, loc, src);
        self.scopes.pop();
        r
    }

    fn def_inner(
        &mut self,
        name: &Name<'_>,
        params: &[ParamAst<'_>],
        ret: Option<Type>,
        body: &[ast::Stmt<'_>],
        loc: eqisa_ir::program::ids::Loc,
        src: &mut Source<'_>,
    ) -> Result<(), QasmError> {
        let mut sub_params = Vec::with_capacity(params.len());
        let mut k_qubit = 0u32;
        for p in params {
            match p {
                ParamAst::Classical { ty, name: pname } => {
                    let Some(pname) = pname else {
                        return Err(invalid(
                            src,
                            name.text,
                            "a subroutine's parameters are named".into(),
                        ));
                    };
                    let t = self.ty(ty, pname.text, src)?;
                    self.check_free(pname.text, pname.text, src)?;
                    let ploc = self.loc(pname.text, src);
                    let v = self.new_var(pname.text, t, VarKind::Param, ploc);
                    if let TypeAst::ArrayRef { mutable: false, .. } = ty {
                        self.readonly.insert(v);
                    }
                    self.scopes.declare(pname.text, Symbol::Var(v));
                    sub_params.push(SubParam::Classical(v));
                }
                ParamAst::Qubit { size, name: pname } => {
                    let Some(pname) = pname else {
                        return Err(invalid(
                            src,
                            name.text,
                            "a subroutine's parameters are named".into(),
                        ));
                    };
                    let size = size
                        .as_ref()
                        .map(|e| {
                            self.const_size(
                                e,
                                "a qubit parameter's size",
                                crate::builder::MAX_BITS,
                                src,
                            )
                        })
                        .transpose()?;
                    self.check_free(pname.text, pname.text, src)?;
                    self.scopes
                        .declare(pname.text, Symbol::QubitParam { k: k_qubit, size });
                    k_qubit += 1;
                    sub_params.push(SubParam::Qubits {
                        name: pname.text.to_string(),
                        size,
                    });
                }
            }
        }
        // Declared before its body, so that it may call itself.
        let id = SubId(self.prog.subroutines.len() as u32);
        self.prog.subroutines.push(Subroutine {
            name: name.text.to_string(),
            params: sub_params,
            ret,
            body: Vec::new(),
            loc,
        });
        self.scopes.declare_global(name.text, Symbol::Sub(id));
        let (outer_loops, outer_sub) = (self.loop_depth, self.sub);
        self.loop_depth = 0;
        self.sub = Some(id);
        let mut block = Vec::new();
        let mut r = Ok(());
        for s in body {
            r = self.stmt(s, &mut block, src);
            if r.is_err() {
                break;
            }
        }
        self.loop_depth = outer_loops;
        self.sub = outer_sub;
        r?;
        if let Some(sub) = self.prog.subroutines.get_mut(id.0 as usize) {
            sub.body = block;
        }
        Ok(())
    }

    /// `extern name(types) -> ret;`
    pub(super) fn extern_decl(
        &mut self,
        name: &Name<'_>,
        params: &[ParamAst<'_>],
        ret: Option<&TypeAst<'_>>,
        at: &str,
        src: &mut Source<'_>,
    ) -> Result<(), QasmError> {
        if !self.scopes.at_global() {
            return Err(invalid(
                src,
                at,
                "extern functions may only be declared at global scope".into(),
            ));
        }
        self.check_free(name.text, name.text, src)?;
        let mut types = Vec::with_capacity(params.len());
        for p in params {
            match p {
                ParamAst::Classical { ty, .. } => types.push(self.ty(ty, at, src)?),
                ParamAst::Qubit { .. } => {
                    return Err(invalid(
                        src,
                        at,
                        "extern functions take classical arguments only".into(),
                    ));
                }
            }
        }
        let ret = ret.map(|t| self.ty(t, at, src)).transpose()?;
        let loc = self.loc(name.text, src);
        let k = self.prog.externs.len() as u32;
        self.prog.externs.push(Extern {
            name: name.text.to_string(),
            params: types,
            ret,
            loc,
        });
        self.scopes.declare_global(name.text, Symbol::Extern(k));
        Ok(())
    }

    /// A call of the subroutine `id`: its value and type (`None`: it returns nothing).
    pub(super) fn call_sub(
        &mut self,
        id: SubId,
        args: &[ast::Expr<'_>],
        at: &str,
        src: &mut Source<'_>,
    ) -> Result<(ClassicalExpr, Option<Type>), QasmError> {
        let Some(sub) = self.prog.subroutines.get(id.0 as usize) else {
            return Err(invalid(src, at, "unknown subroutine".into()));
        };
        let sigs: Vec<Sig> = sub
            .params
            .iter()
            .map(|p| match p {
                SubParam::Classical(v) => Sig::Classical(
                    self.prog
                        .vars
                        .get(v.0 as usize)
                        .map_or(Type::Bool, |var| var.ty.clone()),
                ),
                SubParam::Qubits { size, .. } => Sig::Qubits(*size),
            })
            .collect();
        let ret = sub.ret.clone();
        let name = sub.name.clone();
        if sigs.len() != args.len() {
            return Err(invalid(
                src,
                at,
                format!(
                    "'{name}' takes {} argument(s) but {} were given",
                    sigs.len(),
                    args.len()
                ),
            ));
        }
        let mut out = Vec::with_capacity(args.len());
        // The global ranges passed so far, by start: ranges may be long and arguments many, so
        // overlaps are found by ordered lookup rather than qubit by qubit.
        let mut used: std::collections::BTreeMap<u32, u32> = Default::default();
        for (k, (a, sig)) in args.iter().zip(&sigs).enumerate() {
            match sig {
                Sig::Classical(t) => {
                    let (x, tx) = self.expr(a, src)?;
                    let what = format!("passed as argument {} of '{name}'", k + 1);
                    out.push(CallArg::Classical(
                        self.coerce(x, &tx, t, &what, a.at, src)?,
                    ));
                }
                Sig::Qubits(size) => {
                    let o = self.operand(a, src)?;
                    let want = size.unwrap_or(1);
                    if let Some(n) = o.known.len()
                        && n != want
                    {
                        return Err(invalid(
                            src,
                            a.at,
                            format!("argument {} of '{name}' is {want} qubit(s), not {n}", k + 1),
                        ));
                    }
                    if let super::quantum::Known::Range { start, len } = o.known {
                        let end = start.saturating_add(len);
                        // The range starting last before `end` is the only one that can
                        // overlap, the ranges so far being disjoint.
                        if let Some((&s0, &e0)) = used.range(..end).next_back()
                            && e0 > start
                        {
                            return Err(src.err(
                                a.at,
                                ErrorKind::DuplicateQubit {
                                    qubit: self.qubit_label(start.max(s0)),
                                },
                            ));
                        }
                        used.insert(start, end);
                    }
                    out.push(CallArg::Qubits(o.op));
                }
            }
        }
        let loc = self.loc(at, src);
        Ok((ClassicalExpr::Call(id, out, loc), ret))
    }

    /// A call of the extern function `k`.
    pub(super) fn call_extern(
        &mut self,
        k: u32,
        args: &[ast::Expr<'_>],
        at: &str,
        src: &mut Source<'_>,
    ) -> Result<(ClassicalExpr, Option<Type>), QasmError> {
        let Some(ext) = self.prog.externs.get(k as usize) else {
            return Err(unsupported(src, at, "unknown extern".into()));
        };
        let (params, ret, name) = (ext.params.clone(), ext.ret.clone(), ext.name.clone());
        if params.len() != args.len() {
            return Err(invalid(
                src,
                at,
                format!(
                    "'{name}' takes {} argument(s) but {} were given",
                    params.len(),
                    args.len()
                ),
            ));
        }
        let mut out = Vec::with_capacity(args.len());
        for (i, (a, t)) in args.iter().zip(&params).enumerate() {
            let (x, tx) = self.expr(a, src)?;
            let what = format!("passed as argument {} of '{name}'", i + 1);
            out.push(self.coerce(x, &tx, t, &what, a.at, src)?);
        }
        let loc = self.loc(at, src);
        Ok((ClassicalExpr::Extern(k, out, loc), ret))
    }
}

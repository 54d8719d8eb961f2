//! Symbol tables as the specification's scoping rules have them: one global scope; block
//! scopes (blocks, loop bodies with their loop variable) that may shadow outer names; and the
//! scopes of subroutine and gate bodies, which see global classical names (read-only, as if
//! `const`), gates and subroutines, but no global qubits.

use rustc_hash::FxHashMap;

use eqisa_ir::program::ids::{SubId, VarId};

/// What a name stands for.
#[derive(Clone, Debug, PartialEq)]
pub enum Symbol {
    /// A classical variable (constants included: their value is kept beside the variable).
    Var(VarId),
    /// A qubit register or single qubit declared at global scope: `len` consecutive global
    /// qubits from `start`; `scalar` for `qubit q;`.
    Qubits { start: u32, len: u32, scalar: bool },
    /// A `let` alias: the global qubits it names, in order.
    Alias(Box<[u32]>),
    /// The `k`-th qubit parameter of the subroutine being elaborated; `size` is `None` for
    /// `qubit q`.
    QubitParam { k: u32, size: Option<u32> },
    /// A `def` subroutine.
    Sub(SubId),
    /// An `extern` function (index into the program's externs).
    Extern(u32),
}

/// What kind of scope a frame is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameKind {
    /// A block (`{ }`, a branch, a case, a box) or a loop body.
    Block,
    /// The body of a subroutine with its parameters: names outside it are the global scope's,
    /// read-only and without qubits.
    Subroutine,
    /// The body of a gate definition.
    Gate,
}

/// How a name was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// In the current scope or an enclosing block.
    Local,
    /// In the global scope, from inside a subroutine or gate body.
    GlobalFromBody,
}

/// The stack of scopes.
#[derive(Default)]
pub struct Scopes {
    global: FxHashMap<String, Symbol>,
    frames: Vec<(FrameKind, FxHashMap<String, Symbol>)>,
}

impl Scopes {
    /// Whether the current scope is the global one.
    pub fn at_global(&self) -> bool {
        self.frames.is_empty()
    }

    /// Open a scope.
    pub fn push(&mut self, kind: FrameKind) {
        self.frames.push((kind, FxHashMap::default()));
    }

    /// Close the innermost scope.
    pub fn pop(&mut self) {
        self.frames.pop();
    }

    /// The innermost subroutine or gate body being elaborated, if any.
    pub fn body_kind(&self) -> Option<FrameKind> {
        self.frames
            .iter()
            .rev()
            .map(|f| f.0)
            .find(|k| *k != FrameKind::Block)
    }

    /// The symbol `name` declared in the current scope itself (a redeclaration there is an
    /// error; in an inner scope it shadows).
    pub fn in_current(&self, name: &str) -> Option<&Symbol> {
        match self.frames.last() {
            Some((_, m)) => m.get(name),
            None => self.global.get(name),
        }
    }

    /// The symbol `name` at global scope.
    pub fn global(&self, name: &str) -> Option<&Symbol> {
        self.global.get(name)
    }

    /// Declare `name` in the current scope (the caller checked it is free there).
    pub fn declare(&mut self, name: &str, sym: Symbol) {
        match self.frames.last_mut() {
            Some((_, m)) => m.insert(name.to_string(), sym),
            None => self.global.insert(name.to_string(), sym),
        };
    }

    /// Declare `name` at global scope whatever the current scope (subroutines are declared
    /// before their bodies are elaborated, so that they may call themselves).
    pub fn declare_global(&mut self, name: &str, sym: Symbol) {
        self.global.insert(name.to_string(), sym);
    }

    /// Look `name` up from the current scope outwards.
    pub fn lookup(&self, name: &str) -> Option<(&Symbol, Reach)> {
        let mut crossed = false;
        for (kind, m) in self.frames.iter().rev() {
            if let Some(s) = m.get(name) {
                return Some((s, Reach::Local));
            }
            if *kind != FrameKind::Block {
                crossed = true;
                break;
            }
        }
        let reach = if crossed {
            Reach::GlobalFromBody
        } else {
            Reach::Local
        };
        self.global.get(name).map(|s| (s, reach))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_shadow_and_bodies_see_globals_as_such() {
        let mut s = Scopes::default();
        s.declare("x", Symbol::Var(VarId(0)));
        s.push(FrameKind::Block);
        assert_eq!(s.lookup("x"), Some((&Symbol::Var(VarId(0)), Reach::Local)));
        assert!(s.in_current("x").is_none());
        s.declare("x", Symbol::Var(VarId(1)));
        assert_eq!(s.lookup("x"), Some((&Symbol::Var(VarId(1)), Reach::Local)));
        s.pop();
        s.push(FrameKind::Subroutine);
        s.push(FrameKind::Block);
        assert_eq!(
            s.lookup("x"),
            Some((&Symbol::Var(VarId(0)), Reach::GlobalFromBody))
        );
        assert_eq!(s.body_kind(), Some(FrameKind::Subroutine));
        s.pop();
        s.pop();
        assert!(s.at_global());
        assert_eq!(s.lookup("y"), None);
    }
}

//! Identifiers of a structured program's parts: variables, subroutines, places in the source.

/// Index of a variable in [`Program::vars`](super::stmt::Program::vars).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VarId(pub u32);

/// Index of a subroutine in [`Program::subroutines`](super::stmt::Program::subroutines).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubId(pub u32);

/// A place in the source: the file (index into [`Program::files`](super::stmt::Program::files)), 1-based line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Loc {
    pub file: u32,
    pub line: u32,
    pub col: u32,
}

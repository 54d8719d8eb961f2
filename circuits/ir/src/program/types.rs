//! Classical types of OpenQASM 3.

/// A classical type. Widths are in bits; `None` is the spec's "no width given" (a machine
/// width for `int`/`uint`, double precision for `float`, the implementation's `angle`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    /// A single `bit`.
    Bit,
    /// `bit[n]`: a classical register when declared at global scope.
    Bits(u32),
    Bool,
    Int(Option<u32>),
    Uint(Option<u32>),
    Float(Option<u32>),
    Angle(Option<u32>),
    /// `complex[float[n]]`: `n` is the width of each component.
    Complex(Option<u32>),
    Duration,
    Stretch,
    /// `array[elem, d0, d1, …]`, row-major.
    Array {
        elem: Box<Type>,
        dims: Vec<u32>,
    },
}

impl Type {
    /// Whether values of the type are integers (`bit`, `bit[n]`, `bool`, `int`, `uint`).
    pub fn is_integral(&self) -> bool {
        matches!(
            self,
            Type::Bit | Type::Bits(_) | Type::Bool | Type::Int(_) | Type::Uint(_)
        )
    }
}

impl std::fmt::Display for Type {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let w = |f: &mut std::fmt::Formatter<'_>, name: &str, width: &Option<u32>| match width {
            Some(n) => write!(f, "{name}[{n}]"),
            None => write!(f, "{name}"),
        };
        match self {
            Type::Bit => write!(f, "bit"),
            Type::Bits(n) => write!(f, "bit[{n}]"),
            Type::Bool => write!(f, "bool"),
            Type::Int(n) => w(f, "int", n),
            Type::Uint(n) => w(f, "uint", n),
            Type::Float(n) => w(f, "float", n),
            Type::Angle(n) => w(f, "angle", n),
            Type::Complex(None) => write!(f, "complex"),
            Type::Complex(Some(n)) => write!(f, "complex[float[{n}]]"),
            Type::Duration => write!(f, "duration"),
            Type::Stretch => write!(f, "stretch"),
            Type::Array { elem, dims } => {
                write!(f, "array[{elem}")?;
                for d in dims {
                    write!(f, ", {d}")?;
                }
                write!(f, "]")
            }
        }
    }
}

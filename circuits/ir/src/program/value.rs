//! Classical values. A value carries its own kind, so evaluation picks integer or real
//! arithmetic from its operands (the front end inserts the casts the spec's promotion rules ask
//! for); widths are applied when a value is stored into a typed variable ([`Value::cast`]).

/// A classical value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Bool(bool),
    /// A single `bit`.
    Bit(bool),
    /// `bit[n]`: `bits[0]` is the least significant bit (index 0 of the register).
    Bits(Vec<bool>),
    /// `int` of any declared width, already wrapped to it.
    Int(i128),
    /// `uint` of any declared width, already reduced modulo 2^width.
    Uint(u128),
    Float(f64),
    /// An angle in radians, in [0, 2π) and on the grid of its width.
    Angle(f64),
    Complex {
        re: f64,
        im: f64,
    },
    /// A duration as a linear combination of nanoseconds and device cycles (`dt`), so that
    /// programs written in `dt` stay exact without a device.
    Duration {
        ns: f64,
        dt: f64,
    },
    /// An array value, row-major, with its dimensions.
    Array {
        dims: Vec<u32>,
        items: Vec<Value>,
    },
}

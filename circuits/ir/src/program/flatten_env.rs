//! The compile-time environment of the flatten pass: what a classical variable holds while the
//! program is unrolled (a known value, or bits that only a measurement will decide), and the
//! index arithmetic of qubit and bit operands.

use std::collections::BTreeMap;

use super::ids::Loc;
use super::value::Value;
use crate::circuit::CondExpr;

/// One bit as the flatten pass knows it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Bit {
    /// Known at compile time.
    Known(bool),
    /// The content of circuit clbit `clbit` as written by its write number `version`; a later
    /// write to the clbit makes this copy stale (its value is then no longer in the circuit).
    Clbit { clbit: u32, version: u64 },
    /// The result of a measurement whose clbit is not chosen yet (index into the pending
    /// table): a measurement into a local `bit` that a later assignment may store into a
    /// register bit, which then becomes the measurement's clbit.
    Pending(u32),
}

/// What a variable holds.
#[derive(Clone, Debug, PartialEq)]
pub enum Slot {
    /// Not declared (yet), or a subroutine's local outside its call.
    Unset,
    /// A known value of a type other than `bit`/`bit[n]`.
    Val(Value),
    /// A `bit` (`single`) or `bit[n]`, bit 0 first.
    Bits { bits: Vec<Bit>, single: bool },
    /// A register's variable, held sparsely (a register may have hundreds of millions of
    /// bits, of which a program piece touches a few).
    Reg { bits: RegBits, single: bool },
    /// A value only known at run time: assigned from a measurement result, or changed by a
    /// branch on one (the branch's place).
    RealTime(Loc),
    /// A `bool` computed from measured bits: the condition, and the write number of each
    /// clbit it reads (a later write there makes it stale).
    Cond {
        cond: CondExpr,
        reads: Vec<(u32, Option<u64>)>,
    },
}

/// A register's bits: those in `set`, and the rest as the register started (known zeros) or
/// as its declaration left them (its own clbits, at the write number `declared`).
#[derive(Clone, Debug, PartialEq)]
pub struct RegBits {
    pub len: u32,
    /// The register's first clbit.
    pub start: u32,
    pub declared: Option<u64>,
    pub set: BTreeMap<u32, Bit>,
}

impl RegBits {
    /// A register of known zeros.
    pub fn zeros(start: u32, len: u32) -> Self {
        RegBits {
            len,
            start,
            declared: None,
            set: BTreeMap::new(),
        }
    }

    /// Bit `k`, if in range.
    pub fn get(&self, k: u64) -> Option<Bit> {
        let k = u32::try_from(k).ok().filter(|k| *k < self.len)?;
        Some(match (self.set.get(&k), self.declared) {
            (Some(b), _) => *b,
            (None, None) => Bit::Known(false),
            (None, Some(version)) => Bit::Clbit {
                clbit: self.start + k,
                version,
            },
        })
    }

    /// Set bit `k`; false when out of range.
    pub fn put(&mut self, k: u64, b: Bit) -> bool {
        match u32::try_from(k).ok().filter(|k| *k < self.len) {
            Some(k) => {
                self.set.insert(k, b);
                true
            }
            None => false,
        }
    }

    /// Every bit, in order (as long as the register).
    pub fn to_vec(&self) -> Vec<Bit> {
        (0..u64::from(self.len))
            .filter_map(|k| self.get(k))
            .collect()
    }

    /// Whether every bit is known at compile time.
    pub fn all_known(&self) -> bool {
        (self.declared.is_none() || self.set.len() as u64 == u64::from(self.len))
            && self.set.values().all(|b| matches!(b, Bit::Known(_)))
    }
}

/// A value produced by an expression: known, or bits that may depend on measurements.
#[derive(Clone, Debug, PartialEq)]
pub enum Sym {
    Val(Value),
    Bits { bits: Vec<Bit>, single: bool },
}

impl Sym {
    /// Bits that are all known become a plain value, so that only real dependence on a
    /// measurement stays symbolic.
    pub fn from_bits(bits: Vec<Bit>, single: bool) -> Sym {
        let known: Option<Vec<bool>> = bits
            .iter()
            .map(|b| match b {
                Bit::Known(v) => Some(*v),
                _ => None,
            })
            .collect();
        match known {
            Some(v) if single && v.len() == 1 => match v.first() {
                Some(b) => Sym::Val(Value::Bit(*b)),
                None => Sym::Bits { bits, single },
            },
            Some(v) if !single => Sym::Val(Value::Bits(v)),
            _ => Sym::Bits { bits, single },
        }
    }
}

impl Slot {
    /// The slot's value when it is fully known.
    pub fn known(&self) -> Option<Value> {
        match self {
            Slot::Val(v) => Some(v.clone()),
            Slot::Bits { bits, single } => match Sym::from_bits(bits.clone(), *single) {
                Sym::Val(v) => Some(v),
                Sym::Bits { .. } => None,
            },
            // A register read whole is as wide as a bit value may be at most.
            Slot::Reg { bits, single }
                if bits.all_known() && u64::from(bits.len) <= super::convert::MAX_BITS =>
            {
                match Sym::from_bits(bits.to_vec(), *single) {
                    Sym::Val(v) => Some(v),
                    Sym::Bits { .. } => None,
                }
            }
            Slot::Reg { .. } => None,
            Slot::Unset | Slot::RealTime(_) | Slot::Cond { .. } => None,
        }
    }

    /// How many bits a bit variable holds (0 for other slots).
    pub fn bit_len(&self) -> u64 {
        match self {
            Slot::Bits { bits, .. } => bits.len() as u64,
            Slot::Reg { bits, .. } => u64::from(bits.len),
            _ => 0,
        }
    }

    /// Whether reading the slot needs more than compile-time evaluation.
    pub fn is_symbolic(&self) -> bool {
        match self {
            Slot::Bits { bits, .. } => bits.iter().any(|b| !matches!(b, Bit::Known(_))),
            Slot::Reg { bits, .. } => !bits.all_known(),
            Slot::RealTime(_) | Slot::Cond { .. } => true,
            Slot::Unset | Slot::Val(_) => false,
        }
    }
}

/// Bits of a known value: a `bit`, `bit[n]`, `bool`, or a non-negative integer of `width` bits.
pub fn value_bits(v: &Value, width: usize) -> Option<Vec<bool>> {
    let int = |x: u128| -> Vec<bool> {
        (0..width)
            .map(|i| {
                u32::try_from(i)
                    .ok()
                    .and_then(|i| x.checked_shr(i))
                    .is_some_and(|s| s & 1 == 1)
            })
            .collect()
    };
    match v {
        Value::Bit(b) | Value::Bool(b) => Some(int(u128::from(*b))),
        Value::Bits(b) if b.len() == width => Some(b.clone()),
        Value::Int(i) => Some(int(*i as u128)),
        Value::Uint(u) => Some(int(*u)),
        _ => None,
    }
}

/// A known value as an integer (indices, loop bounds, case labels).
pub fn to_int(v: &Value) -> Option<i128> {
    match v {
        Value::Int(i) => Some(*i),
        Value::Uint(u) => i128::try_from(*u).ok(),
        Value::Bit(b) | Value::Bool(b) => Some(i128::from(*b)),
        Value::Bits(bits) => {
            if bits.iter().skip(127).any(|b| *b) {
                return None;
            }
            Some(
                bits.iter()
                    .take(127)
                    .enumerate()
                    .fold(0i128, |acc, (i, b)| acc | (i128::from(*b) << i)),
            )
        }
        _ => None,
    }
}

/// A known value as an angle or real gate parameter.
pub fn to_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Float(x) | Value::Angle(x) => Some(*x),
        Value::Int(i) => Some(*i as f64),
        Value::Uint(u) => Some(*u as f64),
        Value::Bit(b) | Value::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    }
}

/// Why an index does not select anything valid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadIndex {
    pub index: i128,
    pub len: u64,
}

/// Position `i` of a sequence of `len`; negative indices count from the end, as in OpenQASM 3.
pub fn position(i: i128, len: u64) -> Result<u64, BadIndex> {
    let bad = BadIndex { index: i, len };
    let j = if i < 0 { i + i128::from(len) } else { i };
    if j < 0 || j >= i128::from(len) {
        return Err(bad);
    }
    u64::try_from(j).map_err(|_| bad)
}

/// The positions `[start:step:stop]` selects in a sequence of `len` (stop inclusive; missing
/// bounds are the ends in the step's direction), as (first, step, count).
pub fn range(
    start: Option<i128>,
    step: Option<i128>,
    stop: Option<i128>,
    len: u64,
) -> Result<(u64, i128, u64), BadIndex> {
    let step = step.unwrap_or(1);
    if step == 0 {
        return Err(BadIndex { index: 0, len });
    }
    let last = i128::from(len) - 1;
    let (dstart, dstop) = if step > 0 { (0, last) } else { (last, 0) };
    if len == 0 {
        // Only a range that names no bound selects nothing from an empty sequence.
        return match (start, stop) {
            (None, None) => Ok((0, step, 0)),
            (Some(i), _) | (_, Some(i)) => Err(BadIndex { index: i, len }),
        };
    }
    let first = match start {
        Some(i) => position(i, len)?,
        None => dstart as u64,
    };
    let end = match stop {
        Some(i) => position(i, len)?,
        None => dstop as u64,
    };
    let (f, e) = (i128::from(first), i128::from(end));
    let count = if (step > 0 && e < f) || (step < 0 && e > f) {
        0
    } else {
        (e - f) / step + 1
    };
    Ok((first, step, u64::try_from(count).unwrap_or(0)))
}

/// The iteration count of a `for` range `[start:step:stop]` (stop inclusive), exact in u128.
pub fn range_count(start: i128, step: i128, stop: i128) -> Option<u128> {
    if step == 0 {
        return None;
    }
    if (step > 0 && stop < start) || (step < 0 && stop > start) {
        return Some(0);
    }
    let span = stop.abs_diff(start);
    // Saturating: only i128::MIN..=i128::MAX by 1 exceeds u128, and nothing runs that long.
    Some((span / step.unsigned_abs()).saturating_add(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_openqasm_3() {
        assert_eq!(range(Some(1), None, Some(3), 5), Ok((1, 1, 3)));
        assert_eq!(range(None, Some(2), None, 5), Ok((0, 2, 3)));
        assert_eq!(range(None, Some(-1), None, 3), Ok((2, -1, 3)));
        assert_eq!(range(Some(-2), None, None, 5), Ok((3, 1, 2)));
        assert_eq!(range(Some(3), None, Some(1), 5), Ok((3, 1, 0)));
        assert_eq!(
            range(Some(5), None, None, 5),
            Err(BadIndex { index: 5, len: 5 })
        );
        assert_eq!(position(-1, 4), Ok(3));
        assert!(position(-5, 4).is_err());
        assert_eq!(range_count(0, 1, 999_999_999_999), Some(1_000_000_000_000));
        assert_eq!(range_count(10, -3, 0), Some(4));
        assert_eq!(range_count(i128::MIN, 1, i128::MAX), Some(u128::MAX));
        assert_eq!(range_count(1, 1, 0), Some(0));
    }

    #[test]
    fn known_bits_fold_to_values() {
        assert_eq!(
            Sym::from_bits(vec![Bit::Known(true)], true),
            Sym::Val(Value::Bit(true))
        );
        let sym = Sym::from_bits(vec![Bit::Known(true), Bit::Pending(0)], false);
        assert!(matches!(sym, Sym::Bits { .. }));
        assert_eq!(to_int(&Value::Bits(vec![true, false, true])), Some(5));
        assert_eq!(value_bits(&Value::Int(6), 3), Some(vec![false, true, true]));
    }
}

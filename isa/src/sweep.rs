//! The sweep table: how the points of a parameter sweep differ from its template.
//!
//! A parameter sweep is one program run at many points, each a row of values of the program's
//! `input` variables. Lowered, the points differ only in some rz angles (the *slots*); everything
//! else (operations, qubits, conditions, times, registers) is the template's, coded once. The
//! table holds what a decoder needs to rebuild each point's slot angles: the input values per
//! point (*columns*, each coded as the exact structure it has, or raw) and, per slot, the *rule*
//! giving its grid index at every point. [`slot_index`] is the one function that evaluates a rule;
//! the encoder verifies its plan with it, and the decoder rebuilds with it, so both agree bit for
//! bit.
//!
//! # Layout (version 1; varints are LEB128 of [`crate::varint`], `f64` is 8 bytes little-endian)
//!
//! ```text
//! field                    size      meaning
//! ------------------------ --------- --------------------------------------------------------
//! version                  1         = 1
//! angle bits               1         the grid of every slot angle, 1..=angle::MAX_BITS
//! points                   uvarint   1..=MAX_POINTS
//! grid shifts length       uvarint   n bytes follow (0: every point is on the table's grid)
//! grid shifts              n         per point its shift s < angle bits in unary (s one bits,
//!                                    then a zero bit), low bits of each byte first, zero
//!                                    padding; the point's own grid is (angle bits − s) bits
//! column count             uvarint   ..=MAX_COLUMNS
//! per column:
//!   kind                   1         0 = float progression, 1 = decimal progression, 2 = raw
//!   kind 0: div, period    uvarint×2 index m(i) = (i / div) mod period (period 0: no modulo)
//!           start, step    f64×2     x(i) = start if m = 0, else start + (m as f64)·step
//!   kind 1: div, period    uvarint×2 as kind 0
//!           start, step    ivarint×2 (zigzag) integers n(i) = start + m·step (checked i64)
//!           exponent       1         x(i) = (n(i) as f64) / 10^exponent, exponent ..=22
//!   kind 2: values         f64×points x(i) = values[i]
//! slot count               uvarint   ..=MAX_SLOTS
//! per slot:
//!   op gap                 uvarint   the slot's operation index in the template: the first
//!                                    slot's index, then the gap minus one to the previous slot's
//!                                    (indices strictly increase)
//!   rule kind              1         0 = linear, 1 = offset, 2 = listed, 3 = stepped
//!   kind 0: b              f64       θ = b + Σ a_t·x_{c_t} (summed in order),
//!                                    k = quantize(θ, angle bits − s) << s (the point's grid)
//!           term count     uvarint   ..=column count
//!           per term:      uvarint   column c_t (< column count)
//!             coef kind    1         0: f64 follows; 1: ivarint p, uvarint q ≥ 1 (a = p/q)
//!   kind 1: back           uvarint   1..=slot's position: k = (k of slot (position − back)
//!           add            uvarint     + add) mod 2^angle bits; add < 2^angle bits
//!   kind 2: k per point    w×points  w = ceil(angle bits / 8) bytes, little-endian, each
//!                                    < 2^angle bits (k as listed, at every point)
//!   kind 3: column         uvarint   a progression column c (kind 0 or 1)
//!           count          uvarint   1..=points
//!           k per step     w×count   k = values[m_c(i)], m_c the column's step at point i,
//!                                    snapped to the point's grid: quantize(dequantize(k),
//!                                    angle bits − s) << s
//! ```
//!
//! Every grid index is in units of the table's grid (`angle bits`); grids are nested powers of
//! two, so a point lowered on a coarser grid (the lowering picks the coarsest grid its budget
//! allows, point by point) has its angles on the table's grid exactly, and its shift says which
//! grid a linear or stepped rule snaps to there (and the point's `angle_bits` when rebuilt). All floats are finite. Nothing follows the last slot.
//!
//! # Robustness
//!
//! [`SweepTable::parse`] never panics and never allocates more than the input holds: every count
//! is bounded by a limit and by the bytes left (each item takes at least one byte) before a vector
//! is reserved, and decimal columns are checked at parse time not to overflow `i64` at any point.
//! Evaluating a parsed table ([`SweepTable::values_at`], [`SweepTable::slot_indices`]) returns
//! errors, never panics.

use alloc::vec::Vec;

use crate::angle::{MAX_BITS, RAW, dequantize, quantize};
use crate::error::IsaError;
use crate::varint::{read_ivarint, read_uvarint, write_ivarint, write_uvarint};

/// The table format's version.
pub const VERSION: u8 = 1;
/// Most points a table holds.
pub const MAX_POINTS: u32 = 1 << 20;
/// Most columns (inputs) a table holds.
pub const MAX_COLUMNS: usize = 1024;
/// Most slots a table holds.
pub const MAX_SLOTS: usize = 1 << 24;
/// Largest decimal exponent: 10^22 is the largest power of ten that is an exact `f64`, so the
/// division is one correctly rounded operation (the value a decimal text parses to).
pub const MAX_DECIMAL_EXPONENT: u8 = 22;

/// Which progression step a point takes in a column: `m(i) = (i / div) mod period`, so a column
/// of a product grid (the outer input repeats each value `div` times, the inner one cycles with
/// `period`) is two numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Index {
    /// Points per step (≥ 1).
    pub div: u32,
    /// Steps before the column starts over; 0: it never does.
    pub period: u32,
}

impl Index {
    /// The step of point `i`.
    #[must_use]
    pub fn step(&self, i: u32) -> u32 {
        let m = i / self.div.max(1);
        if self.period == 0 { m } else { m % self.period }
    }
}

/// One input's values over the points.
#[derive(Clone, Debug, PartialEq)]
pub enum Column {
    /// `x(i) = start` at step 0, else `start + (m as f64)·step`: what a program computing the
    /// sweep in binary floating point (`start + i*step`) writes.
    Float {
        /// Which step each point takes.
        index: Index,
        /// The value at step 0.
        start: f64,
        /// The step.
        step: f64,
    },
    /// `x(i) = (start + m·step) / 10^exponent`: a sweep written as decimal text (`0.1, 0.2, 0.3`),
    /// each value the `f64` its text parses to.
    Decimal {
        /// Which step each point takes.
        index: Index,
        /// The integer at step 0.
        start: i64,
        /// The integer step.
        step: i64,
        /// The decimal exponent, at most [`MAX_DECIMAL_EXPONENT`].
        exponent: u8,
    },
    /// One value per point.
    Raw(Vec<f64>),
}

/// A coefficient of a linear rule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Coef {
    /// Any finite value.
    Float(f64),
    /// `p / q` (`q ≥ 1`), evaluated as `p as f64 / q as f64`: the small rationals (2, −1, 1/2)
    /// that angle coefficients usually are, in two or three bytes.
    Ratio(i64, u64),
}

impl Coef {
    /// The coefficient's value.
    #[must_use]
    pub fn value(&self) -> f64 {
        match *self {
            Coef::Float(a) => a,
            Coef::Ratio(p, q) => p as f64 / q as f64,
        }
    }
}

/// How a slot's grid index follows from the point.
#[derive(Clone, Debug, PartialEq)]
pub enum Rule {
    /// `k = quantize(b + Σ a·x_c, angle bits)`, summed in the terms' order.
    Linear {
        /// The constant.
        b: f64,
        /// `(column, a)` terms.
        terms: Vec<(u32, Coef)>,
    },
    /// `k = (k of the slot `back` positions earlier + add) mod 2^angle bits`: the same angle
    /// shifted by a constant, as on every edge of a QAOA cost layer.
    Offset {
        /// How many slots back (≥ 1).
        back: u32,
        /// The grid index added.
        add: u64,
    },
    /// The grid index at every point.
    Listed(Vec<u64>),
    /// `k = ks[m]` (snapped to the point's own grid when that is coarser), `m` the step column
    /// `column` takes at the point: any function of one
    /// progression input (a fused rotation whose Euler angles are not affine in it), at one
    /// index per distinct value rather than per point.
    Stepped {
        /// The progression column (not [`Column::Raw`]).
        column: u32,
        /// The grid index at each step.
        ks: Vec<u64>,
    },
}

/// A slot: an rz of the template whose angle varies over the points.
#[derive(Clone, Debug, PartialEq)]
pub struct Slot {
    /// Index of the rz in the template's operations.
    pub op: u32,
    /// How its grid index follows from the point.
    pub rule: Rule,
}

/// A sweep's points, as differences from its template (see the module documentation).
#[derive(Clone, Debug, PartialEq)]
pub struct SweepTable {
    /// Number of points, 1..=[`MAX_POINTS`].
    pub points: u32,
    /// The angle grid of every slot, 1..=[`MAX_BITS`] ([`RAW`] angles are not swept): the
    /// finest of the points' grids.
    pub angle_bits: u8,
    /// Per point, how many bits coarser its own grid is than `angle_bits`: empty when none is
    /// (the one encoding of that case), else one per point.
    pub shifts: Vec<u8>,
    /// Per input, its values over the points (in the program's declaration order).
    pub columns: Vec<Column>,
    /// The varying rz angles, in increasing operation order.
    pub slots: Vec<Slot>,
}

/// `10^e` for `e ≤ 22`, exact.
fn pow10(e: u8) -> f64 {
    let mut p = 1.0f64;
    for _ in 0..e.min(MAX_DECIMAL_EXPONENT) {
        p *= 10.0;
    }
    p
}

impl Column {
    /// The step point `i` takes in a progression column; `None` for a raw column.
    #[must_use]
    pub fn step(&self, i: u32) -> Option<u32> {
        match self {
            Column::Float { index, .. } | Column::Decimal { index, .. } => Some(index.step(i)),
            Column::Raw(_) => None,
        }
    }

    /// The column's value at point `i`.
    ///
    /// # Errors
    /// [`IsaError::Corrupt`] when a decimal progression overflows or a raw column has no value
    /// for the point.
    pub fn value(&self, i: u32) -> Result<f64, IsaError> {
        match self {
            Column::Float { index, start, step } => {
                let m = index.step(i);
                Ok(if m == 0 {
                    *start
                } else {
                    start + f64::from(m) * step
                })
            }
            Column::Decimal {
                index,
                start,
                step,
                exponent,
            } => {
                let n = step
                    .checked_mul(i64::from(index.step(i)))
                    .and_then(|d| d.checked_add(*start))
                    .ok_or(IsaError::Corrupt("sweep table: a decimal column overflows"))?;
                Ok(n as f64 / pow10(*exponent))
            }
            Column::Raw(values) => values
                .get(i as usize)
                .copied()
                .ok_or(IsaError::Corrupt("sweep table: a raw column is too short")),
        }
    }
}

/// The grid index of a slot with rule `rule` at a point whose input values are `values`, on a
/// grid of `bits` bits (the point's own `shift` bits coarser), given the indices `earlier` of the slots before it at the same point:
/// the one evaluation both the encoder (which checks its plan with it) and the decoder use.
/// `columns` are the table's (a stepped rule reads its column's step).
///
/// # Errors
/// [`IsaError::Corrupt`] when the rule names a column or slot that does not exist, or a listed
/// or stepped rule has no index for the point.
pub fn slot_index(
    rule: &Rule,
    bits: u8,
    shift: u8,
    point: u32,
    columns: &[Column],
    values: &[f64],
    earlier: &[u64],
) -> Result<u64, IsaError> {
    let mask = grid_mask(bits);
    match rule {
        Rule::Linear { b, terms } => {
            let mut theta = *b;
            for (c, a) in terms {
                let x = values
                    .get(*c as usize)
                    .ok_or(IsaError::Corrupt("sweep table: a rule names no column"))?;
                theta += a.value() * x;
            }
            let own = bits.saturating_sub(shift).max(1);
            Ok((quantize(theta, own) << bits.saturating_sub(own)) & mask)
        }
        Rule::Offset { back, add } => {
            let at = earlier
                .len()
                .checked_sub(*back as usize)
                .filter(|_| *back >= 1)
                .and_then(|j| earlier.get(j))
                .ok_or(IsaError::Corrupt(
                    "sweep table: an offset rule names no earlier slot",
                ))?;
            Ok(at.wrapping_add(*add) & mask)
        }
        Rule::Listed(ks) => ks
            .get(point as usize)
            .map(|k| k & mask)
            .ok_or(IsaError::Corrupt("sweep table: a listed slot is too short")),
        Rule::Stepped { column, ks } => {
            let k = columns
                .get(*column as usize)
                .and_then(|c| c.step(point))
                .and_then(|m| ks.get(m as usize))
                .ok_or(IsaError::Corrupt(
                    "sweep table: a stepped slot has no index for the point",
                ))?;
            // On a coarser point, the stored angle snapped to the point's own grid.
            let own = bits.saturating_sub(shift).max(1);
            if own >= bits {
                return Ok(k & mask);
            }
            let k = quantize(dequantize(k & mask, bits), own) << (bits - own);
            Ok(k & mask)
        }
    }
}

/// `2^bits − 1` for a grid of `bits` bits.
fn grid_mask(bits: u8) -> u64 {
    (1u64 << bits.clamp(1, MAX_BITS)) - 1
}

impl SweepTable {
    /// The input values of point `i`, one per column.
    ///
    /// # Errors
    /// [`IsaError::Limit`] when `i` is not a point, or what [`Column::value`] returns.
    pub fn values_at(&self, i: u32) -> Result<Vec<f64>, IsaError> {
        self.check_point(i)?;
        self.columns.iter().map(|c| c.value(i)).collect()
    }

    /// The grid index of every slot at point `i`, in slot order.
    ///
    /// # Errors
    /// As [`SweepTable::values_at`] and [`slot_index`].
    pub fn slot_indices(&self, i: u32) -> Result<Vec<u64>, IsaError> {
        let values = self.values_at(i)?;
        let mut ks = Vec::with_capacity(self.slots.len());
        for s in &self.slots {
            let k = slot_index(
                &s.rule,
                self.angle_bits,
                self.shift(i),
                i,
                &self.columns,
                &values,
                &ks,
            )?;
            ks.push(k);
        }
        Ok(ks)
    }

    /// The rz angle of every slot at point `i`, in slot order (`dequantize` of
    /// [`SweepTable::slot_indices`]).
    ///
    /// # Errors
    /// As [`SweepTable::slot_indices`].
    pub fn slot_angles(&self, i: u32) -> Result<Vec<f64>, IsaError> {
        Ok(self
            .slot_indices(i)?
            .into_iter()
            .map(|k| dequantize(k, self.angle_bits))
            .collect())
    }

    /// How many bits coarser point `i`'s grid is than the table's.
    #[must_use]
    pub fn shift(&self, i: u32) -> u8 {
        self.shifts.get(i as usize).copied().unwrap_or(0)
    }

    /// Point `i`'s own angle grid, in bits.
    #[must_use]
    pub fn point_bits(&self, i: u32) -> u8 {
        self.angle_bits.saturating_sub(self.shift(i)).max(1)
    }

    fn check_point(&self, i: u32) -> Result<(), IsaError> {
        if i >= self.points {
            return Err(IsaError::Limit {
                what: "sweep point",
                found: i.into(),
                max: u64::from(self.points.saturating_sub(1)),
            });
        }
        Ok(())
    }

    /// The table's bytes (see the module documentation). A table [`SweepTable::parse`] accepts
    /// round-trips exactly.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.push(VERSION);
        out.push(self.angle_bits);
        write_uvarint(&mut out, self.points.into());
        // Unary: the lowering's grids cluster at the finest one or two (a shift of 0 or 1 costs
        // one or two bits), where a fixed width would pay for the rare coarse point everywhere.
        let mut packed: Vec<u8> = Vec::new();
        if self.shifts.iter().any(|&x| x != 0) {
            let mut bit = 0usize;
            for &shift in &self.shifts {
                for one in (0..=shift).map(|j| j < shift) {
                    if bit.is_multiple_of(8) {
                        packed.push(0);
                    }
                    if let Some(b) = packed.last_mut() {
                        *b |= u8::from(one) << (bit % 8);
                    }
                    bit += 1;
                }
            }
        }
        write_uvarint(&mut out, packed.len() as u64);
        out.extend_from_slice(&packed);
        write_uvarint(&mut out, self.columns.len() as u64);
        for c in &self.columns {
            match c {
                Column::Float { index, start, step } => {
                    out.push(0);
                    write_index(&mut out, index);
                    out.extend_from_slice(&start.to_le_bytes());
                    out.extend_from_slice(&step.to_le_bytes());
                }
                Column::Decimal {
                    index,
                    start,
                    step,
                    exponent,
                } => {
                    out.push(1);
                    write_index(&mut out, index);
                    write_ivarint(&mut out, *start);
                    write_ivarint(&mut out, *step);
                    out.push(*exponent);
                }
                Column::Raw(values) => {
                    out.push(2);
                    for v in values {
                        out.extend_from_slice(&v.to_le_bytes());
                    }
                }
            }
        }
        write_uvarint(&mut out, self.slots.len() as u64);
        let width = index_width(self.angle_bits);
        let mut next = 0u64;
        for s in &self.slots {
            write_uvarint(&mut out, u64::from(s.op).wrapping_sub(next));
            next = u64::from(s.op) + 1;
            match &s.rule {
                Rule::Linear { b, terms } => {
                    out.push(0);
                    out.extend_from_slice(&b.to_le_bytes());
                    write_uvarint(&mut out, terms.len() as u64);
                    for (c, a) in terms {
                        write_uvarint(&mut out, (*c).into());
                        match a {
                            Coef::Float(v) => {
                                out.push(0);
                                out.extend_from_slice(&v.to_le_bytes());
                            }
                            Coef::Ratio(p, q) => {
                                out.push(1);
                                write_ivarint(&mut out, *p);
                                write_uvarint(&mut out, *q);
                            }
                        }
                    }
                }
                Rule::Offset { back, add } => {
                    out.push(1);
                    write_uvarint(&mut out, (*back).into());
                    write_uvarint(&mut out, *add);
                }
                Rule::Listed(ks) => {
                    out.push(2);
                    for k in ks {
                        out.extend_from_slice(k.to_le_bytes().get(..width).unwrap_or(&[]));
                    }
                }
                Rule::Stepped { column, ks } => {
                    out.push(3);
                    write_uvarint(&mut out, (*column).into());
                    write_uvarint(&mut out, ks.len() as u64);
                    for k in ks {
                        out.extend_from_slice(k.to_le_bytes().get(..width).unwrap_or(&[]));
                    }
                }
            }
        }
        out
    }

    /// Reads a table from exactly `bytes`.
    ///
    /// # Errors
    /// [`IsaError::Truncated`] when the bytes end early, [`IsaError::UnsupportedVersion`],
    /// [`IsaError::Limit`] for counts beyond the limits, [`IsaError::Corrupt`] for any value the
    /// format does not allow, [`IsaError::TrailingBytes`] when bytes follow the table.
    pub fn parse(bytes: &[u8]) -> Result<SweepTable, IsaError> {
        let mut r = Reader { bytes, at: 0 };
        let version = r.byte("sweep table version")?;
        if version != VERSION {
            return Err(IsaError::UnsupportedVersion {
                found: version.into(),
                supported: VERSION.into(),
            });
        }
        let angle_bits = r.byte("sweep table angle bits")?;
        if angle_bits == RAW || angle_bits > MAX_BITS {
            return Err(IsaError::Corrupt(
                "sweep table: the angle grid is not 1..=40 bits",
            ));
        }
        let points = r.count("sweep points", u64::from(MAX_POINTS))?;
        if points == 0 {
            return Err(IsaError::Corrupt("sweep table: no points"));
        }
        let points = u32::try_from(points).map_err(|_| IsaError::LengthOverflow {
            what: "sweep points",
        })?;
        // At most `MAX_BITS` bits per point (a shift below the grid, then its zero).
        let most = (u64::from(MAX_POINTS) * u64::from(MAX_BITS)).div_ceil(8);
        let n = r.bounded_count("sweep grid shifts", most, 1)?;
        let packed = r.take("sweep grid shifts", n)?;
        let mut shifts = Vec::new();
        if n > 0 {
            // Every point takes at least one bit, so the bytes bound the points they can hold.
            if (points as usize).div_ceil(8) > n {
                return Err(IsaError::Truncated {
                    what: "sweep grid shifts",
                    needed: (points as u64).div_ceil(8),
                    available: n as u64,
                });
            }
            shifts.reserve(points as usize);
            let mut bit = 0usize;
            let bit_at = |bit: usize| packed.get(bit / 8).map(|b| (b >> (bit % 8)) & 1);
            for _ in 0..points {
                let mut shift = 0u8;
                loop {
                    let b = bit_at(bit).ok_or(IsaError::Truncated {
                        what: "sweep grid shifts",
                        needed: n as u64 + 1,
                        available: n as u64,
                    })?;
                    bit += 1;
                    if b == 0 {
                        break;
                    }
                    shift += 1;
                    if shift >= angle_bits {
                        return Err(IsaError::Corrupt(
                            "sweep table: a point's grid is coarser than 1 bit",
                        ));
                    }
                }
                shifts.push(shift);
            }
            // One encoding per table: no byte beyond the last code, zero padding, and no list of
            // zeros (written as none).
            let padding_zero = (bit..n * 8).all(|b| bit_at(b) == Some(0));
            if bit.div_ceil(8) != n || !padding_zero || shifts.iter().all(|&x| x == 0) {
                return Err(IsaError::Corrupt(
                    "sweep table: grid shifts are not canonical",
                ));
            }
        }
        let ncols = r.bounded_count("sweep columns", MAX_COLUMNS as u64, 1)?;
        let mut columns = Vec::with_capacity(ncols);
        for _ in 0..ncols {
            columns.push(r.column(points)?);
        }
        let nslots = r.bounded_count("sweep slots", MAX_SLOTS as u64, 2)?;
        let width = index_width(angle_bits);
        let mask = grid_mask(angle_bits);
        let mut slots = Vec::with_capacity(nslots);
        let mut next = 0u64;
        for pos in 0..nslots {
            let gap = r.uvarint("sweep slot operation")?;
            let op = next
                .checked_add(gap)
                .and_then(|o| u32::try_from(o).ok())
                .ok_or(IsaError::Corrupt(
                    "sweep table: a slot's operation index overflows",
                ))?;
            next = u64::from(op) + 1;
            let rule = match r.byte("sweep rule kind")? {
                0 => {
                    let b = r.finite("sweep rule constant")?;
                    let nterms = r.bounded_count("sweep rule terms", ncols as u64, 2)?;
                    let mut terms = Vec::with_capacity(nterms);
                    for _ in 0..nterms {
                        let c = r.uvarint("sweep rule column")?;
                        if c >= ncols as u64 {
                            return Err(IsaError::Corrupt("sweep table: a rule names no column"));
                        }
                        let a = match r.byte("sweep coefficient kind")? {
                            0 => Coef::Float(r.finite("sweep coefficient")?),
                            1 => {
                                let (p, n) = read_ivarint(r.rest())?;
                                r.at += n;
                                let q = r.uvarint("sweep coefficient denominator")?;
                                if q == 0 {
                                    return Err(IsaError::Corrupt(
                                        "sweep table: a coefficient divides by 0",
                                    ));
                                }
                                Coef::Ratio(p, q)
                            }
                            _ => {
                                return Err(IsaError::Corrupt(
                                    "sweep table: unknown coefficient kind",
                                ));
                            }
                        };
                        terms.push((c as u32, a));
                    }
                    Rule::Linear { b, terms }
                }
                1 => {
                    let back = r.uvarint("sweep offset slot")?;
                    if back == 0 || back > pos as u64 {
                        return Err(IsaError::Corrupt(
                            "sweep table: an offset rule names no earlier slot",
                        ));
                    }
                    let add = r.uvarint("sweep offset")?;
                    if add > mask {
                        return Err(IsaError::Corrupt(
                            "sweep table: an offset is off the angle grid",
                        ));
                    }
                    Rule::Offset {
                        back: back as u32,
                        add,
                    }
                }
                2 => Rule::Listed(r.indices(points as usize, width, mask)?),
                3 => {
                    let column = r.uvarint("sweep stepped column")?;
                    if columns
                        .get(column as usize)
                        .is_none_or(|c: &Column| c.step(0).is_none())
                    {
                        return Err(IsaError::Corrupt(
                            "sweep table: a stepped rule names no progression column",
                        ));
                    }
                    let count = r.count("sweep stepped indices", points.into())?;
                    if count == 0 {
                        return Err(IsaError::Corrupt("sweep table: a stepped rule is empty"));
                    }
                    Rule::Stepped {
                        column: column as u32,
                        ks: r.indices(count as usize, width, mask)?,
                    }
                }
                _ => return Err(IsaError::Corrupt("sweep table: unknown rule kind")),
            };
            slots.push(Slot { op, rule });
        }
        if r.at < bytes.len() {
            return Err(IsaError::TrailingBytes(bytes.len() - r.at));
        }
        Ok(SweepTable {
            points,
            angle_bits,
            shifts,
            columns,
            slots,
        })
    }
}

/// Bytes per listed grid index.
fn index_width(bits: u8) -> usize {
    usize::from(bits.clamp(1, MAX_BITS)).div_ceil(8)
}

fn write_index(out: &mut Vec<u8>, index: &Index) {
    write_uvarint(out, index.div.into());
    write_uvarint(out, index.period.into());
}

/// A cursor over the table's bytes.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn rest(&self) -> &'a [u8] {
        self.bytes.get(self.at..).unwrap_or(&[])
    }

    fn take(&mut self, what: &'static str, n: usize) -> Result<&'a [u8], IsaError> {
        let rest = self.rest();
        let got = rest.get(..n).ok_or(IsaError::Truncated {
            what,
            needed: n as u64,
            available: rest.len() as u64,
        })?;
        self.at += n;
        Ok(got)
    }

    fn byte(&mut self, what: &'static str) -> Result<u8, IsaError> {
        Ok(self.take(what, 1)?.first().copied().unwrap_or(0))
    }

    fn uvarint(&mut self, _what: &'static str) -> Result<u64, IsaError> {
        let (v, n) = read_uvarint(self.rest())?;
        self.at += n;
        Ok(v)
    }

    fn count(&mut self, what: &'static str, max: u64) -> Result<u64, IsaError> {
        let n = self.uvarint(what)?;
        if n > max {
            return Err(IsaError::Limit {
                what,
                found: n,
                max,
            });
        }
        Ok(n)
    }

    /// A count of items each at least `min_bytes` long: bounded by `max` and by the bytes left,
    /// so that no vector is reserved beyond what the input can fill.
    fn bounded_count(
        &mut self,
        what: &'static str,
        max: u64,
        min_bytes: u64,
    ) -> Result<usize, IsaError> {
        let n = self.count(what, max)?;
        let left = self.rest().len() as u64;
        if n.saturating_mul(min_bytes) > left {
            return Err(IsaError::Truncated {
                what,
                needed: n.saturating_mul(min_bytes),
                available: left,
            });
        }
        usize::try_from(n).map_err(|_| IsaError::LengthOverflow { what })
    }

    /// `count` grid indices of `width` bytes each, every one on the grid (`≤ mask`).
    fn indices(&mut self, count: usize, width: usize, mask: u64) -> Result<Vec<u64>, IsaError> {
        let raw = self.take("sweep grid indices", count.saturating_mul(width))?;
        let mut ks = Vec::with_capacity(count);
        for chunk in raw.chunks_exact(width) {
            let mut le = [0u8; 8];
            for (d, s) in le.iter_mut().zip(chunk) {
                *d = *s;
            }
            let k = u64::from_le_bytes(le);
            if k > mask {
                return Err(IsaError::Corrupt(
                    "sweep table: a grid index is off the angle grid",
                ));
            }
            ks.push(k);
        }
        Ok(ks)
    }

    fn finite(&mut self, what: &'static str) -> Result<f64, IsaError> {
        let raw = self.take(what, 8)?;
        let mut le = [0u8; 8];
        for (d, s) in le.iter_mut().zip(raw) {
            *d = *s;
        }
        let v = f64::from_le_bytes(le);
        if !v.is_finite() {
            return Err(IsaError::Corrupt("sweep table: a value is not finite"));
        }
        Ok(v)
    }

    fn index(&mut self) -> Result<Index, IsaError> {
        let div = self.uvarint("sweep column div")?;
        let period = self.uvarint("sweep column period")?;
        if div == 0 {
            return Err(IsaError::Corrupt("sweep table: a column's div is 0"));
        }
        let div = u32::try_from(div)
            .map_err(|_| IsaError::Corrupt("sweep table: a column's div overflows"))?;
        let period = u32::try_from(period)
            .map_err(|_| IsaError::Corrupt("sweep table: a column's period overflows"))?;
        Ok(Index { div, period })
    }

    fn column(&mut self, points: u32) -> Result<Column, IsaError> {
        match self.byte("sweep column kind")? {
            0 => {
                let index = self.index()?;
                let start = self.finite("sweep column start")?;
                let step = self.finite("sweep column step")?;
                Ok(Column::Float { index, start, step })
            }
            1 => {
                let index = self.index()?;
                let (start, n) = read_ivarint(self.rest())?;
                self.at += n;
                let (step, n) = read_ivarint(self.rest())?;
                self.at += n;
                let exponent = self.byte("sweep column exponent")?;
                if exponent > MAX_DECIMAL_EXPONENT {
                    return Err(IsaError::Corrupt(
                        "sweep table: a decimal exponent is above 22",
                    ));
                }
                // The integers are linear in the step, so checking the largest step taken
                // checks every point.
                let full = (points - 1) / index.div.max(1);
                let top = if index.period == 0 {
                    full
                } else {
                    full.min(index.period - 1)
                };
                step.checked_mul(i64::from(top))
                    .and_then(|d| d.checked_add(start))
                    .ok_or(IsaError::Corrupt("sweep table: a decimal column overflows"))?;
                Ok(Column::Decimal {
                    index,
                    start,
                    step,
                    exponent,
                })
            }
            2 => {
                let raw = self.take("sweep raw column", (points as usize).saturating_mul(8))?;
                let mut values = Vec::with_capacity(points as usize);
                for chunk in raw.chunks_exact(8) {
                    let mut le = [0u8; 8];
                    for (d, s) in le.iter_mut().zip(chunk) {
                        *d = *s;
                    }
                    let v = f64::from_le_bytes(le);
                    if !v.is_finite() {
                        return Err(IsaError::Corrupt("sweep table: a value is not finite"));
                    }
                    values.push(v);
                }
                Ok(Column::Raw(values))
            }
            _ => Err(IsaError::Corrupt("sweep table: unknown column kind")),
        }
    }
}

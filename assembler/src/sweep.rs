//! Parameter sweeps: many lowered points of one program as a template and a table
//! ([`eqisa_isa::sweep::SweepTable`]).
//!
//! The points of a sweep (one program, a row of input values per point) usually lower to the
//! same operations on the same qubits at the same times, differing only in some rz angles.
//! [`plan_sweep`] checks that they do, expresses their angles on one grid (the finest among
//! them; each point keeps its own, coarser or not, as a shift), and finds for each varying
//! angle (a *slot*) the cheapest exact rule: the same angle as an earlier slot shifted by a
//! constant, an affine function of the inputs snapped to the point's grid, any function of one
//! progression input (an index per distinct value), or, failing all, its grid index listed per
//! point. Input columns are coded as the progression they are (a product grid or `linspace`
//! column is a few bytes) or raw. Every rule is verified with the very function the decoder
//! evaluates ([`eqisa_isa::sweep::slot_index`]), so [`expand`] rebuilds every point bit for
//! bit, its `angle_bits` included.

use eqisa_isa::angle::{self, RAW, quantize};
use eqisa_isa::sweep::{
    Coef, Column, Index, MAX_DECIMAL_EXPONENT, MAX_POINTS, Rule, Slot, SweepTable, slot_index,
};
use eqisa_lower::program::{NativeOp, NativeProgram, TimedOp};

use crate::error::AssembleError;

/// A sweep coded as one template and a table.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepPlan {
    /// The first point, its angles on the table's grid (the finest grid among the points).
    pub template: NativeProgram,
    /// What the other points change.
    pub table: SweepTable,
}

/// How far back an offset rule looks for an earlier slot with the same angle up to a constant.
const OFFSET_WINDOW: usize = 256;
/// Largest denominator a coefficient is snapped to (`2γ`, `γ/2`, `-4β/3`).
const MAX_DENOMINATOR: i64 = 16;

/// Plan `points` (lowered from one program at the input rows `values`, one row per point, a
/// value per input column) as one template and a table. `Ok(None)` when they cannot share a
/// template: their shapes differ (an rz that vanishes at some point, another synthesis), or
/// their angles are exact f64 ([`angle::RAW`]) rather than on a grid; the caller then codes
/// every point as its own circuit.
///
/// # Errors
/// [`AssembleError::Sweep`] when there are no points, more than
/// [`eqisa_isa::sweep::MAX_POINTS`], or the rows do not match the points.
pub fn plan_sweep(
    points: &[NativeProgram],
    values: &[Vec<f64>],
) -> Result<Option<SweepPlan>, AssembleError> {
    let Some(first) = points.first() else {
        return Err(AssembleError::Sweep("no points"));
    };
    if points.len() != values.len() {
        return Err(AssembleError::Sweep(
            "one row of values per point is needed",
        ));
    }
    let n = u32::try_from(points.len())
        .ok()
        .filter(|&n| n <= MAX_POINTS)
        .ok_or(AssembleError::Sweep("more points than a sweep table holds"))?;
    let ncols = values.first().map_or(0, Vec::len);
    if values.iter().any(|r| r.len() != ncols) {
        return Err(AssembleError::Sweep("rows of values differ in length"));
    }
    if ncols > eqisa_isa::sweep::MAX_COLUMNS {
        return Err(AssembleError::Sweep("more inputs than a sweep table holds"));
    }
    if points.iter().any(|p| !same_shape(first, p)) {
        return Ok(None);
    }
    let has_rz = first.ops.iter().any(|o| matches!(o.op, NativeOp::Rz(_)));
    let bits = points.iter().map(|p| p.angle_bits).max().unwrap_or(RAW);
    if has_rz && points.iter().any(|p| p.angle_bits == RAW) {
        // Exact f64 angles have no grid to share.
        return Ok(None);
    }
    // Grids are nested powers of two, so every point's angles lie on the finest one; checked
    // anyway, since the table can only carry what quantises back exactly.
    let grid = if bits == RAW { 1 } else { bits };
    let mut template = first.clone();
    if has_rz {
        template.angle_bits = grid;
    }
    let mut slot_ks: Vec<(u32, Vec<u64>)> = Vec::new();
    for (j, op) in first.ops.iter().enumerate() {
        let NativeOp::Rz(_) = op.op else { continue };
        let mut ks = Vec::with_capacity(points.len());
        for p in points {
            let Some(NativeOp::Rz(a)) = p.ops.get(j).map(|o| o.op) else {
                return Ok(None);
            };
            let k = quantize(a, grid);
            if angle::dequantize(k, grid).to_bits() != a.to_bits() {
                return Ok(None);
            }
            ks.push(k);
        }
        if ks.iter().any(|&k| Some(&k) != ks.first()) {
            let op = u32::try_from(j).map_err(|_| AssembleError::Sweep("too many operations"))?;
            slot_ks.push((op, ks));
        }
    }
    let columns: Vec<Column> = (0..ncols)
        .map(|c| {
            let col: Vec<f64> = values
                .iter()
                .map(|r| r.get(c).copied().unwrap_or(0.0))
                .collect();
            code_column(&col)
        })
        .collect();
    // The values the decoder will see: the columns as coded (equal to `values` bit for bit).
    let decoded: Vec<Vec<f64>> = (0..n)
        .map(|i| columns.iter().map(|c| c.value(i)).collect::<Result<_, _>>())
        .collect::<Result<_, _>>()?;
    // Each point's own grid, as a shift from the finest: a linear rule snaps there.
    let mut shifts: Vec<u8> = points
        .iter()
        .map(|p| {
            if has_rz {
                grid - p.angle_bits.max(1).min(grid)
            } else {
                0
            }
        })
        .collect();
    if shifts.iter().all(|&s| s == 0) {
        shifts.clear();
    }
    let mut slots: Vec<Slot> = Vec::with_capacity(slot_ks.len());
    for (pos, (op, ks)) in slot_ks.iter().enumerate() {
        let earlier = slot_ks.get(..pos).unwrap_or(&[]);
        let rule = offset_rule(ks, earlier, grid)
            .or_else(|| linear_rule(ks, &decoded, grid, &shifts))
            .or_else(|| stepped_rule(ks, &columns, grid, &shifts))
            .unwrap_or_else(|| Rule::Listed(ks.clone()));
        slots.push(Slot { op: *op, rule });
    }
    let table = SweepTable {
        points: n,
        angle_bits: grid,
        shifts,
        columns,
        slots,
    };
    // The plan must rebuild what it was given: checked here with the decoder's own evaluation.
    for (i, (_, row)) in points.iter().zip(values).enumerate() {
        let got = table.values_at(i as u32)?;
        if got.iter().zip(row).any(|(a, b)| a.to_bits() != b.to_bits()) {
            return Err(AssembleError::Sweep("a column does not rebuild its values"));
        }
        let ks = table.slot_indices(i as u32)?;
        if ks
            .iter()
            .zip(&slot_ks)
            .any(|(k, (_, want))| want.get(i) != Some(k))
        {
            return Err(AssembleError::Sweep("a slot does not rebuild its angles"));
        }
    }
    Ok(Some(SweepPlan { template, table }))
}

/// Every point of `table`, rebuilt from `template`.
///
/// # Errors
/// As [`expand_point`].
pub fn expand(
    template: &NativeProgram,
    table: &SweepTable,
) -> Result<Vec<NativeProgram>, AssembleError> {
    (0..table.points)
        .map(|i| expand_point(template, table, i))
        .collect()
}

/// Point `i` of `table`, rebuilt from `template`: its slot angles set from the table.
///
/// # Errors
/// [`AssembleError::Sweep`] when a slot is not an rz of the template or the template is not on
/// the table's grid; [`AssembleError::Isa`] when the table cannot be evaluated at `i`.
pub fn expand_point(
    template: &NativeProgram,
    table: &SweepTable,
    i: u32,
) -> Result<NativeProgram, AssembleError> {
    if !table.slots.is_empty() && template.angle_bits != table.angle_bits {
        return Err(AssembleError::Sweep(
            "the template is not on the table's angle grid",
        ));
    }
    let angles = table.slot_angles(i)?;
    let mut p = template.clone();
    if !table.slots.is_empty() || !table.shifts.is_empty() {
        p.angle_bits = table.point_bits(i);
    }
    for (s, a) in table.slots.iter().zip(angles) {
        match p.ops.get_mut(s.op as usize) {
            Some(TimedOp {
                op: NativeOp::Rz(x),
                ..
            }) => *x = a,
            _ => {
                return Err(AssembleError::Sweep("a slot is not an rz of the template"));
            }
        }
    }
    Ok(p)
}

/// Whether `b` has `a`'s shape: everything equal bit for bit except rz angles.
fn same_shape(a: &NativeProgram, b: &NativeProgram) -> bool {
    a.target == b.target
        && a.num_qubits == b.num_qubits
        && a.num_clbits == b.num_clbits
        && a.qregs == b.qregs
        && a.cregs == b.cregs
        && a.conditions == b.conditions
        && a.duration_ns.to_bits() == b.duration_ns.to_bits()
        && a.ops.len() == b.ops.len()
        && a.ops.iter().zip(&b.ops).all(|(x, y)| {
            let op = match (x.op, y.op) {
                (NativeOp::Rz(_), NativeOp::Rz(_)) => true,
                (NativeOp::Delay { ns: p }, NativeOp::Delay { ns: q }) => {
                    p.to_bits() == q.to_bits()
                }
                (p, q) => p == q,
            };
            op && x.qubits == y.qubits
                && x.cond == y.cond
                && x.start_ns.to_bits() == y.start_ns.to_bits()
                && x.duration_ns.to_bits() == y.duration_ns.to_bits()
        })
}

/// The same angle as a recent earlier slot up to a constant grid shift (the cost angle of every
/// edge of a QAOA layer): two or three bytes instead of a rule or a list.
fn offset_rule(ks: &[u64], earlier: &[(u32, Vec<u64>)], bits: u8) -> Option<Rule> {
    let mask = (1u64 << bits) - 1;
    let first = *ks.first()?;
    let window = earlier.len().min(OFFSET_WINDOW);
    (1..=window).find_map(|back| {
        let (_, e) = earlier.get(earlier.len() - back)?;
        let add = first.wrapping_sub(*e.first()?) & mask;
        let fits = ks
            .iter()
            .zip(e)
            .all(|(k, x)| x.wrapping_add(add) & mask == *k);
        fits.then_some(Rule::Offset {
            back: back as u32,
            add,
        })
    })
}

/// An affine rule `k = quantize(b + Σ a_c·x_c)` that reproduces `ks` exactly, if one is found:
/// slopes estimated from the closest pairs of points (the angle difference unwrapped a few ways,
/// snapped to small rationals), the constant chosen in the middle of the interval every point
/// allows, and the whole rule verified with [`slot_index`].
fn linear_rule(ks: &[u64], values: &[Vec<f64>], bits: u8, shifts: &[u8]) -> Option<Rule> {
    let ncols = values.first().map_or(0, Vec::len);
    let varying: Vec<usize> = (0..ncols)
        .filter(|&c| {
            let x0 = values.first().and_then(|r| r.get(c));
            values.iter().any(|r| r.get(c) != x0)
        })
        .collect();
    // Slopes are read off grid indices of the coarsest point's precision.
    let coarse = bits
        .saturating_sub(shifts.iter().copied().max().unwrap_or(0))
        .max(1);
    let mut candidates: Vec<Vec<(u32, Coef)>> = Vec::new();
    // One input alone: the slope along that column, whatever the others do.
    for &c in &varying {
        for a in slopes(ks, values, c, bits, coarse, false) {
            candidates.push(vec![(c as u32, a)]);
        }
    }
    // Several inputs: each slope from pairs that differ in that input only (a product grid).
    if varying.len() > 1 {
        let per: Vec<Vec<Coef>> = varying
            .iter()
            .map(|&c| {
                slopes(ks, values, c, bits, coarse, true)
                    .into_iter()
                    .take(2)
                    .collect()
            })
            .collect();
        let mut combos: Vec<Vec<(u32, Coef)>> = vec![Vec::new()];
        for (&c, options) in varying.iter().zip(&per) {
            let mut next = Vec::new();
            for combo in &combos {
                for a in options {
                    let mut t = combo.clone();
                    if a.value() != 0.0 {
                        t.push((c as u32, *a));
                    }
                    next.push(t);
                }
            }
            combos = next;
            if combos.len() > 64 {
                break;
            }
        }
        candidates.extend(combos.into_iter().filter(|t| t.len() > 1));
    }
    candidates
        .into_iter()
        .find_map(|terms| fit_constant(ks, values, terms, bits, shifts))
}

/// The grid index as a function of one progression column's step (the fewest steps wins):
/// for angles that are no affine function of an input, one index per distinct value.
fn stepped_rule(ks: &[u64], columns: &[Column], bits: u8, shifts: &[u8]) -> Option<Rule> {
    let shift = |i: usize| shifts.get(i).copied().unwrap_or(0);
    let mut best: Option<Rule> = None;
    for (c, col) in columns.iter().enumerate() {
        // Per step, the index of the point on the finest grid that takes it.
        let mut table: Vec<Option<(u8, u64)>> = Vec::new();
        let mut progression = true;
        for (i, &k) in ks.iter().enumerate() {
            let Some(m) = col.step(i as u32) else {
                progression = false;
                break;
            };
            let m = m as usize;
            if table.len() <= m {
                table.resize(m + 1, None);
            }
            if let Some(entry) = table.get_mut(m)
                && entry.is_none_or(|(s, _)| shift(i) < s)
            {
                *entry = Some((shift(i), k));
            }
        }
        if !progression || table.len() >= ks.len() {
            continue;
        }
        let rule = Rule::Stepped {
            column: c as u32,
            // A step no point takes (a period longer than the points) is never read.
            ks: table.iter().map(|e| e.map_or(0, |(_, k)| k)).collect(),
        };
        let exact = ks
            .iter()
            .enumerate()
            .all(|(i, &k)| slot_index(&rule, bits, shift(i), i as u32, columns, &[], &[]) == Ok(k));
        let shorter = match &best {
            Some(Rule::Stepped { ks: b, .. }) => table.len() < b.len(),
            _ => true,
        };
        if exact && shorter {
            best = Some(rule);
        }
    }
    best
}

/// Candidate slopes of the angle along column `c`, simplest first, from the pair of points
/// closest in `c` (with `only`, among pairs equal in every other column).
fn slopes(
    ks: &[u64],
    values: &[Vec<f64>],
    c: usize,
    bits: u8,
    coarse: u8,
    only: bool,
) -> Vec<Coef> {
    let x = |i: usize| values.get(i).and_then(|r| r.get(c)).copied().unwrap_or(0.0);
    let mut order: Vec<usize> = (0..values.len()).collect();
    if only {
        // Group by the other columns' values, then by this one.
        order.sort_by(|&i, &j| {
            let key = |k: usize| -> Vec<u64> {
                values.get(k).map_or_else(Vec::new, |r| {
                    r.iter()
                        .enumerate()
                        .filter(|(d, _)| *d != c)
                        .map(|(_, v)| v.to_bits())
                        .collect()
                })
            };
            key(i).cmp(&key(j)).then(x(i).total_cmp(&x(j)))
        });
    } else {
        order.sort_by(|&i, &j| x(i).total_cmp(&x(j)));
    }
    let others_equal = |i: usize, j: usize| {
        !only
            || values.get(i).zip(values.get(j)).is_some_and(|(a, b)| {
                a.iter()
                    .zip(b)
                    .enumerate()
                    .all(|(d, (u, v))| d == c || u.to_bits() == v.to_bits())
            })
    };
    let best = order
        .windows(2)
        .filter_map(|w| {
            let (i, j) = (*w.first()?, *w.get(1)?);
            let dx = x(j) - x(i);
            (dx != 0.0 && others_equal(i, j)).then_some((dx.abs(), i, j))
        })
        .min_by(|a, b| a.0.total_cmp(&b.0));
    let Some((_, i, j)) = best else {
        return Vec::new();
    };
    let (ki, kj) = (
        ks.get(i).copied().unwrap_or(0),
        ks.get(j).copied().unwrap_or(0),
    );
    let dx = x(j) - x(i);
    let tau = core::f64::consts::TAU;
    let turn = 1u64 << bits;
    // The index difference, as the shorter way round the circle.
    let dk = kj.wrapping_sub(ki) & (turn - 1);
    let dk = if dk > turn / 2 {
        dk as f64 - turn as f64
    } else {
        dk as f64
    };
    let dtheta = dk * tau / turn as f64;
    // Both ends are snapped, so the slope is known to within a (coarsest) grid step over dx.
    let coarse_step = tau / (1u64 << coarse) as f64;
    let tol = 1.5 * coarse_step / dx.abs();
    // Pairs ever wider (from the point with the smallest value), each unwrapped by the estimate
    // the narrower one gave, pin the slope to a grid step over the whole range instead of over
    // the closest pair; each step widens about 8-fold, so the unwrapping stays unambiguous
    // (the estimate's error over the wider pair stays far below a turn).
    let mut estimates = Vec::new();
    for m in [0.0, 1.0, -1.0, 2.0, -2.0] {
        let a = (dtheta + m * tau) / dx;
        if !only && let Some(&i0) = order.first() {
            let mut est = a;
            let mut span = dx.abs();
            let last = order.len().saturating_sub(1);
            for (n, &j) in order.iter().enumerate() {
                let d = x(j) - x(i0);
                if d <= span || (d < 8.0 * span && n != last) {
                    continue;
                }
                let wk = ks
                    .get(j)
                    .copied()
                    .unwrap_or(0)
                    .wrapping_sub(ks.get(i0).copied().unwrap_or(0))
                    & (turn - 1);
                let wtheta = wk as f64 * tau / turn as f64;
                let turns = ((est * d - wtheta) / tau).round();
                est = (wtheta + turns * tau) / d;
                span = d;
            }
            if est.is_finite() && span > dx.abs() {
                estimates.push((est, 1.5 * coarse_step / span));
            }
        }
        estimates.push((a, tol));
    }
    let mut out = Vec::new();
    for (a, tol) in estimates {
        let mut rationals: Vec<(i64, i64)> = Vec::new();
        for q in 1..=MAX_DENOMINATOR {
            let p = (a * q as f64).round();
            if p.abs() < 1e9 && (p / q as f64 - a).abs() <= tol {
                let p = p as i64;
                if !rationals.iter().any(|&(pp, qq)| pp * q == p * qq) {
                    rationals.push((p, q));
                }
            }
        }
        out.extend(rationals.into_iter().map(|(p, q)| Coef::Ratio(p, q as u64)));
        if a.is_finite() {
            out.push(Coef::Float(a));
        }
    }
    out
}

/// The constant `b` for slopes `terms`, if one reproduces `ks` at every point: each point allows
/// an interval one grid step wide; `b` is the middle of their intersection.
fn fit_constant(
    ks: &[u64],
    values: &[Vec<f64>],
    terms: Vec<(u32, Coef)>,
    bits: u8,
    shifts: &[u8],
) -> Option<Rule> {
    let tau = core::f64::consts::TAU;
    let wrap = |t: f64| {
        let r = t.rem_euclid(tau);
        if r > core::f64::consts::PI {
            r - tau
        } else {
            r
        }
    };
    let slope_part = |row: &[f64]| -> f64 {
        terms
            .iter()
            .map(|(c, a)| a.value() * row.get(*c as usize).copied().unwrap_or(0.0))
            .sum()
    };
    let mut base = None;
    let (mut lo, mut hi) = (f64::NEG_INFINITY, f64::INFINITY);
    for (i, (k, row)) in ks.iter().zip(values).enumerate() {
        let target = angle::dequantize(*k, bits) - slope_part(row);
        let r0 = *base.get_or_insert(target);
        let d = wrap(target - r0);
        // The point's own grid step: a coarser grid allows a wider interval.
        let shift = shifts.get(i).copied().unwrap_or(0);
        let step = tau / (1u64 << bits.saturating_sub(shift).max(1)) as f64;
        lo = lo.max(d - step / 2.0);
        hi = hi.min(d + step / 2.0);
        if lo >= hi {
            return None;
        }
    }
    let b = wrap(base? + (lo + hi) / 2.0);
    let rule = Rule::Linear { b, terms };
    let exact = ks.iter().zip(values).enumerate().all(|(i, (k, row))| {
        let shift = shifts.get(i).copied().unwrap_or(0);
        slot_index(&rule, bits, shift, i as u32, &[], row, &[]).is_ok_and(|got| got == *k)
    });
    exact.then_some(rule)
}

/// The cheapest exact coding of one input's values: a decimal or binary progression over a
/// product-grid index, or raw.
fn code_column(v: &[f64]) -> Column {
    let n = v.len();
    let same = |a: f64, b: f64| a.to_bits() == b.to_bits();
    let Some(&v0) = v.first() else {
        return Column::Raw(Vec::new());
    };
    // Points per step: the first run of equal values.
    let div = v.iter().take_while(|&&x| same(x, v0)).count().max(1);
    // Steps before the column starts over: the first step back at the first value.
    let steps: Vec<f64> = v.iter().step_by(div).copied().collect();
    let period = steps
        .iter()
        .skip(1)
        .position(|&x| same(x, v0))
        .map_or(0, |p| p + 1);
    let index = Index {
        div: u32::try_from(div).unwrap_or(u32::MAX),
        period: if div >= n { 1 } else { period as u32 },
    };
    let distinct: Vec<f64> = if index.period == 0 {
        steps.clone()
    } else {
        steps.iter().take(index.period as usize).copied().collect()
    };
    let fits = |c: &Column| {
        v.iter()
            .enumerate()
            .all(|(i, x)| c.value(i as u32).is_ok_and(|y| same(*x, y)))
    };
    if let Some(c) = decimal(&distinct, index).filter(fits) {
        return c;
    }
    let start = v0;
    let last = distinct.last().copied().unwrap_or(v0);
    let count = distinct.len().max(2) as f64 - 1.0;
    let mut steps = vec![
        distinct.get(1).map_or(0.0, |x| x - start),
        (last - start) / count,
    ];
    // The step a program wrote as short decimal text (`0.005`), which the differences of
    // rounded values miss by an ulp: the estimate rounded to each number of significant digits.
    let estimate = (last - start) / count;
    for digits in 0..17 {
        if let Ok(s) = format!("{estimate:.digits$e}").parse::<f64>() {
            steps.push(s);
        }
    }
    for step in steps {
        let c = Column::Float { index, start, step };
        if fits(&c) {
            return c;
        }
    }
    Column::Raw(v.to_vec())
}

/// `distinct` as integers over a power of ten, `n_m = n_0 + m·step`, if they are.
fn decimal(distinct: &[f64], index: Index) -> Option<Column> {
    let mut scale = 1.0f64;
    for exponent in 0..=MAX_DECIMAL_EXPONENT {
        let ints: Option<Vec<i64>> = distinct
            .iter()
            .map(|&x| {
                let n = (x * scale).round();
                // Integers beyond 2^53 are not all exact f64: not a decimal text's value.
                (n.abs() < 9.007_199_254_740_992e15 && (n / scale).to_bits() == x.to_bits())
                    .then_some(n as i64)
            })
            .collect();
        if let Some(ints) = ints {
            let start = *ints.first()?;
            let step = ints.get(1).map_or(0, |n| n - start);
            let linear = ints.iter().enumerate().all(|(m, &x)| {
                (m as i64)
                    .checked_mul(step)
                    .and_then(|d| d.checked_add(start))
                    == Some(x)
            });
            return linear.then_some(Column::Decimal {
                index,
                start,
                step,
                exponent,
            });
        }
        scale *= 10.0;
    }
    None
}

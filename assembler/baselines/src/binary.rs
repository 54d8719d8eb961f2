//! The baselines EQISA is measured against, computed on the same [`NativeProgram`]:
//! the paper's opcode-only count, a plain fixed-width binary instruction stream (which
//! [`crate::compress`] hands to the general-purpose compressors) and the stream's order-0 entropy.
//!
//! # Opcode sets
//!
//! * `native`: {rz, sx, x, cz | ecr, measure, reset, delay, barrier} — 8 opcodes, 3 bits (a
//!   program uses cz or ecr, never both; the entangling gate takes one slot).
//! * `clifford+t`: {h, s, sdg, t, tdg, x, y, z, cx, measure, reset, delay, barrier} — 13
//!   opcodes, 4 bits.
//!
//! An operation outside its target's set (the lowering never emits one) is appended to the set,
//! names sorted, so every count stays total.
//!
//! # The binary stream
//!
//! One record per operation, fields in this order, each MSB-first ([`eqisa_isa::BitWriter`]):
//!
//! | field | width |
//! |---|---|
//! | opcode | `⌈log2 #opcodes⌉` |
//! | condition flag (only if the program has conditions) | 1 |
//! | condition index (only when the flag is set) | `⌈log2 #conditions⌉` |
//! | barrier: qubit count | `⌈log2 (num_qubits + 1)⌉` |
//! | each qubit operand | `⌈log2 num_qubits⌉` |
//! | rz: angle | `angle_bits` (grid index, [`eqisa_isa::angle::quantize`]; capped at 40), or 64 raw bits when `angle_bits` is 0 |
//! | measure: clbit | `⌈log2 num_clbits⌉` |
//! | delay: duration | 64 (the f64 nanoseconds) |
//! | start time | `⌈log2 (max start tick + 1)⌉`, ticks of the target's `dt` (start / dt, rounded) |
//!
//! A width of 0 (one qubit, one clbit, every start at tick 0) means the field is absent. A `dt`
//! that is not a positive finite number gives no timing field. [`binary_stream_aligned`] rounds
//! every present field up to whole bytes: general-purpose compressors model bytes, so they get
//! that version too and [`crate::compress::best_general_purpose`] keeps, per compressor, the smaller result.
//!
//! # Order-0 entropy
//!
//! [`entropy_order0`] treats each operation as one symbol: the whole tuple (opcode, qubit
//! operands, payload, condition), the payload being the rz angle index at `angle_bits`, the
//! measured clbit, or the delay's f64 bits. Timing is left out (it follows from the schedule).
//! The result is `N·H` for the empirical distribution of those symbols: the size of an ideal
//! memoryless code that knows the distribution for free.

use std::collections::BTreeMap;

use eqisa_isa::BitWriter;
use eqisa_isa::angle::{MAX_BITS, RAW, quantize};
use eqisa_lower::program::{NativeOp, NativeProgram};
use eqisa_lower::target::TargetKind;

/// The native target's opcodes, in opcode order (`cz|ecr` is the entangling gate's slot).
pub const NATIVE_OPCODES: [&str; 8] = [
    "rz", "sx", "x", "cz|ecr", "measure", "reset", "delay", "barrier",
];

/// The Clifford+T target's opcodes, in opcode order.
pub const CLIFFORD_T_OPCODES: [&str; 13] = [
    "h", "s", "sdg", "t", "tdg", "x", "y", "z", "cx", "measure", "reset", "delay", "barrier",
];

/// A bit-packed stream: `bits` meaningful bits, MSB-first, zero-padded to whole `bytes`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Packed {
    /// The bytes (the last one padded with zero bits).
    pub bytes: Vec<u8>,
    /// Number of meaningful bits.
    pub bits: u64,
}

/// `⌈log2 n⌉` (0 for `n ≤ 1`).
pub fn ceil_log2(n: u64) -> u32 {
    if n <= 1 {
        0
    } else {
        64 - (n - 1).leading_zeros()
    }
}

/// The opcode names of `program`'s target (plus, sorted, any foreign operation it contains).
pub fn opcode_table(program: &NativeProgram) -> Vec<&'static str> {
    let base: &[&'static str] = match program.target {
        TargetKind::Native => &NATIVE_OPCODES,
        TargetKind::CliffordT => &CLIFFORD_T_OPCODES,
    };
    let mut table = base.to_vec();
    let mut extra: Vec<&'static str> = program
        .ops
        .iter()
        .map(|o| o.op.name())
        .filter(|name| slot(base, name).is_none())
        .collect();
    extra.sort_unstable();
    extra.dedup();
    table.extend(extra);
    table
}

/// Index of an operation name in a table (`cz` and `ecr` share the `cz|ecr` slot).
fn slot(table: &[&str], name: &str) -> Option<usize> {
    table
        .iter()
        .position(|&t| t == name || (t == "cz|ecr" && (name == "cz" || name == "ecr")))
}

/// The paper's binary count: `⌈log2 #opcodes⌉` bits per operation, opcodes only.
pub fn binary_opcode_bits(program: &NativeProgram) -> u64 {
    let w = ceil_log2(opcode_table(program).len() as u64);
    u64::from(w) * program.ops.len() as u64
}

/// Field widths of the binary stream (module doc), in bits; 0 = field absent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Widths {
    /// Opcode.
    pub opcode: u32,
    /// Condition flag: 1 if the program has conditions, else 0.
    pub cond_flag: u32,
    /// Condition index (written only when the flag is set).
    pub cond_index: u32,
    /// A qubit operand.
    pub qubit: u32,
    /// A barrier's qubit count.
    pub barrier_count: u32,
    /// An rz angle.
    pub angle: u32,
    /// A measurement's clbit.
    pub clbit: u32,
    /// A delay's duration.
    pub delay: u32,
    /// The start time in ticks.
    pub tick: u32,
}

/// Start tick of an operation (0 when `dt_ns` is unusable).
fn tick(start_ns: f64, dt_ns: f64) -> u64 {
    if dt_ns.is_finite() && dt_ns > 0.0 {
        // Saturating float-to-int conversion: NaN → 0, huge → u64::MAX.
        (start_ns / dt_ns).round() as u64
    } else {
        0
    }
}

/// The field widths for `program` at `angle_bits` and sample period `dt_ns`.
pub fn widths(program: &NativeProgram, angle_bits: u8, dt_ns: f64) -> Widths {
    let has_cond = !program.conditions.is_empty();
    let max_tick = program
        .ops
        .iter()
        .map(|o| tick(o.start_ns, dt_ns))
        .max()
        .unwrap_or(0);
    Widths {
        opcode: ceil_log2(opcode_table(program).len() as u64),
        cond_flag: u32::from(has_cond),
        cond_index: if has_cond {
            ceil_log2(program.conditions.len() as u64)
        } else {
            0
        },
        qubit: ceil_log2(u64::from(program.num_qubits)),
        barrier_count: ceil_log2(u64::from(program.num_qubits) + 1),
        angle: if angle_bits == RAW {
            64
        } else {
            u32::from(angle_bits.min(MAX_BITS))
        },
        clbit: ceil_log2(u64::from(program.num_clbits)),
        delay: 64,
        tick: if max_tick == 0 {
            0
        } else {
            64 - max_tick.leading_zeros()
        },
    }
}

/// Writes every record with the widths transformed by `w` (identity, or round up to bytes).
fn write_stream(
    program: &NativeProgram,
    angle_bits: u8,
    dt_ns: f64,
    round: impl Fn(u32) -> u32,
) -> Packed {
    let wd = widths(program, angle_bits, dt_ns);
    let table = opcode_table(program);
    let mut w = BitWriter::new();
    let put = |w: &mut BitWriter, value: u64, width: u32| {
        if width > 0 {
            w.write_bits(value, round(width));
        }
    };
    for op in &program.ops {
        let code = slot(&table, op.op.name()).unwrap_or(0) as u64;
        put(&mut w, code, wd.opcode);
        if wd.cond_flag > 0 {
            put(&mut w, u64::from(op.cond.is_some()), wd.cond_flag);
            if let Some(c) = op.cond {
                put(&mut w, u64::from(c), wd.cond_index);
            }
        }
        if op.op == NativeOp::Barrier {
            put(&mut w, op.qubits.len() as u64, wd.barrier_count);
        }
        for &q in &op.qubits {
            put(&mut w, u64::from(q), wd.qubit);
        }
        match op.op {
            NativeOp::Rz(theta) => put(&mut w, quantize(theta, angle_bits), wd.angle),
            NativeOp::Measure { clbit } => put(&mut w, u64::from(clbit), wd.clbit),
            NativeOp::Delay { ns } => put(&mut w, ns.to_bits(), wd.delay),
            _ => {}
        }
        put(&mut w, tick(op.start_ns, dt_ns), wd.tick);
    }
    let bits = w.bit_len();
    Packed {
        bytes: w.finish(),
        bits,
    }
}

/// The fixed-width binary stream of `program` (module doc): rz angles at `angle_bits` (0 = raw
/// f64), start times in ticks of `dt_ns`.
pub fn binary_stream(program: &NativeProgram, angle_bits: u8, dt_ns: f64) -> Packed {
    write_stream(program, angle_bits, dt_ns, |w| w)
}

/// [`binary_stream`] with every present field rounded up to whole bytes.
pub fn binary_stream_aligned(program: &NativeProgram, angle_bits: u8, dt_ns: f64) -> Packed {
    write_stream(program, angle_bits, dt_ns, |w| w.div_ceil(8) * 8)
}

/// The empirical order-0 entropy of the operation stream, `N·H`, in bits (module doc).
pub fn entropy_order0(program: &NativeProgram, angle_bits: u8) -> f64 {
    type Symbol<'a> = (&'static str, &'a [u32], u64, Option<u32>);
    let mut counts: BTreeMap<Symbol<'_>, u64> = BTreeMap::new();
    for op in &program.ops {
        let payload = match op.op {
            NativeOp::Rz(theta) => quantize(theta, angle_bits),
            NativeOp::Measure { clbit } => u64::from(clbit),
            NativeOp::Delay { ns } => ns.to_bits(),
            _ => 0,
        };
        *counts
            .entry((op.op.name(), op.qubits.as_slice(), payload, op.cond))
            .or_insert(0) += 1;
    }
    let n = program.ops.len() as f64;
    counts
        .values()
        .map(|&c| {
            let c = c as f64;
            c * (n / c).log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceil_log2_values() {
        let got: Vec<u32> = [0, 1, 2, 3, 4, 5, 8, 9, 13, 16, 17]
            .iter()
            .map(|&n| ceil_log2(n))
            .collect();
        assert_eq!(got, vec![0, 0, 1, 2, 2, 3, 3, 4, 4, 4, 5]);
    }

    #[test]
    fn opcode_slots() {
        assert_eq!(slot(&NATIVE_OPCODES, "cz"), Some(3));
        assert_eq!(slot(&NATIVE_OPCODES, "ecr"), Some(3));
        assert_eq!(slot(&NATIVE_OPCODES, "h"), None);
        assert_eq!(slot(&CLIFFORD_T_OPCODES, "barrier"), Some(12));
    }

    #[test]
    fn ticks_round_and_tolerate_bad_dt() {
        assert_eq!(tick(32.0, 0.5), 64);
        assert_eq!(tick(0.2, 0.5), 0);
        assert_eq!(tick(10.0, 0.0), 0);
        assert_eq!(tick(10.0, f64::NAN), 0);
    }
}

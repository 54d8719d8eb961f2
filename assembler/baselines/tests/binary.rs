//! The baseline encoders on programs lowered from `circuits/examples`: field widths as
//! documented, stream sizes equal to the sum of the fields (and the fields read back), the
//! compressors round-trip, and the order-0 entropy on streams whose entropy is known.

use eqisa_baselines::binary::{
    CLIFFORD_T_OPCODES, NATIVE_OPCODES, Widths, binary_opcode_bits, binary_stream,
    binary_stream_aligned, ceil_log2, entropy_order0, widths,
};
use eqisa_baselines::compress::{self, general_purpose};
use eqisa_isa::BitReader;
use eqisa_isa::angle::quantize;
use eqisa_lower::clifford_t::{Budget, Synth};
use eqisa_lower::program::{NativeOp, NativeProgram};
use eqisa_lower::target::{TargetDesc, TargetKind};
use eqisa_lower::{LowerOptions, lower};

use eqisa_test_support::example;

fn lowered(src: &eqisa_ir::Circuit, kind: TargetKind) -> (NativeProgram, f64) {
    let target = TargetDesc::default_for(kind);
    let opts = LowerOptions {
        synth: Synth::Gridsynth,
        budget: Budget::Fidelity(0.99),
    };
    let l = lower(src, &target, &opts).expect("lowers");
    (l.program, target.dt_ns)
}

fn program(file: &str, kind: TargetKind) -> (NativeProgram, f64) {
    let c = eqisa_qasm::parse_file(example(file)).expect("parses");
    lowered(&c, kind)
}

fn program_from(text: &str, kind: TargetKind) -> NativeProgram {
    let c = eqisa_qasm::parse_str(text, "<test>").expect("parses");
    lowered(&c, kind).0
}

/// The field widths of one operation's record, in order (0-width fields left out).
fn record_fields(op: &eqisa_lower::program::TimedOp, w: &Widths) -> Vec<u32> {
    let mut f = vec![w.opcode];
    if w.cond_flag > 0 {
        f.push(1);
        if op.cond.is_some() {
            f.push(w.cond_index);
        }
    }
    if op.op == NativeOp::Barrier {
        f.push(w.barrier_count);
    }
    f.extend(op.qubits.iter().map(|_| w.qubit));
    match op.op {
        NativeOp::Rz(_) => f.push(w.angle),
        NativeOp::Measure { .. } => f.push(w.clbit),
        NativeOp::Delay { .. } => f.push(w.delay),
        _ => {}
    }
    f.push(w.tick);
    f.retain(|&b| b > 0);
    f
}

#[test]
fn opcode_only_counts_use_the_documented_sets() {
    let (native, _) = program("qft4.qasm", TargetKind::Native);
    assert_eq!(NATIVE_OPCODES.len(), 8);
    assert_eq!(
        binary_opcode_bits(&native),
        3 * native.ops.len() as u64,
        "8 native opcodes: 3 bits"
    );
    let (ct, _) = program("qft4.qasm", TargetKind::CliffordT);
    assert_eq!(CLIFFORD_T_OPCODES.len(), 13);
    assert_eq!(
        binary_opcode_bits(&ct),
        4 * ct.ops.len() as u64,
        "13 Clifford+T opcodes: 4 bits"
    );
}

#[test]
fn widths_are_as_documented() {
    let (p, dt) = program("qft4.qasm", TargetKind::Native);
    let w = widths(&p, 12, dt);
    assert_eq!(w.opcode, 3);
    assert_eq!((w.cond_flag, w.cond_index), (0, 0), "no conditions");
    assert_eq!(w.qubit, 2, "4 qubits");
    assert_eq!(w.barrier_count, 3, "0..=4 qubits");
    assert_eq!(w.angle, 12);
    assert_eq!(w.clbit, 2, "4 clbits");
    assert_eq!(w.delay, 64);
    let max_tick = p
        .ops
        .iter()
        .map(|o| (o.start_ns / dt).round() as u64)
        .max()
        .expect("ops");
    assert_eq!(w.tick, ceil_log2(max_tick + 1));
    assert_eq!(widths(&p, 0, dt).angle, 64, "raw angles");
    assert_eq!(widths(&p, 60, dt).angle, 40, "capped at the finest grid");
    assert_eq!(widths(&p, 12, f64::NAN).tick, 0, "no usable dt, no timing");

    // Feed-forward: a condition flag and an index.
    let (t, dt) = program("teleport.qasm3", TargetKind::Native);
    let w = widths(&t, 8, dt);
    assert_eq!(w.cond_flag, 1);
    assert_eq!(w.cond_index, ceil_log2(t.conditions.len() as u64));
    assert!(!t.conditions.is_empty());
    // A one-qubit program has no qubit field.
    let one = program_from(
        "OPENQASM 2.0; include \"qelib1.inc\"; qreg q[1]; creg c[1]; h q[0]; measure q[0] -> c[0];",
        TargetKind::CliffordT,
    );
    let w = widths(&one, 0, 0.5);
    assert_eq!((w.qubit, w.clbit, w.opcode), (0, 0, 4));
}

#[test]
fn stream_sizes_are_the_sum_of_the_fields() {
    for (file, kind) in [
        ("bell.qasm", TargetKind::Native),
        ("qft4.qasm", TargetKind::Native),
        ("qft4.qasm", TargetKind::CliffordT),
        ("adder4.qasm", TargetKind::CliffordT),
        ("teleport.qasm3", TargetKind::Native),
        ("teleport.qasm3", TargetKind::CliffordT),
    ] {
        let (p, dt) = program(file, kind);
        for angle_bits in [0u8, 9] {
            let w = widths(&p, angle_bits, dt);
            let packed: u64 = p
                .ops
                .iter()
                .flat_map(|o| record_fields(o, &w))
                .map(u64::from)
                .sum();
            let aligned: u64 = p
                .ops
                .iter()
                .flat_map(|o| record_fields(o, &w))
                .map(|b| u64::from(b.div_ceil(8) * 8))
                .sum();
            let s = binary_stream(&p, angle_bits, dt);
            assert_eq!(s.bits, packed, "{file} {kind:?} {angle_bits}");
            assert_eq!(s.bytes.len() as u64, s.bits.div_ceil(8));
            let a = binary_stream_aligned(&p, angle_bits, dt);
            assert_eq!(a.bits, aligned, "{file} {kind:?} {angle_bits}");
            assert_eq!(a.bits % 8, 0);
        }
    }
}

#[test]
fn fields_read_back() {
    let (p, dt) = program("qft4.qasm", TargetKind::Native);
    let angle_bits = 10;
    let w = widths(&p, angle_bits, dt);
    let s = binary_stream(&p, angle_bits, dt);
    let mut r = BitReader::new(&s.bytes);
    let mut read = |n: u32| r.read_bits(n).expect("in range");
    for op in &p.ops {
        let code = read(w.opcode) as usize;
        let name = NATIVE_OPCODES[code];
        assert!(
            name == op.op.name() || (name == "cz|ecr" && op.op.name() == "cz"),
            "{name} vs {}",
            op.op.name()
        );
        if op.op == NativeOp::Barrier {
            assert_eq!(read(w.barrier_count) as usize, op.qubits.len());
        }
        for &q in &op.qubits {
            assert_eq!(read(w.qubit), u64::from(q));
        }
        match op.op {
            NativeOp::Rz(theta) => assert_eq!(read(w.angle), quantize(theta, angle_bits)),
            NativeOp::Measure { clbit } => assert_eq!(read(w.clbit), u64::from(clbit)),
            _ => {}
        }
        assert_eq!(read(w.tick), (op.start_ns / dt).round() as u64);
    }
}

#[test]
fn compressors_round_trip() {
    let (p, dt) = program("adder4.qasm", TargetKind::CliffordT);
    for stream in [
        binary_stream(&p, 0, dt),
        binary_stream_aligned(&p, 0, dt),
        Default::default(),
    ] {
        let data = &stream.bytes;
        let bz = compress::compress_bzip2(data).expect("bzip2");
        assert_eq!(&compress::decompress_bzip2(&bz).expect("bunzip2"), data);
        let xz = compress::compress_xz(data).expect("xz");
        assert_eq!(&compress::decompress_xz(&xz).expect("unxz"), data);
        let zs = compress::compress_zstd(data).expect("zstd");
        assert_eq!(&compress::decompress_zstd(&zs).expect("unzstd"), data);
        let gp = general_purpose(data).expect("compress");
        assert_eq!(
            (gp.bzip2, gp.xz, gp.zstd),
            (
                bz.len() as u64 * 8,
                xz.len() as u64 * 8,
                zs.len() as u64 * 8
            )
        );
    }
    assert!(compress::decompress_xz(b"not xz").is_err());
    assert!(compress::decompress_zstd(b"not zstd").is_err());
    assert!(compress::decompress_bzip2(b"not bzip2").is_err());
    // The best of packed and aligned, per compressor.
    let best = compress::best_general_purpose(&p, 0, dt).expect("compress");
    let a = general_purpose(&binary_stream(&p, 0, dt).bytes).expect("compress");
    let b = general_purpose(&binary_stream_aligned(&p, 0, dt).bytes).expect("compress");
    assert_eq!(best.bzip2, a.bzip2.min(b.bzip2));
    assert_eq!(best.xz, a.xz.min(b.xz));
    assert_eq!(best.zstd, a.zstd.min(b.zstd));
}

#[test]
fn outputs_are_deterministic() {
    let (p, dt) = program("qft4.qasm", TargetKind::Native);
    assert_eq!(binary_stream(&p, 7, dt), binary_stream(&p, 7, dt));
    assert_eq!(
        compress::best_general_purpose(&p, 7, dt).expect("compress"),
        compress::best_general_purpose(&p, 7, dt).expect("compress")
    );
    assert_eq!(entropy_order0(&p, 7), entropy_order0(&p, 7));
}

#[test]
fn order0_entropy_of_known_streams() {
    let header = "OPENQASM 2.0; include \"qelib1.inc\"; qreg q[1]; creg c[2];";
    // Ten identical measurements: one symbol, no information.
    let constant = program_from(
        &format!("{header}{}", "measure q[0] -> c[0];".repeat(10)),
        TargetKind::Native,
    );
    assert_eq!(constant.ops.len(), 10);
    assert_eq!(entropy_order0(&constant, 0), 0.0);
    // Two equiprobable symbols: one bit each.
    let two = program_from(
        &format!(
            "{header}{}",
            "measure q[0] -> c[0]; measure q[0] -> c[1];".repeat(8)
        ),
        TargetKind::Native,
    );
    assert_eq!(two.ops.len(), 16);
    assert!((entropy_order0(&two, 0) - 16.0).abs() < 1e-12);
    // Bounded by N·log2(#ops) on a real program.
    let (p, _) = program("qft4.qasm", TargetKind::Native);
    let h = entropy_order0(&p, 12);
    assert!(h > 0.0 && h <= p.ops.len() as f64 * (p.ops.len() as f64).log2());
}

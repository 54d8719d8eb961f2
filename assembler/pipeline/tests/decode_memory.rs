//! `decode` streams: the heap it uses to write a program as OpenQASM does not grow with the
//! number of instructions (the decoded instructions are never collected), for flat programs and
//! for programs written with their loops. Alone in its test binary, because it counts every
//! allocation of the process; its tests take turns ([`SERIAL`]).

use std::alloc::{GlobalAlloc, Layout as AllocLayout, System};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};

use eqisa_assembler::layout::Layout;
use eqisa_encode::StreamEncoder;
use eqisa_ir::circuit::Register;
use eqisa_isa::container::codebook_id;
use eqisa_isa::instr::{Instr, OPCODE_COUNT, Opcode};
use eqisa_isa::model::ProgramParams;
use eqisa_isa::stream::ProgramInfo;
use eqisa_isa::{Container, Header, Section, SectionKind, Target};
use eqisa_pipeline::decode::{QasmSink, decode_program};
use eqisa_pipeline::{AssembleOptions, LoadedCodebook, assemble_structured_program, load_codebook};
use eqisa_test_support::flat_codebook;

/// The system allocator, keeping the bytes live now and the most live since the last reset.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call is forwarded unchanged to `System`; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: AllocLayout) -> *mut u8 {
        // SAFETY: as `System.alloc`, with the caller's layout.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: AllocLayout) {
        // SAFETY: `ptr` was allocated by `System` with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: AllocLayout, new_size: usize) -> *mut u8 {
        // SAFETY: as `System.realloc`, with the caller's arguments.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Held by each test while it measures: another test's allocations would count in its peak.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Counts the bytes written and keeps none.
struct CountingWriter(u64);

impl Write for CountingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A two-qubit program of `n` instructions (sx, sx, cz, rz...) for the flat codebook.
fn program(n: u64, priors: &eqisa_isa::model::Priors, hash: [u8; 32]) -> Vec<u8> {
    let params = ProgramParams {
        target: Target::Native,
        num_qubits: 2,
        num_clbits: 0,
        angle_bits: 8,
        num_conditions: 0,
        dt_ns_bits: 0.2222f64.to_bits(),
        explicit_timing: false,
    };
    let mut durations = [None; OPCODE_COUNT];
    durations[Opcode::Sx as usize] = Some(35.5);
    durations[Opcode::Cz as usize] = Some(68.0);
    durations[Opcode::Rz as usize] = Some(0.0);
    let info = ProgramInfo {
        params,
        durations,
        condition_bits: Vec::new(),
        total_ops: n,
    };
    let mut enc = StreamEncoder::new(priors, params).expect("encoder");
    for i in 0..n {
        let (opcode, qubits, arg): (Opcode, &[u32], u64) = match i % 4 {
            0 => (Opcode::Sx, &[0], 0),
            1 => (Opcode::Sx, &[1], 0),
            2 => (Opcode::Cz, &[0, 1], 0),
            _ => (Opcode::Rz, &[(i / 4 % 2) as u32], i % 256),
        };
        let instr = Instr {
            opcode,
            qubits,
            cond: None,
            arg,
        };
        enc.push(&instr, (0.0, 0.0)).expect("encodes");
    }
    let (instructions, _) = enc.finish().expect("encodes");
    let layout = Layout {
        qregs: vec![Register {
            name: "q".into(),
            start: 0,
            size: 2,
        }],
        cregs: Vec::new(),
        conditions: Vec::new(),
    };
    let header = Header {
        codebook_id: codebook_id(&hash),
        qubit_count: 2,
        clbit_count: 0,
        target: Target::Native,
    };
    let sections = vec![
        Section {
            kind: SectionKind::Program,
            payload: info.to_bytes(),
        },
        Section {
            kind: SectionKind::Metadata,
            payload: layout.to_bytes(),
        },
        Section {
            kind: SectionKind::Instructions,
            payload: instructions,
        },
    ];
    Container { header, sections }
        .to_bytes()
        .expect("container")
}

/// The most heap live at once while `bytes` is decoded to OpenQASM, above what was live
/// before; and the bytes of text written.
fn peak_while_decoding(bytes: &[u8], cb: &LoadedCodebook) -> (usize, u64) {
    let mut out = CountingWriter(0);
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let sink = QasmSink {
        writer: &mut out,
        name: "out.qasm",
    };
    let summary = decode_program(bytes, "prog.eqb", cb, Some(sink)).expect("decodes");
    let peak = PEAK.load(Ordering::Relaxed) - before;
    assert!(summary.native_ops > 0);
    (peak, out.0)
}

#[test]
fn decoding_to_text_uses_the_same_heap_for_eight_times_the_instructions() {
    let _turn = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let (codebook, hash) = flat_codebook();
    let cb = LoadedCodebook {
        codebook,
        hash,
        pulse_atoms: None,
        bytes: 0,
        origin: "the flat codebook".into(),
    };
    let small = program(20_000, &cb.codebook.priors, hash);
    let large = program(160_000, &cb.codebook.priors, hash);
    let (peak_small, text_small) = peak_while_decoding(&small, &cb);
    let (peak_large, text_large) = peak_while_decoding(&large, &cb);
    // Every instruction became a line of text...
    assert!(text_large > 7 * text_small, "{text_small} {text_large}");
    // ...yet the heap did not grow with them: collecting 140,000 more instructions would take
    // several megabytes; the allowance is a few buffers' rounding.
    assert!(
        peak_large <= peak_small + (64 << 10),
        "peak heap {peak_small} B for 20,000 instructions, {peak_large} B for 160,000"
    );
}

/// A Stim circuit of `n` straight rounds (`H 0`, `CX 0 1`) and then a counted loop, assembled
/// with its loop kept: the text the decoder releases grows with `n`.
fn looped_program(n: usize, cb: &LoadedCodebook) -> Vec<u8> {
    let mut text = String::new();
    for _ in 0..n {
        text.push_str("H 0\nCX 0 1\n");
    }
    text.push_str("REPEAT 100 {\n    H 0\n    M 1\n}\n");
    let stim = eqisa_stim::parse_stim(&text, "rounds.stim").expect("parses");
    let opts = AssembleOptions {
        no_baselines: true,
        ..AssembleOptions::default()
    };
    assemble_structured_program(&stim.program, &[], "rounds.stim", cb, &opts)
        .expect("assembles")
        .expect("loop kept")
        .bytes
}

#[test]
fn writing_a_program_with_its_loops_uses_the_same_heap_for_eight_times_the_text() {
    let _turn = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let cb = load_codebook(None).expect("embedded codebook");
    let small = looped_program(2_000, &cb);
    let large = looped_program(16_000, &cb);
    let (peak_small, text_small) = peak_while_decoding(&small, &cb);
    let (peak_large, text_large) = peak_while_decoding(&large, &cb);
    assert!(text_large > 6 * text_small, "{text_small} {text_large}");
    // Collecting the 14,000 more rounds' operations would take megabytes.
    assert!(
        peak_large <= peak_small + (64 << 10),
        "peak heap {peak_small} B for 2,000 rounds, {peak_large} B for 16,000"
    );
}

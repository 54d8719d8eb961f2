//! The C functions called from Rust: a program decoded chunk by chunk in the memory
//! `eqisa_memory_needed` asks for, with no allocation after the first instruction, and bad input
//! (not a program, truncated, corrupted, another codebook, too little memory, NULL pointers)
//! refused with its code and message, never a crash.

use std::ffi::CStr;
use std::ptr;

use eqisa_decoder_ffi::{
    EqisaDecoder, EqisaEvent, EqisaEventKind, EqisaMemoryStats, EqisaRequirements, EqisaStatus,
    eqisa_decoder_feed, eqisa_decoder_finish, eqisa_decoder_init, eqisa_decoder_last_error,
    eqisa_decoder_memory_stats, eqisa_decoder_next, eqisa_decoder_release, eqisa_error_message,
    eqisa_last_error, eqisa_memory_needed, eqisa_opcode_name,
};
use eqisa_encode::StreamEncoder;
use eqisa_isa::codebook::Codebook;
use eqisa_isa::container::codebook_id;
use eqisa_isa::instr::{Instr, OPCODE_COUNT, Opcode};
use eqisa_isa::model::ProgramParams;
use eqisa_isa::stream::ProgramInfo;
use eqisa_isa::{Container, Header, Section, SectionKind, Target};

const DEFAULT: &[u8] = include_bytes!("../../../codebooks/default.eqcb");

/// A flat program of `n` instructions on 4 qubits, built for the embedded default codebook.
fn program(n: usize) -> Vec<u8> {
    let (cb, hash) = Codebook::parse(DEFAULT).expect("default codebook");
    let params = ProgramParams {
        target: Target::Native,
        num_qubits: 4,
        num_clbits: 4,
        angle_bits: 8,
        num_conditions: 0,
        dt_ns_bits: 0.2222f64.to_bits(),
        explicit_timing: false,
    };
    let mut durations = [None; OPCODE_COUNT];
    durations[Opcode::Sx as usize] = Some(35.5);
    durations[Opcode::Rz as usize] = Some(0.0);
    durations[Opcode::Cz as usize] = Some(68.0);
    durations[Opcode::Measure as usize] = Some(1000.0);
    let info = ProgramInfo {
        params,
        durations,
        condition_bits: Vec::new(),
        total_ops: n as u64,
    };
    let mut enc = StreamEncoder::new(&cb.priors, params).expect("encoder");
    for i in 0..n {
        let q = (i % 4) as u32;
        let pair = [q, (q + 1) % 4];
        let instr = match i % 5 {
            0 => Instr {
                opcode: Opcode::Sx,
                qubits: &pair[..1],
                cond: None,
                arg: 0,
            },
            1 => Instr {
                opcode: Opcode::Rz,
                qubits: &pair[..1],
                cond: None,
                arg: (i % 256) as u64,
            },
            2 => Instr {
                opcode: Opcode::Cz,
                qubits: &pair,
                cond: None,
                arg: 0,
            },
            3 => Instr {
                opcode: Opcode::Sx,
                qubits: &pair[1..],
                cond: None,
                arg: 0,
            },
            _ => Instr {
                opcode: Opcode::Measure,
                qubits: &pair[..1],
                cond: None,
                arg: u64::from(q),
            },
        };
        enc.push(&instr, (0.0, 0.0)).expect("push");
    }
    let (instructions, _) = enc.finish().expect("finish");
    let header = Header {
        codebook_id: codebook_id(&hash),
        qubit_count: 4,
        clbit_count: 4,
        target: Target::Native,
    };
    let sections = vec![
        Section {
            kind: SectionKind::Program,
            payload: info.to_bytes(),
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

/// Memory aligned as malloc's would be at worst (an odd address, to test the alignment).
struct Memory(Vec<u8>);

impl Memory {
    fn new(len: usize) -> Memory {
        Memory(vec![0; len + 1])
    }
    fn ptr(&mut self) -> *mut core::ffi::c_void {
        // One byte in: never aligned.
        self.0[1..].as_mut_ptr().cast()
    }
}

fn needed(bytes: &[u8]) -> (i32, EqisaRequirements) {
    let mut req = EqisaRequirements::default();
    // SAFETY: valid slices and out pointer.
    let rc = unsafe { eqisa_memory_needed(bytes.as_ptr(), bytes.len(), ptr::null(), 0, &mut req) };
    (rc, req)
}

fn message(p: *const core::ffi::c_char) -> String {
    // SAFETY: the library returns NUL-terminated strings.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

/// What decoding `bytes` in `chunk`-byte pieces gave: the final status, ops, and the
/// allocation counts at the first and at the last op.
struct Run {
    status: i32,
    message: String,
    ops: u64,
    allocations: (u64, u64),
    stats: EqisaMemoryStats,
}

fn run(bytes: &[u8], req: &EqisaRequirements, memory_len: usize, chunk: usize) -> Run {
    let mut memory = Memory::new(memory_len);
    let mut dec: *mut EqisaDecoder = ptr::null_mut();
    // SAFETY: memory of `memory_len` bytes kept alive until release.
    let rc = unsafe { eqisa_decoder_init(memory.ptr(), memory_len, ptr::null(), 0, req, &mut dec) };
    if rc != 0 {
        return Run {
            status: rc,
            message: message(eqisa_last_error()),
            ops: 0,
            allocations: (0, 0),
            stats: EqisaMemoryStats::default(),
        };
    }
    let mut at = 0;
    let mut ops = 0;
    let mut allocations = (0, 0);
    let mut stats = EqisaMemoryStats::default();
    // SAFETY (the calls below): `dec` is live until released at the end.
    let status = loop {
        // SAFETY: all-zero is a valid event (kind 0: an op, null pointers).
        let mut ev: EqisaEvent = unsafe { std::mem::zeroed() };
        let rc = unsafe { eqisa_decoder_next(dec, &mut ev) };
        if rc != 0 {
            break rc;
        }
        match ev.kind {
            EqisaEventKind::Op => {
                ops += 1;
                unsafe { eqisa_decoder_memory_stats(dec, &mut stats) };
                if ops == 1 {
                    allocations.0 = stats.allocations;
                }
                allocations.1 = stats.allocations;
            }
            EqisaEventKind::NeedInput if at == bytes.len() => {
                break unsafe { eqisa_decoder_finish(dec) };
            }
            EqisaEventKind::NeedInput => {
                let n = chunk.min(bytes.len() - at);
                let mut taken = 0;
                let rc = unsafe { eqisa_decoder_feed(dec, bytes[at..].as_ptr(), n, &mut taken) };
                if rc != 0 {
                    break rc;
                }
                at += taken;
            }
            EqisaEventKind::End => break unsafe { eqisa_decoder_finish(dec) },
            EqisaEventKind::Play | EqisaEventKind::Await => unreachable!("a flat program"),
        }
    };
    let text = message(unsafe { eqisa_decoder_last_error(dec) });
    unsafe { eqisa_decoder_memory_stats(dec, &mut stats) };
    unsafe { eqisa_decoder_release(dec) };
    Run {
        status,
        message: text,
        ops,
        allocations,
        stats,
    }
}

#[test]
fn decodes_in_exactly_the_memory_asked_with_no_allocation_after_the_first_instruction() {
    let bytes = program(3000);
    let (rc, req) = needed(&bytes);
    assert_eq!(rc, 0, "{}", message(eqisa_last_error()));
    assert!(req.whole_program);
    for chunk in [1, 7, 64, 4096, usize::MAX] {
        let r = run(&bytes, &req, req.memory_bytes, chunk);
        assert_eq!(r.status, 0, "chunks of {chunk}: {}", r.message);
        assert_eq!(r.ops, 3000);
        assert_eq!(
            r.allocations.0, r.allocations.1,
            "allocations while decoding"
        );
        assert_eq!(
            r.stats.allocations, r.allocations.1,
            "allocations after the last op"
        );
        assert!(r.stats.peak <= req.memory_bytes);
    }
    // The program's first bytes size the instruction decoder too (with the default block
    // buffer) once they hold its first block, and say when they are too few.
    let (rc, _) = needed(&bytes[..bytes.len() / 2]);
    assert_eq!(rc, EqisaStatus::NeedInput as i32);
    let (rc, head) = needed(&bytes[..bytes.len() - 4]);
    assert_eq!(rc, 0);
    assert!(!head.whole_program);
    assert_eq!(
        head.block_bytes,
        eqisa_decoder_ffi::EQISA_DEFAULT_BLOCK_BYTES
    );
    let r = run(&bytes, &head, head.memory_bytes, 64);
    assert_eq!((r.status, r.ops), (0, 3000), "{}", r.message);
}

#[test]
fn too_little_memory_is_an_error_code_not_a_crash() {
    let bytes = program(200);
    let (_, req) = needed(&bytes);
    // Less than asked: refused at init.
    let r = run(&bytes, &req, req.memory_bytes - 1, 64);
    assert_eq!(r.status, EqisaStatus::ErrOutOfMemory as i32);
    assert!(r.message.contains("needs"), "{}", r.message);
    // Requirements that lie about the size: the arena runs out while decoding.
    let lying = EqisaRequirements {
        memory_bytes: 4096,
        ..req
    };
    let r = run(&bytes, &lying, 4096, 64);
    assert_eq!(
        r.status,
        EqisaStatus::ErrOutOfMemory as i32,
        "{}",
        r.message
    );
}

#[test]
fn bad_input_gives_its_code_and_message() {
    let bytes = program(500);
    let (_, req) = needed(&bytes);
    let cases: Vec<(&str, Vec<u8>, EqisaStatus)> = vec![
        (
            "not a program",
            b"OPENQASM 2.0; qreg q[2];".repeat(20),
            EqisaStatus::ErrNotAProgram,
        ),
        (
            "truncated",
            bytes[..bytes.len() - 9].to_vec(),
            EqisaStatus::ErrTruncated,
        ),
        (
            "corrupted",
            {
                let mut b = bytes.clone();
                let i = b.len() - 40;
                b[i] ^= 0x10;
                b
            },
            EqisaStatus::ErrChecksum,
        ),
    ];
    for (what, input, status) in cases {
        let r = run(&input, &req, req.memory_bytes, 64);
        assert_eq!(r.status, status as i32, "{what}: {}", r.message);
        assert!(!r.message.is_empty(), "{what}");
        // eqisa_memory_needed sees the same (except a cut end, which is a prefix to it).
        if status != EqisaStatus::ErrTruncated {
            assert_eq!(needed(&input).0, status as i32, "{what}");
        }
    }
    // Another codebook: a valid codebook whose hash the program does not name.
    let (cb, _) = Codebook::parse(DEFAULT).expect("default codebook");
    let other = Codebook {
        description: "another".into(),
        ..cb
    }
    .to_bytes();
    let mut out = EqisaRequirements::default();
    // SAFETY: valid slices and out pointer.
    let rc = unsafe {
        eqisa_memory_needed(
            bytes.as_ptr(),
            bytes.len(),
            other.as_ptr(),
            other.len(),
            &mut out,
        )
    };
    assert_eq!(rc, EqisaStatus::ErrWrongCodebook as i32);
    assert!(message(eqisa_last_error()).contains("codebook"));
    // Not a codebook at all.
    let junk = [7u8; 100];
    // SAFETY: as above.
    let rc = unsafe {
        eqisa_memory_needed(
            bytes.as_ptr(),
            bytes.len(),
            junk.as_ptr(),
            junk.len(),
            &mut out,
        )
    };
    assert_eq!(rc, EqisaStatus::ErrBadCodebook as i32);
}

#[test]
fn null_pointers_are_refused() {
    let bytes = program(10);
    let (_, req) = needed(&bytes);
    let mut out = EqisaRequirements::default();
    let mut ev: EqisaEvent = unsafe { std::mem::zeroed() };
    let mut taken = 0usize;
    let null = EqisaStatus::ErrNullPointer as i32;
    // SAFETY: the library checks every pointer.
    unsafe {
        assert_eq!(
            eqisa_memory_needed(ptr::null(), 10, ptr::null(), 0, &mut out),
            null
        );
        assert_eq!(
            eqisa_memory_needed(bytes.as_ptr(), bytes.len(), ptr::null(), 0, ptr::null_mut()),
            null
        );
        let mut dec: *mut EqisaDecoder = ptr::null_mut();
        assert_eq!(
            eqisa_decoder_init(ptr::null_mut(), 1 << 20, ptr::null(), 0, &req, &mut dec),
            null
        );
        assert_eq!(eqisa_decoder_next(ptr::null_mut(), &mut ev), null);
        assert_eq!(
            eqisa_decoder_feed(ptr::null_mut(), bytes.as_ptr(), 1, &mut taken),
            null
        );
        assert_eq!(eqisa_decoder_finish(ptr::null_mut()), null);
        eqisa_decoder_release(ptr::null_mut());
        let mut memory = Memory::new(req.memory_bytes);
        assert_eq!(
            eqisa_decoder_init(
                memory.ptr(),
                req.memory_bytes,
                ptr::null(),
                0,
                &req,
                &mut dec
            ),
            0
        );
        assert_eq!(eqisa_decoder_next(dec, ptr::null_mut()), null);
        // An error sticks: the decoder returns it again.
        assert_eq!(eqisa_decoder_next(dec, &mut ev), null);
        assert!(message(eqisa_decoder_last_error(dec)).contains("NULL"));
        eqisa_decoder_release(dec);
        // A released decoder is refused, not used.
        assert_eq!(eqisa_decoder_next(dec, &mut ev), null);
    }
}

#[test]
fn every_code_and_opcode_has_a_name() {
    for code in -11..=1 {
        assert_ne!(
            message(eqisa_error_message(code)),
            "unknown status",
            "{code}"
        );
    }
    assert_eq!(message(eqisa_error_message(-99)), "unknown status");
    for (i, op) in Opcode::ALL.iter().enumerate() {
        assert_eq!(message(eqisa_opcode_name(i as u8)), op.name());
    }
    assert_eq!(message(eqisa_opcode_name(200)), "?");
}

//! The plain C structures the API fills.

use core::ffi::c_char;
use core::ptr;

/// What `eqisa_memory_needed` found, to pass on to `eqisa_decoder_init`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EqisaRequirements {
    /// Bytes of memory `eqisa_decoder_init` needs: the decoder's state and every buffer it
    /// will use, whatever the alignment of the memory given.
    pub memory_bytes: usize,
    /// The largest block (instruction or pulse, payload bytes) the decoder will accept: its
    /// input and block buffers are this large. The largest block of the program when the
    /// bytes given held all of it, else at least `EQISA_DEFAULT_BLOCK_BYTES`.
    pub block_bytes: usize,
    /// Whether the bytes given held the whole program: then `memory_bytes` covers everything,
    /// the pulse section included. Otherwise it covers the instructions only (a pulse section
    /// is sized by its own header, near the end of the file).
    pub whole_program: bool,
    /// A check that the structure came from `eqisa_memory_needed` of this library.
    pub version: u32,
}

/// What `eqisa_decoder_next` produced.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EqisaEventKind {
    /// An instruction: `event.op`.
    Op = 0,
    /// A play of the pulse section: `event.play`.
    Play = 1,
    /// A real-time `while` loop asks its condition: `event.condition`; answer with
    /// `eqisa_decoder_answer`, then call `eqisa_decoder_next` again.
    Await = 2,
    /// Feed more bytes (`eqisa_decoder_feed`).
    NeedInput = 3,
    /// The program is complete and every checksum matched; call `eqisa_decoder_finish`.
    End = 4,
}

/// An instruction's operation (`eqisa_opcode_name` gives its OpenQASM name).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EqisaOpcode {
    /// Virtual Z rotation (`arg`: the angle's grid index, or its raw bits).
    Rz = 0,
    /// √X.
    Sx = 1,
    /// Pauli X.
    X = 2,
    /// Controlled-Z.
    Cz = 3,
    /// Echoed cross-resonance.
    Ecr = 4,
    /// Hadamard.
    H = 5,
    /// Phase S.
    S = 6,
    /// S†.
    Sdg = 7,
    /// T.
    T = 8,
    /// T†.
    Tdg = 9,
    /// Pauli Y.
    Y = 10,
    /// Pauli Z.
    Z = 11,
    /// CNOT.
    Cx = 12,
    /// Measurement (`arg`: the classical bit).
    Measure = 13,
    /// Reset to |0>.
    Reset = 14,
    /// Idle (`arg`: the duration's IEEE-754 bits, ns).
    Delay = 15,
    /// Scheduling barrier over `qubits`.
    Barrier = 16,
}

/// One timed instruction. `qubits` points into the decoder's memory: valid until the next call
/// with the decoder.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct EqisaOp {
    /// The operation (an `eqisa_opcode` value).
    pub opcode: u8,
    /// Whether the instruction waits on a condition (`condition`).
    pub has_condition: bool,
    /// The condition's index among the program's conditions.
    pub condition: u32,
    /// Number of qubits.
    pub qubit_count: u32,
    /// The qubits.
    pub qubits: *const u32,
    /// The operand that is not a qubit (see `eqisa_opcode`), 0 otherwise.
    pub arg: u64,
    /// Shift of the classical bits this run reads (loops that move along a measurement
    /// record; a measurement's `arg` is already shifted).
    pub bit_offset: u64,
    /// Start, ns from the program start.
    pub start_ns: f64,
    /// Duration, ns.
    pub duration_ns: f64,
}

/// A pulse channel's kind.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EqisaChannelKind {
    /// Qubit drive (`d`).
    Drive = 0,
    /// Control / cross-resonance (`u`).
    Control = 1,
    /// Measurement stimulus (`m`).
    Measure = 2,
}

/// One play of the pulse section: I/Q samples for the DAC. `samples` points into the decoder's
/// memory: valid until the next call with the decoder.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct EqisaPlay {
    /// The channel's kind (an `eqisa_channel_kind` value).
    pub channel_kind: u8,
    /// The channel's number (`d3`: 3).
    pub channel_index: u32,
    /// The channel's position in the section's channel list.
    pub channel_position: u32,
    /// Start, in samples (`dt` units) from the program start.
    pub start: u64,
    /// Number of samples.
    pub sample_count: u64,
    /// `2 * sample_count` values: I then Q of each sample, DAC codes.
    pub samples: *const i16,
}

/// A real-time `while` loop's question.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EqisaAwait {
    /// The condition (an index among the program's conditions).
    pub condition: u32,
    /// Shift of the classical bits it reads.
    pub bit_offset: u64,
    /// Iterations of the loop completed since it was entered (0: asked before the first).
    pub iteration: u64,
}

/// What `eqisa_decoder_next` produced: `kind` says which member is set.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct EqisaEvent {
    /// Which member is set.
    pub kind: EqisaEventKind,
    /// When `kind` is `EQISA_EVENT_KIND_OP`.
    pub op: EqisaOp,
    /// When `kind` is `EQISA_EVENT_KIND_PLAY`.
    pub play: EqisaPlay,
    /// When `kind` is `EQISA_EVENT_KIND_AWAIT`.
    pub condition: EqisaAwait,
}

impl EqisaEvent {
    /// An event of `kind` with every member empty.
    pub(crate) fn empty(kind: EqisaEventKind) -> EqisaEvent {
        EqisaEvent {
            kind,
            op: EqisaOp {
                opcode: 0,
                has_condition: false,
                condition: 0,
                qubit_count: 0,
                qubits: ptr::null(),
                arg: 0,
                bit_offset: 0,
                start_ns: 0.0,
                duration_ns: 0.0,
            },
            play: EqisaPlay {
                channel_kind: 0,
                channel_index: 0,
                channel_position: 0,
                start: 0,
                sample_count: 0,
                samples: ptr::null(),
            },
            condition: EqisaAwait::default(),
        }
    }
}

/// The decoder's use of its memory (`eqisa_decoder_memory_stats`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EqisaMemoryStats {
    /// Bytes of the memory given.
    pub capacity: usize,
    /// Bytes in use now (the decoder's state and its arena's allocations).
    pub used: usize,
    /// Most bytes in use so far.
    pub peak: usize,
    /// Allocations served by the arena so far (a constant count while decoding shows that
    /// nothing is allocated).
    pub allocations: u64,
}

/// A static, NUL-terminated C string.
pub(crate) fn c_str(s: &'static core::ffi::CStr) -> *const c_char {
    s.as_ptr()
}

//! [`IsaError`]: every way bytes or bits handed to this crate can be wrong.
//!
//! Each variant carries enough context (offsets, stored vs computed checksums, the offending value)
//! that a firmware log line or CLI message says what is wrong without a debugger.

use core::fmt;

use crate::container::ids::{CODEBOOK_ID_LEN, SectionKind};

/// Error returned by every fallible operation in this crate.
///
/// Parsers never panic: any truncation, bit flip or unsupported value in the input ends up as one of
/// these variants.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IsaError {
    /// The input ended before `what` was complete. `needed` and `available` count from the start of
    /// `what`, in bytes for byte-level parsers and in bits for [`crate::bits::BitReader`] (whose `what`
    /// says "bits").
    Truncated {
        /// The item being read when the input ran out.
        what: &'static str,
        /// How many units the item needs.
        needed: u64,
        /// How many units were actually left.
        available: u64,
    },
    /// The input does not start with the `.eqb` magic `b"EQB\0"`.
    BadMagic {
        /// The first (up to four) bytes actually found; missing bytes are zero.
        found: [u8; 4],
    },
    /// The container was written in a format version this crate cannot read.
    UnsupportedVersion {
        /// Version stored in the file.
        found: u16,
        /// The only version this crate reads.
        supported: u16,
    },
    /// The header sets flag bits that this format version does not define.
    UnknownFlags(u16),
    /// The fixed header's CRC-32C does not match its bytes (header corrupted).
    HeaderCrc {
        /// CRC stored in the file.
        stored: u32,
        /// CRC computed over the header bytes.
        computed: u32,
    },
    /// The header names a compilation target this crate does not know.
    UnknownTarget(u8),
    /// A section has a kind this crate does not know (its CRC was valid, so it is not corruption).
    UnknownSection {
        /// Zero-based index of the section in the file.
        index: u16,
        /// The raw kind value.
        kind: u8,
    },
    /// A second section of a kind a program holds at most once (every kind).
    DuplicateSection {
        /// Zero-based index of the second section.
        index: u16,
        /// Byte offset of its section header in the file.
        offset: u64,
        /// Its kind.
        kind: SectionKind,
        /// Zero-based index of the first section of that kind.
        first: u16,
    },
    /// A section where the format does not allow it (metadata or program parameters after the
    /// instructions they describe).
    SectionOrder {
        /// Zero-based index of the section.
        index: u16,
        /// Byte offset of its section header in the file.
        offset: u64,
        /// Its kind.
        kind: SectionKind,
        /// The rule it breaks.
        rule: &'static str,
    },
    /// A section's CRC-32C (over its kind, length and payload) does not match.
    SectionCrc {
        /// Zero-based index of the section in the file.
        index: u16,
        /// The raw kind value as stored (it may itself be the corrupted field).
        kind: u8,
        /// CRC stored in the section header.
        stored: u32,
        /// CRC computed over the section.
        computed: u32,
    },
    /// The whole-file CRC-32C trailer does not match.
    FileCrc {
        /// CRC stored in the trailer.
        stored: u32,
        /// CRC computed over everything before the trailer.
        computed: u32,
    },
    /// Bytes follow the file CRC trailer.
    TrailingBytes(usize),
    /// A length or count does not fit the field (or the platform's `usize`) it must be stored in.
    LengthOverflow {
        /// The field that overflowed.
        what: &'static str,
    },
    /// The program needs a different codebook than the one offered.
    CodebookMismatch {
        /// Id (hash prefix) of the codebook the caller has.
        expected: [u8; CODEBOOK_ID_LEN],
        /// Id of the codebook the program names.
        found: [u8; CODEBOOK_ID_LEN],
    },
    /// A LEB128 varint encodes a value wider than its target integer type.
    VarintOverflow,
    /// A LEB128 varint has redundant trailing zero groups (an overlong encoding). Rejected so that
    /// every value has exactly one encoding and corruption cannot hide in padding.
    NonCanonicalVarint,
    /// A bit read/peek asked for more than 64 bits at once.
    BitWidth(u32),
    /// A variable-length bit code (Elias-gamma, Rice) is malformed.
    InvalidCode {
        /// The code and what is wrong with it.
        what: &'static str,
    },
    /// A checksummed unit decoded to something impossible (an opcode the target lacks, an operand
    /// out of range, a count that does not add up): the bytes are not what an encoder wrote.
    Corrupt(&'static str),
    /// A codebook's bytes hold something impossible (a table of the wrong size, a value out of
    /// range, a duplicated entry): the codebook, not a program, is at fault.
    CorruptCodebook(&'static str),
    /// A value is outside what this decoder accepts (more qubits than its limit, a block larger
    /// than its buffer).
    Limit {
        /// What exceeded the limit.
        what: &'static str,
        /// The value found.
        found: u64,
        /// The largest accepted.
        max: u64,
    },
    /// A block of the instruction stream fails its CRC-32C.
    BlockCrc {
        /// Zero-based block index.
        block: u64,
        /// CRC stored before the block.
        stored: u32,
        /// CRC computed over the block.
        computed: u32,
    },
    /// A required section is absent or out of order.
    MissingSection(&'static str),
    /// The bytes are not an `.eqcb` codebook.
    NotACodebook,
    /// The codebook was written in a format or model version this build cannot use.
    CodebookVersion {
        /// Which version (format or model).
        what: &'static str,
        /// Version stored in the codebook.
        found: u16,
        /// The version this build reads.
        supported: u16,
    },
    /// The codebook's content hash does not match its bytes.
    CodebookHash,
    /// A pulse window names an atom the atom set does not have.
    AtomOutOfRange {
        /// The atom index found.
        index: u32,
        /// How many atoms the set holds.
        count: u32,
    },
    /// The pulse section was coded for atoms of another window length than the codebook's.
    WindowMismatch {
        /// Window length the pulse section (or the waveform) declares.
        section: u32,
        /// Window length of the codebook's atom set.
        codebook: u32,
    },
    /// The pulse section was coded for another number of atoms than the codebook holds.
    AtomCountMismatch {
        /// Atom count the pulse section declares.
        section: u32,
        /// Atom count of the codebook's atom set.
        codebook: u32,
    },
    /// A sparse-coded waveform needs pulse atoms, and none were provided (the codebook has none).
    NoPulseAtoms,
    /// A coefficient, shift, term count or rotation is outside the range in which the fixed-point
    /// reconstruction is exactly defined (see `crate::pulse`).
    CoefficientOutOfRange {
        /// Which quantity, and which bound it breaks.
        what: &'static str,
    },
    /// Pulse data handed to the encoder is inconsistent (plays out of time order or overlapping
    /// on a channel, a channel or memory slot that does not exist, a malformed atom set).
    InvalidPulse(&'static str),
    /// A real-time loop's condition must be evaluated and the decoder's caller gave no
    /// measurement results (see the decoder's condition source).
    NoOutcomes {
        /// The condition the loop waits on.
        cond: u32,
        /// Shift of the bits it reads.
        bit_offset: u64,
    },
}

/// Which input an [`IsaError`] met while decoding is the fault of, so that a message names that
/// file: the program, the codebook, or neither alone (they do not belong together).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blame {
    /// The program's bytes are wrong (truncated, corrupt, of another format).
    Program,
    /// The codebook's bytes are wrong, or it lacks what every program of its kind needs.
    Codebook,
    /// Each may be fine alone, but the program was not made with this codebook (another hash,
    /// pulse data for other atoms).
    Pairing,
}

impl IsaError {
    /// Which input this error is the fault of.
    #[must_use]
    pub const fn blame(&self) -> Blame {
        match self {
            Self::NotACodebook
            | Self::CodebookVersion { .. }
            | Self::CodebookHash
            | Self::CorruptCodebook(_)
            | Self::NoPulseAtoms => Blame::Codebook,
            Self::CodebookMismatch { .. }
            | Self::AtomOutOfRange { .. }
            | Self::WindowMismatch { .. }
            | Self::AtomCountMismatch { .. } => Blame::Pairing,
            _ => Blame::Program,
        }
    }
}

/// Formats a codebook id (the first bytes of its hash) as hex.
struct HexPrefix<'a>(&'a [u8; CODEBOOK_ID_LEN]);

impl fmt::Display for HexPrefix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

/// Name of a raw section kind for messages, without requiring it to be valid.
fn section_kind_name(kind: u8) -> &'static str {
    match SectionKind::try_from(kind) {
        Ok(k) => k.name(),
        Err(_) => "unknown",
    }
}

impl fmt::Display for IsaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated {
                what,
                needed,
                available,
            } => write!(
                f,
                "truncated input: {what} needs {needed} but only {available} remain"
            ),
            Self::BadMagic { found } => write!(
                f,
                "not an .eqb program: magic is {found:02x?}, expected \"EQB\\0\""
            ),
            Self::UnsupportedVersion { found, supported } => write!(
                f,
                ".eqb format version {found} is not supported (this build reads version {supported})"
            ),
            Self::UnknownFlags(flags) => write!(f, "unknown header flags {flags:#06x}"),
            Self::HeaderCrc { stored, computed } => write!(
                f,
                "header checksum mismatch: stored {stored:#010x}, computed {computed:#010x}"
            ),
            Self::UnknownTarget(t) => {
                write!(f, "unknown target {t} (0 = native, 1 = clifford+t)")
            }
            Self::UnknownSection { index, kind } => {
                write!(f, "section {index} has unknown kind {kind}")
            }
            Self::DuplicateSection {
                index,
                offset,
                kind,
                first,
            } => write!(
                f,
                "section {index} (at byte {offset}) is a second {kind} section (the first is section {first}); a program holds at most one of each kind"
            ),
            Self::SectionOrder {
                index,
                offset,
                kind,
                rule,
            } => write!(
                f,
                "section {index} (at byte {offset}, {kind}) is out of order: {rule}"
            ),
            Self::SectionCrc {
                index,
                kind,
                stored,
                computed,
            } => write!(
                f,
                "section {index} (kind {kind} = {}) checksum mismatch: stored {stored:#010x}, computed {computed:#010x}",
                section_kind_name(*kind)
            ),
            Self::FileCrc { stored, computed } => write!(
                f,
                "file checksum mismatch: stored {stored:#010x}, computed {computed:#010x}"
            ),
            Self::TrailingBytes(n) => write!(f, "{n} unexpected bytes after the file checksum"),
            Self::LengthOverflow { what } => write!(f, "{what} is too large for its field"),
            Self::CodebookMismatch { expected, found } => write!(
                f,
                "codebook mismatch: program needs codebook {}, but codebook {} was provided",
                HexPrefix(found),
                HexPrefix(expected)
            ),
            Self::VarintOverflow => f.write_str("varint overflows its integer type"),
            Self::NonCanonicalVarint => {
                f.write_str("varint has an overlong (non-canonical) encoding")
            }
            Self::BitWidth(n) => write!(f, "cannot read {n} bits at once (at most 64)"),
            Self::InvalidCode { what } => write!(f, "invalid code: {what}"),
            Self::Corrupt(what) => write!(f, "corrupt program: {what}"),
            Self::NoOutcomes { cond, .. } => write!(
                f,
                "a real-time loop waits on condition {cond}, which needs measurement results, and none were given"
            ),
            Self::CorruptCodebook(what) => write!(f, "corrupt codebook: {what}"),
            Self::Limit { what, found, max } => {
                write!(f, "{what} is {found}, above this decoder's limit of {max}")
            }
            Self::BlockCrc {
                block,
                stored,
                computed,
            } => write!(
                f,
                "instruction block {block} checksum mismatch: stored {stored:#010x}, computed {computed:#010x}"
            ),
            Self::MissingSection(what) => {
                write!(f, "the program has no {what} section where one is required")
            }
            Self::NotACodebook => f.write_str("not an .eqcb codebook (bad magic)"),
            Self::CodebookVersion {
                what,
                found,
                supported,
            } => write!(
                f,
                "codebook {what} version {found} is not supported (this build reads version {supported})"
            ),
            Self::CodebookHash => {
                f.write_str("codebook is corrupted: its content hash does not match its bytes")
            }
            Self::AtomOutOfRange { index, count } => write!(
                f,
                "pulse atom {index} does not exist (the atom set holds {count})"
            ),
            Self::WindowMismatch { section, codebook } => write!(
                f,
                "pulse window mismatch: the pulse data uses windows of {section} samples, the codebook's atoms have {codebook}"
            ),
            Self::AtomCountMismatch { section, codebook } => write!(
                f,
                "pulse atom count mismatch: the pulse section was coded for {section} atoms, the codebook holds {codebook}"
            ),
            Self::NoPulseAtoms => {
                f.write_str("a sparse-coded waveform needs pulse atoms, but the codebook has none")
            }
            Self::CoefficientOutOfRange { what } => {
                write!(f, "pulse coefficient out of range: {what}")
            }
            Self::InvalidPulse(what) => write!(f, "invalid pulse data: {what}"),
        }
    }
}

impl core::error::Error for IsaError {}

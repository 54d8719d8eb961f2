//! The container file: fixed header, checksummed sections and trailer, written and parsed (the
//! layout is in the container module's documentation).

use alloc::vec::Vec;
use core::fmt;

use super::ids::{CODEBOOK_ID_LEN, SectionKind, codebook_id};
use crate::crc::{Crc32c, crc32c};
use crate::error::IsaError;

/// File magic, the first four bytes of every `.eqb` file.
pub const MAGIC: [u8; 4] = *b"EQB\0";
/// The container format version this crate writes and reads.
pub const FORMAT_VERSION: u16 = 2;
/// Size of the fixed header, including its CRC.
pub const HEADER_LEN: usize = 29;
/// Size of a section header (kind, length, CRC), before the payload.
pub const SECTION_HEADER_LEN: usize = 9;
/// Size of the trailing file CRC.
pub const TRAILER_LEN: usize = 4;
/// Offset of the header CRC field (also the number of bytes it covers).
const HEADER_CRC_AT: usize = 25;
/// Which gate set a program was compiled for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Target {
    /// The device's native gate set.
    Native = 0,
    /// Clifford+T (fault-tolerant) gate set.
    CliffordT = 1,
}

impl Target {
    /// Short lowercase name, as used on the command line.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Native => "native",
            Self::CliffordT => "clifford+t",
        }
    }
}

impl TryFrom<u8> for Target {
    type Error = IsaError;

    fn try_from(value: u8) -> Result<Self, IsaError> {
        match value {
            0 => Ok(Self::Native),
            1 => Ok(Self::CliffordT),
            other => Err(IsaError::UnknownTarget(other)),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The program-level facts in the fixed header.
///
/// The format version and flags are not fields: this crate writes exactly one version with no
/// flags, and rejects anything else when reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Id of the codebook this program must be decoded with ([`codebook_id`] of its hash).
    pub codebook_id: [u8; CODEBOOK_ID_LEN],
    /// Number of qubits the program addresses.
    pub qubit_count: u32,
    /// Number of classical bits the program addresses.
    pub clbit_count: u32,
    /// Gate set the program was compiled for.
    pub target: Target,
}

impl Header {
    /// Checks that this program was built for the codebook whose hash is `expected_hash`.
    ///
    /// # Errors
    /// [`IsaError::CodebookMismatch`] if the ids differ.
    pub fn verify_codebook(&self, expected_hash: &[u8; 32]) -> Result<(), IsaError> {
        let expected = codebook_id(expected_hash);
        if self.codebook_id == expected {
            Ok(())
        } else {
            Err(IsaError::CodebookMismatch {
                expected,
                found: self.codebook_id,
            })
        }
    }
}

/// Everything in the fixed header: the [`Header`] plus the number of sections that follow, which a
/// streaming decoder needs to know where the trailer starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preamble {
    /// The program-level header fields.
    pub header: Header,
    /// Number of sections after the fixed header.
    pub section_count: u8,
}

impl Preamble {
    /// Encodes the fixed header, including its CRC.
    #[must_use]
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let h = &self.header;
        let mut out = [0u8; HEADER_LEN];
        put(&mut out, 0, &MAGIC);
        put(&mut out, 4, &FORMAT_VERSION.to_le_bytes());
        // Flags (6) stay zero.
        put(&mut out, 7, &h.codebook_id);
        put(&mut out, 15, &h.qubit_count.to_le_bytes());
        put(&mut out, 19, &h.clbit_count.to_le_bytes());
        put(&mut out, 23, &[h.target as u8]);
        put(&mut out, 24, &[self.section_count]);
        let crc = crc32c(out.get(..HEADER_CRC_AT).unwrap_or(&[]));
        put(&mut out, HEADER_CRC_AT, &crc.to_le_bytes());
        out
    }
}

/// Copies `src` into `dst` at `at`. Only used with constant offsets that fit, so the silent
/// no-op on a bad range is unreachable; it exists to keep this module free of panicking paths.
fn put(dst: &mut [u8], at: usize, src: &[u8]) {
    if let Some(d) = dst.get_mut(at..at.saturating_add(src.len())) {
        d.copy_from_slice(src);
    }
}

/// Reads a little-endian `u16` at `at`; callers have checked the length.
fn le_u16(bytes: &[u8], at: usize) -> u16 {
    let mut b = [0u8; 2];
    if let Some(s) = bytes.get(at..at.saturating_add(2)) {
        b.copy_from_slice(s);
    }
    u16::from_le_bytes(b)
}

/// Reads a little-endian `u32` at `at`; callers have checked the length.
fn le_u32(bytes: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    if let Some(s) = bytes.get(at..at.saturating_add(4)) {
        b.copy_from_slice(s);
    }
    u32::from_le_bytes(b)
}

/// Parses the fixed header from a prefix of a `.eqb` file, so that a decoder can start before the
/// whole file has arrived. Returns the preamble and the number of bytes it used ([`HEADER_LEN`]).
///
/// Checks are ordered so the most useful error wins: the magic and version are checked on as many
/// bytes as are present (a wrong file is reported as such even from a short prefix), then the
/// header CRC (so a corrupted header is reported as corruption), then flags and target (which,
/// with a valid CRC, mean the file was written by something else).
///
/// # Errors
/// [`IsaError::BadMagic`], [`IsaError::UnsupportedVersion`], [`IsaError::Truncated`] (fewer than
/// [`HEADER_LEN`] bytes), [`IsaError::HeaderCrc`], [`IsaError::UnknownFlags`],
/// [`IsaError::UnknownTarget`].
pub fn parse_header(bytes: &[u8]) -> Result<(Preamble, usize), IsaError> {
    let magic_seen = bytes.get(..bytes.len().min(4)).unwrap_or(&[]);
    if MAGIC.get(..magic_seen.len()) != Some(magic_seen) {
        let mut found = [0u8; 4];
        put(&mut found, 0, magic_seen);
        return Err(IsaError::BadMagic { found });
    }
    if bytes.len() >= 6 {
        let version = le_u16(bytes, 4);
        if version != FORMAT_VERSION {
            return Err(IsaError::UnsupportedVersion {
                found: version,
                supported: FORMAT_VERSION,
            });
        }
    }
    let Some(header) = bytes.get(..HEADER_LEN) else {
        return Err(IsaError::Truncated {
            what: "header",
            needed: HEADER_LEN as u64,
            available: bytes.len() as u64,
        });
    };
    let stored = le_u32(header, HEADER_CRC_AT);
    let computed = crc32c(header.get(..HEADER_CRC_AT).unwrap_or(&[]));
    if stored != computed {
        return Err(IsaError::HeaderCrc { stored, computed });
    }
    let flags = header.get(6).copied().unwrap_or(0);
    if flags != 0 {
        return Err(IsaError::UnknownFlags(u16::from(flags)));
    }
    let target = Target::try_from(header.get(23).copied().unwrap_or(0))?;
    let mut codebook_id = [0u8; CODEBOOK_ID_LEN];
    if let Some(h) = header.get(7..7 + CODEBOOK_ID_LEN) {
        codebook_id.copy_from_slice(h);
    }
    let preamble = Preamble {
        header: Header {
            codebook_id,
            qubit_count: le_u32(header, 15),
            clbit_count: le_u32(header, 19),
            target,
        },
        section_count: header.get(24).copied().unwrap_or(0),
    };
    Ok((preamble, HEADER_LEN))
}

/// Incremental header parser for input that arrives in chunks of any size (down to single bytes).
///
/// It buffers at most [`HEADER_LEN`] bytes in place (no allocation) and reports a wrong magic or
/// version as soon as those bytes arrive.
#[derive(Debug, Clone)]
pub struct HeaderReader {
    buf: [u8; HEADER_LEN],
    filled: usize,
}

impl Default for HeaderReader {
    fn default() -> Self {
        Self::new()
    }
}

impl HeaderReader {
    /// Creates a reader that has seen no bytes.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            buf: [0; HEADER_LEN],
            filled: 0,
        }
    }

    /// Feeds the next chunk. Returns how many bytes of `chunk` were consumed (never more than the
    /// header still needs; the rest belongs to the first section) and, once the header is
    /// complete, the parsed preamble. After completion, further calls consume nothing and return
    /// the preamble again.
    ///
    /// # Errors
    /// As [`parse_header`], except that a short header is not an error but `Ok((n, None))`.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(usize, Option<Preamble>), IsaError> {
        let want = HEADER_LEN - self.filled;
        let take = want.min(chunk.len());
        put(&mut self.buf, self.filled, chunk.get(..take).unwrap_or(&[]));
        self.filled += take;
        match parse_header(self.buf.get(..self.filled).unwrap_or(&[])) {
            Ok((preamble, _)) => Ok((take, Some(preamble))),
            Err(IsaError::Truncated { .. }) => Ok((take, None)),
            Err(e) => Err(e),
        }
    }

    /// Number of header bytes received so far.
    #[must_use]
    pub const fn bytes_seen(&self) -> usize {
        self.filled
    }
}

/// A parsed section header. The kind is kept raw because it is only trusted after the section CRC
/// has been checked (see [`SectionHeader::check`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SectionHeader {
    /// Raw kind value, not yet validated.
    pub kind: u8,
    /// Payload length in bytes.
    pub payload_len: u32,
    /// Stored CRC-32C over kind ‖ length ‖ payload.
    pub crc: u32,
}

impl SectionHeader {
    /// A CRC hasher already fed with this section's kind and length. Feed it the payload (in as
    /// many pieces as it arrives) and pass `finish()` to [`Self::check_crc`]; this lets a streaming
    /// decoder verify a section without buffering it.
    #[must_use]
    pub fn payload_hasher(&self) -> Crc32c {
        let mut c = Crc32c::new();
        c.update(&[self.kind]);
        c.update(&self.payload_len.to_le_bytes());
        c
    }

    /// Compares a CRC computed with [`Self::payload_hasher`] against the stored one, then validates
    /// the kind. `index` is the section's position, used in errors.
    ///
    /// # Errors
    /// [`IsaError::SectionCrc`] on mismatch; [`IsaError::UnknownSection`] for an unknown kind.
    pub fn check_crc(&self, index: u16, computed: u32) -> Result<SectionKind, IsaError> {
        if computed != self.crc {
            return Err(IsaError::SectionCrc {
                index,
                kind: self.kind,
                stored: self.crc,
                computed,
            });
        }
        SectionKind::try_from(self.kind).map_err(|kind| IsaError::UnknownSection { index, kind })
    }

    /// Checks a complete payload: its length, its CRC, then the kind.
    ///
    /// # Errors
    /// [`IsaError::Truncated`] if `payload` is shorter than announced,
    /// [`IsaError::TrailingBytes`] if longer, then as [`Self::check_crc`].
    pub fn check(&self, index: u16, payload: &[u8]) -> Result<SectionKind, IsaError> {
        let len = payload.len() as u64;
        let want = u64::from(self.payload_len);
        if len < want {
            return Err(IsaError::Truncated {
                what: "section payload",
                needed: want,
                available: len,
            });
        }
        if len > want {
            return Err(IsaError::TrailingBytes((len - want) as usize));
        }
        let mut c = self.payload_hasher();
        c.update(payload);
        self.check_crc(index, c.finish())
    }
}

/// Parses a section header from the start of `bytes`; returns it and the bytes used
/// ([`SECTION_HEADER_LEN`]).
///
/// # Errors
/// [`IsaError::Truncated`] if fewer than [`SECTION_HEADER_LEN`] bytes are present.
pub fn parse_section_header(bytes: &[u8]) -> Result<(SectionHeader, usize), IsaError> {
    let Some(h) = bytes.get(..SECTION_HEADER_LEN) else {
        return Err(IsaError::Truncated {
            what: "section header",
            needed: SECTION_HEADER_LEN as u64,
            available: bytes.len() as u64,
        });
    };
    Ok((
        SectionHeader {
            kind: h.first().copied().unwrap_or(0),
            payload_len: le_u32(h, 1),
            crc: le_u32(h, 5),
        },
        SECTION_HEADER_LEN,
    ))
}

/// The sections of a file read so far, to refuse one the format does not allow where it is: a
/// second section of any kind (which of two would count is ambiguous), or metadata or program
/// parameters after the instructions they describe (a streaming reader has used them by then).
/// [`Container::parse`] and the streaming decoder apply the same rules through it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SectionLog {
    /// Index of the first section of each kind, by kind value.
    first: [Option<u16>; 8],
}

impl SectionLog {
    /// Records section `index` of `kind` whose header starts at byte `offset`.
    ///
    /// # Errors
    /// [`IsaError::DuplicateSection`] for a second section of a kind,
    /// [`IsaError::SectionOrder`] for metadata or program parameters after the instructions.
    pub fn admit(&mut self, kind: SectionKind, index: u16, offset: u64) -> Result<(), IsaError> {
        let slot = self
            .first
            .get_mut(kind as usize)
            .ok_or(IsaError::UnknownSection {
                index,
                kind: kind as u8,
            })?;
        if let Some(first) = *slot {
            return Err(IsaError::DuplicateSection {
                index,
                offset,
                kind,
                first,
            });
        }
        *slot = Some(index);
        let after_instructions = self
            .first
            .get(SectionKind::Instructions as usize)
            .copied()
            .flatten()
            .is_some_and(|i| i < index);
        if matches!(
            kind,
            SectionKind::Metadata | SectionKind::Program | SectionKind::Control | SectionKind::Job
        ) && after_instructions
        {
            return Err(IsaError::SectionOrder {
                index,
                offset,
                kind,
                rule: "it must come before the instruction section",
            });
        }
        Ok(())
    }

    /// Whether a section of `kind` has been admitted.
    #[must_use]
    pub fn has(&self, kind: SectionKind) -> bool {
        self.first.get(kind as usize).copied().flatten().is_some()
    }
}

/// One section of a program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// What the payload holds.
    pub kind: SectionKind,
    /// The payload bytes (at most `u32::MAX`).
    pub payload: Vec<u8>,
}

/// A whole `.eqb` program: header plus sections, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    /// Program-level header fields.
    pub header: Header,
    /// Sections in file order, at most one of each kind, metadata and program parameters before
    /// the instructions ([`SectionLog`]); the container does not interpret their payloads.
    pub sections: Vec<Section>,
}

impl Container {
    /// The first section of the given kind, if any.
    #[must_use]
    pub fn section(&self, kind: SectionKind) -> Option<&Section> {
        self.sections.iter().find(|s| s.kind == kind)
    }

    /// Checks that this program was built for the codebook whose hash is `expected_hash`.
    ///
    /// # Errors
    /// [`IsaError::CodebookMismatch`] if the hashes differ.
    pub fn verify_codebook(&self, expected_hash: &[u8; 32]) -> Result<(), IsaError> {
        self.header.verify_codebook(expected_hash)
    }

    /// Encodes the container.
    ///
    /// # Errors
    /// [`IsaError::LengthOverflow`] if there are more than `u8::MAX` sections or a payload is
    /// longer than `u32::MAX` bytes (the field widths of the format); returned instead of
    /// panicking or silently truncating.
    pub fn to_bytes(&self) -> Result<Vec<u8>, IsaError> {
        let section_count =
            u8::try_from(self.sections.len()).map_err(|_| IsaError::LengthOverflow {
                what: "section count",
            })?;
        let total = self
            .sections
            .iter()
            .fold(HEADER_LEN + TRAILER_LEN, |acc, s| {
                acc.saturating_add(SECTION_HEADER_LEN)
                    .saturating_add(s.payload.len())
            });
        let mut out = Vec::with_capacity(total);
        let preamble = Preamble {
            header: self.header.clone(),
            section_count,
        };
        out.extend_from_slice(&preamble.to_bytes());
        for section in &self.sections {
            let payload_len =
                u32::try_from(section.payload.len()).map_err(|_| IsaError::LengthOverflow {
                    what: "section payload length",
                })?;
            let header = SectionHeader {
                kind: section.kind as u8,
                payload_len,
                crc: 0,
            };
            let mut c = header.payload_hasher();
            c.update(&section.payload);
            out.push(header.kind);
            out.extend_from_slice(&payload_len.to_le_bytes());
            out.extend_from_slice(&c.finish().to_le_bytes());
            out.extend_from_slice(&section.payload);
        }
        let file_crc = crc32c(&out);
        out.extend_from_slice(&file_crc.to_le_bytes());
        Ok(out)
    }

    /// Parses a complete `.eqb` file.
    ///
    /// # Errors
    /// Any [`IsaError`] describing the first problem found: header errors as in [`parse_header`],
    /// then per section [`IsaError::Truncated`], [`IsaError::SectionCrc`],
    /// [`IsaError::UnknownSection`], [`IsaError::DuplicateSection`], [`IsaError::SectionOrder`],
    /// then [`IsaError::Truncated`] for a missing trailer,
    /// [`IsaError::FileCrc`] and [`IsaError::TrailingBytes`].
    pub fn parse(bytes: &[u8]) -> Result<Self, IsaError> {
        let (preamble, mut pos) = parse_header(bytes)?;
        // Reserve only what the input could possibly hold, never what the count claims.
        let max_sections = bytes.len().saturating_sub(pos) / SECTION_HEADER_LEN;
        let mut sections =
            Vec::with_capacity(usize::from(preamble.section_count).min(max_sections));
        let mut log = SectionLog::default();
        for index in 0..preamble.section_count {
            let rest = bytes.get(pos..).unwrap_or(&[]);
            let (sh, used) = parse_section_header(rest)?;
            let rest = rest.get(used..).unwrap_or(&[]);
            let payload_len =
                usize::try_from(sh.payload_len).map_err(|_| IsaError::LengthOverflow {
                    what: "section payload length",
                })?;
            // Bounds-check before copying: the length field is untrusted until the CRC passes,
            // and the CRC cannot be computed until the bytes are known to be there.
            let Some(payload) = rest.get(..payload_len) else {
                return Err(IsaError::Truncated {
                    what: "section payload",
                    needed: u64::from(sh.payload_len),
                    available: rest.len() as u64,
                });
            };
            let kind = sh.check(u16::from(index), payload)?;
            log.admit(kind, u16::from(index), pos as u64)?;
            sections.push(Section {
                kind,
                payload: payload.to_vec(),
            });
            pos += used + payload_len;
        }
        let body = bytes.get(..pos).unwrap_or(&[]);
        let rest = bytes.get(pos..).unwrap_or(&[]);
        let Some(trailer) = rest.get(..TRAILER_LEN) else {
            return Err(IsaError::Truncated {
                what: "file checksum",
                needed: TRAILER_LEN as u64,
                available: rest.len() as u64,
            });
        };
        let stored = le_u32(trailer, 0);
        let computed = crc32c(body);
        if stored != computed {
            return Err(IsaError::FileCrc { stored, computed });
        }
        if rest.len() > TRAILER_LEN {
            return Err(IsaError::TrailingBytes(rest.len() - TRAILER_LEN));
        }
        Ok(Self {
            header: preamble.header,
            sections,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;
    use std::string::ToString;
    use std::vec;

    fn sample() -> Container {
        let mut hash = [0u8; 32];
        for (i, b) in hash.iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(37).wrapping_add(1);
        }
        Container {
            header: Header {
                codebook_id: codebook_id(&hash),
                qubit_count: 27,
                clbit_count: 5,
                target: Target::CliffordT,
            },
            sections: vec![
                Section {
                    kind: SectionKind::Instructions,
                    payload: vec![0xDE, 0xAD, 0xBE, 0xEF, 0x01],
                },
                Section {
                    kind: SectionKind::Pulses,
                    payload: vec![0x10, 0x20, 0x30],
                },
            ],
        }
    }

    /// Recomputes every CRC in an encoded container, so tests can forge files that are
    /// well-formed apart from one deliberate field.
    fn reseal(bytes: &mut Vec<u8>) {
        let crc = crc32c(&bytes[..HEADER_CRC_AT]);
        bytes[HEADER_CRC_AT..HEADER_LEN].copy_from_slice(&crc.to_le_bytes());
        let count = bytes[24];
        let mut pos = HEADER_LEN;
        for _ in 0..count {
            let len = le_u32(bytes, pos + 1) as usize;
            let mut c = Crc32c::new();
            c.update(&bytes[pos..pos + 5]);
            c.update(&bytes[pos + SECTION_HEADER_LEN..pos + SECTION_HEADER_LEN + len]);
            bytes[pos + 5..pos + 9].copy_from_slice(&c.finish().to_le_bytes());
            pos += SECTION_HEADER_LEN + len;
        }
        bytes.truncate(pos);
        let crc = crc32c(bytes);
        bytes.extend_from_slice(&crc.to_le_bytes());
    }

    #[test]
    fn round_trip_and_layout() {
        let c = sample();
        let bytes = c.to_bytes().unwrap();
        assert_eq!(
            bytes.len(),
            HEADER_LEN + 2 * SECTION_HEADER_LEN + 5 + 3 + TRAILER_LEN
        );
        assert_eq!(&bytes[..4], b"EQB\0");
        assert_eq!(&bytes[4..6], &[2, 0]);
        assert_eq!(&bytes[7..15], &c.header.codebook_id);
        assert_eq!(le_u32(&bytes, 15), 27);
        assert_eq!(le_u32(&bytes, 19), 5);
        assert_eq!(bytes[23], 1);
        assert_eq!(bytes[24], 2);
        assert_eq!(bytes[HEADER_LEN], 1);
        assert_eq!(le_u32(&bytes, HEADER_LEN + 1), 5);
        assert_eq!(
            le_u32(&bytes, bytes.len() - 4),
            crc32c(&bytes[..bytes.len() - 4])
        );
        let parsed = Container::parse(&bytes).unwrap();
        assert_eq!(parsed, c);
        assert_eq!(
            parsed.section(SectionKind::Pulses).unwrap().payload,
            [0x10, 0x20, 0x30]
        );
        assert!(parsed.section(SectionKind::Metadata).is_none());

        let empty = Container {
            header: c.header.clone(),
            sections: vec![],
        };
        let bytes = empty.to_bytes().unwrap();
        assert_eq!(bytes.len(), HEADER_LEN + TRAILER_LEN);
        assert_eq!(Container::parse(&bytes).unwrap(), empty);
    }

    #[test]
    fn every_single_bit_flip_is_detected() {
        let bytes = sample().to_bytes().unwrap();
        let mut copy = bytes.clone();
        for i in 0..bytes.len() * 8 {
            copy[i / 8] ^= 0x80 >> (i % 8);
            assert!(
                Container::parse(&copy).is_err(),
                "flip of bit {} in byte {} went undetected",
                i % 8,
                i / 8
            );
            copy[i / 8] ^= 0x80 >> (i % 8);
        }
        assert_eq!(copy, bytes);
    }

    #[test]
    fn every_truncation_is_an_error() {
        let bytes = sample().to_bytes().unwrap();
        for len in 0..bytes.len() {
            let err = Container::parse(&bytes[..len]).unwrap_err();
            assert!(
                matches!(err, IsaError::Truncated { .. }),
                "len {len}: {err}"
            );
        }
    }

    #[test]
    fn huge_claimed_section_is_truncated_not_allocated() {
        let mut bytes = sample().to_bytes().unwrap();
        bytes[HEADER_LEN + 1..HEADER_LEN + 5].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(bytes.len() < 100);
        assert_eq!(
            Container::parse(&bytes),
            Err(IsaError::Truncated {
                what: "section payload",
                needed: u64::from(u32::MAX),
                available: (bytes.len() - HEADER_LEN - SECTION_HEADER_LEN) as u64,
            })
        );
        // Likewise a section count of 255 with no sections present.
        let mut bytes = sample().to_bytes().unwrap();
        bytes[24] = u8::MAX;
        let crc = crc32c(&bytes[..HEADER_CRC_AT]);
        bytes[HEADER_CRC_AT..HEADER_LEN].copy_from_slice(&crc.to_le_bytes());
        assert!(matches!(
            Container::parse(&bytes),
            Err(IsaError::Truncated { .. })
        ));
    }

    #[test]
    fn specific_errors_name_the_problem() {
        let good = sample().to_bytes().unwrap();

        let mut b = good.clone();
        b[0] = b'X';
        assert_eq!(
            Container::parse(&b),
            Err(IsaError::BadMagic { found: *b"XQB\0" })
        );
        assert!(matches!(
            parse_header(b"EQX"),
            Err(IsaError::BadMagic { .. })
        ));

        let mut b = good.clone();
        b[4] = 1;
        assert_eq!(
            Container::parse(&b),
            Err(IsaError::UnsupportedVersion {
                found: 1,
                supported: 2
            })
        );

        let mut b = good.clone();
        b[20] ^= 1;
        assert!(matches!(
            Container::parse(&b),
            Err(IsaError::HeaderCrc { .. })
        ));

        let mut b = good.clone();
        b[23] = 9;
        reseal(&mut b);
        assert_eq!(Container::parse(&b), Err(IsaError::UnknownTarget(9)));

        let mut b = good.clone();
        b[6] = 1;
        reseal(&mut b);
        assert_eq!(Container::parse(&b), Err(IsaError::UnknownFlags(1)));

        let mut b = good.clone();
        let second = HEADER_LEN + SECTION_HEADER_LEN + 5;
        b[second] = 77;
        reseal(&mut b);
        assert_eq!(
            Container::parse(&b),
            Err(IsaError::UnknownSection { index: 1, kind: 77 })
        );

        let mut b = good.clone();
        b[second + SECTION_HEADER_LEN] ^= 0x40;
        let err = Container::parse(&b).unwrap_err();
        assert!(matches!(
            err,
            IsaError::SectionCrc {
                index: 1,
                kind: 2,
                ..
            }
        ));
        assert!(err.to_string().contains("section 1 (kind 2 = pulses)"));

        let mut b = good.clone();
        let last = b.len() - 1;
        b[last] ^= 1;
        assert!(matches!(
            Container::parse(&b),
            Err(IsaError::FileCrc { .. })
        ));

        let mut b = good.clone();
        b.extend_from_slice(&[0, 0, 0]);
        assert_eq!(Container::parse(&b), Err(IsaError::TrailingBytes(3)));
    }

    #[test]
    fn too_many_sections_is_length_overflow() {
        let mut c = sample();
        c.sections = vec![
            Section {
                kind: SectionKind::Metadata,
                payload: vec![],
            };
            usize::from(u8::MAX) + 1
        ];
        assert_eq!(
            c.to_bytes(),
            Err(IsaError::LengthOverflow {
                what: "section count"
            })
        );
        c.sections.pop();
        let bytes = c.to_bytes().unwrap();
        // 255 sections fit the count field, but 254 of them are duplicates.
        assert_eq!(
            Container::parse(&bytes),
            Err(IsaError::DuplicateSection {
                index: 1,
                offset: (HEADER_LEN + SECTION_HEADER_LEN) as u64,
                kind: SectionKind::Metadata,
                first: 0,
            })
        );
    }

    #[test]
    fn a_second_section_of_any_kind_is_refused_naming_it_and_its_offset() {
        let kinds = [
            SectionKind::Program,
            SectionKind::Metadata,
            SectionKind::Instructions,
            SectionKind::Pulses,
        ];
        for kind in kinds {
            let mut c = sample();
            c.sections = kinds
                .iter()
                .map(|&k| Section {
                    kind: k,
                    payload: vec![k as u8; 3],
                })
                .collect();
            let first = kinds.iter().position(|&k| k == kind).unwrap() as u16;
            c.sections.push(Section {
                kind,
                payload: vec![9; 2],
            });
            let bytes = c.to_bytes().unwrap();
            // Four sections of 3 bytes before the duplicate.
            let offset = (HEADER_LEN + 4 * (SECTION_HEADER_LEN + 3)) as u64;
            let err = Container::parse(&bytes).unwrap_err();
            assert_eq!(
                err,
                IsaError::DuplicateSection {
                    index: 4,
                    offset,
                    kind,
                    first
                }
            );
            let msg = err.to_string();
            assert!(
                msg.contains(&format!("section 4 (at byte {offset})"))
                    && msg.contains(&format!("second {kind} section")),
                "{msg}"
            );
        }
    }

    #[test]
    fn metadata_or_program_after_the_instructions_is_refused() {
        for kind in [SectionKind::Metadata, SectionKind::Program] {
            let mut c = sample();
            c.sections.push(Section {
                kind,
                payload: vec![1],
            });
            let bytes = c.to_bytes().unwrap();
            assert_eq!(
                Container::parse(&bytes),
                Err(IsaError::SectionOrder {
                    index: 2,
                    offset: (HEADER_LEN + 2 * SECTION_HEADER_LEN + 5 + 3) as u64,
                    kind,
                    rule: "it must come before the instruction section",
                })
            );
        }
    }

    #[test]
    fn codebook_verification() {
        let c = sample();
        let id = c.header.codebook_id;
        let mut hash = [0x11u8; 32];
        hash[..CODEBOOK_ID_LEN].copy_from_slice(&id);
        assert_eq!(c.verify_codebook(&hash), Ok(()));
        let other = [0xABu8; 32];
        let err = c.verify_codebook(&other).unwrap_err();
        assert_eq!(
            err,
            IsaError::CodebookMismatch {
                expected: [0xAB; CODEBOOK_ID_LEN],
                found: id
            }
        );
        let msg = err.to_string();
        assert!(msg.contains("provided"), "{msg}");
        assert!(msg.contains("abababababababab"), "{msg}");
        assert!(
            msg.contains(&format!("{:02x}{:02x}", hash[0], hash[1])),
            "{msg}"
        );
    }

    #[test]
    fn streaming_header_and_sections() {
        let c = sample();
        let bytes = c.to_bytes().unwrap();
        // Feed in awkward chunk sizes, as a UART or DMA would deliver them.
        for chunk in [1, 3, 7, 57, 58, 59, 1000] {
            let mut reader = HeaderReader::new();
            let mut pos = 0;
            let preamble = loop {
                let end = (pos + chunk).min(bytes.len());
                let (used, done) = reader.feed(&bytes[pos..end]).unwrap();
                pos += used;
                if let Some(p) = done {
                    break p;
                }
            };
            assert_eq!(pos, HEADER_LEN);
            assert_eq!(reader.bytes_seen(), HEADER_LEN);
            assert_eq!(preamble.header, c.header);
            assert_eq!(preamble.section_count, 2);
            assert_eq!(reader.feed(&bytes[pos..]).unwrap(), (0, Some(preamble)));
        }
        // Bad magic is reported from the first byte.
        assert!(matches!(
            HeaderReader::new().feed(b"Q"),
            Err(IsaError::BadMagic { .. })
        ));

        // Walk the sections with the streaming API, checksumming payloads in pieces.
        let (pre, mut pos) = parse_header(&bytes).unwrap();
        let mut file_crc = Crc32c::new();
        file_crc.update(&bytes[..pos]);
        for index in 0..pre.section_count {
            let (sh, used) = parse_section_header(&bytes[pos..]).unwrap();
            file_crc.update(&bytes[pos..pos + used]);
            pos += used;
            let payload = &bytes[pos..pos + sh.payload_len as usize];
            let mut h = sh.payload_hasher();
            for piece in payload.chunks(2) {
                h.update(piece);
                file_crc.update(piece);
            }
            let kind = sh.check_crc(u16::from(index), h.finish()).unwrap();
            assert_eq!(kind, c.sections[usize::from(index)].kind);
            assert_eq!(sh.check(u16::from(index), payload), Ok(kind));
            assert!(sh.check(u16::from(index), &payload[1..]).is_err());
            pos += payload.len();
        }
        assert_eq!(file_crc.finish(), le_u32(&bytes, pos));
    }

    #[test]
    fn enums_convert() {
        assert_eq!(Target::try_from(0), Ok(Target::Native));
        assert_eq!(Target::try_from(1), Ok(Target::CliffordT));
        assert_eq!(Target::try_from(2), Err(IsaError::UnknownTarget(2)));
        assert_eq!(Target::CliffordT.to_string(), "clifford+t");
        for k in [
            SectionKind::Instructions,
            SectionKind::Pulses,
            SectionKind::Metadata,
            SectionKind::Program,
            SectionKind::Control,
            SectionKind::Job,
            SectionKind::Sweep,
        ] {
            assert_eq!(SectionKind::try_from(k as u8), Ok(k));
        }
        assert_eq!(SectionKind::try_from(0), Err(0));
        assert_eq!(SectionKind::try_from(8), Err(8));
    }
}

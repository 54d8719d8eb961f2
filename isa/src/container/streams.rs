//! The multi-stream container: one program cut into per-controller streams, each a whole `.eqb`
//! that its controller's own (unchanged) decoder reads alone, with the tables that say which
//! qubits each controller drives and where the controllers meet.
//!
//! # Layout (version 1, integers little-endian, `uv` = LEB128 uvarint)
//!
//! ```text
//! fixed header (STREAMS_HEADER_LEN = 26 bytes)
//!      0  4 magic b"EQMS"
//!      4  2 version (u16) = 1
//!      6  4 controller count (u32), 1 ..= MAX_CONTROLLERS
//!     10  4 qubit count of the whole program (u32)
//!     14  4 classical-bit count of the whole program (u32)
//!     18  4 table length in bytes (u32)
//!     22  4 header CRC-32C over bytes 0..22
//! table (table length bytes), per controller in order:
//!     uv run count, then per run: uv gap after the previous run's end, uv length − 1
//!                                 (the global qubits it drives: local qubit i is the i-th)
//!     uv port count, then per port: uv global qubit (local qubit own + i stands for it)
//!     uv import count, then per import: uv classical bit, uv producing controller
//!     uv export count, then per export: uv classical bit, uv consuming controller
//!     uv kept-delay count, then per delay: uv gap to the previous text index (first: index)
//!     uv stream length in bytes, u32 stream CRC-32C
//! 4 table CRC-32C
//! the streams, back to back, in controller order
//! 4 file CRC-32C over every preceding byte
//! ```
//!
//! # Synchronisation
//!
//! Every stream is timed in the global program's time: its own operations start exactly when
//! they do in the whole program, because the partition writes explicit `delay`s wherever the
//! controller would otherwise start early (waiting for a partner's gate, a bit another controller
//! measures, or the end of a loop iteration that another controller's operations make longer).
//! Decoding one stream alone therefore gives its controller's start times; the tables say where
//! the controllers meet:
//!
//! - a two-qubit gate across controllers is in both streams, on one local qubit and one *port*
//!   (a local qubit index past the controller's own that stands for the partner's qubit): both
//!   controllers play their half at the same global time;
//! - a condition (an `if` or a `while`) reading a bit another controller measures is an *import*
//!   of the reader and an *export* of the measurer (bits as the text names them: a loop that
//!   moves along the measurement record shifts them alike in every stream);
//! - the delays the program itself holds are listed (*kept delays*, text indices): every other
//!   `delay` in a stream is a synchronisation wait the partition inserted.

use alloc::vec::Vec;

use crate::crc::crc32c;
use crate::error::IsaError;
use crate::varint::{read_uvarint, write_uvarint};

/// The multi-stream file's magic.
pub const STREAMS_MAGIC: [u8; 4] = *b"EQMS";
/// The multi-stream format version this crate writes and reads.
pub const STREAMS_VERSION: u16 = 1;
/// Size of the fixed header, its CRC included.
pub const STREAMS_HEADER_LEN: usize = 26;
/// Most controllers one file may hold.
pub const MAX_CONTROLLERS: u32 = 1 << 16;

/// One controller's entry of the table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StreamEntry {
    /// The global qubits it drives, ascending: local qubit `i` is `qubits[i]`.
    pub qubits: Vec<u32>,
    /// The partners' qubits its ports stand for: local qubit `qubits.len() + i` is `ports[i]`.
    pub ports: Vec<u32>,
    /// `(bit, producer)`: bits its conditions read that controller `producer` measures.
    pub imports: Vec<(u32, u32)>,
    /// `(bit, consumer)`: bits it measures that controller `consumer`'s conditions read.
    pub exports: Vec<(u32, u32)>,
    /// Text indices of the `delay`s that belong to the program (every other one is a wait).
    pub kept_delays: Vec<u64>,
}

/// A parsed (or to be written) multi-stream file: the table and each controller's `.eqb`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Streams {
    /// Qubits of the whole program.
    pub qubit_count: u32,
    /// Classical bits of the whole program.
    pub clbit_count: u32,
    /// Per controller: its entry and its stream's bytes (a whole `.eqb`).
    pub controllers: Vec<(StreamEntry, Vec<u8>)>,
}

/// Whether `bytes` starts like a multi-stream file.
#[must_use]
pub fn is_streams(bytes: &[u8]) -> bool {
    bytes.get(..4) == Some(&STREAMS_MAGIC[..])
}

fn runs_of(sorted: &[u32]) -> Vec<(u32, u32)> {
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for &q in sorted {
        match runs.last_mut() {
            Some((start, len)) if u64::from(*start) + u64::from(*len) == u64::from(q) => *len += 1,
            _ => runs.push((q, 1)),
        }
    }
    runs
}

/// A cursor over the table's bytes.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn uv(&mut self) -> Result<u64, IsaError> {
        let (v, n) = read_uvarint(self.bytes.get(self.pos..).unwrap_or(&[]))?;
        self.pos += n;
        Ok(v)
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, IsaError> {
        let v = self.uv()?;
        u32::try_from(v).map_err(|_| IsaError::Limit {
            what,
            found: v,
            max: u64::from(u32::MAX),
        })
    }

    /// A count of items each at least one byte long: never more than the bytes left.
    fn count(&mut self, what: &'static str) -> Result<usize, IsaError> {
        let n = self.uv()?;
        let left = self.bytes.len().saturating_sub(self.pos) as u64;
        if n > left {
            return Err(IsaError::Truncated {
                what,
                needed: n,
                available: left,
            });
        }
        Ok(n as usize)
    }

    fn fixed4(&mut self, what: &'static str) -> Result<[u8; 4], IsaError> {
        let s =
            self.bytes
                .get(self.pos..self.pos.saturating_add(4))
                .ok_or(IsaError::Truncated {
                    what,
                    needed: 4,
                    available: self.bytes.len().saturating_sub(self.pos) as u64,
                })?;
        let mut b = [0u8; 4];
        b.copy_from_slice(s);
        self.pos += 4;
        Ok(b)
    }
}

fn le_u32(bytes: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    if let Some(s) = bytes.get(at..at + 4) {
        b.copy_from_slice(s);
    }
    u32::from_le_bytes(b)
}

impl Streams {
    /// Serialise the file.
    ///
    /// # Errors
    /// [`IsaError::Limit`] for no controller or more than [`MAX_CONTROLLERS`],
    /// [`IsaError::LengthOverflow`] for a table past 4 GiB.
    pub fn to_bytes(&self) -> Result<Vec<u8>, IsaError> {
        let n = self.controllers.len() as u64;
        if n == 0 || n > u64::from(MAX_CONTROLLERS) {
            return Err(IsaError::Limit {
                what: "controllers in a multi-stream file",
                found: n,
                max: u64::from(MAX_CONTROLLERS),
            });
        }
        if u64::from(self.qubit_count) > u64::from(crate::stream::MAX_QUBITS) {
            return Err(IsaError::Limit {
                what: "qubits in a multi-stream file",
                found: u64::from(self.qubit_count),
                max: u64::from(crate::stream::MAX_QUBITS),
            });
        }
        let mut table = Vec::new();
        for (e, bytes) in &self.controllers {
            let runs = runs_of(&e.qubits);
            write_uvarint(&mut table, runs.len() as u64);
            let mut next = 0u64;
            for (start, len) in runs {
                write_uvarint(&mut table, u64::from(start) - next);
                write_uvarint(&mut table, u64::from(len) - 1);
                next = u64::from(start) + u64::from(len);
            }
            write_uvarint(&mut table, e.ports.len() as u64);
            for &p in &e.ports {
                write_uvarint(&mut table, u64::from(p));
            }
            for list in [&e.imports, &e.exports] {
                write_uvarint(&mut table, list.len() as u64);
                for &(bit, c) in list {
                    write_uvarint(&mut table, u64::from(bit));
                    write_uvarint(&mut table, u64::from(c));
                }
            }
            write_uvarint(&mut table, e.kept_delays.len() as u64);
            let mut prev = 0u64;
            for &d in &e.kept_delays {
                write_uvarint(&mut table, d.wrapping_sub(prev));
                prev = d;
            }
            write_uvarint(&mut table, bytes.len() as u64);
            table.extend_from_slice(&crc32c(bytes).to_le_bytes());
        }
        let table_len = u32::try_from(table.len()).map_err(|_| IsaError::LengthOverflow {
            what: "multi-stream table",
        })?;
        let mut out = Vec::with_capacity(STREAMS_HEADER_LEN + table.len() + 8);
        out.extend_from_slice(&STREAMS_MAGIC);
        out.extend_from_slice(&STREAMS_VERSION.to_le_bytes());
        out.extend_from_slice(&(n as u32).to_le_bytes());
        out.extend_from_slice(&self.qubit_count.to_le_bytes());
        out.extend_from_slice(&self.clbit_count.to_le_bytes());
        out.extend_from_slice(&table_len.to_le_bytes());
        let head_crc = crc32c(&out);
        out.extend_from_slice(&head_crc.to_le_bytes());
        out.extend_from_slice(&table);
        out.extend_from_slice(&crc32c(&table).to_le_bytes());
        for (_, bytes) in &self.controllers {
            out.extend_from_slice(bytes);
        }
        let file_crc = crc32c(&out);
        out.extend_from_slice(&file_crc.to_le_bytes());
        Ok(out)
    }

    /// Parse a multi-stream file, checking every CRC, that the controllers' qubits cut the
    /// program's qubits exactly (each driven by one controller, none without a qubit), that
    /// ports, imports and exports name qubits, bits and controllers in range, and that the
    /// streams' lengths add up to the file. The streams themselves are checked by their
    /// decoders.
    ///
    /// # Errors
    /// A typed [`IsaError`] for anything the layout refuses: wrong magic or version, a CRC
    /// mismatch, a truncated or oversized field, an inconsistent table, trailing bytes.
    pub fn parse(bytes: &[u8]) -> Result<Streams, IsaError> {
        if bytes.len() < STREAMS_HEADER_LEN {
            return Err(IsaError::Truncated {
                what: "multi-stream header",
                needed: STREAMS_HEADER_LEN as u64,
                available: bytes.len() as u64,
            });
        }
        if !is_streams(bytes) {
            return Err(IsaError::Corrupt(
                "not a multi-stream file (its magic is not EQMS)",
            ));
        }
        let head = bytes.get(..22).unwrap_or(&[]);
        let stored = le_u32(bytes, 22);
        let computed = crc32c(head);
        if stored != computed {
            return Err(IsaError::HeaderCrc { stored, computed });
        }
        let version = u16::from_le_bytes([
            bytes.get(4).copied().unwrap_or(0),
            bytes.get(5).copied().unwrap_or(0),
        ]);
        if version != STREAMS_VERSION {
            return Err(IsaError::UnsupportedVersion {
                found: version,
                supported: STREAMS_VERSION,
            });
        }
        let count = le_u32(bytes, 6);
        if count == 0 || count > MAX_CONTROLLERS {
            return Err(IsaError::Limit {
                what: "controllers in a multi-stream file",
                found: u64::from(count),
                max: u64::from(MAX_CONTROLLERS),
            });
        }
        let qubit_count = le_u32(bytes, 10);
        // Every qubit gets an owner in memory: a hostile header must not declare 2^32 of them.
        if u64::from(qubit_count) > u64::from(crate::stream::MAX_QUBITS) {
            return Err(IsaError::Limit {
                what: "qubits in a multi-stream file",
                found: u64::from(qubit_count),
                max: u64::from(crate::stream::MAX_QUBITS),
            });
        }
        let clbit_count = le_u32(bytes, 14);
        let table_len = le_u32(bytes, 18) as usize;
        // The file CRC first: then no field below can be a flipped bit.
        let body_end = bytes.len().checked_sub(4).ok_or(IsaError::Truncated {
            what: "multi-stream trailer",
            needed: 4,
            available: 0,
        })?;
        if body_end < STREAMS_HEADER_LEN {
            return Err(IsaError::Truncated {
                what: "multi-stream trailer",
                needed: 4,
                available: bytes.len().saturating_sub(STREAMS_HEADER_LEN) as u64,
            });
        }
        let table_end = STREAMS_HEADER_LEN
            .checked_add(table_len)
            .filter(|&e| e.saturating_add(4) <= body_end)
            .ok_or(IsaError::Truncated {
                what: "multi-stream table",
                needed: table_len as u64 + 4,
                available: body_end.saturating_sub(STREAMS_HEADER_LEN) as u64,
            })?;
        let table = bytes.get(STREAMS_HEADER_LEN..table_end).unwrap_or(&[]);
        let stored = le_u32(bytes, table_end);
        let computed = crc32c(table);
        if stored != computed {
            return Err(IsaError::SectionCrc {
                index: 0,
                kind: 0,
                stored,
                computed,
            });
        }
        let stored = le_u32(bytes, body_end);
        let computed = crc32c(bytes.get(..body_end).unwrap_or(&[]));
        if stored != computed {
            return Err(IsaError::FileCrc { stored, computed });
        }
        let mut r = Reader {
            bytes: table,
            pos: 0,
        };
        let mut entries: Vec<(StreamEntry, u64, u32)> = Vec::new();
        let mut covered = 0u64;
        for c in 0..count {
            let mut e = StreamEntry::default();
            let runs = r.count("qubit runs")?;
            let mut next = 0u64;
            for _ in 0..runs {
                let start = next.saturating_add(r.uv()?);
                let len = r.uv()?.saturating_add(1);
                let end = start.saturating_add(len);
                if end > u64::from(qubit_count) {
                    return Err(IsaError::Corrupt(
                        "a controller drives a qubit past the program's",
                    ));
                }
                covered += len;
                if covered > u64::from(qubit_count) {
                    return Err(IsaError::Corrupt("a qubit driven by two controllers"));
                }
                e.qubits.extend(start as u32..end as u32);
                next = end;
            }
            if e.qubits.is_empty() {
                return Err(IsaError::Corrupt("a controller that drives no qubit"));
            }
            let ports = r.count("ports")?;
            for _ in 0..ports {
                let q = r.u32("port qubit")?;
                if q >= qubit_count {
                    return Err(IsaError::Corrupt("a port names a qubit out of range"));
                }
                e.ports.push(q);
            }
            for which in 0..2 {
                let n = r.count("synchronised bits")?;
                for _ in 0..n {
                    let bit = r.u32("synchronised bit")?;
                    let other = r.u32("partner controller")?;
                    if bit >= clbit_count || other >= count || other == c {
                        return Err(IsaError::Corrupt(
                            "a synchronised bit or partner controller out of range",
                        ));
                    }
                    if which == 0 {
                        e.imports.push((bit, other));
                    } else {
                        e.exports.push((bit, other));
                    }
                }
            }
            let kept = r.count("kept delays")?;
            let mut prev = 0u64;
            for i in 0..kept {
                let gap = r.uv()?;
                if i > 0 && gap == 0 {
                    return Err(IsaError::Corrupt("kept delays not in ascending order"));
                }
                prev = prev
                    .checked_add(gap)
                    .ok_or(IsaError::Corrupt("a kept delay's index overflows"))?;
                e.kept_delays.push(prev);
            }
            let len = r.uv()?;
            let crc = u32::from_le_bytes(r.fixed4("stream CRC")?);
            entries.push((e, len, crc));
        }
        if r.pos != table.len() {
            return Err(IsaError::Corrupt(
                "trailing bytes in the multi-stream table",
            ));
        }
        if covered != u64::from(qubit_count) {
            return Err(IsaError::Corrupt(
                "the controllers' qubits do not cover the program's",
            ));
        }
        let mut pos = table_end + 4;
        let mut controllers = Vec::with_capacity(entries.len());
        for (e, len, crc) in entries {
            let end = u64::try_from(pos)
                .ok()
                .and_then(|p| p.checked_add(len))
                .filter(|&end| end <= body_end as u64)
                .ok_or(IsaError::Truncated {
                    what: "controller stream",
                    needed: len,
                    available: body_end.saturating_sub(pos) as u64,
                })? as usize;
            let s = bytes.get(pos..end).unwrap_or(&[]);
            let computed = crc32c(s);
            if computed != crc {
                return Err(IsaError::SectionCrc {
                    index: controllers.len() as u16,
                    kind: 0,
                    stored: crc,
                    computed,
                });
            }
            for &p in &e.ports {
                if e.qubits.binary_search(&p).is_ok() {
                    return Err(IsaError::Corrupt(
                        "a port stands for the controller's own qubit",
                    ));
                }
            }
            controllers.push((e, s.to_vec()));
            pos = end;
        }
        if pos != body_end {
            return Err(IsaError::TrailingBytes(body_end - pos));
        }
        Ok(Streams {
            qubit_count,
            clbit_count,
            controllers,
        })
    }

    /// Which controller drives global qubit `q` (`None` out of range).
    #[must_use]
    pub fn controller_of(&self, q: u32) -> Option<usize> {
        self.controllers
            .iter()
            .position(|(e, _)| e.qubits.binary_search(&q).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Streams {
        Streams {
            qubit_count: 5,
            clbit_count: 4,
            controllers: alloc::vec![
                (
                    StreamEntry {
                        qubits: alloc::vec![0, 1, 2],
                        ports: alloc::vec![3],
                        imports: alloc::vec![],
                        exports: alloc::vec![(1, 1)],
                        kept_delays: alloc::vec![4, 9],
                    },
                    alloc::vec![1, 2, 3, 4, 5],
                ),
                (
                    StreamEntry {
                        qubits: alloc::vec![3, 4],
                        ports: alloc::vec![2],
                        imports: alloc::vec![(1, 0)],
                        exports: alloc::vec![],
                        kept_delays: alloc::vec![],
                    },
                    alloc::vec![9; 7],
                ),
            ],
        }
    }

    #[test]
    fn round_trips() {
        let s = sample();
        let bytes = s.to_bytes().unwrap();
        assert!(is_streams(&bytes));
        assert_eq!(Streams::parse(&bytes).unwrap(), s);
        assert_eq!(s.controller_of(3), Some(1));
        assert_eq!(s.controller_of(5), None);
    }

    /// A header declaring more qubits than a program may hold is refused before any qubit is
    /// given an owner in memory (found by the `streams` fuzz target: 2^32 qubits in one run
    /// asked for 16 GB), even with every checksum right.
    #[test]
    fn a_header_with_billions_of_qubits_is_refused_without_allocating() {
        let mut s = sample();
        s.qubit_count = crate::stream::MAX_QUBITS + 1;
        assert!(matches!(s.to_bytes(), Err(IsaError::Limit { .. })));
        let mut bytes = sample().to_bytes().unwrap();
        bytes[10..14].copy_from_slice(&u32::MAX.to_le_bytes());
        let head = crc32c(&bytes[..22]);
        bytes[22..26].copy_from_slice(&head.to_le_bytes());
        let end = bytes.len() - 4;
        let file = crc32c(&bytes[..end]);
        bytes[end..].copy_from_slice(&file.to_le_bytes());
        assert!(matches!(
            Streams::parse(&bytes),
            Err(IsaError::Limit { found, .. }) if found == u64::from(u32::MAX)
        ));
    }

    #[test]
    fn every_cut_and_bit_flip_is_refused() {
        let bytes = sample().to_bytes().unwrap();
        for cut in 0..bytes.len() {
            assert!(Streams::parse(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut b = bytes.clone();
                b[i] ^= 1 << bit;
                assert!(Streams::parse(&b).is_err(), "flip {i}:{bit}");
            }
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(Streams::parse(&longer).is_err());
    }

    #[test]
    fn refuses_inconsistent_tables() {
        let mut s = sample();
        s.controllers[1].0.qubits = alloc::vec![2, 3, 4];
        assert!(matches!(
            Streams::parse(&s.to_bytes().unwrap()),
            Err(IsaError::Corrupt(_))
        ));
        let mut s = sample();
        s.controllers[1].0.qubits = alloc::vec![3];
        assert!(
            Streams::parse(&s.to_bytes().unwrap()).is_err(),
            "qubit 4 undriven"
        );
        let mut s = sample();
        s.controllers[0].0.ports = alloc::vec![1];
        assert!(Streams::parse(&s.to_bytes().unwrap()).is_err(), "own port");
        let mut s = sample();
        s.controllers[1].0.imports = alloc::vec![(1, 1)];
        assert!(
            Streams::parse(&s.to_bytes().unwrap()).is_err(),
            "self import"
        );
        let s = Streams {
            qubit_count: 0,
            clbit_count: 0,
            controllers: alloc::vec![],
        };
        assert!(s.to_bytes().is_err());
    }
}

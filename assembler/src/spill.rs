//! Operations held on disk: the text of a streamed program once it outgrows memory, written in a
//! compact binary form to a temporary file that is removed when dropped, and read back in order.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::PathBuf;

use eqisa_lower::program::{NativeOp, TimedOp};

/// Operations kept in memory before the spill file is used.
const IN_MEMORY: usize = 1 << 16;

/// Operations in order, in memory and then in a temporary file.
#[derive(Debug, Default)]
pub(crate) struct Spill {
    mem: Vec<TimedOp>,
    file: Option<(PathBuf, BufWriter<File>)>,
    on_disk: u64,
}

fn tag(op: &NativeOp) -> (u8, u64) {
    match *op {
        NativeOp::Rz(a) => (0, a.to_bits()),
        NativeOp::Sx => (1, 0),
        NativeOp::X => (2, 0),
        NativeOp::Cz => (3, 0),
        NativeOp::Ecr => (4, 0),
        NativeOp::H => (5, 0),
        NativeOp::S => (6, 0),
        NativeOp::Sdg => (7, 0),
        NativeOp::T => (8, 0),
        NativeOp::Tdg => (9, 0),
        NativeOp::Y => (10, 0),
        NativeOp::Z => (11, 0),
        NativeOp::Cx => (12, 0),
        NativeOp::Measure { clbit } => (13, u64::from(clbit)),
        NativeOp::Reset => (14, 0),
        NativeOp::Delay { ns } => (15, ns.to_bits()),
        NativeOp::Barrier => (16, 0),
    }
}

fn untag(t: u8, arg: u64) -> Option<NativeOp> {
    Some(match t {
        0 => NativeOp::Rz(f64::from_bits(arg)),
        1 => NativeOp::Sx,
        2 => NativeOp::X,
        3 => NativeOp::Cz,
        4 => NativeOp::Ecr,
        5 => NativeOp::H,
        6 => NativeOp::S,
        7 => NativeOp::Sdg,
        8 => NativeOp::T,
        9 => NativeOp::Tdg,
        10 => NativeOp::Y,
        11 => NativeOp::Z,
        12 => NativeOp::Cx,
        13 => NativeOp::Measure {
            clbit: u32::try_from(arg).ok()?,
        },
        14 => NativeOp::Reset,
        15 => NativeOp::Delay {
            ns: f64::from_bits(arg),
        },
        16 => NativeOp::Barrier,
        _ => return None,
    })
}

impl Spill {
    /// Appends `op`.
    pub(crate) fn push(&mut self, op: TimedOp) -> std::io::Result<()> {
        self.mem.push(op);
        if self.mem.len() >= IN_MEMORY {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.file.is_none() {
            static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let path =
                std::env::temp_dir().join(format!("eqisa-spill-{}-{n}.bin", std::process::id()));
            let f = File::create(&path)?;
            self.file = Some((path, BufWriter::new(f)));
        }
        let Some((_, w)) = &mut self.file else {
            return Ok(());
        };
        for op in self.mem.drain(..) {
            let (t, arg) = tag(&op.op);
            w.write_all(&[t])?;
            w.write_all(&(op.qubits.len() as u32).to_le_bytes())?;
            w.write_all(&arg.to_le_bytes())?;
            for q in &op.qubits {
                w.write_all(&q.to_le_bytes())?;
            }
            w.write_all(&op.cond.unwrap_or(u32::MAX).to_le_bytes())?;
            w.write_all(&op.start_ns.to_bits().to_le_bytes())?;
            w.write_all(&op.duration_ns.to_bits().to_le_bytes())?;
            self.on_disk += 1;
        }
        Ok(())
    }

    /// Calls `each` on every operation, in order.
    pub(crate) fn for_each<E: From<std::io::Error>>(
        &mut self,
        mut each: impl FnMut(TimedOp) -> Result<(), E>,
    ) -> Result<(), E> {
        if let Some((path, w)) = &mut self.file {
            w.flush()?;
            let mut r = BufReader::new(File::open(&*path)?);
            for _ in 0..self.on_disk {
                each(read_op(&mut r)?)?;
            }
        }
        for op in self.mem.drain(..) {
            each(op)?;
        }
        Ok(())
    }
}

fn read_op(r: &mut impl Read) -> std::io::Result<TimedOp> {
    let mut head = [0u8; 13];
    r.read_exact(&mut head)?;
    let word = |b: &[u8]| -> u64 {
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        u64::from_le_bytes(a)
    };
    let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, "spill file corrupted");
    let op = untag(head[0], word(&head[5..13])).ok_or_else(bad)?;
    let count = u32::from_le_bytes([head[1], head[2], head[3], head[4]]);
    let mut qubits = smallvec::SmallVec::new();
    for _ in 0..count {
        let mut q = [0u8; 4];
        r.read_exact(&mut q)?;
        qubits.push(u32::from_le_bytes(q));
    }
    let mut rest = [0u8; 20];
    r.read_exact(&mut rest)?;
    let mut c = [0u8; 4];
    c.copy_from_slice(&rest[..4]);
    let cond = u32::from_le_bytes(c);
    Ok(TimedOp {
        op,
        qubits,
        cond: (cond != u32::MAX).then_some(cond),
        start_ns: f64::from_bits(word(&rest[4..12])),
        duration_ns: f64::from_bits(word(&rest[12..20])),
    })
}

impl Drop for Spill {
    fn drop(&mut self) {
        if let Some((path, _)) = self.file.take() {
            // Best effort: a temporary file left behind is only disk space.
            let _ = std::fs::remove_file(path);
        }
    }
}

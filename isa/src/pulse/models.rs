//! The pulse section's adaptive models: waveforms, windows and values, identical on both sides.

use alloc::vec;
use alloc::vec::Vec;

use super::atoms::AtomSet;
use super::fixed::{check_rotation, sat16};
use super::header::PulseHeader;
use super::waveform::{COEF_L1_MAX, CodedWaveform, MAX_SHIFT, MAX_TERMS, Term, WindowCode};
use crate::coder::{Coder, PROB_HALF, RangeDecoder, RangeEncoder};
use crate::error::IsaError;
use crate::model::width_for;

/// Largest coefficient or residual magnitude (`|i16::MIN|`), and its Elias-gamma exponent.
const MAG_MAX_EXP: u32 = 15;
/// Exponent bound of `len + 1` (`len ≤ 2^16`).
const LEN_MAX_EXP: u32 = 16;
/// Exponent bound of `gap + 1` (`gap < MAX_TIME`).
pub(super) const GAP_MAX_EXP: u32 = 62;

/// Adaptive Elias-gamma code of `v ≥ 1` (see the module documentation).
#[derive(Clone, Debug)]
pub(super) struct Gamma {
    exp: [u16; 64],
    mant: [[u16; 3]; 64],
}

impl Gamma {
    fn new() -> Self {
        Gamma {
            exp: [PROB_HALF; 64],
            mant: [[PROB_HALF; 3]; 64],
        }
    }

    /// Codes `value` (`1 ≤ value < 2^(max_e+1)`, checked by the caller when encoding) and returns
    /// the coded value.
    #[inline]
    pub(super) fn code<C: Coder>(&mut self, c: &mut C, value: u64, max_e: u32) -> u64 {
        let e_true = 63 - (value | 1).leading_zeros();
        let mut e = 0u32;
        while e < max_e {
            let Some(p) = self.exp.get_mut(e as usize) else {
                break;
            };
            if !c.bit(p, e < e_true) {
                break;
            }
            e += 1;
        }
        let mut v = 1u64;
        let top = e.min(2);
        let mut node = 0usize;
        if let Some(probs) = self.mant.get_mut(e as usize) {
            for k in 0..top {
                let b = (value >> (e - 1 - k)) & 1 == 1;
                let bit = match probs.get_mut(node) {
                    Some(p) => c.bit(p, b),
                    None => false,
                };
                v = (v << 1) | u64::from(bit);
                node = 1 + usize::from(bit);
            }
        }
        let rest = e - top;
        if rest > 0 {
            let low = c.direct(value, rest);
            v = (v << rest) | low;
        }
        v
    }
}

/// Signed values: a zero bit, then the magnitude (adaptive gamma, at most 32768) and a raw sign.
#[derive(Clone, Debug)]
struct Signed {
    zero: u16,
    mag: Gamma,
}

impl Signed {
    fn new() -> Self {
        Signed {
            zero: PROB_HALF,
            mag: Gamma::new(),
        }
    }

    #[inline]
    fn code<C: Coder>(&mut self, c: &mut C, value: i16) -> Result<i16, IsaError> {
        if !c.bit(&mut self.zero, value != 0) {
            return Ok(0);
        }
        let m = self
            .mag
            .code(c, u64::from(value.unsigned_abs()), MAG_MAX_EXP);
        let neg = c.direct(u64::from(value < 0), 1) == 1;
        match (m, neg) {
            (1..=32767, false) => Ok(m as i16),
            (1..=32767, true) => Ok(-(m as i16)),
            (32768, true) => Ok(i16::MIN),
            _ => Err(IsaError::Corrupt("a pulse value out of the i16 range")),
        }
    }
}

/// A bit-tree of `bits` levels over `probs` (at least `2^bits` slots, slot 0 unused).
#[inline]
pub(super) fn bit_tree<C: Coder>(c: &mut C, probs: &mut [u16], bits: u32, value: u64) -> u64 {
    let mut node = 1usize;
    for i in (0..bits).rev() {
        let b = (value >> i) & 1 == 1;
        let bit = match probs.get_mut(node) {
            Some(p) => c.bit(p, b),
            None => false,
        };
        node = (node << 1) | usize::from(bit);
    }
    (node as u64) - (1u64 << bits)
}

/// The section's adaptive models, identical on both sides.
#[derive(Clone, Debug)]
pub(super) struct Models {
    pub(super) cbits: u32,
    pub(super) mbits: u32,
    kbits: u32,
    pub(super) channel: Vec<u16>,
    pub(super) gap: Gamma,
    pub(super) inline: u16,
    pub(super) slot: Vec<u16>,
    pub(super) identity: u16,
    len: Gamma,
    lossless: u16,
    same_shift: u16,
    /// Whether a sparse waveform carries a modulation step.
    modulated: u16,
    /// "This window repeats the previous one", in the context of whether the previous did.
    repeat: [u16; 2],
    shift: [u16; 16],
    count: [[u16; 16]; 16],
    /// Three position contexts of `2^kbits` slots each.
    atom: Vec<u16>,
    coef: [[Signed; 2]; 3],
    sample: [Signed; 2],
}

impl Models {
    pub(super) fn new(header: &PulseHeader) -> Self {
        let cbits = width_for(header.channels.len() as u64);
        let mbits = width_for(u64::from(header.memory_count));
        let kbits = width_for(u64::from(header.atom_count));
        Models {
            cbits,
            mbits,
            kbits,
            channel: vec![PROB_HALF; 1 << cbits],
            gap: Gamma::new(),
            inline: PROB_HALF,
            slot: vec![PROB_HALF; 1 << mbits],
            identity: PROB_HALF,
            len: Gamma::new(),
            lossless: PROB_HALF,
            same_shift: PROB_HALF,
            modulated: PROB_HALF,
            repeat: [PROB_HALF; 2],
            shift: [PROB_HALF; 16],
            count: [[PROB_HALF; 16]; 16],
            atom: vec![PROB_HALF; 3 << kbits],
            coef: core::array::from_fn(|_| [Signed::new(), Signed::new()]),
            sample: [Signed::new(), Signed::new()],
        }
    }

    fn atom_ctx(&mut self, pos: usize) -> &mut [u16] {
        let n = 1usize << self.kbits;
        let from = pos.min(2) * n;
        self.atom.get_mut(from..from + n).unwrap_or(&mut [])
    }

    pub(super) fn encode_waveform(
        &mut self,
        c: &mut RangeEncoder,
        wf: &CodedWaveform,
    ) -> Result<(), IsaError> {
        let len = wf.len() as u64;
        self.len.code(c, len + 1, LEN_MAX_EXP);
        match wf {
            CodedWaveform::Lossless(samples) => {
                c.bit(&mut self.lossless, true);
                let mut p1 = [0i16; 2];
                let mut p2 = [0i16; 2];
                for s in samples {
                    for (comp, model) in self.sample.iter_mut().enumerate() {
                        let (a, b, v) = pick(&p1, &p2, s, comp);
                        model.code(c, v.wrapping_sub(predict(a, b)))?;
                    }
                    p2 = p1;
                    p1 = *s;
                }
            }
            CodedWaveform::Sparse {
                windows,
                modulation,
                ..
            } => {
                c.bit(&mut self.lossless, false);
                if c.bit(&mut self.modulated, modulation.is_some())
                    && let Some([re, im]) = modulation
                {
                    c.direct(u64::from(*re as u16), 16);
                    c.direct(u64::from(*im as u16), 16);
                }
                let mut prev_shift = None;
                let mut prev_count = 0usize;
                let mut prev: Option<(&WindowCode, bool)> = None;
                for w in windows {
                    if let Some((p, was)) = prev {
                        let same = p == w;
                        let [after_new, after_repeat] = &mut self.repeat;
                        let ctx = if was { after_repeat } else { after_new };
                        c.bit(ctx, same);
                        prev = Some((w, same));
                        if same {
                            continue;
                        }
                    } else {
                        prev = Some((w, false));
                    }
                    self.code_shift(c, &mut prev_shift, w.shift);
                    let n = w.terms.len();
                    if let Some(p) = self.count.get_mut(prev_count) {
                        bit_tree(c, p, 4, n as u64);
                    }
                    prev_count = n;
                    for (pos, t) in w.terms.iter().enumerate() {
                        let kbits = self.kbits;
                        bit_tree(c, self.atom_ctx(pos), kbits, u64::from(t.atom));
                        if let Some([re, im]) = self.coef.get_mut(pos.min(2)) {
                            re.code(c, t.coef[0])?;
                            im.code(c, t.coef[1])?;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// The shift, shared by both sides: a "same as before" bit after the first window.
    #[inline]
    fn code_shift<C: Coder>(&mut self, c: &mut C, prev: &mut Option<u8>, shift: u8) -> u8 {
        let s = match *prev {
            Some(p) if c.bit(&mut self.same_shift, shift == p) => p,
            _ => bit_tree(c, &mut self.shift, 4, u64::from(shift)) as u8,
        };
        *prev = Some(s);
        s
    }

    pub(super) fn decode_waveform(
        &mut self,
        d: &mut RangeDecoder<'_>,
        max_len: u64,
        atoms: Option<&AtomSet>,
    ) -> Result<CodedWaveform, IsaError> {
        let len = self.len.code(d, 0, LEN_MAX_EXP) - 1;
        if len > max_len {
            return Err(IsaError::Corrupt(
                "a waveform longer than the section header allows",
            ));
        }
        if d.bit(&mut self.lossless, false) {
            let mut samples = Vec::with_capacity(len as usize);
            let mut p1 = [0i16; 2];
            let mut p2 = [0i16; 2];
            for _ in 0..len {
                let mut s = [0i16; 2];
                for (comp, model) in self.sample.iter_mut().enumerate() {
                    let (a, b, _) = pick(&p1, &p2, &s, comp);
                    let r = model.code(d, 0)?;
                    if let Some(v) = s.get_mut(comp) {
                        *v = predict(a, b).wrapping_add(r);
                    }
                }
                p2 = p1;
                p1 = s;
                samples.push(s);
            }
            return Ok(CodedWaveform::Lossless(samples));
        }
        let modulation = if d.bit(&mut self.modulated, false) {
            let step = [d.direct(0, 16) as u16 as i16, d.direct(0, 16) as u16 as i16];
            check_rotation(step)?;
            Some(step)
        } else {
            None
        };
        let atoms = atoms.ok_or(IsaError::NoPulseAtoms)?;
        let k = atoms.count() as u64;
        let nwin = (len as usize).div_ceil(atoms.window);
        let mut windows: Vec<WindowCode> = Vec::with_capacity(nwin);
        let mut prev_shift = None;
        let mut prev_count = 0usize;
        let mut was_repeat = false;
        for _ in 0..nwin {
            if let Some(last) = windows.last() {
                let [after_new, after_repeat] = &mut self.repeat;
                let ctx = if was_repeat { after_repeat } else { after_new };
                was_repeat = d.bit(ctx, false);
                if was_repeat {
                    windows.push(last.clone());
                    continue;
                }
            }
            let shift = self.code_shift(d, &mut prev_shift, 0);
            if shift > MAX_SHIFT {
                return Err(IsaError::CoefficientOutOfRange {
                    what: "window shift above 15",
                });
            }
            let n = match self.count.get_mut(prev_count) {
                Some(p) => bit_tree(d, p, 4, 0) as usize,
                None => 0,
            };
            if n > MAX_TERMS {
                return Err(IsaError::CoefficientOutOfRange {
                    what: "more than 15 terms in a window",
                });
            }
            prev_count = n;
            let mut terms = Vec::with_capacity(n);
            let mut l1 = 0u32;
            for pos in 0..n {
                let kbits = self.kbits;
                let atom = bit_tree(d, self.atom_ctx(pos), kbits, 0);
                if atom >= k {
                    return Err(IsaError::AtomOutOfRange {
                        index: atom as u32,
                        count: k as u32,
                    });
                }
                let mut coef = [0i16; 2];
                if let Some([re, im]) = self.coef.get_mut(pos.min(2)) {
                    coef = [re.code(d, 0)?, im.code(d, 0)?];
                }
                if coef.contains(&i16::MIN) {
                    return Err(IsaError::CoefficientOutOfRange {
                        what: "coefficient component -32768",
                    });
                }
                l1 += u32::from(coef[0].unsigned_abs()) + u32::from(coef[1].unsigned_abs());
                terms.push(Term {
                    atom: atom as u16,
                    coef,
                });
            }
            if l1 > COEF_L1_MAX {
                return Err(IsaError::CoefficientOutOfRange {
                    what: "window coefficients above the L1 budget of 65535",
                });
            }
            windows.push(WindowCode { shift, terms });
        }
        Ok(CodedWaveform::Sparse {
            len: len as u32,
            windows,
            modulation,
        })
    }
}

/// The previous two values and the current one of component `comp`.
#[inline(always)]
fn pick(p1: &[i16; 2], p2: &[i16; 2], s: &[i16; 2], comp: usize) -> (i16, i16, i16) {
    let g = |a: &[i16; 2]| a.get(comp).copied().unwrap_or(0);
    (g(p1), g(p2), g(s))
}

/// Linear prediction `clamp(2a − b)` of a lossless sample from the previous two.
#[inline(always)]
fn predict(a: i16, b: i16) -> i16 {
    sat16(2 * i32::from(a) - i32::from(b))
}

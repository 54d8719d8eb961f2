//! Learning the instruction model's priors (the entropy-model part of a codebook) from
//! instruction streams.
//!
//! One pass over the training streams runs the very model the coder uses (from flat priors) and
//! counts the zeros and ones every binary probability slot sees and the lanes every multi-symbol
//! distribution codes. Each binary slot's prior is its smoothed frequency
//! (`coder::prob_from_counts`); each distribution's prior is its smoothed lane frequencies
//! (Krichevsky–Trofimov, 0.4 per lane it can code), stored as log-weights
//! (`coder::log_of_ratio`).
//!
//! The model still adapts while coding, so priors only decide how fast a program's first
//! instructions become cheap: they matter most for short programs.
//!
//! The Clifford+T macro words ([`Priors::words`]) are the runs of one-qubit gates on one qubit
//! (at least [`ENCODER_MIN_COPY`] of them) that recur in at least two training programs: a word
//! repeated inside one program is already a copy from its own window, so only recurrence across
//! programs earns a place. The most valuable ((programs - 1) × length) come first, up to the
//! table's budget.

use eqisa_encode::{ENCODER_MIN_COPY, code_all};
use eqisa_isa::IsaError;
use eqisa_isa::container::Target;
use std::collections::BTreeMap;

use eqisa_isa::coder::{Cdf, Coder, LANES, log_of_ratio, prob_from_counts};
use eqisa_isa::copies::MAX_WORDS;
use eqisa_isa::instr::{Instr, Opcode};
use eqisa_isa::model::copyable;
use eqisa_isa::model::{CDF_PRIORS, Model, Priors, ProgramParams, TABLE_SLOTS};

/// Training "coder": codes nothing, counts what the model asks for, by the address of the
/// probability or distribution within the model's tables.
struct Tally {
    bin_base: usize,
    bin_len: usize,
    bins: Vec<[u64; 2]>,
    cdf_base: usize,
    cdf_len: usize,
    lanes: Vec<[u64; LANES]>,
}

impl Tally {
    fn new(model: &Model) -> Tally {
        let t = model.table();
        let c = model.cdf_table();
        Tally {
            bin_base: t.as_ptr() as usize,
            bin_len: t.len(),
            bins: vec![[0; 2]; t.len()],
            cdf_base: c.as_ptr() as usize,
            cdf_len: c.len(),
            lanes: vec![[0; LANES]; c.len()],
        }
    }
}

impl Coder for Tally {
    const DECODING: bool = false;

    fn bit(&mut self, p: &mut u16, bit: bool) -> bool {
        let addr = p as *const u16 as usize;
        if let Some(i) = addr.checked_sub(self.bin_base) {
            let i = i / std::mem::size_of::<u16>();
            if i < self.bin_len {
                self.bins[i][usize::from(bit)] += 1;
            }
        }
        bit
    }

    fn direct(&mut self, value: u64, n: u32) -> u64 {
        if n >= 64 {
            value
        } else {
            value & ((1u64 << n) - 1)
        }
    }

    fn symbol(&mut self, cdf: &mut Cdf, s: usize) -> usize {
        let addr = cdf as *const Cdf as usize;
        if let Some(i) = addr.checked_sub(self.cdf_base) {
            let i = i / std::mem::size_of::<Cdf>();
            if i < self.cdf_len {
                self.lanes[i][s % LANES] += 1;
            }
        }
        cdf.adapt(s % LANES);
        s
    }
}

/// Counts over all training streams, by prior slot.
struct Counts {
    bins: Vec<[u64; 2]>,
    /// Per distribution (by its first prior slot, over `LANES`): lane counts and the lanes it can
    /// code.
    lanes: Vec<([u64; LANES], u16)>,
}

/// One program as the trainer sees it: its parameters and its instructions.
#[derive(Clone, Debug, Default)]
pub struct InstrStream {
    params: Option<ProgramParams>,
    opcodes: Vec<Opcode>,
    /// End of each instruction's qubits in `qubits`.
    ends: Vec<u32>,
    qubits: Vec<u32>,
    conds: Vec<Option<u32>>,
    args: Vec<u64>,
    timing: Vec<(f64, f64)>,
}

impl InstrStream {
    /// An empty stream for a program with `params`.
    #[must_use]
    pub fn new(params: ProgramParams) -> Self {
        InstrStream {
            params: Some(params),
            ..Default::default()
        }
    }

    /// Append an instruction (and its timing, used when the program's timing is explicit).
    pub fn push(&mut self, instr: &Instr<'_>, timing: (f64, f64)) {
        self.opcodes.push(instr.opcode);
        self.qubits.extend_from_slice(instr.qubits);
        self.ends.push(self.qubits.len() as u32);
        self.conds.push(instr.cond);
        self.args.push(instr.arg);
        self.timing.push(timing);
    }

    /// Its runs of unconditioned one-qubit gates without operands on one qubit (as opcode
    /// bytes), as the encoder's planner cuts them.
    fn runs(&self) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut cur: Vec<u8> = Vec::new();
        let mut qubit = None;
        for (instr, _) in self.iter() {
            match (copyable(instr.opcode), instr.cond, instr.qubits) {
                (true, None, &[q]) => {
                    if qubit != Some(q) && !cur.is_empty() {
                        out.push(core::mem::take(&mut cur));
                    }
                    qubit = Some(q);
                    cur.push(instr.opcode as u8);
                }
                _ => {
                    if !cur.is_empty() {
                        out.push(core::mem::take(&mut cur));
                    }
                    qubit = None;
                }
            }
        }
        if !cur.is_empty() {
            out.push(cur);
        }
        out
    }

    /// Instructions held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.opcodes.len()
    }

    /// Whether it holds none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.opcodes.is_empty()
    }

    /// The instructions, in order.
    pub fn iter(&self) -> impl Iterator<Item = (Instr<'_>, (f64, f64))> + '_ {
        (0..self.opcodes.len()).map(move |i| {
            let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
            let end = self.ends[i] as usize;
            (
                Instr {
                    opcode: self.opcodes[i],
                    qubits: &self.qubits[start..end],
                    cond: self.conds[i],
                    arg: self.args[i],
                },
                self.timing[i],
            )
        })
    }

    fn run(&self, priors: &Priors, counts: &mut Counts) -> Result<(), IsaError> {
        let Some(params) = self.params else {
            return Ok(());
        };
        let mut model = Model::new(priors, params)?;
        let mut tally = Tally::new(&model);
        // The same plan of literals, syllables and copies as the stream encoder's.
        code_all(&mut model, &mut tally, &priors.words, self.iter())?;
        for (acc, n) in counts.bins.iter_mut().zip(&tally.bins) {
            acc[0] += n[0];
            acc[1] += n[1];
        }
        for (i, n) in tally.lanes.iter().enumerate() {
            let Some((slot, possible)) = model.cdf_prior(i) else {
                continue;
            };
            if let Some((acc, p)) = counts.lanes.get_mut((slot - CDF_PRIORS) / LANES) {
                for (a, k) in acc.iter_mut().zip(n) {
                    *a += k;
                }
                *p = possible;
            }
        }
        Ok(())
    }
}

/// What training saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrainStats {
    /// Programs.
    pub programs: u64,
    /// Instructions.
    pub instructions: u64,
    /// Prior slots learned: binary probabilities that saw at least one bit, and the lanes of
    /// the distributions that coded at least one symbol.
    pub slots_used: u64,
    /// Macro words kept, and their gates.
    pub words: u64,
    /// Gates in the macro words.
    pub word_gates: u64,
}

/// Learn priors from `streams`, with at most `max_words` gates of macro words (see the module
/// documentation; capped at [`MAX_WORDS`]).
pub fn train_priors(
    streams: &[InstrStream],
    max_words: usize,
) -> Result<(Priors, TrainStats), IsaError> {
    let flat = Priors::default();
    let mut counts = Counts {
        bins: vec![[0; 2]; TABLE_SLOTS],
        lanes: vec![([0; LANES], 0); (TABLE_SLOTS - CDF_PRIORS) / LANES],
    };
    for s in streams {
        s.run(&flat, &mut counts)?;
    }
    let mut priors = Priors::default();
    let mut used = 0u64;
    for (p, c) in priors.probs.iter_mut().zip(&counts.bins) {
        if c[0] + c[1] > 0 {
            used += 1;
            *p = prob_from_counts(c[0], c[1]);
        }
    }
    for (d, (n, possible)) in counts.lanes.iter().enumerate() {
        let total: u64 = n.iter().sum();
        if total == 0 {
            continue;
        }
        let k = f64::from(possible.count_ones());
        let p = |i: usize| (n[i] as f64 + 0.4) / (total as f64 + 0.4 * k);
        let lanes = (0..LANES).filter(|&i| possible >> i & 1 == 1);
        let p_max = lanes.clone().map(p).fold(0.0, f64::max);
        for i in lanes {
            if let Some(slot) = priors.probs.get_mut(CDF_PRIORS + d * LANES + i) {
                *slot = log_of_ratio(p(i), p_max);
                used += 1;
            }
        }
    }
    let (words, count) = learn_words(streams, max_words.min(MAX_WORDS));
    let train = TrainStats {
        programs: streams.len() as u64,
        instructions: streams.iter().map(|s| s.len() as u64).sum(),
        slots_used: used,
        words: count,
        word_gates: words.len() as u64,
    };
    priors.words = words.into_boxed_slice();
    Ok((priors, train))
}

/// The macro words (concatenated) and how many there are.
fn learn_words(streams: &[InstrStream], budget: usize) -> (Vec<u8>, u64) {
    // Per run: the programs it occurs in (counted once each) and the last one seen.
    let mut seen: BTreeMap<Vec<u8>, (u64, usize)> = BTreeMap::new();
    for (i, s) in streams.iter().enumerate() {
        if s.params.is_none_or(|p| p.target != Target::CliffordT) {
            continue;
        }
        for run in s.runs() {
            if run.len() < ENCODER_MIN_COPY as usize {
                continue;
            }
            let e = seen.entry(run).or_insert((0, usize::MAX));
            if e.1 != i {
                *e = (e.0 + 1, i);
            }
        }
    }
    let mut ranked: Vec<(u64, Vec<u8>)> = seen
        .into_iter()
        .filter(|(_, (n, _))| *n >= 2)
        .map(|(run, (n, _))| ((n - 1) * run.len() as u64, run))
        .collect();
    // Most valuable first; ties by the bytes, so the table does not depend on map order.
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let mut words = Vec::new();
    let mut count = 0;
    for (_, run) in ranked {
        if words.len() + run.len() <= budget {
            words.extend_from_slice(&run);
            count += 1;
        }
    }
    (words, count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use eqisa_isa::coder::SymbolEncoder;
    use eqisa_isa::container::Target;

    fn params() -> ProgramParams {
        ProgramParams {
            target: Target::CliffordT,
            num_qubits: 2,
            num_clbits: 0,
            angle_bits: 0,
            num_conditions: 0,
            dt_ns_bits: 1.0f64.to_bits(),
            explicit_timing: false,
        }
    }

    fn syllables(n: usize) -> InstrStream {
        let mut s = InstrStream::new(params());
        let q = [0u32];
        for i in 0..n {
            let ops: &[Opcode] = if i % 3 == 0 {
                &[Opcode::H, Opcode::S, Opcode::T]
            } else {
                &[Opcode::H, Opcode::T]
            };
            for &op in ops {
                s.push(
                    &Instr {
                        opcode: op,
                        qubits: &q,
                        cond: None,
                        arg: 0,
                    },
                    (0.0, 0.0),
                );
            }
        }
        s
    }

    fn coded_bytes(priors: &Priors, s: &InstrStream) -> usize {
        let mut m = Model::new(priors, params()).expect("model");
        let mut enc = SymbolEncoder::new();
        for (i, _) in s.iter() {
            m.code(&mut enc, &i).expect("codes");
        }
        enc.finish().len()
    }

    #[test]
    fn learned_priors_code_a_short_program_cheaper_than_flat_ones() {
        let (priors, stats) = train_priors(&[syllables(400)], MAX_WORDS).expect("trains");
        assert_eq!(stats.instructions, syllables(400).len() as u64);
        priors.validate().expect("valid");
        let short = syllables(10);
        let flat = coded_bytes(&Priors::default(), &short);
        let learned = coded_bytes(&priors, &short);
        assert!(learned < flat, "learned {learned} vs flat {flat}");
    }

    #[test]
    fn training_is_deterministic() {
        let a = train_priors(&[syllables(50), syllables(7)], MAX_WORDS).expect("a");
        let b = train_priors(&[syllables(50), syllables(7)], MAX_WORDS).expect("b");
        assert_eq!(a, b);
    }

    /// A stream of the given runs (one-qubit words), each on its own qubit and ended by a cx.
    fn words(runs: &[&[Opcode]]) -> InstrStream {
        let mut s = InstrStream::new(params());
        for run in runs {
            for &op in *run {
                let q = [0u32];
                let instr = Instr {
                    opcode: op,
                    qubits: &q,
                    cond: None,
                    arg: 0,
                };
                s.push(&instr, (0.0, 0.0));
            }
            let cx = Instr {
                opcode: Opcode::Cx,
                qubits: &[0, 1],
                cond: None,
                arg: 0,
            };
            s.push(&cx, (0.0, 0.0));
        }
        s
    }

    #[test]
    fn macro_words_are_the_runs_that_recur_across_programs() {
        let shared = [Opcode::H, Opcode::T, Opcode::S].repeat(20);
        let mine = [Opcode::T, Opcode::H].repeat(30);
        let yours = [Opcode::S, Opcode::H, Opcode::T, Opcode::T].repeat(15);
        let short = [Opcode::H, Opcode::T].repeat(5);
        // `mine` twice in one program is not recurrence across programs; `short` is too short.
        let a = words(&[&shared, &mine, &mine, &short]);
        let b = words(&[&yours, &shared, &short]);
        let (priors, stats) = train_priors(&[a.clone(), b.clone()], MAX_WORDS).expect("trains");
        let want: Vec<u8> = shared.iter().map(|&o| o as u8).collect();
        assert_eq!(&priors.words[..], &want[..]);
        assert_eq!((stats.words, stats.word_gates), (1, 60));
        // The budget is a hard cap.
        let (priors, _) = train_priors(&[a, b], 59).expect("trains");
        assert!(priors.words.is_empty());
    }
}

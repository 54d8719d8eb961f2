//! Learning the instruction model's priors (the entropy-model part of a codebook) from
//! instruction streams.
//!
//! Two passes over the training streams, both running the very model the coder uses:
//! 1. with flat priors, count which opcode follows each opcode-history context; the most frequent
//!    becomes that context's initial prediction;
//! 2. with those predictions, count the zeros and ones every probability slot sees; each slot's
//!    prior is its smoothed frequency (`rangecoder::prob_from_counts`).
//!
//! The model still adapts while coding, so priors only decide how fast a program's first
//! instructions become cheap: they matter most for short programs.

use eqisa_isa::IsaError;
use eqisa_isa::instr::{Instr, OPCODE_COUNT, Opcode};
use eqisa_isa::model::{HIST_CTX, Model, Priors, ProgramParams};
use eqisa_isa::rangecoder::{Counter, prob_from_counts};

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

    fn run(
        &self,
        priors: &Priors,
        counter: Option<&mut Counter>,
        stats: Option<&mut [u64]>,
    ) -> Result<(), IsaError> {
        let Some(params) = self.params else {
            return Ok(());
        };
        let mut model = Model::new(priors, params)?;
        let mut local = Counter::new(model.table());
        if stats.is_some() {
            model.enable_opcode_stats();
        }
        for (instr, (s, d)) in self.iter() {
            model.code(&mut local, &instr)?;
            if params.explicit_timing {
                model.timing(&mut local, s, d);
            }
        }
        if let Some(c) = counter {
            for (acc, n) in c.counts.iter_mut().zip(&local.counts) {
                acc[0] += n[0];
                acc[1] += n[1];
            }
            c.direct_bits += local.direct_bits;
        }
        if let (Some(acc), Some(s)) = (stats, model.opcode_stats()) {
            for (a, n) in acc.iter_mut().zip(s) {
                *a += n;
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
    /// Probability slots that saw at least one bit.
    pub slots_used: u64,
}

/// Learn priors from `streams` (see the module documentation).
pub fn train_priors(streams: &[InstrStream]) -> Result<(Priors, TrainStats), IsaError> {
    let flat = Priors::default();
    // Pass 1: opcode predictions.
    let mut stats = vec![0u64; HIST_CTX * OPCODE_COUNT];
    for s in streams {
        s.run(&flat, None, Some(&mut stats))?;
    }
    let mut priors = Priors::default();
    for (ctx, p) in priors.predictions.iter_mut().enumerate() {
        let row = &stats[ctx * OPCODE_COUNT..(ctx + 1) * OPCODE_COUNT];
        // Ties go to the lower opcode number: deterministic.
        if let Some((op, &n)) = row
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)))
            && n > 0
        {
            *p = op as u8;
        }
    }
    // Pass 2: bit statistics under those predictions.
    let mut counter = Counter::new(&priors.probs);
    for s in streams {
        s.run(&priors, Some(&mut counter), None)?;
    }
    let mut used = 0u64;
    for (p, c) in priors.probs.iter_mut().zip(&counter.counts) {
        if c[0] + c[1] > 0 {
            used += 1;
            *p = prob_from_counts(c[0], c[1]);
        }
    }
    let train = TrainStats {
        programs: streams.len() as u64,
        instructions: streams.iter().map(|s| s.len() as u64).sum(),
        slots_used: used,
    };
    Ok((priors, train))
}

#[cfg(test)]
mod tests {
    use super::*;
    use eqisa_isa::container::Target;
    use eqisa_isa::rangecoder::RangeEncoder;

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
        let mut enc = RangeEncoder::new();
        for (i, _) in s.iter() {
            m.code(&mut enc, &i).expect("codes");
        }
        enc.finish().len()
    }

    #[test]
    fn learned_priors_code_a_short_program_cheaper_than_flat_ones() {
        let (priors, stats) = train_priors(&[syllables(400)]).expect("trains");
        assert_eq!(stats.instructions, syllables(400).len() as u64);
        priors.validate().expect("valid");
        let short = syllables(10);
        let flat = coded_bytes(&Priors::default(), &short);
        let learned = coded_bytes(&priors, &short);
        assert!(learned < flat, "learned {learned} vs flat {flat}");
    }

    #[test]
    fn training_is_deterministic() {
        let a = train_priors(&[syllables(50), syllables(7)]).expect("a");
        let b = train_priors(&[syllables(50), syllables(7)]).expect("b");
        assert_eq!(a, b);
    }
}

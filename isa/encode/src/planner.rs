//! The encoder's copy planner: buffers each run of unconditioned one-qubit gates on one qubit and
//! parses it greedily (a copy if the window or the codebook's macro words hold a long enough
//! match, else a syllable, else a single gate) with hash chains. What it chooses never changes
//! the format (`eqisa_isa::copies`), only the size.

use eqisa_isa::coder::Coder;
use eqisa_isa::container::Target;
use eqisa_isa::copies::{MAX_COPY, Packed, SYLLABLES, WINDOW};
use eqisa_isa::error::IsaError;
use eqisa_isa::instr::{Instr, Opcode};
use eqisa_isa::model::{Model, copyable};

use crate::chains::{Chains, HASH_LEN, hash_of};

/// The shortest copy the encoder uses. A Clifford+T word carries about 0.4 bits per gate, so
/// shorter matches are often chance ones whose length, distance and lane cost what the literals
/// would; on MQT Bench (`scripts/measure-codec.py`), 48 beat 16, 32, 64 and 96.
pub const ENCODER_MIN_COPY: u32 = 48;
/// Candidates the encoder compares per position (longest match among them).
const CHAIN_LIMIT: usize = 48;

/// One operation of a planned run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Planned {
    /// Its opcode.
    pub opcode: Opcode,
    /// Its qubit.
    pub qubit: u32,
    /// Its start and duration (coded only when the program's timing is explicit).
    pub timing: (f64, f64),
    /// On the first operation of a copy or syllable: which (see [`Planned::code`]).
    pub packed: Option<Packed>,
}

impl Planned {
    /// The instruction it is: an unconditioned one-qubit gate.
    #[must_use]
    #[inline]
    pub fn instr(&self) -> Instr<'_> {
        Instr {
            opcode: self.opcode,
            qubits: std::slice::from_ref(&self.qubit),
            cond: None,
            arg: 0,
        }
    }

    /// Code this operation with `model` (and its timing, when the program carries it); the
    /// first operation of a copy asks the model for the copy first.
    pub fn code<C: Coder>(&self, model: &mut Model, c: &mut C) -> Result<(), IsaError> {
        if let Some(packed) = self.packed {
            model.request(packed);
        }
        model.code(c, &self.instr())?;
        if model.params().explicit_timing {
            model.timing(c, self.timing.0, self.timing.1);
        }
        Ok(())
    }
}

/// Code a whole program with `model` and `c` as the stream encoder does (runs planned into
/// literals, syllables and copies against `words`, timing after each operation when the program
/// carries it), without block framing: for counting what the coder does (training, decoder-step
/// estimates).
pub fn code_all<'a, C: Coder>(
    model: &mut Model,
    c: &mut C,
    words: &[u8],
    instrs: impl IntoIterator<Item = (Instr<'a>, (f64, f64))>,
) -> Result<(), IsaError> {
    let params = *model.params();
    let mut planner = Planner::new(params.target == Target::CliffordT, words);
    for (instr, (start, duration)) in instrs {
        let buffered = planner.offer(&instr, (start, duration));
        for p in planner.take() {
            p.code(model, c)?;
        }
        if !buffered {
            model.code(c, &instr)?;
            if params.explicit_timing {
                model.timing(c, start, duration);
            }
        }
    }
    planner.finish();
    for p in planner.take() {
        p.code(model, c)?;
    }
    Ok(())
}

/// The encoder's side of copies: buffers runs of unconditioned one-qubit gates on one qubit and
/// plans each as literals and copies.
#[derive(Clone, Debug)]
pub struct Planner {
    enabled: bool,
    /// Every one-qubit opcode so far (absolute positions; the window is the last [`WINDOW`]).
    seq: Vec<u8>,
    /// Where each [`HASH_LEN`] opcodes occur in `seq`.
    chains: Chains,
    /// Positions of `seq` below this are in the chains.
    indexed: usize,
    /// The codebook's macro words, and where each [`HASH_LEN`] opcodes occur in them.
    words: Vec<u8>,
    word_chains: Chains,
    /// The run being buffered: its qubit and operations.
    qubit: u32,
    run: Vec<(Opcode, (f64, f64))>,
    /// The plan of the last finished run, not yet taken.
    plan: Vec<Planned>,
}

impl Planner {
    /// A planner for a program; `enabled` is false for targets without copies (then every
    /// instruction is coded as it comes).
    #[must_use]
    pub fn new(enabled: bool, words: &[u8]) -> Planner {
        let mut word_chains = Chains::new(enabled && words.len() >= HASH_LEN);
        for p in 0..words.len().saturating_sub(HASH_LEN - 1) {
            if let Some(key) = words.get(p..p + HASH_LEN) {
                word_chains.insert(p, hash_of(key));
            }
        }
        Planner {
            enabled,
            seq: Vec::new(),
            chains: Chains::new(enabled),
            indexed: 0,
            words: if enabled { words.to_vec() } else { Vec::new() },
            word_chains,
            qubit: 0,
            run: Vec::new(),
            plan: Vec::new(),
        }
    }

    /// Feed the next instruction. Returns true when it was buffered (it will come out of
    /// [`Planner::take`] later); false when the caller codes it itself. Either way, the caller
    /// first codes what [`Planner::take`] now yields (a run this instruction ended).
    #[inline]
    pub fn offer(&mut self, instr: &Instr<'_>, timing: (f64, f64)) -> bool {
        if !self.enabled {
            return false;
        }
        let plain = copyable(instr.opcode);
        match (plain, instr.cond, instr.qubits) {
            (true, None, &[q]) => {
                if !self.run.is_empty() && q != self.qubit {
                    self.plan_run();
                }
                self.qubit = q;
                self.run.push((instr.opcode, timing));
                true
            }
            _ => {
                self.plan_run();
                if plain {
                    // Conditioned one-qubit gates enter the window as well.
                    self.seq.push(instr.opcode as u8);
                }
                false
            }
        }
    }

    /// Whether [`Planner::take`] has operations to yield.
    #[must_use]
    #[inline]
    pub fn has_plan(&self) -> bool {
        !self.plan.is_empty()
    }

    /// Plan the run still buffered (at the end of the program).
    pub fn finish(&mut self) {
        self.plan_run();
    }

    /// The planned operations to code now, in order.
    pub fn take(&mut self) -> std::vec::Drain<'_, Planned> {
        self.plan.drain(..)
    }

    /// Parse the buffered run greedily: at each position the longest match in the window (of at
    /// least [`ENCODER_MIN_COPY`]) becomes a copy, else a syllable that starts there, else a
    /// literal.
    fn plan_run(&mut self) {
        if self.run.is_empty() {
            return;
        }
        let start = self.seq.len();
        self.seq.extend(self.run.iter().map(|&(op, _)| op as u8));
        let end = self.seq.len();
        let mut cur = start;
        while cur < end {
            self.index_to(cur);
            let (len, dist) = self.longest(cur, end);
            let i = cur - start;
            let packed = if len >= ENCODER_MIN_COPY {
                Some(Packed::Copy { len, dist })
            } else {
                self.syllable_at(cur, end)
            };
            let n = packed.map_or(1, Packed::ops) as usize;
            for (k, &(opcode, timing)) in self.run.iter().enumerate().skip(i).take(n) {
                self.plan.push(Planned {
                    opcode,
                    qubit: self.qubit,
                    timing,
                    packed: packed.filter(|_| k == i),
                });
            }
            cur += n;
        }
        self.run.clear();
    }

    /// The syllable `seq[cur..end]` starts with, if any.
    fn syllable_at(&self, cur: usize, end: usize) -> Option<Packed> {
        let rest = self.seq.get(cur..end)?;
        (0..SYLLABLES.len()).rev().find_map(|i| {
            let s = SYLLABLES.get(i)?;
            let starts = rest.len() >= s.len() && s.iter().zip(rest).all(|(&a, &b)| a as u8 == b);
            starts.then_some(Packed::Syllable(i as u8))
        })
    }

    /// Put positions up to `cur` (exclusive) into the chains, as far as they have their
    /// [`HASH_LEN`] opcodes.
    fn index_to(&mut self, cur: usize) {
        while self.indexed < cur {
            let p = self.indexed;
            let Some(key) = self.seq.get(p..p + HASH_LEN) else {
                break;
            };
            if !self.chains.insert(p, hash_of(key)) {
                break;
            }
            self.indexed += 1;
        }
    }

    /// The longest match for `seq[cur..end]`, in the window before `cur` or in the macro words:
    /// its length (capped at [`MAX_COPY`]) and distance (past the window's filled part: into the
    /// words, counted back from their end); length 0 when there is none. On equal lengths the
    /// window wins.
    fn longest(&self, cur: usize, end: usize) -> (u32, u32) {
        let want = (end - cur).min(MAX_COPY as usize);
        // Only copies the encoder would use are looked for.
        let Some(target) = self
            .seq
            .get(cur..cur + want)
            .filter(|t| t.len() >= ENCODER_MIN_COPY as usize)
        else {
            return (0, 0);
        };
        let h = hash_of(target.get(..HASH_LEN).unwrap_or(&[]));
        let mut best = (ENCODER_MIN_COPY as usize - 1, 0usize);
        // A candidate must match the opcode at the current best length to beat it, which one
        // comparison tells before the whole prefix is compared.
        let mut consider = |source: &[u8], dist: usize| {
            if source.get(best.0) == target.get(best.0) {
                let len = common_prefix(source, target);
                if len > best.0 {
                    best = (len, dist);
                }
            }
        };
        for p in self.chains.candidates(h).take(CHAIN_LIMIT) {
            if cur - p > WINDOW {
                break;
            }
            consider(self.seq.get(p..).unwrap_or(&[]), cur - p);
        }
        let filled = cur.min(WINDOW);
        for p in self.word_chains.candidates(h).take(CHAIN_LIMIT) {
            consider(
                self.words.get(p..).unwrap_or(&[]),
                filled + (self.words.len() - p),
            );
        }
        if best.1 == 0 {
            return (0, 0);
        }
        (best.0 as u32, best.1 as u32)
    }
}

/// How many leading opcodes `a` and `b` share.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use eqisa_isa::coder::{SymbolDecoder, SymbolEncoder};
    use eqisa_isa::model::{Priors, ProgramParams};
    use eqisa_test_support::Rng;

    fn params() -> ProgramParams {
        ProgramParams {
            target: Target::CliffordT,
            num_qubits: 3,
            num_clbits: 1,
            angle_bits: 0,
            num_conditions: 0,
            dt_ns_bits: 0.5f64.to_bits(),
            explicit_timing: false,
        }
    }

    /// Runs of random syllables, some repeated (also overlapping themselves: a word made of one
    /// syllable), on changing qubits.
    fn runs(seed: u64) -> Vec<(u32, Vec<Opcode>)> {
        let mut rng = Rng::new(seed);
        let mut words: Vec<Vec<Opcode>> = Vec::new();
        let mut out = Vec::new();
        for k in 0..60u32 {
            let word = if !words.is_empty() && rng.below(2) == 0 {
                words[rng.below(words.len() as u64) as usize].clone()
            } else if rng.below(8) == 0 {
                [Opcode::H, Opcode::T].repeat(40)
            } else {
                let mut w = Vec::new();
                for _ in 0..rng.below(60) {
                    if rng.below(2) == 0 {
                        w.push(Opcode::S);
                    }
                    w.extend([Opcode::H, Opcode::T]);
                }
                w
            };
            words.push(word.clone());
            out.push((k % 3, word));
        }
        out
    }

    #[test]
    fn plans_spell_out_their_runs_with_copies_and_syllables() {
        let mut planner = Planner::new(true, &[]);
        let mut seq: Vec<u8> = Vec::new();
        let (mut copies, mut syllables) = (0, 0);
        for (q, word) in runs(5) {
            let mut got = Vec::new();
            for &op in &word {
                let qubits = [q];
                let instr = one(op, &qubits);
                assert!(planner.offer(&instr, (0.0, 0.0)));
                got.extend(planner.take());
            }
            // A two-qubit gate ends the run.
            let cx = one(Opcode::Cx, &[0, 1]);
            assert!(!planner.offer(&cx, (0.0, 0.0)));
            got.extend(planner.take());
            assert_eq!(got.iter().map(|p| p.opcode).collect::<Vec<_>>(), word);
            assert!(got.iter().all(|p| p.qubit == q));
            let mut i = 0;
            while i < got.len() {
                if let Some(Packed::Copy { len, dist }) = got[i].packed {
                    copies += 1;
                    assert!((ENCODER_MIN_COPY..=MAX_COPY).contains(&len));
                    assert!(dist as usize <= WINDOW);
                    for j in 0..len as usize {
                        let from = seq.len() - dist as usize;
                        assert_eq!(seq[from], got[i + j].opcode as u8);
                        seq.push(got[i + j].opcode as u8);
                    }
                    i += len as usize;
                } else if let Some(Packed::Syllable(k)) = got[i].packed {
                    syllables += 1;
                    let syllable = SYLLABLES[usize::from(k)];
                    for (j, &op) in syllable.iter().enumerate() {
                        assert_eq!(got[i + j].opcode, op);
                        assert!(j == 0 || got[i + j].packed.is_none());
                        seq.push(op as u8);
                    }
                    i += syllable.len();
                } else {
                    // A literal never starts a syllable (the planner would have packed it).
                    let rest: Vec<Opcode> = got[i..].iter().take(3).map(|p| p.opcode).collect();
                    assert!(!SYLLABLES.iter().any(|s| rest.starts_with(s)));
                    seq.push(got[i].opcode as u8);
                    i += 1;
                }
            }
        }
        assert!(copies > 10, "{copies} copies");
        assert!(syllables > 500, "{syllables} syllables");
    }

    fn one(opcode: Opcode, qubits: &[u32]) -> Instr<'_> {
        Instr {
            opcode,
            qubits,
            cond: None,
            arg: 0,
        }
    }

    /// Plan `runs` (each on its qubit, each ended) against `priors`' words, code the plan, and
    /// decode it back, checking every operation. Returns the plan and the coded bytes.
    fn round_trip(priors: &Priors, runs: &[(u32, Vec<Opcode>)]) -> (Vec<Planned>, usize) {
        let mut planner = Planner::new(true, &priors.words);
        let mut m = Model::new(priors, params()).expect("model");
        let mut enc = SymbolEncoder::new();
        let mut plan = Vec::new();
        for (q, word) in runs {
            for &op in word {
                planner.offer(&one(op, &[*q]), (0.0, 0.0));
            }
            planner.finish();
            plan.extend(planner.take());
        }
        for p in &plan {
            p.code(&mut m, &mut enc).expect("encodes");
        }
        let bytes = enc.finish();
        let mut m = Model::new(priors, params()).expect("model");
        let mut dec = SymbolDecoder::new(&bytes);
        let want = runs
            .iter()
            .flat_map(|(q, w)| w.iter().map(move |&op| (op, *q)));
        for (i, (op, q)) in want.enumerate() {
            let got = m
                .code(&mut dec, &one(Opcode::Barrier, &[]))
                .expect("decodes");
            assert_eq!((got.opcode, got.qubits), (op, &[q][..]), "op {i}");
        }
        assert!(!m.copying());
        (plan, bytes.len())
    }

    #[test]
    fn planned_runs_round_trip_through_the_model() {
        let (plan, _) = round_trip(&Priors::default(), &runs(9));
        assert!(
            plan.iter()
                .any(|p| matches!(p.packed, Some(Packed::Copy { .. })))
        );
    }

    #[test]
    fn copies_reach_into_the_codebook_words() {
        let word: Vec<Opcode> = runs(3)
            .into_iter()
            .map(|(_, w)| w)
            .find(|w| w.len() >= 100)
            .expect("a long word");
        // Other words first, then this one: the copy starts inside the table.
        let with = Priors {
            words: [Opcode::H, Opcode::T, Opcode::S]
                .repeat(20)
                .iter()
                .chain(&word)
                .map(|&o| o as u8)
                .collect(),
            ..Priors::default()
        };
        let mut sizes = Vec::new();
        for priors in [Priors::default(), with] {
            let (plan, bytes) = round_trip(&priors, &[(1, word.clone())]);
            let copies = plan
                .iter()
                .filter(|p| matches!(p.packed, Some(Packed::Copy { .. })))
                .count();
            assert_eq!(copies, usize::from(!priors.words.is_empty()));
            sizes.push(bytes);
        }
        assert!(sizes[1] * 3 < sizes[0], "{sizes:?}");
    }

    #[test]
    fn targets_without_copies_buffer_nothing() {
        let mut planner = Planner::new(false, &[]);
        let qubits = [0];
        let t = one(Opcode::T, &qubits);
        assert!(!planner.offer(&t, (0.0, 0.0)));
        assert_eq!(planner.take().count(), 0);
    }
}

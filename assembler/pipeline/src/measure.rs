//! Bits of one circuit under every encoding, measured in one run on the same stream: EQISA, the
//! fixed-width binary stream and general-purpose compressors over it, its order-0 entropy, and
//! the paper's pipeline on the same circuit, by default at the cheapest Solovay–Kitaev setting
//! that meets the same fidelity budget as ours ([`PaperSetting`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use eqisa_assembler::Assembled;
use eqisa_baselines::paper::{PaperDictionary, PaperError, PaperStats, PaperSynth, encode_program};
use eqisa_baselines::{binary, compress};
use eqisa_ir::Circuit;
use eqisa_lower::program::NativeProgram;
use eqisa_lower::target::TargetDesc;
use serde::Serialize;

use crate::codebook::LoadedCodebook;
use crate::config::LowerConfig;
use crate::error::PipelineError;

/// Haar samples the paper's dictionary is selected from when the codebook has none for the
/// requested depth and recursion.
const PAPER_HAAR: usize = 1000;

/// Bits per encoding (the JSON `bits` object of `assemble`). The baselines over the binary
/// stream need the program unrolled: for a program with loops that runs more than
/// [`crate::assemble::BASELINE_MAX_OPS`] operations they are not measured (null).
#[derive(Clone, Debug, Serialize)]
pub struct Bits {
    /// Every bit of the `.eqb` file (header, sections, checksums; the codebook excluded).
    pub eqisa: u64,
    /// The paper's count: ⌈log2 |gate set|⌉ bits per native operation, opcodes only.
    pub binary_opcodes: Option<u64>,
    /// Fixed-width opcode + operands + quantised angles + timing.
    pub binary: Option<u64>,
    /// bzip2 -9 of the binary stream.
    pub bzip2: Option<u64>,
    /// xz -9 of the binary stream.
    pub xz: Option<u64>,
    /// zstd -19 of the binary stream.
    pub zstd: Option<u64>,
    /// Empirical order-0 entropy of the operation stream, in bits.
    pub entropy_order0: Option<f64>,
    /// xz -9 of the source text, for a Stim circuit: its lines without annotations (detectors,
    /// observables, coordinates) and noise channels, the loop-aware text a user would otherwise
    /// store or send (absent for other inputs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stim_text_xz: Option<u64>,
    /// The paper's Huffman bits for this circuit (SK words, Haar-selected dictionary) at the
    /// setting of the `paper` object; null when skipped, when the circuit has classical control,
    /// which the paper's ISA lacks, or when no setting of the grid meets the fidelity budget.
    pub paper_huffman: Option<u64>,
    /// The paper's Huffman stream after bzip2 (null as `paper_huffman`).
    pub paper_huffman_bzip2: Option<u64>,
}

impl Bits {
    /// The bits of `asm` alone, every baseline unmeasured (a program too large to unroll).
    #[must_use]
    pub fn eqisa_only(asm: &Assembled) -> Bits {
        Bits::eqisa_bits(asm.bytes.len() as u64 * 8)
    }

    /// `eqisa` bits of a file, every baseline unmeasured.
    #[must_use]
    pub fn eqisa_bits(eqisa: u64) -> Bits {
        Bits {
            eqisa,
            binary_opcodes: None,
            binary: None,
            bzip2: None,
            xz: None,
            zstd: None,
            entropy_order0: None,
            stim_text_xz: None,
            paper_huffman: None,
            paper_huffman_bzip2: None,
        }
    }
}

/// The measurements of one circuit.
pub struct Measured {
    /// Bits per encoding.
    pub bits: Bits,
    /// Fidelity bound of the paper's Solovay–Kitaev lowering (its row's `fidelity_bound`).
    pub paper_fidelity_bound: Option<f64>,
    /// The paper's row: setting, fidelity against the budget, bits (`None`: skipped, or not
    /// comparable).
    pub paper: Option<PaperRow>,
}

impl Measured {
    /// The figures of `asm` with every baseline skipped (`None`): only its own bits.
    #[must_use]
    pub fn skipped(asm: &Assembled) -> Measured {
        Measured {
            bits: Bits {
                eqisa: instruction_bits(asm),
                ..Bits::eqisa_only(asm)
            },
            paper_fidelity_bound: None,
            paper: None,
        }
    }
}

/// Bits of the instruction stream of `asm`: the whole file without the pulse section (and its
/// framing), which is counted apart.
fn instruction_bits(asm: &Assembled) -> u64 {
    (asm.bytes.len()
        - if asm.pulse_bytes > 0 {
            asm.pulse_bytes + eqisa_isa::container::SECTION_HEADER_LEN
        } else {
            0
        }) as u64
        * 8
}

/// The Solovay–Kitaev settings (depth, recursion) the paper's pipeline is tried at when it must
/// meet a fidelity budget, in the order tried: depths 3 (the paper's own) to 15 in steps of
/// three, each at recursion 0 to 4. Precision comes cheaper from a deeper table of basic
/// approximations than from recursion, which makes words about five times longer per level: on
/// qft4 at budget 0.999, depth 15 meets it at recursion 3 (about 6,900 Huffman bits) where depth
/// 12 needs recursion 4 (about 30,600) and depth 3 does not reach it at all (0.86 at recursion 4).
/// Each setting's table and dictionary are built once per process (tens of milliseconds for the
/// table, a second or two for a recursion-4 dictionary), and only for settings that meet the
/// budget.
pub const PAPER_GRID: [(usize, usize); 25] = {
    let mut grid = [(0, 0); 25];
    let mut i = 0;
    while i < 25 {
        grid[i] = (3 * (i / 5 + 1), i % 5);
        i += 1;
    }
    grid
};

/// How the paper's pipeline picks its Solovay–Kitaev setting for a circuit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaperSetting {
    /// The cheapest setting of [`PAPER_GRID`] (fewest Huffman bits) whose fidelity bound meets
    /// the circuit's budget, so that the paper is compared at equal or better fidelity. At each
    /// depth only the lowest recursion that meets the budget is a candidate: each further level
    /// makes every approximated unitary's words about five times longer, so it is not lowered.
    AtBudget,
    /// This (depth, recursion), at whatever fidelity it reaches (`--paper-at-own-fidelity`).
    OwnFidelity {
        /// Basic-approximation depth.
        depth: usize,
        /// Recursion degree.
        recursion: usize,
    },
}

/// The paper's pipeline as one circuit asks for it: a setting and the fidelity it must meet.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PaperRequest {
    /// How the setting is chosen.
    pub setting: PaperSetting,
    /// The whole-circuit fidelity bound the paper must reach to be comparable: the budget our
    /// lowering got (see [`paper_budget`]).
    pub budget: f64,
}

/// The fidelity budget the paper's pipeline is held to: the whole-circuit budget our lowering got
/// (`--fidelity`), or, when the lowering was given a per-rotation error instead (`--eps`), the
/// whole-circuit bound our lowering reached (`ours`), the only whole-circuit figure there is.
#[must_use]
pub fn paper_budget(lowering: &LowerConfig, ours: f64) -> f64 {
    match lowering.eps {
        Some(_) => ours,
        None => lowering.fidelity,
    }
}

/// The paper's request for a circuit lowered with `lowering` to fidelity bound `ours`, as
/// `setting` asks (`None`: the paper's pipeline is skipped).
#[must_use]
pub fn paper_request(
    setting: Option<PaperSetting>,
    lowering: &LowerConfig,
    ours: f64,
) -> Option<PaperRequest> {
    setting.map(|setting| PaperRequest {
        setting,
        budget: paper_budget(lowering, ours),
    })
}

/// One setting the paper's pipeline was lowered at.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PaperTrial {
    /// Basic-approximation depth.
    pub sk_depth: usize,
    /// Recursion degree.
    pub sk_recursion: usize,
    /// The lowering's fidelity bound at this setting.
    pub fidelity_bound: f64,
    /// Its Huffman bits (null when its bound misses the budget: it is not coded then).
    pub huffman_bits: Option<u64>,
}

/// The paper's row of one circuit (the JSON `paper` object of `assemble`): the setting chosen,
/// the fidelity it reaches against the budget, and its bits.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PaperRow {
    /// `at_budget` (the cheapest setting of the grid meeting the budget) or `own_fidelity` (the
    /// fixed setting of `--paper-depth`/`--paper-recursion`).
    pub chosen: &'static str,
    /// The fidelity the paper is held to (ours).
    pub budget: f64,
    /// Whether `fidelity_bound` reaches `budget`.
    pub meets_budget: bool,
    /// The setting's depth: the chosen one; when none meets the budget, the one that came
    /// closest.
    pub sk_depth: usize,
    /// The setting's recursion (as `sk_depth`).
    pub sk_recursion: usize,
    /// The setting's fidelity bound.
    pub fidelity_bound: f64,
    /// Huffman bits; null when no setting meets the budget (`at_budget`).
    pub huffman_bits: Option<u64>,
    /// Huffman then bzip2 -9, bits; null as `huffman_bits`.
    pub huffman_bzip2_bits: Option<u64>,
    /// Symbols coded (words and `cx`); null as `huffman_bits`.
    pub words: Option<u64>,
    /// Every setting lowered, in grid order (at each depth, recursions up to the first that meets
    /// the budget).
    pub tried: Vec<PaperTrial>,
}

/// A per-key slot filled once: a caller that finds it empty fills it while holding its lock, so
/// that parallel callers (a report's circuits) wait for one build instead of each building it.
type Slot<T> = Arc<Mutex<Option<Arc<T>>>>;

/// Values built once per key for the whole process: the paper's synthesisers and dictionaries
/// are deterministic functions of their key, and building them (the basic-approximation table,
/// 1,000 Haar unitaries decomposed) costs far more than coding a small circuit.
struct Cache<K, T> {
    slots: Mutex<HashMap<K, Slot<T>>>,
}

impl<K: std::hash::Hash + Eq, T> Cache<K, T> {
    fn new() -> Self {
        Cache {
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// The value of `key`, built by `make` the first time (an error is returned, not kept).
    fn get<E>(&self, key: K, make: impl FnOnce() -> Result<T, E>) -> Result<Arc<T>, E> {
        // A panic elsewhere cannot leave a half-built value: slots hold finished values only.
        let slot = self
            .slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key)
            .or_default()
            .clone();
        let mut value = slot.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(v) = value.as_ref() {
            return Ok(v.clone());
        }
        let v = Arc::new(make()?);
        *value = Some(v.clone());
        Ok(v)
    }
}

/// The paper's synthesiser at (`depth`, `recursion`), built once per process.
fn paper_synth(depth: usize, recursion: usize) -> Result<Arc<PaperSynth>, PaperError> {
    static SYNTHS: OnceLock<Cache<(usize, usize), PaperSynth>> = OnceLock::new();
    SYNTHS
        .get_or_init(Cache::new)
        .get((depth, recursion), || PaperSynth::new(depth, recursion))
}

/// The paper's dictionary at (`depth`, `recursion`): the codebook's if it matches, else one
/// selected from 1,000 Haar-random unitaries. Built once per process for each codebook and
/// setting.
///
/// # Errors
/// When the codebook's dictionary is malformed or selecting one fails.
pub fn paper_dictionary(
    cb: &LoadedCodebook,
    depth: usize,
    recursion: usize,
) -> Result<Arc<PaperDictionary>, PipelineError> {
    /// A codebook's hash and a (depth, recursion).
    type Key = ([u8; 32], usize, usize);
    static DICTIONARIES: OnceLock<Cache<Key, PaperDictionary>> = OnceLock::new();
    DICTIONARIES
        .get_or_init(Cache::new)
        .get((cb.hash, depth, recursion), || {
            if let Some(bytes) = &cb.codebook.paper_dictionary {
                let d = PaperDictionary::from_bytes(bytes).map_err(|source| {
                    PipelineError::PaperDictionary {
                        origin: cb.origin.clone(),
                        source,
                    }
                })?;
                if d.depth == depth && d.recursion == recursion {
                    return Ok(d);
                }
            }
            let synth = paper_synth(depth, recursion)?;
            Ok(PaperDictionary::train_with(&synth, PAPER_HAAR, 1)?)
        })
}

/// The paper's pipeline on `circuit` as `request` asks: every setting lowered, the chosen one
/// coded. `None` when the circuit has classical control, which the paper's instruction set
/// cannot say (nothing to compare).
///
/// # Errors
/// When a gate cannot be lowered, the dictionary cannot be had, or coding fails.
pub fn paper_row(
    circuit: &Circuit,
    cb: &LoadedCodebook,
    request: PaperRequest,
) -> Result<Option<PaperRow>, PipelineError> {
    let (settings, chosen): (Vec<(usize, usize)>, &'static str) = match request.setting {
        PaperSetting::AtBudget => (PAPER_GRID.to_vec(), "at_budget"),
        PaperSetting::OwnFidelity { depth, recursion } => {
            (vec![(depth, recursion)], "own_fidelity")
        }
    };
    let own = matches!(request.setting, PaperSetting::OwnFidelity { .. });
    let mut tried = Vec::with_capacity(settings.len());
    // The cheapest coded setting, and the closest one in case none is coded.
    let mut cheapest: Option<(usize, PaperStats)> = None;
    let mut closest: Option<usize> = None;
    // Depths at which a recursion already met the budget: deeper recursions there only cost more.
    let mut met: Vec<usize> = Vec::new();
    for (depth, recursion) in settings {
        if met.contains(&depth) {
            continue;
        }
        let synth = paper_synth(depth, recursion)?;
        let program = match synth.lower(circuit) {
            Ok(p) => p,
            // The paper's instruction set has no classical control: nothing to compare.
            Err(PaperError::Conditional { .. }) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let meets = program.fidelity_bound >= request.budget;
        if meets {
            met.push(depth);
        }
        let stats = if meets || own {
            let dict = paper_dictionary(cb, depth, recursion)?;
            Some(encode_program(&dict, &program)?)
        } else {
            None
        };
        let i = tried.len();
        tried.push(PaperTrial {
            sk_depth: depth,
            sk_recursion: recursion,
            fidelity_bound: program.fidelity_bound,
            huffman_bits: stats.as_ref().map(|s| s.huffman_bits),
        });
        // Ties keep the earlier (cheaper-table) setting: the grid order decides, deterministically.
        if closest.is_none_or(|c: usize| program.fidelity_bound > tried[c].fidelity_bound) {
            closest = Some(i);
        }
        if let Some(s) = stats
            && cheapest
                .as_ref()
                .is_none_or(|(_, best)| s.huffman_bits < best.huffman_bits)
        {
            cheapest = Some((i, s));
        }
    }
    let (at, stats) = match cheapest {
        Some((i, s)) => (i, Some(s)),
        None => (closest.unwrap_or(0), None),
    };
    let Some(t) = tried.get(at).cloned() else {
        return Err(PipelineError::Options(
            "the paper's pipeline was given no Solovay-Kitaev setting to try".into(),
        ));
    };
    Ok(Some(PaperRow {
        chosen,
        budget: request.budget,
        meets_budget: t.fidelity_bound >= request.budget,
        sk_depth: t.sk_depth,
        sk_recursion: t.sk_recursion,
        fidelity_bound: t.fidelity_bound,
        huffman_bits: stats.as_ref().map(|s| s.huffman_bits),
        huffman_bzip2_bits: stats.as_ref().map(|s| s.huffman_bzip2_bits),
        words: stats.as_ref().map(|s| s.words),
        tried,
    }))
}

/// Measure `program` (lowered from `circuit` for `target`, assembled as `asm`); `paper` says how
/// to run the paper's pipeline, or `None` to skip it.
///
/// # Errors
/// When a compressor or the paper's pipeline fails.
pub fn measure(
    circuit: &Circuit,
    program: &NativeProgram,
    target: &TargetDesc,
    asm: &Assembled,
    cb: &LoadedCodebook,
    paper: Option<PaperRequest>,
) -> Result<Measured, PipelineError> {
    let gp = compress::best_general_purpose(program, program.angle_bits, target.dt_ns)?;
    let binary = binary::binary_stream(program, program.angle_bits, target.dt_ns);
    let paper = match paper {
        Some(request) => paper_row(circuit, cb, request)?,
        None => None,
    };
    Ok(Measured {
        bits: Bits {
            // The instruction stream: the pulse section (and its framing) is counted apart.
            eqisa: instruction_bits(asm),
            binary_opcodes: Some(binary::binary_opcode_bits(program)),
            binary: Some(binary.bits),
            bzip2: Some(gp.bzip2),
            xz: Some(gp.xz),
            zstd: Some(gp.zstd),
            entropy_order0: Some(binary::entropy_order0(program, program.angle_bits)),
            stim_text_xz: None,
            paper_huffman: paper.as_ref().and_then(|p| p.huffman_bits),
            paper_huffman_bzip2: paper.as_ref().and_then(|p| p.huffman_bzip2_bits),
        },
        paper_fidelity_bound: paper.as_ref().map(|p| p.fidelity_bound),
        paper,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn circuit(body: &str) -> Circuit {
        let text =
            format!("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncreg c[2];\n{body}");
        eqisa_qasm::parse_str(&text, "test.qasm").expect("parses")
    }

    #[test]
    fn the_grid_is_depth_major_with_recursion_zero_to_four() {
        assert_eq!(PAPER_GRID[0], (3, 0));
        assert_eq!(PAPER_GRID[4], (3, 4));
        assert_eq!(PAPER_GRID[5], (6, 0));
        assert_eq!(PAPER_GRID[24], (15, 4));
        assert!(PAPER_GRID.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn at_the_budget_the_cheapest_meeting_setting_is_chosen() {
        let cb = crate::load_codebook(None).expect("embedded codebook");
        let c = circuit("rz(0.3) q[0];\ncx q[0],q[1];\nrx(1.1) q[1];\n");
        let budget = 0.99;
        let row = paper_row(
            &c,
            &cb,
            PaperRequest {
                setting: PaperSetting::AtBudget,
                budget,
            },
        )
        .expect("runs")
        .expect("comparable");
        assert_eq!(row.chosen, "at_budget");
        assert!(row.meets_budget && row.fidelity_bound >= budget);
        let coded: Vec<u64> = row.tried.iter().filter_map(|t| t.huffman_bits).collect();
        assert_eq!(row.huffman_bits, coded.iter().copied().min());
        // Coded exactly when the bound meets the budget; a depth stops at its first such recursion.
        for (i, t) in row.tried.iter().enumerate() {
            assert_eq!(t.huffman_bits.is_some(), t.fidelity_bound >= budget);
            if t.huffman_bits.is_some() {
                assert!(row.tried[i + 1..].iter().all(|u| u.sk_depth != t.sk_depth));
            }
        }
        // The same answer from the cached tables and dictionaries.
        let again = paper_row(
            &c,
            &cb,
            PaperRequest {
                setting: PaperSetting::AtBudget,
                budget,
            },
        )
        .expect("runs");
        assert_eq!(again.as_ref(), Some(&row));
    }

    #[test]
    fn a_budget_no_setting_meets_leaves_the_paper_without_bits() {
        let cb = crate::load_codebook(None).expect("embedded codebook");
        let c = circuit("rz(0.3) q[0];\n");
        // Exactness is out of Solovay-Kitaev's reach for a generic angle.
        let row = paper_row(
            &c,
            &cb,
            PaperRequest {
                setting: PaperSetting::AtBudget,
                budget: 1.0,
            },
        )
        .expect("runs")
        .expect("comparable");
        assert!(!row.meets_budget);
        assert_eq!(row.huffman_bits, None);
        assert_eq!(row.tried.len(), PAPER_GRID.len());
        let best = row
            .tried
            .iter()
            .map(|t| t.fidelity_bound)
            .fold(0.0, f64::max);
        assert_eq!(row.fidelity_bound, best);
    }

    #[test]
    fn at_its_own_fidelity_the_fixed_setting_is_coded_and_judged() {
        let cb = crate::load_codebook(None).expect("embedded codebook");
        let c = circuit("rz(0.3) q[0];\n");
        let row = paper_row(
            &c,
            &cb,
            PaperRequest {
                setting: PaperSetting::OwnFidelity {
                    depth: 3,
                    recursion: 1,
                },
                budget: 0.999,
            },
        )
        .expect("runs")
        .expect("comparable");
        assert_eq!((row.sk_depth, row.sk_recursion), (3, 1));
        assert!(row.huffman_bits.is_some());
        assert_eq!(row.meets_budget, row.fidelity_bound >= 0.999);
        assert!(!row.meets_budget);
    }

    #[test]
    fn classical_control_is_not_comparable() {
        let cb = crate::load_codebook(None).expect("embedded codebook");
        let c = circuit("measure q[0] -> c[0];\nif (c==1) x q[1];\n");
        let row = paper_row(
            &c,
            &cb,
            PaperRequest {
                setting: PaperSetting::AtBudget,
                budget: 0.999,
            },
        )
        .expect("runs");
        assert_eq!(row, None);
    }
}

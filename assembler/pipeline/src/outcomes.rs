//! Measurement results for running real-time control flow outside a quantum computer: drawn
//! from a seeded source, or read from a file of 0s and 1s in measurement order. A record keeps
//! the results of the bits some condition reads, and evaluates a `while` loop's condition on it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use eqisa_ir::circuit::{CondExpr, Register};

use crate::error::PipelineError;

/// Where measurement results come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcomes {
    /// Each result a fair coin of a generator seeded with this value (SplitMix64 of the seed and
    /// the measurement's index: the same seed gives the same results on every machine).
    Seeded(u64),
    /// A text file of `0` and `1` characters, one per measurement in the order they run
    /// (whitespace and `#` comments to the end of a line ignored).
    File(PathBuf),
}

impl Default for Outcomes {
    fn default() -> Self {
        Outcomes::Seeded(0)
    }
}

/// The source of results, opened.
enum Source {
    Seeded { seed: u64 },
    Listed { bits: Vec<bool>, name: String },
}

/// SplitMix64's finaliser of `z` advanced by its increment.
fn mix(z: u64) -> u64 {
    let mut z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Reads a file of results: `0` and `1`, whitespace, commas and `#` comments to the end of a
/// line ignored; anything else is an error naming its line and column.
///
/// # Errors
/// When the file cannot be read or holds anything but results.
pub fn read_listed(path: &Path) -> Result<Vec<bool>, PipelineError> {
    let name = path.display().to_string();
    let bytes = eqisa_files::read(path).map_err(|source| PipelineError::Io {
        path: name.clone(),
        source,
    })?;
    let text = String::from_utf8_lossy(&bytes);
    let mut bits = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("");
        for (col, ch) in line.chars().enumerate() {
            match ch {
                '0' => bits.push(false),
                '1' => bits.push(true),
                c if c.is_whitespace() || c == ',' => {}
                c => {
                    return Err(PipelineError::Outcomes {
                        file: name,
                        message: format!(
                            "line {}, column {}: {c:?} is not a measurement result (0 or 1)",
                            n + 1,
                            col + 1
                        ),
                    });
                }
            }
        }
    }
    Ok(bits)
}

/// The measurement record of one run: every result drawn in order, those of the bits some
/// condition reads kept.
pub struct Record {
    source: Source,
    /// Measurements drawn so far.
    drawn: u64,
    /// The text bits conditions read, sorted.
    watched: Vec<u32>,
    /// Results of watched bits (absolute index, shifts applied).
    kept: HashMap<u64, bool>,
    /// The first problem met inside a callback that cannot return one.
    pub(crate) fault: Option<String>,
}

impl Record {
    /// A record for a program whose conditions read `condition_bits` (text indices).
    ///
    /// # Errors
    /// When the file of results cannot be read or holds anything but results.
    pub fn new(outcomes: &Outcomes, condition_bits: &[Vec<u32>]) -> Result<Record, PipelineError> {
        let source = match outcomes {
            Outcomes::Seeded(seed) => Source::Seeded { seed: *seed },
            Outcomes::File(path) => Source::Listed {
                bits: read_listed(path)?,
                name: path.display().to_string(),
            },
        };
        let mut watched: Vec<u32> = condition_bits.iter().flatten().copied().collect();
        watched.sort_unstable();
        watched.dedup();
        Ok(Record {
            source,
            drawn: 0,
            watched,
            kept: HashMap::new(),
            fault: None,
        })
    }

    /// A measurement into bit `clbit` ran (`bit_offset` being its loop's shift): draw its result.
    pub fn measured(&mut self, clbit: u64, bit_offset: u64) {
        let k = self.drawn;
        self.drawn += 1;
        let value = match &self.source {
            Source::Seeded { seed } => mix(seed ^ mix(k)) & 1 == 1,
            Source::Listed { bits, name } => match bits.get(k as usize) {
                Some(&b) => b,
                None => {
                    if self.fault.is_none() {
                        self.fault = Some(format!(
                            "{name} holds {} measurement results; the program runs more",
                            bits.len()
                        ));
                    }
                    false
                }
            },
        };
        let text = clbit.wrapping_sub(bit_offset);
        if u32::try_from(text).is_ok_and(|t| self.watched.binary_search(&t).is_ok()) {
            self.kept.insert(clbit, value);
        }
    }

    /// Whether `cond` holds on the record, its bits shifted by `bit_offset`. A bit it reads that
    /// was never measured is a fault (the condition is then taken as false).
    pub fn holds(&mut self, cond: &CondExpr, cregs: &[Register], bit_offset: u64) -> bool {
        let value = cond.eval_with(cregs, &|b| {
            let at = u64::from(b) + bit_offset;
            self.kept.get(&at).copied().unwrap_or(false)
        });
        let mut bits = Vec::new();
        eqisa_lower::program::collect_bits(cond, cregs, &mut bits);
        let missing = bits
            .iter()
            .map(|&b| u64::from(b) + bit_offset)
            .find(|at| !self.kept.contains_key(at));
        if let Some(b) = missing
            && self.fault.is_none()
        {
            self.fault = Some(format!(
                "a while loop's condition reads classical bit {b}, which no measurement has written"
            ));
        }
        !value.is_zero()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eqisa_ir::circuit::CondOp;

    #[test]
    fn seeded_results_are_a_pure_function_of_seed_and_index() {
        let draw = |seed| {
            let mut r = Record::new(&Outcomes::Seeded(seed), &[vec![0]]).unwrap();
            (0..64)
                .map(|_| {
                    r.measured(0, 0);
                    r.kept[&0]
                })
                .collect::<Vec<bool>>()
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
        let ones = draw(7).iter().filter(|&&b| b).count();
        assert!((16..=48).contains(&ones), "{ones} ones of 64");
    }

    #[test]
    fn conditions_read_shifted_bits_and_name_unmeasured_ones() {
        let dir = std::env::temp_dir().join(format!("eqisa-outcomes-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("o.txt");
        std::fs::write(&file, "1 0 # first two\n1\n").unwrap();
        let cregs = [Register {
            name: "c".into(),
            start: 0,
            size: 4,
        }];
        let cond = CondExpr::Binary(
            CondOp::Eq,
            Box::new(CondExpr::Bit(1)),
            Box::new(CondExpr::Bool(true)),
        );
        let mut r = Record::new(&Outcomes::File(file.clone()), &[vec![1]]).unwrap();
        r.measured(1, 0); // 1
        r.measured(3, 2); // 0: text bit 1 shifted by 2
        assert!(r.holds(&cond, &cregs, 0));
        assert!(!r.holds(&cond, &cregs, 2));
        assert!(r.fault.is_none());
        r.measured(1, 0); // 1
        r.measured(1, 0); // past the file
        assert!(
            r.fault
                .as_deref()
                .unwrap()
                .contains("holds 3 measurement results")
        );
        let mut r = Record::new(&Outcomes::Seeded(1), &[vec![1]]).unwrap();
        r.holds(&cond, &cregs, 0);
        assert!(r.fault.as_deref().unwrap().contains("classical bit 1"));
        std::fs::write(&file, "10x\n").unwrap();
        let err = Record::new(&Outcomes::File(file), &[])
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("line 1, column 3"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}

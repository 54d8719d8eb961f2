//! Measurement reports of the paper's pipeline (they print tables; the checks live in
//! `tests/paper.rs`):
//!
//! * `measure_table`: our paper-pipeline ratios on MQT Bench `indep` circuits against the paper's
//!   published `cr huff2`, for each (depth, recursion) in `EQ_CONFIGS` (e.g. `5:4,3:3`, the
//!   default) and circuits of at most `EQ_MAXN` qubits (default 4). Columns: gates and
//!   Solovay–Kitaev unitaries of the emitted stream; `cr` and `cr+ops` under
//!   [`Tokenisation::Fragments`] (opcodes only / with qubit operand fields); `raw` and
//!   `raw+ops` under [`Tokenisation::RawLeaves`] (the paper's accounting); bzip2-after-Huffman
//!   over binary; the paper's `cr huff2`; our fidelity bound.
//! * `measure_1q_haar`: the paper's single-qubit study (`eqisa_1q_haar.csv`) redone on 200 Haar
//!   unitaries per setting.
//!
//! `cargo run -p eqisa-dictionary --release --example paper_measure -- [table|haar]` (both when
//! no argument is given).

use std::collections::BTreeMap;
use std::path::PathBuf;

use eqisa_baselines::paper::{
    PaperDictionary, PaperSynth, Tokenisation, encode_program, encode_program_with,
};

fn corpus() -> Option<PathBuf> {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    d.is_dir().then_some(d)
}

fn paper_name(stem: &str) -> Option<String> {
    let (base, n) = stem.split_once("_indep_n")?;
    let base = match base {
        "grover" => "grover-noancilla",
        "qwalk" => "qwalk-noancilla",
        "ae" | "dj" | "ghz" | "graphstate" | "qaoa" | "qft" | "qftentangled" | "qnn"
        | "qpeexact" | "qpeinexact" | "wstate" => base,
        _ => return None,
    };
    Some(format!("{base}_indep_qiskit_{n}"))
}

fn measure_table() {
    let Some(dir) = corpus() else {
        eprintln!("skipping: ../shared/corpus is not present");
        return;
    };
    let csv = std::fs::read_to_string(dir.join("paper/eqisa_benchmarks.csv")).expect("csv");
    let mut paper: BTreeMap<String, f64> = BTreeMap::new();
    for line in csv.lines().skip(1) {
        let cols: Vec<&str> = line.split(';').collect();
        paper.insert(cols[0].to_string(), cols[6].parse().expect("cr huff2"));
    }
    let configs: Vec<(usize, usize)> = std::env::var("EQ_CONFIGS")
        .ok()
        .map(|s| {
            s.split(',')
                .map(|p| {
                    let (d, r) = p.split_once(':').expect("d:r");
                    (d.parse().expect("d"), r.parse().expect("r"))
                })
                .collect()
        })
        .unwrap_or(vec![(5, 4), (3, 3)]);
    let max_n: u32 = std::env::var("EQ_MAXN")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(4);
    let mut entries: Vec<_> = std::fs::read_dir(dir.join("mqt/indep"))
        .expect("dir")
        .map(|e| e.expect("e").path())
        .collect();
    entries.sort();
    for (d, r) in configs {
        let synth = PaperSynth::new(d, r).expect("params");
        let dict = PaperDictionary::train_with(&synth, 200, 1).expect("train");
        println!(
            "== depth {d} recursion {r}: dictionary {} of {} words",
            dict.words.len(),
            synth.sk().basic_approximation_count() - 1
        );
        println!(
            "{:<34} {:>9} {:>6} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>7}",
            "benchmark", "gates", "sk", "cr", "cr+ops", "raw", "raw+ops", "bz/bin", "paper", "fid"
        );
        for path in &entries {
            let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
            let Some(name) = paper_name(stem) else {
                continue;
            };
            let Some(&cr_paper) = paper.get(&name) else {
                continue;
            };
            let n: u32 = stem
                .rsplit("_n")
                .next()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            if n > max_n {
                continue;
            }
            let c = eqisa_qasm::parse_file(path).expect("parse");
            let p = synth.lower(&c).expect("lower");
            let s = encode_program(&dict, &p).expect("encode");
            let raw = encode_program_with(&dict, &p, Tokenisation::RawLeaves).expect("encode");
            println!(
                "{:<34} {:>9} {:>6} {:>8.4} {:>8.4} {:>8.4} {:>8.4} {:>8.4} {:>8.4} {:>7.4}",
                name,
                s.gates,
                p.approximations,
                s.cr_huffman(),
                s.cr_huffman_with_operands(),
                raw.cr_huffman(),
                raw.cr_huffman_with_operands(),
                s.cr_huffman_bzip2(),
                cr_paper,
                s.fidelity_bound
            );
        }
    }
}

/// The paper's single-qubit study (`eqisa_1q_haar.csv`): per Haar unitary, Huffman with the
/// unitary's own frequencies, binary 2 bits per gate.
fn measure_1q_haar() {
    use eqisa_baselines::huffman::{code_lengths, encoded_bits};
    use eqisa_baselines::paper::HaarSampler;
    use eqisa_synth::CliffordT;
    use rustc_hash::FxHashMap;
    fn huff(words: &[Vec<CliffordT>]) -> u64 {
        let mut m: FxHashMap<&[CliffordT], u64> = FxHashMap::default();
        for w in words {
            *m.entry(w.as_slice()).or_default() += 1;
        }
        let f: Vec<u64> = m.values().copied().collect();
        encoded_bits(&f, &code_lengths(&f))
    }
    println!(
        "{:>2} {:>2} {:>9} {:>9} {:>9} {:>8} {:>8} {:>8}",
        "d", "r", "gates", "rawgates", "fid", "cr frag", "cr raw", "raw/raw"
    );
    for (d, r) in [
        (4, 1),
        (4, 2),
        (4, 3),
        (4, 4),
        (5, 1),
        (5, 2),
        (5, 3),
        (5, 4),
        (6, 1),
        (6, 2),
        (6, 3),
        (3, 4),
    ] {
        let synth = PaperSynth::new(d, r).expect("p");
        let mut s = HaarSampler::new(42);
        let n = 200;
        let (mut g, mut rg, mut fid, mut c1, mut c2, mut c3) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
        for _ in 0..n {
            let u = s.next_unitary();
            let w = synth.unitary(&u).expect("u");
            let gates: usize = w.words.iter().map(Vec::len).sum();
            let raw: usize = w.leaves.iter().map(Vec::len).sum();
            g += gates as f64;
            rg += raw as f64;
            let e = w.error;
            // process fidelity from operator-norm distance is not exact; report the bound
            fid += (1.0 - e * e / 2.0).powi(2);
            c1 += huff(&w.words) as f64 / (2.0 * gates.max(1) as f64);
            c2 += huff(&w.leaves) as f64 / (2.0 * gates.max(1) as f64);
            c3 += huff(&w.leaves) as f64 / (2.0 * raw.max(1) as f64);
        }
        let k = n as f64;
        println!(
            "{:>2} {:>2} {:>9.1} {:>9.1} {:>9.5} {:>8.4} {:>8.4} {:>8.4}",
            d,
            r,
            g / k,
            rg / k,
            fid / k,
            c1 / k,
            c2 / k,
            c3 / k
        );
    }
}

fn main() {
    let which = std::env::args().nth(1);
    if which.as_deref() != Some("haar") {
        measure_table();
    }
    if which.as_deref() != Some("table") {
        measure_1q_haar();
    }
}

//! The EQISA paper baseline: Huffman coding, the dictionary artifact, the paper-specific lowering
//! (checked against the ordinary lowering), and the reproduction of the paper's published
//! `cr huff2` on MQT Bench circuits (skipped when `../shared/corpus` is absent).

use std::collections::BTreeMap;
use std::path::Path;

use eqisa_baselines::huffman::{HuffmanCode, PackedBits, code_lengths, encoded_bits, pack, unpack};
use eqisa_baselines::paper::{
    FORMAT_VERSION, FormatError, MAGIC, PaperDictionary, PaperError, PaperSynth, Token,
    Tokenisation, encode_program, encode_program_with, spell_word,
};
use eqisa_lower::clifford_t::{Budget, Synth};
use eqisa_lower::program::NativeOp;
use eqisa_lower::target::{TargetDesc, TargetKind};
use eqisa_lower::{LowerOptions, lower};
use eqisa_synth::CliffordT;
use proptest::prelude::*;

use eqisa_test_support::{corpus_dir, examples_dir as examples};

// ---------------------------------------------------------------------------------------------
// Huffman

/// Minimum `Σ f·l` over all length vectors (each 1..=n-1) that satisfy Kraft: brute force.
fn brute_force_cost(freqs: &[u64]) -> u64 {
    let n = freqs.len();
    let max = (n - 1).max(1) as u32;
    let mut best = u64::MAX;
    let mut lens = vec![1u32; n];
    loop {
        let kraft: f64 = lens.iter().map(|&l| 0.5f64.powi(l as i32)).sum();
        if kraft <= 1.0 + 1e-12 {
            let cost = freqs
                .iter()
                .zip(&lens)
                .map(|(&f, &l)| f * u64::from(l))
                .sum();
            best = best.min(cost);
        }
        let mut i = 0;
        while i < n && lens[i] == max {
            lens[i] = 1;
            i += 1;
        }
        if i == n {
            return best;
        }
        lens[i] += 1;
    }
}

fn is_prefix_free(code: &HuffmanCode) -> bool {
    let words: Vec<_> = code.codewords().iter().filter(|c| c.len > 0).collect();
    for (i, a) in words.iter().enumerate() {
        for (j, b) in words.iter().enumerate() {
            if i != j && a.len <= b.len && (b.bits >> (b.len - a.len)) == a.bits {
                return false;
            }
        }
    }
    true
}

#[test]
fn huffman_is_optimal_and_prefix_free_on_known_distributions() {
    let cases: Vec<Vec<u64>> = vec![
        vec![1, 1],
        vec![1, 1, 1, 1],
        vec![1, 1, 2, 4],
        vec![5, 9, 12, 13, 16, 45],
        vec![1, 2, 3, 5, 8, 13],
        vec![10, 10, 10, 1, 1],
        vec![100, 1, 1, 1, 1, 1],
        vec![3, 3, 3, 3, 3, 3, 2],
    ];
    for freqs in cases {
        let lengths = code_lengths(&freqs);
        let code = HuffmanCode::from_frequencies(&freqs);
        assert!(is_prefix_free(&code), "{freqs:?}");
        assert_eq!(
            encoded_bits(&freqs, &lengths),
            brute_force_cost(&freqs),
            "{freqs:?} -> {lengths:?}"
        );
        // A full tree: Kraft holds with equality.
        let kraft: f64 = lengths.iter().map(|&l| 0.5f64.powi(i32::from(l))).sum();
        assert!((kraft - 1.0).abs() < 1e-12, "{freqs:?}");
    }
    // The textbook example (CLRS): f:5 e:9 c:12 b:13 d:16 a:45 costs 224 bits.
    assert_eq!(
        encoded_bits(
            &[45, 13, 12, 16, 9, 5],
            &code_lengths(&[45, 13, 12, 16, 9, 5])
        ),
        224
    );
}

#[test]
fn huffman_lengths_are_deterministic_under_ties() {
    let freqs = [2, 2, 2, 2, 2, 2];
    let a = code_lengths(&freqs);
    assert_eq!(a, code_lengths(&freqs));
    // Leaves before internal nodes on equal weight, lower index first: the first two symbols
    // are merged first and end up deepest.
    assert_eq!(a, vec![3, 3, 3, 3, 2, 2]);
}

proptest! {
    #[test]
    fn huffman_matches_brute_force(freqs in prop::collection::vec(1u64..50, 2..7)) {
        let lengths = code_lengths(&freqs);
        prop_assert_eq!(encoded_bits(&freqs, &lengths), brute_force_cost(&freqs));
        prop_assert!(is_prefix_free(&HuffmanCode::from_frequencies(&freqs)));
    }

    #[test]
    fn packed_streams_round_trip(symbols in prop::collection::vec(0usize..12, 0..400)) {
        let mut freqs = vec![0u64; 12];
        for &s in &symbols {
            freqs[s] += 1;
        }
        let code = HuffmanCode::from_frequencies(&freqs);
        let packed = pack(&code, &symbols).expect("every used symbol has a code");
        prop_assert_eq!(packed.bits, encoded_bits(&freqs, &code.lengths()));
        prop_assert_eq!(packed.bytes.len() as u64, packed.bits.div_ceil(8));
        prop_assert_eq!(unpack(&code, &packed, symbols.len()).expect("decodes"), symbols);
    }

    #[test]
    fn corrupt_streams_are_errors_not_panics(
        bytes in prop::collection::vec(any::<u8>(), 0..16),
        bits in 0u64..140,
        count in 0usize..40,
    ) {
        let code = HuffmanCode::from_frequencies(&[1, 2, 0, 5, 9]);
        let packed = PackedBits { bytes, bits };
        let _ = unpack(&code, &packed, count);
    }

    #[test]
    fn arbitrary_dictionary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let _ = PaperDictionary::from_bytes(&bytes);
        let mut framed = MAGIC.to_vec();
        framed.push(FORMAT_VERSION);
        framed.extend_from_slice(&bytes);
        let _ = PaperDictionary::from_bytes(&framed);
    }
}

// ---------------------------------------------------------------------------------------------
// The dictionary artifact

#[test]
fn training_is_deterministic_and_selects_a_sparse_subset() {
    let a = PaperDictionary::train_haar(5, 2, 50, 7).expect("trains");
    let b = PaperDictionary::train_haar(5, 2, 50, 7).expect("trains");
    assert_eq!(a, b);
    let synth = PaperSynth::new(5, 2).expect("valid");
    let alphabet = synth.sk().basic_approximation_count() - 1;
    assert!(a.words.len() < alphabet, "{} of {alphabet}", a.words.len());
    assert!(a.words.len() > 20);
    for w in &a.words {
        assert!(!w.is_empty() && w.len() <= 5);
    }
    for g in [CliffordT::H, CliffordT::T, CliffordT::Tdg] {
        assert!(a.contains(&[g]));
    }
    assert!(matches!(
        PaperDictionary::train_haar(0, 1, 1, 0),
        Err(PaperError::InvalidParameters(_))
    ));
    assert!(matches!(
        PaperDictionary::train_haar(3, 11, 1, 0),
        Err(PaperError::InvalidParameters(_))
    ));
}

#[test]
fn dictionary_bytes_round_trip() {
    let dict = PaperDictionary::train_haar(4, 2, 30, 3).expect("trains");
    let bytes = dict.to_bytes();
    assert_eq!(&bytes[..4], b"EQPD");
    assert_eq!(PaperDictionary::from_bytes(&bytes), Ok(dict.clone()));
    // Canonical order makes the bytes independent of the order words were given in.
    let shuffled =
        PaperDictionary::from_words(4, 2, dict.words.iter().rev().cloned()).expect("valid");
    assert_eq!(shuffled.to_bytes(), bytes);
}

#[test]
fn bad_dictionary_bytes_are_typed_errors() {
    let dict = PaperDictionary::from_words(
        3,
        2,
        vec![
            vec![CliffordT::H, CliffordT::T],
            vec![CliffordT::T, CliffordT::T],
        ],
    )
    .expect("valid");
    let good = dict.to_bytes();
    // Header: magic, version, depth 3, recursion 2, count 5 (h, t, tdg, h·t, t·t).
    assert_eq!(good[4..9], [FORMAT_VERSION, 3, 2, 5, 0]);
    for cut in 0..good.len() {
        assert!(
            matches!(
                PaperDictionary::from_bytes(&good[..cut]),
                Err(FormatError::Truncated { .. })
            ),
            "prefix of {cut} bytes"
        );
    }
    let with = |i: usize, b: u8| {
        let mut v = good.clone();
        v[i] = b;
        PaperDictionary::from_bytes(&v)
    };
    assert_eq!(with(0, b'X'), Err(FormatError::BadMagic));
    assert_eq!(with(4, 9), Err(FormatError::UnsupportedVersion(9)));
    assert_eq!(
        with(5, 0),
        Err(FormatError::BadParameters {
            depth: 0,
            recursion: 2
        })
    );
    assert!(matches!(
        with(6, 200),
        Err(FormatError::BadParameters { .. })
    ));
    // First word: length byte at 9, letter at 10.
    assert_eq!(
        with(9, 0),
        Err(FormatError::BadLength {
            index: 0,
            len: 0,
            depth: 3
        })
    );
    assert_eq!(
        with(9, 4),
        Err(FormatError::BadLength {
            index: 0,
            len: 4,
            depth: 3
        })
    );
    assert_eq!(
        with(10, 3),
        Err(FormatError::BadLetter { index: 0, byte: 3 })
    );
    // h (0) then t (1): making the second word h again repeats it.
    assert_eq!(with(12, 0), Err(FormatError::Unordered { index: 1 }));
    let mut long = good.clone();
    long.push(0);
    assert_eq!(
        PaperDictionary::from_bytes(&long),
        Err(FormatError::TrailingBytes(1))
    );
    assert!(PaperDictionary::from_words(3, 2, vec![vec![]]).is_err());
    assert!(PaperDictionary::from_words(3, 2, vec![vec![CliffordT::S]]).is_err());
    assert!(PaperDictionary::from_words(2, 2, vec![vec![CliffordT::H; 3]]).is_err());
}

// ---------------------------------------------------------------------------------------------
// The paper-specific lowering

fn letter(op: NativeOp) -> Option<CliffordT> {
    Some(match op {
        NativeOp::H => CliffordT::H,
        NativeOp::S => CliffordT::S,
        NativeOp::Sdg => CliffordT::Sdg,
        NativeOp::T => CliffordT::T,
        NativeOp::Tdg => CliffordT::Tdg,
        NativeOp::X => CliffordT::X,
        NativeOp::Y => CliffordT::Y,
        NativeOp::Z => CliffordT::Z,
        _ => return None,
    })
}

/// Per qubit, the letters between consecutive CNOTs.
type Segments = Vec<Vec<Vec<CliffordT>>>;

/// The ordinary lowering's single-qubit gates, spelt in {h, t, tdg} one synthesised unitary at a
/// time (a run of single-qubit gates between two other operations on the qubit).
fn ordinary_segments(path: &Path, depth: usize, recursion: usize) -> Segments {
    let c = eqisa_qasm::parse_file(path).expect("parses");
    let target = TargetDesc::default_for(TargetKind::CliffordT);
    let opts = LowerOptions {
        synth: Synth::Sk { depth, recursion },
        budget: Budget::Eps(1e-3),
    };
    let l = lower(&c, &target, &opts).expect("lowers");
    let n = c.num_qubits as usize;
    let mut segs: Segments = vec![vec![Vec::new()]; n];
    let mut run: Vec<Vec<CliffordT>> = vec![Vec::new(); n];
    let close_run = |q: usize, segs: &mut Segments, run: &mut Vec<Vec<CliffordT>>| {
        let spelt = spell_word(&run[q]);
        run[q].clear();
        if let Some(last) = segs[q].last_mut() {
            last.extend(spelt);
        }
    };
    for op in &l.program.ops {
        match (letter(op.op), op.qubits.as_slice()) {
            (Some(g), [q]) => run[*q as usize].push(g),
            _ => {
                for &q in &op.qubits {
                    close_run(q as usize, &mut segs, &mut run);
                    if op.op == NativeOp::Cx {
                        segs[q as usize].push(Vec::new());
                    }
                }
            }
        }
    }
    for q in 0..n {
        close_run(q, &mut segs, &mut run);
    }
    segs
}

fn paper_segments(tokens: &[Token], n: usize) -> Segments {
    let mut segs: Segments = vec![vec![Vec::new()]; n];
    for t in tokens {
        match t {
            Token::Word { qubit, gates } => {
                if let Some(last) = segs[*qubit as usize].last_mut() {
                    last.extend(gates.iter().copied());
                }
            }
            Token::Cx { control, target } => {
                segs[*control as usize].push(Vec::new());
                segs[*target as usize].push(Vec::new());
            }
        }
    }
    segs
}

#[test]
fn paper_lowering_plays_the_ordinary_lowerings_gates() {
    let synth = PaperSynth::new(3, 2).expect("valid");
    for file in [
        "bell.qasm",
        "qft4.qasm",
        "adder4.qasm",
        "ghz4.qasm3",
        "modifiers.qasm3",
    ] {
        let path = examples().join(file);
        let c = eqisa_qasm::parse_file(&path).expect("parses");
        let p = synth.lower(&c).expect("lowers");
        let n = c.num_qubits as usize;
        assert_eq!(
            paper_segments(&p.tokens, n),
            ordinary_segments(&path, 3, 2),
            "{file}"
        );
        // Every token is a basic word of at most `depth` letters over {h, t, tdg}.
        for t in &p.tokens {
            if let Token::Word { gates, .. } = t {
                assert!(!gates.is_empty() && gates.len() <= 3, "{file}: {gates:?}");
            }
        }
        // The raw leaves are the same gates before cancellation (at depth 3 every basic word is
        // the only spelling of its rotation): free reduction makes them equal.
        let raw = paper_segments(&p.leaf_tokens, n);
        let emitted = paper_segments(&p.tokens, n);
        let reduce = |s: &Segments| -> Segments {
            s.iter()
                .map(|q| q.iter().map(|seg| spell_word(seg)).collect())
                .collect()
        };
        assert_eq!(reduce(&raw), reduce(&emitted), "{file}");
    }
}

#[test]
fn conditionals_and_depth_mismatches_are_refused() {
    let synth = PaperSynth::new(3, 1).expect("valid");
    let c = eqisa_qasm::parse_file(examples().join("teleport.qasm3")).expect("parses");
    assert!(matches!(
        synth.lower(&c),
        Err(PaperError::Conditional { .. })
    ));
    let c = eqisa_qasm::parse_file(examples().join("qft4.qasm")).expect("parses");
    let p = synth.lower(&c).expect("lowers");
    let dict = PaperDictionary::train_haar(4, 1, 5, 0).expect("trains");
    assert_eq!(
        encode_program(&dict, &p),
        Err(PaperError::DepthMismatch {
            dictionary: 4,
            program: 3
        })
    );
}

#[test]
fn stats_add_up() {
    let synth = PaperSynth::new(3, 2).expect("valid");
    let dict = PaperDictionary::train_with(&synth, 40, 1).expect("trains");
    let c = eqisa_qasm::parse_file(examples().join("qft4.qasm")).expect("parses");
    let p = synth.lower(&c).expect("lowers");
    let s = encode_program(&dict, &p).expect("encodes");
    assert_eq!(s.gates, p.gate_count());
    assert_eq!(s.binary_opcode_bits, 2 * s.gates);
    assert!(s.huffman_bits > 0 && s.huffman_bits < s.binary_opcode_bits);
    assert!(s.huffman_bzip2_bits > 0 && s.huffman_bzip2_bits & 7 == 0);
    assert!(s.distinct_words <= s.words);
    // qft4: 4 measurements and a barrier are outside the alphabet.
    assert_eq!(s.other_ops, 5);
    // 4 qubits: 2 bits per operand.
    let cx = p
        .tokens
        .iter()
        .filter(|t| matches!(t, Token::Cx { .. }))
        .count() as u64;
    assert_eq!(
        s.binary_bits_with_operands,
        2 * s.gates + 2 * (s.gates + cx)
    );
    assert_eq!(
        s.huffman_bits_with_operands,
        s.huffman_bits + 2 * (s.words + cx)
    );
    assert!(s.fidelity_bound > 0.0 && s.fidelity_bound <= 1.0);
    // The raw-leaf accounting codes the uncancelled stream: at least as many gates.
    let raw = encode_program_with(&dict, &p, Tokenisation::RawLeaves).expect("encodes");
    assert!(raw.gates >= s.gates);
    assert_eq!(raw.fidelity_bound, s.fidelity_bound);
    // Words outside a tiny dictionary are spelt letter by letter.
    let tiny = PaperDictionary::from_words(3, 2, Vec::new()).expect("valid");
    let spelt = encode_program(&tiny, &p).expect("encodes");
    assert!(spelt.spelt_words > 0);
    assert_eq!(spelt.gates, s.gates);
    assert_eq!(spelt.words, s.gates);
}

// ---------------------------------------------------------------------------------------------
// The reproduction

/// The paper's benchmark name for one of our MQT Bench files.
fn paper_name(stem: &str) -> Option<String> {
    let (base, n) = stem.split_once("_indep_n")?;
    let base = match base {
        "grover" => "grover-noancilla",
        "qwalk" => "qwalk-noancilla",
        other => other,
    };
    Some(format!("{base}_indep_qiskit_{n}"))
}

/// Our `cr huff2` against the paper's published one, within 10%.
///
/// The setting is the paper's, read off its own tables: basic approximations of depth 5 and
/// recursion 4 (its single-qubit study at (5, 4) has 1 926 gates and `cr huff2` 0.5073 per
/// Haar unitary, which our raw-leaf accounting reproduces: 1 898 and 0.5072; its
/// grover-noancilla 2-qubit program is 1 988 gates, one such unitary), the paper's accounting
/// ([`Tokenisation::RawLeaves`]) and its qubit operand fields on both sides. The benchmarks
/// chosen are the ones whose unitaries really go through Solovay–Kitaev in our lowering; the
/// paper synthesised every circuit's whole unitary (Quantum Shannon decomposition), so Clifford
/// circuits such as ghz or graphstate, which we lower exactly, are not comparable. At depth 3,
/// recursion 3 the same accounting gives 0.53–0.62 against the paper's 0.39–0.44: depth is what
/// sets the ratio (longer basic words, more bits saved per word).
#[test]
fn reproduces_the_papers_cr_huff2() {
    let Some(dir) = corpus_dir() else {
        return;
    };
    let csv = std::fs::read_to_string(dir.join("paper/eqisa_benchmarks.csv")).expect("paper csv");
    let mut paper: BTreeMap<String, f64> = BTreeMap::new();
    for line in csv.lines().skip(1) {
        let cols: Vec<&str> = line.split(';').collect();
        paper.insert(cols[0].to_string(), cols[6].parse().expect("cr huff2"));
    }
    let synth = PaperSynth::new(5, 4).expect("valid");
    let dict = PaperDictionary::train_with(&synth, 200, 1).expect("trains");
    let files = [
        "ae_indep_n2.qasm",
        "ae_indep_n3.qasm",
        "qnn_indep_n2.qasm",
        "qnn_indep_n3.qasm",
        "qft_indep_n3.qasm",
        "qpeinexact_indep_n3.qasm",
        "wstate_indep_n3.qasm",
        "qaoa_indep_n3.qasm",
    ];
    let mut failures = Vec::new();
    for file in files {
        let path = dir.join("mqt/indep").join(file);
        let stem = file.trim_end_matches(".qasm");
        let name = paper_name(stem).expect("indep name");
        let expected = paper[&name];
        let c = eqisa_qasm::parse_file(&path).expect("parses");
        let p = synth.lower(&c).expect("lowers");
        let s = encode_program_with(&dict, &p, Tokenisation::RawLeaves).expect("encodes");
        let got = s.cr_huffman_with_operands();
        let frag = encode_program(&dict, &p).expect("encodes");
        eprintln!(
            "{name:<28} ours {got:.4}  paper {expected:.4}  ({:+.1}%)   opcode-only: raw {:.4}, fragments {:.4}",
            100.0 * (got / expected - 1.0),
            s.cr_huffman(),
            frag.cr_huffman(),
        );
        if (got / expected - 1.0).abs() > 0.10 {
            failures.push(format!("{name}: {got:.4} vs {expected:.4}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

//! What the decoder does with bytes that are not exactly what the assembler wrote: every single
//! bit flip, every truncation, the wrong codebook, trailing bytes, and arbitrary or mutated input.
//! It must always fail (never `Ok`, never a panic, never a hang), and the streaming decoder must
//! never release an instruction that is not the true program's next one.

use std::path::Path;
use std::time::{Duration, Instant};

use eqisa_assembler::assemble;
use eqisa_decoder::{DecodedInstr, Decoder, Fed, decode_all, feed_chunks};
use eqisa_isa::codebook::{self, Codebook};
use eqisa_isa::container::{HEADER_LEN, SECTION_HEADER_LEN, TRAILER_LEN, codebook_id};
use eqisa_isa::model::{MODEL_VERSION, Priors};
use eqisa_isa::stream::BlockHeader;
use eqisa_isa::{IsaError, SectionKind};
use eqisa_lower::clifford_t::{Budget, Synth};
use eqisa_lower::program::NativeProgram;
use eqisa_lower::target::{TargetDesc, TargetKind};
use eqisa_lower::{LowerOptions, lower};
use eqisa_test_support::{example, flat_codebook, repo_dir};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

// ---------------------------------------------------------------------------------------------
// Fixtures

fn lowered(path: &Path, kind: TargetKind) -> (NativeProgram, TargetDesc) {
    let circuit = eqisa_qasm::parse_file(path).expect("parses");
    let target = TargetDesc::default_for(kind);
    let opts = LowerOptions {
        synth: Synth::Gridsynth,
        budget: Budget::Fidelity(0.99),
    };
    let l = lower(&circuit, &target, &opts).expect("lowers");
    (l.program, target)
}

/// An assembled program and what decoding it must give.
struct Case {
    name: &'static str,
    bytes: Vec<u8>,
    truth: Vec<DecodedInstr>,
}

fn case(name: &'static str, program: &NativeProgram, target: &TargetDesc) -> Case {
    let (cb, hash) = flat_codebook();
    let bytes = assemble(program, target, &cb, hash)
        .expect("assembles")
        .bytes;
    let truth = decode_all(&bytes, &cb.priors, hash)
        .expect("the unmodified program decodes")
        .instrs;
    assert_eq!(truth.len(), program.ops.len(), "{name}");
    Case { name, bytes, truth }
}

/// teleport.qasm3 on the native target (conditions, measurements, mid-circuit feed-forward).
fn teleport() -> Case {
    let (p, t) = lowered(&example("teleport.qasm3"), TargetKind::Native);
    assert!(!p.conditions.is_empty(), "teleport has conditions");
    assert!(
        p.ops.iter().any(|o| o.cond.is_some()),
        "teleport has conditional ops"
    );
    assert!(
        p.ops
            .iter()
            .any(|o| matches!(o.op, eqisa_lower::program::NativeOp::Measure { .. })),
        "teleport measures"
    );
    case("teleport native", &p, &t)
}

/// qft4.qasm on Clifford+T (gridsynth).
fn qft4_clifford_t() -> Case {
    let (p, t) = lowered(&example("qft4.qasm"), TargetKind::CliffordT);
    case("qft4 clifford+t", &p, &t)
}

/// teleport with a schedule the ASAP rebuild does not reproduce, so timing is carried
/// explicitly (raw f64 fields in the instruction stream).
fn teleport_explicit_timing() -> Case {
    let (mut p, t) = lowered(&example("teleport.qasm3"), TargetKind::Native);
    for op in &mut p.ops {
        op.start_ns += 1.0;
    }
    p.duration_ns += 1.0;
    let (cb, hash) = flat_codebook();
    assert!(
        assemble(&p, &t, &cb, hash)
            .expect("assembles")
            .explicit_timing
    );
    case("teleport native, explicit timing", &p, &t)
}

fn small_cases() -> Vec<Case> {
    vec![teleport(), qft4_clifford_t(), teleport_explicit_timing()]
}

/// A synthetic native program large enough for several instruction blocks.
fn multi_block() -> Case {
    let mut qasm = String::from("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[8];\ncreg c[8];\n");
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    for layer in 0..3000 {
        for q in 0..8 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let angle = (x >> 11) as f64 / (1u64 << 53) as f64 * std::f64::consts::TAU;
            qasm.push_str(&format!("rz({angle}) q[{q}];\nsx q[{q}];\n"));
        }
        let o = layer % 2;
        for q in (o..7).step_by(2) {
            qasm.push_str(&format!("cz q[{q}], q[{}];\n", q + 1));
        }
    }
    qasm.push_str("measure q -> c;\n");
    let circuit = eqisa_qasm::parse_str(&qasm, "multi_block.qasm").expect("parses");
    let target = TargetDesc::default_for(TargetKind::Native);
    let opts = LowerOptions {
        synth: Synth::Gridsynth,
        budget: Budget::Fidelity(0.99),
    };
    let p = lower(&circuit, &target, &opts).expect("lowers").program;
    let (cb, hash) = flat_codebook();
    let asm = assemble(&p, &target, &cb, hash).expect("assembles");
    assert!(asm.blocks >= 2, "{} blocks", asm.blocks);
    case("synthetic multi-block native", &p, &target)
}

// ---------------------------------------------------------------------------------------------
// Decoding helpers

/// Decode with the streaming decoder, feeding chunks whose sizes `chunk` chooses; returns the
/// instructions released and how decoding ended (`Ok` only when it reached `End` and `finish`
/// agreed). Panics if the decoder asks for input but takes none (`decode_all` would hang).
fn stream(
    bytes: &[u8],
    priors: &Priors,
    hash: [u8; 32],
    chunk: impl FnMut() -> usize,
) -> (Vec<DecodedInstr>, Result<(), IsaError>) {
    let mut dec = Decoder::new(priors, hash);
    let mut rest = bytes;
    let mut out = Vec::new();
    let fed = feed_chunks(&mut dec, &mut rest, chunk, |t| {
        out.push(DecodedInstr::from(t));
        Ok(())
    });
    let end = match fed {
        Err(e) => Err(e),
        Ok(Fed::NeedInput) => {
            let end = dec.finish();
            assert!(
                end.is_err(),
                "decoder wants input, yet finish() accepts the program"
            );
            end
        }
        Ok(Fed::Stalled) => panic!("decoder asked for input but took none (decode_all would hang)"),
        Ok(Fed::End) if !rest.is_empty() => Err(IsaError::TrailingBytes(rest.len())),
        Ok(Fed::End) => dec.finish(),
    };
    (out, end)
}

fn one_byte() -> usize {
    1
}

/// `decode_all`, also checking that it returns promptly.
fn timed_decode_all(
    bytes: &[u8],
    priors: &Priors,
    hash: [u8; 32],
) -> Result<eqisa_decoder::DecodedProgram, IsaError> {
    let t = Instant::now();
    let r = decode_all(bytes, priors, hash);
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "decode_all took {:?}",
        t.elapsed()
    );
    r
}

/// Where the framing is: the byte ranges of the fixed header, every section header, every block
/// header, and the trailer (for targeted flips in files too large to flip every bit of).
fn framing(bytes: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut v = Vec::new();
    v.push(0..HEADER_LEN);
    let mut pos = HEADER_LEN;
    while pos + SECTION_HEADER_LEN <= bytes.len() - TRAILER_LEN {
        let kind = bytes[pos];
        let len = u32::from_le_bytes([
            bytes[pos + 1],
            bytes[pos + 2],
            bytes[pos + 3],
            bytes[pos + 4],
        ]) as usize;
        v.push(pos..pos + SECTION_HEADER_LEN);
        let body = pos + SECTION_HEADER_LEN;
        if SectionKind::try_from(kind) == Ok(SectionKind::Instructions) {
            let mut b = body;
            while b < body + len {
                let (bh, hlen) = BlockHeader::parse(&bytes[b..body + len])
                    .expect("valid")
                    .expect("complete");
                v.push(b..b + hlen);
                b += hlen + bh.len;
            }
        }
        pos = body + len;
    }
    v.push(bytes.len() - TRAILER_LEN..bytes.len());
    v
}

/// Flip bit `bit` of `bytes` and check both decoders reject it, the streaming one releasing only
/// a prefix of the true instructions; `Err` says what went wrong.
fn check_flip(c: &Case, byte: usize, bit: u32, one_at_a_time: bool) -> Result<(), String> {
    let (cb, hash) = flat_codebook();
    let mut b = c.bytes.clone();
    b[byte] ^= 1 << bit;
    let at = format!("{}: flip at byte {byte} bit {bit}", c.name);
    if let Ok(p) = timed_decode_all(&b, &cb.priors, hash) {
        return Err(format!(
            "{at}: decode_all is Ok ({} instructions)",
            p.instrs.len()
        ));
    }
    let mut k = 0usize;
    let mut sizes = || {
        k = k.wrapping_mul(31).wrapping_add(7);
        if one_at_a_time { 1 } else { 1 + k % 4096 }
    };
    let (released, end) = stream(&b, &cb.priors, hash, &mut sizes);
    let Err(e) = end else {
        return Err(format!("{at}: the streaming decoder reaches the end"));
    };
    if released.len() > c.truth.len() || released[..] != c.truth[..released.len()] {
        let first = released
            .iter()
            .zip(&c.truth)
            .position(|(a, b)| a != b)
            .unwrap_or(c.truth.len());
        return Err(format!(
            "{at}: {} instructions released before {e:?}, of which #{first} on are not the program's \
             (released {:?}, expected {:?})",
            released.len(),
            released.get(first),
            c.truth.get(first),
        ));
    }
    Ok(())
}

fn report(failures: &[String]) {
    if !failures.is_empty() {
        for f in failures.iter().take(6) {
            eprintln!("{f}");
        }
        panic!("{} failing flips (first 6 above)", failures.len());
    }
}

// ---------------------------------------------------------------------------------------------
// Tests

#[test]
fn unmodified_programs_decode_identically_however_they_are_fed() {
    let (cb, hash) = flat_codebook();
    for c in small_cases() {
        let (released, end) = stream(&c.bytes, &cb.priors, hash, one_byte);
        assert_eq!(end, Ok(()), "{}", c.name);
        assert_eq!(released, c.truth, "{}", c.name);
        eprintln!(
            "{}: {} instructions, {} bytes",
            c.name,
            c.truth.len(),
            c.bytes.len()
        );
    }
}

#[test]
fn every_bit_flip_is_an_error_and_releases_only_true_instructions() {
    for c in small_cases() {
        let mut failures = Vec::new();
        for byte in 0..c.bytes.len() {
            for bit in 0..8 {
                failures.extend(check_flip(&c, byte, bit, true).err());
            }
        }
        report(&failures);
    }
}

#[test]
fn framing_bit_flips_in_a_multi_block_program() {
    let c = multi_block();
    let mut positions: Vec<usize> = framing(&c.bytes).into_iter().flatten().collect();
    // And a sample of payload bytes.
    positions.extend((0..c.bytes.len()).step_by(c.bytes.len() / 16));
    positions.sort_unstable();
    positions.dedup();
    eprintln!(
        "{}: {} bytes, framing {:?}",
        c.name,
        c.bytes.len(),
        framing(&c.bytes)
    );
    let mut failures = Vec::new();
    for byte in positions {
        for bit in 0..8 {
            failures.extend(check_flip(&c, byte, bit, false).err());
        }
    }
    report(&failures);
}

#[test]
fn every_truncation_is_named_as_one() {
    let (cb, hash) = flat_codebook();
    for c in small_cases() {
        for n in 0..c.bytes.len() {
            let prefix = &c.bytes[..n];
            let e = timed_decode_all(prefix, &cb.priors, hash)
                .expect_err("a truncated program decodes Ok");
            assert!(
                matches!(
                    e,
                    IsaError::Truncated { .. }
                        | IsaError::FileCrc { .. }
                        | IsaError::SectionCrc { .. }
                        | IsaError::BlockCrc { .. }
                        | IsaError::HeaderCrc { .. }
                ),
                "{}: prefix of {n}/{} bytes: {e:?} ({e})",
                c.name,
                c.bytes.len()
            );
            let msg = e.to_string();
            assert!(
                msg.contains("truncated") || msg.contains("checksum"),
                "{msg}"
            );
            let (released, end) = stream(prefix, &cb.priors, hash, one_byte);
            // The streaming decoder says what it was reading, how much that needs and how much
            // is left: a whole header while the header is cut.
            match end {
                Err(IsaError::Truncated {
                    what,
                    needed,
                    available,
                }) => {
                    assert!(needed > available, "{}: prefix {n}: {what}", c.name);
                    if n < HEADER_LEN {
                        assert_eq!(
                            (what, needed, available),
                            ("header", HEADER_LEN as u64, n as u64)
                        );
                    }
                }
                other => panic!("{}: prefix {n}: {other:?}", c.name),
            }
            assert_eq!(released[..], c.truth[..released.len()]);
        }
    }
}

#[test]
fn wrong_codebooks_are_refused() {
    let (_, hash) = flat_codebook();
    let c = teleport();
    let mut changed = Priors::default();
    changed.probs[1234] = 1000;
    // The flat codebook with one entry changed.
    let others = [
        Codebook {
            priors: changed,
            ..flat_codebook().0
        },
        Codebook {
            description: "another description".into(),
            ..flat_codebook().0
        },
        Codebook {
            paper_dictionary: Some(vec![1, 2, 3]),
            ..flat_codebook().0
        },
    ];
    for other in &others {
        let other_hash = other.hash();
        assert_ne!(other_hash, hash);
        let e = decode_all(&c.bytes, &other.priors, other_hash)
            .expect_err("decodes with another codebook");
        assert_eq!(
            e,
            IsaError::CodebookMismatch {
                expected: codebook_id(&other_hash),
                found: codebook_id(&hash)
            }
        );
        // Streaming: refused at the header, before any instruction.
        let (released, end) = stream(&c.bytes, &other.priors, other_hash, one_byte);
        assert!(released.is_empty());
        assert!(
            matches!(end, Err(IsaError::CodebookMismatch { .. })),
            "{end:?}"
        );
    }
}

/// A codebook's bytes with a version field changed and the content hash recomputed (a genuine
/// codebook of another version, not a corrupted one).
fn with_version(bytes: &[u8], at: usize, version: u16) -> Vec<u8> {
    let mut b = bytes[..bytes.len() - 32].to_vec();
    b[at..at + 2].copy_from_slice(&version.to_le_bytes());
    let h: [u8; 32] = Sha256::digest(&b).into();
    b.extend_from_slice(&h);
    b
}

#[test]
fn codebooks_of_other_versions_are_named() {
    let (cb, hash) = flat_codebook();
    let bytes = cb.to_bytes();
    assert_eq!(Codebook::parse(&bytes).expect("parses"), (cb, hash));
    let e = Codebook::parse(&with_version(&bytes, 4, codebook::FORMAT_VERSION + 1))
        .expect_err("format");
    assert!(
        matches!(e, IsaError::CodebookVersion { what: "format", .. }),
        "{e:?}"
    );
    let e = Codebook::parse(&with_version(&bytes, 6, MODEL_VERSION + 1)).expect_err("model");
    assert!(
        matches!(e, IsaError::CodebookVersion { what: "model", .. }),
        "{e:?}"
    );
    assert!(e.to_string().contains("model version"), "{e}");
}

#[test]
fn corrupted_codebooks_are_refused() {
    let (cb, _) = flat_codebook();
    let bytes = cb.to_bytes();
    let n = bytes.len();
    // Every bit of the head (magic, versions, entry headers, the description), of the tail (the
    // training entry and the hash), and a spread of the probability tables.
    let mut positions: Vec<usize> = (0..96)
        .chain(n - 96..n)
        .chain((96..n - 96).step_by(131))
        .collect();
    positions.sort_unstable();
    positions.dedup();
    for i in positions {
        for bit in 0..8 {
            let mut b = bytes.clone();
            b[i] ^= 1 << bit;
            match Codebook::parse(&b) {
                Ok(_) => panic!("codebook with byte {i} bit {bit} flipped parses"),
                Err(
                    IsaError::CodebookHash
                    | IsaError::NotACodebook
                    | IsaError::CodebookVersion { .. },
                ) => {}
                Err(e) => panic!("byte {i} bit {bit}: unexpected {e:?}"),
            }
        }
    }
    // Truncated codebooks.
    for k in (0..n).step_by(97).chain(n - 40..n) {
        assert!(Codebook::parse(&bytes[..k]).is_err(), "prefix {k}");
    }
}

#[test]
fn trailing_bytes_are_an_error() {
    let (cb, hash) = flat_codebook();
    for c in small_cases() {
        for extra in [&[0u8][..], &[0xff, 0x00, 0x12], &c.bytes[..]] {
            let mut b = c.bytes.clone();
            b.extend_from_slice(extra);
            let e = decode_all(&b, &cb.priors, hash).expect_err("trailing bytes accepted");
            assert!(matches!(e, IsaError::TrailingBytes(_)), "{}: {e:?}", c.name);
            let (released, end) = stream(&b, &cb.priors, hash, one_byte);
            assert!(
                matches!(end, Err(IsaError::TrailingBytes(_))),
                "{}: {end:?}",
                c.name
            );
            assert_eq!(released, c.truth);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Arbitrary and mutated input

/// One edit of a valid file.
#[derive(Clone, Debug)]
enum Edit {
    Xor(usize, u8),
    Set(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => (any::<usize>(), 1..=255u8).prop_map(|(i, x)| Edit::Xor(i, x)),
        2 => (any::<usize>(), any::<u8>()).prop_map(|(i, x)| Edit::Set(i, x)),
        1 => (any::<usize>(), proptest::collection::vec(any::<u8>(), 1..16)).prop_map(|(i, v)| Edit::Insert(i, v)),
        1 => (any::<usize>(), 1..16usize).prop_map(|(i, n)| Edit::Delete(i, n)),
        1 => any::<usize>().prop_map(Edit::Truncate),
    ]
}

fn apply(bytes: &mut Vec<u8>, e: &Edit) {
    let n = bytes.len().max(1);
    match e {
        Edit::Xor(i, x) => {
            if let Some(b) = bytes.get_mut(i % n) {
                *b ^= x;
            }
        }
        Edit::Set(i, x) => {
            if let Some(b) = bytes.get_mut(i % n) {
                *b = *x;
            }
        }
        Edit::Insert(i, v) => {
            let at = i % (bytes.len() + 1);
            bytes.splice(at..at, v.iter().copied());
        }
        Edit::Delete(i, k) => {
            let at = i % n;
            let end = (at + k).min(bytes.len());
            bytes.drain(at.min(end)..end);
        }
        Edit::Truncate(i) => bytes.truncate(i % n),
    }
}

thread_local! {
    static CASES: Vec<Case> = small_cases();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..600), step in 1..64usize) {
        let (cb, hash) = flat_codebook();
        prop_assert!(timed_decode_all(&data, &cb.priors, hash).is_err());
        let (_, end) = stream(&data, &cb.priors, hash, || step);
        prop_assert!(end.is_err());
    }

    #[test]
    fn arbitrary_bytes_after_a_valid_header_never_panic(
        which in 0..3usize,
        tail in proptest::collection::vec(any::<u8>(), 0..600),
        step in 1..64usize,
    ) {
        let (cb, hash) = flat_codebook();
        let mut data = CASES.with(|c| c[which].bytes[..HEADER_LEN].to_vec());
        data.extend_from_slice(&tail);
        prop_assert!(timed_decode_all(&data, &cb.priors, hash).is_err());
        let (_, end) = stream(&data, &cb.priors, hash, || step);
        prop_assert!(end.is_err());
    }

    #[test]
    fn mutated_programs_are_errors_and_release_only_true_instructions(
        which in 0..3usize,
        edits in proptest::collection::vec(edit(), 1..6),
        step in 1..300usize,
    ) {
        let (cb, hash) = flat_codebook();
        let (orig, truth) = CASES.with(|c| (c[which].bytes.clone(), c[which].truth.clone()));
        let mut data = orig.clone();
        for e in &edits {
            apply(&mut data, e);
        }
        let whole = timed_decode_all(&data, &cb.priors, hash);
        let (released, end) = stream(&data, &cb.priors, hash, || step);
        if data == orig {
            prop_assert!(whole.is_ok());
            prop_assert_eq!(end, Ok(()));
        } else {
            prop_assert!(whole.is_err(), "mutated program decodes Ok");
            prop_assert!(end.is_err(), "mutated program stream-decodes Ok");
            prop_assert!(released.len() <= truth.len() && released[..] == truth[..released.len()],
                "{} instructions released before {:?}, not a prefix", released.len(), end);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Fuzzing seeds

/// Writes the `.eqb` seeds of the `decoder` fuzz target (`fuzz/seeds-eqb/`) when
/// `EQISA_WRITE_FUZZ_SEEDS` is set; otherwise only says whether they are current. Stale seeds do
/// not fail the build (the model changes often, and the fuzzer still starts from them), but they
/// let it start only at the first checksum: regenerate them with
/// `EQISA_WRITE_FUZZ_SEEDS=1 cargo test -p eqisa-assembler --test robustness fuzz_seeds`.
#[test]
fn fuzz_seeds() {
    let dir = repo_dir().join("fuzz/seeds-eqb");
    let seeds = [
        ("teleport.eqb", teleport()),
        ("qft4_clifford_t.eqb", qft4_clifford_t()),
    ];
    for (name, c) in &seeds {
        let path = dir.join(name);
        if std::env::var_os("EQISA_WRITE_FUZZ_SEEDS").is_some() {
            std::fs::create_dir_all(&dir).expect("creates the seed directory");
            std::fs::write(&path, &c.bytes).expect("writes the seed");
        }
        if std::fs::read(&path).ok().as_ref() != Some(&c.bytes) {
            eprintln!(
                "warning: {} is stale: regenerate it with EQISA_WRITE_FUZZ_SEEDS=1 cargo test -p eqisa-assembler \
                 --test robustness fuzz_seeds",
                path.display()
            );
        }
    }
}

#[test]
fn a_delay_its_decoder_would_refuse_is_refused_at_assembly_naming_the_op() {
    let (cb, hash) = flat_codebook();
    let target = TargetDesc::default_for(TargetKind::Native);
    // A delay beyond a double in ns is refused where it is written.
    let src = "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[1] q;\ndelay[1e300s] q[0];\n";
    let e = eqisa_qasm::parse_str(src, "delay.qasm")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("delay.qasm:4:") && e.contains("not a finite number"),
        "{e}"
    );
    for (delay, ok) in [("1e10s", false), ("1e8s", true)] {
        let src = format!(
            "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[1] q;\nx q[0];\ndelay[{delay}] q[0];\nx q[0];\n"
        );
        let c = eqisa_qasm::parse_str(&src, "delay.qasm").expect("parses");
        let program = lower(&c, &target, &LowerOptions::default())
            .expect("lowers")
            .program;
        match assemble(&program, &target, &cb, hash) {
            Ok(asm) => {
                assert!(ok, "{delay} assembled");
                // Whatever the assembler writes, its decoder accepts.
                decode_all(&asm.bytes, &cb.priors, hash).expect("decodes");
            }
            Err(e) => {
                assert!(!ok, "{delay}: {e}");
                let m = e.to_string();
                assert!(
                    m.starts_with("operation 1: delay must be a finite number of ns"),
                    "{m}"
                );
            }
        }
    }
}

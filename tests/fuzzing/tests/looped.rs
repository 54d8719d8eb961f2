//! The `looped` target's seeds, unmutated: each decodes, its text once each loop body
//! (`text_only`) and in full when every `while` ends at once; every corruption of one byte of its
//! control section is refused; and the copies in `fuzz/seeds-eqb/` are current.

mod seeds;

use eqisa_fuzzing::chunks::Chunks;
use eqisa_fuzzing::targets::looped::{MAX_RELEASED, Stop, decode};
use eqisa_isa::container::{HEADER_LEN, SECTION_HEADER_LEN};
use eqisa_isa::{Container, SectionKind};
use eqisa_test_support::repo_dir;

/// Where the control section (its header and payload) lies in `bytes`.
fn control_section(bytes: &[u8]) -> std::ops::Range<usize> {
    let c = Container::parse(bytes).expect("the seed parses");
    let mut pos = HEADER_LEN;
    for s in &c.sections {
        let end = pos + SECTION_HEADER_LEN + s.payload.len();
        if s.kind == SectionKind::Control {
            assert_eq!(&bytes[pos + SECTION_HEADER_LEN..end], &s.payload[..]);
            return pos..end;
        }
        pos = end;
    }
    panic!("no control section");
}

#[test]
fn the_seeds_decode_as_their_control_sections_say() {
    for (name, bytes) in seeds::looped() {
        for chunk_seed in [0, 1, 2, 3, 4] {
            let text = decode(
                &bytes,
                &mut Chunks::new(chunk_seed),
                true,
                &mut |_, _| true,
                MAX_RELEASED,
            );
            assert_eq!(text.stop, Stop::End, "{name}: text only");
            let control = text.control.expect("a control section");
            assert_eq!(text.released, control.text_len(), "{name}: text only");
            assert_eq!(text.asked, 0, "{name}: text only asks nothing");

            let all = decode(
                &bytes,
                &mut Chunks::new(chunk_seed),
                false,
                &mut |_, _| false,
                MAX_RELEASED,
            );
            assert_eq!(all.stop, Stop::End, "{name}");
            assert_eq!(
                u128::from(all.released),
                control.executed(0),
                "{name}: every while ends at once"
            );
            if name.starts_with("looped_while") {
                assert!(all.asked > 0, "{name}: the while loop asks");
                // Three iterations.
                let mut left = 3;
                let three = decode(
                    &bytes,
                    &mut Chunks::new(chunk_seed),
                    false,
                    &mut |_, _| {
                        left -= 1;
                        left >= 0
                    },
                    MAX_RELEASED,
                );
                assert_eq!(three.stop, Stop::End, "{name}");
                assert_eq!(
                    u128::from(three.released),
                    control.executed(3),
                    "{name}: three iterations"
                );
                // Always true: the cap ends it.
                let forever = decode(
                    &bytes,
                    &mut Chunks::new(chunk_seed),
                    false,
                    &mut |_, _| true,
                    1000,
                );
                assert_eq!(forever.stop, Stop::Cap, "{name}");
                assert_eq!(forever.released, 1000);
            }
        }
    }
}

#[test]
fn every_byte_of_a_control_section_corrupted_is_refused() {
    for (name, bytes) in seeds::looped() {
        let range = control_section(&bytes);
        assert!(
            range.len() > SECTION_HEADER_LEN,
            "{name}: empty control section"
        );
        for i in range {
            for x in 1..=255u8 {
                let mut b = bytes.clone();
                b[i] ^= x;
                let d = decode(
                    &b,
                    &mut Chunks::new(u64::from(x)),
                    false,
                    &mut |_, _| false,
                    MAX_RELEASED,
                );
                assert!(
                    matches!(d.stop, Stop::Refused(_)),
                    "{name}: byte {i} ^ {x:#04x} is not refused: {:?} after {} instructions",
                    d.stop,
                    d.released
                );
            }
        }
    }
}

/// Writes the seeds to `fuzz/seeds-eqb/` when `EQISA_WRITE_FUZZ_SEEDS` is set; otherwise only
/// warns when they are stale (as the `decoder` target's seeds: the model changes often, and a
/// stale seed is still a start).
#[test]
fn fuzz_seeds() {
    let dir = repo_dir().join("fuzz/seeds-eqb");
    for (name, bytes) in seeds::looped() {
        let path = dir.join(&name);
        if std::env::var_os("EQISA_WRITE_FUZZ_SEEDS").is_some() {
            std::fs::write(&path, &bytes).expect("writes the seed");
        }
        if std::fs::read(&path).ok().as_ref() != Some(&bytes) {
            eprintln!(
                "warning: {} is stale: regenerate it with EQISA_WRITE_FUZZ_SEEDS=1 cargo test -p eqisa-fuzzing --test looped fuzz_seeds",
                path.display()
            );
        }
    }
}

/// `fix_crcs` recomputes checksums as the format computes them: on a valid program it changes
/// nothing (else the targets that rely on it never get past the first block).
#[test]
fn recomputing_the_checksums_of_a_valid_program_changes_nothing() {
    for (name, bytes) in seeds::looped() {
        let mut b = bytes.clone();
        eqisa_fuzzing::eqb::fix_crcs(&mut b);
        assert!(b == bytes, "{name}");
    }
}

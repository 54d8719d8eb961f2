//! Property tests: arbitrary (and adversarially mutated) input never makes the parsers or bit
//! readers panic, and whatever parses re-encodes to exactly the same bytes.

use eqisa_isa::varint::{read_gamma, read_ivarint, read_rice, read_uvarint, write_rice};
use eqisa_isa::{
    BitReader, BitWriter, Container, Header, HeaderReader, IsaError, Section, SectionKind, Target,
    parse_header,
};
use proptest::prelude::*;

fn arb_container() -> impl Strategy<Value = Container> {
    // At most one section of each kind, metadata and program before the instructions (what
    // `Container::parse` accepts); the pulse section anywhere.
    let payload = || proptest::option::of(proptest::collection::vec(any::<u8>(), 0..64));
    let sections = (payload(), payload(), payload(), payload(), any::<bool>()).prop_map(
        |(program, metadata, instructions, pulses, pulses_first)| {
            let mut kinds = vec![
                (SectionKind::Program, program),
                (SectionKind::Metadata, metadata),
                (SectionKind::Instructions, instructions),
            ];
            let at = if pulses_first { 0 } else { kinds.len() };
            kinds.insert(at, (SectionKind::Pulses, pulses));
            kinds
                .into_iter()
                .filter_map(|(kind, payload)| payload.map(|payload| Section { kind, payload }))
                .collect::<Vec<_>>()
        },
    );
    (
        any::<[u8; 8]>(),
        any::<u32>(),
        any::<u32>(),
        any::<bool>(),
        sections,
    )
        .prop_map(|(hash, q, c, t, sections)| Container {
            header: Header {
                codebook_id: hash,
                qubit_count: q,
                clbit_count: c,
                target: if t { Target::CliffordT } else { Target::Native },
            },
            sections,
        })
}

/// Reference: bit `i` of `data`, MSB-first.
fn bit_at(data: &[u8], i: u64) -> u64 {
    u64::from(data[(i / 8) as usize] >> (7 - i % 8) & 1)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parse_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(c) = Container::parse(&bytes) {
            prop_assert_eq!(&c.to_bytes().unwrap(), &bytes);
        }
        let _ = parse_header(&bytes);
    }

    #[test]
    fn parse_mutated_container_never_panics(
        c in arb_container(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
        do_cut in any::<bool>(),
    ) {
        let good = c.to_bytes().unwrap();
        let mut bytes = good.clone();
        for (at, v) in edits {
            let i = at.index(bytes.len());
            bytes[i] = v;
        }
        if do_cut {
            bytes.truncate(cut.index(bytes.len() + 1));
        }
        match Container::parse(&bytes) {
            // Anything that parses must be exactly the original (a changed file that still parses
            // would need a simultaneous collision of several CRCs).
            Ok(parsed) => {
                prop_assert_eq!(&bytes, &good);
                prop_assert_eq!(parsed, c);
            }
            Err(e) => prop_assert!(bytes != good, "valid file rejected: {}", e),
        }
    }

    #[test]
    fn container_round_trip(c in arb_container()) {
        let bytes = c.to_bytes().unwrap();
        prop_assert_eq!(Container::parse(&bytes).unwrap(), c);
    }

    #[test]
    fn header_reader_agrees_with_parse_header(
        bytes in proptest::collection::vec(any::<u8>(), 0..80),
        chunk in 1usize..20,
    ) {
        let mut reader = HeaderReader::new();
        let mut result = Ok(None);
        for piece in bytes.chunks(chunk) {
            match reader.feed(piece) {
                Ok((_, Some(p))) => { result = Ok(Some(p)); break; }
                Ok((_, None)) => {}
                Err(e) => { result = Err(e); break; }
            }
        }
        match (parse_header(&bytes), result) {
            (Ok((p, _)), Ok(Some(q))) => prop_assert_eq!(p, q),
            (Err(IsaError::Truncated { .. }), Ok(None)) => {}
            // The reader may fail earlier, on fewer bytes (e.g. a bad magic seen in byte 0), so
            // only the kind of error must agree.
            (Err(a), Err(b)) => prop_assert_eq!(std::mem::discriminant(&a), std::mem::discriminant(&b)),
            (a, b) => prop_assert!(false, "parse_header {:?} vs reader {:?}", a, b),
        }
    }

    #[test]
    fn bit_reader_never_panics_and_matches_reference(
        data in proptest::collection::vec(any::<u8>(), 0..40),
        widths in proptest::collection::vec(0u32..70, 0..40),
    ) {
        let mut r = BitReader::new(&data);
        for n in widths {
            let before = r.bit_position();
            match r.read_bits(n) {
                Ok(v) => {
                    let expected = (0..u64::from(n)).fold(0u64, |acc, i| (acc << 1) | bit_at(&data, before + i));
                    prop_assert_eq!(v, expected);
                    prop_assert_eq!(r.bit_position(), before + u64::from(n));
                }
                Err(_) => {
                    prop_assert!(n > 64 || u64::from(n) > r.bits_remaining());
                    prop_assert_eq!(r.bit_position(), before);
                }
            }
            if n % 7 == 3 {
                r.align_to_byte();
            }
        }
    }

    #[test]
    fn code_readers_never_panic(data in proptest::collection::vec(any::<u8>(), 0..40), k in 0u32..70) {
        let _ = read_uvarint(&data);
        let _ = read_ivarint(&data);
        let mut r = BitReader::new(&data);
        while read_gamma(&mut r).is_ok() {}
        let mut r = BitReader::new(&data);
        loop {
            let start = r.bit_position();
            let Ok(v) = read_rice(&mut r, k) else { break };
            // Whatever decodes re-encodes to exactly the bits consumed (the code is canonical).
            let mut w = BitWriter::new();
            write_rice(&mut w, v, k);
            prop_assert_eq!(w.bit_len(), r.bit_position() - start);
            let encoded = w.finish();
            for i in 0..r.bit_position() - start {
                prop_assert_eq!(bit_at(&encoded, i), bit_at(&data, start + i));
            }
        }
    }
}

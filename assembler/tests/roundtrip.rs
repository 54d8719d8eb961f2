//! decode(assemble(x)) == compile(x) on the repository's examples and, when present, on every
//! file of ../shared/corpus that compiles.

mod common;

use eqisa_assembler::assemble;
use eqisa_decoder::{Decoder, Event, Fed, StreamDecoder, feed_chunks};
use eqisa_isa::IsaError;
use eqisa_isa::codebook::Codebook;
use eqisa_isa::instr::{Opcode, TimedInstr};
use eqisa_lower::clifford_t::{Budget, Synth};
use eqisa_lower::program::NativeProgram;
use eqisa_lower::target::{TargetDesc, TargetKind};
use eqisa_lower::{LowerOptions, lower};
use eqisa_test_support::{example_files, flat_codebook};

fn round_trip(
    program: &NativeProgram,
    target: &TargetDesc,
    cb: &Codebook,
    hash: [u8; 32],
) -> usize {
    let asm = assemble(program, target, cb, hash).expect("assembles");
    let back = common::decode_and_rebuild(&asm.bytes, cb, hash).expect("decodes");
    assert_eq!(back.ops.len(), program.ops.len());
    for (i, (a, b)) in back.ops.iter().zip(&program.ops).enumerate() {
        assert_eq!(a, b, "op {i}");
    }
    assert_eq!(&back, program);
    asm.bytes.len()
}

#[test]
fn examples_round_trip_on_both_targets() {
    let (cb, hash) = flat_codebook();
    for path in example_files() {
        let circuit = eqisa_qasm::parse_file(&path).expect("parses");
        for kind in [TargetKind::Native, TargetKind::CliffordT] {
            let target = TargetDesc::default_for(kind);
            for budget in [Budget::Fidelity(0.99), Budget::Exact] {
                let opts = LowerOptions {
                    synth: Synth::Gridsynth,
                    budget,
                };
                let Ok(lowered) = lower(&circuit, &target, &opts) else {
                    continue;
                };
                let n = round_trip(&lowered.program, &target, &cb, hash);
                eprintln!(
                    "{} {kind:?} {budget:?}: {} ops -> {n} bytes",
                    path.display(),
                    lowered.program.ops.len()
                );
            }
        }
    }
}

/// The decoder driven one instruction at a time, never a whole block: the reference for
/// [`Decoder::drain_block`], which `feed_chunks` uses on a plain [`Decoder`].
struct OneByOne<'cb>(Decoder<'cb>);

impl StreamDecoder for OneByOne<'_> {
    type Item<'a> = &'a TimedInstr<'a>;

    fn feed(&mut self, bytes: &[u8]) -> usize {
        self.0.feed(bytes)
    }

    fn drain<E: From<IsaError>>(
        &mut self,
        on_item: &mut impl FnMut(Self::Item<'_>) -> Result<(), E>,
    ) -> Result<bool, E> {
        loop {
            match self.0.next_event()? {
                Event::Instr(t) => on_item(&t)?,
                Event::NeedInput => return Ok(false),
                Event::Await { cond, bit_offset } => {
                    return Err(IsaError::NoOutcomes { cond, bit_offset }.into());
                }
                Event::End => return Ok(true),
            }
        }
    }
}

/// Feeds `bytes` to `dec`; what it releases (times compared bit for bit).
fn released<D>(mut dec: D, bytes: &[u8]) -> Vec<(Opcode, Vec<u32>, u64, u64)>
where
    D: for<'a> StreamDecoder<Item<'a> = &'a TimedInstr<'a>>,
{
    let mut got = Vec::new();
    let fed = feed_chunks(&mut dec, &mut &bytes[..], usize::MAX, |t| {
        let i = t.instr;
        got.push((i.opcode, i.qubits.to_vec(), i.arg, t.start_ns.to_bits()));
        Ok::<(), IsaError>(())
    });
    assert_eq!(fed, Ok(Fed::End));
    got
}

/// Decoding whole blocks at a time gives exactly what instruction-by-instruction decoding gives,
/// across several blocks.
#[test]
fn drain_block_matches_next_event_over_many_blocks() {
    let mut qasm = String::from("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[8];\n");
    let mut seed = 12345u64;
    for layer in 0..3000 {
        for q in 0..8 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let a = (seed >> 11) as f64 / (1u64 << 53) as f64 * 6.0;
            qasm.push_str(&format!("rz({a}) q[{q}];\nsx q[{q}];\n"));
        }
        let o = layer % 2;
        for q in (o..7).step_by(2) {
            qasm.push_str(&format!("cz q[{q}],q[{}];\n", q + 1));
        }
    }
    let circuit = eqisa_qasm::parse_str(&qasm, "layers.qasm").expect("parses");
    let target = TargetDesc::default_for(TargetKind::Native);
    let opts = LowerOptions {
        synth: Synth::Gridsynth,
        budget: Budget::Fidelity(0.99),
    };
    let lowered = lower(&circuit, &target, &opts).expect("lowers");
    let (cb, hash) = flat_codebook();
    let asm = assemble(&lowered.program, &target, &cb, hash).expect("assembles");
    assert!(asm.blocks >= 3, "{} blocks", asm.blocks);
    let whole_blocks = released(Decoder::new(&cb.priors, hash), &asm.bytes);
    let one_by_one = released(OneByOne(Decoder::new(&cb.priors, hash)), &asm.bytes);
    assert_eq!(whole_blocks.len(), lowered.program.ops.len());
    assert_eq!(whole_blocks, one_by_one);

    // A callback that refuses an instruction now and then stops the loop there, mid-block or
    // not; driving the decoder again resumes after the refused instruction.
    let mut dec = Decoder::new(&cb.priors, hash);
    let mut input = &asm.bytes[..];
    let mut resumed = Vec::new();
    let mut refusals = 0;
    loop {
        let fed = feed_chunks(&mut dec, &mut input, usize::MAX, |t| {
            let i = t.instr;
            resumed.push((i.opcode, i.qubits.to_vec(), i.arg, t.start_ns.to_bits()));
            if resumed.len() % 997 == 0 {
                Err(IsaError::Corrupt("refused by the callback"))
            } else {
                Ok(())
            }
        });
        match fed {
            Err(IsaError::Corrupt("refused by the callback")) => refusals += 1,
            other => {
                assert_eq!(other, Ok(Fed::End));
                break;
            }
        }
    }
    assert_eq!(refusals, whole_blocks.len() / 997);
    assert_eq!(resumed, whole_blocks);
}

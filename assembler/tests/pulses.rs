//! The pulse encoder on the embedded default device: every waveform meets the infidelity budget
//! on the simulated transmon, the section decodes to exactly the samples the encoder judged, and
//! the bits beat the raw samples and the DCT baseline.

use eqisa_assembler::pulses::{DEFAULT_MAX_INFIDELITY, Physics, WaveformCoder, encode_memory};
use eqisa_dictionary::pulse_atoms::{PulseTrainParams, learn_pulse_atoms};
use eqisa_isa::pulse::{CodedWaveform, PulseItem, PulseReader, reconstruct_waveform};
use eqisa_pulse::Device;
use eqisa_test_support::corpus_path;

#[test]
fn the_default_device_memory_meets_its_budget_and_decodes_exactly() {
    let device = Device::default_device();
    let params = PulseTrainParams {
        atoms: 32,
        ..PulseTrainParams::default()
    };
    let learned = learn_pulse_atoms(std::slice::from_ref(&device), &params).expect("atoms");
    let physics = Physics::new(&device, 3).expect("physics");
    let coder = WaveformCoder::new(Some(&learned.set), DEFAULT_MAX_INFIDELITY).expect("coder");
    let enc = encode_memory(&device, &physics, &coder).expect("encodes");
    eprintln!(
        "memory: {} waveforms, eqisa {} raw {} dct {} zstd {} max infidelity {:e} lossless {}",
        enc.waveforms,
        enc.bits.eqisa,
        enc.bits.raw,
        enc.bits.dct,
        enc.bits.zstd,
        enc.max_added_infidelity,
        enc.lossless_fallbacks
    );
    assert!(enc.max_added_infidelity <= DEFAULT_MAX_INFIDELITY);
    let mut reader = PulseReader::new(&enc.payload, Some(&learned.set)).expect("header");
    let mut k = 0;
    while let Some(item) = reader.next_item().expect("decodes") {
        let PulseItem::Memory(w) = item else {
            panic!("a memory-only section has no plays");
        };
        assert_eq!(w, enc.section.memory[k]);
        reconstruct_waveform(Some(&learned.set), &w).expect("reconstructs");
        k += 1;
    }
    assert_eq!(k, enc.section.memory.len());
    assert!(enc.bits.eqisa * 10 <= enc.bits.raw, "{:?}", enc.bits);
}

/// Peekskill's x12 pulses (the 1–2 transition, a DRAG envelope at a −344 MHz sideband) are like
/// nothing the default device's atoms learned from; coded as a modulated envelope they stay sparse
/// and within budget instead of falling back to lossless samples.
#[test]
fn sideband_pulses_are_coded_as_modulated_envelopes() {
    let Some(path) = corpus_path("devices/ibm/defs_peekskill.json") else {
        return;
    };
    let full = Device::from_file(&path).expect("peekskill imports");
    // The transmon is calibrated on the device's own x pulses; only x12 is coded.
    let physics = Physics::new(&full, 3).expect("physics");
    let mut device = full.clone();
    device.gates.retain(|g| g.name == "x12");
    assert!(!device.gates.is_empty(), "peekskill calibrates x12");
    let atoms_from = Device::default_device();
    let params = PulseTrainParams {
        atoms: 32,
        ..PulseTrainParams::default()
    };
    let learned = learn_pulse_atoms(std::slice::from_ref(&atoms_from), &params).expect("atoms");
    let coder = WaveformCoder::new(Some(&learned.set), DEFAULT_MAX_INFIDELITY).expect("coder");
    let enc = encode_memory(&device, &physics, &coder).expect("encodes");
    assert!(enc.max_added_infidelity <= DEFAULT_MAX_INFIDELITY);
    assert_eq!(enc.lossless_fallbacks, 0, "{:?}", enc.bits);
    for w in &enc.section.memory {
        assert!(
            matches!(
                w,
                CodedWaveform::Sparse {
                    modulation: Some(_),
                    ..
                }
            ),
            "an x12 pulse coded without modulation"
        );
    }
    assert!(enc.bits.eqisa * 3 <= enc.bits.dct, "{:?}", enc.bits);
}

//! How long the firmware simulation takes on a 1 000-qubit, one-second schedule
//! ([`SyntheticSpec::default`]: a shot every millisecond, four `rz`·`sx` layers, a `cz` per pair
//! and a 1 µs readout per qubit), without and with its pulse section.
//!
//! `cargo bench -p eqisa-firmware --bench firmware` times the full size once per variant (each
//! run is seconds long, so repeating it as criterion would is not worth it). Under `cargo test
//! --benches` (no `--bench` argument) it runs a small schedule once, as a smoke test.

use std::time::Instant;

use eqisa_firmware::synthetic::{SyntheticSpec, synthetic_program};
use eqisa_firmware::{FirmwareParams, simulate};
use eqisa_isa::model::Priors;

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let priors = Priors::default();
    let hash = [0x5a; 32];
    for pulses in [false, true] {
        let spec = if full {
            SyntheticSpec {
                pulses,
                ..SyntheticSpec::default()
            }
        } else {
            SyntheticSpec {
                qubits: 16,
                duration_ns: 1e6,
                shot_ns: 100_000.0,
                pulses,
                ..SyntheticSpec::default()
            }
        };
        let t = Instant::now();
        let bytes = match synthetic_program(&spec, &priors, hash) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("building the synthetic program: {e}");
                std::process::exit(1);
            }
        };
        let built = t.elapsed();
        // The head start must cover decoding a shot's instructions, which are all due in the
        // shot's first microseconds (a third of a shot at full size), and, with pulses, the whole
        // instruction section before the first play (the sections are sequential in the file).
        let params = FirmwareParams {
            startup_ns: if pulses { 0.5e9 } else { 1e6 },
            ..FirmwareParams::default()
        };
        let t = Instant::now();
        let report = match simulate(&bytes, &priors, hash, None, &params) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("simulating: {e}");
                std::process::exit(1);
            }
        };
        let took = t.elapsed();
        println!(
            "firmware sim: {} qubits, {:.3} s schedule, pulses {pulses}: {} bytes ({} instructions, \
             {} plays, {} samples played) built in {:.2} s, simulated in {:.2} s; \
             underruns {}, min start-up {:.3} ms, min link {:?} Gb/s, average {:.3} Gb/s, peak FIFO {} bits, decoder busy {:.3} s",
            spec.qubits,
            report.schedule_ns * 1e-9,
            bytes.len(),
            report.instructions_decoded,
            report.plays,
            report.played_samples,
            built.as_secs_f64(),
            took.as_secs_f64(),
            report.underruns,
            report.min_startup_ns.unwrap_or(0.0) * 1e-6,
            report.min_link_gbps,
            report.average_gbps.unwrap_or(0.0),
            report.peak_fifo_bits,
            report.decoder_busy_ns * 1e-9,
        );
    }
}

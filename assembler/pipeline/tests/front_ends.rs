//! What both front ends (the command line and the Python package) return: `run_report`'s
//! `FullReport`, whose JSON has every key `eqisa report --json` documents in their order, and
//! `simulate`'s `Simulation` of a program, a job (its circuits' spans fill its schedule) and a
//! multi-stream file.

use std::path::PathBuf;

use eqisa_assembler::partition::Split;
use eqisa_firmware::FirmwareParams;
use eqisa_firmware::energy::EnergyModel;
use eqisa_pipeline::controllers::{assemble_controllers, lower_program};
use eqisa_pipeline::job::assemble_files;
use eqisa_pipeline::report::{FullReport, ReportOptions, ReportScope, SetupOptions, run_report};
use eqisa_pipeline::{
    AssembleOptions, LowerConfig, PulseConfig, Simulation, assemble_circuit, load_codebook,
    load_program, simulate,
};
use eqisa_test_support::example;

/// Both results cross threads (the Python package releases the GIL while they are computed).
fn owned<T: Send + 'static>() {}

fn options(controllers: bool) -> ReportOptions {
    ReportOptions {
        setup: SetupOptions {
            energy_model: None,
            lowering: LowerConfig::default(),
            pulse: PulseConfig::default(),
            paper: None,
            sim: FirmwareParams::default(),
        },
        scope: ReportScope::default(),
        controllers,
        job: true,
    }
}

#[test]
fn a_report_serialises_with_the_documented_keys_in_order() {
    owned::<FullReport>();
    let cb = load_codebook(None).unwrap();
    let full = run_report(&[example("bell.qasm")], &cb, &options(true), &()).unwrap();
    assert_eq!(full.report.circuits.len(), 1);
    assert_eq!(full.controllers.len(), 1);
    assert!(full.job.is_none(), "one file is no job");
    let text = serde_json::to_string_pretty(&full).unwrap();
    let keys = [
        "device",
        "device_note",
        "mode",
        "link_gbps",
        "pulse_budget",
        "energy_model",
        "codebook",
        "encodings",
        "rules",
        "circuits",
        "skipped",
        "total",
        "firmware_params",
        "device_memory",
        "rate_curve",
        "controllers",
    ];
    let at: Vec<usize> = keys
        .iter()
        .map(|k| {
            text.find(&format!("\n  \"{k}\":"))
                .unwrap_or_else(|| panic!("no top-level {k}"))
        })
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "keys out of order");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(v.get("job").is_none());
    assert_eq!(v["link_gbps"], FirmwareParams::default().link_gbps);
    assert_eq!(v["circuits"][0]["qubits"], 2);
    assert!(
        v["circuits"][0]["encodings"]["eqisa"]["bits"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert_eq!(v["total"]["circuits"], 1);
}

#[test]
fn several_files_are_also_one_job() {
    let cb = load_codebook(None).unwrap();
    let files = [example("bell.qasm"), example("ghz4.qasm3")];
    let full = run_report(&files, &cb, &options(false), &()).unwrap();
    assert!(full.controllers.is_empty());
    let job = full.job.as_ref().expect("a job line");
    assert_eq!(job.circuits, 2);
    let v = serde_json::to_value(&full).unwrap();
    assert_eq!(v["job"]["circuits"], 2);
    assert_eq!(v["controllers"], serde_json::json!([]));
}

#[test]
fn a_program_plays_without_underruns_at_the_default_link() {
    owned::<Simulation>();
    let cb = load_codebook(None).unwrap();
    let model = EnergyModel::default_model().unwrap();
    let circuit = eqisa_pipeline::load_circuit(&example("qft4.qasm")).unwrap();
    let asm = assemble_circuit(&circuit, "qft4", &cb, &AssembleOptions::default()).unwrap();
    let params = FirmwareParams {
        link_gbps: 10.0,
        ..FirmwareParams::default()
    };
    let Simulation::Program(run) = simulate(&asm.bytes, "qft4", &cb, &params, &model).unwrap()
    else {
        panic!("a single-stream program");
    };
    assert_eq!(run.sim.underruns, 0);
    assert!(run.circuits.is_none());
    let v = serde_json::to_value(Simulation::Program(run)).unwrap();
    for k in ["file", "underruns", "peak_fifo_bits", "events", "energy"] {
        assert!(v.get(k).is_some(), "no {k}");
    }
    assert!(v.get("circuits").is_none());
}

#[test]
fn a_jobs_spans_fill_its_schedule() {
    let cb = load_codebook(None).unwrap();
    let model = EnergyModel::default_model().unwrap();
    let files: Vec<PathBuf> = ["bell.qasm", "qft4.qasm", "ghz4.qasm3"]
        .iter()
        .map(|f| example(f))
        .collect();
    let job = assemble_files(&files, &[], &cb, &AssembleOptions::default(), false, |_| {}).unwrap();
    let Simulation::Program(run) =
        simulate(&job.bytes, "job", &cb, &FirmwareParams::default(), &model).unwrap()
    else {
        panic!("a job is one stream");
    };
    assert_eq!(run.sim.underruns, 0);
    let spans = run.circuits.expect("a job's circuits");
    assert_eq!(spans.len(), 3);
    let mut end = 0.0;
    for s in &spans {
        assert!(
            (s.start_ns - end).abs() < 1e-6,
            "{} starts at {}",
            s.name,
            s.start_ns
        );
        end += s.duration_ns;
    }
    assert!(
        (end - run.sim.schedule_ns).abs() < 1e-6,
        "{end} vs {}",
        run.sim.schedule_ns
    );
}

#[test]
fn a_multi_stream_file_runs_per_controller() {
    let cb = load_codebook(None).unwrap();
    let model = EnergyModel::default_model().unwrap();
    let file = example("qft4.qasm");
    let parsed = load_program(&file).unwrap();
    let opts = AssembleOptions::default();
    let (s, target, loops) = lower_program(parsed, &file, &[], &opts, false).unwrap();
    let asm = assemble_controllers(&s, loops, &target, "qft4", Split::Controllers(2), &cb).unwrap();
    let Simulation::Controllers(run) =
        simulate(&asm.bytes, "qft4", &cb, &FirmwareParams::default(), &model).unwrap()
    else {
        panic!("a multi-stream file");
    };
    assert_eq!(run.per_controller.len(), 2);
    let v = serde_json::to_value(Simulation::Controllers(run)).unwrap();
    assert_eq!(v["system"]["controllers"], 2);
}

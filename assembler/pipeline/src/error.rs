//! [`PipelineError`]: why a step of the toolchain failed, naming the file (and, through the
//! wrapped errors, the place in it) and the problem.

use eqisa_assembler::AssembleError;
use eqisa_assembler::pulses::PulseEncodeError;
use eqisa_baselines::compress::BaselineError;
use eqisa_baselines::paper::{FormatError, PaperError};
use eqisa_dictionary::pulse_atoms::PulseAtomsError;
use eqisa_isa::IsaError;
use eqisa_lower::LowerError;
use eqisa_lower::route::RouteError;
use eqisa_lower::target::TargetError;
use eqisa_pulse::{DeviceError, PulseLowerError};
use eqisa_qasm::QasmError;

/// Why a step of the toolchain failed. Every variant's message names its input.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// A circuit does not parse (the error names file, line and column).
    #[error(transparent)]
    Qasm(#[from] QasmError),
    /// A Stim circuit does not parse (the error names file, line and column).
    #[error(transparent)]
    Stim(#[from] eqisa_stim::StimError),
    /// A circuit does not lower to the target (`file:line: ...` where the error has a line).
    #[error("{}", source.located(file))]
    Lower {
        /// The circuit's name.
        file: String,
        /// Why.
        source: LowerError,
    },
    /// A lowered circuit cannot be routed onto a device's coupling map.
    #[error("{file}: on device '{device}': {source}")]
    Route {
        /// The circuit's name.
        file: String,
        /// The device's name.
        device: String,
        /// Why.
        source: RouteError,
    },
    /// A native program cannot be played on a device's calibration.
    #[error("{file}: {source}")]
    PulseLower {
        /// The circuit's name.
        file: String,
        /// Why (boxed: it is large, and errors are rare).
        source: Box<PulseLowerError>,
    },
    /// Waveforms cannot be coded (or the transmon judge cannot be built).
    #[error("{file}{}{source}", if file.is_empty() { "" } else { ": " })]
    PulseEncode {
        /// The circuit's name, or empty when the device's memory is coded.
        file: String,
        /// Why (boxed: it is large).
        source: Box<PulseEncodeError>,
    },
    /// Measurement results for real-time control flow are unusable (a file that is not 0s and
    /// 1s, too few results, a condition on a bit never measured).
    #[error("{file}: {message}")]
    Outcomes {
        /// The file of results, or the program.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// A device calibration cannot be loaded.
    #[error(transparent)]
    Device(#[from] DeviceError),
    /// A target description cannot be loaded.
    #[error(transparent)]
    Target(#[from] TargetError),
    /// A streamed program (read as it arrives) needs a rotation approximated on Clifford+T under
    /// a whole-program fidelity budget, which cannot be shared before the program has been read.
    #[error(
        "{file}:{line}: gate '{gate}' needs {rotation} approximated on Clifford+T; a program streamed from standard input with --no-baselines cannot share a whole-program --fidelity budget between rotations not read yet: give a per-rotation --eps, or pass the program as a file"
    )]
    StreamBudget {
        /// The program.
        file: String,
        /// Line of the gate.
        line: u32,
        /// The gate.
        gate: String,
        /// The rotation.
        rotation: String,
    },
    /// Options that contradict each other or lie outside their range; the message names them.
    #[error("{0}")]
    Options(String),
    /// A codebook cannot be read or parsed.
    #[error("{origin}: {source}")]
    Codebook {
        /// Where it came from.
        origin: String,
        /// Why.
        source: IsaError,
    },
    /// A codebook's paper dictionary is malformed.
    #[error("{origin}: paper dictionary: {source}")]
    PaperDictionary {
        /// The codebook it came from.
        origin: String,
        /// Why.
        source: FormatError,
    },
    /// A program cannot be assembled.
    #[error("{file}: {source}")]
    Assemble {
        /// The circuit's name.
        file: String,
        /// Why.
        source: AssembleError,
    },
    /// A program cannot be cut into per-controller streams (the message names the option).
    #[error("{file}: {message}")]
    Controllers {
        /// The circuit's name.
        file: String,
        /// Why.
        message: String,
    },
    /// A loop's body is larger than the replay buffer a decoder may be asked for.
    #[error(
        "{file}: a loop body of {found} instructions is larger than the decoder's replay buffer ({max}): assemble it unrolled with --flat"
    )]
    LoopTooLarge {
        /// The circuit's name.
        file: String,
        /// Instructions in the body.
        found: u64,
        /// The largest replay buffer ([`eqisa_isa::control::MAX_REPLAY_OPS`]).
        max: u64,
    },
    /// The assembled program would be refused by the decoder's own limits, so it is not written.
    #[error(
        "{file}: {what} is {found}, above what a decoder accepts ({max}): the program could not be decoded"
    )]
    Undecodable {
        /// The circuit's name.
        file: String,
        /// What is too large.
        what: &'static str,
        /// Its size.
        found: u64,
        /// The decoder's limit.
        max: u64,
    },
    /// A program cannot be decoded (or run on the modelled controller).
    #[error("{file}: {message}")]
    Decode {
        /// The program's name.
        file: String,
        /// What the decoder refused, and where.
        message: String,
    },
    /// A general-purpose compressor failed.
    #[error(transparent)]
    Baseline(#[from] BaselineError),
    /// The paper's pipeline failed.
    #[error(transparent)]
    Paper(#[from] PaperError),
    /// Training the instruction model failed.
    #[error(transparent)]
    Isa(#[from] IsaError),
    /// Learning pulse atoms failed.
    #[error(transparent)]
    PulseAtoms(#[from] PulseAtomsError),
    /// An energy model cannot be loaded.
    #[error(transparent)]
    Energy(#[from] eqisa_firmware::energy::EnergyError),
    /// No circuit of a report could be placed on the device.
    #[error("no circuit could be placed on the device: {}", skipped.iter().map(|(f, r)| format!("{f}: {r}")).collect::<Vec<_>>().join("; "))]
    NothingPlaced {
        /// Each file, with the reason it was skipped.
        skipped: Vec<(String, String)>,
    },
    /// A step of a report failed; the message names the circuit and the step.
    #[error("{0}")]
    Report(String),
    /// A job's circuits do not make a job (none, duplicate stems, mixed targets).
    #[error("{}{message}", if file.is_empty() { String::new() } else { format!("{file}: ") })]
    Job {
        /// The circuit's file (empty when the job as a whole is at fault).
        file: String,
        /// What is wrong.
        message: String,
    },
    /// A file cannot be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A sweep table (`--inputs`) that cannot be read: its file, the 1-based line and column
    /// (field) of the fault, and what is wrong.
    #[error("{file}:{line}:{column}: {message}")]
    SweepTable {
        /// The table's file.
        file: String,
        /// The 1-based line.
        line: usize,
        /// The 1-based column (field) of the line.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A sweep table's column that is not an input of the program.
    #[error("{file}: column '{column}' is not an input of {program} (its inputs: {})", if inputs.is_empty() { "none".to_string() } else { inputs.join(", ") })]
    SweepUnknownColumn {
        /// The table's file.
        file: String,
        /// The program's file.
        program: String,
        /// The column's name.
        column: String,
        /// The program's inputs.
        inputs: Vec<String>,
    },
    /// An input of the program that the sweep table gives no column.
    #[error("{file}: input '{input}' of {program} has no column (the columns: {})", columns.join(", "))]
    SweepMissingInput {
        /// The table's file.
        file: String,
        /// The program's file.
        program: String,
        /// The input's name.
        input: String,
        /// The table's columns.
        columns: Vec<String>,
    },
    /// A point of a sweep that does not bind, flatten or lower: the table's file, the point's
    /// 1-based line in it, and why.
    #[error("{file}:{line}: {source}")]
    SweepPoint {
        /// The table's file.
        file: String,
        /// The point's 1-based line in the table.
        line: usize,
        /// Why.
        source: Box<PipelineError>,
    },
}

impl PipelineError {
    /// An I/O failure on `path`.
    pub fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        PipelineError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

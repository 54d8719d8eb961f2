//! `decode`: an `.eqb` program (one circuit or a job) back to its circuits, each a sequence of
//! timed native operations; and `decode_samples`, the pulse section's samples as `eqisa decode
//! --samples` writes them.

use std::sync::Arc;

use eqisa_assembler::structured::Structured;
use eqisa_ir::circuit::{CondExpr, CondOp, Register};
use eqisa_lower::program::{NativeOp, NativeProgram, TimedOp, bit_name, qasm3_condition};
use eqisa_pipeline::assemble::Lowered;
use eqisa_pipeline::decode::decode_samples as pipeline_samples;
use eqisa_pipeline::job::{DecodedCircuit, circuit_qasm, decode_job, decode_single, is_job};
use eqisa_pipeline::{LoadedCodebook, PipelineError};
use numpy::{IntoPyArray, PyArray1, PyArray3};
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::codebook::Codebook;
use crate::errors::{DecodeError, IntoPyResult};

/// Most operations a circuit with loops is unrolled to for indexing (16 Mi, about 1 GiB held):
/// beyond, its operations are reached through its OpenQASM 3, which keeps the loops.
const MAX_UNROLLED_OPS: u64 = 1 << 24;

/// One decoded circuit, with its operations run out (loops unrolled) when that is possible.
struct Circuit {
    decoded: DecodedCircuit,
    /// A looped program's operations unrolled, or why they cannot be listed (`None` for a flat
    /// program, whose own operations are the list).
    unrolled: Option<Result<NativeProgram, String>>,
    /// Operations it runs (each `while` loop's body once), as `eqisa decode --json` counts them.
    native_ops: u64,
}

impl Circuit {
    fn new(decoded: DecodedCircuit) -> Circuit {
        let (unrolled, native_ops) = match &decoded.program {
            Lowered::Flat(p) => (None, p.ops.len() as u64),
            Lowered::Looped(s) => (Some(unrolled(s)), executed(s)),
        };
        Circuit {
            decoded,
            unrolled,
            native_ops,
        }
    }

    /// Its operations in the order they run, or why they cannot be listed.
    fn run(&self) -> Result<&NativeProgram, &str> {
        match (&self.decoded.program, &self.unrolled) {
            (_, Some(u)) => u.as_ref().map_err(String::as_str),
            (Lowered::Flat(p), None) => Ok(p),
            (Lowered::Looped(_), None) => Err("its loops were not run out"),
        }
    }
}

/// The looped program `s` unrolled, or why not.
fn unrolled(s: &Structured) -> Result<NativeProgram, String> {
    s.unrolled(MAX_UNROLLED_OPS).ok_or_else(|| {
        format!(
            "its operations cannot be listed one by one: it has a real-time while loop (whose \
             iterations depend on measurement results) or runs more than {MAX_UNROLLED_OPS} \
             operations; to_qasm() keeps its loops"
        )
    })
}

/// Operations `s` runs, each `while` once.
fn executed(s: &Structured) -> u64 {
    s.executed_ops()
        .iter()
        .fold(0u64, |n, (_, times)| n.saturating_add(*times))
}

/// A decoded program: its circuits (one, or a job's).
#[pyclass(module = "eqisa._eqisa", frozen)]
pub struct Decoded {
    circuits: Vec<Circuit>,
    /// Whether the program is a job.
    #[pyo3(get)]
    is_job: bool,
}

impl Decoded {
    fn circuit(&self, i: usize) -> PyResult<&Circuit> {
        self.circuits.get(i).ok_or_else(|| {
            pyo3::exceptions::PyIndexError::new_err(format!(
                "circuit {i} of a program of {}",
                self.circuits.len()
            ))
        })
    }

    fn ops_of(&self, i: usize) -> PyResult<&NativeProgram> {
        let c = self.circuit(i)?;
        c.run()
            .map_err(|why| DecodeError::new_err(format!("{}: {why}", c.decoded.name)))
    }
}

#[pymethods]
impl Decoded {
    fn __len__(&self) -> usize {
        self.circuits.len()
    }

    /// Circuit `i`'s name (a job's circuit names; `program` for a single program).
    fn name(&self, i: usize) -> PyResult<String> {
        Ok(self.circuit(i)?.decoded.name.clone())
    }

    /// Circuit `i`'s native operations.
    fn native_ops(&self, i: usize) -> PyResult<u64> {
        Ok(self.circuit(i)?.native_ops)
    }

    /// Circuit `i`'s qubits, classical bits, duration (ns), target and whether it keeps loops.
    fn info(&self, i: usize) -> PyResult<(u32, u32, f64, &'static str, bool)> {
        let c = self.circuit(i)?;
        Ok(match &c.decoded.program {
            Lowered::Flat(p) => (
                p.num_qubits,
                p.num_clbits,
                p.duration_ns,
                p.target.name(),
                false,
            ),
            Lowered::Looped(s) => (
                s.text.num_qubits,
                s.text.num_clbits,
                s.duration_ns(),
                s.text.target.name(),
                true,
            ),
        })
    }

    /// Circuit `i`'s classical registers: `(name, first bit, size)`.
    fn cregs(&self, i: usize) -> PyResult<Vec<(String, u32, u32)>> {
        let p = self.ops_of(i)?;
        Ok(p.cregs
            .iter()
            .map(|r| (r.name.clone(), r.start, r.size))
            .collect())
    }

    /// Circuit `i`'s quantum registers: `(name, first qubit, size)`.
    fn qregs(&self, i: usize) -> PyResult<Vec<(String, u32, u32)>> {
        let p = self.ops_of(i)?;
        Ok(p.qregs
            .iter()
            .map(|r| (r.name.clone(), r.start, r.size))
            .collect())
    }

    /// Circuit `i` as OpenQASM (2 when it can be, 3 with loops or conditions OpenQASM 2 lacks).
    fn qasm(&self, i: usize) -> PyResult<String> {
        circuit_qasm(&self.circuit(i)?.decoded).py()
    }

    /// Circuit `i`'s operations as columns: `(names, name, qubit0, qubit1, num_qubits, param,
    /// clbit, condition, start_ns, duration_ns)`, `name` indexing `names`; a missing qubit or
    /// clbit is -1, a missing parameter NaN, no condition -1 (else its index in the program's
    /// conditions).
    #[allow(clippy::type_complexity)] // one tuple of columns, named in the Python layer
    fn columns<'py>(
        &self,
        py: Python<'py>,
        i: usize,
    ) -> PyResult<(
        Vec<&'static str>,
        Bound<'py, PyArray1<u8>>,
        Bound<'py, PyArray1<i64>>,
        Bound<'py, PyArray1<i64>>,
        Bound<'py, PyArray1<u32>>,
        Bound<'py, PyArray1<f64>>,
        Bound<'py, PyArray1<i64>>,
        Bound<'py, PyArray1<i64>>,
        Bound<'py, PyArray1<f64>>,
        Bound<'py, PyArray1<f64>>,
    )> {
        let p = self.ops_of(i)?;
        let n = p.ops.len();
        let mut names: Vec<&'static str> = Vec::new();
        let mut code = Vec::with_capacity(n);
        let (mut q0, mut q1, mut nq) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        let (mut param, mut clbit, mut cond) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        let (mut start, mut duration) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for op in &p.ops {
            let name = op.op.name();
            let k = match names.iter().position(|&m| m == name) {
                Some(k) => k,
                None => {
                    names.push(name);
                    names.len() - 1
                }
            };
            // At most 17 native operation names: the index fits a byte.
            code.push(k as u8);
            q0.push(op.qubits.first().map_or(-1, |&q| i64::from(q)));
            q1.push(op.qubits.get(1).map_or(-1, |&q| i64::from(q)));
            nq.push(op.qubits.len() as u32);
            let (a, c) = match op.op {
                NativeOp::Rz(a) => (a, -1),
                NativeOp::Delay { ns } => (ns, -1),
                NativeOp::Measure { clbit } => (f64::NAN, i64::from(clbit)),
                _ => (f64::NAN, -1),
            };
            param.push(a);
            clbit.push(c);
            cond.push(op.cond.map_or(-1, i64::from));
            start.push(op.start_ns);
            duration.push(op.duration_ns);
        }
        Ok((
            names,
            code.into_pyarray(py),
            q0.into_pyarray(py),
            q1.into_pyarray(py),
            nq.into_pyarray(py),
            param.into_pyarray(py),
            clbit.into_pyarray(py),
            cond.into_pyarray(py),
            start.into_pyarray(py),
            duration.into_pyarray(py),
        ))
    }

    /// Operations `start..stop` of circuit `i`, each `(name, qubits, params, clbits, start_ns,
    /// duration_ns, condition)`; `condition` is `None`, or `(text, kind, target, value)` where
    /// `kind` is `"bit"` (target a bit index) or `"register"` (target its name) for the
    /// conditions Qiskit's `if_test` takes, and `None` otherwise.
    fn ops<'py>(
        &self,
        py: Python<'py>,
        i: usize,
        start: usize,
        stop: usize,
    ) -> PyResult<Vec<Bound<'py, PyTuple>>> {
        let p = self.ops_of(i)?;
        let stop = stop.min(p.ops.len());
        p.ops
            .get(start.min(stop)..stop)
            .unwrap_or(&[])
            .iter()
            .map(|op| op_tuple(py, p, op))
            .collect()
    }
}

/// One operation as Python sees it.
fn op_tuple<'py>(
    py: Python<'py>,
    p: &NativeProgram,
    op: &TimedOp,
) -> PyResult<Bound<'py, PyTuple>> {
    let (params, clbits): (Vec<f64>, Vec<u32>) = match op.op {
        NativeOp::Rz(a) => (vec![a], vec![]),
        NativeOp::Delay { ns } => (vec![ns], vec![]),
        NativeOp::Measure { clbit } => (vec![], vec![clbit]),
        _ => (vec![], vec![]),
    };
    let condition = match op.cond.and_then(|c| p.conditions.get(c as usize)) {
        None => None,
        Some(c) => {
            let text = qasm3_condition(c, &p.cregs, &|b| bit_name(&p.cregs, b));
            let simple = simple_condition(c, &p.cregs);
            Some(match simple {
                Some((kind, target, value)) => (text, Some(kind), Some(target), Some(value)),
                None => (text, None, None, None),
            })
        }
    };
    (
        op.op.name(),
        PyTuple::new(py, op.qubits.iter().copied())?,
        PyTuple::new(py, params)?,
        PyTuple::new(py, clbits)?,
        op.start_ns,
        op.duration_ns,
        condition,
    )
        .into_pyobject(py)
}

/// A condition Qiskit's `if_test` takes: one bit or one register compared for equality with a
/// value (as decimal text, registers being of any width).
fn simple_condition(c: &CondExpr, cregs: &[Register]) -> Option<(&'static str, String, String)> {
    let register = |r: u32| cregs.get(r as usize).map(|reg| reg.name.clone());
    match c {
        CondExpr::Bit(b) => Some(("bit", b.to_string(), "1".into())),
        CondExpr::Not(inner) => match inner.as_ref() {
            CondExpr::Bit(b) => Some(("bit", b.to_string(), "0".into())),
            _ => None,
        },
        CondExpr::Binary(CondOp::Eq, a, b) => match (a.as_ref(), b.as_ref()) {
            (CondExpr::Bit(bit), CondExpr::Int(v)) | (CondExpr::Int(v), CondExpr::Bit(bit)) => {
                Some(("bit", bit.to_string(), v.to_string()))
            }
            (CondExpr::Bit(bit), CondExpr::Bool(v)) | (CondExpr::Bool(v), CondExpr::Bit(bit)) => {
                Some(("bit", bit.to_string(), u8::from(*v).to_string()))
            }
            (CondExpr::Register(r), CondExpr::Int(v))
            | (CondExpr::Int(v), CondExpr::Register(r)) => {
                Some(("register", register(*r)?, v.to_string()))
            }
            _ => None,
        },
        _ => None,
    }
}

/// Decode `data` (a whole `.eqb`, named `name` in errors) with `codebook` (default: the embedded
/// one); a single program's circuit is named `stem`.
#[pyfunction]
#[pyo3(signature = (data, codebook = None, name = "<bytes>".to_string(), stem = "program".to_string()))]
pub fn decode(
    py: Python<'_>,
    data: Vec<u8>,
    codebook: Option<PyRef<'_, Codebook>>,
    name: String,
    stem: String,
) -> PyResult<Decoded> {
    let cb = Codebook::or_default(codebook.as_deref())?;
    crate::detach::run(py, move || decode_circuits(&data, &name, &stem, &cb))?.py()
}

/// The work of [`decode`], off the GIL.
fn decode_circuits(
    data: &[u8],
    name: &str,
    stem: &str,
    cb: &Arc<LoadedCodebook>,
) -> Result<Decoded, PipelineError> {
    if eqisa_isa::container::streams::is_streams(data) {
        return Err(PipelineError::Decode {
            file: name.to_string(),
            message: "is a multi-stream file (one stream per controller): decoding it from Python is not built; use `eqisa decode --controller N` or the merged `eqisa decode`".into(),
        });
    }
    let job = is_job(data);
    let circuits = if job {
        decode_job(data, name, cb)?
    } else {
        vec![decode_single(data, name, stem, cb)?]
    };
    Ok(Decoded {
        circuits: circuits.into_iter().map(Circuit::new).collect(),
        is_job: job,
    })
}

/// The pulse section's samples: an int16 array of shape (channels, samples, 2), the DAC's I and Q
/// codes, bit for bit what `eqisa decode --samples` writes; with the channels' names.
#[pyfunction]
#[pyo3(signature = (data, codebook = None, name = "<bytes>".to_string()))]
pub fn decode_samples<'py>(
    py: Python<'py>,
    data: Vec<u8>,
    codebook: Option<PyRef<'_, Codebook>>,
    name: String,
) -> PyResult<(Bound<'py, PyArray3<i16>>, Vec<String>)> {
    let cb = Codebook::or_default(codebook.as_deref())?;
    let (array, channels) = crate::detach::run(py, move || {
        let rows = pipeline_samples(&data, &name, &cb)?;
        let channels: Vec<String> = rows.channels.iter().map(ToString::to_string).collect();
        let n = rows.duration as usize;
        let count = rows.rows.len();
        let mut flat: Vec<i16> = Vec::with_capacity(2 * n * count);
        for row in rows.rows {
            flat.extend(row.into_iter().flatten());
        }
        let array = ndarray::Array3::<i16>::from_shape_vec((count, n, 2), flat).map_err(|e| {
            PipelineError::Decode {
                file: name.clone(),
                message: e.to_string(),
            }
        })?;
        Ok::<_, PipelineError>((array, channels))
    })?
    .py()?;
    Ok((array.into_pyarray(py), channels))
}

//! Parameter sweeps (`--inputs sweep.csv`): a table of input values, one row per point, read
//! ([`read_sweep`]), checked against the program's `input` variables, and every point bound and
//! lowered with the options a single circuit would be ([`lower_sweep`]). What the points have in
//! common is then found by [`eqisa_assembler::sweep::plan_sweep`].
//!
//! The table is CSV: a header row naming the inputs, then one row of numbers per point, a column
//! per input. Blank lines and lines starting with `#` are skipped; fields are trimmed. Values
//! are read as `f64` and handed to the binder as text that reads back to the same `f64`
//! (`{:?}`), so a point binds exactly the value in the table; integral inputs (`int`, `uint`,
//! `bool`, `bit`) get integer text, durations are in nanoseconds.

use std::path::Path;

use eqisa_ir::program::flatten::FlattenLimits;
use eqisa_ir::program::stmt::{Program, VarKind};
use eqisa_ir::program::types::Type;
use eqisa_isa::sweep::{MAX_COLUMNS, MAX_POINTS};
use eqisa_lower::lower;
use eqisa_lower::program::NativeProgram;
use eqisa_lower::target::TargetDesc;

use crate::config::LowerConfig;
use crate::error::PipelineError;

/// A sweep table as read.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepInputs {
    /// The file it was read from (for messages).
    pub file: String,
    /// The column names, in the file's order.
    pub names: Vec<String>,
    /// One row per point, a value per column.
    pub rows: Vec<Vec<f64>>,
    /// The 1-based line of each row in the file.
    pub lines: Vec<usize>,
}

/// A sweep's points, lowered.
#[derive(Clone, Debug)]
pub struct LoweredSweep {
    /// The program's inputs, in declaration order.
    pub names: Vec<String>,
    /// Per point, the values of `names` (the table's columns reordered).
    pub values: Vec<Vec<f64>>,
    /// Per point, the lowered program.
    pub points: Vec<NativeProgram>,
    /// Per point, the lowering's fidelity bound.
    pub fidelity_bounds: Vec<f64>,
    /// The target the points were lowered to.
    pub target: TargetDesc,
}

/// Read the sweep table at `path` (within the process-wide file size limit of `eqisa-files`).
///
/// # Errors
/// [`PipelineError::Io`] when it cannot be read; [`PipelineError::SweepTable`] naming the line
/// and column of a field that is not a finite number, a row with another number of fields than
/// the header, an empty or duplicate column name, a table without rows, or more rows or columns
/// than a sweep holds.
pub fn read_sweep(path: &Path) -> Result<SweepInputs, PipelineError> {
    let text = eqisa_files::read_to_string(path).map_err(|e| PipelineError::io(path, e))?;
    parse_sweep(&text, &path.display().to_string())
}

/// [`read_sweep`] of `text`, named `file` in errors.
///
/// # Errors
/// As [`read_sweep`].
pub fn parse_sweep(text: &str, file: &str) -> Result<SweepInputs, PipelineError> {
    let fail = |line: usize, column: usize, message: String| PipelineError::SweepTable {
        file: file.to_string(),
        line,
        column,
        message,
    };
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'));
    let Some((header_line, header)) = lines.next() else {
        return Err(fail(1, 1, "the table is empty: no header row".into()));
    };
    let names: Vec<String> = header.split(',').map(|f| f.trim().to_string()).collect();
    if names.len() > MAX_COLUMNS {
        return Err(fail(
            header_line,
            MAX_COLUMNS + 1,
            format!("more than {MAX_COLUMNS} columns"),
        ));
    }
    for (c, name) in names.iter().enumerate() {
        if name.is_empty() {
            return Err(fail(header_line, c + 1, "empty column name".into()));
        }
        if let Some(first) = names.iter().position(|n| n == name).filter(|&p| p < c) {
            return Err(fail(
                header_line,
                c + 1,
                format!("column '{name}' is named twice (also column {})", first + 1),
            ));
        }
    }
    let mut rows = Vec::new();
    let mut row_lines = Vec::new();
    for (line, l) in lines {
        if rows.len() >= MAX_POINTS as usize {
            return Err(fail(line, 1, format!("more than {MAX_POINTS} points")));
        }
        let fields: Vec<&str> = l.split(',').map(str::trim).collect();
        if fields.len() != names.len() {
            return Err(fail(
                line,
                fields.len().min(names.len()) + 1,
                format!(
                    "{} values, but the header names {} columns",
                    fields.len(),
                    names.len()
                ),
            ));
        }
        let mut row = Vec::with_capacity(fields.len());
        for (c, f) in fields.iter().enumerate() {
            match f.parse::<f64>() {
                Ok(v) if v.is_finite() => row.push(v),
                _ => {
                    let name = names.get(c).map_or("", String::as_str);
                    return Err(fail(
                        line,
                        c + 1,
                        format!("'{f}' (column '{name}') is not a finite number"),
                    ));
                }
            }
        }
        rows.push(row);
        row_lines.push(line);
    }
    if rows.is_empty() {
        return Err(fail(
            header_line + 1,
            1,
            "the table has a header but no points".into(),
        ));
    }
    Ok(SweepInputs {
        file: file.to_string(),
        names,
        rows,
        lines: row_lines,
    })
}

/// The `input` variables of `p`, in declaration order, with their types.
fn declared_inputs(p: &Program) -> Vec<(String, Type)> {
    p.vars
        .iter()
        .filter(|v| v.kind == VarKind::Input)
        .map(|v| (v.name.clone(), v.ty.clone()))
        .collect()
}

/// The binder's text for value `v` of an input of type `ty`: text that reads back to exactly
/// `v` (`{:?}` of an `f64` round-trips), integer text for integral types.
fn value_text(v: f64, ty: &Type) -> String {
    match ty {
        t if t.is_integral() && v.fract() == 0.0 && v.abs() < 9.007_199_254_740_992e15 => {
            format!("{}", v as i64)
        }
        Type::Duration | Type::Stretch => format!("{v:?}ns"),
        _ => format!("{v:?}"),
    }
}

/// Bind every point of `sweep` to program `p` (read from `program`), flatten it and lower it
/// with `lowering` exactly as a single circuit is lowered.
///
/// # Errors
/// [`PipelineError::SweepUnknownColumn`] or [`PipelineError::SweepMissingInput`] when the
/// columns are not the program's inputs; [`PipelineError::SweepPoint`] naming the table's line
/// when a point does not bind (a non-integer for an `int`), flatten or lower; the lowering
/// options' own errors.
pub fn lower_sweep(
    p: &Program,
    program: &str,
    sweep: &SweepInputs,
    lowering: &LowerConfig,
) -> Result<LoweredSweep, PipelineError> {
    let inputs = declared_inputs(p);
    let names: Vec<String> = inputs.iter().map(|(n, _)| n.clone()).collect();
    if let Some(column) = sweep.names.iter().find(|c| !names.contains(c)) {
        return Err(PipelineError::SweepUnknownColumn {
            file: sweep.file.clone(),
            program: program.to_string(),
            column: column.clone(),
            inputs: names,
        });
    }
    if let Some(input) = names.iter().find(|n| !sweep.names.contains(n)) {
        return Err(PipelineError::SweepMissingInput {
            file: sweep.file.clone(),
            program: program.to_string(),
            input: input.clone(),
            columns: sweep.names.clone(),
        });
    }
    // Each declared input's column in the table (every one has one, checked above).
    let order: Vec<usize> = names
        .iter()
        .map(|n| sweep.names.iter().position(|c| c == n).unwrap_or(0))
        .collect();
    let (target, options) = lowering.resolve()?;
    let limits = FlattenLimits {
        max_ops: eqisa_qasm::ir_budget().min(u64::from(u32::MAX)),
        ..FlattenLimits::default()
    };
    let mut out = LoweredSweep {
        names,
        values: Vec::with_capacity(sweep.rows.len()),
        points: Vec::with_capacity(sweep.rows.len()),
        fidelity_bounds: Vec::with_capacity(sweep.rows.len()),
        target,
    };
    for (row, &line) in sweep.rows.iter().zip(&sweep.lines) {
        let at = |source: PipelineError| PipelineError::SweepPoint {
            file: sweep.file.clone(),
            line,
            source: Box::new(source),
        };
        let values: Vec<f64> = order
            .iter()
            .map(|&c| row.get(c).copied().unwrap_or(0.0))
            .collect();
        let pairs: Vec<(String, String)> = inputs
            .iter()
            .zip(&values)
            .map(|((n, ty), &v)| (n.clone(), value_text(v, ty)))
            .collect();
        let bound = eqisa_qasm::bind(p, &pairs).map_err(|e| at(e.into()))?;
        let circuit = eqisa_ir::program::flatten::flatten(p, &bound, &limits)
            .map_err(|e| at(eqisa_qasm::located(p, e).into()))?;
        let l = lower(&circuit, &out.target, &options).map_err(|source| {
            at(PipelineError::Lower {
                file: program.to_string(),
                source,
            })
        })?;
        out.values.push(values);
        out.points.push(l.program);
        out.fidelity_bounds.push(l.fidelity_bound);
    }
    Ok(out)
}

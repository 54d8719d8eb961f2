//! The shared corpus's Qiskit reference (`reference/qiskit.jsonl`) and the names Qiskit gives
//! instructions.

use std::path::Path;

/// Every record of `reference/qiskit.jsonl` under the corpus directory `dir`.
pub fn reference(dir: &Path) -> Vec<serde_json::Value> {
    let text =
        std::fs::read_to_string(dir.join("reference/qiskit.jsonl")).expect("reading qiskit.jsonl");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// The name Qiskit gives the instruction a qelib1 / stdgates name creates.
pub fn qiskit_name(source_name: &str) -> &str {
    match source_name {
        "c3x" | "c4x" => "mcx",
        "c3sqrtx" => "c3sx",
        "rc3x" => "rcccx",
        "CX" => "cx",
        "U" => "u",
        "phase" => "p",
        "cphase" => "cp",
        other => other,
    }
}

// Checks: let aliases of slices, sets and concatenations, indexed like registers.
// Expected: Qiskit's qasm3 importer, its circuit simulated exactly (and checked
// against Qiskit's Statevector or Aer) by scripts/qasm3-references.py.
OPENQASM 3.0;
include "stdgates.inc";
qubit[4] q;
let mid = q[1:2];
let ends = q[{0, 3}];
let all = ends ++ mid;
x mid[0];
h ends[1];
cx all[1], all[3];

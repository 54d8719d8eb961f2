// Checks: `bit c = measure q;` on a single qubit declared `qubit q;`.
// Expected: Qiskit's qasm3 importer, its circuit simulated exactly (and checked
// against Qiskit's Statevector or Aer) by scripts/qasm3-references.py.
OPENQASM 3.0;
include "stdgates.inc";
qubit q;
x q;
bit c = measure q;

// Checks: the OpenQASM 3 measurement forms: bit c = measure q; c0 = measure q[0] with a scalar
// bit; bit[2] r = measure of a register; the arrow form.
// Expected: Qiskit's qasm3 importer, its circuit simulated exactly (and checked
// against Qiskit's Statevector or Aer) by scripts/qasm3-references.py.
OPENQASM 3.0;
include "stdgates.inc";
qubit[3] q;
x q[0];
x q[2];
bit c0;
c0 = measure q[0];
bit c = measure q[1];
bit[2] r = measure q[1:2];
bit[1] last;
measure q[2] -> last[0];

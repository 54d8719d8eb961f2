// Checks: a user gate with parameters, used with modifiers.
// Expected: Qiskit's qasm3 importer, its circuit simulated exactly (and checked
// against Qiskit's Statevector or Aer) by scripts/qasm3-references.py.
OPENQASM 3.0;
include "stdgates.inc";
gate twist(a, b) x, y {
  ry(a) x;
  cx x, y;
  rz(b) y;
}
qubit[3] q;
twist(0.4, 0.9) q[0], q[1];
ctrl @ twist(0.3, 0.2) q[0], q[1], q[2];
inv @ twist(0.1, 0.6) q[2], q[1];

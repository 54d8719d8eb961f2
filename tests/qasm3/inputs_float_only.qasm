// Checks: a float input parameter (theta = 0.3 in expected.json) in gate angles.
// Expected: Qiskit's qasm3 importer, its circuit simulated exactly (and checked
// against Qiskit's Statevector or Aer) by scripts/qasm3-references.py.
OPENQASM 3.0;
include "stdgates.inc";
input float theta;
qubit[2] q;
rx(theta) q[0];
cry(2 * theta) q[0], q[1];

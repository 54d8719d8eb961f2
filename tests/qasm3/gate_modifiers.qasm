// Checks: gate modifiers ctrl, negctrl, inv, pow, and their composition.
// Expected: Qiskit's qasm3 importer, its circuit simulated exactly (and checked
// against Qiskit's Statevector or Aer) by scripts/qasm3-references.py.
OPENQASM 3.0;
include "stdgates.inc";
qubit[3] q;
h q[0];
ctrl @ x q[0], q[1];
negctrl @ h q[1], q[2];
inv @ s q[0];
pow(0.5) @ x q[2];
pow(2) @ t q[1];
ctrl(2) @ rz(pi / 3) q[0], q[1], q[2];
inv @ pow(3) @ ry(0.2) q[0];

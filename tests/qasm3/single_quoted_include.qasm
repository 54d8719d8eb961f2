// Checks: an include named in single quotes.
// Expected: Qiskit's qasm3 importer, its circuit simulated exactly (and checked
// against Qiskit's Statevector or Aer) by scripts/qasm3-references.py.
OPENQASM 3.0;
include 'stdgates.inc';
qubit[2] q;
h q[0];
crx(0.7) q[0], q[1];

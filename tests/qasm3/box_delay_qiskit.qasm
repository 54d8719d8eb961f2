// Checks: box with and without a duration, and delays, in the form Qiskit's importer accepts:
// timing changes no state.
// Expected: Qiskit's qasm3 importer, its circuit simulated exactly (and checked
// against Qiskit's Statevector or Aer) by scripts/qasm3-references.py.
OPENQASM 3.0;
include "stdgates.inc";
qubit[2] q;
box[300ns] {
  h q[0];
  delay[100ns] q[1];
}
box {
  cx q[0], q[1];
}
delay[20ns] q;
t q[1];

// Checks: if/else on a measured bit (feed-forward); an outcome distribution.
// Expected: Qiskit's qasm3 importer, its circuit simulated exactly (and checked
// against Qiskit's Statevector or Aer) by scripts/qasm3-references.py.
OPENQASM 3.0;
include "stdgates.inc";
qubit[2] q;
bit[2] c;
h q[0];
c[0] = measure q[0];
if (c[0]) {
  x q[1];
} else {
  ry(pi / 3) q[1];
}
c[1] = measure q[1];

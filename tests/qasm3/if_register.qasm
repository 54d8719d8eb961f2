// Checks: if / else if / else on the value of a measured register (real-time comparisons of a
// bit[2] with integers).
// Expected: Qiskit's qasm3 importer, its circuit simulated exactly (and checked
// against Qiskit's Statevector or Aer) by scripts/qasm3-references.py.
OPENQASM 3.0;
include "stdgates.inc";
qubit[3] q;
bit[2] c;
bit r;
h q[0];
ry(pi / 3) q[1];
c = measure q[0:1];
if (c == 0) {
  x q[2];
} else if (c == 3) {
  h q[2];
} else {
  ry(pi / 2) q[2];
  z q[2];
}
r = measure q[2];

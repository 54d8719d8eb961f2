// Checks: for loops whose variable reaches gate angles (ascending, negative step), an empty
// range, and continue skipping the rest of each iteration.
// Expected: Qiskit's qasm3 importer, its circuit simulated exactly (and checked
// against Qiskit's Statevector or Aer) by scripts/qasm3-references.py.
OPENQASM 3.0;
include "stdgates.inc";
qubit[2] q;
for int i in [1:3] {
  ry(i * 0.1) q[0];
}
for int i in [4:-2:0] {
  rz(i * 0.25) q[0];
}
for int i in [1:0] {
  x q[1];
}
for int i in [0:3] {
  rx(0.5) q[1];
  continue;
  x q[1];
}

// Checks: for over ranges, both ends inclusive, with positive and negative steps, and an empty
// range (start above stop with a positive step runs no iteration).
// Expected: by hand from the OpenQASM 3 specification (Qiskit cannot load this file);
// the derivation is in scripts/qasm3-references.py and tests/qasm3/expected.json.
OPENQASM 3.0;
include "stdgates.inc";
qubit[3] q;
for int i in [0:2] {
  ry(pi / 8) q[i];
}
for int i in [4:-2:0] {
  rz(i * 0.1) q[0];
}
for int i in [2:-1:1] {
  x q[i];
}
for int i in [0:2:3] {
  h q[i];
}
for int i in [1:0] {
  x q[0];
}

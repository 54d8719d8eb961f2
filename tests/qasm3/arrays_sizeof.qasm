// Checks: one- and two-dimensional arrays, element assignment, and sizeof over each dimension.
// Expected: by hand from the OpenQASM 3 specification (Qiskit cannot load this file);
// the derivation is in scripts/qasm3-references.py and tests/qasm3/expected.json.
OPENQASM 3.0;
include "stdgates.inc";
qubit[3] q;
array[int[8], 3] k = {1, 2, 3};
array[float[64], 2, 3] t = {{0.1, 0.2, 0.3}, {0.4, 0.5, 0.6}};
k[1] = k[0] + k[2];
for uint i in [0:sizeof(k) - 1] {
  rx(k[i] * pi / 8) q[i];
}
for uint j in [0:sizeof(t, 1) - 1] {
  rz(t[1][j]) q[j];
}
ry(sizeof(t) * 0.25) q[0];

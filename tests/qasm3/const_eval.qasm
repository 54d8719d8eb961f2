// Checks: compile-time constants size registers and drive loop bounds and angles
// (n = 3, m = n*n - 1 = 8, step = pi/8, w = 1 << n = 8).
// Expected: by hand from the OpenQASM 3 specification (Qiskit cannot load this file);
// the derivation is in scripts/qasm3-references.py and tests/qasm3/expected.json.
OPENQASM 3.0;
include "stdgates.inc";
const int n = 3;
const int m = n * n - 1;
const float step = pi / m;
const uint w = 1 << n;
qubit[n] q;
for int k in [0:n - 1] {
  ry((k + 1) * step) q[k];
}
rz(w * step) q[0];

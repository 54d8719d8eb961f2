// Checks: input parameters (theta = 0.3, k = 2 in expected.json): their values reach gate
// angles and control flow.
// Expected: by hand from the OpenQASM 3 specification (Qiskit cannot load this file);
// the derivation is in scripts/qasm3-references.py and tests/qasm3/expected.json.
OPENQASM 3.0;
include "stdgates.inc";
input float theta;
input int k;
qubit[2] q;
rx(theta) q[0];
rz(2 * theta) q[0];
for int i in [1:k] {
  ry(theta) q[1];
}

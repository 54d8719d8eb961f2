// Checks: if/else and else-if chains on classical values known before run time.
// Expected: by hand from the OpenQASM 3 specification (Qiskit cannot load this file);
// the derivation is in scripts/qasm3-references.py and tests/qasm3/expected.json.
OPENQASM 3.0;
include "stdgates.inc";
qubit[2] q;
int k = 3;
bool flag = k > 2;
if (flag) {
  x q[0];
} else {
  h q[0];
}
if (k % 2 == 0) {
  x q[1];
} else if (k == 3) {
  h q[1];
} else {
  z q[1];
}

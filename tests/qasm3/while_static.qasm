// Checks: a while loop whose condition is classical and known before run time.
// Expected: by hand from the OpenQASM 3 specification (Qiskit cannot load this file);
// the derivation is in scripts/qasm3-references.py and tests/qasm3/expected.json.
OPENQASM 3.0;
include "stdgates.inc";
qubit[2] q;
int i = 0;
while (i < 3) {
  rx(pi / 4) q[0];
  i += 1;
}
while (i > 10) {
  x q[1];
}
ry(i * 0.2) q[1];

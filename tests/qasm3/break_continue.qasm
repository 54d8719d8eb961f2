// Checks: continue skips the rest of an iteration, break leaves the closest loop only.
// Expected: by hand from the OpenQASM 3 specification (Qiskit cannot load this file);
// the derivation is in scripts/qasm3-references.py and tests/qasm3/expected.json.
OPENQASM 3.0;
include "stdgates.inc";
qubit[3] q;
for int i in [0:5] {
  if (i == 1) continue;
  if (i == 4) break;
  rx(0.1 * (i + 1)) q[0];
}
int n = 0;
while (true) {
  n += 1;
  for int j in [0:9] {
    if (j == 2) break;
    ry(0.2) q[1];
  }
  if (n == 3) break;
}
rz(n * 0.5) q[1];
h q[2];

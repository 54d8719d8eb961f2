// Checks: end stops the program at once, from inside nested loops and branches; nothing after
// it runs.
// Expected: by hand from the OpenQASM 3 specification (Qiskit cannot load this file);
// the derivation is in scripts/qasm3-references.py and tests/qasm3/expected.json.
OPENQASM 3.0;
include "stdgates.inc";
qubit[3] q;
x q[0];
for int i in [0:3] {
  h q[1];
  if (i == 1) {
    end;
  }
}
x q[2];

// Checks: output variables, written by the program and reported after it runs.
// Expected: by hand from the OpenQASM 3 specification (Qiskit cannot load this file);
// the derivation is in scripts/qasm3-references.py and tests/qasm3/expected.json.
OPENQASM 3.0;
include "stdgates.inc";
output int total;
output bit[2] res;
qubit[2] q;
total = 0;
for int i in [1:4] {
  total += i;
}
x q[1];
res = measure q;

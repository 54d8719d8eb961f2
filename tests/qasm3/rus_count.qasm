// Checks: a measurement-dependent while loop that counts its attempts (at most 3) and stores the
// count in a register: P(n = 1) = 1/2, P(n = 2) = 1/4, P(n = 3) = 1/4.
// Expected: by hand from the OpenQASM 3 specification (Qiskit cannot load this file);
// the derivation is in scripts/qasm3-references.py and tests/qasm3/expected.json.
OPENQASM 3.0;
include "stdgates.inc";
qubit q;
bit ok = 0;
uint[2] n = 0;
while (ok == 0 && n < 3) {
  reset q;
  h q;
  ok = measure q;
  n += 1;
}
bit[2] tries = bit[2](n);

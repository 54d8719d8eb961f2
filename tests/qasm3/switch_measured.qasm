// Checks: switch on a measured register cast to uint (real-time), each case acting on a third
// qubit that is then measured.
// Expected: by hand from the OpenQASM 3 specification (Qiskit cannot load this file);
// the derivation is in scripts/qasm3-references.py and tests/qasm3/expected.json.
OPENQASM 3.0;
include "stdgates.inc";
qubit[3] q;
bit[2] c;
bit r;
h q[0];
ry(2 * pi / 3) q[1];
c = measure q[0:1];
switch (uint[2](c)) {
  case 0 {
  }
  case 1 {
    x q[2];
  }
  case 2, 3 {
    h q[2];
  }
}
r = measure q[2];

// Checks: switch with single and multi-value cases and a default, on integers known before run
// time; no fall-through.
// Expected: by hand from the OpenQASM 3 specification (Qiskit cannot load this file);
// the derivation is in scripts/qasm3-references.py and tests/qasm3/expected.json.
OPENQASM 3.0;
include "stdgates.inc";
qubit[3] q;
int k = 2;
switch (k) {
  case 0 {
    x q[0];
  }
  case 1, 2 {
    x q[1];
  }
  default {
    x q[2];
  }
}
switch (k + 5) {
  case 0, 1 {
    x q[0];
  }
  default {
    h q[2];
  }
}

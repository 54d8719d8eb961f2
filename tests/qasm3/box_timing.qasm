// Checks: box (with and without a duration), delay in ns and dt, duration and stretch
// declarations: timing changes no state.
// Expected: by hand from the OpenQASM 3 specification (Qiskit cannot load this file);
// the derivation is in scripts/qasm3-references.py and tests/qasm3/expected.json.
OPENQASM 3.0;
include "stdgates.inc";
qubit[2] q;
duration d = 100ns;
stretch s;
box[200ns] {
  h q[0];
  delay[d] q[1];
}
box {
  cx q[0], q[1];
}
delay[2 * d] q[0];
delay[s] q;
delay[50dt] q[1];
rz(pi / 4) q[1];

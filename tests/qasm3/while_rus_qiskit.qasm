// Checks: repeat until success written as Qiskit's importer accepts it (bit compared with a
// bool, measured before the loop): c ends 1 with probability 1, q is then |1>, and x flips it.
// Expected: Qiskit's qasm3 importer, its circuit simulated exactly (and checked
// against Qiskit's Statevector or Aer) by scripts/qasm3-references.py.
OPENQASM 3.0;
include "stdgates.inc";
qubit[2] q;
bit c;
bit d;
h q[0];
c = measure q[0];
while (c == false) {
  reset q[0];
  h q[0];
  c = measure q[0];
}
cx q[0], q[1];
d = measure q[1];

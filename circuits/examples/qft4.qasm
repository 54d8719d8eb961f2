// Quantum Fourier transform on 4 qubits applied to |0101>, with a user-defined
// controlled-phase ladder and the final swaps.
OPENQASM 2.0;
include "qelib1.inc";

gate cphase_ladder(a) c, t { cu1(a) c, t; }

qreg q[4];
creg c[4];
x q[0];
x q[2];
barrier q;
h q[3];
cphase_ladder(pi/2) q[2], q[3];
cphase_ladder(pi/4) q[1], q[3];
cphase_ladder(pi/8) q[0], q[3];
h q[2];
cphase_ladder(pi/2) q[1], q[2];
cphase_ladder(pi/4) q[0], q[2];
h q[1];
cphase_ladder(pi/2) q[0], q[1];
h q[0];
swap q[0], q[3];
swap q[1], q[2];
measure q -> c;

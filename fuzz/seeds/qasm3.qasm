OPENQASM 3.0;
include "stdgates.inc";
qubit[2] q;
qubit r;
bit[2] c;
bit d;
c[0] = measure q[0];
c = measure q;
if (c[0] && !d || c == 2 ^ 1) { x q[0]; } else { ctrl @ x q[0], r; }
if (c != 3) y q[1];
else z q[1];
negctrl(2) @ inv @ pow(2) @ s q[0], q[1], r;
U(1, 2, 3) r;
gphase(pi);
delay[100ns] q;
delay[2.5us] r;
barrier;
reset r;

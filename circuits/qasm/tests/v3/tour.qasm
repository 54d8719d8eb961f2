// A tour of OpenQASM 3, statement by statement, written from the specification's chapters.
OPENQASM 3.0;
include "stdgates.inc";
defcalgrammar "openpulse";
#pragma eqisa tour

// Types and declarations.
input angle[16] theta;
input float[64] phi;
output bit[4] result;
const int[32] N = 4;
const uint SIZE = N * 2 + 0x10 - 0o7 + 0b1_0;
qubit[4] q;
qubit anc;
qreg legacy[2];
creg flags[2];
bit b0 = 0;
bit[8] pattern = "0110_1001";
bool flag = true && !false;
int[16] count = -1_000;
uint[8] mask = ~0 & 0xF0;
float[32] ratio = 1.5e-3 + .25 + 1.;
angle[20] turn = π / 4 + tau - euler;
complex[float[64]] z = 1.0 - 2.5im;
complex w = 3 im;
duration pulse = 160dt;
duration gap = 1.5µs + 20ns * 2;
stretch s;
array[int[8], 2, 3] table = { {1, 2, 3}, {4, 5, 6} };
array[float[64], 4] weights = {0.1, 0.2, 0.3, 0.4,};
let pair = q[0:1] ++ anc;
let evens = q[{0, 2}];

// Subroutines, externs, gates, calibrations.
extern decode(bit[4], readonly array[int[8], #dim = 1]) -> int[32];
def parity(bit[4] bits) -> bit {
    bit p = 0;
    for int i in [0:3] {
        p ^= bits[i];
    }
    return p;
}
def measure_reset(qubit a) -> bit {
    bit r = measure a;
    reset a;
    return r;
}
def scale(readonly array[float[64], 4] v, mutable array[int[8], #dim = 2] out, qubit[2] r) {
    out[0, 1] = int[8](v[0] * 10);
    return;
}
gate rzz(θ) a, b {
    cx a, b;
    rz(θ) b;
    cx a, b;
}
gate phase_kick a { gphase(-pi / 2); inv @ s a; }
opaque calibrated(t) a;
cal {
    extern port d0;
    frame f = newframe(d0, 5e9, 0);
}
defcal rx(angle[20] t) $0 {
    play f, gaussian(1.0, 160dt, 40dt); // braces in comments: }
}
defcal measure $0 -> bit { return 0; }

// Gates and quantum instructions.
h q;
cx q[0], q[1];
rzz(theta) q[2], q[3];
U(pi, 0, pi) $1;
ctrl @ x q[0], anc;
negctrl(2) @ inv @ pow(1 / 2) @ rx(phi)[100ns] q[0], q[1], q[2];
ctrl(2) @ gphase(pi) q[0], q[1];
gphase(pi / 8);
barrier q, anc;
barrier;
delay[pulse] q[0];
delay[2 * gap];
box [1us] {
    x q[0];
    delay[s] q[1];
}
box { y q[3]; }
nop q[2];
@bind q[0] readout
measure q[0] -> flags[0];
flags[1] = measure q[1];
measure anc;
result = measure q;
b0 = measure_reset(anc);

// Classical computation and real-time control flow.
count += 1;
count <<= 2;
mask ^= mask >> 1;
weights[2] = weights[1] ** 2 % 3;
count = decode(result, table[0]);
if (result == 0b1111 || flags[0]) {
    x q;
} else if (flags[1] != 1) {
    z q[0];
} else reset anc;
if (parity(result)) h anc;
while (count > 0) {
    count -= 1;
    if (count == 2) continue;
    if (count < 0) break;
}
for uint i in [0:2:6] rz(i * turn) q[0];
for i in {1, 3, 5} { ry(i * pi / 8) q[1]; }
for float x in weights { rx(x) q[2]; }
switch (count + 1) {
    case 0 { x q[0]; }
    case 1, 2 { y q[0]; }
    default { z q[0]; }
}
{
    int[8] local = sizeof(table, 1);
    ;
}
pulse = durationof({ x q[0]; h q[1]; });
end;

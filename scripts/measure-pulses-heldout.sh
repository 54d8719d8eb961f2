#!/usr/bin/env bash
# Held-out pulse measurement (issue 5): train pulse atoms on four fifths of the IBM devices in
# ../shared/corpus/devices/ibm (sorted; every fifth is held out) and code the held-out devices'
# streams (qft4, adder4; direct-rotation mode) and whole waveform memories with them.
#
#   scripts/measure-pulses-heldout.sh [WINDOW] [ATOMS]      (defaults 32 128)
#
# Prints one Markdown row per device and circuit. Needs a release build (cargo build --release).
set -euo pipefail
cd "$(dirname "$0")/.."
W=${1:-32}
K=${2:-128}
D=../shared/corpus/devices/ibm
EQ=./target/release/eqisa
CB=$(mktemp --suffix=.eqcb)
mapfile -t ALL < <(ls "$D"/defs_*.json | sort)
TRAIN=()
HELD=()
for i in "${!ALL[@]}"; do
    if (( (i + 1) % 5 == 0 )); then HELD+=("${ALL[$i]}"); else TRAIN+=("${ALL[$i]}"); fi
done
/usr/bin/time -f "training: %e s, %M KB max RSS" \
    "$EQ" train circuits/examples --paper-haar 0 -o "$CB" --pulses --pulse-window "$W" \
    --pulse-atoms "$K" --device "${TRAIN[@]}" > /dev/null
echo "| device | circuit | plays | stream eqisa | raw | dct | eqisa/raw | eqisa/dct | memory eqisa | memory raw | memory dct | mem eqisa/raw | mem eqisa/dct | max infid | lossless |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for dev in "${HELD[@]}"; do
    name=$(basename "$dev" .json)
    name=${name#defs_}
    for c in qft4 adder4; do
        if ! out=$("$EQ" pulses "circuits/examples/$c.qasm" --device "$dev" --direct \
            --codebook "$CB" --json 2>&1); then
            echo "| $name | $c | $(echo "$out" | tail -1) |"
            continue
        fi
        echo "$out" | python3 -c "
import json, sys
d = json.load(sys.stdin); p = d['pulse_bits']; m = d['memory_bits']
r = lambda a, b: '%.4f' % (a / b)
print('| $name | $c | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %.2e | %d |' % (
    d['plays'], f\"{p['eqisa']:,}\", f\"{p['raw']:,}\", f\"{p['dct']:,}\", r(p['eqisa'], p['raw']),
    r(p['eqisa'], p['dct']), f\"{m['eqisa']:,}\", f\"{m['raw']:,}\", f\"{m['dct']:,}\",
    r(m['eqisa'], m['raw']), r(m['eqisa'], m['dct']), d['max_added_infidelity'],
    d['lossless_fallbacks']))"
    done
done
rm -f "$CB"

#!/usr/bin/env bash
# One stream per controller on held-out-like QEC programs: generate them with Stim (10^5 rounds),
# assemble each as one stream per controller of at most K qubits, and simulate every controller
# at 500 MHz; prints underruns and the link rate each controller needs.
#
#   python3 -m venv /work/venv-ctl && /work/venv-ctl/bin/pip install stim
#   scripts/controllers-table.sh [PYTHON] [K] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${1:-/work/venv-ctl/bin/python}
K=${2:-32}
ROUNDS=${3:-100000}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
cargo build --release -q
"$PY" - "$OUT" "$ROUNDS" <<'PY'
import sys, stim
out, rounds = sys.argv[1], int(sys.argv[2])
for task, d in [("surface_code:rotated_memory_z", 11), ("surface_code:rotated_memory_x", 9),
                ("color_code:memory_xyz", 9)]:
    c = stim.Circuit.generated(task, distance=d, rounds=rounds)
    name = task.replace(":", "_") + f"_d{d}_r{rounds}.stim"
    open(f"{out}/{name}", "w").write(str(c))
PY
printf '%-46s %6s %4s %10s %9s %14s %14s %12s\n' circuit qubits N bytes underruns "Gb/s per ctrl" "Gb/s in all" "schedule ms"
for f in "$OUT"/*.stim; do
  target/release/eqisa assemble "$f" --qubits-per-controller "$K" -o "$f.eqb" --json > "$f.asm.json"
  target/release/eqisa firmware "$f.eqb" --clock-mhz 500 --json > "$f.fw.json"
  python3 - "$f" <<'PY'
import json, sys, os
f = sys.argv[1]
a = json.load(open(f + ".asm.json")); r = json.load(open(f + ".fw.json"))
s = r["system"]
print(f"{os.path.basename(f):<46} {a['qubits']:>6} {s['controllers']:>4} {a['file_bytes']:>10} {s['underruns']:>9} "
      f"{s['min_link_gbps_each']:>14.4f} {s['min_link_gbps_sum']:>14.4f} {s['schedule_ns']/1e6:>12.1f}")
PY
done

#!/usr/bin/env bash
# Whole-process parse benchmark against Qiskit's loader, on the same machine in the same run.
#   scripts/bench-parse.sh [FILE.qasm] [RUNS]
# Times `eqisa inspect FILE` (parse, validate, count, depth) with /usr/bin/time -v, takes the
# median wall time and the peak resident memory, asks ../shared/tools/peer-bench for Qiskit's
# median load time of the same file, and prints the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
FILE=${1:-../shared/corpus/mqt/native_heron/grover_native_ibm_heron_n16.qasm}
RUNS=${2:-7}
cargo build --release --quiet
times=()
peak=0
for _ in $(seq "$RUNS"); do
  report=$( { /usr/bin/time -v target/release/eqisa inspect "$FILE" > /dev/null; } 2>&1 )
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' <<<"$report")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' <<<"$report")
  # m:ss.cc -> seconds
  secs=$(awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }' <<<"$wall")
  times+=("$secs")
  (( rss > peak )) && peak=$rss
done
median=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
size=$(stat -c %s "$FILE")
qiskit=$(../shared/tools/peer-bench/peer-bench parse "$FILE" 2>/dev/null \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["qiskit_seconds"])')
python3 - "$FILE" "$size" "$median" "$peak" "$qiskit" <<'PY'
import sys
f, size, ours, peak_kb, qiskit = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
print(f"file            {f} ({size / 1e6:.1f} MB)")
print(f"eqisa inspect   {ours:.3f} s (median, whole process)   peak RSS {peak_kb / 1024:.1f} MiB = {peak_kb * 1024 / size:.2f}x the file")
print(f"qiskit load     {qiskit:.3f} s (median, in process)")
print(f"speed-up        {qiskit / ours:.1f}x")
PY

#!/usr/bin/env bash
# What a parameter sweep costs against one point of it, on the repository's QAOA layer.
#   scripts/sweep-sizes.sh
# One point: `eqisa assemble circuits/programs/qaoa20.qasm3 --input gamma=0.01 --input beta=0.02
# --json` (the first point of qaoa20_sweep.csv), its `bits.eqisa`. The sweeps: the template is one
# point's program, plus the sweep table (eqisa_isa::sweep) that the pipeline's sweep tests plan
# and print for the 1,000-point product grid (qaoa20_sweep.csv), the 120-point line
# (qaoa20_line.csv) and 200 random points at full precision; the job framing is not counted.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet
point=$(target/debug/eqisa assemble circuits/programs/qaoa20.qasm3 \
  --input gamma=0.01 --input beta=0.02 --no-baselines --json \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["bits"]["eqisa"])')
echo "one point (qaoa20.qasm3, gamma=0.01, beta=0.02): ${point} bits"
cargo test --quiet -p eqisa-pipeline --test sweep -- --nocapture 2>&1 \
  | grep -E 'sweep: ' | sed -E 's/^\.*//' | while read -r line; do
    bytes=$(sed -E 's/.*table ([0-9]+) bytes.*/\1/' <<<"$line")
    echo "$line"
    python3 -c "import sys; p,b=int(sys.argv[1]),int(sys.argv[2]); print(f'  template + table = {p} + {8*b} bits = {(p+8*b)/p:.2f} x one point')" "$point" "$bytes"
  done

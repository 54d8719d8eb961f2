#!/usr/bin/env bash
# Records every output the toolchain writes for the corpus and the examples, so that a refactor can
# be checked to change none of them: `.eqb` programs on both targets (with their JSON reports, every
# baseline figure included), decoded OpenQASM, the pulse section on the default device, the firmware
# simulation and a trained `.eqcb`. Writes one `sha256  name` line per output, sorted.
#
#   scripts/check-outputs.sh BINARY OUT_DIR > manifest.txt
#   diff manifest-before.txt manifest-after.txt     # empty when nothing changed
#
# Inputs: circuits/examples and, when present, ../shared/corpus/{mqt,qasmbench,qec,paper}.
# Circuits a command refuses are recorded by their error text, so a changed error shows too.
# CORPUS=0 checks the examples alone (a minute); JOBS sets the parallelism (default 2).
set -euo pipefail
bin=$(realpath "$1")
out=$(realpath -m "$2")
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
list="$out/inputs.txt"
{
  ls "$root"/circuits/examples/*.qasm*
  if [ "${CORPUS:-1}" = 1 ] && [ -d "$root/../shared/corpus" ]; then
    find "$root/../shared/corpus"/{mqt,qasmbench,qec,paper} -name '*.qasm' -o -name '*.qasm3' 2>/dev/null \
      | grep -v 'd7_r1000\.' | sort
  fi
} > "$list"

one() {
  local bin=$1 out=$2 f=$3 root=$4
  local key
  key=$(realpath --relative-to="$root/.." "$f" | tr '/' '_')
  for t in native clifford+t; do
    local o="$out/$key.$t"
    if "$bin" assemble "$f" --target "$t" --no-paper --json -o "$o.eqb" > "$o.json" 2> "$o.err"; then
      # Timing fields vary from run to run; everything else is compared.
      sed -i -E 's/"(seconds|elapsed[a-z_]*|[a-z_]*_s|[a-z_]*_ms)": *[0-9.e+-]+/"\1": 0/g' "$o.json"
      "$bin" decode "$o.eqb" -o "$o.decoded.qasm" > /dev/null 2>> "$o.err" || true
    fi
  done
}
export -f one
xargs -a "$list" -P "${JOBS:-2}" -I{} bash -c 'one "$@"' _ "$bin" "$out" {} "$root"

# The pulse path, the firmware simulation, the report and training, on the examples.
for f in "$root"/circuits/examples/*.qasm*; do
  key=examples_$(basename "$f")
  "$bin" assemble "$f" --pulses --no-paper -o "$out/$key.pulses.eqb" > "$out/$key.pulses.txt" 2>&1 || true
  [ -f "$out/$key.pulses.eqb" ] && { "$bin" simulate "$out/$key.pulses.eqb" --json > "$out/$key.simulate.json" 2>&1 || true; }
  "$bin" sim "$f" > "$out/$key.sim.txt" 2>&1 || true
done
"$bin" report "$root"/circuits/examples/*.qasm* --json > "$out/report.json" 2> "$out/report.err" || true
"$bin" train "$root"/circuits/examples --haar 64 -o "$out/train.eqcb" --pulses --pulse-atoms 8 > /dev/null 2> "$out/train.err" || true
# Text outputs may name the output directory; compare them without it.
find "$out" -type f \( -name '*.json' -o -name '*.txt' -o -name '*.err' -o -name '*.qasm' \) ! -name inputs.txt \
  -exec sed -i "s#$out#OUT#g" {} +
(cd "$out" && find . -type f ! -name inputs.txt | sort | xargs sha256sum)

#!/usr/bin/env bash
# Waveform atoms against scikit-learn, in one run on one machine (see dictionary/examples/atoms_bench.rs):
#   1. training to sklearn's RMSE and OMP speed, real embedding, W=32 (64 reals), 128 atoms, K=4;
#   2. complex K-SVD on the training devices, atoms per window on the held-out devices;
#   3. complex K-SVD on every device, with its peak memory (max RSS);
#   4. initial atoms for the production pulse training (unit-norm, phase-normalised, distinct
#      windows; 128 atoms, sparsity 2): sampled windows against k-means centroids (linfa), after
#      0 to 20 K-SVD updates, seeds 1-5: seconds, training and held-out RMSE;
#   5. the PCA baseline (linfa-reduction): held-out RMSE of OMP-s over the learned atoms against
#      the top s, 2s and equal-bit principal components, s = 1, 2, 4.
# Usage: scripts/measure-atoms.sh [ROWS]   (training rows for the sklearn comparison, default 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-100000}
cargo build -q -p eqisa-dictionary --release --example atoms_bench
bin=target/release/examples/atoms_bench
"$bin" peer --window 32 --atoms 128 --k 4 --rows "$rows" --iterations 30
"$bin" heldout --window 32 --atoms 128 --k 4 --iterations 15
/usr/bin/time -v "$bin" all --window 32 --atoms 128 --k 4 --iterations 15 2>&1 |
  grep -E "complex K-SVD|loaded|Maximum resident|Elapsed"
"$bin" init --window 32 --atoms 128 --k 2 --sweep 0,1,2,4,8,12,20 --seeds 1,2,3,4,5 | grep -v '^{'
"$bin" pca --window 32 --atoms 128 --iterations 12 --sweep 1,2,4 --coef-bits 12 | grep -v '^{'

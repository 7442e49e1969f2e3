#!/usr/bin/env bash
# Issue #31 item 4: does quality "high" gain enough from an ensemble to pay for its time?
# Exports the last FCN-8s of each named cross-drive run (the epoch a train + val retrain would
# keep; fp32) to $RUNS/ensemble/<run>.onnx, then scores on the held-out drive 0006R0: each
# alone at standard and high quality, then the first with the others as its --ensemble.
# Scores append to $RUNS/ensemble/scores.jsonl (one `npx fcn eval --json` line each).
# Usage: bash models/experiments/ensemble.sh RUN RUN [RUN...]   e.g. B-bf16 B2-seed1
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-runs}
PY=${PYTHON:-/usr/bin/python3}
(( $# >= 2 )) || { echo "usage: ensemble.sh RUN RUN [RUN...]" >&2; exit 2; }
out="$RUNS/ensemble"
mkdir -p "$out"
models=()
for run in "$@"; do
  onnx="$out/$run.onnx"
  [[ -f $onnx ]] || $PY -m fcn.export --checkpoint "$RUNS/xdrive/$run/fcn8s/last.pt" --out "$onnx" --id "$run-fcn8s"
  models+=("$(realpath "$onnx")")
done
scores=$(realpath "$out")/scores.jsonl
cd ..
score() { npx fcn eval --split train+val --drive 0006R0 --json "$@" | tee -a "$scores"; }
for model in "${models[@]}"; do
  score --model "$model"
  score --model "$model" --quality high
done
members=()
for model in "${models[@]:1}"; do members+=(--ensemble "$model"); done
score --model "${models[0]}" --quality high "${members[@]}"

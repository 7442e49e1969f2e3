#!/usr/bin/env bash
# The cross-drive ablation (issue #13, model card "Ablation"): drive 0006R0 leaves training and
# selects checkpoints, so each score says what a user gets on streets the net never saw.
#   A  today's shipped recipe (fp32), all three stages: the baseline
#   B  A's FCN-32s stage in bf16 autocast: the speed and accuracy of bf16 on this CPU
#   C+ one change at a time on top of the last kept one, FCN-32s stage (the cheapest place to
#      compare recipes; the staged FCN-8s of the chosen recipe follows)
# Runs go to $RUNS/xdrive/<name> (default models/runs, git-ignored); rerunning resumes or skips.
# Usage: bash models/experiments/cross-drive.sh [name...]   (default: every run, in order)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-runs}
PY=${PYTHON:-/usr/bin/python3}
XD=(--holdout-drive 0006R0)

run() {  # run NAME ARGS...: one training run, logged beside its checkpoints
  local name=$1 dir=${1%-fcn8s}; shift
  mkdir -p "$RUNS/xdrive/$dir"
  echo "== $name: $*" >&2
  $PY -m fcn.train --out "$RUNS/xdrive/$dir" "${XD[@]}" "$@" 2>&1 | tee -a "$RUNS/xdrive/$dir/train.log"
}

BASELINE="--width 0.25 --epochs 50 12 36 --lr 2e-3 1e-3 3e-4"
declare -A RECIPES=(
  [A-baseline]="--stage 32 $BASELINE"
  [B-bf16]="--stage 32 --width 0.25 --epochs 50 1 1 --lr 2e-3 1e-3 3e-4 --bf16"
  [C-photometric]="--stage 32 --width 0.25 --epochs 50 1 1 --lr 2e-3 1e-3 3e-4 --bf16 --photometric strong"
  [D-scale]="--stage 32 --width 0.25 --epochs 50 1 1 --lr 2e-3 1e-3 3e-4 --bf16 --photometric strong --scale 0.35 2.5"
  [E-ohem]="--stage 32 --width 0.25 --epochs 50 1 1 --lr 2e-3 1e-3 3e-4 --bf16 --photometric strong --scale 0.35 2.5 --loss ohem"
  [F-lovasz]="--stage 32 --width 0.25 --epochs 50 1 1 --lr 2e-3 1e-3 3e-4 --bf16 --photometric strong --scale 0.35 2.5 --loss ce+lovasz"
  [G-fullframe]="--stage 32 --width 0.25 --epochs 50 1 1 --lr 2e-3 1e-3 3e-4 --bf16 --photometric strong --scale 0.35 2.5 --full-frame-epochs 8"
)
# The baseline's FCN-16s and FCN-8s stages come after the FCN-32s comparisons (same folder:
# its FCN-32s is done and skipped).
RECIPES[A-baseline-fcn8s]="--stage all $BASELINE"
ORDER=(A-baseline B-bf16 C-photometric D-scale E-ohem F-lovasz G-fullframe A-baseline-fcn8s)

for name in "${@:-${ORDER[@]}}"; do
  # shellcheck disable=SC2086
  run "$name" ${RECIPES[$name]}
done

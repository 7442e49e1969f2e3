#!/usr/bin/env bash
# Issue #31's heavy-recipe decision on a lent GPU, in one device call instead of days of the
# 2-core CPU: the folds it still needs (AA-heavy 0016E5 and 0001TP, M-long 0001TP; the 0006R0
# folds are recorded) train side by side on the one GPU, each in its own process (a batch of 8
# leaves most of an H100 idle), with the recipes of recipes.sh unchanged. Each finished fold's
# train.log and its last FCN-8s (fp16 weights, so that a 4.3 M-parameter net comes back under
# the device's 16 MiB a file) go to $OUT. Unfinished folds resume on the next call while the
# machine is warm (runs/gpu is kept between calls).
#
# On the device (repo root; CamVid travels through a git-ignored link, `ln -s ../shared shared`
# here once, and the call's carry ["shared/datasets/camvid"]):
#   FCN_DATA_DIR=shared/datasets/camvid bash models/experiments/gpu-folds.sh
# Back here, with the files the call returned:
#   bash models/experiments/gpu-folds.sh --unpack DIR
# puts them in models/runs/gpu/folds/<recipe>/<drive>/ and scores them as the CPU lanes' folds
# are scored (score-folds.sh, into experiments/fold-scores.jsonl). The CPU lanes' runs of the
# same folds are then redundant: a row they add later replaces these (fcn.report keeps the last
# row of a drive), so stop them or let them stand as a second run of the recipe.
# FOLDS="AA-heavy/0016E5 ..." picks folds; EXTRA="--epochs 1 1 1 --limit 16" shrinks them for a
# trial; BUDGET_S (540) is how long they train in this call (the device allows 600 s a command).
set -euo pipefail
[[ ${1:-} == --unpack ]] && from=$(realpath "${2:?usage: gpu-folds.sh --unpack DIR}")
# Paths given relative to where it was called from, before the cd below.
[[ -n ${FCN_DATA_DIR:-} ]] && FCN_DATA_DIR=$(realpath "$FCN_DATA_DIR") && export FCN_DATA_DIR
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}  # on the device the plain python3 holds PyTorch
source experiments/recipes.sh
export RUNS=runs/gpu
FOLDS=${FOLDS:-"AA-heavy/0016E5 AA-heavy/0001TP M-long/0001TP"}

if [[ ${1:-} == --unpack ]]; then
  PY=${PYTHON:-/usr/bin/python3}
  export PYTHON=$PY
  for fold in $FOLDS; do
    stem="${fold/\//_}"
    [[ -f $from/$stem.fcn8s.pt ]] || { echo "$fold: not in $from, skipped" >&2; continue; }
    mkdir -p "$RUNS/folds/$fold/fcn8s"
    cp "$from/$stem.fcn8s.pt" "$RUNS/folds/$fold/fcn8s/last.pt"
    cp "$from/$stem.train.log" "$RUNS/folds/$fold/train.log"
  done
  for recipe in $(printf '%s\n' $FOLDS | cut -d/ -f1 | sort -u); do
    bash experiments/score-folds.sh --decision "$recipe"  # as heavy-folds.sh scores the CPU lanes'
  done
  exit 0
fi

mkdir -p "$RUNS"
recipe_of() { case $1 in AA-heavy) echo "--stage all $HEAVY_RECIPE" ;; M-long) echo "--stage all $FCN8S_RECIPE" ;; esac; }
pids=()
for fold in $FOLDS; do
  recipe=${fold%/*} drive=${fold#*/}
  # Its own process group (setsid), so that the budget below stops the fold's python too.
  # shellcheck disable=SC2046,SC2086
  DRIVES=$drive THREADS=${THREADS:-4} PYTHON=$PY setsid bash experiments/folds.sh "$recipe" \
    $(recipe_of "$recipe") ${EXTRA:-} >"$RUNS/$recipe.$drive.log" 2>&1 &
  pids+=($!)
done
# A device command is killed at its limit (10 minutes), and this script with it, before it could
# hand anything back; so the folds are stopped after BUDGET_S seconds (checkpoints are atomic: a
# stopped fold loses its current epoch and resumes on the next call) and the finished ones packed.
deadline=$((SECONDS + ${BUDGET_S:-540}))
for pid in "${pids[@]}"; do
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 2; done
done
for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
out=${OUT:-$RUNS/out}
mkdir -p "$out"
for fold in $FOLDS; do
  dir=$RUNS/folds/$fold stem="${fold/\//_}"
  tail -n 3 "$RUNS/${fold/\//.}.log" >&2 || true
  grep -aqE "done in [0-9.]+ min" "$dir/train.log" 2>/dev/null || { echo "$fold: not finished" >&2; continue; }
  cp "$dir/train.log" "$out/$stem.train.log"
  # The weights and what export reads (config, stride, the last epoch's scores), in fp16.
  $PY - "$dir/fcn8s/last.pt" "$out/$stem.fcn8s.pt" <<'EOF'
import sys, torch
state = torch.load(sys.argv[1], map_location="cpu")
model = {k: v.half() if v.is_floating_point() else v for k, v in state["model"].items()}
torch.save({"model": model, "stride": state["stride"], "config": state["config"], "epoch": state["epoch"],
            "history": state["history"][-1:]}, sys.argv[2])
EOF
  echo "$fold: $(ls -l "$out/$stem.fcn8s.pt" | awk '{print $5}') bytes to bring back" >&2
done
exit $status

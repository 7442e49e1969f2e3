#!/usr/bin/env bash
# The three-fold proxy for new streets (issue #31): one recipe trained three times, each of
# CamVid's training drives (0001TP, 0006R0, 0016E5) held out in turn and scored, so a decision
# rests on the fold mean and its spread, not on one drive's streets (one drive alone mis-ranked
# two edge recipes). Cheaper decisions (the edge model, short schedules) use it first.
# Runs go to $RUNS/folds/<name>/<drive> (default models/runs, git-ignored); rerunning resumes.
# Usage: bash models/experiments/folds.sh NAME fcn.train-args...
#   e.g. bash models/experiments/folds.sh B-bf16 --stage 32 --width 0.25 --epochs 50 1 1 --bf16
# Then: python3 -m fcn.report --folds runs/folds/NAME/*   (from models/)
# @DRIVE@ in an argument becomes the fold's held-out drive, so a distilled recipe takes the
# teacher that never saw that drive either, e.g. the shipped edge recipe's folds:
#   bash models/experiments/folds.sh B-teacher --stage all $TEACHER_RECIPE
#   bash models/experiments/folds.sh K-edge $EDGE_RECIPE $DISTILL \
#     --teacher runs/folds/B-teacher/@DRIVE@/fcn8s/best.pt
# THREADS=1 when another training shares the 2-core CPU. DRIVES="..." sets which folds, in order.
# LINKED_FOLD=DRIVE=RUN reuses an existing run of the same recipe (RUN relative to $RUNS) as that
# drive's fold instead of retraining it, when RUN holds a finished FCN-8s.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-runs}
PY=${PYTHON:-/usr/bin/python3}
name=${1:?usage: folds.sh NAME fcn.train-args...}
shift
if [[ -n ${LINKED_FOLD:-} ]]; then
  linked_drive=${LINKED_FOLD%%=*} linked_run=${LINKED_FOLD#*=}
  mkdir -p "$RUNS/folds/$name"
  if [[ -e "$RUNS/$linked_run/fcn8s/last.pt" && ! -e "$RUNS/folds/$name/$linked_drive" ]]; then
    ln -s "../../$linked_run" "$RUNS/folds/$name/$linked_drive"
  fi
fi
# 0016E5 first: with its 204 frames out a fold's epoch is half as long, so a decision's first
# fold finishes soonest.
for drive in ${DRIVES:-0016E5 0001TP 0006R0}; do
  out="$RUNS/folds/$name/$drive"
  mkdir -p "$out"
  args=("${@//@DRIVE@/$drive}")
  echo "== $name, $drive held out: ${args[*]}" >&2
  $PY -m fcn.train --out "$out" --holdout-drive "$drive" --threads "${THREADS:-2}" "${args[@]}" 2>&1 | tee -a "$out/train.log"
done
$PY -m fcn.report --folds "$RUNS/folds/$name"/*

#!/usr/bin/env bash
# Issue #31 item 3, first decision on the three-fold proxy: the edge model. One held-out drive
# (0006R0) ranked the distilled edge recipe (K) 1.5 above the plain one (J), and the withheld
# test split then scored the distilled model 0.7 under the one it replaced. Here each training
# drive is held out in turn, for both recipes, the teacher of each fold never seeing that fold's
# drive either:
#   B-teacher  the shipped edge model's teacher recipe (TEACHER_RECIPE, FCN-32s -> 16s -> 8s)
#   K-edge     the shipped edge recipe distilled from that fold's teacher
#   AC-edge    the heavy edge recipe (EDGE_HEAVY_RECIPE, ResNet-18 1/4, 300 epochs) distilled from
#              that fold's teacher: 0.58 over K on 0006R0 alone, so its folds decide (item 5)
#   J-edge     the shipped edge recipe without a teacher
# The 0006R0 teacher fold is cross-drive.sh's B-bf16 run (the same recipe, seed and drive), linked
# rather than retrained where that run exists (a new machine lost it on 2026-12-07).
# Usage: THREADS=1 bash models/experiments/edge-folds.sh   (resumable: rerun the same command)
# Runs: models/runs/folds/{B-teacher,K-edge,AC-edge,J-edge}/<drive>; each student is scored in
# int8, as the Worker runs it, when its fold finishes; then, from models/:
#   python3 -m fcn.report --versus AC-edge K-edge
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-runs}
source experiments/recipes.sh
export RUNS

# Fold by fold, each drive's four runs together (0016E5's first: its epochs are half as long), so
# a session that ends mid-way has whole folds to score (score-folds.sh) rather than four recipes
# each part-trained.
for drive in ${DRIVES:-0016E5 0001TP 0006R0}; do
  # shellcheck disable=SC2086  # the recipes are word lists
  DRIVES=$drive LINKED_FOLD=0006R0=xdrive/B-bf16 bash experiments/folds.sh B-teacher --stage all $TEACHER_RECIPE
  # shellcheck disable=SC2086
  DRIVES=$drive bash experiments/folds.sh K-edge $EDGE_RECIPE $DISTILL \
    --teacher "$RUNS/folds/B-teacher/@DRIVE@/fcn8s/best.pt"
  # shellcheck disable=SC2086
  DRIVES=$drive bash experiments/folds.sh AC-edge $EDGE_HEAVY_RECIPE $DISTILL \
    --teacher "$RUNS/folds/B-teacher/@DRIVE@/fcn8s/best.pt"
  # shellcheck disable=SC2086
  DRIVES=$drive bash experiments/folds.sh J-edge $EDGE_RECIPE
  for student in K-edge AC-edge J-edge; do  # in int8, recorded (score-folds.sh skips the scored)
    bash experiments/score-folds.sh $student || echo "not scored: score-folds.sh $student" >&2
  done
done

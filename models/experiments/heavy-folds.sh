#!/usr/bin/env bash
# Issue #31: the heavy recipe's FCN-8s against the shipped recipe's on three folds by drive.
# On the held-out drive 0006R0 the heavy recipe's FCN-8s (AA-resnet18-heavy300-from152) ties the
# shipped recipe's at the frames' size (40.38 against 39.76-40.42) but scores 41.93 at
# --input-scale 1.5, where the shipped recipe's nets lose (trained on scales 0.6-1.5, they read
# enlarged scenes worse). A model ships only on the fold mean, so both recipes train with each
# drive held out in turn:
#   AA-heavy  HEAVY_RECIPE
#   M-long    FCN8S_RECIPE, the shipped FCN-8s's (150 FCN-32s epochs)
#   AA-trainval  not a fold: the heavy recipe on train + val, the model it would ship
# Their 0006R0 folds are scored already (experiments/fold-scores.jsonl: the model card's twins
# AA-resnet18-heavy300-from152 and M-long-fcn8s, whose checkpoints a new machine lost), so only
# 0016E5 and 0001TP train, 0016E5 first: without its 204 frames an epoch is half as long.
# Usage: THREADS=1 bash models/experiments/heavy-folds.sh [AA-heavy|M-long|AA-trainval]
#   (default the two folds' recipes, in turn; resumable: rerun the same command; one process per recipe, so two cores run both)
# Each fold is scored when it finishes (score-folds.sh); commit experiments/fold-scores.jsonl,
#   then, from models/: python3 -m fcn.report --versus AA-heavy M-long --input-scales 1.5 1
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-runs}
PY=${PYTHON:-/usr/bin/python3}
source experiments/recipes.sh
export RUNS
export DRIVES=${DRIVES:-"0016E5 0001TP"}
# Each fold is scored as soon as it is trained, at the settings the decision reads, and recorded
# in experiments/fold-scores.jsonl (score-folds.sh skips what it has scored). A failed scoring
# does not stop the lane: its log says so, and the command it names scores the fold later.
score() { bash experiments/score-folds.sh "$@" || echo "not scored: score-folds.sh $*" >&2; }
names=("$@")
(( ${#names[@]} )) || names=(AA-heavy M-long)
for name in "${names[@]}"; do
  case $name in
    AA-heavy)
      for drive in $DRIVES; do
        # shellcheck disable=SC2086  # the recipes are word lists
        DRIVES=$drive bash experiments/folds.sh AA-heavy --stage all $HEAVY_RECIPE
        score --decision AA-heavy
      done ;;
    M-long)
      for drive in $DRIVES; do
        # shellcheck disable=SC2086
        DRIVES=$drive bash experiments/folds.sh M-long --stage all $FCN8S_RECIPE
        score --decision M-long
      done ;;
    AA-trainval)
      # What shipping it would take, started before the folds end: the heavy recipe on every
      # labelled frame, each stage keeping its last epoch (retrain.sh's way)
      mkdir -p "$RUNS/shipped"
      # shellcheck disable=SC2086
      $PY -m fcn.train --out "$RUNS/shipped/resnet18-w05-heavy" --train-split train+val \
        --threads "${THREADS:-2}" $HEAVY_RECIPE 2>&1 | tee -a "$RUNS/shipped/resnet18-w05-heavy.log" ;;
    *) echo "unknown recipe: $name (AA-heavy, M-long or AA-trainval)" >&2; exit 2 ;;
  esac
done

#!/usr/bin/env bash
# Issue #31's long from-scratch runs, started or resumed (each resumes from its last.pt), one
# thread each in the background, so two share the 2-core CPU and the rest of the work goes on:
#   AA-resnet18-heavy600            the leaders' recipe on the ResNet-18 layout at 1/2 width:
#                                   600 FCN-32s epochs, random scale 0.5-2.0, 288-pixel crops,
#                                   strong photometric jitter, poly schedule, bf16; decide at
#                                   150 and 300 epochs against M (37.62) and U (37.84 at 300)
#   AA-resnet18-heavy300-from152    AA branched at epoch 152 onto a 300-epoch poly schedule: at 150
#                                   AA tied U (37.33 vs 37.42), not ahead, so it pauses (resumable)
#                                   and this branch asks at half the cost whether the heavy recipe
#                                   pays at 300 epochs, where U stopped gaining (37.84)
#   AB-edge-resnet18-w025-heavy300  the same recipe for the edge model: ResNet-18 1/4 width
#                                   FCN-32s at the edge's 320x240 (scale 0.33-1.33 of the
#                                   480x360 frames, 224 crops), 300 epochs, against J-edge
#                                   (33.58 at 80, no teacher) and T-edge-long (34.79 at 240)
#   AC-edge-resnet18-w025-distill   AB distilled from B's FCN-8s (the shipped edge's teacher recipe,
#                                   cross-drive.sh B-bf16-fcn8s writes it): K's +1.5 over J came
#                                   from the teacher; AB without one ended 0.26 under K
# All hold drive 0006R0 out (the twins' drive). Runs and logs: models/runs/xdrive/<name>{,.log}.
# Usage (from anywhere): bash models/experiments/long-runs.sh NAME [NAME ...]
#   These runs finished or stopped (model card), and a new machine lost their checkpoints: the
#   folds (queue.sh) are what decides now. Name a run to train it again as the card's twin.
# Progress: grep -a "epoch [0-9]*:" models/runs/xdrive/<name>.log | tail
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-/usr/bin/python3}
source experiments/recipes.sh
# Each recipe in full from recipes.sh (the folds train the same ones), so they agree by construction
declare -A RECIPES=(
  [AA-resnet18-heavy600]="${HEAVY_RECIPE/--epochs 300 /--epochs 600 }"
  [AA-resnet18-heavy300-from152]="$HEAVY_RECIPE"
  [AB-edge-resnet18-w025-heavy300]="$EDGE_HEAVY_RECIPE"
)
RECIPES[AC-edge-resnet18-w025-distill]="${RECIPES[AB-edge-resnet18-w025-heavy300]} \
--teacher runs/xdrive/B-bf16/fcn8s/best.pt $DISTILL"
(( $# )) || { echo "usage: long-runs.sh NAME...: ${!RECIPES[*]}" >&2; exit 2; }
for name in "$@"; do
  if pgrep -f -- "--out runs/xdrive/$name " >/dev/null; then echo "$name: already running" >&2; continue; fi
  teacher=$(grep -o -- "--teacher [^ ]*" <<<"${RECIPES[$name]}" | cut -d" " -f2 || true)
  if [[ -n $teacher && ! -f $teacher ]]; then
    echo "$name: waits for its teacher $teacher (bash experiments/cross-drive.sh B-bf16-fcn8s)" >&2
    continue
  fi
  mkdir -p runs/xdrive
  # shellcheck disable=SC2086
  nohup $PY -m fcn.train --out "runs/xdrive/$name" --holdout-drive 0006R0 ${RECIPES[$name]} --threads 1 \
    >>"runs/xdrive/$name.log" 2>&1 &
  echo "$name: started (pid $!), log runs/xdrive/$name.log" >&2
done

#!/usr/bin/env bash
# Retrain and re-export every shipped model with one command (`npm run train`):
#   1. the staged VGG16-layout FCN (1/4 width) on all 468 labelled frames (train + val), in bf16:
#      FCN-32s (150 epochs) -> FCN-16s -> FCN-8s. With nothing left to select on, each stage
#      keeps its last epoch; the epochs are those its held-out-drive twin (2) was run with.
#   2. that twin: the same recipe with drive 0006R0 left out of training and scored (the
#      cross-drive ablation's M-long and its FCN-16s/8s stages). Its last epoch's held-out-drive
#      and val scores are the ones the FCN-8s's metadata, GET /v1/models and the card report.
#   3. the edge model's teacher: the same net on the shorter schedule (50 FCN-32s epochs), and its
#      twin (B-bf16 and its stages): as a teacher it beat the long FCN-8s (see the card)
#   4. the edge FCN-32s (VGG16 layout with a strided stem, 1/8 width) on train + val for its
#      320x240 preview resolution, distilled from the teacher of step 3 (the teacher's scores are
#      an extra target); its twin is the cross-drive ablation's K-edge-distill (teacher: the
#      teacher's twin), beside J-edge, the same recipe without the teacher
#   5. export models/fcn8s.onnx (with the coarse output for shift-and-stitch), quantise
#      models/fcn32s-edge-int8.onnx on its training frames (its first three convolutions stay
#      float and its graph stops at the coarse scores: both are faster in onnxruntime-web, see
#      the model card), and score both twins, the edge's in int8, on the held-out drive.
# Checkpoints go to $RUNS (default models/runs, git-ignored); rerunning resumes.
# On this 2-core CPU the whole run takes about 9 hours (FCN-8s about 3.5 h and its twin 2 h, beside
# other training; the teacher 71 min and its twin 61; edge 71 and its twins 34 + 48); on a GPU
# machine, minutes.
set -euo pipefail
cd "$(dirname "$0")"
RUNS=${RUNS:-runs}
PY=${PYTHON:-/usr/bin/python3}
export PATH="$PWD/../node_modules/.bin:$PATH"
source experiments/recipes.sh  # FCN8S_RECIPE, TEACHER_RECIPE, EDGE_RECIPE, DISTILL, EDGE_QUANTIZE

# shellcheck disable=SC2086  # the recipes are word lists
$PY -m fcn.train --out "$RUNS/shipped/vgg16-w025-long" --train-split train+val $FCN8S_RECIPE
RUNS=$RUNS bash experiments/cross-drive.sh M-long M-long-fcn8s
# shellcheck disable=SC2086
$PY -m fcn.train --out "$RUNS/shipped/vgg16-w025" --train-split train+val $TEACHER_RECIPE
RUNS=$RUNS bash experiments/cross-drive.sh B-bf16 B-bf16-fcn8s
# shellcheck disable=SC2086
$PY -m fcn.train --out "$RUNS/shipped/edge-distill" --train-split train+val $EDGE_RECIPE $DISTILL \
  --teacher "$RUNS/shipped/vgg16-w025/fcn8s/best.pt"
RUNS=$RUNS bash experiments/cross-drive.sh J-edge K-edge-distill

$PY -m fcn.export --checkpoint "$RUNS/shipped/vgg16-w025-long/fcn8s/best.pt" --out fcn8s.onnx \
  --id fcn8s-vgg16-w025-trainval-e150 --coarse --recipe-run "$RUNS/xdrive/M-long/fcn8s/last.pt"
$PY -m fcn.export --checkpoint "$RUNS/xdrive/M-long/fcn8s/last.pt" --out "$RUNS/fcn8s-twin.onnx" --id fcn8s-twin \
  --coarse --skip-parity
# shellcheck disable=SC2086
$PY -m fcn.quantize --checkpoint "$RUNS/shipped/edge-distill/fcn32s/best.pt" --out fcn32s-edge-int8.onnx \
  --id fcn32s-vgg16ss-w0125-trainval-int8 --recipe-run "$RUNS/xdrive/K-edge-distill/fcn32s/last.pt" $EDGE_QUANTIZE
# shellcheck disable=SC2086
$PY -m fcn.quantize --checkpoint "$RUNS/xdrive/K-edge-distill/fcn32s/last.pt" --out "$RUNS/edge-twin-int8.onnx" \
  --id edge-twin-int8 $EDGE_QUANTIZE
biome format --write fcn8s.meta.json  # the Worker imports it: keep it in the repo's format
npx fcn eval --model "$RUNS/fcn8s-twin.onnx" --split train+val --drive 0006R0
npx fcn eval --model "$RUNS/edge-twin-int8.onnx" --split train+val --drive 0006R0

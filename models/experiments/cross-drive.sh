#!/usr/bin/env bash
# The cross-drive ablation (issue #13, model card "Ablation"): drive 0006R0 leaves training and
# selects checkpoints, so each score says what a user gets on streets the net never saw.
#   A  today's shipped recipe (fp32), all three stages: the baseline
#   B  A's FCN-32s stage in bf16 autocast: the speed and accuracy of bf16 on this CPU
#   C-G, L, N, S, V, W one change each on top of B, FCN-32s stage (the cheapest place to compare recipes):
#      each is measured alone against B, so a queue left running across sessions never builds
#      on a change that turned out not to help (C, photometric, ended 0.9 below B: 34.40
#      against 35.33 at epoch 50). The changes that beat B are then combined, and the staged
#      FCN-8s of that recipe follows. L: class weights median-frequency^1 instead of ^0.5 (thin classes);
#      N: a moving average of the weights (--ema) is scored and kept; S: ClassMix (--mix);
#      V: every training drive drawn equally often (--balance-drives); W: dropout 0.5.
#   H, I the paper's backbone comparison (its Table 1): AlexNet and Inception layouts as FCN-32s
#      with B's recipe (B is the VGG16 row), at widths whose training step costs about what
#      VGG16 1/4 costs (`python3 -m fcn.compare`; see the model card)
#   B-bf16-fcn8s B's FCN-16s and FCN-8s stages: the held-out scores of the recipe that ships
#      (nothing single beat B, so the shipped models are B's recipe on train+val, retrain.sh)
#   J, K the edge FCN-32s without and with distillation from B's FCN-8s; K runs only once
#      that checkpoint exists (B-bf16-fcn8s writes it earlier in the queue)
#   M  B's schedule three times as long (all three stages): the next shipped FCN-8s's recipe;
#      P, Q single changes to its FCN-8s stage alone; R the edge distilled from its FCN-8s,
#      T the same for three times the epochs
#   U  M's FCN-32s stage twice as long again (300 epochs), then its FCN-16s and FCN-8s stages;
#      X the same stages from U's last FCN-32s epoch, as a train + val retrain would start them
#   Y, Z B at 3/8 and 1/2 width: once more epochs stopped carrying to new streets (U), does width?
#      3/8 is the widest FCN-8s the 16 MB budget holds (in fp16 weights); 1/2 shows the trend.
#      Both ended where B did (35.26, 35.03 against 35.25 for B run beside them)
# Runs go to $RUNS/xdrive/<name> (default models/runs, git-ignored); rerunning resumes or skips.
# Usage: bash models/experiments/cross-drive.sh [name...]   (default: every run, in order)
# THREADS=1 when another training shares the 2-core CPU (two 2-thread runs would oversubscribe it).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-runs}
PY=${PYTHON:-/usr/bin/python3}
XD=(--holdout-drive 0006R0 --threads "${THREADS:-2}")
source experiments/recipes.sh

run() {  # run NAME ARGS...: one training run, logged beside its checkpoints
  local name=$1 dir=${1%-fcn8s}; shift
  mkdir -p "$RUNS/xdrive/$dir"
  echo "== $name: $*" >&2
  $PY -m fcn.train --out "$RUNS/xdrive/$dir" "${XD[@]}" "$@" 2>&1 | tee -a "$RUNS/xdrive/$dir/train.log"
}

BASELINE="--width 0.25 --epochs 50 12 36 --lr 2e-3 1e-3 3e-4"
# B's FCN-32s stage, once: each single change below is written on top of it.
B="--stage 32 --width 0.25 --epochs 50 1 1 --lr 2e-3 1e-3 3e-4 --bf16"
declare -A RECIPES=(
  [A-baseline]="--stage 32 $BASELINE"
  [B-bf16]="$B"
  [C-photometric]="$B --photometric strong"
  [D-scale]="$B --scale 0.35 2.5"
  [E-ohem]="$B --loss ohem"
  [F-lovasz]="$B --loss ce+lovasz"
  [G-fullframe]="$B --full-frame-epochs 8"
  [L-classweights]="$B --class-weight-power 1.0"
)
# Backbones at the same CPU budget as VGG16 1/4 (bf16, batch 8, 224px crops, 1 thread, shared
# CPU, fastest of several steps): VGG16 1/4 0.49 s, AlexNet 1/2 0.44-0.48 s (1/4: 0.39 s;
# 3/4: 0.74 s), Inception 1/4 0.52-0.62 s (5/16: 1.07 s). Neither scales with MACs alone.
RECIPES[H-alexnet]="--stage 32 --backbone alexnet --width 0.5 --epochs 50 1 1 --lr 2e-3 1e-3 3e-4 --bf16"
RECIPES[I-inception]="--stage 32 --backbone inception --width 0.25 --epochs 50 1 1 --lr 2e-3 1e-3 3e-4 --bf16"
# The edge pair: the shipped edge recipe (strided-stem VGG16 at 1/8, 224px crops at scale
# 0.4-1.0, validated at its 320x240 preview size) on the cross-drive split, then the same with
# B's FCN-8s as teacher (it never saw the held-out drive either).
TEACHER="$RUNS/xdrive/B-bf16/fcn8s/best.pt"
RECIPES[J-edge]="$EDGE_RECIPE"
RECIPES[K-edge-distill]="$EDGE_RECIPE --teacher $TEACHER $DISTILL"
# The FCN-16s and FCN-8s stages (same folder: the FCN-32s is done and skipped). A's, in fp32,
# only if there is time: B's are the edge model's teacher's recipe.
RECIPES[A-baseline-fcn8s]="--stage all $BASELINE"
RECIPES[B-bf16-fcn8s]="--stage all $TEACHER_RECIPE"
# M: B for three times the epochs. B was still rising at its 50th (34.97, 35.26, 35.33 at 40, 45,
# 50) and published from-scratch CamVid nets train for ~1000: is the schedule the limit?
LONG="$FCN8S_RECIPE"  # B with a 150-epoch FCN-32s
RECIPES[M-long]="--stage 32 $LONG"
# M's FCN-16s and FCN-8s stages (B's 12 and 36 epochs): M beat B by 2.3 on the held-out drive
# (37.62 against 35.33 at their last epochs), so the long schedule is the shipped FCN-8s's recipe.
RECIPES[M-long-fcn8s]="--stage all $LONG"
# N: B scoring and keeping a moving average of its weights (decay 0.995: the last ~200 of its
# 1700 steps), a free change at inference that usually generalises a little better.
RECIPES[N-ema]="$B --ema 0.995"
# P, Q: one change each to the long recipe's FCN-8s stage alone, from M's FCN-16s: the same init,
# seed and batches as M-long-fcn8s (39.76 at its last epoch), so a difference is the change's.
# Cheap (20-40 min each), and the train + val retrain's FCN-8s stage can still take a winner.
# (EMA is not among them: N showed it adds nothing at the end of a cosine schedule.)
LONG8="--stage 8 --init $RUNS/xdrive/M-long/fcn16s/best.pt $LONG"
RECIPES[P-long8s-72]="$LONG8 --epochs 150 12 72"  # the last --epochs wins: 72 FCN-8s epochs, not 36
RECIPES[Q-long8s-fullframe]="$LONG8 --full-frame-epochs 6"
# R: K's edge recipe distilled from the long recipe's FCN-8s twin (39.76 against B's 37.12 on
# the held-out drive): would the edge model gain from the stronger teacher? (No: 33.83, see T.)
RECIPES[R-edge-distill-long]="$EDGE_RECIPE --teacher $RUNS/xdrive/M-long/fcn8s/best.pt $DISTILL"
# T: K three times as long (240 epochs): the schedule was the FCN-8s's lever (M), is it the edge's?
# (K's teacher, not R's: R scored 33.83 against K's 35.05, so the stronger teacher did not help.)
RECIPES[T-edge-long]="${RECIPES[K-edge-distill]} --epochs 240 1 1"  # the last --epochs wins
# S: B + ClassMix (half the classes of one crop pasted onto the next): objects in streets they
# were never seen in, aimed at the drive-to-drive gap the held-out score measures.
RECIPES[S-classmix]="$B --mix classmix"
# U: M's FCN-32s stage twice as long again (300 epochs): 3x the epochs gained 2.3 (B -> M); do
# the returns go on? (Hours at one thread: it spans sessions, resumably.)
RECIPES[U-long300]="--stage 32 $LONG --epochs 300 12 36"  # the last --epochs wins
# V: B drawing every training drive equally often (--balance-drives): 0016E5 is 204 of the 266
# training frames here (305 of 468 in the shipped models' train + val), the drive the held-out
# score says the nets over-learn; 0001TP, the dusk drive the test split shares, is 62.
RECIPES[V-balance-drives]="$B --balance-drives"
# W: B with the paper's dropout in fc6/fc7 (0.5 instead of 0.1): more regularisation against
# learning one drive's streets by heart.
RECIPES[W-dropout]="$B --dropout 0.5"
# U's FCN-16s and FCN-8s stages (M's 12 and 36 epochs), to be set against M-long-fcn8s (39.76).
RECIPES[U-long300-fcn8s]="--stage all $LONG --epochs 300 12 36"
# X: U's FCN-16s and FCN-8s stages started from its last FCN-32s epoch (300) instead of its best
# on the held-out drive (215, 0.6 above the last): the train + val retrain keeps last epochs, so
# this is the fair estimate of what it would ship. The FCN-8s starts from X's own FCN-16s.
U_LAST="$LONG --epochs 300 12 36 --init $RUNS/xdrive/U-long300/fcn32s/last.pt"
RECIPES[X-long300-last]="--stage 16 $U_LAST"
RECIPES[X-long300-last-fcn8s]="--stage 8 $LONG --epochs 300 12 36 --init $RUNS/xdrive/X-long300-last/fcn16s/best.pt"
# B2: B's recipe, all three stages, with another seed (other initial weights, crops and order):
# with B-bf16-fcn8s, two independently trained FCN-8s of one recipe, so the ensemble quality
# "high" can average (issue #31 item 4) is scored against each member alone, gain per cost.
RECIPES[B2-seed1-fcn8s]="--stage all $TEACHER_RECIPE --seed 1"
# AD, AE: the ResNet-18 layout at 1/2 width on B's recipe (the backbone table's rows, issue #31
# item 1), as is and with its last stage dilated (output stride 16, 1.75x the MACs).
RECIPES[AD-resnet18]="$B --backbone resnet18 --width 0.5"
RECIPES[AE-resnet18-dilated]="$B --backbone resnet18 --width 0.5 --dilate-last"
# Their FCN-16s and FCN-8s stages (B's 12 and 36 epochs): does the dilated net's lead carry?
RECIPES[AD-resnet18-fcn8s]="--stage all $TEACHER_RECIPE --backbone resnet18 --width 0.5"
RECIPES[AE-resnet18-dilated-fcn8s]="--stage all $TEACHER_RECIPE --backbone resnet18 --width 0.5 --dilate-last"
RECIPES[Y-width375]="$B --width 0.375"  # the last --width wins
RECIPES[Z-width50]="$B --width 0.5"
# Order: what decides the shipped models first (B's FCN-8s, then the edge pair), then the
# backbone rows the card's table waits for, then the schedule and the single changes still to
# measure (M-long alone is 150 epochs: it spans sessions).
ORDER=(A-baseline B-bf16 C-photometric D-scale E-ohem B-bf16-fcn8s J-edge K-edge-distill H-alexnet I-inception
  M-long F-lovasz G-fullframe L-classweights M-long-fcn8s N-ema
  P-long8s-72 Q-long8s-fullframe R-edge-distill-long S-classmix T-edge-long U-long300 U-long300-fcn8s V-balance-drives W-dropout
  X-long300-last X-long300-last-fcn8s Y-width375 Z-width50 A-baseline-fcn8s B2-seed1-fcn8s
  AD-resnet18 AE-resnet18-dilated AD-resnet18-fcn8s AE-resnet18-dilated-fcn8s)
NEEDS_TEACHER=(K-edge-distill T-edge-long)

names=("$@")
if (( ${#names[@]} == 0 )); then names=("${ORDER[@]}"); fi
for name in "${names[@]}"; do
  [[ -v "RECIPES[$name]" ]] || { echo "unknown run: $name" >&2; exit 2; }
  # Checked when the run is reached, not at start: in a full queue the teacher is written by
  # B-bf16-fcn8s, which comes first.
  if [[ " ${NEEDS_TEACHER[*]} " == *" $name "* && ! -f $TEACHER ]]; then
    echo "== $name: skipped, no teacher checkpoint at $TEACHER (run B-bf16-fcn8s first)" >&2
    continue
  fi
  # shellcheck disable=SC2086
  run "$name" ${RECIPES[$name]}
done

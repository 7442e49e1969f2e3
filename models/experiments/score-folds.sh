#!/usr/bin/env bash
# Scores one recipe's finished folds as the tiers run them, each on the drive it held out, with
# the given eval options (--input-scale, --quality high):
#   a staged recipe   the fold's last FCN-8s (the epoch a train + val retrain keeps), exported
#                     once to <fold>/fcn8s.onnx
#   an edge recipe    its last FCN-32s quantised to int8 as the shipped edge model is
#                     (EDGE_QUANTIZE, calibrated on the fold's own training frames), once, to
#                     <fold>/edge-int8.onnx
# A fold still training (its train.log has no "done in" yet) is skipped, never scored half-way,
# and so is one already scored with these options (a marker in the fold; RESCORE=1 scores again),
# so the queue's lanes call this after every fold.
# Each score is appended, with the recipe's name, to experiments/fold-scores.jsonl, which is
# committed: a fold scored once counts in every later session, whatever happens to the machine
# and its checkpoints. The fold mean and spread are printed.
# Usage: bash models/experiments/score-folds.sh NAME [npx fcn eval options...]
#   e.g. bash models/experiments/score-folds.sh AA-heavy --input-scale 1.5
#        bash models/experiments/score-folds.sh --decision AA-heavy   (every setting its decision reads)
# Then, from models/, the ship rule on two recipes' scores (fold by fold, at the scales given):
#   python3 -m fcn.report --versus AA-heavy M-long --input-scales 1.5 1
set -euo pipefail
# The settings the heavy decision reads (heavy-folds.sh and gpu-folds.sh score each fold so): the
# heavy recipe enlarged 1.5x, as it is, and 1.5x at quality high; the shipped recipe as it is.
if [[ ${1:-} == --decision ]]; then
  case ${2:-} in
    AA-heavy) settings=("--input-scale 1.5" "--input-scale 1" "--input-scale 1.5 --quality high") ;;
    M-long) settings=("" "--quality high") ;;
    *) echo "usage: score-folds.sh --decision AA-heavy|M-long" >&2; exit 2 ;;
  esac
  status=0
  for setting in "${settings[@]}"; do
    # shellcheck disable=SC2086  # a word list
    bash "$0" "$2" $setting || status=1
  done
  exit $status
fi
cd "$(dirname "$0")/.."
RUNS=${RUNS:-runs}
PY=${PYTHON:-/usr/bin/python3}
source experiments/recipes.sh  # EDGE_QUANTIZE
# Both queue lanes score the heavy recipe's folds: one scoring at a time, so a fold is never
# exported or recorded twice (the second finds the first's marker and skips it).
mkdir -p "$RUNS"
exec 9>>"$RUNS/score-folds.lock"
flock 9
name=${1:?usage: score-folds.sh NAME [npx fcn eval options...]}
shift
if [[ ! -d $RUNS/folds/$name ]]; then
  echo "$name: no folds in $RUNS/folds yet, nothing to score" >&2
  exit 0
fi
folds=$(realpath "$RUNS/folds/$name")
recorded=$(realpath "${FOLD_SCORES:-experiments/fold-scores.jsonl}")  # elsewhere for a trial
lines=()
for fold in "$folds"/*/; do
  drive=$(basename "$fold")
  if ! grep -aqE "done in [0-9.]+ min" "$fold/train.log" 2>/dev/null; then
    echo "$name/$drive: still training, skipped" >&2
    continue
  fi
  marker="$fold/.scored$(printf '%s' " $*" | tr -c 'A-Za-z0-9.' _)"
  if [[ -f $marker && -z ${RESCORE:-} ]]; then
    echo "$name/$drive: scored already with these options" >&2
    continue
  fi
  if [[ -f $fold/fcn8s/last.pt ]]; then
    onnx="$fold/fcn8s.onnx"
    [[ -f $onnx ]] || $PY -m fcn.export --checkpoint "$fold/fcn8s/last.pt" --out "$onnx" --id "$name-$drive-fcn8s" >&2
  else
    onnx="$fold/edge-int8.onnx"
    # shellcheck disable=SC2086  # a word list
    [[ -f $onnx ]] || $PY -m fcn.quantize --checkpoint "$fold/fcn32s/last.pt" --out "$onnx" \
      --id "$name-$drive-edge-int8" $EDGE_QUANTIZE >&2
  fi
  row=$(cd .. && npx fcn eval --model "$onnx" --split train+val --drive "$drive" --json "$@")
  lines+=("$(NAME=$name $PY -c 'import json, os, sys; print(json.dumps({"recipe": os.environ["NAME"], **json.load(sys.stdin)}))' <<<"$row")")
  echo "${lines[-1]}" >>"$recorded"
  touch "$marker"
done
printf '%s\n' "${lines[@]}" | $PY -c '
import json, statistics, sys
rows = [json.loads(line) for line in sys.stdin if line.strip()]
ious = [100 * r["meanIU"] for r in rows]
for r, iou in zip(rows, ious):
    print("%s: %.2f  (%s, input scale %s)" % (r["drive"], iou, r["quality"], r.get("inputScale", 1)))
if ious:
    spread = f", spread {max(ious) - min(ious):.2f}" if len(ious) > 1 else ""
    print(f"fold mean {statistics.mean(ious):.2f} over {len(ious)} folds{spread}")
'

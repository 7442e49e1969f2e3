#!/usr/bin/env bash
# Scores one recipe's folds as the tiers run them: each fold's last FCN-8s (the epoch a
# train + val retrain keeps) exported once to <fold>/fcn8s.onnx, then `npx fcn eval` on the
# drive that fold held out, with the given eval options (--input-scale, --quality high). Each
# score is appended, with the recipe's name, to experiments/fold-scores.jsonl, which is committed:
# a fold scored once counts in every later session, whatever happens to the machine and its
# checkpoints. The fold mean and spread are printed.
# Usage: bash models/experiments/score-folds.sh NAME [npx fcn eval options...]
#   e.g. bash models/experiments/score-folds.sh AA-heavy --input-scale 1.5
# Then, from models/, the ship rule on two recipes' scores (fold by fold, at the scales given):
#   python3 -m fcn.report --versus AA-heavy M-long --input-scales 1.5 1
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-runs}
PY=${PYTHON:-/usr/bin/python3}
name=${1:?usage: score-folds.sh NAME [npx fcn eval options...]}
shift
folds=$(realpath "$RUNS/folds/$name")
recorded=$(realpath experiments/fold-scores.jsonl)
lines=()
for fold in "$folds"/*/; do
  drive=$(basename "$fold")
  [[ -f $fold/fcn8s/last.pt ]] || { echo "$name/$drive: no FCN-8s yet, skipped" >&2; continue; }
  onnx="$fold/fcn8s.onnx"
  [[ -f $onnx ]] || $PY -m fcn.export --checkpoint "$fold/fcn8s/last.pt" --out "$onnx" --id "$name-$drive-fcn8s" >&2
  row=$(cd .. && npx fcn eval --model "$onnx" --split train+val --drive "$drive" --json "$@")
  lines+=("$(NAME=$name $PY -c 'import json, os, sys; print(json.dumps({"recipe": os.environ["NAME"], **json.load(sys.stdin)}))' <<<"$row")")
  echo "${lines[-1]}" >>"$recorded"
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

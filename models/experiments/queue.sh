#!/usr/bin/env bash
# Issue #31's long runs, in the order they are wanted, on two lanes of one thread each (the
# 2-core CPU), started in the background. Every run resumes from its last finished epoch and a
# finished one returns at once, so this one command is what each session runs first:
#   lane 1  the heavy recipe's 0016E5 fold (AA-heavy), then the heavy recipe on train + val
#           (AA-trainval: what would ship if the folds say so)
#   lane 2  the shipped recipe's folds (M-long) it is compared with, then the heavy recipe's
#           0001TP fold, then the edge folds (edge-folds.sh: teacher, K, AC and J, fold by fold)
# Each lane names the drives it trains, so the two never train one fold at once. Since
# 2026-12-08 the heavy 0001TP fold follows M-long on lane 2 and AA-trainval starts as soon as
# lane 1's fold ends: the shipping model starts some 9 h of epochs sooner and the decision lands
# about as soon, while the edge folds (the smaller, cheaper decision) wait as long. The heavy
# recipe led on every reading so far (0006R0 scored, 0016E5 mid-way), so training its shipping
# model before the last fold is scored is the better bet; if the folds go against it, stop
# AA-trainval and give lane 1 edge folds instead.
# A lane already running (its lock held) is left alone. Logs: models/runs/queue-lane<N>.log;
# where every run stands (from models/):
#   python3 -m fcn.report --status runs/folds/*/* runs/shipped/*/
# Usage: bash models/experiments/queue.sh
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p runs
# Folds scored since the last commit: the scores outlive this machine only once committed.
uncommitted=$(git diff --numstat -- experiments/fold-scores.jsonl 2>/dev/null | cut -f1)
if [[ -n $uncommitted ]]; then
  echo "experiments/fold-scores.jsonl has $uncommitted scores not committed yet: commit them" >&2
fi
export THREADS=${THREADS:-1}
lanes=(
  "DRIVES=0016E5 bash experiments/heavy-folds.sh AA-heavy && bash experiments/heavy-folds.sh AA-trainval"
  "bash experiments/heavy-folds.sh M-long && DRIVES=0001TP bash experiments/heavy-folds.sh AA-heavy && bash experiments/edge-folds.sh"
)
for i in "${!lanes[@]}"; do
  lane=$((i + 1))
  lock="runs/queue-lane$lane.lock"
  if ! flock -n "$lock" true; then
    echo "lane $lane: already running" >&2
    continue
  fi
  # The lock is held by the lane's shell for as long as its runs go on.
  nohup flock -n "$lock" bash -c "${lanes[$i]}" >>"runs/queue-lane$lane.log" 2>&1 &
  echo "lane $lane: started (pid $!): ${lanes[$i]}" >&2
done

#!/usr/bin/env bash
# Full benchmark: both clients, same broker, same run. Results as JSON lines in results/run-<ts>.jsonl.
# usage: bash run-all.sh [RUNS=3] [COUNT=1000000]
set -euo pipefail
cd "$(dirname "$0")"
RUNS="${1:-3}"; COUNT="${2:-1000000}"
TS="$(date +%Y%m%d-%H%M%S)"; OUT="results/run-$TS.jsonl"; mkdir -p results
P="kb-$TS"   # unique topic prefix
CLI=./kafka-cli.sh
topics=()
cleanup() { for t in "${topics[@]}"; do $CLI delete "$t" >/dev/null 2>&1 || true; done; }
trap cleanup EXIT
mk() { $CLI create "$1" 6 >/dev/null; topics+=("$1"); }
total() { $CLI offsets "$1" | awk -F: '{s+=$3} END {print s}'; }

echo "# host: $(nproc) cores, node $(node --version), $(date -Is)" | tee -a "$OUT"
# 1) producer throughput, interleaved p/c to spread machine noise
for r in $(seq 1 "$RUNS"); do
  for c in platformatic confluent; do
    t="$P-prod-$c-$r"; mk "$t"
    line="$(timeout 600 node produce.mjs --client "$c" --topic "$t" --count "$COUNT")"
    n="$(total "$t")"
    echo "${line%\}},\"run\":$r,\"inTopic\":$n}" | tee -a "$OUT"
  done
done
# 2) consumer throughput: every run reads the same 1M-message topic (produced by run 1) with a fresh group
SRC="$P-prod-platformatic-1"
for r in $(seq 1 "$RUNS"); do
  for spec in "platformatic message" "confluent message" "confluent batch"; do
    set -- $spec
    line="$(timeout 600 node consume.mjs --client "$1" --api "$2" --topic "$SRC" --count "$COUNT" --group "$P-g-$1-$2-$r")"
    echo "${line%\}},\"run\":$r}" | tee -a "$OUT"
  done
done
# 3) failover: session 6000 ms, heartbeat 1000 ms, kill -9 one of two members
for c in platformatic confluent; do
  t="$P-fo-$c"; mk "$t"
  timeout 900 node failover.mjs --client "$c" --topic "$t" --runs "$RUNS" --session 6000 --heartbeat 1000 | tee -a "$OUT"
done
echo "results: $OUT"

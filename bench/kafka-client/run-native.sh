#!/usr/bin/env bash
# Second interleaved round: confluent's callback API and a smaller librdkafka prefetch queue next to
# platformatic and the default confluent eachBatch, on one fresh 1M topic. usage: bash run-native.sh [RUNS=3]
set -euo pipefail
cd "$(dirname "$0")"
RUNS="${1:-3}"; TS="$(date +%Y%m%d-%H%M%S)"; OUT="results/native-$TS.jsonl"; P="kbn-$TS"; CLI=./kafka-cli.sh
topics=(); cleanup() { for t in "${topics[@]}"; do $CLI delete "$t" >/dev/null 2>&1 || true; done; }; trap cleanup EXIT
mk() { $CLI create "$1" 6 >/dev/null; topics+=("$1"); }
total() { $CLI offsets "$1" | awk -F: '{s+=$3} END {print s}'; }
for r in $(seq 1 "$RUNS"); do
  t="$P-prod-native-$r"; mk "$t"
  line="$(timeout 600 node confluent-native.mjs --mode produce --topic "$t")"; echo "${line%\}},\"run\":$r,\"inTopic\":$(total "$t")}" | tee -a "$OUT"
  t="$P-prod-platformatic-$r"; mk "$t"
  line="$(timeout 600 node produce.mjs --client platformatic --topic "$t")"; echo "${line%\}},\"run\":$r,\"inTopic\":$(total "$t")}" | tee -a "$OUT"
done
SRC="$P-prod-platformatic-1"
for r in $(seq 1 "$RUNS"); do
  timeout 600 node consume.mjs --client platformatic --topic "$SRC" --group "$P-gp-$r" | tee -a "$OUT"
  timeout 600 node consume.mjs --client confluent --api batch --topic "$SRC" --group "$P-gb-$r" | tee -a "$OUT"
  timeout 600 node consume.mjs --client confluent --api batch --topic "$SRC" --group "$P-gq-$r" --rdkafka '{"queued.max.messages.kbytes":16384}' | tee -a "$OUT"
  timeout 600 node confluent-native.mjs --mode consume --topic "$SRC" --group "$P-gn-$r" | tee -a "$OUT"
done
echo "results: $OUT"

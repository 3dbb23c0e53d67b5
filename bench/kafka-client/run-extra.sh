#!/usr/bin/env bash
# Supplementary runs: failover variants (heartbeat 500 ms, KIP-848 'consumer' protocol, static membership)
# and a confluent consumer with a smaller librdkafka prefetch queue. usage: bash run-extra.sh
set -euo pipefail
cd "$(dirname "$0")"
TS="$(date +%Y%m%d-%H%M%S)"; OUT="results/extra-$TS.jsonl"; P="kbx-$TS"; CLI=./kafka-cli.sh
topics=(); cleanup() { for t in "${topics[@]}"; do $CLI delete "$t" >/dev/null 2>&1 || true; done; }; trap cleanup EXIT
mk() { $CLI create "$1" 6 >/dev/null; topics+=("$1"); }
mk "$P-fo"
timeout 900 node failover.mjs --client platformatic --topic "$P-fo" --runs 3 --session 6000 --heartbeat 500 | tee -a "$OUT"
timeout 900 node failover.mjs --client confluent    --topic "$P-fo" --runs 3 --session 6000 --heartbeat 500 | tee -a "$OUT"
timeout 900 node failover.mjs --client platformatic --topic "$P-fo" --runs 1 --session 6000 --heartbeat 1000 --static | tee -a "$OUT"
timeout 900 node failover.mjs --client platformatic --topic "$P-fo" --runs 1 --protocol consumer --maxwait 75000 | tee -a "$OUT"
timeout 900 node failover.mjs --client confluent    --topic "$P-fo" --runs 1 --protocol consumer --maxwait 75000 | tee -a "$OUT"
mk "$P-src"
timeout 600 node produce.mjs --client platformatic --topic "$P-src" --count 1000000 >/dev/null
for r in 1 2; do
  timeout 600 node consume.mjs --client confluent --api batch --topic "$P-src" --count 1000000 --group "$P-g-$r" --rdkafka '{"queued.max.messages.kbytes":16384}' | tee -a "$OUT"
done
echo "results: $OUT"

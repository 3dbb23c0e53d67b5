/**
 * V8 flags a bridge or feed process should start with (they must be on its command line or in NODE_OPTIONS: V8
 * sizes its heap at start-up, so setting them from inside the process has no effect).
 *
 * `--max-semi-space-size=16` (MB): Node 24 lets the young generation grow to 64 MB per semi-space on a machine
 * with this much memory, and bridges and feeds allocate fast enough (Kafka message objects, frames) to take all
 * of it. 16 MB cut a bridge's peak RSS in a drain of 1M trades from 364–380 MB to 267–291 MB, with no more CPU
 * per message (docs/decisions/bridge-memory.md), and the Wallex feed's at 5,000 msg/s from 367–412 MB to
 * 194–195 MB, at 12.0–12.3 % of a core against 12.6–15.8 % (docs/benchmarks.md). Where they are started: `start`
 * / `scale` (src/stack/local-processes.ts), bench/setup.ts, compose.yaml and deploy/k8s (NODE_OPTIONS); start one
 * by hand with `NODE_OPTIONS=--max-semi-space-size=16 npx tickbridge bridge` (or `feed`).
 */
export const WORKER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=16']

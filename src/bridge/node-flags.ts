/**
 * V8 flags a bridge process should start with (they must be on its command line or in NODE_OPTIONS: V8 sizes
 * its heap at start-up, so setting them from inside the process has no effect).
 *
 * `--max-semi-space-size=16` (MB): Node 24 lets the young generation grow to 64 MB per semi-space on a machine
 * with this much memory, and a bridge under load allocates fast enough (the Kafka client's message objects) to
 * take all of it. 16 MB cut the bridge's peak RSS in a drain of 1M trades from 364–380 MB to 267–291 MB, with
 * no more CPU per message (docs/decisions/bridge-memory.md). Where bridges are started: `start` / `scale`
 * (src/stack/local-processes.ts), bench/setup.ts, compose.yaml and deploy/k8s (NODE_OPTIONS); start one by hand with
 * `NODE_OPTIONS=--max-semi-space-size=16 npx tickbridge bridge`.
 */
export const BRIDGE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=16']

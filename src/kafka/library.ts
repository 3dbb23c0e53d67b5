import { createRequire } from 'node:module'
import type * as Kafka from '@platformatic/kafka'

const require = createRequire(import.meta.url)
let library: typeof Kafka | undefined

/**
 * @platformatic/kafka, loaded when first asked for rather than by every module that imports the client
 * factories: importing it costs ~0.5 CPU-s (it compiles the JSON schemas of all its options), which every
 * `tickbridge` command used to pay, `--help`, `query` and `candles` included. The CLI asks for it at start for
 * every command that talks to Kafka (cli/main.ts), so a command's first client never stalls the event loop
 * while something is being timed. Node 24 loads the ES module synchronously (`require` of ESM), so the client
 * factories stay synchronous. Types come from `import type`, which costs nothing at run time.
 */
export function kafkaLibrary(): typeof Kafka {
  return (library ??= require('@platformatic/kafka') as typeof Kafka)
}

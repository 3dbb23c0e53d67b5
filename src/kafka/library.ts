import { createRequire } from 'node:module'
import type * as Kafka from '@platformatic/kafka'

const require = createRequire(import.meta.url)
let library: typeof Kafka | undefined

/**
 * @platformatic/kafka, loaded the first time a Kafka client is made rather than when tickbridge starts: importing
 * it costs ~0.5 CPU-s (it compiles the JSON schemas of all its options), which every `tickbridge` command used
 * to pay, `--help`, `status`, `query` and `candles` included. Node 24 loads the ES module synchronously
 * (`require` of ESM), so the client factories stay synchronous. Types come from `import type`, which costs
 * nothing at run time.
 */
export function kafkaLibrary(): typeof Kafka {
  return (library ??= require('@platformatic/kafka') as typeof Kafka)
}

import { setTimeout as sleep } from 'node:timers/promises'
import type { TestContext } from 'node:test'
import type { Config } from '../../src/config/types.ts'
import { isAlive, readPid } from '../../src/stack/processes.ts'
import { kafkaPaths, startKafka } from '../../src/stack/kafka-server.ts'

/**
 * Breaks the local test stack's Kafka on purpose: kill -9 and start it again with the stack's own code. Only
 * possible when the tests run on the local stack (not KAFKA_BROKERS); otherwise the test is skipped and says so.
 */
export function localKafkaPid(t: TestContext, config: Config): number | null {
  const pid = !config.kafka.external ? readPid(kafkaPaths(config).pid) : null
  if (pid === null || !isAlive(pid)) {
    t.skip('needs the local stack (`tickbridge stack up`): it kills and restarts Kafka')
    return null
  }
  return pid
}

export async function killKafka(pid: number): Promise<void> {
  process.kill(pid, 'SIGKILL')
  while (isAlive(pid)) await sleep(50)
}

/** Starts the killed broker again (the same data dir) and waits until it answers. */
export async function restartKafka(config: Config): Promise<void> {
  await startKafka(config, () => undefined)
}

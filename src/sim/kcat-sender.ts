import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import type { KafkaConfig } from '../config/types.ts'
import { ErrorCodes, TickbridgeError } from '../errors.ts'
import type { OutgoingRecord } from './kafka-load.ts'

/** A producer made of a kcat child (librdkafka) fed `key<TAB>value` lines on its stdin. */
export interface KcatSender {
  pid: number | undefined
  /** Hands the records to kcat; resolves once its stdin took them (a full pipe holds the caller back). */
  send(records: OutgoingRecord[]): Promise<void>
  /** Closes kcat's stdin and waits for it to deliver what it holds and exit; rejects if it failed. */
  close(): Promise<void>
}

/** Whether kcat can stand in for the project's producer: it is on PATH and the brokers speak PLAINTEXT. */
export function kcatUsable(config: KafkaConfig): boolean {
  if (config.securityProtocol !== 'PLAINTEXT') return false
  return spawnSync('kcat', ['-V'], { stdio: 'ignore' }).status === 0
}

/**
 * What produces a load to Kafka (`--load-client`): the project's own producer in the process (`node`), or a kcat
 * child per topic (`kcat`), which sends 50,000 msg/s on a machine where a process of ours alone reached ~30,000
 * (its encoding and garbage on the thread that also builds the messages; docs/benchmarks.md). `auto`: kcat when
 * kcatUsable, else node.
 */
export const LoadClients = ['auto', 'kcat', 'node'] as const
export type LoadClient = (typeof LoadClients)[number]

export function parseLoadClient(value: string): LoadClient {
  if (!(LoadClients as readonly string[]).includes(value))
    throw new TickbridgeError(
      ErrorCodes.INVALID_ARGUMENT,
      `--load-client must be one of ${LoadClients.join(', ')}, got "${value}"`,
      { hint: 'Use --load-client auto (kcat where installed), kcat or node.' }
    )
  return value as LoadClient
}

/** The producer a `--load-client` choice comes to here; `kcat` where kcat cannot serve is an error. */
export function chooseLoadClient(config: KafkaConfig, client: LoadClient): 'kcat' | 'node' {
  if (client === 'node') return 'node'
  if (kcatUsable(config)) return 'kcat'
  if (client === 'auto') return 'node'
  throw new TickbridgeError(
    ErrorCodes.INVALID_ARGUMENT,
    '--load-client kcat needs kcat on PATH and brokers that speak PLAINTEXT',
    { hint: 'Install kcat (Debian: apt-get install kcat), or use --load-client node.' }
  )
}

/**
 * One kcat producing to `topic` as the project's producers do: idempotent, acks=all, Java's murmur2 on the key
 * (`murmur2_random` is murmur2 for keyed messages), lingering `lingerMs` to batch. Keys hold no tab and values
 * are JSON (no raw newline), so a line is one record.
 */
export function startKcat(config: KafkaConfig, topic: string, lingerMs: number): KcatSender {
  const kcat = spawn(
    'kcat',
    [
      ...['-P', '-b', config.brokers.join(','), '-t', topic, '-K', '\t'],
      ...['-X', 'enable.idempotence=true', '-X', 'acks=all', '-X', 'partitioner=murmur2_random'],
      ...['-X', `linger.ms=${lingerMs}`]
    ],
    { stdio: ['pipe', 'ignore', 'pipe'] }
  )
  let errors = ''
  kcat.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    errors += chunk
    process.stderr.write(chunk)
  })
  // Settles with why kcat is gone (a spawn failure included); a write to its stdin after that fails (EPIPE),
  // and the send waiting on it is rejected with kcat's own reason.
  const gone: Promise<Error | null> = once(kcat, 'exit').then(
    ([code, signal]) =>
      code === 0
        ? null
        : new Error(
            `kcat exited with ${signal ?? code}${errors.trim() ? `: ${errors.trim().split('\n').at(-1)}` : ''}`
          ),
    (error: Error) => new Error(`kcat could not start: ${error.message}`)
  )
  kcat.stdin.on('error', () => undefined)
  const failure = async () => (await gone) ?? new Error('kcat exited before it took every record')
  return {
    pid: kcat.pid,
    send(records) {
      let lines = ''
      for (const record of records) lines += `${record.key}\t${record.value}\n`
      return new Promise((resolve, reject) => {
        if (kcat.exitCode !== null || !kcat.stdin.writable) return void failure().then(reject)
        kcat.stdin.write(lines, (error) => (error ? void failure().then(reject) : resolve()))
      })
    },
    async close() {
      kcat.stdin.end()
      const error = await gone
      if (error) throw error
    }
  }
}

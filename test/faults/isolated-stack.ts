import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { loadConfig, type Config } from '../../src/config/load.ts'
import { clickhousePaths, clickhouseReady } from '../../src/stack/clickhouse-server.ts'
import { kafkaPaths, kafkaReady } from '../../src/stack/kafka-server.ts'
import { isAlive, runningPid } from '../../src/stack/processes.ts'
import type { Runtime } from './runtime.ts'
import { runCli } from '../helpers/cli.ts'

/**
 * A second local stack (Kafka + ClickHouse) of its own, for runs that break servers on purpose: its own
 * TICKBRIDGE_HOME and four ports nobody else uses, started and stopped with the project's CLI
 * (`tickbridge stack up | down`), exactly as test/stack/stack.int.test.ts does. The shared stack is never touched.
 */
export const DEFAULT_PORTS = { kafka: 29192, controller: 29193, http: 28223, tcp: 29100 }

export interface CliRun {
  code: number
  stdout: string
  stderr: string
  ms: number
}

/** Runs the CLI of the run's copy with extra variables (no shell), bounded by `timeoutMs`. */
export async function runCliFrom(
  runtime: Runtime,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 180_000
): Promise<CliRun> {
  const started = Date.now()
  const result = await runCli(args, env, timeoutMs, runtime.cli)
  return { ...result, ms: Date.now() - started }
}

export class IsolatedStack {
  readonly home: string
  readonly ports: typeof DEFAULT_PORTS
  /** The variables that select this stack: pass them to every process of the run. */
  readonly env: Record<string, string>
  readonly config: Config
  readonly #runtime: Runtime

  constructor(runtime: Runtime, home: string, ports = DEFAULT_PORTS) {
    this.#runtime = runtime
    this.home = home
    this.ports = ports
    this.env = {
      TICKBRIDGE_HOME: home,
      TICKBRIDGE_KAFKA_PORT: String(ports.kafka),
      TICKBRIDGE_KAFKA_CONTROLLER_PORT: String(ports.controller),
      // No SASL_SSL listener: its default port is the shared stack's (the faults need the plaintext one only).
      TICKBRIDGE_KAFKA_SASL_PORT: '0',
      TICKBRIDGE_CLICKHOUSE_HTTP_PORT: String(ports.http),
      TICKBRIDGE_CLICKHOUSE_TCP_PORT: String(ports.tcp),
      TICKBRIDGE_KAFKA_HEAP: '512m',
      KAFKA_BROKERS: '',
      CLICKHOUSE_URL: ''
    }
    this.config = loadConfig({ ...process.env, ...this.env }, '/nonexistent/.env')
  }

  /** Addresses for clients (tests, bridges): the same servers, named explicitly. */
  get clientEnv(): Record<string, string> {
    return {
      ...this.env,
      KAFKA_BROKERS: `127.0.0.1:${this.ports.kafka}`,
      CLICKHOUSE_URL: `http://127.0.0.1:${this.ports.http}`
    }
  }

  /**
   * A fresh stack: whatever an interrupted earlier run left of this home is stopped (`stack down`), its data
   * deleted (the Kafka jars are kept, so no Maven run), then `stack up`.
   */
  async up(): Promise<CliRun> {
    await this.down()
    for (const dir of [kafkaPaths(this.config).data, clickhousePaths(this.config).dir])
      rmSync(dir, { recursive: true, force: true })
    const up = await this.cli(['stack', 'up'])
    if (up.code !== 0)
      throw new Error(`isolated stack up failed (exit ${up.code}):\n${up.stderr}\n${up.stdout}`)
    return up
  }

  async down(): Promise<CliRun> {
    return this.cli(['stack', 'down'])
  }

  /** `tickbridge stack up` again: starts whichever server is not running (after a kill -9). */
  async restart(): Promise<CliRun> {
    const up = await this.cli(['stack', 'up'])
    if (up.code !== 0) throw new Error(`stack up after the fault failed (exit ${up.code}):\n${up.stderr}`)
    return up
  }

  cli(args: string[], timeoutMs = 240_000): Promise<CliRun> {
    return runCliFrom(this.#runtime, args, this.env, timeoutMs)
  }

  kafkaPid(): number | null {
    const paths = kafkaPaths(this.config)
    return runningPid(paths.pid, paths.properties)
  }

  clickhousePid(): number | null {
    const paths = clickhousePaths(this.config)
    return runningPid(paths.pid, paths.config)
  }

  /** kill -9 of this stack's broker (never anything else: the pid must run this home's server.properties). */
  async killKafka(): Promise<number> {
    const pid = this.kafkaPid()
    if (pid === null) throw new Error('the isolated Kafka is not running')
    return killHard(pid)
  }

  async killClickHouse(): Promise<number> {
    const pid = this.clickhousePid()
    if (pid === null) throw new Error('the isolated ClickHouse is not running')
    return killHard(pid)
  }

  kafkaReady(): Promise<boolean> {
    return kafkaReady(this.config)
  }

  clickhouseReady(): Promise<boolean> {
    return clickhouseReady(this.config.clickhouse.url)
  }

  logFiles(): string[] {
    return [
      kafkaPaths(this.config).log,
      join(clickhousePaths(this.config).dir, 'log', 'clickhouse-server.err.log')
    ]
  }
}

async function killHard(pid: number): Promise<number> {
  process.kill(pid, 'SIGKILL')
  const deadline = Date.now() + 30_000
  while (isAlive(pid) && Date.now() < deadline) await sleep(50)
  if (isAlive(pid)) throw new Error(`pid ${pid} survived SIGKILL for 30 s`)
  return pid
}

import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { TestContext } from 'node:test'
import { createAdmin } from '../../src/kafka/clients.ts'
import { endOffsets } from '../../src/kafka/lag.ts'
import { assertCandlesMatchTrades } from '../helpers/assertions.ts'
import { freePort } from '../helpers/ports.ts'
import { count, eventually, testEnv, waitCommittedToEnd, type TestEnv } from '../helpers/stack.ts'
import type { IsolatedStack } from './isolated-stack.ts'
import { SteadyProducer } from './load.ts'
import { RoleProcess } from './processes.ts'
import type { FaultRecord, ProcessRecord, ScenarioRecord } from './record.ts'
import { RecoveryTracker, type RecoveryMark } from './recovery.ts'
import type { Runtime } from './runtime.ts'

/**
 * One fault scenario on the isolated stack: its own topics, group and database (test/helpers/stack.ts's
 * testEnv, pointed at the isolated servers), a hub and N real `tickbridge bridge` processes started from the
 * run's copy of the CLI, and the steady load. The scenario's `act` breaks things through the context
 * (`fault()` times and records each fault); then the harness stops the load and runs the end checks:
 *
 *   - committed offsets reach the end offsets of every data topic (within the drain timeout);
 *   - trade rows after FINAL = the unique trades produced (lost = 0), count() FINAL = uniqExact(identity)
 *     (duplicates = 0), and the same for depth;
 *   - candles equal candles recomputed from the trades (assertCandlesMatchTrades);
 *   - the dead letters are counted (the DLQ topic's end offsets), and equal what the scenario expects;
 *   - every bridge is either working (/readyz 200) or exited with a reason.
 */
export interface Suite {
  runtime: Runtime
  stack: IsolatedStack
  /** Where logs of the run go (one directory per scenario). */
  artifacts: string
  rate: number
  seed: number
}

export interface ScenarioOptions {
  id: string
  title: string
  bridges?: number
  /** Extra variables for every bridge (e.g. CLICKHOUSE_URL to a proxy). */
  bridgeEnv?: Record<string, string>
  /** Before the bridges start (e.g. lower the DLQ topic's max.message.bytes, which a bridge reads at start). */
  prepare?: (ctx: ScenarioContext) => Promise<void>
  /** The faults, with the load running. */
  act: (ctx: ScenarioContext) => Promise<void>
  /** Checks of the scenario's own (after the common ones' counts are known). */
  check?: (ctx: ScenarioContext, record: ScenarioRecord) => Promise<void>
  /** Trades and depth the tables must have besides the load's (scenario g: what a feed produced). */
  expectedExtra?: (ctx: ScenarioContext) => Promise<{ trades: number; depth: number }>
  /** Dead letters the scenario must end with (default: the malformed messages the load produced). */
  expectedLetters?: (ctx: ScenarioContext) => number
  /** After every process stopped, whatever happened (unmount, close a proxy). */
  cleanup?: (ctx: ScenarioContext) => Promise<void>
}

const WARM_UP_MS = 5_000
const DRAIN_TIMEOUT_MS = 180_000

export class ScenarioContext {
  readonly suite: Suite
  readonly env: TestEnv
  readonly id: string
  readonly logDir: string
  readonly processes: RoleProcess[] = []
  readonly bridges: RoleProcess[] = []
  readonly faults: (FaultRecord & { mark?: RecoveryMark })[] = []
  readonly notes: string[] = []
  hub!: RoleProcess
  hubUrl = ''
  hubToken = ''
  load!: SteadyProducer
  tracker!: RecoveryTracker
  loadStartedAt = 0
  /** Extra variables of every bridge (`prepare` may add some, e.g. CLICKHOUSE_URL to a proxy). */
  readonly bridgeEnv: Record<string, string>
  /** Message counts besides the load's, for the record (a feed's). */
  readonly messages: { feedTrades?: number; feedDropped?: number } = {}

  constructor(suite: Suite, env: TestEnv, id: string, bridgeEnv: Record<string, string>) {
    this.suite = suite
    this.env = env
    this.id = id
    this.logDir = join(suite.artifacts, id)
    this.bridgeEnv = { ...bridgeEnv }
  }

  get dataTopics(): string[] {
    const { trades, depth, quotes, candles } = this.env.config.topics
    return [trades, depth, quotes, candles]
  }

  /** The variables of every process of this scenario: the isolated stack, its topics, group, database, hub. */
  get baseEnv(): Record<string, string> {
    return {
      ...this.suite.stack.clientEnv,
      ...this.env.vars,
      HUB_URL: this.hubUrl,
      HUB_TOKEN: this.hubToken,
      STATS_INTERVAL_MS: '10000'
    }
  }

  /** A role process of this scenario (not started). */
  process(name: string, args: string[], env: Record<string, string>, metricsUrl: string | null): RoleProcess {
    const p = new RoleProcess({
      runtime: this.suite.runtime,
      name,
      args,
      env: { ...this.baseEnv, ...env },
      logFile: join(this.logDir, `${name}.log`),
      metricsUrl
    })
    this.processes.push(p)
    return p
  }

  async startHub(): Promise<void> {
    const port = await freePort()
    this.hubUrl = `http://127.0.0.1:${port}`
    this.hubToken = `faults-${this.env.id}`
    this.hub = this.process('hub', ['hub', '--port', String(port)], { HUB_PORT: String(port) }, this.hubUrl)
    this.hub.start()
    await eventually(
      async () => (await this.hub.readyz()) !== null,
      () => `the hub did not answer; its log:\n${this.hub.output().slice(-2000)}`,
      30_000
    )
  }

  async startBridges(n: number): Promise<void> {
    for (let ordinal = 1; ordinal <= n; ordinal++) {
      const port = await freePort()
      const bridge = this.process(
        `bridge-${ordinal}`,
        ['bridge'],
        {
          INSTANCE_ORDINAL: String(ordinal),
          INSTANCE_ID: `faults-${this.id}-bridge-${ordinal}`,
          METRICS_PORT: String(port),
          ...this.bridgeEnv
        },
        `http://127.0.0.1:${port}`
      )
      this.bridges.push(bridge.start())
    }
  }

  /** Every bridge alive and ready at once (each owns partitions: the group is balanced). */
  async bridgesReady(timeoutMs = 90_000): Promise<void> {
    await eventually(
      async () => (await Promise.all(this.bridges.map((b) => b.readyz()))).every((s) => s === 200),
      async () =>
        (await Promise.all(this.bridges.map(async (b) => `${b.name}: ${await b.readyz()}`))).join(', ') +
        `\n${this.bridges.map((b) => `${b.name} log tail:\n${b.output().slice(-1500)}`).join('\n')}`,
      timeoutMs
    )
  }

  /** Seconds since the load started. */
  elapsedS(at = Date.now()): number {
    return Math.round((at - this.loadStartedAt) / 100) / 10
  }

  /**
   * Runs one fault: `breakIt` breaks something and resolves when the fault is over (the server is back,
   * the line is open again, the process restarted); the recovery is then timed from that moment.
   */
  async fault(
    kind: string,
    breakIt: () => Promise<Record<string, unknown> | void>,
    options: { instant?: boolean } = {}
  ): Promise<FaultRecord> {
    const started = Date.now()
    const detail = (await breakIt()) ?? {}
    const ended = Date.now()
    const mark = await this.tracker.mark(kind)
    const record = {
      kind,
      atS: this.elapsedS(started),
      outageS: options.instant ? null : Math.round((ended - started) / 100) / 10,
      rowsResumeS: null,
      caughtUpS: null,
      detail,
      mark
    }
    this.faults.push(record)
    return record
  }

  /** Trade rows as inserted so far (before FINAL). */
  rowsRaw(): Promise<number> {
    return this.tracker.rows()
  }

  note(line: string): void {
    this.notes.push(line)
  }
}

/** Runs a scenario from set-up to end checks, recording what it measured even when a check fails. */
export async function runScenario(
  t: TestContext,
  suite: Suite,
  options: ScenarioOptions,
  records: ScenarioRecord[]
): Promise<ScenarioRecord> {
  const started = Date.now()
  const record: ScenarioRecord = {
    id: options.id,
    title: options.title,
    passed: false,
    error: null,
    startedAt: new Date(started).toISOString(),
    durationS: 0,
    rate: suite.rate,
    messages: { trades: 0, depth: 0, malformed: 0, oversized: 0 },
    faults: [],
    rows: null,
    lost: null,
    duplicates: null,
    deadLetters: null,
    candlesCompared: null,
    committedToEnd: false,
    drainS: null,
    processes: [],
    notes: [],
    timeline: []
  }
  records.push(record)
  const env = await testEnv(t, { ...suite.stack.clientEnv })
  const ctx = new ScenarioContext(suite, env, options.id, options.bridgeEnv ?? {})
  try {
    await options.prepare?.(ctx)
    await ctx.startHub()
    await ctx.startBridges(options.bridges ?? 3)
    await ctx.bridgesReady()
    ctx.tracker = new RecoveryTracker(env.config, env.clickhouse, ctx.dataTopics)
    ctx.load = new SteadyProducer(env.config, { rate: suite.rate, seed: suite.seed }).start()
    ctx.loadStartedAt = Date.now()
    await sleep(WARM_UP_MS)
    await options.act(ctx)
    await endChecks(ctx, options, record)
    await options.check?.(ctx, record)
    record.passed = true
  } catch (error) {
    record.error = (error as Error).message.split('\n').slice(0, 6).join(' | ')
    throw error
  } finally {
    await ctx.load?.stop(30_000).catch(() => undefined)
    record.messages = { ...record.messages, ...ctx.load?.counts, ...ctx.messages }
    await ctx.tracker?.settle(0)
    record.faults = ctx.faults.map(({ mark, ...fault }) => ({
      ...fault,
      rowsResumeS: mark?.rowsResumeS ?? null,
      caughtUpS: mark?.caughtUpS ?? null
    }))
    record.timeline = ctx.tracker?.timeline ?? []
    await ctx.tracker?.close()
    record.processes = await describeProcesses(ctx)
    await Promise.all(ctx.processes.map((p) => p.stop('end of scenario', 15_000)))
    await options.cleanup?.(ctx).catch((error: unknown) => ctx.note(`cleanup: ${(error as Error).message}`))
    record.notes = ctx.notes
    record.durationS = Math.round((Date.now() - started) / 1000)
  }
  return record
}

async function endChecks(ctx: ScenarioContext, options: ScenarioOptions, record: ScenarioRecord) {
  const { config, clickhouse } = ctx.env
  const db = config.clickhouse.database
  const produced = await ctx.load.stop()
  const extra = (await options.expectedExtra?.(ctx)) ?? { trades: 0, depth: 0 }
  record.messages = { ...record.messages, ...produced }
  const stoppedAt = Date.now()
  await waitCommittedToEnd(ctx.env, ctx.dataTopics, DRAIN_TIMEOUT_MS)
  record.drainS = Math.round((Date.now() - stoppedAt) / 100) / 10
  record.committedToEnd = true
  // Recovery marks the drain did not reach yet (it should have: everything is committed now).
  await ctx.tracker.settle(5_000)

  const [trades, tradesUnique, tradesRaw, depth, depthUnique] = await Promise.all([
    count(clickhouse, `SELECT count() AS n FROM ${db}.trades FINAL`),
    count(clickhouse, `SELECT uniqExact(exchange, symbol, ts, id) AS n FROM ${db}.trades`),
    count(clickhouse, `SELECT count() AS n FROM ${db}.trades`),
    count(clickhouse, `SELECT count() AS n FROM ${db}.depth FINAL`),
    count(clickhouse, `SELECT uniqExact(exchange, symbol, ts) AS n FROM ${db}.depth`)
  ])
  record.rows = { trades, tradesUnique, tradesRaw, depth, depthUnique }
  const expectedTrades = produced.trades + extra.trades
  const expectedDepth = produced.depth + extra.depth
  record.lost = expectedTrades - trades + (expectedDepth - depth)
  record.duplicates = trades - tradesUnique + (depth - depthUnique)

  const admin = createAdmin(config.kafka)
  try {
    const ends = await endOffsets(admin, [config.topics.dlq])
    record.deadLetters = Number([...ends.values()].reduce((a, b) => a + b, 0n))
  } finally {
    await admin.close()
  }

  const problems: string[] = []
  if (trades !== expectedTrades)
    problems.push(
      `trades after FINAL ${trades}, expected ${expectedTrades} (${expectedTrades - trades} lost)`
    )
  if (depth !== expectedDepth) problems.push(`depth after FINAL ${depth}, expected ${expectedDepth}`)
  if (trades !== tradesUnique) problems.push(`trades: count() FINAL ${trades} != uniqExact ${tradesUnique}`)
  if (depth !== depthUnique) problems.push(`depth: count() FINAL ${depth} != uniqExact ${depthUnique}`)
  const letters = options.expectedLetters?.(ctx) ?? produced.malformed
  if (record.deadLetters < letters) problems.push(`${record.deadLetters} dead letters, expected ${letters}`)
  else if (record.deadLetters > letters)
    ctx.note(
      `${record.deadLetters - letters} dead letters written twice (at-least-once: a batch re-delivered)`
    )
  try {
    record.candlesCompared = await assertCandlesMatchTrades(clickhouse, db)
  } catch (error) {
    problems.push(
      `candles differ from candles recomputed from the trades: ${(error as Error).message.split('\n')[0]}`
    )
  }
  for (const bridge of ctx.bridges) {
    if (bridge.alive) {
      const ready = await eventually(
        async () => (await bridge.readyz()) === 200,
        () => '',
        30_000
      ).then(
        () => true,
        () => false
      )
      if (!ready) problems.push(`${bridge.name} is alive but /readyz is ${await bridge.readyz()}`)
    } else if (!bridge.exits.at(-1)?.reason) problems.push(`${bridge.name} exited without a reason`)
  }
  if (problems.length > 0) throw new Error(problems.join('; '))
}

async function describeProcesses(ctx: ScenarioContext): Promise<ProcessRecord[]> {
  return Promise.all(
    ctx.processes.map(async (p) => {
      const status = p.alive ? await p.readyz() : null
      return {
        name: p.name,
        state: !p.alive
          ? 'exited'
          : p.metricsUrl === null
            ? 'running'
            : status === 200
              ? 'ready'
              : 'alive, not ready',
        starts: p.starts,
        exits: p.exits.map(
          (e) =>
            `${e.expected ? '' : 'UNEXPECTED '}${e.signal ?? `code ${e.code}`} at ${ctx.elapsedS(e.at)} s: ${e.reason}`
        ),
        unexpectedExits: p.unexpectedExits.length
      } satisfies ProcessRecord
    })
  )
}

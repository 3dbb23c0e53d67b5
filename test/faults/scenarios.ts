import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { ConfigResourceTypes } from '@platformatic/kafka'
import type { InstanceView } from '../../src/core/instance-registry.ts'
import { createAdmin } from '../../src/kafka/clients.ts'
import { seededRandom } from '../../src/sim/market.ts'
import { portOpen } from '../../src/stack/processes.ts'
import { freePort } from '../helpers/ports.ts'
import { eventually } from '../helpers/stack.ts'
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts'
import { scanDlq } from './dlq-scan.ts'
import { malformedFlood } from './load.ts'
import { metricSum, type RoleProcess } from './processes.ts'
import type { ScenarioContext, ScenarioOptions, Suite } from './scenario.ts'

/**
 * The seven scenarios of the fault suite (GitHub issue 11). Each runs with the load producing throughout and
 * ends with the common checks of scenario.ts; what is particular to a scenario is checked here.
 */

/** Samples `probe` every `everyMs` for `ms`, returning the samples (the fault is held open meanwhile). */
async function during<T>(ms: number, everyMs: number, probe: () => Promise<T>): Promise<T[]> {
  const samples: T[] = []
  const until = Date.now() + ms
  while (Date.now() < until) {
    samples.push(await probe())
    await sleep(Math.max(0, Math.min(everyMs, until - Date.now())))
  }
  return samples
}

const readyCount = async (bridges: RoleProcess[]) =>
  (await Promise.all(bridges.map((b) => b.readyz()))).filter((s) => s === 200).length

/** Seconds until every bridge answers /readyz 200 (null after `timeoutMs`). */
async function secondsUntilAllReady(bridges: RoleProcess[], timeoutMs = 60_000): Promise<number | null> {
  const started = Date.now()
  while (Date.now() - started < timeoutMs) {
    if ((await readyCount(bridges)) === bridges.length) return (Date.now() - started) / 1000
    await sleep(250)
  }
  return null
}

const range = (xs: number[], of: number) => `${Math.min(...xs)}–${Math.max(...xs)} of ${of}`

// (a) --------------------------------------------------------------------------------------------------------
export function bridgeKills(suite: Suite): ScenarioOptions {
  const random = seededRandom(suite.seed)
  return {
    id: 'a',
    title: 'kill -9 a random bridge every 10–15 s for 60 s',
    act: async (ctx) => {
      const until = Date.now() + 60_000
      for (;;) {
        const wait = 10_000 + Math.floor(random() * 5_000)
        if (Date.now() + wait > until) break
        await sleep(wait)
        // Random, but never the bridge that was killed last (it may not have rejoined the group yet).
        const candidates = ctx.bridges.filter((b) => b.name !== ctx.faults.at(-1)?.detail.bridge)
        const victim = candidates[Math.floor(random() * candidates.length)] as RoleProcess
        await ctx.fault(
          'kill -9 bridge',
          async () => {
            const pid = victim.pid
            await victim.kill9('kill -9 by the fault suite (scenario a)')
            victim.start()
            return { bridge: victim.name, killedPid: pid, newPid: victim.pid }
          },
          { instant: true }
        )
      }
      await sleep(until - Date.now())
    },
    check: async (ctx) => {
      assert.ok(ctx.faults.length >= 4, `only ${ctx.faults.length} kills in 60 s`)
      for (const b of ctx.bridges)
        assert.equal(
          b.unexpectedExits.length,
          0,
          `${b.name} exited by itself: ${b.unexpectedExits[0]?.reason}`
        )
    }
  }
}

// (b) --------------------------------------------------------------------------------------------------------
export function clickhouseKill(suite: Suite): ScenarioOptions {
  return {
    id: 'b',
    title: 'kill -9 ClickHouse, down 15 s, `stack up`',
    act: async (ctx) => {
      const fault = await ctx.fault('kill -9 ClickHouse', async () => {
        const rowsAtKill = await ctx.rowsRaw()
        const pid = await suite.stack.killClickHouse()
        const ready = await during(15_000, 1_000, () => readyCount(ctx.bridges))
        const up = await suite.stack.restart()
        return {
          killedPid: pid,
          newPid: suite.stack.clickhousePid(),
          rowsAtKill,
          restartS: up.ms / 1000,
          bridgesReadyWhileDown: range(ready, ctx.bridges.length),
          notReadySeen: Math.min(...ready) < ctx.bridges.length
        }
      })
      fault.detail.allReadyAgainS = await secondsUntilAllReady(ctx.bridges)
      await sleep(10_000)
    },
    check: async (ctx) => {
      for (const b of ctx.bridges) {
        assert.equal(b.starts, 1, `${b.name} was restarted`)
        assert.equal(b.unexpectedExits.length, 0, `${b.name} exited: ${b.unexpectedExits[0]?.reason}`)
      }
      const detail = ctx.faults[0]?.detail ?? {}
      assert.equal(
        detail.notReadySeen,
        true,
        '/readyz said not-ready while inserts failed (ClickHouse away 15 s)'
      )
      assert.notEqual(detail.allReadyAgainS, null, 'every bridge ready again after ClickHouse came back')
    }
  }
}

// (c) --------------------------------------------------------------------------------------------------------
export function kafkaKill(suite: Suite): ScenarioOptions {
  return {
    id: 'c',
    title: 'kill -9 Kafka, down 20 s, `stack up`; the same bridges',
    act: async (ctx) => {
      const pids = ctx.bridges.map((b) => b.pid)
      const fault = await ctx.fault('kill -9 Kafka', async () => {
        const pid = await suite.stack.killKafka()
        const ready = await during(20_000, 1_000, () => readyCount(ctx.bridges))
        const up = await suite.stack.restart()
        return {
          killedPid: pid,
          restartS: up.ms / 1000,
          bridgesReadyWhileDown: range(ready, ctx.bridges.length),
          notReadySeen: Math.min(...ready) < ctx.bridges.length
        }
      })
      const readyAgain = Date.now()
      fault.detail.allReadyAgainS = await secondsUntilAllReady(ctx.bridges)
      await sleep(Math.max(0, 15_000 - (Date.now() - readyAgain)))
      assert.deepEqual(
        ctx.bridges.map((b) => b.pid),
        pids,
        'the same bridge processes'
      )
    },
    check: async (ctx) => {
      for (const b of ctx.bridges) {
        assert.equal(b.starts, 1, `${b.name} was restarted`)
        assert.equal(b.unexpectedExits.length, 0, `${b.name} exited: ${b.unexpectedExits[0]?.reason}`)
        assert.match(b.output(), /Kafka consumer back: rejoined the group/, `${b.name} rebuilt its consumer`)
      }
      const fault = ctx.faults[0]
      assert.equal(fault?.detail.notReadySeen, true, '/readyz said not-ready while Kafka was away')
    }
  }
}

// (d) --------------------------------------------------------------------------------------------------------
export function clickhouseCutOff(suite: Suite): ScenarioOptions {
  let proxy: TcpProxy | null = null
  return {
    id: 'd',
    title: 'ClickHouse cut off by the loopback proxy for 60 s',
    prepare: async (ctx) => {
      proxy = await startTcpProxy('127.0.0.1', suite.stack.ports.http)
      ctx.bridgeEnv.CLICKHOUSE_URL = `http://127.0.0.1:${proxy.port}`
    },
    act: async (ctx) => {
      const line = proxy as TcpProxy
      const fault = await ctx.fault('ClickHouse cut off', async () => {
        line.block()
        const samples = await during(60_000, 2_000, async () => {
          const texts = await Promise.all(ctx.bridges.map((b) => b.metrics()))
          return {
            paused: texts.filter((text) => metricSum(text, 'tickbridge_bridge_backpressure_active') > 0)
              .length,
            ready: await readyCount(ctx.bridges)
          }
        })
        const ready = samples.map((x) => x.ready)
        line.unblock()
        return {
          bridgesPausedMax: Math.max(...samples.map((x) => x.paused)),
          bridgesReadyWhileCut: range(ready, ctx.bridges.length),
          notReadySeen: Math.min(...ready) < ctx.bridges.length,
          bridgesReadyAtEnd: ready.at(-1)
        }
      })
      fault.detail.allReadyAgainS = await secondsUntilAllReady(ctx.bridges)
      await sleep(10_000)
    },
    check: async (ctx) => {
      for (const b of ctx.bridges) {
        assert.equal(b.starts, 1, `${b.name} was restarted`)
        assert.equal(b.unexpectedExits.length, 0, `${b.name} exited: ${b.unexpectedExits[0]?.reason}`)
      }
      const activations = await Promise.all(
        ctx.bridges.map(async (b) =>
          metricSum(await b.metrics(), 'tickbridge_bridge_backpressure_activations_total')
        )
      )
      ctx.note(`backpressure activations per bridge: ${activations.join(', ')}`)
      const detail = ctx.faults[0]?.detail ?? {}
      assert.equal(detail.bridgesPausedMax, ctx.bridges.length, 'every bridge paused fetching during the cut')
      assert.equal(detail.notReadySeen, true, '/readyz said not-ready while inserts failed (60 s cut)')
      assert.notEqual(detail.allReadyAgainS, null, 'every bridge ready again after the line opened')
    },
    cleanup: async () => {
      await proxy?.close()
    }
  }
}

// (e) --------------------------------------------------------------------------------------------------------
export function hubDown(_suite: Suite): ScenarioOptions {
  return {
    id: 'e',
    title: 'the hub down (kill -9) for 30 s',
    act: async (ctx) => {
      const fault = await ctx.fault('hub down', async () => {
        const rowsBefore = await ctx.rowsRaw()
        const producedBefore = ctx.load.counts.trades
        await ctx.hub.kill9('kill -9 by the fault suite (scenario e)')
        const ready = await during(30_000, 1_000, () => readyCount(ctx.bridges))
        const rowsDuring = (await ctx.rowsRaw()) - rowsBefore
        const producedDuring = ctx.load.counts.trades - producedBefore
        ctx.hub.start()
        return {
          rowsDuringOutage: rowsDuring,
          tradesProducedDuringOutage: producedDuring,
          bridgesReadyWhileDown: range(ready, ctx.bridges.length)
        }
      })
      const restarted = Date.now()
      await eventually(
        async () => {
          const response = await fetch(`${ctx.hubUrl}/api/instances`, { signal: AbortSignal.timeout(2_000) })
          const instances = (await response.json()) as InstanceView[]
          return (
            instances.filter((i) => i.role === 'bridge' && i.state === 'alive').length === ctx.bridges.length
          )
        },
        () => `the restarted hub does not see ${ctx.bridges.length} alive bridges`,
        30_000
      )
      fault.detail.hubSeesAllBridgesS = (Date.now() - restarted) / 1000
      await sleep(5_000)
    },
    check: async (ctx) => {
      const detail = ctx.faults[0]?.detail ?? {}
      const rows = Number(detail.rowsDuringOutage)
      const produced = Number(detail.tradesProducedDuringOutage)
      assert.ok(
        rows >= produced * 0.8,
        `bridges kept ingesting without the hub: ${rows} rows for ${produced} trades`
      )
      assert.match(
        detail.bridgesReadyWhileDown as string,
        new RegExp(`^${ctx.bridges.length}–`),
        'bridges stayed ready'
      )
      for (const b of ctx.bridges) assert.equal(b.starts, 1, `${b.name} was restarted`)
    }
  }
}

// (f) --------------------------------------------------------------------------------------------------------
const DLQ_LIMIT = 256 * 1024
const MALFORMED = 100_000

export function malformedMessages(suite: Suite): ScenarioOptions {
  return {
    id: 'f',
    title: `${MALFORMED.toLocaleString('en-US')} malformed messages, DLQ max.message.bytes 256 KB`,
    prepare: async (ctx) => {
      const admin = createAdmin(ctx.env.config.kafka)
      try {
        await admin.alterConfigs({
          resources: [
            {
              resourceType: ConfigResourceTypes.TOPIC,
              resourceName: ctx.env.config.topics.dlq,
              configs: [{ name: 'max.message.bytes', value: String(DLQ_LIMIT) }]
            }
          ]
        })
      } finally {
        await admin.close()
      }
    },
    act: async (ctx) => {
      await ctx.fault('malformed flood', async () => {
        ctx.load.extra = malformedFlood(ctx.env.config, {
          total: MALFORMED,
          perSlice: 400,
          seed: suite.seed,
          oversizedEvery: 5_000,
          oversizedBytes: DLQ_LIMIT + 50_000
        })
        const deadline = Date.now() + 120_000
        while (ctx.load.extra !== null && Date.now() < deadline) await sleep(250)
        return { malformed: ctx.load.counts.malformed, oversized: ctx.load.counts.oversized }
      })
      await sleep(5_000)
    },
    check: async (ctx, record) => {
      assert.equal(record.messages.malformed, MALFORMED, 'the whole flood was produced')
      const scan = await scanDlq(ctx.env.config, record.deadLetters ?? MALFORMED)
      const counted = (
        await Promise.all(
          ctx.bridges.map(async (b) => metricSum(await b.metrics(), 'tickbridge_bridge_dead_letters_total'))
        )
      ).reduce((a, b) => a + b, 0)
      ctx.note(
        `DLQ: ${scan.letters} letters (${scan.distinctSources} distinct sources), ${scan.truncated} truncated, ` +
          `largest ${scan.maxLetterBytes} bytes; bridges counted ${counted}; reasons ${JSON.stringify(scan.reasons)}`
      )
      Object.assign(ctx.faults[0]?.detail ?? {}, {
        letters: scan.letters,
        truncated: scan.truncated,
        maxLetterBytes: scan.maxLetterBytes,
        bridgesCounted: counted
      })
      assert.equal(scan.distinctSources, MALFORMED, 'one letter for every malformed message')
      assert.equal(scan.unreadable, 0)
      assert.ok(scan.maxLetterBytes <= DLQ_LIMIT, 'every letter fits the DLQ topic')
      assert.ok(scan.truncated >= record.messages.oversized, 'every oversized message was cut to fit')
      assert.ok(counted >= MALFORMED, `bridges counted ${counted} dead letters`)
      for (const b of ctx.bridges)
        assert.equal(b.unexpectedExits.length, 0, `${b.name} exited: ${b.unexpectedExits[0]?.reason}`)
    }
  }
}

// (g) --------------------------------------------------------------------------------------------------------
const SPOOL_TMPFS = '2m'
const FEED_RATE = 1_000
const FEED_SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'XRPUSDT', 'DOGEUSDT', 'BNBUSDT']

/**
 * A feed whose spool disk fills while Kafka is away (killed -9). With `tmpfs`, the spool directory is a tiny
 * tmpfs (a real full disk: ENOSPC); without, FEED_SPOOL_MAX_BYTES (1 MiB, the least allowed) on a normal
 * directory (the spool's own limit). Expected: the feed keeps running, counts the gap (droppedCount) and
 * logs it, nothing crashes; once Kafka is back everything it kept reaches ClickHouse.
 */
export function feedSpoolFull(suite: Suite, mode: 'tmpfs' | 'max-bytes'): ScenarioOptions {
  let spoolDir = ''
  let mounted = false
  let sim: RoleProcess | null = null
  let feed: RoleProcess | null = null
  const feedMetrics = async () => {
    const text = await (feed as RoleProcess).metrics()
    if (text === null)
      throw new Error(`the feed does not answer: ${feed?.lastErrorLine() ?? 'no error logged'}`)
    return {
      trades: metricSum(text, 'tickbridge_feed_messages_total', { type: 'trade' }),
      depth: metricSum(text, 'tickbridge_feed_messages_total', { type: 'depth' }),
      dropped: metricSum(text, 'tickbridge_feed_dropped_messages_total'),
      spooled: metricSum(text, 'tickbridge_feed_spooled_messages'),
      queued: metricSum(text, 'tickbridge_feed_queued_messages'),
      errors: metricSum(text, 'tickbridge_feed_produce_errors_total')
    }
  }
  return {
    id: mode === 'tmpfs' ? 'g' : 'g2',
    title:
      mode === 'tmpfs'
        ? `feed spool on a full disk (tmpfs ${SPOOL_TMPFS}) while Kafka is away`
        : 'feed spool full (FEED_SPOOL_MAX_BYTES 1 MiB) while Kafka is away',
    prepare: async () => {
      spoolDir = mkdtempSync(join(tmpdir(), 'tb-faults-spool-'))
      if (mode === 'tmpfs') {
        const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${SPOOL_TMPFS}`, 'tmpfs', spoolDir], {
          encoding: 'utf8'
        })
        if (mount.status !== 0)
          throw new Error(
            `cannot mount a tmpfs here (${mount.stderr.trim() || `exit ${mount.status}`}): run as root, or see scenario g2`
          )
        mounted = true
      }
      mkdirSync(spoolDir, { recursive: true })
    },
    act: async (ctx) => {
      const simPort = await freePort()
      const metricsPort = await freePort()
      sim = ctx
        .process(
          'sim',
          [
            'sim',
            '--serve',
            'wallex',
            '--port',
            String(simPort),
            '--rate',
            String(FEED_RATE),
            '--depth-every',
            '3600000',
            '--seed',
            String(suite.seed)
          ],
          {},
          null
        )
        .start()
      await eventually(
        () => portOpen(simPort),
        () => `the simulator did not listen: ${sim?.output().slice(-1000)}`,
        20_000
      )
      feed = ctx
        .process(
          'feed',
          [
            'feed',
            '--exchange',
            'wallex',
            '--url',
            `ws://127.0.0.1:${simPort}/ws`,
            '--symbols',
            FEED_SYMBOLS.join(','),
            '--instance-id',
            `faults-${ctx.id}-feed`
          ],
          {
            FEED_SPOOL_DIR: spoolDir,
            FEED_MEMORY_QUEUE_MAX: '1000',
            METRICS_PORT: String(metricsPort),
            ...(mode === 'max-bytes' ? { FEED_SPOOL_MAX_BYTES: String(1024 * 1024) } : {})
          },
          `http://127.0.0.1:${metricsPort}`
        )
        .start()
      const theFeed = feed
      await eventually(
        async () => (await theFeed.readyz()) === 200 && (await feedMetrics()).trades > 0,
        () => `the feed is not producing: ${theFeed.output().slice(-1500)}`,
        30_000
      )
      await sleep(5_000)
      await ctx.fault('kill -9 Kafka, feed spool fills', async () => {
        const pid = await suite.stack.killKafka()
        const killedAt = Date.now()
        let fullAfterS: number | null = null
        const deadline = killedAt + 45_000
        while (Date.now() < deadline) {
          const m = await feedMetrics()
          if (m.dropped > 0) {
            fullAfterS = (Date.now() - killedAt) / 1000
            break
          }
          await sleep(500)
        }
        await sleep(8_000) // dropping for a while: the gap grows, the feed must stay up
        const during = await feedMetrics()
        const up = await suite.stack.restart()
        return {
          killedPid: pid,
          restartS: up.ms / 1000,
          spoolFullAfterS: fullAfterS,
          droppedWhileAway: during.dropped,
          spooledWhileAway: during.spooled,
          feedAliveWhileAway: theFeed.alive
        }
      })
      const back = Date.now()
      // Kafka is back: the feed must produce what it kept, and stay up doing it (fail at once if it exits).
      for (;;) {
        if (!theFeed.alive)
          throw new Error(
            `the feed crashed ${((Date.now() - back) / 1000).toFixed(1)} s after Kafka came back: ${theFeed.exits.at(-1)?.reason}`
          )
        const m = await feedMetrics().catch(() => null)
        if (m && m.spooled === 0 && m.queued < 1_000) break
        if (Date.now() - back > 90_000)
          throw new Error('the feed did not empty its spool within 90 s of Kafka coming back')
        await sleep(500)
      }
      ;(ctx.faults.at(-1) as { detail: Record<string, unknown> }).detail.feedCaughtUpS =
        (Date.now() - back) / 1000
      await sleep(5_000)
    },
    expectedExtra: async (ctx) => {
      const theFeed = feed as RoleProcess
      assert.ok(theFeed.alive, `the feed crashed: ${theFeed.exits.at(-1)?.reason}`)
      assert.equal(await theFeed.readyz(), 200, 'the feed is still connected and ready')
      await (sim as RoleProcess).stop(`end of the exchange stream (scenario ${ctx.id})`)
      await eventually(
        async () => {
          const m = await feedMetrics()
          return m.spooled === 0 && m.queued === 0
        },
        () => 'the feed did not send everything it kept',
        60_000
      )
      const m = await feedMetrics()
      ctx.messages.feedTrades = m.trades
      ctx.messages.feedDropped = m.dropped
      ctx.note(`feed: ${m.trades} trades, ${m.depth} depth, ${m.dropped} dropped, ${m.errors} failed sends`)
      // Every message the feed dropped is a trade: its only depth snapshots came at connect, before the outage.
      return { trades: m.trades - m.dropped, depth: m.depth }
    },
    check: async (ctx) => {
      const theFeed = feed as RoleProcess
      assert.equal(
        theFeed.unexpectedExits.length,
        0,
        `the feed exited: ${theFeed.unexpectedExits[0]?.reason}`
      )
      assert.ok((ctx.messages.feedDropped ?? 0) > 0, 'the spool filled and the gap was counted')
      assert.match(
        theFeed.output(),
        /GAP: Kafka is not taking messages and the spool is full/,
        'the gap is logged'
      )
    },
    cleanup: async () => {
      if (mounted) {
        const umount = spawnSync('umount', [spoolDir], { encoding: 'utf8' })
        if (umount.status !== 0) spawnSync('umount', ['-l', spoolDir])
      }
      rmSync(spoolDir, { recursive: true, force: true })
    }
  }
}

export function allScenarios(suite: Suite): ScenarioOptions[] {
  return [
    bridgeKills(suite),
    clickhouseKill(suite),
    kafkaKill(suite),
    clickhouseCutOff(suite),
    hubDown(suite),
    malformedMessages(suite),
    feedSpoolFull(suite, 'tmpfs'),
    feedSpoolFull(suite, 'max-bytes')
  ]
}

export type { ScenarioContext }

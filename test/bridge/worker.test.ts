import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { BridgeWorker, type WorkerDeps, type WorkerOptions } from '../../src/bridge/worker.ts'
import { ErrorCodes, TickbridgeError } from '../../src/errors.ts'
import { MultipleErrors, NetworkError, ProtocolError } from '@platformatic/kafka'
import { capturedLog } from '../helpers/logs.ts'
import { mixedMessages } from '../helpers/market-data.ts'
import { PressureStates, WatermarkPolicy, type BackpressurePolicy } from '../../src/core/backpressure.ts'
import { partitionKey } from '../../src/core/offset-tracker.ts'
import {
  FakeDeadLetters,
  FakeSink,
  FakeWriteBuffer,
  FakeSource,
  Gate,
  clickHouseError,
  eventually,
  silentLog,
  type InsertBehaviour
} from './fakes.ts'

const TRADES = 'market.trades'
const QUOTES = 'market.quotes'
const CANDLES = 'market.candles'

function tradeJson(id: string, price = '98012.50'): string {
  const ts = Date.now()
  return JSON.stringify({
    v: 1,
    type: 'trade',
    exchange: 'wallex',
    symbol: 'BTCUSDT',
    id,
    price,
    amount: '0.0123',
    side: 'buy',
    ts,
    recv_ts: ts
  })
}

function quoteJson(): string {
  const ts = Date.now()
  return JSON.stringify({
    v: 1,
    type: 'quote',
    exchange: 'polygon',
    symbol: 'EUR/USD',
    bid: '1.0501',
    ask: '1.0503',
    bid_size: '1000000',
    ask_size: '500000',
    ts,
    recv_ts: ts
  })
}

interface Setup {
  worker: BridgeWorker
  source: FakeSource
  sink: FakeSink
  deadLetters: FakeDeadLetters
}

async function startWorker(
  options: Partial<WorkerOptions> = {},
  behaviour?: InsertBehaviour,
  policy: BackpressurePolicy = new WatermarkPolicy(50_000, 0.8, 0.4),
  deps: Partial<Pick<WorkerDeps, 'deadLetters' | 'candles' | 'log' | 'onFatal'>> = {}
): Promise<Setup> {
  const source = new FakeSource()
  const sink = new FakeSink(behaviour)
  const deadLetters = new FakeDeadLetters()
  const worker = new BridgeWorker({
    source,
    sink,
    deadLetters,
    policy,
    log: silentLog,
    options: {
      instanceId: 'bridge-test',
      batchMaxRows: 100,
      batchMaxAgeMs: 5,
      maxInflightPerLane: 2,
      insertRetryMaxDelayMs: 5,
      ...options
    },
    ...deps
  })
  await worker.start()
  return { worker, source, sink, deadLetters }
}

function ids(rows: Record<string, unknown>[]): string[] {
  return rows.map((row) => String(row.id)).sort()
}

/** Nothing was committed past `first`, the first offset read (committing `first` itself is no progress). */
function noProgress(source: FakeSource, key: string, first: bigint): boolean {
  return (source.committed().get(key) ?? first) <= first
}

function committedText(source: FakeSource): string {
  return JSON.stringify([...source.committed()].map(([k, v]) => `${k}=${v}`).sort())
}

/** Nothing past `offset` committed for the partition (committing the held offset itself moves nothing). */
function assertNotCommittedPast(source: FakeSource, key: string, offset: bigint): void {
  const committed = source.committed().get(key)
  assert.ok(committed === undefined || committed <= offset, `${key} committed to ${committed}`)
}

test('valid trades on several partitions are all inserted once and committed to last offset + 1', async () => {
  const { worker, source, sink, deadLetters } = await startWorker({ batchMaxRows: 40 })
  const lastOffset = new Map<number, bigint>()
  const expected: string[] = []
  for (let i = 0; i < 300; i++) {
    const partition = i % 3
    const offset = BigInt(1000 * partition + Math.floor(i / 3))
    const id = `t-${i}`
    expected.push(id)
    source.push(TRADES, partition, offset, tradeJson(id))
    lastOffset.set(partition, offset)
  }
  const want = new Map([...lastOffset].map(([p, o]) => [`${TRADES}:${p}`, o + 1n]))
  await eventually(
    () =>
      [...want].every(([key, offset]) => source.committed().get(key) === offset) &&
      source.committed().size === want.size,
    () => `committed ${committedText(source)}, want ${JSON.stringify([...want].map(String))}`
  )
  assert.deepEqual(ids(sink.rows('trades')), expected.sort())
  assert.equal(deadLetters.letters.length, 0)
  assert.equal(worker.buffered, 0)
  // Rows carry the decimal text exactly.
  for (const call of sink.accepted) assert.match(call.body, /"price":98012\.50,/)
  assert.ok(sink.accepted.every((call) => call.table === 'trades'))
  // Commits only ever move forward.
  const seen = new Map<string, bigint>()
  for (const positions of source.commits) {
    for (const p of positions) {
      const key = partitionKey(p)
      assert.ok((seen.get(key) ?? -1n) < p.offset, `${key} went from ${seen.get(key)} to ${p.offset}`)
      seen.set(key, p.offset)
    }
  }
  await worker.stop(1_000)
})

test('each table gets its own inserts, with a dedup token naming the offsets', async () => {
  const { worker, source, sink } = await startWorker({ batchMaxRows: 1_000 })
  source.push(TRADES, 0, 10n, tradeJson('a'))
  source.push(QUOTES, 2, 7n, quoteJson())
  source.push(TRADES, 0, 11n, tradeJson('b'))
  await eventually(
    () => source.committed().get(`${TRADES}:0`) === 12n && source.committed().get(`${QUOTES}:2`) === 8n,
    () => committedText(source)
  )
  assert.equal(sink.rows('trades').length, 2)
  assert.equal(sink.rows('quotes').length, 1)
  const tokens = Object.fromEntries(sink.accepted.map((call) => [call.table, call.dedupToken]))
  assert.deepEqual(tokens, { trades: `${TRADES}:0:10-11`, quotes: `${QUOTES}:2:7-7` })
  await worker.stop(1_000)
})

test('invalid messages go to dead letters with reasons, are never inserted, and are committed', async () => {
  const { worker, source, sink, deadLetters } = await startWorker()
  const inputs: (string | undefined)[] = [
    tradeJson('good-1'),
    '{"v":1,"type":"trade"',
    undefined,
    JSON.stringify({ ...JSON.parse(tradeJson('v2')), v: 2 }),
    tradeJson('bad-price', 'abc'),
    tradeJson('good-2'),
    '[1,2,3]'
  ]
  inputs.forEach((value, i) => source.push(TRADES, 4, BigInt(i), value))
  await eventually(
    () => source.committed().get(`${TRADES}:4`) === BigInt(inputs.length),
    () => committedText(source)
  )
  assert.deepEqual(ids(sink.rows('trades')), ['good-1', 'good-2'])
  const letters = deadLetters.letters
    .map((l) => ({ offset: l.source.offset, reason: l.reason, value: l.source.value?.toString() }))
    .sort((a, b) => Number(a.offset - b.offset))
  assert.deepEqual(
    letters.map((l) => l.offset),
    [1n, 2n, 3n, 4n, 6n]
  )
  assert.match(letters[0]?.reason ?? '', /invalid JSON/)
  assert.match(letters[1]?.reason ?? '', /empty/)
  assert.match(letters[2]?.reason ?? '', /version/)
  assert.match(letters[3]?.reason ?? '', /price/)
  assert.match(letters[4]?.reason ?? '', /not a JSON object/)
  // The dead letter carries the original bytes.
  assert.equal(letters[0]?.value, '{"v":1,"type":"trade"')
  assert.equal(worker.stats.deadLetterCount, 5)
  for (const call of sink.attempts) {
    assert.doesNotMatch(call.body, /bad-price|"v2"/)
  }
  await worker.stop(1_000)
})

test('a retriable insert failure commits nothing while failing, then inserts once and commits', async () => {
  const failures = 4
  const committedDuringFailures: (bigint | undefined)[] = []
  let source: FakeSource | undefined
  const setup = await startWorker({ batchMaxRows: 1_000, insertRetryMaxDelayMs: 5 }, (_call, attempt) => {
    if (attempt <= failures) {
      committedDuringFailures.push(source?.committed().get(`${TRADES}:0`))
      throw new Error('connect ECONNREFUSED 127.0.0.1:8123')
    }
  })
  source = setup.source
  const { worker, sink } = setup
  for (let i = 0; i < 25; i++) source.push(TRADES, 0, BigInt(i), tradeJson(`r-${i}`))
  await eventually(
    () => source.committed().get(`${TRADES}:0`) === 25n,
    () => `attempts ${sink.attempts.length}, committed ${committedText(source)}`
  )
  for (const committed of committedDuringFailures) assert.ok(committed === undefined || committed === 0n)
  assert.equal(committedDuringFailures.length, failures)
  assert.equal(sink.attempts.length, failures + 1)
  assert.equal(sink.accepted.length, 1)
  assert.equal(
    new Set(sink.attempts.map((c) => c.dedupToken)).size,
    1,
    'every retry carries the same dedup token'
  )
  assert.deepEqual(ids(sink.rows('trades')), Array.from({ length: 25 }, (_, i) => `r-${i}`).sort())
  assert.equal(setup.deadLetters.letters.length, 0)
  await worker.stop(1_000)
})

test('a later batch that succeeds does not commit past an earlier batch that is still failing', async () => {
  const gate = new Gate()
  let firstBatchFailing = true
  const { worker, source, sink } = await startWorker(
    { batchMaxRows: 5, maxInflightPerLane: 2, insertRetryMaxDelayMs: 5 },
    (call) => {
      if (call.body.includes('"id":"early-0"') && firstBatchFailing) throw new Error('socket hang up')
    }
  )
  void gate.opened.then(() => (firstBatchFailing = false))
  for (let i = 0; i < 5; i++) source.push(TRADES, 0, BigInt(i), tradeJson(`early-${i}`))
  for (let i = 5; i < 10; i++) source.push(TRADES, 0, BigInt(i), tradeJson(`late-${i}`))
  await eventually(
    () => sink.accepted.length === 1 && sink.attempts.length >= 4,
    () => `accepted ${sink.accepted.length}, attempts ${sink.attempts.length}`
  )
  await sleep(20)
  assert.ok(noProgress(source, `${TRADES}:0`, 0n), committedText(source))
  gate.open()
  await eventually(
    () => source.committed().get(`${TRADES}:0`) === 10n,
    () => committedText(source)
  )
  assert.equal(sink.rows('trades').length, 10)
  await worker.stop(1_000)
})

test('a row ClickHouse rejects is isolated by splitting; the others are inserted, it is dead-lettered', async () => {
  const badId = 'poison-13'
  const { worker, source, sink, deadLetters } = await startWorker({ batchMaxRows: 1_000 }, (call) => {
    if (call.body.includes(`"id":"${badId}"`)) {
      throw clickHouseError(
        'Cannot parse input: expected , before: poison\nRow 14: ...',
        '27' // CANNOT_PARSE_INPUT_ASSERTION_FAILED
      )
    }
  })
  const n = 30
  for (let i = 0; i < n; i++) {
    source.push(TRADES, 1, BigInt(500 + i), tradeJson(i === 13 ? badId : `ok-${i}`))
  }
  await eventually(
    () => source.committed().get(`${TRADES}:1`) === BigInt(500 + n),
    () => `committed ${committedText(source)}, letters ${deadLetters.letters.length}`
  )
  const expected = Array.from({ length: n }, (_, i) => `ok-${i}`).filter((id) => id !== 'ok-13')
  assert.deepEqual(ids(sink.rows('trades')), expected.sort())
  assert.equal(deadLetters.letters.length, 1)
  const letter = deadLetters.letters[0]
  assert.ok(letter)
  assert.match(letter.reason, /^rejected by ClickHouse/)
  assert.match(letter.reason, /Cannot parse input/)
  assert.equal(letter.source.offset, 513n)
  assert.equal(letter.source.partition, 1)
  assert.match(letter.source.value?.toString() ?? '', new RegExp(badId))
  await worker.stop(1_000)
})

test('a candle recompute failing with a data error is retried, never split or dead-lettered; the trades commit after it', async () => {
  const refreshes: number[] = []
  const { worker, source, sink, deadLetters } = await startWorker(
    { batchMaxRows: 1_000 },
    undefined,
    undefined,
    {
      candles: {
        async refresh(scopes) {
          refreshes.push(scopes.length)
          if (refreshes.length <= 2) throw clickHouseError('Cannot parse input', '27')
        }
      }
    }
  )
  for (let i = 0; i < 4; i++) source.push(TRADES, 0, BigInt(i), tradeJson(`k-${i}`))
  await eventually(
    () => source.committed().get(`${TRADES}:0`) === 4n,
    () => `refreshes ${refreshes.length}, committed ${committedText(source)}`
  )
  assert.deepEqual(refreshes, [1, 1, 1], 'the same scopes, retried until they succeed')
  assert.equal(sink.attempts.length, 1, 'the rows are inserted once')
  assert.equal(deadLetters.letters.length, 0)
  await worker.stop(1_000)
})

test('backpressure: pauses once above 80 %, resumes once at or below 40 %', async () => {
  const gate = new Gate()
  const capacity = 10
  const { worker, source, sink } = await startWorker(
    { batchMaxRows: 2, maxInflightPerLane: 4 },
    () => gate.opened,
    new WatermarkPolicy(capacity, 0.8, 0.4)
  )
  const bufferedAtPause: number[] = []
  const bufferedAtResume: number[] = []
  source.onPause = () => bufferedAtPause.push(worker.buffered)
  source.onResume = () => bufferedAtResume.push(worker.buffered)

  for (let i = 0; i < 7; i++) source.push(TRADES, 0, BigInt(i), tradeJson(`b-${i}`))
  assert.equal(source.pauses, 0, 'below the high watermark keeps flowing')
  for (let i = 7; i < 10; i++) source.push(TRADES, 0, BigInt(i), tradeJson(`b-${i}`))
  assert.equal(source.pauses, 1)
  assert.deepEqual(bufferedAtPause, [8])
  assert.equal(worker.pressure, PressureStates.PAUSED)

  // The sink stays blocked for a while: still paused, nothing resumed, nothing committed.
  await sleep(30)
  assert.equal(source.pauses, 1)
  assert.equal(source.resumes, 0)
  assertNotCommittedPast(source, `${TRADES}:0`, 0n)

  gate.open()
  await eventually(
    () => source.committed().get(`${TRADES}:0`) === 10n,
    () => `committed ${committedText(source)}, accepted ${sink.accepted.length}`
  )
  assert.equal(source.resumes, 1)
  assert.equal(source.pauses, 1)
  assert.equal(bufferedAtResume.length, 1)
  assert.ok((bufferedAtResume[0] ?? Infinity) <= capacity * 0.4, `resumed at ${bufferedAtResume[0]}`)
  assert.equal(worker.pressure, PressureStates.FLOWING)
  assert.equal(worker.stats.backpressureCount, 1)
  assert.equal(sink.rows('trades').length, 10)
  await worker.stop(1_000)
})

test('stop() flushes open batches, commits them, closes the source and returns true', async () => {
  // Batches that would not flush on their own for a minute.
  const { worker, source, sink, deadLetters } = await startWorker({
    batchMaxRows: 1_000,
    batchMaxAgeMs: 60_000
  })
  for (let i = 0; i < 5; i++) source.push(TRADES, 2, BigInt(40 + i), tradeJson(`s-${i}`))
  source.push(TRADES, 2, 45n, 'garbage')
  source.push(QUOTES, 0, 3n, quoteJson())
  await sleep(10)
  assert.equal(sink.attempts.length, 0)

  const drained = await worker.stop(5_000)
  assert.equal(drained, true)
  assert.equal(sink.rows('trades').length, 5)
  assert.equal(sink.rows('quotes').length, 1)
  assert.equal(deadLetters.letters.length, 1)
  // Committed by the time stop() returns, not eventually.
  assert.equal(source.committed().get(`${TRADES}:2`), 46n)
  assert.equal(source.committed().get(`${QUOTES}:0`), 4n)
  assert.equal(source.closes, 1)
  assert.ok(source.pauses >= 1, 'stop() stops fetching')
  assert.equal(worker.buffered, 0)
})

test('stop() with an idle worker commits nothing, closes and returns true', async () => {
  const { worker, source } = await startWorker()
  assert.equal(await worker.stop(1_000), true)
  assert.equal(source.commits.length, 0)
  assert.equal(source.closes, 1)
})

test('stop() leaves no timer behind, so the process can exit as soon as it returns', async () => {
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
  const before = timers()
  const { worker, source } = await startWorker({ batchMaxRows: 1_000, batchMaxAgeMs: 60_000 })
  source.push(TRADES, 0, 0n, tradeJson('x'))
  assert.equal(await worker.stop(60_000), true)
  // A pending shutdown timeout would keep a drained bridge process alive for the whole timeout.
  assert.equal(timers(), before)
})

test('stop() returns false when a batch could not be inserted, and does not commit it', async () => {
  const { worker, source, sink } = await startWorker(
    { batchMaxRows: 1_000, batchMaxAgeMs: 60_000, insertRetryMaxDelayMs: 5 },
    () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:8123')
    }
  )
  for (let i = 0; i < 3; i++) source.push(TRADES, 0, BigInt(i), tradeJson(`f-${i}`))
  const drained = await worker.stop(2_000)
  assert.ok(sink.attempts.length >= 1)
  assert.equal(sink.accepted.length, 0)
  assert.ok(noProgress(source, `${TRADES}:0`, 0n), committedText(source))
  assert.equal(source.closes, 1)
  assert.equal(drained, false, 'rows were not inserted, so the worker did not drain')
})

test('stop() gives up after its timeout when the sink hangs, and commits nothing of that batch', async () => {
  const gate = new Gate()
  const { worker, source } = await startWorker(
    { batchMaxRows: 1_000, batchMaxAgeMs: 60_000 },
    () => gate.opened
  )
  source.push(TRADES, 0, 0n, tradeJson('h-0'))
  source.push(QUOTES, 0, 0n, quoteJson())
  const drained = await worker.stop(30)
  assert.equal(drained, false)
  assert.ok(noProgress(source, `${TRADES}:0`, 0n), committedText(source))
  assert.equal(source.closes, 1)
})

test('commits are limited to the partitions the source says it owns', async () => {
  const { worker, source, sink } = await startWorker()
  source.owned = new Set([partitionKey({ topic: TRADES, partition: 0 })])
  source.push(TRADES, 0, 0n, tradeJson('mine'))
  source.push(TRADES, 1, 0n, tradeJson('revoked'))
  await eventually(
    () => sink.rows('trades').length === 2 && source.committed().get(`${TRADES}:0`) === 1n,
    () => committedText(source)
  )
  await worker.stop(1_000)
  assert.equal(source.committed().get(`${TRADES}:1`), undefined, committedText(source))
})

test('a failed offset commit is retried even when no further message arrives', async () => {
  const { worker, source } = await startWorker()
  const commit = source.commit.bind(source)
  let failures = 1
  source.commit = async (positions) => {
    if (failures-- > 0) throw new Error('REBALANCE_IN_PROGRESS')
    return commit(positions)
  }
  for (let i = 0; i < 5; i++) source.push(TRADES, 0, BigInt(i), tradeJson(`c-${i}`))
  await eventually(
    () => source.committed().get(`${TRADES}:0`) === 5n,
    () => committedText(source),
    5_000
  )
  await worker.stop(1_000)
})

test('a batch finishing while a commit is settling is still committed, without further messages', async () => {
  // Whatever the timing between the first commit settling and the second batch being delivered, the second
  // batch's offsets must be committed; no later message or failure will trigger another commit.
  for (let ticks = 0; ticks < 12; ticks++) {
    const gate = new Gate()
    const { worker, source, sink } = await startWorker({ batchMaxRows: 5, batchMaxAgeMs: 60_000 }, (call) =>
      call.body.includes('"id":"second-') ? gate.opened : undefined
    )
    const commit = source.commit.bind(source)
    let first = true
    source.commit = async (positions) => {
      if (first) {
        first = false
        await gate.opened
        for (let i = 0; i < ticks; i++) await null
      }
      return commit(positions)
    }
    for (let i = 0; i < 5; i++) source.push(TRADES, 0, BigInt(i), tradeJson(`first-${i}`))
    await eventually(
      () => !first,
      () => 'first commit not attempted'
    )
    for (let i = 5; i < 10; i++) source.push(TRADES, 0, BigInt(i), tradeJson(`second-${i}`))
    // One event releases both the first commit and the second batch's insert.
    gate.open()
    await eventually(
      () => sink.accepted.length === 2,
      () => `accepted ${sink.accepted.length}`
    )
    await eventually(
      () => source.committed().get(`${TRADES}:0`) === 10n,
      () => `with ${ticks} ticks: committed ${committedText(source)} although all 10 rows are inserted`,
      2_000
    )
    await worker.stop(1_000)
  }
})

test('a dead letter refused for good (non-retriable) is not retried: the worker reports it as fatal and commits nothing past it', async () => {
  let attempts = 0
  const fatal: Error[] = []
  const { source } = await startWorker({}, undefined, undefined, {
    deadLetters: {
      async send() {
        attempts++
        throw new TickbridgeError(ErrorCodes.DLQ_REFUSED, 'the dead-letter topic refused letters', {
          retriable: false
        })
      }
    },
    onFatal: (error) => fatal.push(error)
  })
  source.push(TRADES, 0, 0n, 'not json')
  source.push(TRADES, 0, 1n, tradeJson('after'))
  await eventually(
    () => fatal.length === 1,
    () => `fatal ${fatal.length}`
  )
  await sleep(50)
  assert.equal(attempts, 1, 'sent once, never retried')
  assert.equal((fatal[0] as TickbridgeError).code, 'TB_DLQ_REFUSED')
  assert.equal(source.committed().get(`${TRADES}:0`) ?? 0n, 0n, 'nothing committed past the refused letter')
})

// Before: a failed write was logged as `"err":"Producing messages failed."`, and the broker's reason
// (the protocol error inside the client's MultipleErrors) appeared nowhere until the process gave up.
test('a failed write is logged with the error object: its type, code, the broker error names and the causes', async () => {
  const { log, text } = capturedLog()
  let attempts = 0
  const { source } = await startWorker({ maxInflightPerLane: 1 }, undefined, undefined, {
    log,
    deadLetters: {
      async send() {
        if (++attempts === 1)
          throw new MultipleErrors('Producing messages failed.', [
            new ProtocolError('NOT_LEADER_OR_FOLLOWER'),
            new NetworkError('Connection closed', { cause: new Error('ECONNRESET') })
          ])
      }
    }
  })
  source.push(TRADES, 0, 0n, 'not json')
  await eventually(
    () => source.committed().get(`${TRADES}:0`) === 1n,
    () => committedText(source)
  )
  const line = text()
    .split('\n')
    .find((l) => l.includes('write failed, retrying'))
  assert.ok(line, text())
  const logged = JSON.parse(line) as { err: { type: string; code: string; message: string }; reason: string }
  assert.equal(logged.err.type, 'MultipleErrors')
  assert.equal(logged.err.code, 'PLT_KFK_MULTIPLE')
  assert.match(line, /"apiId":"NOT_LEADER_OR_FOLLOWER"/)
  assert.match(line, /ECONNRESET/, 'the cause chain is kept')
  assert.match(logged.reason, /Producing messages failed\. \[NOT_LEADER_OR_FOLLOWER\]/)
})

test('a batch scaled up by the partition share is inserted at the unscaled age once it holds batchEarlyRows', async () => {
  // 20 ms × 150 = 3 s scaled age; 5 rows are enough to go at 20 ms. (The bounds leave a busy CI machine
  // seconds of slack: with a 500 ms scaled age, a stalled event loop once made an early batch look late.)
  const { sink, source } = await startWorker({
    batchMaxAgeMs: 20,
    batchAgeScale: () => 150,
    batchEarlyRows: 5
  })
  const started = Date.now()
  for (let i = 0; i < 5; i++) source.push(TRADES, 0, BigInt(i), tradeJson(`e-${i}`))
  await eventually(
    () => sink.accepted.length === 1,
    () => `${sink.accepted.length} inserts`
  )
  assert.ok(Date.now() - started < 1_500, `inserted after ${Date.now() - started} ms`)
  assert.deepEqual(ids(sink.rows('trades')), ['e-0', 'e-1', 'e-2', 'e-3', 'e-4'])
})

test('a batch due early is not held for a fetch timed to its scaled age', async () => {
  // Fetches are timed to land just before the scaled age (3 s here): one is always on its way. The early
  // batch must still go at 20 ms (held for the fetch, it went at the scaled age: BATCH_EARLY_ROWS did nothing).
  const { sink, source } = await startWorker({
    batchMaxAgeMs: 20,
    batchAgeScale: () => 150,
    batchEarlyRows: 5
  })
  source.landing = true
  const started = Date.now()
  for (let i = 0; i < 5; i++) source.push(TRADES, 0, BigInt(i), tradeJson(`f-${i}`))
  await eventually(
    () => sink.accepted.length === 1,
    () => `${sink.accepted.length} inserts`
  )
  assert.ok(Date.now() - started < 1_500, `inserted after ${Date.now() - started} ms`)
})

test('a small batch waits for the scaled age; one reaching batchEarlyRows after the unscaled age goes at once', async () => {
  const { sink, source } = await startWorker({
    batchMaxAgeMs: 20,
    batchAgeScale: () => 150,
    batchEarlyRows: 5
  })
  const started = Date.now()
  for (let i = 0; i < 2; i++) source.push(TRADES, 0, BigInt(i), tradeJson(`s-${i}`))
  await sleep(100)
  assert.equal(sink.attempts.length, 0, 'two rows wait for the scaled age (3 s)')
  for (let i = 2; i < 5; i++) source.push(TRADES, 0, BigInt(i), tradeJson(`s-${i}`))
  await eventually(
    () => sink.accepted.length === 1,
    () => `${sink.accepted.length} inserts`
  )
  assert.ok(Date.now() - started < 1_500, `inserted after ${Date.now() - started} ms`)
  assert.equal(sink.rows('trades').length, 5)
  // Without the early size, a small batch still goes at the scaled age.
  source.push(TRADES, 0, 5n, tradeJson('s-5'))
  const second = Date.now()
  await eventually(
    () => sink.accepted.length === 2,
    () => `${sink.accepted.length} inserts`
  )
  assert.ok(Date.now() - second >= 2_900, `small batch inserted after ${Date.now() - second} ms`)
})

test('the batch clock: the earliest open batch is due at its age bound, and a landed fetch flushes the batches due within its lead', async () => {
  const { worker, sink, source } = await startWorker({ batchMaxAgeMs: 1_000 })
  assert.equal(worker.nextDueAt(), null, 'no batch open')
  const opened = Date.now()
  source.push(TRADES, 0, 0n, tradeJson('c-0'))
  const dueAt = worker.nextDueAt()
  assert.ok(dueAt !== null && dueAt >= opened + 1_000 && dueAt <= Date.now() + 1_000, `due at ${dueAt}`)
  worker.flushDueWithin(100)
  await sleep(20)
  assert.equal(sink.attempts.length, 0, 'due in ~1 s: a fetch landing now does not flush it')
  worker.flushDueWithin(1_000)
  await eventually(
    () => sink.accepted.length === 1,
    () => `${sink.accepted.length} inserts`
  )
  assert.ok(
    Date.now() - opened < 500,
    `flushed by the landed fetch, ${Date.now() - opened} ms after it opened`
  )
  assert.deepEqual(ids(sink.rows('trades')), ['c-0'])
  assert.equal(worker.nextDueAt(), null, 'nothing open after the flush')
})

test('a batch due while a fetch timed to it is still on its way waits for it, at most a short grace', async () => {
  const { worker, sink, source } = await startWorker({ batchMaxAgeMs: 100 })
  source.landing = true
  source.push(TRADES, 0, 0n, tradeJson('g-0'))
  await sleep(110)
  assert.equal(sink.attempts.length, 0, 'due, but the fetch timed to it has not landed')
  worker.flushDueWithin(10) // another broker's fetch landed: this one is still on its way
  await sleep(5)
  assert.equal(sink.attempts.length, 0, 'a landing does not flush a batch another fetch is timed to')
  source.landing = false // the late fetch lands
  source.push(TRADES, 0, 1n, tradeJson('g-1'))
  worker.flushDueWithin(10)
  await eventually(
    () => sink.accepted.length === 1,
    () => `${sink.accepted.length} inserts`
  )
  assert.deepEqual(ids(sink.rows('trades')), ['g-0', 'g-1'], 'its messages went with the batch')
  // A fetch that never lands holds the batch only for the grace.
  source.landing = true
  const opened = Date.now()
  source.push(TRADES, 0, 2n, tradeJson('g-2'))
  await eventually(
    () => sink.accepted.length === 2,
    () => `${sink.accepted.length} inserts`
  )
  const waited = Date.now() - opened
  assert.ok(waited >= 115 && waited < 400, `flushed ${waited} ms after it opened (age 100 ms + grace 20 ms)`)
})

test('behind a write buffer: rows are inserted at once, committed only after a flush stores them', async () => {
  const { worker, source, sink } = await startWorker({ batchMaxRows: 10 })
  const buffer = new FakeWriteBuffer()
  sink.buffer = buffer
  for (let i = 0; i < 30; i++) source.push(TRADES, 0, BigInt(i), tradeJson(`b-${i}`))
  await eventually(
    () => sink.rows('trades').length === 30 && buffer.waiting === 3,
    () => `${sink.rows('trades').length} rows inserted, ${buffer.waiting} waiting for a flush`
  )
  await sleep(20)
  assert.ok(noProgress(source, `${TRADES}:0`, 0n), `committed before the flush: ${committedText(source)}`)
  assert.equal(worker.buffered, 0, 'inserted rows no longer count against the buffer while they wait')
  buffer.flush()
  await eventually(
    () => source.committed().get(`${TRADES}:0`) === 30n,
    () => `committed ${committedText(source)}`
  )
  assert.equal(sink.rows('trades').length, 30, 'each row inserted once')
  await worker.stop(1_000)
})

test('behind a write buffer: ClickHouse restarting before the flush makes the batch go in again, then commit', async () => {
  const { worker, source, sink } = await startWorker({ batchMaxRows: 10 })
  const buffer = new FakeWriteBuffer()
  sink.buffer = buffer
  for (let i = 0; i < 10; i++) source.push(TRADES, 0, BigInt(i), tradeJson(`r-${i}`))
  await eventually(
    () => buffer.waiting === 1,
    () => `${buffer.waiting} waiting`
  )
  buffer.restart()
  buffer.flush()
  await eventually(
    () => sink.rows('trades').length === 20 && buffer.waiting === 1,
    () => `${sink.rows('trades').length} rows inserted, ${buffer.waiting} waiting`
  )
  assert.ok(noProgress(source, `${TRADES}:0`, 0n), `committed lost rows: ${committedText(source)}`)
  buffer.flush()
  await eventually(
    () => source.committed().get(`${TRADES}:0`) === 10n,
    () => `committed ${committedText(source)}`
  )
  const once = Array.from({ length: 10 }, (_, i) => `r-${i}`)
  assert.deepEqual(ids(sink.rows('trades')), [...once, ...once].sort(), 'every row inserted twice')
  assert.equal(worker.stats.snapshot().reinserted, 10)
  await worker.stop(1_000)
})

test('behind a write buffer: exchange candles (no buffer) are committed without a flush and keep their dedup token', async () => {
  const { worker, source, sink } = await startWorker({ batchMaxRows: 10 })
  const buffer = new FakeWriteBuffer()
  sink.buffer = buffer
  const [candle] = mixedMessages({ trades: 0, depth: 0, quotes: 0, candles: 1 })
  source.push(CANDLES, 0, 0n, JSON.stringify(candle))
  source.push(TRADES, 0, 0n, tradeJson('c-1'))
  // The candle commits while the trade, inserted too, waits for its flush.
  await eventually(
    () => source.committed().get(`${CANDLES}:0`) === 1n && buffer.waiting === 1,
    () => `committed ${committedText(source)}, ${buffer.waiting} waiting for a flush`
  )
  assert.equal(buffer.requests, 1, 'only the trade asked for a flush')
  assert.ok(
    noProgress(source, `${TRADES}:0`, 0n),
    `trade committed before its flush: ${committedText(source)}`
  )
  const [candleInsert] = sink.accepted.filter((call) => call.table === 'candles')
  assert.match(candleInsert?.dedupToken ?? '', /^market\.candles:0:0-0$/)
  assert.equal(sink.accepted.find((call) => call.table === 'trades')?.dedupToken, '')
  buffer.flush()
  await eventually(
    () => source.committed().get(`${TRADES}:0`) === 1n,
    () => `committed ${committedText(source)}`
  )
  await worker.stop(1_000)
})

test('stop() asks the write buffer not to wait for its interval', async () => {
  const { worker, sink } = await startWorker()
  const buffer = new FakeWriteBuffer()
  sink.buffer = buffer
  await worker.stop(50)
  assert.equal(buffer.hurried, true)
})

test('an insert that hangs shows as the oldest insert under way (what the hub reads as latency), then clears', async () => {
  const gate = new Gate()
  const { worker, source, sink } = await startWorker({ batchMaxRows: 5 }, async () => {
    await gate.opened // ClickHouse unreachable behind a dead connection: no answer, no error
  })
  assert.equal(worker.oldestInsertSince, null, 'nothing under way')
  const before = Date.now()
  for (let i = 0; i < 5; i++) source.push(TRADES, 0, BigInt(i), tradeJson(`h-${i}`))
  await eventually(
    () => sink.attempts.length >= 1,
    () => 'no insert attempted'
  )
  await sleep(50)
  const since = worker.oldestInsertSince
  assert.ok(since !== null && since >= before && Date.now() - since >= 50, `since ${since}`)
  gate.open()
  await eventually(
    () => worker.oldestInsertSince === null,
    () => `still ${worker.oldestInsertSince}`
  )
  assert.equal(sink.rows('trades').length, 5)
  await worker.stop(1_000)
})

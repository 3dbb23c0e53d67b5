import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { MarketMessage } from '../../src/core/messages.ts'
import { FeedConnection } from '../../src/feed/connection.ts'
import { wallexSession } from '../../src/feed/exchanges/wallex.ts'
import { startWallexServer } from '../../src/sim/wallex-server.ts'
import { eventually, silentLog } from '../helpers/stack.ts'

test('the Wallex simulator speaks the protocol the feed understands, faults included', async (t) => {
  const server = await startWallexServer(
    { port: 0, tradesPerSecond: 500, depthEveryMs: 100, seed: 3, dropAfterMs: 1_000, malformedRatio: 0.05 },
    silentLog
  )
  const messages: MarketMessage[] = []
  const rejected: string[] = []
  const connection = new FeedConnection(
    wallexSession(
      { url: server.url, protocol: 1, symbols: ['BTCUSDT', 'ETHUSDT'], depthIntervalMs: 200 },
      { message: (m) => messages.push(m), rejected: (_f, reason) => rejected.push(reason) }
    ),
    silentLog,
    { pingIntervalMs: 200, staleAfterMs: 2_000, reconnectMaxDelayMs: 100 }
  )
  connection.start()
  t.after(async () => {
    connection.stop()
    await server.close()
  })
  const of = (type: string, symbol?: string) =>
    messages.filter((m) => m.type === type && (!symbol || m.symbol === symbol)).length
  await eventually(
    async () =>
      connection.connects >= 2 &&
      of('trade') > 300 &&
      of('depth', 'BTCUSDT') >= 2 &&
      of('depth', 'ETHUSDT') >= 2,
    () =>
      `connects ${connection.connects}, trades ${of('trade')}, depth ${of('depth')}, rejected ${rejected.length}`,
    10_000
  )
  assert.ok(of('trade', 'BTCUSDT') > 0 && of('trade', 'ETHUSDT') > 0, 'trades of both subscribed symbols')
  assert.ok(rejected.length > 0, 'malformed frames are reported')
  assert.ok(rejected.every((reason) => /invalid JSON/.test(reason)))
})

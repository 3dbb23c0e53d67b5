import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'node:test'
import type { MarketMessage } from '../../../src/core/messages.ts'
import { bybitSession } from '../../../src/feed/exchanges/bybit.ts'
import type { SessionConnection } from '../../../src/feed/session.ts'

/** The session driven frame by frame through a fake connection (no sockets): what it sends and publishes. */
function harness(syncTimeoutMs = 60_000) {
  const messages: MarketMessage[] = []
  const rejected: string[] = []
  const sent: Record<string, unknown>[] = []
  const lifetime = new AbortController()
  const session = bybitSession(
    {
      url: 'ws://x',
      symbols: ['BTCUSDT', 'NOPEUSDT'],
      depthIntervalMs: 0,
      pingIntervalMs: 20,
      syncTimeoutMs
    },
    { message: (m) => messages.push(m), rejected: (_frame, reason) => rejected.push(reason) }
  )
  const connection: SessionConnection = {
    send: (m) => sent.push(m as Record<string, unknown>),
    sendText: () => undefined,
    stop: () => undefined,
    signal: lifetime.signal
  }
  session.onConnect?.()
  const subscribes = session.subscribeMessages() as Record<string, unknown>[]
  const work = session.afterConnect?.(() => lifetime.signal.aborted, connection) ?? Promise.resolve()
  const frame = (value: unknown) => session.onFrame(JSON.stringify(value), Date.now(), connection)
  const book = (type: 'snapshot' | 'delta', u: number, bid: string) =>
    frame({
      topic: 'orderbook.50.BTCUSDT',
      ts: 1_700_000_000_000 + u,
      type,
      data: { s: 'BTCUSDT', b: [[bid, '1.000']], a: type === 'snapshot' ? [['101.00', '2']] : [], u, seq: u },
      cts: 1
    })
  const answer = (reqId: unknown, op: string, success: boolean, retMsg = '') =>
    frame({ success, ret_msg: retMsg, conn_id: 'c', req_id: reqId, op })
  return { messages, rejected, sent, lifetime, subscribes, work, frame, book, answer }
}

test('session: snapshot before the ack, a refused symbol left alone, a u gap resubscribes only that book', async () => {
  const h = harness()
  assert.deepEqual(h.subscribes, [
    {
      req_id: '1',
      op: 'subscribe',
      args: ['publicTrade.BTCUSDT', 'orderbook.50.BTCUSDT', 'publicTrade.NOPEUSDT', 'orderbook.50.NOPEUSDT']
    }
  ])
  h.book('snapshot', 10, '100.00') // before the answer, as Bybit does
  assert.deepEqual(
    h.messages.map((m) => m.type === 'depth' && [m.bids, m.asks, m.ts]),
    [[[['100.00', '1.000']], [['101.00', '2']], 1_700_000_000_010]]
  )
  h.answer('1', 'subscribe', false, 'error:handler not found,topic:orderbook.50.NOPEUSDT')
  assert.equal(h.rejected.length, 1)
  assert.match(h.rejected[0] ?? '', /^Bybit refused subscribe \[.*NOPEUSDT.*\]: error:handler not found/)
  h.book('delta', 11, '99.00')
  assert.equal(h.messages.length, 2, 'a delta in sequence publishes')
  h.book('delta', 13, '98.00') // u 12 is missing
  const unsubscribe = h.sent.find((m) => m.op === 'unsubscribe')
  assert.deepEqual(unsubscribe?.args, ['orderbook.50.BTCUSDT'])
  h.book('delta', 14, '97.00') // still the old subscription: ignored, not rejected
  assert.equal(h.messages.length, 2)
  assert.equal(h.sent.filter((m) => m.op === 'subscribe').length, 0, 'no subscribe before the answer')
  h.answer(unsubscribe?.req_id, 'unsubscribe', true)
  const resubscribe = h.sent.find((m) => m.op === 'subscribe')
  assert.deepEqual(resubscribe?.args, ['orderbook.50.BTCUSDT'])
  h.book('snapshot', 20, '96.00')
  h.answer(resubscribe?.req_id, 'subscribe', true, 'subscribe')
  const last = h.messages.at(-1)
  assert.ok(last?.type === 'depth')
  assert.deepEqual(last.bids, [['96.00', '1.000']], 'the new snapshot replaced the book')
  h.frame({ success: true, ret_msg: 'pong', conn_id: 'c', req_id: '99', op: 'ping' })
  assert.equal(h.rejected.length, 1, 'pongs and acks are not dead letters')
  await sleep(70)
  assert.ok(h.sent.filter((m) => m.op === 'ping').length >= 2, 'application pings on a timer')
  h.lifetime.abort()
  await h.work
  const sentAtClose = h.sent.length
  await sleep(60)
  assert.equal(h.sent.length, sentAtClose, 'the ping timer ended with the connection')
})

test('session: a refused resubscription, or a delta before the snapshot, ends in a reconnect by the watchdog', async () => {
  const h = harness(150)
  h.answer('1', 'subscribe', true, 'subscribe')
  h.frame({
    topic: 'orderbook.50.NOPEUSDT',
    ts: 1_700_000_000_000,
    type: 'snapshot',
    data: { s: 'NOPEUSDT', b: [['1.0', '1']], a: [['2.0', '1']], u: 1, seq: 1 }
  })
  h.book('delta', 5, '100.00') // a subscription must start with a snapshot
  const unsubscribe = h.sent.find((m) => m.op === 'unsubscribe')
  assert.deepEqual(unsubscribe?.args, ['orderbook.50.BTCUSDT'])
  h.answer(unsubscribe?.req_id, 'unsubscribe', false, 'error:not subscribed')
  const resubscribe = h.sent.find((m) => m.op === 'subscribe')
  h.answer(resubscribe?.req_id, 'subscribe', false, 'error:already subscribed')
  await assert.rejects(h.work, /the BTCUSDT book got no snapshot within 150 ms/)
  h.lifetime.abort()
})

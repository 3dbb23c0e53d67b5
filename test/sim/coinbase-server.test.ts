import assert from 'node:assert/strict'
import { once } from 'node:events'
import { test } from 'node:test'
import WebSocket from 'ws'
import { startCoinbaseServer } from '../../src/sim/coinbase/server.ts'
import { eventually } from '../helpers/stack.ts'

interface Frame {
  type?: string
  message?: string
  channel?: string
  sequence_num?: number
  timestamp?: string
  events?: Record<string, unknown>[]
}

async function connect(url: string): Promise<{ socket: WebSocket; frames: Frame[] }> {
  const socket = new WebSocket(url)
  const frames: Frame[] = []
  socket.on('message', (data) => frames.push(JSON.parse(data.toString()) as Frame))
  await once(socket, 'open')
  return { socket, frames }
}

test('the local Coinbase server: subscribe within the timeout, one channel per message, sequence_num per connection', async (t) => {
  const server = await startCoinbaseServer({
    symbols: ['BTC-USD'],
    seed: 3,
    tradesPerSecond: 20,
    tickMs: 50,
    heartbeatMs: 200,
    subscribeTimeoutMs: 300
  })
  t.after(() => server.close())

  // No subscribe in time: the connection is closed.
  const silent = await connect(server.url)
  const [code] = (await once(silent.socket, 'close')) as [number]
  assert.equal(code, 1008)

  const { socket, frames } = await connect(server.url)
  t.after(() => socket.terminate())
  socket.send(JSON.stringify({ type: 'subscribe', channels: ['level2'], product_ids: ['BTC-USD'] }))
  socket.send(JSON.stringify({ type: 'subscribe', channel: 'level2', product_ids: ['DOGE-EUR'] }))
  socket.send(JSON.stringify({ type: 'subscribe', channel: 'level2', product_ids: ['BTC-USD'] }))
  socket.send(JSON.stringify({ type: 'subscribe', channel: 'heartbeats' }))
  await eventually(
    async () => frames.filter((f) => f.channel === 'heartbeats').length >= 2 && frames.length >= 8,
    () => JSON.stringify(frames.slice(0, 5)),
    5_000
  )
  const errors = frames.filter((f) => f.type === 'error')
  assert.equal(errors.length, 2, 'a channels array and an unknown product are refused')
  const data = frames.filter((f) => f.type !== 'error')
  assert.deepEqual(
    data.map((f) => f.sequence_num),
    data.map((_, i) => i),
    'sequence_num counts every message of the connection'
  )
  assert.equal(data[0]?.channel, 'subscriptions')
  assert.deepEqual(data[0]?.events, [{ subscriptions: { level2: ['BTC-USD'] } }])
  const snapshot = data[1]?.events?.[0] as { type: string; updates: { side: string; event_time: string }[] }
  assert.equal(data[1]?.channel, 'l2_data')
  assert.equal(snapshot.type, 'snapshot')
  assert.ok(
    snapshot.updates.some((u) => u.side === 'offer') && snapshot.updates.some((u) => u.side === 'bid')
  )
  assert.match(data[1]?.timestamp ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/)
  const counters = data
    .filter((f) => f.channel === 'heartbeats')
    .map((f) => Number((f.events?.[0] as { heartbeat_counter: string }).heartbeat_counter))
  assert.equal(counters[1], (counters[0] as number) + 1, 'heartbeat_counter +1 per heartbeat')
})

import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { WebSocketServer } from 'ws'
import type { CandleMessage, MarketMessage, QuoteMessage, TradeMessage } from '../../../src/core/messages.ts'
import { parseMessage } from '../../../src/core/validate.ts'
import { FeedConnection } from '../../../src/feed/connection.ts'
import { polygonSession } from '../../../src/feed/exchanges/polygon.ts'
import { eventually, silentLog } from '../../helpers/stack.ts'

// A local server speaking Polygon's socket protocol: status on connect, auth, subscribe, batched arrays.
async function polygonServer(validKey: string) {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  await new Promise((resolve) => server.once('listening', resolve))
  const received: unknown[] = []
  let connections = 0
  server.on('connection', (socket) => {
    connections++
    socket.send('[{"ev":"status","status":"connected","message":"Connected Successfully"}]')
    socket.on('message', (data) => {
      const command = JSON.parse(data.toString()) as { action: string; params: string }
      received.push(command)
      if (command.action === 'auth' && command.params !== validKey) {
        socket.send('[{"ev":"status","status":"auth_failed","message":"authentication failed"}]')
        socket.close(1008)
      } else if (command.action === 'auth') {
        socket.send('[{"ev":"status","status":"auth_success","message":"authenticated"}]')
      } else if (command.action === 'subscribe') {
        socket.send(`[{"ev":"status","status":"success","message":"subscribed to: ${command.params}"}]`)
        // One frame, several events, prices as JSON numbers with digits a float would lose.
        socket.send(
          '[{"ev":"XT","pair":"BTC-USD","p":33021.90,"t":1610462007425,"s":0.01616617,"c":[2],"i":"14272084","x":3,"r":1610462007576},' +
            '{"ev":"XQ","pair":"BTC-USD","bp":33052.79,"bs":0.48,"ap":33073.19,"as":0.601,"t":1610462411115,"x":1,"r":1610462411128},' +
            '{"ev":"C","p":"USD/CNH","x":44,"a":6.83366,"b":6.83363,"t":1536036818784},' +
            '{"ev":"XA","pair":"BCD-USD","v":951.6112,"vw":0.7756,"z":73,"o":0.772,"c":0.784,"h":0.784,"l":0.771,"s":1610463240000,"e":1610463300000},' +
            '{"ev":"XT","pair":"BTC-USD","p":"not a number","t":1,"s":1,"i":"x"}]'
        )
      }
    })
  })
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/crypto`,
    received,
    server,
    connections: () => connections
  }
}

test('Polygon: auth, then subscribe; batched events map to trades, quotes and candles with exact digits', async (t) => {
  const { url, received, server } = await polygonServer('good-key')
  const messages: MarketMessage[] = []
  const rejected: string[] = []
  const connection = new FeedConnection(
    polygonSession(
      { url, apiKey: 'good-key', subscriptions: ['XT.BTC-USD', 'XQ.BTC-USD', 'XA.*'] },
      {
        message: (m) => messages.push(m),
        rejected: (_frame, reason) => rejected.push(reason)
      }
    ),
    silentLog
  )
  connection.start()
  t.after(() => {
    connection.stop()
    server.close()
  })
  await eventually(
    async () => messages.length === 4 && rejected.length === 1,
    () => `${messages.length} messages`,
    5_000
  )
  assert.deepEqual(received, [
    { action: 'auth', params: 'good-key' },
    { action: 'subscribe', params: 'XT.BTC-USD,XQ.BTC-USD,XA.*' }
  ])
  const [trade, quote, forex, candle] = messages as [TradeMessage, QuoteMessage, QuoteMessage, CandleMessage]
  assert.deepEqual(
    [trade.symbol, trade.id, trade.price, trade.amount, trade.ts],
    ['BTC-USD', '14272084', '33021.90', '0.01616617', 1610462007425]
  )
  assert.deepEqual(
    [quote.bid, quote.bid_size, quote.ask, quote.ask_size],
    ['33052.79', '0.48', '33073.19', '0.601']
  )
  assert.deepEqual([forex.symbol, forex.bid, forex.ask], ['USD/CNH', '6.83363', '6.83366'])
  assert.deepEqual(
    [candle.timeframe, candle.ts, candle.open, candle.close, candle.volume, candle.trades],
    ['1m', 1610463240000, '0.772', '0.784', '951.6112', 73]
  )
  for (const m of messages) assert.ok(parseMessage(JSON.stringify(m), Date.now()).ok, `${m.type} is valid v1`)
  assert.match(rejected[0] ?? '', /bad symbol, price/)
})

test('Polygon: a refused API key stops the connection with the reason, without reconnecting', async (t) => {
  const { url, server, connections } = await polygonServer('good-key')
  const connection = new FeedConnection(
    polygonSession(
      { url, apiKey: 'wrong', subscriptions: ['XT.*'] },
      { message: () => undefined, rejected: () => undefined }
    ),
    silentLog,
    { pingIntervalMs: 100, staleAfterMs: 1_000, reconnectMaxDelayMs: 100 }
  )
  connection.start()
  t.after(() => {
    connection.stop()
    server.close()
  })
  await eventually(
    async () => connection.fatal !== null,
    () => 'no fatal error',
    5_000
  )
  assert.match(connection.fatal ?? '', /refused the API key \(auth_failed/)
  await sleep(500)
  assert.equal(connections(), 1, 'no reconnect loop')
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadConfig } from '../../../src/config/load.ts'
import { TickbridgeError } from '../../../src/errors.ts'
import {
  createSession,
  exchangeNames,
  exchangeOptionsFromFlags,
  exchanges
} from '../../../src/feed/exchanges/index.ts'
import { simProtocols } from '../../../src/sim/protocols/index.ts'
import { silentLog } from '../../helpers/stack.ts'

const config = loadConfig({ POLYGON_API_KEY: 'key-for-tests' }, '/nonexistent/.env')
const sink = { message: () => undefined, rejected: () => undefined }
const common = { symbols: ['btcusdt'], depthIntervalMs: 500 }
const ownDefaults = (name: keyof typeof exchanges) =>
  Object.fromEntries(
    exchanges[name].flags.map((flag) => [
      flag.flags
        .replace(/^--/, '')
        .replace(/ .*/, '')
        .replace(/-(\w)/g, (_, c: string) => c.toUpperCase()),
      flag.default
    ])
  )

test('every registered exchange builds a session from the feed flags, at its default URL or at --url', () => {
  assert.deepEqual(exchangeNames, ['wallex', 'polygon', 'binance', 'kraken', 'coinbase', 'okx', 'bybit'])
  for (const name of exchangeNames) {
    const defaults = createSession(
      exchangeOptionsFromFlags(name, common, ownDefaults(name), config),
      sink,
      silentLog
    )
    assert.match(defaults.url, /^wss:\/\//, `${name}: the real exchange by default`)
    const local = exchangeOptionsFromFlags(
      name,
      { ...common, url: 'ws://127.0.0.1:1' },
      ownDefaults(name),
      config
    )
    assert.equal(local.exchange, name)
    assert.ok(createSession(local, sink, silentLog).url.startsWith('ws://127.0.0.1:1'), `${name}: --url wins`)
  }
})

test('exchange-specific flags reach their session: Wallex --protocol 2, Polygon --cluster, Binance --rest-url', () => {
  const wallex = exchangeOptionsFromFlags('wallex', common, { protocol: '2' }, config)
  assert.equal(createSession(wallex, sink, silentLog).url, 'wss://api.wallex.ir/connection/websocket')
  assert.deepEqual(wallex.exchange === 'wallex' && wallex.symbols, ['BTCUSDT'])
  const polygon = exchangeOptionsFromFlags('polygon', common, { cluster: 'forex' }, config)
  assert.equal(createSession(polygon, sink, silentLog).url, 'wss://socket.massive.com/forex')
  const binance = exchangeOptionsFromFlags('binance', common, { restUrl: 'http://127.0.0.1:2' }, config)
  assert.equal(binance.exchange === 'binance' && binance.restUrl, 'http://127.0.0.1:2')
  assert.equal(
    createSession(binance, sink, silentLog).url,
    'wss://stream.binance.com:9443/stream?streams=btcusdt@trade/btcusdt@depth@100ms'
  )
})

test('an unknown exchange, or Polygon without its API key, is refused with what to do', () => {
  assert.throws(
    () => exchangeOptionsFromFlags('nope', common, {}, config),
    (error: TickbridgeError) =>
      error.code === 'TB_COMMAND_FAILED' &&
      /wallex, polygon, binance, kraken, coinbase, okx, bybit/.test(error.hint ?? '')
  )
  assert.throws(
    () => exchangeOptionsFromFlags('polygon', common, {}, loadConfig({}, '/nonexistent/.env')),
    (error: TickbridgeError) => error.code === 'TB_CONFIG_INVALID' && /POLYGON_API_KEY/.test(error.message)
  )
})

test('sim --serve offers every simulator the registry lists, with the feed command that joins it', () => {
  assert.deepEqual(Object.keys(simProtocols), ['wallex', 'wallex-v2', 'polygon'])
  assert.equal(
    simProtocols['wallex-v2']?.feedHint('ws://h:1/connection/websocket'),
    'tickbridge feed --exchange wallex --url ws://h:1/connection/websocket --protocol 2 --symbols BTCUSDT,ETHUSDT'
  )
  assert.match(
    simProtocols.polygon?.feedHint('ws://h:1/crypto') ?? '',
    /^POLYGON_API_KEY=any tickbridge feed --exchange polygon /
  )
})

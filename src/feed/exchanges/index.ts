import type { Logger } from 'pino'
import type { Config } from '../../config/types.ts'
import { ErrorCodes, TickbridgeError } from '../../errors.ts'
import type { SimProtocol } from '../../sim/protocol.ts'
import { polygon as polygonProtocol } from '../../sim/protocols/polygon.ts'
import { wallexV1, wallexV2 } from '../../sim/protocols/wallex.ts'
import type { ExchangeSession } from '../session.ts'
import type { TradeHistory } from '../trade-history.ts'
import { binanceSession, binanceTradeHistory, type BinanceOptions } from './binance.ts'
import { coinbaseSession, type CoinbaseOptions } from './coinbase.ts'
import { coinbaseTradeHistory } from './coinbase-trade-history.ts'
import { bybitSession, type BybitOptions } from './bybit.ts'
import type { FeedSink } from './frames.ts'
import { krakenSession, type KrakenOptions } from './kraken.ts'
import { krakenTradeHistory } from './kraken-trade-history.ts'
import { okxSession, type OkxOptions } from './okx.ts'
import { okxTradeHistory } from './okx-trade-history.ts'
import { polygonSession, type PolygonOptions } from './polygon.ts'
import { wallexSession, type WallexOptions } from './wallex.ts'

/** What `tickbridge feed` parsed for every exchange. */
export interface CommonFeedFlags {
  symbols: string[]
  /** --url: overrides the exchange's default (e.g. a local simulator). */
  url?: string
  depthIntervalMs: number
}

/** A command-line flag only some exchanges read, e.g. Binance's `--rest-url`. */
export interface ExchangeFlag {
  /** commander syntax, e.g. "--rest-url <url>"; read back under its camelCase name (restUrl). */
  flags: string
  description: string
  default: string
}

/** A simulator protocol serving this exchange (`tickbridge sim --serve <name>`), and how a feed joins it. */
export interface SimulatorEntry {
  protocol: SimProtocol
  /** `tickbridge feed` arguments after `--exchange <name> --url <url>`. */
  feedArgs: string[]
  /** Environment the feed needs against the simulator, e.g. a placeholder API key. */
  feedEnv?: string
}

/** Everything tickbridge knows about one exchange, in one place. Adding an exchange = one entry below. */
export interface ExchangeDescriptor<Options> {
  /** e.g. "Binance spot" */
  title: string
  /** What --symbols means for this exchange, with an example. */
  symbolsHelp: string
  /** Flags only this exchange reads (added to `tickbridge feed`; their help names the exchange). */
  flags: ExchangeFlag[]
  /** Parsed flags and settings -> the session's options; throws a TickbridgeError naming what is missing. */
  fromFlags(common: CommonFeedFlags, own: Record<string, string>, config: Config): Options
  session(options: Options, sink: FeedSink, log: Logger): ExchangeSession
  /** Where trade ids are sequential per symbol: the REST history that fills gaps (see trade-history.ts). */
  tradeHistory?(options: Options): TradeHistory
  simulators: Record<string, SimulatorEntry>
}

const defineExchange = <Options>(descriptor: ExchangeDescriptor<Options>) => descriptor

const WALLEX_URLS = { 1: 'wss://api.wallex.ir/ws', 2: 'wss://api.wallex.ir/connection/websocket' } as const

/** The registry: the CLI, `feed/run.ts`, `sim --serve` and the docs iterate it. */
export const exchanges = {
  wallex: defineExchange<WallexOptions>({
    title: 'Wallex (v1 /ws and v2 Centrifugo)',
    symbolsHelp: 'symbols, e.g. BTCUSDT,ETHUSDT',
    flags: [
      { flags: '--protocol <n>', description: 'socket generation: 1 (/ws) or 2 (Centrifugo)', default: '1' }
    ],
    fromFlags(common, own) {
      const protocol = own.protocol === '2' ? 2 : 1
      return {
        url: common.url ?? WALLEX_URLS[protocol],
        protocol,
        symbols: common.symbols.map((s) => s.toUpperCase()),
        depthIntervalMs: common.depthIntervalMs
      }
    },
    session: (options, sink) => wallexSession(options, sink),
    simulators: {
      wallex: { protocol: wallexV1, feedArgs: ['--symbols', 'BTCUSDT,ETHUSDT'] },
      'wallex-v2': { protocol: wallexV2, feedArgs: ['--protocol', '2', '--symbols', 'BTCUSDT,ETHUSDT'] }
    }
  }),
  polygon: defineExchange<PolygonOptions>({
    title: 'Polygon / Massive',
    symbolsHelp: 'subscriptions, e.g. XT.BTC-USD,XQ.BTC-USD,XA.*',
    flags: [{ flags: '--cluster <name>', description: 'crypto | forex | stocks', default: 'crypto' }],
    fromFlags(common, own, config) {
      if (!config.feed.polygonApiKey) {
        throw new TickbridgeError(ErrorCodes.CONFIG_INVALID, 'POLYGON_API_KEY is not set', {
          hint: 'Export POLYGON_API_KEY (or put it in .env) with your Polygon/Massive API key.'
        })
      }
      return {
        url: common.url ?? `wss://socket.massive.com/${own.cluster ?? 'crypto'}`,
        apiKey: config.feed.polygonApiKey,
        subscriptions: common.symbols
      }
    },
    session: (options, sink) => polygonSession(options, sink),
    simulators: {
      polygon: {
        protocol: polygonProtocol,
        feedArgs: ['--symbols', 'XT.BTC-USD,XQ.BTC-USD,XA.BTC-USD'],
        feedEnv: 'POLYGON_API_KEY=any'
      }
    }
  }),
  binance: defineExchange<BinanceOptions>({
    title: 'Binance spot (local order book from REST snapshot + diffs)',
    symbolsHelp: 'symbols, e.g. BTCUSDT,ETHUSDT',
    flags: [
      {
        flags: '--rest-url <url>',
        description: 'REST base for depth snapshots',
        default: 'https://api.binance.com'
      }
    ],
    fromFlags: (common, own) => ({
      url: common.url ?? 'wss://stream.binance.com:9443',
      restUrl: own.restUrl ?? 'https://api.binance.com',
      symbols: common.symbols.map((s) => s.toUpperCase()),
      depthIntervalMs: common.depthIntervalMs
    }),
    session: (options, sink, log) => binanceSession({ ...options, log }, sink),
    tradeHistory: (options) => binanceTradeHistory(options),
    simulators: {} // its local server (sim/binance/server.ts) serves REST too; tests start it
  }),
  kraken: defineExchange<KrakenOptions>({
    title: 'Kraken spot WebSocket v2 (book at depth 25 verified by CRC32, REST trade history)',
    symbolsHelp: 'symbols, e.g. BTC/USD,ETH/USD',
    flags: [
      {
        flags: '--kraken-rest-url <url>',
        description: 'REST base for the trade history that fills gaps',
        default: 'https://api.kraken.com'
      }
    ],
    fromFlags: (common, own) => ({
      url: common.url ?? 'wss://ws.kraken.com/v2',
      restUrl: own.krakenRestUrl ?? 'https://api.kraken.com',
      symbols: common.symbols.map((s) => s.toUpperCase()),
      depthIntervalMs: common.depthIntervalMs
    }),
    session: (options, sink, log) => krakenSession({ ...options, log }, sink),
    tradeHistory: (options) => krakenTradeHistory({ restUrl: options.restUrl }),
    simulators: {} // its local server (sim/kraken/server.ts) serves REST too; tests start it
  }),
  coinbase: defineExchange<CoinbaseOptions>({
    title: 'Coinbase Advanced Trade (level2 book checked by sequence_num, REST trade history)',
    symbolsHelp: 'product ids, e.g. BTC-USD,ETH-USD',
    flags: [
      {
        flags: '--coinbase-rest-url <url>',
        description: 'Exchange REST base of the trade history that fills gaps',
        default: 'https://api.exchange.coinbase.com'
      }
    ],
    fromFlags: (common, own) => ({
      url: common.url ?? 'wss://advanced-trade-ws.coinbase.com',
      restUrl: own.coinbaseRestUrl ?? 'https://api.exchange.coinbase.com',
      symbols: common.symbols.map((s) => s.toUpperCase()),
      depthIntervalMs: common.depthIntervalMs
    }),
    session: (options, sink, log) => coinbaseSession({ ...options, log }, sink),
    tradeHistory: (options) => coinbaseTradeHistory(options),
    simulators: {} // its local server (sim/coinbase/server.ts) serves REST too; tests start it
  }),
  okx: defineExchange<OkxOptions>({
    title: 'OKX v5 public (trades; local order book by seqId, WS or REST snapshot; REST trade backfill)',
    symbolsHelp: 'instrument ids, e.g. BTC-USDT,ETH-USDT',
    flags: [
      {
        flags: '--okx-rest-url <url>',
        description: 'REST base for book snapshots and trade history',
        default: 'https://www.okx.com'
      }
    ],
    fromFlags: (common, own) => ({
      url: common.url ?? 'wss://ws.okx.com:8443/ws/v5/public',
      restUrl: own.okxRestUrl ?? 'https://www.okx.com',
      symbols: common.symbols.map((s) => s.toUpperCase()),
      depthIntervalMs: common.depthIntervalMs
    }),
    session: (options, sink, log) => okxSession({ ...options, log }, sink),
    tradeHistory: (options) => okxTradeHistory({ restUrl: options.restUrl }),
    simulators: {} // its local server (sim/okx/server.ts) serves REST too; tests start it
  }),
  bybit: defineExchange<BybitOptions>({
    title: 'Bybit v5 public spot (local order book from orderbook.50 snapshot + deltas)',
    symbolsHelp: 'spot symbols, e.g. BTCUSDT,ETHUSDT',
    flags: [],
    fromFlags: (common) => ({
      url: common.url ?? 'wss://stream.bybit.com/v5/public/spot',
      symbols: common.symbols.map((s) => s.toUpperCase()),
      depthIntervalMs: common.depthIntervalMs
    }),
    session: (options, sink, log) => bybitSession({ ...options, log }, sink),
    // No tradeHistory: Bybit's trade ids are not sequential per symbol and its REST recent-trade cannot page
    // by id or time, so gaps can be neither detected nor filled (docs/exchanges/bybit.md).
    simulators: {} // its local server (sim/bybit/server.ts) is started by tests
  })
}

export type ExchangeName = keyof typeof exchanges
type OptionsOf<Name extends ExchangeName> =
  (typeof exchanges)[Name] extends ExchangeDescriptor<infer O> ? O : never
/** One exchange's session options, tagged with its name (what `startFeed` takes). */
export type ExchangeOptions = { [Name in ExchangeName]: { exchange: Name } & OptionsOf<Name> }[ExchangeName]

export const exchangeNames = Object.keys(exchanges) as ExchangeName[]

/** The descriptor of `name`, or an error listing the exchanges there are. */
export function exchangeNamed(name: string): ExchangeDescriptor<unknown> & { name: ExchangeName } {
  if (!Object.hasOwn(exchanges, name)) {
    throw new TickbridgeError(ErrorCodes.COMMAND_FAILED, `unsupported exchange "${name}"`, {
      hint: `Supported: ${exchangeNames.join(', ')}. See docs/adding-an-exchange.md to add one.`
    })
  }
  return { ...(exchanges[name as ExchangeName] as ExchangeDescriptor<unknown>), name: name as ExchangeName }
}

/** `tickbridge feed` flags -> the tagged options of the named exchange. */
export function exchangeOptionsFromFlags(
  name: string,
  common: CommonFeedFlags,
  own: Record<string, string>,
  config: Config
): ExchangeOptions {
  const descriptor = exchangeNamed(name)
  return {
    exchange: descriptor.name,
    ...(descriptor.fromFlags(common, own, config) as object)
  } as ExchangeOptions
}

/** The session of the exchange the options name. */
export function createSession(options: ExchangeOptions, sink: FeedSink, log: Logger): ExchangeSession {
  const descriptor = exchanges[options.exchange] as ExchangeDescriptor<typeof options>
  return descriptor.session(options, sink, log)
}

/** The REST trade history of the exchange the options name, where its trade ids are sequential. */
export function tradeHistoryOf(options: ExchangeOptions): TradeHistory | null {
  const descriptor = exchanges[options.exchange] as ExchangeDescriptor<typeof options>
  return descriptor.tradeHistory?.(options) ?? null
}

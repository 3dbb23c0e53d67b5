import { startBinanceServer } from './binance/server.ts'
import { startBybitServer } from './bybit/server.ts'
import { startCoinbaseServer } from './coinbase/server.ts'
import type { ExchangeServerOptions, RunningExchangeServer } from './kit/exchange-server.ts'
import { startKrakenServer } from './kraken/server.ts'
import { startOkxServer } from './okx/server.ts'

/** What every local exchange server takes (here with its port and host given), and gives back. */
export interface LocalServerOptions extends ExchangeServerOptions {
  port: number
  host: string
}

export type RunningLocalServer = Pick<RunningExchangeServer, 'url' | 'restUrl' | 'close'>

/**
 * The exchanges whose protocol-accurate local server (WebSocket + REST) `tickbridge sim --serve <name>` runs,
 * for `tickbridge start --exchange <name>` and offline demos. Wallex and Polygon are served by the simulator
 * protocols of the exchange registry instead (socket only).
 */
export interface LocalExchange {
  /** The symbols served by default, in the exchange's own spelling. */
  symbols: string[]
  /** The `tickbridge feed` flag that points the feed's REST calls at the server (none: the feed uses no REST). */
  restFlag: string | null
  /** The path of the WebSocket URL on the server's port (what `url` ends with). */
  wsPath: string
  start(options: LocalServerOptions): Promise<RunningLocalServer>
}

export const localExchanges: Record<string, LocalExchange> = {
  binance: {
    symbols: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'XRPUSDT', 'DOGEUSDT', 'BNBUSDT'],
    restFlag: '--rest-url',
    wsPath: '',
    start: (options) => startBinanceServer(options)
  },
  coinbase: {
    symbols: ['BTC-USD', 'ETH-USD', 'SOL-USD', 'XRP-USD', 'DOGE-USD', 'LTC-USD'],
    restFlag: '--coinbase-rest-url',
    wsPath: '',
    start: (options) => startCoinbaseServer(options)
  },
  kraken: {
    symbols: ['BTC/USD', 'ETH/USD', 'SOL/USD', 'XRP/USD', 'DOGE/USD', 'LTC/USD'],
    restFlag: '--kraken-rest-url',
    wsPath: '/v2',
    start: (options) => startKrakenServer(options)
  },
  bybit: {
    symbols: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'XRPUSDT', 'DOGEUSDT', 'LTCUSDT'],
    restFlag: null, // Bybit's book resyncs by resubscribing; it has no trade history to fill gaps
    wsPath: '/v5/public/spot',
    start: (options) => startBybitServer(options)
  },
  okx: {
    symbols: ['BTC-USDT', 'ETH-USDT', 'SOL-USDT', 'XRP-USDT', 'DOGE-USDT', 'LTC-USDT'],
    restFlag: '--okx-rest-url',
    wsPath: '/ws/v5/public',
    start: (options) => startOkxServer(options)
  }
}

/** The `tickbridge feed` arguments that connect a feed of `exchange` to its local server on `host:port`. */
export function localFeedArgs(exchange: string, host: string, port: number, symbols: string[]): string[] {
  const local = localExchanges[exchange]
  if (!local) return []
  return [
    '--exchange',
    exchange,
    '--url',
    `ws://${host}:${port}${local.wsPath}`,
    ...(local.restFlag ? [local.restFlag, `http://${host}:${port}`] : []),
    '--symbols',
    symbols.join(',')
  ]
}

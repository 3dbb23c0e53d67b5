import type {
  CandleMessage,
  DepthMessage,
  MarketMessage,
  PriceLevel,
  QuoteMessage,
  TradeMessage
} from './messages.ts'

/**
 * Turns validated canonical messages into ClickHouse JSONEachRow lines, one table per message type.
 *
 * Decimals are written as bare JSON numbers copied from the validated decimal text, so they never pass
 * through a binary float, and old servers (18.16 rejects quoted decimals) parse them exactly.
 * Strings go through JSON.stringify for escaping. Pure.
 */
export const TableNames = {
  trade: 'trades',
  depth: 'depth',
  quote: 'quotes',
  candle: 'candles'
} as const satisfies Record<MarketMessage['type'], string>

export type TableName = (typeof TableNames)[keyof typeof TableNames]
export const tableNames: readonly TableName[] = Object.values(TableNames)

/** Candle rows from an exchange's own aggregates vs. computed by tickbridge from trades. */
export const CandleSources = { EXCHANGE: 'exchange', TRADES: 'trades' } as const

const s = JSON.stringify

function head(message: MarketMessage): string {
  return `{"exchange":${s(message.exchange)},"symbol":${s(message.symbol)},"ts":${message.ts}`
}

function levels(side: PriceLevel[]): string {
  let out = '['
  for (let i = 0; i < side.length; i++) {
    const level = side[i] as PriceLevel
    out += `${i === 0 ? '' : ','}[${level[0]},${level[1]}]`
  }
  return `${out}]`
}

export function tradeRow(m: TradeMessage): string {
  return `${head(m)},"id":${s(m.id)},"price":${m.price},"amount":${m.amount},"side":"${m.side}","recv_ts":${m.recv_ts}}\n`
}

export function depthRow(m: DepthMessage): string {
  return `${head(m)},"bids":${levels(m.bids)},"asks":${levels(m.asks)},"recv_ts":${m.recv_ts}}\n`
}

export function quoteRow(m: QuoteMessage): string {
  return `${head(m)},"bid":${m.bid},"ask":${m.ask},"bid_size":${m.bid_size},"ask_size":${m.ask_size},"recv_ts":${m.recv_ts}}\n`
}

/**
 * `version` decides which row of the same candle survives ReplacingMergeTree. For an exchange's own
 * aggregates the latest revision wins (its receive time); candles computed from trades pass their trade count,
 * so the most complete one wins.
 */
export function candleRow(
  m: CandleMessage,
  source: string = CandleSources.EXCHANGE,
  version?: number
): string {
  const recvTs = m.recv_ts ?? m.ts
  return (
    `${head(m)},"timeframe":"${m.timeframe}","source":"${source}","open":${m.open},"high":${m.high},"low":${m.low},` +
    `"close":${m.close},"volume":${m.volume},"trades":${m.trades ?? 0},"recv_ts":${recvTs},"version":${version ?? recvTs}}\n`
  )
}

export function rowFor(message: MarketMessage): { table: TableName; line: string } {
  switch (message.type) {
    case 'trade':
      return { table: TableNames.trade, line: tradeRow(message) }
    case 'depth':
      return { table: TableNames.depth, line: depthRow(message) }
    case 'quote':
      return { table: TableNames.quote, line: quoteRow(message) }
    case 'candle':
      return { table: TableNames.candle, line: candleRow(message) }
  }
}

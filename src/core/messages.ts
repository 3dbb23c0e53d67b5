/**
 * The canonical Kafka wire format, v1 (docs/wire-format.md). One JSON object per Kafka message,
 * key "<exchange>:<symbol>". Prices and amounts are decimal strings exactly as the exchange sent them;
 * times are integer epoch milliseconds.
 */
export const MESSAGE_VERSION = 1

export const MessageTypes = {
  TRADE: 'trade',
  DEPTH: 'depth',
  QUOTE: 'quote',
  CANDLE: 'candle'
} as const
export type MessageType = (typeof MessageTypes)[keyof typeof MessageTypes]
export const messageTypes: readonly MessageType[] = Object.values(MessageTypes)

export const TradeSides = { BUY: 'buy', SELL: 'sell', UNKNOWN: 'unknown' } as const
export type TradeSide = (typeof TradeSides)[keyof typeof TradeSides]

export const Timeframes = ['1s', '1m', '5m', '15m', '1h', '4h', '1d'] as const
export type Timeframe = (typeof Timeframes)[number]

/** A non-negative decimal as text: up to 20 integer digits (no leading zeros, so rows stay valid JSON) and 18 fractional digits (ClickHouse Decimal(38, 18)). */
export type DecimalString = string
export type PriceLevel = [price: DecimalString, amount: DecimalString]

interface Base {
  v: 1
  exchange: string
  symbol: string
  /** Exchange event time, epoch ms. */
  ts: number
}

export interface TradeMessage extends Base {
  type: 'trade'
  id: string
  price: DecimalString
  amount: DecimalString
  side: TradeSide
  /** When the feed received the frame, epoch ms. */
  recv_ts: number
  /** true: fetched over REST to fill a gap in the live stream (recv_ts is when it was fetched). */
  backfill?: true
}

export interface DepthMessage extends Base {
  type: 'depth'
  bids: PriceLevel[]
  asks: PriceLevel[]
  recv_ts: number
}

export interface QuoteMessage extends Base {
  type: 'quote'
  bid: DecimalString
  ask: DecimalString
  bid_size: DecimalString
  ask_size: DecimalString
  recv_ts: number
}

export interface CandleMessage extends Base {
  type: 'candle'
  timeframe: Timeframe
  open: DecimalString
  high: DecimalString
  low: DecimalString
  close: DecimalString
  volume: DecimalString
  trades?: number
  recv_ts?: number
}

export type MarketMessage = TradeMessage | DepthMessage | QuoteMessage | CandleMessage

/** The Kafka key of a message: one symbol stays in one partition and keeps its order. */
export function messageKey(message: Pick<Base, 'exchange' | 'symbol'>): string {
  return `${message.exchange}:${message.symbol}`
}

import { BASE_TS } from './stack.ts'
import type { CandleMessage, DepthMessage, MarketMessage, QuoteMessage } from '../../src/core/messages.ts'
import { TradeGenerator } from '../../src/sim/market.ts'

/** Unique messages of every type (distinct table identities), deterministic for a seed. */
export function mixedMessages(
  counts: { trades: number; depth: number; quotes: number; candles: number },
  seed = 1
): MarketMessage[] {
  const symbols = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'XRPUSDT', 'DOGEUSDT', 'ADAUSDT', 'BNBUSDT']
  const base = BASE_TS
  const trades = new TradeGenerator({ exchange: 'sim', symbols, seed })
  const out: MarketMessage[] = []
  for (let i = 0; i < counts.trades; i++) out.push(trades.next(base + i).message)
  for (let i = 0; i < counts.depth; i++) {
    const m: DepthMessage = {
      v: 1,
      type: 'depth',
      exchange: 'sim',
      symbol: symbols[i % symbols.length] as string,
      ts: base + i,
      bids: [
        [`${1000 + (i % 97)}.5`, '0.25'],
        ['999.00', '1']
      ],
      asks: [[`${1001 + (i % 97)}.25`, '0.125']],
      recv_ts: base + i + 3
    }
    out.push(m)
  }
  for (let i = 0; i < counts.quotes; i++) {
    const m: QuoteMessage = {
      v: 1,
      type: 'quote',
      exchange: 'polygon',
      symbol: i % 2 ? 'EUR/USD' : 'GBP/USD',
      ts: base + i,
      bid: `1.0${String(500 + (i % 400)).padStart(4, '0')}`,
      ask: `1.0${String(503 + (i % 400)).padStart(4, '0')}`,
      bid_size: '1000000',
      ask_size: '500000',
      recv_ts: base + i + 2
    }
    out.push(m)
  }
  for (let i = 0; i < counts.candles; i++) {
    const m: CandleMessage = {
      v: 1,
      type: 'candle',
      exchange: 'polygon',
      symbol: i % 2 ? 'EUR/USD' : 'GBP/USD',
      timeframe: '1m',
      ts: base - (base % 60_000) - i * 60_000, // back in time: the future beyond 24 h is rejected
      open: '1.0500',
      high: '1.0504',
      low: '1.0499',
      close: '1.0503',
      volume: '1250',
      trades: 42,
      recv_ts: base - i * 60_000 + 100
    }
    out.push(m)
  }
  return out
}

export function topicFor(
  type: MarketMessage['type'],
  topics: { trades: string; depth: string; quotes: string; candles: string }
): string {
  return { trade: topics.trades, depth: topics.depth, quote: topics.quotes, candle: topics.candles }[type]
}

export function toKafka(
  messages: MarketMessage[],
  topics: { trades: string; depth: string; quotes: string; candles: string }
) {
  return messages.map((m) => ({
    topic: topicFor(m.type, topics),
    key: `${m.exchange}:${m.symbol}`,
    value: JSON.stringify(m)
  }))
}

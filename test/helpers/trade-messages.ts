import type { Config } from '../../src/config/load.ts'
import { TradeGenerator } from '../../src/sim/market.ts'

/** Makes batches of simulated trades for the test's trades topic, stamped now; deterministic for a seed. */
export function tradeBatches(
  config: Config,
  seed: number
): (count: number) => { topic: string; key: string; value: string }[] {
  const generator = new TradeGenerator({ exchange: 'sim', symbols: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'], seed })
  return (count) =>
    Array.from({ length: count }, () => {
      const { key, message } = generator.next(Date.now())
      return { topic: config.topics.trades, key, value: JSON.stringify(message) }
    })
}

/** A trade's identity across the pipeline: `symbol:id` (what ClickHouse deduplicates on within an exchange). */
export function tradeKey(trade: { symbol: string; id: string }): string {
  return `${trade.symbol}:${trade.id}`
}

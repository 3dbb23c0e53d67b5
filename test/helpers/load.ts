import { setTimeout as sleep } from 'node:timers/promises'
import type { TradeMessage } from '../../src/core/messages.ts'
import { TradeGenerator } from '../../src/sim/market.ts'
import { BASE_TS, produce } from './stack.ts'
import type { Config } from '../../src/config/types.ts'

/** Unique trades (sequential ids per symbol, exchange times base+i), deterministic for a seed. */
export function uniqueTrades(
  n: number,
  seed: number,
  symbols = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'XRPUSDT', 'DOGEUSDT', 'ADAUSDT']
): TradeMessage[] {
  const generator = new TradeGenerator({ exchange: 'sim', symbols, seed })
  const base = BASE_TS
  return Array.from({ length: n }, (_, i) => generator.next(base + i).message)
}

/** Produces `trades` at roughly `perSecond`, in 10 slices a second: a stream, not one burst. */
export async function streamTrades(config: Config, trades: TradeMessage[], perSecond: number): Promise<void> {
  const slice = Math.max(1, Math.round(perSecond / 10))
  for (let i = 0; i < trades.length; i += slice) {
    const started = Date.now()
    await produce(
      config,
      trades.slice(i, i + slice).map((m) => ({
        topic: config.topics.trades,
        key: `${m.exchange}:${m.symbol}`,
        value: JSON.stringify(m)
      }))
    )
    await sleep(Math.max(0, 100 - (Date.now() - started)))
  }
}

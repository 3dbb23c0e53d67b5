import { TradeGenerator, seededRandom } from '../market.ts'

/**
 * The base of every local exchange's market (sim/<exchange>/market.ts): what it draws from, both seeded by
 * `seed` — its random source (books, sizes, times) and the TradeGenerator its trades follow (prices, sides,
 * ids from `firstId`, default 1).
 */
export class SeededMarket {
  protected readonly random: () => number
  protected readonly generator: TradeGenerator

  constructor(exchange: string, options: { symbols: string[]; seed: number }, firstId?: number) {
    this.random = seededRandom(options.seed)
    this.generator = new TradeGenerator({ exchange, symbols: options.symbols, seed: options.seed, firstId })
  }
}

import type { TradeSide } from '../../core/messages.ts'
import { ticksToDecimal } from '../market.ts'
import { priceText, type Fill, type SymbolBook } from './levels.ts'
import type { OkxSentTrade } from './types.ts'

/**
 * One taker order of `count` fills at the book's mid, with consecutive fill ids, kept in the book's fills
 * (what history-trades serves); `lots` draws each fill's size. The order as `trades` pushes it: id = its last
 * fill, the sizes summed.
 */
export function fillOrder(
  book: SymbolBook,
  side: TradeSide,
  count: number,
  now: number,
  lots: () => bigint
): OkxSentTrade {
  const price = priceText(book.mid, book.priceScale)
  const fills: Fill[] = []
  let total = 0n
  for (let i = 0; i < count; i++) {
    const size = lots()
    total += size
    fills.push({ id: book.nextFillId++, price, size: ticksToDecimal(size, book.amountScale), side, ts: now })
  }
  book.fills.push(...fills)
  return {
    connection: null,
    symbol: book.symbol,
    id: String(fills.at(-1)?.id),
    firstId: String(fills[0]?.id),
    count,
    price,
    quantity: ticksToDecimal(total, book.amountScale),
    side,
    ts: now,
    fills: fills.map((fill) => ({ id: String(fill.id), quantity: fill.size }))
  }
}

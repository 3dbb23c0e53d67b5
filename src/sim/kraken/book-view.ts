import { bestLevels, sortedPrices } from '../kit/book.ts'
import type { Change, Side, SymbolBook } from './market.ts'

/**
 * What one `book` subscriber sees (pure): the best `depth` levels per side of the full book as last sent, and
 * the update a tick's changes make of it.
 */
export interface BookSub {
  depth: number
  view: { bids: Side; asks: Side }
}

/** The best `depth` levels per side now. */
export function viewOf(book: SymbolBook, depth: number): { bids: Side; asks: Side } {
  return { bids: bestLevels(book.bids, true, depth), asks: bestLevels(book.asks, false, depth) }
}

/**
 * The levels one subscriber's update holds for this tick's changes (null: nothing in its scope changed), and
 * its view moves on. Every change in scope in order, then the levels moving into scope as others left it;
 * `corrupt`: a wrong quantity for the best bid is added (not in the checksum).
 */
export function updateLevels(
  book: SymbolBook,
  sub: BookSub,
  changes: Change[],
  corrupt: boolean
): { bids: [bigint, bigint][]; asks: [bigint, bigint][] } | null {
  const out = { bids: [] as [bigint, bigint][], asks: [] as [bigint, bigint][] }
  const next = viewOf(book, sub.depth)
  const touched = { bids: new Set<bigint>(), asks: new Set<bigint>() }
  for (const c of changes) {
    if (!next[c.side].has(c.price) && !sub.view[c.side].has(c.price)) continue // out of scope
    out[c.side].push([c.price, c.qty])
    touched[c.side].add(c.price)
  }
  for (const side of ['bids', 'asks'] as const)
    for (const [p, q] of next[side])
      // a level moving into scope as another left it
      if (!sub.view[side].has(p) && !touched[side].has(p)) out[side].push([p, q])
  sub.view = next
  if (out.bids.length === 0 && out.asks.length === 0 && !corrupt) return null
  if (corrupt) {
    const [best] = sortedPrices(next.bids, true)
    if (best !== undefined) out.bids.push([best, (next.bids.get(best) as bigint) + 1n]) // not in the checksum
  }
  return out
}

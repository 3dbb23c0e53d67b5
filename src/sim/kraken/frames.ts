import { crc32 } from 'node:zlib'
import { sortedPrices } from '../kit/book.ts'
import type { Side, SymbolBook, Trade } from './market.ts'
import { priceText, qtyText, rfc3339 } from './spelling.ts'

/**
 * Kraken WebSocket v2 messages, written by hand so prices and quantities are JSON numbers at full precision
 * (pure; `stamp` is the RFC 3339 time a message carries).
 */

export const HEARTBEAT = '{"channel":"heartbeat"}'

/** The `status` frame a connection gets first; `connectionId` above 2^53, as Kraken's are. */
export function statusMessage(connectionId: bigint): string {
  return `{"channel":"status","data":[{"api_version":"v2","connection_id":${connectionId},"system":"online","version":"2.0.0"}],"type":"update"}`
}

/** The checksum, computed here from the text this server writes (independently of any client code). */
export function checksum(book: SymbolBook, view: { bids: Side; asks: Side }): number {
  const digits = (t: string) => t.replace('.', '').replace(/^0+/, '')
  let text = ''
  for (const [side, descending] of [
    [view.asks, false],
    [view.bids, true]
  ] as const)
    for (const p of sortedPrices(side, descending).slice(0, 10))
      text += digits(priceText(book, p)) + digits(qtyText(side.get(p) as bigint))
  return crc32(text) >>> 0
}

/** Levels as a JSON array of `{"price":…,"qty":…}` with number literals. */
export function levelsJson(book: SymbolBook, levels: [bigint, bigint][]): string {
  return `[${levels.map(([p, q]) => `{"price":${priceText(book, p)},"qty":${qtyText(q)}}`).join(',')}]`
}

export function bookMessage(
  book: SymbolBook,
  type: 'snapshot' | 'update',
  bids: string,
  asks: string,
  sum: number,
  stamp: string
): string {
  return `{"channel":"book","type":"${type}","data":[{"symbol":"${book.symbol}","bids":${bids},"asks":${asks},"checksum":${sum},"timestamp":"${stamp}"}]}`
}

export function tradeMessage(book: SymbolBook, type: 'snapshot' | 'update', trades: Trade[]): string {
  return `{"channel":"trade","type":"${type}","data":[${trades
    .map(
      (t) =>
        `{"symbol":"${book.symbol}","side":"${t.side}","price":${t.price},"qty":${t.quantity},"ord_type":"${t.ordType}","trade_id":${t.id},"timestamp":"${rfc3339(t.timeNs)}"}`
    )
    .join(',')}]}`
}

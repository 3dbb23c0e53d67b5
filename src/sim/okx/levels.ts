import { crc32 } from 'node:zlib'
import type { TradeSide } from '../../core/messages.ts'
import { topLevels, trimmedDecimal } from '../kit/book.ts'

/** An OKX book and how OKX spells its levels: `[price, size, "0", orderCount]`, the legacy checksum (pure). */

/** `[price, size, "0", orderCount]` */
export type Level = [string, string, string, string]

export interface Fill {
  id: bigint
  price: string
  size: string
  side: TradeSide
  ts: number
}

export type Levels = Map<bigint, { size: string; orders: number }>

export interface SymbolBook {
  symbol: string
  priceScale: number
  amountScale: number
  mid: bigint
  /** One seqId per level change; lastMessageSeqId is the next message's prevSeqId. */
  seqId: number
  lastMessageSeqId: number
  lastChangeAt: number
  bids: Levels
  asks: Levels
  nextFillId: bigint
  fills: Fill[]
  /** What REST answers: the book half-way through the last push (REST refreshes between pushes). */
  rest: { seqId: number; ts: number; bids: Level[]; asks: Level[] }
  gap: boolean
  corrupt: boolean
  reset: boolean
}

/** Integer ticks to OKX's price text: trailing zeros trimmed ("8477", "8476.98"). */
export const priceText = trimmedDecimal

export const ZERO = '0'

/** The best `depth` levels per side. */
export function levelsOf(book: SymbolBook, depth: number): { bids: Level[]; asks: Level[] } {
  const level = (p: bigint, { size, orders }: { size: string; orders: number }): Level => [
    priceText(p, book.priceScale),
    size,
    '0',
    String(orders)
  ]
  return { bids: topLevels(book.bids, true, depth, level), asks: topLevels(book.asks, false, depth, level) }
}

/** What REST answers now: 400 levels a side with the book's seqId. */
export function restSnapshot(book: SymbolBook, now: number): SymbolBook['rest'] {
  return { seqId: book.seqId, ts: now, ...levelsOf(book, 400) }
}

/** The legacy checksum: best 25 bids and asks interleaved bid:size:ask:size…, CRC32 as signed int32. */
export function checksumOf(book: SymbolBook, enabled: boolean): number {
  if (!enabled) return 0
  const { bids, asks } = levelsOf(book, 25)
  const parts: string[] = []
  for (let i = 0; i < 25; i++) {
    const bid = bids[i]
    const ask = asks[i]
    if (bid) parts.push(bid[0], bid[1])
    if (ask) parts.push(ask[0], ask[1])
  }
  return crc32(parts.join(':')) | 0
}

/** A `books` update's data: changed levels (size "0": deleted), checksum, prevSeqId and seqId. */
export interface BooksData {
  asks: Level[]
  bids: Level[]
  ts: string
  checksum: number
  prevSeqId: number
  seqId: number
}

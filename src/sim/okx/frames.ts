import { levelsOf, type BooksData, type SymbolBook } from './levels.ts'
import type { OkxSentTrade } from './types.ts'

/** OKX v5 public WebSocket messages (pure). */

/** The `trades` push of one taker order: id = its last fill, `count` fills. */
export function tradesPush(book: SymbolBook, sent: OkxSentTrade): unknown {
  const data = {
    instId: book.symbol,
    tradeId: sent.id,
    px: sent.price,
    sz: sent.quantity,
    side: sent.side,
    ts: String(sent.ts),
    count: String(sent.count),
    source: '0',
    seqId: book.lastMessageSeqId
  }
  return { arg: { channel: 'trades', instId: book.symbol }, data: [data] }
}

/** A `books` update push. */
export function booksUpdate(instId: string, data: BooksData): unknown {
  return { arg: { channel: 'books', instId }, action: 'update', data: [data] }
}

/** The `books` snapshot a subscribe gets: 400 levels, prevSeqId -1, seqId of the last push. */
export function booksSnapshot(book: SymbolBook, checksum: number, now: number): unknown {
  const data = {
    ...levelsOf(book, 400),
    ts: String(now),
    checksum,
    prevSeqId: -1,
    seqId: book.lastMessageSeqId
  }
  return { arg: { channel: 'books', instId: book.symbol }, action: 'snapshot', data: [data] }
}

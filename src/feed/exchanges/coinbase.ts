import { CoinbaseBook, CoinbaseStreamCheck } from '../../core/books/coinbase.ts'
import {
  COINBASE,
  COINBASE_CHANNELS,
  coinbaseError,
  coinbaseRequest,
  mapCoinbaseTradesEvent,
  parseCoinbaseBookEvent,
  parseCoinbaseEnvelope,
  parseCoinbaseHeartbeat
} from '../../core/mappers/coinbase.ts'
import type { ExchangeSession, SessionConnection } from '../session.ts'
import { BookPublisher } from './book-publisher.ts'
import { parseFrame, type FeedSink } from './frames.ts'

export interface CoinbaseOptions {
  /** Advanced Trade market-data WebSocket, e.g. wss://advanced-trade-ws.coinbase.com. */
  url: string
  /** Exchange REST base of the trade history that fills gaps, e.g. https://api.exchange.coinbase.com. */
  restUrl: string
  /** Product ids, e.g. BTC-USD. */
  symbols: string[]
  /** At most one depth message per product per this many ms (the first right after each snapshot). */
  depthIntervalMs: number
  /** Trades per REST history page (the Exchange API allows up to 1000). */
  tradeHistoryLimit?: number
  /** Where resyncs and exchange errors are reported. */
  log?: { warn(details: object, message: string): void }
}

/**
 * Coinbase Advanced Trade: subscribes `heartbeats`, `market_trades` and `level2` (one channel per subscribe
 * message, sent on connect, well within the 5 s Coinbase allows); trades mapped one to one (taker side, the
 * exchange's id; the snapshot re-sent on every subscribe is deduplicated downstream by id); one local book per
 * product from level2's snapshot + updates, published as its top 20. Every envelope's `sequence_num` and every
 * `heartbeat_counter` is checked (core/books/coinbase.ts): a lost message resyncs the books by unsubscribing
 * and resubscribing level2, whose fresh snapshots replace them. Heartbeats also keep quiet channels open.
 */
export function coinbaseSession(options: CoinbaseOptions, sink: FeedSink): ExchangeSession {
  const books = new Map(options.symbols.map((symbol) => [symbol, new CoinbaseBook()]))
  const check = new CoinbaseStreamCheck()
  const publisher = new BookPublisher({
    exchange: COINBASE,
    intervalMs: options.depthIntervalMs,
    sink,
    book: (symbol) => books.get(symbol),
    exchangeTs: (book) => book.ts
  })

  /** A message was lost: every book waits for a fresh snapshot, which resubscribing level2 brings. */
  const resync = (reason: string, connection: SessionConnection): void => {
    options.log?.warn({ reason, symbols: options.symbols }, 'coinbase: message lost, resyncing level2')
    for (const book of books.values()) book.reset()
    connection.send(coinbaseRequest('unsubscribe', 'level2', options.symbols))
    connection.send(coinbaseRequest('subscribe', 'level2', options.symbols))
  }

  const onBookEvent = (
    event: unknown,
    frameTs: number,
    recvTs: number,
    text: string,
    signal: AbortSignal
  ): void => {
    const parsed = parseCoinbaseBookEvent(event)
    if (!parsed.ok) return sink.rejected(text, parsed.reason)
    const book = books.get(parsed.value.symbol)
    if (!book) return // a product we did not subscribe to (e.g. -USDC served as -USD)
    const result = book.apply(parsed.value, frameTs)
    if (result === 'synced') publisher.now(parsed.value.symbol, recvTs, signal)
    else if (result === 'ok') publisher.maybe(parsed.value.symbol, recvTs, signal)
  }

  return {
    url: options.url,
    subscribeMessages: () =>
      COINBASE_CHANNELS.map((channel) => coinbaseRequest('subscribe', channel, options.symbols)),
    onConnect() {
      check.reset()
      publisher.reset()
      for (const book of books.values()) book.reset()
    },
    onFrame(text, recvTs, connection) {
      const frame = parseFrame(text, sink)
      if (!frame) return
      const error = coinbaseError(frame.value)
      if (error !== null) {
        options.log?.warn({ error }, 'coinbase: error message')
        return sink.rejected(text, `exchange error: ${error}`)
      }
      const parsed = parseCoinbaseEnvelope(frame.value)
      if (!parsed.ok) return sink.rejected(text, parsed.reason)
      const envelope = parsed.value
      // One lost message can show twice (sequence_num and heartbeat_counter): resync once per frame.
      let resynced = false
      const lost = (reason: string) => {
        if (!resynced) resync(reason, connection)
        resynced = true
      }
      const verdict = check.sequence(envelope.sequenceNum)
      if (!verdict.ok) lost(verdict.reason)
      switch (envelope.channel) {
        case 'market_trades':
          for (const event of envelope.events) {
            const trades = mapCoinbaseTradesEvent(event, recvTs)
            if (!trades.ok) sink.rejected(text, trades.reason)
            else for (const trade of trades.value) sink.message(trade)
          }
          return
        case 'l2_data':
          for (const event of envelope.events)
            onBookEvent(event, envelope.ts, recvTs, text, connection.signal)
          return
        case 'heartbeats':
          for (const event of envelope.events) {
            const counter = parseCoinbaseHeartbeat(event)
            if (!counter.ok) return sink.rejected(text, counter.reason)
            const beat = check.heartbeat(counter.value)
            if (!beat.ok) lost(beat.reason)
          }
          return
        default:
          // `subscriptions` acknowledgements, and channels added later: nothing to publish.
          return
      }
    }
  }
}

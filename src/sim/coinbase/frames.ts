import { bestLevels } from '../kit/book.ts'
import type { HistoryTrade, Product } from './market.ts'
import { goTime, nanoTimestamp, socketDecimal } from './spelling.ts'

/** The Advanced Trade WebSocket's messages, built from the market's state (pure). */

const SNAPSHOT_EVENT_TIME = '1970-01-01T00:00:00Z'

/** The envelope of every message: channel, nanosecond timestamp, the connection's sequence_num, events. */
export function envelope(channel: string, events: unknown[], at: number, nanos: number, sequence: number) {
  return { channel, client_id: '', timestamp: nanoTimestamp(at, nanos), sequence_num: sequence, events }
}

/** An error answer (no envelope, no sequence_num). */
export function errorMessage(message: string, reason: string): string {
  return JSON.stringify({ type: 'error', message, reason })
}

/** level2 updates of one side: absolute quantities, "0" deletes; `offer` is the ask side. */
export function bookUpdates(
  product: Product,
  side: 'bid' | 'offer',
  prices: Map<bigint, bigint>,
  time: string
) {
  return [...prices].map(([price, qty]) => ({
    side,
    event_time: time,
    price_level: socketDecimal(price, product.priceScale),
    new_quantity: socketDecimal(qty, product.amountScale)
  }))
}

/** The `l2_data` snapshot event a level2 subscribe gets: the whole book. */
export function bookSnapshotEvents(product: Product): unknown[] {
  const levels = (side: Map<bigint, bigint>, descending: boolean) => bestLevels(side, descending, side.size)
  return [
    {
      type: 'snapshot',
      product_id: product.symbol,
      updates: [
        ...bookUpdates(product, 'bid', levels(product.bids, true), SNAPSHOT_EVENT_TIME),
        ...bookUpdates(product, 'offer', levels(product.asks, false), SNAPSHOT_EVENT_TIME)
      ]
    }
  ]
}

/** The `l2_data` update event of one tick's changes. */
export function bookUpdateEvents(
  product: Product,
  bids: Map<bigint, bigint>,
  asks: Map<bigint, bigint>,
  time: string
) {
  const updates = [...bookUpdates(product, 'bid', bids, time), ...bookUpdates(product, 'offer', asks, time)]
  return [{ type: 'update', product_id: product.symbol, updates }]
}

/** A `market_trades` event: `trades` as given (newest first), `side` the maker's. */
export function tradeEvents(
  type: 'snapshot' | 'update',
  product: Product,
  trades: HistoryTrade[]
): unknown[] {
  return [
    {
      type,
      trades: trades.map((trade) => ({
        trade_id: String(trade.id),
        product_id: product.symbol,
        price: socketDecimal(trade.priceTicks, product.priceScale),
        size: socketDecimal(trade.sizeTicks, product.amountScale),
        side: trade.makerSide,
        time: trade.time
      }))
    }
  ]
}

/** The `subscriptions` event: every channel subscribed and its products. */
export function subscriptionsEvents(subscriptions: Map<string, Set<string>>): unknown[] {
  return [
    { subscriptions: Object.fromEntries([...subscriptions].map(([channel, set]) => [channel, [...set]])) }
  ]
}

/** The `heartbeats` event: Go's current_time and the server-wide counter, as a string. */
export function heartbeatEvents(at: number, startedAt: number, counter: number): unknown[] {
  return [{ current_time: goTime(at, (at - startedAt) / 1000), heartbeat_counter: String(counter) }]
}

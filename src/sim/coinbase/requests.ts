/** What a client asks of the Advanced Trade WebSocket: read, checked and applied to its subscriptions (pure). */

const CHANNELS = new Set(['heartbeats', 'market_trades', 'level2'])
const KNOWN_ELSEWHERE = new Set([
  'candles',
  'status',
  'ticker',
  'ticker_batch',
  'user',
  'futures_balance_summary'
])

export interface SubscriptionRequest {
  type: 'subscribe' | 'unsubscribe'
  channel: string
  /** Product ids (none: every product of the channel, for an unsubscribe or heartbeats). */
  ids: string[]
}

/** A parsed message as a request, or the reason it is refused ("Failed to subscribe"). */
export function readRequest(
  message: unknown,
  isProduct: (id: string) => boolean
): { ok: true; request: SubscriptionRequest } | { ok: false; reason: string } {
  const refuse = (reason: string) => ({ ok: false as const, reason })
  const m = (typeof message === 'object' && message !== null ? message : {}) as Record<string, unknown>
  if (m.type !== 'subscribe' && m.type !== 'unsubscribe')
    return refuse(`unknown type ${JSON.stringify(m.type)}`)
  if (m.channels !== undefined || typeof m.channel !== 'string')
    return refuse('one channel per subscription message')
  const channel = m.channel
  if (!CHANNELS.has(channel))
    return refuse(
      KNOWN_ELSEWHERE.has(channel)
        ? `${channel} is not served by this local server`
        : `unknown channel ${channel}`
    )
  const ids = m.product_ids === undefined ? [] : m.product_ids
  if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string'))
    return refuse('product_ids must be an array of strings')
  const unknown = (ids as string[]).filter((id) => !isProduct(id))
  if (unknown.length > 0) return refuse(`unknown product(s) ${unknown.join(',')}`)
  if (channel !== 'heartbeats' && ids.length === 0 && m.type === 'subscribe')
    return refuse(`${channel} needs product_ids`)
  return { ok: true, request: { type: m.type, channel, ids: ids as string[] } }
}

/** Applies a request to a connection's subscriptions (channel -> product ids). */
export function applyRequest(
  subscriptions: Map<string, Set<string>>,
  { type, channel, ids }: SubscriptionRequest
): void {
  if (type === 'unsubscribe') {
    const set = subscriptions.get(channel)
    if (set && ids.length > 0) for (const id of ids) set.delete(id)
    if (set && (ids.length === 0 || set.size === 0)) subscriptions.delete(channel)
    return
  }
  const set = subscriptions.get(channel) ?? new Set<string>()
  for (const id of ids) set.add(id)
  subscriptions.set(channel, set)
}

/** Whether a connection gets `channel` (of `symbol`, if given). */
export function isSubscribed(
  subscriptions: Map<string, Set<string>>,
  channel: string,
  symbol?: string
): boolean {
  const set = subscriptions.get(channel)
  return set !== undefined && (symbol === undefined || set.has(symbol))
}

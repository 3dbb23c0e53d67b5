import { answerOf, snapshotOf } from './frames.ts'
import type { SymbolBook } from './view.ts'

/**
 * A client's requests (no IO): ping, and subscribe / unsubscribe of at most 10 topics, answered once; a new
 * book topic's snapshot goes out before the answer. The messages come back in the order they are sent.
 */
const MAX_ARGS = 10

export interface Subscriber {
  connId: string
  topics: Set<string>
}

/** The symbol of a topic this server serves, or null. */
function served(books: Map<string, SymbolBook>, topic: string): string | null {
  const match = /^(?:publicTrade|orderbook\.50)\.([A-Z0-9]+)$/.exec(topic)
  return match && books.has(match[1] as string) ? (match[1] as string) : null
}

/** A request text as an object, or null when it is not a JSON object. */
export function parseRequest(text: string): Record<string, unknown> | null {
  try {
    const parsed: unknown = JSON.parse(text)
    return typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)
      ? null
      : (parsed as Record<string, unknown>)
  } catch {
    return null
  }
}

/** ⚠ Bybit's text for an unreadable request is not documented. */
export const unreadable = (connId: string): string =>
  JSON.stringify({ success: false, ret_msg: 'error:request not json', conn_id: connId })

/** The messages that answer a request (snapshots first); the subscriber's topics follow it. */
export function answerRequest(
  client: Subscriber,
  request: Record<string, unknown>,
  books: Map<string, SymbolBook>,
  now: number,
  seq: number
): string[] {
  const answer = (success: boolean, retMsg: string) => answerOf(client.connId, request, success, retMsg)
  if (request.op === 'ping') return [answer(true, 'pong')]
  if (request.op !== 'subscribe' && request.op !== 'unsubscribe')
    return [answer(false, `error:handler not found,op:${String(request.op)}`)]
  const args = request.args
  if (!Array.isArray(args) || args.length === 0 || args.some((arg) => typeof arg !== 'string'))
    return [answer(false, 'error:args must be a non-empty array of topics')]
  if (args.length > MAX_ARGS) return [answer(false, `error:args size >${MAX_ARGS}`)]
  const out: string[] = []
  const failures: string[] = []
  for (const topic of args as string[]) {
    const symbol = served(books, topic)
    if (symbol === null) {
      failures.push(`error:handler not found,topic:${topic}`)
      continue
    }
    if (request.op === 'unsubscribe') {
      if (!client.topics.delete(topic)) failures.push(`error:not subscribed,topic:${topic}`)
      continue
    }
    if (client.topics.has(topic)) {
      failures.push(`error:already subscribed,topic:${topic}`)
      continue
    }
    client.topics.add(topic)
    // The first snapshot goes out before the subscribe answer (observed by Bybit.Net, issue #200).
    if (topic.startsWith('orderbook.')) out.push(snapshotOf(books.get(symbol) as SymbolBook, now, seq))
  }
  if (failures.length > 0) out.push(answer(false, failures.join(';')))
  else out.push(answer(true, request.op === 'subscribe' ? 'subscribe' : ''))
  return out
}

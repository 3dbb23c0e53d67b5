import type { OkxRequest } from './types.ts'

/**
 * A client's WebSocket requests (no IO): the text `ping`, and `subscribe` / `unsubscribe` acked per arg, with
 * errors 60012 (not a request) and 60018 (unknown channel or instrument).
 */
export interface Subscriber {
  index: number
  connId: string
  /** `channel:instId` */
  subscriptions: Set<string>
}

/** What a request asks: `pong`, or per arg an ack or error (and a snapshot wanted after a books ack). */
export type Answer =
  { pong: true } | { messages: { message: unknown; snapshotOf?: string }[]; args: OkxRequest[] }

/** Answers one request text; the subscriber's subscriptions follow it. */
export function answerRequest(
  client: Subscriber,
  text: string,
  isInstrument: (instId: string) => boolean
): Answer {
  if (text === 'ping') return { pong: true }
  let request: { id?: unknown; op?: unknown; args?: unknown }
  try {
    request = JSON.parse(text) as typeof request
  } catch {
    request = {}
  }
  const id = typeof request.id === 'string' ? { id: request.id } : {}
  const op = request.op
  const connId = client.connId
  if ((op !== 'subscribe' && op !== 'unsubscribe') || !Array.isArray(request.args)) {
    const msg = `Invalid request: ${text}`
    return { messages: [{ message: { ...id, event: 'error', code: '60012', msg, connId } }], args: [] }
  }
  const messages: { message: unknown; snapshotOf?: string }[] = []
  const args: OkxRequest[] = []
  for (const raw of request.args as { channel?: unknown; instId?: unknown }[]) {
    const channel = String(raw?.channel)
    const instId = String(raw?.instId)
    args.push({ connection: client.index, op, channel, instId })
    if ((channel !== 'trades' && channel !== 'books') || !isInstrument(instId)) {
      const msg = `Wrong URL or channel:${channel},instId:${instId} doesn't exist. Please use the correct URL, channel and parameters referring to API document.`
      messages.push({ message: { ...id, event: 'error', code: '60018', msg, connId } })
      continue
    }
    if (op === 'subscribe') client.subscriptions.add(`${channel}:${instId}`)
    else client.subscriptions.delete(`${channel}:${instId}`)
    const ack = { ...id, event: op, arg: { channel, instId }, connId }
    messages.push(
      op === 'subscribe' && channel === 'books' ? { message: ack, snapshotOf: instId } : { message: ack }
    )
  }
  return { messages, args }
}

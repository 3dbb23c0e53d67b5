/**
 * Which of several ClickHouse nodes (CLICKHOUSE_URL as a list) a client talks to (pure: time is passed in).
 * A client sticks to one node while it answers; a node that refuses or drops a connection is skipped for
 * `retryAfterMs`, then tried again. When every node is marked dead, they are all tried anyway, the one that
 * failed longest ago first: a client never gives up without asking.
 */
export class EndpointRotation {
  readonly #deadUntil: number[]
  readonly #retryAfterMs: number
  #current: number

  constructor(count: number, retryAfterMs: number, start = 0) {
    this.#deadUntil = Array.from({ length: count }, () => 0)
    this.#retryAfterMs = retryAfterMs
    this.#current = count > 0 ? start % count : 0
  }

  /** The nodes to try for one request, in order: live ones from the current node on, then the dead ones. */
  order(now: number): number[] {
    const count = this.#deadUntil.length
    const rotated = Array.from({ length: count }, (_, i) => (this.#current + i) % count)
    const live = rotated.filter((i) => (this.#deadUntil[i] ?? 0) <= now)
    const dead = rotated
      .filter((i) => (this.#deadUntil[i] ?? 0) > now)
      .sort((a, b) => (this.#deadUntil[a] ?? 0) - (this.#deadUntil[b] ?? 0))
    return [...live, ...dead]
  }

  failed(node: number, now: number): void {
    this.#deadUntil[node] = now + this.#retryAfterMs
  }

  /** The node answered: it is live, and the next requests start there. */
  answered(node: number): void {
    this.#deadUntil[node] = 0
    this.#current = node
  }

  get current(): number {
    return this.#current
  }
}

/** Nothing reached the node: the request can go to another one as it is. */
const unreachedCodes = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'])
/** The node may have received the request before the connection broke or timed out. */
const droppedCodes = new Set(['ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE'])

/**
 * How a request failed to reach ClickHouse: `unreached` (the connection was never made: another node may take
 * the request), `dropped` (the connection broke or timed out, perhaps after the node received the request:
 * re-sending it elsewhere could run it twice — an insert, an ON CLUSTER statement), or null for an answer from
 * ClickHouse (a bad query fails the same on every node).
 */
export function connectionFailure(error: unknown): 'unreached' | 'dropped' | null {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const { code, syscall } = e as { code?: unknown; syscall?: unknown }
    if (typeof code === 'string' && unreachedCodes.has(code)) return 'unreached'
    if (code === 'ETIMEDOUT' && syscall === 'connect') return 'unreached'
    if (/connect ECONNREFUSED/i.test(e.message)) return 'unreached'
    if (typeof code === 'string' && droppedCodes.has(code)) return 'dropped'
    if (/socket hang up|Timeout error/i.test(e.message)) return 'dropped'
  }
  return null
}

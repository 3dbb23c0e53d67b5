import type { IncomingMessage, ServerResponse } from 'node:http'

/** Answers a REST request with `body` as JSON (content type application/json unless `headers` says otherwise). */
export function replyJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {}
): void {
  replyJsonText(response, status, JSON.stringify(body), headers)
}

/** Answers a REST request with JSON text written by hand (e.g. number literals at full precision). */
export function replyJsonText(
  response: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {}
): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers })
  response.end(text)
}

/** A `retry-after` header for a rate-limited answer; none when no wait is given. */
export function retryAfterHeader(retryAfterS: number | undefined): Record<string, string> {
  return retryAfterS === undefined ? {} : { 'retry-after': String(retryAfterS) }
}

/**
 * A test hook: the next `n` requests of one kind fail, the way `how` says (e.g. 429 with a Retry-After, or
 * 503). Arming it again replaces what was left.
 */
export class FailNext<How> {
  #left = 0
  #how: How | null = null

  arm(n: number, how: How): void {
    this.#left = n
    this.#how = how
  }

  /** One request: how it fails (one failure used), or null when it is served. */
  take(): How | null {
    if (this.#left <= 0) return null
    this.#left--
    return this.#how
  }
}

/** A request's URL, parsed (path and query). */
export function requestUrl(request: IncomingMessage): URL {
  return new URL(request.url ?? '/', 'http://localhost')
}

/** A `limit`-like query value: `fallback` when absent or not a number (or 0), then clamped to 1..`max`. */
export function clampedLimit(text: string | null, fallback: number, max: number): number {
  return Math.min(Math.max(Number(text ?? fallback) || fallback, 1), max)
}

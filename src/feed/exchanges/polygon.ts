import { mapPolygonEvent } from '../../core/mappers/polygon.ts'
import type { ExchangeSession } from '../session.ts'
import { parseFrame, type FeedSink } from './frames.ts'

export interface PolygonOptions {
  /** e.g. wss://socket.massive.com/crypto */
  url: string
  apiKey: string
  /** e.g. ["XT.BTC-USD", "XQ.BTC-USD", "XA.*"] */
  subscriptions: string[]
}

/**
 * Polygon / Massive: authenticate, then subscribe once auth_success arrives. A refused key or
 * max_connections stops the connection with a clear reason instead of reconnecting in a tight loop.
 */
export function polygonSession(options: PolygonOptions, sink: FeedSink): ExchangeSession {
  return {
    url: options.url,
    subscribeMessages: () => [{ action: 'auth', params: options.apiKey }],
    onFrame(text, recvTs, connection) {
      const frame = parseFrame(text, sink)
      if (!frame) return
      const events = frame.value
      if (!Array.isArray(events)) return sink.rejected(text, 'frame is not a JSON array of events')
      for (const event of events) {
        const mapped = mapPolygonEvent(event, recvTs)
        if (mapped.kind === 'data') sink.message(mapped.message)
        else if (mapped.kind === 'rejected') sink.rejected(JSON.stringify(event), mapped.reason)
        else if (mapped.status === 'auth_success')
          connection.send({ action: 'subscribe', params: options.subscriptions.join(',') })
        else if (mapped.status === 'auth_failed' || mapped.status === 'auth_timeout') {
          return connection.stop(
            `Polygon refused the API key (${mapped.status}: ${mapped.message}); check POLYGON_API_KEY`
          )
        } else if (mapped.status === 'max_connections') {
          return connection.stop(
            `Polygon allows one connection per cluster per key (max_connections: ${mapped.message})`
          )
        }
      }
    }
  }
}

import { DepthThrottle } from '../../core/depth-throttle.ts'
import {
  mapWallexDepthSide,
  mapWallexTrade,
  parseWallexChannel,
  unwrapWallexFrame,
  WALLEX
} from '../../core/mappers/wallex.ts'
import { DerivedTradeIds } from '../../core/mappers/trade-ids.ts'
import type { ExchangeSession } from '../session.ts'
import { parseFrame, type FeedSink } from './frames.ts'

export interface WallexOptions {
  url: string
  /** 1: `/ws`, JSON arrays. 2: `/connection/websocket`, Centrifugo. */
  protocol: 1 | 2
  symbols: string[]
  depthIntervalMs: number
}

/** Wallex, both socket generations: URL, subscribe messages and the frame handler. */
export function wallexSession(options: WallexOptions, sink: FeedSink): ExchangeSession {
  const ids = new DerivedTradeIds()
  const depth = new DepthThrottle(options.depthIntervalMs)
  const channels = options.symbols.flatMap((s) => [`${s}@trade`, `${s}@buyDepth`, `${s}@sellDepth`])
  return {
    url: options.url,
    onConnect: () => ids.reset(),
    subscribeMessages: () =>
      options.protocol === 1
        ? channels.map((channel) => ['subscribe', { channel }])
        : [
            { id: 1, connect: {} },
            ...channels.map((channel, i) => ({
              id: i + 2,
              subscribe: {
                channel: channel.endsWith('@trade') ? `public:${channel}` : `orderbook:${channel}`
              }
            }))
          ],
    onFrame(text, recvTs, connection) {
      const frame = parseFrame(text, sink)
      if (!frame) return
      const unwrapped = unwrapWallexFrame(frame.value)
      if (unwrapped === 'ping') return connection.send({}) // Centrifugo's ping, answered with a pong
      if (unwrapped === null) return // acks and status replies
      const channel = parseWallexChannel(unwrapped.channel)
      if (!channel) return sink.rejected(text, `unknown channel ${JSON.stringify(unwrapped.channel)}`)
      if (channel.stream === 'trade') {
        const mapped = mapWallexTrade(channel.symbol, unwrapped.data, recvTs, ids)
        if (mapped.ok) sink.message(mapped.value)
        else sink.rejected(text, mapped.reason)
        return
      }
      const side = mapWallexDepthSide(unwrapped.data)
      if (!side.ok) return sink.rejected(text, side.reason)
      const snapshot = depth.update(
        WALLEX,
        channel.symbol,
        channel.stream === 'buyDepth' ? 'bids' : 'asks',
        side.value,
        recvTs
      )
      if (snapshot) sink.message(snapshot)
    }
  }
}

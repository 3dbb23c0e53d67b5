import type { SimProtocol } from '../protocol.ts'
import { polygon } from './polygon.ts'
import { wallexV1, wallexV2 } from './wallex.ts'

/** The protocols `tickbridge sim --serve <name>` speaks, and the feed command that connects to each. */
export const simProtocols: Record<string, { protocol: SimProtocol; feedHint: (url: string) => string }> = {
  wallex: {
    protocol: wallexV1,
    feedHint: (url) => `tickbridge feed --exchange wallex --url ${url} --symbols BTCUSDT,ETHUSDT`
  },
  'wallex-v2': {
    protocol: wallexV2,
    feedHint: (url) => `tickbridge feed --exchange wallex --protocol 2 --url ${url} --symbols BTCUSDT,ETHUSDT`
  },
  polygon: {
    protocol: polygon,
    feedHint: (url) =>
      `POLYGON_API_KEY=any tickbridge feed --exchange polygon --url ${url} --symbols XT.BTC-USD,XQ.BTC-USD,XA.BTC-USD`
  }
}

import { exchanges } from '../../feed/exchanges/index.ts'
import type { SimProtocol } from '../protocol.ts'

/** The protocols `tickbridge sim --serve <name>` speaks (from the exchange registry), and how a feed joins each. */
export const simProtocols: Record<string, { protocol: SimProtocol; feedHint: (url: string) => string }> =
  Object.fromEntries(
    Object.entries(exchanges).flatMap(([exchange, descriptor]) =>
      Object.entries(descriptor.simulators).map(([name, entry]) => [
        name,
        {
          protocol: entry.protocol,
          feedHint: (url: string) =>
            [entry.feedEnv, 'tickbridge feed --exchange', exchange, '--url', url, ...entry.feedArgs]
              .filter(Boolean)
              .join(' ')
        }
      ])
    )
  )

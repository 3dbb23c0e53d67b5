import type { SimProtocol } from '../protocol.ts'

/**
 * Polygon / Massive (crypto cluster): status on connect, auth, then `XT.` trades, `XQ.` quotes and `XA.` minute
 * aggregates, every frame a JSON array batching the events of a tick; prices as JSON numbers (literal digits).
 * The key `refused` is answered with auth_failed, to exercise a feed's stop-on-refusal path.
 */
const status = (status: string, message: string) => JSON.stringify([{ ev: 'status', status, message }])
export const REFUSED_KEY = 'refused'

export const polygon: SimProtocol = {
  title: 'Polygon (crypto)',
  path: '/crypto',
  greet: () => [status('connected', 'Connected Successfully')],
  onClientFrame(text, connection) {
    let command: { action?: string; params?: string }
    try {
      command = JSON.parse(text) as typeof command
    } catch {
      return []
    }
    if (command.action === 'auth') {
      connection.authenticated = command.params !== REFUSED_KEY && Boolean(command.params)
      return [
        connection.authenticated
          ? status('auth_success', 'authenticated')
          : status('auth_failed', 'authentication failed')
      ]
    }
    if (!connection.authenticated) return [status('error', 'not authorized')]
    if (command.action === 'subscribe' || command.action === 'unsubscribe') {
      const params = String(command.params ?? '')
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean)
      for (const param of params) {
        const [ev, symbol = ''] = param.split('.', 2) as [string, string]
        const target =
          ev === 'XT'
            ? connection.subscriptions.trades
            : ev === 'XQ'
              ? connection.subscriptions.books
              : ev === 'XA'
                ? connection.subscriptions.aggregates
                : null
        if (!target || !symbol) continue
        if (command.action === 'subscribe') target.add(symbol)
        else target.delete(symbol)
      }
      return [status('success', `${command.action}d to: ${params.join(',')}`)]
    }
    return []
  },
  tradeFrames(trades) {
    if (trades.length === 0) return []
    const events = trades.map(
      (t) =>
        `{"ev":"XT","pair":"${t.symbol}","p":${t.price},"t":${t.ts},"s":${t.amount},"c":[${t.side === 'buy' ? 1 : 2}],"i":"${t.id}","x":1,"r":${t.ts}}`
    )
    return [`[${events.join(',')}]`]
  },
  bookFrames(symbol, book, now) {
    const [bid, ask] = [book.bids[0], book.asks[0]]
    if (!bid || !ask) return []
    return [
      `[{"ev":"XQ","pair":"${symbol}","bp":${bid[0]},"bs":${bid[1]},"ap":${ask[0]},"as":${ask[1]},"t":${now},"x":1,"r":${now}}]`
    ]
  },
  aggregateFrames: (a) => [
    `[{"ev":"XA","pair":"${a.symbol}","v":${a.volume},"z":${a.trades},"o":${a.open},"c":${a.close},"h":${a.high},"l":${a.low},"s":${a.start},"e":${a.end}}]`
  ]
}

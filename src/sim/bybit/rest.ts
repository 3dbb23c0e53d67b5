import type { IncomingMessage, ServerResponse } from 'node:http'
import { clampedLimit, replyJson, requestUrl } from '../kit/http.ts'
import type { RecentTrade } from './market.ts'

/** `GET /v5/market/recent-trade?category=spot&symbol=&limit=`: the newest trades first, 60 at most. */
export function bybitRest(
  recent: Map<string, RecentTrade[]>
): (request: IncomingMessage, response: ServerResponse) => void {
  const recentTrades = (url: URL, response: ServerResponse): void => {
    const reply = (body: Record<string, unknown>) =>
      replyJson(response, 200, { ...body, retExtInfo: {}, time: Date.now() })
    const trades = recent.get(url.searchParams.get('symbol') ?? '')
    // ⚠ The exact retMsg texts of Bybit's parameter errors are not documented for this endpoint.
    if (url.searchParams.get('category') !== 'spot' || !trades)
      return reply({ retCode: 10001, retMsg: 'params error: category or symbol invalid', result: {} })
    const limit = clampedLimit(url.searchParams.get('limit'), 60, 60)
    reply({ retCode: 0, retMsg: 'OK', result: { category: 'spot', list: trades.slice(-limit).reverse() } })
  }
  return (request, response) => {
    const url = requestUrl(request)
    if (request.method === 'GET' && url.pathname === '/v5/market/recent-trade')
      return recentTrades(url, response)
    response.writeHead(404, { 'content-type': 'text/plain' })
    response.end('404 page not found')
  }
}

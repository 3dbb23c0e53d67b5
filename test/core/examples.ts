/** The canonical v1 examples from DESIGN.md, as wire text, shared by the core tests. */
export const NOW = 1763800000200

export const TRADE_JSON =
  '{"v":1,"type":"trade","exchange":"wallex","symbol":"BTCUSDT","id":"71920345",' +
  '"price":"98012.50","amount":"0.0123","side":"buy","ts":1763800000123,"recv_ts":1763800000130}'
export const DEPTH_JSON =
  '{"v":1,"type":"depth","exchange":"wallex","symbol":"BTCUSDT","ts":1763800000123,' +
  '"bids":[["98000.1","0.5"]],"asks":[["98001.0","1.2"]],"recv_ts":1763800000131}'
export const QUOTE_JSON =
  '{"v":1,"type":"quote","exchange":"polygon","symbol":"EUR/USD","bid":"1.0501","ask":"1.0503",' +
  '"bid_size":"1000000","ask_size":"500000","ts":1763800000123,"recv_ts":1763800000125}'
export const CANDLE_JSON =
  '{"v":1,"type":"candle","exchange":"polygon","symbol":"EUR/USD","timeframe":"1m","ts":1763799960000,' +
  '"open":"1.0500","high":"1.0504","low":"1.0499","close":"1.0503","volume":"1250","trades":42}'

export function trade(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...(JSON.parse(TRADE_JSON) as Record<string, unknown>), ...overrides }
}

export function depth(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...(JSON.parse(DEPTH_JSON) as Record<string, unknown>), ...overrides }
}

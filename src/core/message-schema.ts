/** JSON Schemas of the v1 wire format, compiled once by ajv in validate.ts. */
export const DECIMAL_PATTERN = '^(0|[1-9][0-9]{0,19})(\\.[0-9]{1,18})?$'
const decimal = { type: 'string', pattern: DECIMAL_PATTERN } as const
/** 2000-01-01 .. 2100-01-01 in epoch ms; "not in the future" is checked at validation time. */
const epochMs = { type: 'integer', minimum: 946684800000, maximum: 4102444800000 } as const
const level = { type: 'array', minItems: 2, maxItems: 2, items: decimal } as const
const levels = { type: 'array', maxItems: 10000, items: level } as const

const base = {
  v: { const: 1 },
  exchange: { type: 'string', pattern: '^[a-z0-9_-]{1,32}$' },
  symbol: { type: 'string', minLength: 1, maxLength: 64 },
  ts: epochMs,
  recv_ts: epochMs
} as const

function objectSchema(type: string, properties: Record<string, unknown>, required: string[]) {
  return {
    type: 'object',
    properties: { ...base, type: { const: type }, ...properties },
    required: ['v', 'type', 'exchange', 'symbol', 'ts', ...required],
    // Unknown extra fields are ignored, so producers can add fields without breaking v1 consumers.
    additionalProperties: true
  }
}

export const tradeSchema = objectSchema(
  'trade',
  {
    id: { type: 'string', minLength: 1, maxLength: 128 },
    price: decimal,
    amount: decimal,
    side: { enum: ['buy', 'sell', 'unknown'] }
  },
  ['id', 'price', 'amount', 'side', 'recv_ts']
)

export const depthSchema = objectSchema('depth', { bids: levels, asks: levels }, ['bids', 'asks', 'recv_ts'])

export const quoteSchema = objectSchema(
  'quote',
  { bid: decimal, ask: decimal, bid_size: decimal, ask_size: decimal },
  ['bid', 'ask', 'bid_size', 'ask_size', 'recv_ts']
)

export const candleSchema = objectSchema(
  'candle',
  {
    timeframe: { enum: ['1s', '1m', '5m', '15m', '1h', '4h', '1d'] },
    open: decimal,
    high: decimal,
    low: decimal,
    close: decimal,
    volume: decimal,
    trades: { type: 'integer', minimum: 0 }
  },
  ['timeframe', 'open', 'high', 'low', 'close', 'volume']
)

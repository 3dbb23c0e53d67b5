import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import { candleSchema, DECIMAL_PATTERN, depthSchema, quoteSchema, tradeSchema } from './message-schema.ts'
import { MESSAGE_VERSION, type MarketMessage, type MessageType } from './messages.ts'

export type ParseResult = { ok: true; message: MarketMessage } | { ok: false; reason: string }

const ajv = new Ajv({ allErrors: false, strict: true, verbose: true })
const validators: Record<MessageType, ValidateFunction> = {
  trade: ajv.compile(tradeSchema),
  depth: ajv.compile(depthSchema),
  quote: ajv.compile(quoteSchema),
  candle: ajv.compile(candleSchema)
}

/** How far in the future an exchange timestamp may be before it is called absurd. */
export const MAX_FUTURE_SKEW_MS = 24 * 60 * 60 * 1000

/**
 * Parses one Kafka message value into a canonical message, or says precisely why it is not one.
 * Pure: `now` is passed in so the future-timestamp check is testable.
 */
export function parseMessage(value: Buffer | string | undefined, now = Date.now()): ParseResult {
  if (value === undefined || value.length === 0) return { ok: false, reason: 'empty message value' }
  let data: unknown
  try {
    data = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'))
  } catch (error) {
    return { ok: false, reason: `invalid JSON: ${(error as Error).message}` }
  }
  return validateMessage(data, now)
}

export function validateMessage(data: unknown, now = Date.now()): ParseResult {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { ok: false, reason: 'message is not a JSON object' }
  }
  const record = data as Record<string, unknown>
  if (record.v !== MESSAGE_VERSION)
    return { ok: false, reason: `unsupported version v=${JSON.stringify(record.v)}` }
  const type = record.type
  const validate = typeof type === 'string' ? validators[type as MessageType] : undefined
  if (!validate) return { ok: false, reason: `unknown message type ${JSON.stringify(type)}` }
  if (!validate(record)) return { ok: false, reason: formatAjvError(validate.errors?.[0]) }
  const message = record as unknown as MarketMessage
  if (message.ts > now + MAX_FUTURE_SKEW_MS) {
    return { ok: false, reason: `ts ${message.ts} is more than 24h in the future` }
  }
  return { ok: true, message }
}

function formatAjvError(error: ErrorObject | undefined): string {
  if (!error) return 'invalid message'
  const path = error.instancePath.replace(/^\//, '').replaceAll('/', '.')
  if (error.keyword === 'required')
    return `missing field ${(error.params as { missingProperty: string }).missingProperty}`
  if (error.keyword === 'pattern' && (error.params as { pattern: string }).pattern === DECIMAL_PATTERN) {
    return `${path}: ${JSON.stringify(error.data)} is not a non-negative decimal (max 20.18 digits)`
  }
  if (error.keyword === 'pattern') return `${path || 'value'}: invalid format (${error.message ?? 'pattern'})`
  return `${path || 'message'}: ${error.message ?? error.keyword}`
}

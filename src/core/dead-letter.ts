/**
 * The dead-letter envelope: one JSON format for what the bridge refuses (a Kafka message) and what a feed
 * refuses (an exchange frame), documented in docs/wire-format.md. Pure: encoding and sizing only.
 *
 * A broker refuses a record (batch) above the topic's `max.message.bytes`, and retrying cannot change that
 * answer, so letters are encoded to fit: a letter whose original value is too big keeps its reason and origin
 * and carries the first part of the value, marked `truncated` with the original size.
 */
export interface DeadLetterEnvelope {
  reason: string
  /** Who refused it: a bridge (a message read from Kafka) or a feed (a frame from an exchange). */
  origin: 'bridge' | 'feed'
  /** Where the original is in Kafka (bridge letters); null for a feed's frame. */
  source_topic: string | null
  partition: number | null
  /** A string: offsets are 64-bit. */
  offset: string | null
  key: string | null
  /** The refused message or frame as UTF-8 text, unchanged unless `truncated`. */
  value: string | null
  /** The exchange a feed's frame came from; null for bridge letters. */
  exchange: string | null
  instance_id: string
  failed_at: number
  /** True when `value` holds only the first part of the original (which was `value_bytes` long). */
  truncated: boolean
  value_bytes: number
}

/** The fields a refusal always has; the rest default to null (and `value_bytes` to the value's size). */
export type DeadLetterFields = Pick<
  DeadLetterEnvelope,
  'reason' | 'origin' | 'value' | 'instance_id' | 'failed_at'
> &
  Partial<
    Pick<DeadLetterEnvelope, 'source_topic' | 'partition' | 'offset' | 'key' | 'exchange' | 'value_bytes'>
  >

/** A dead letter, not truncated, its fields in the documented order. */
export function deadLetterEnvelope(fields: DeadLetterFields): DeadLetterEnvelope {
  return {
    reason: fields.reason,
    origin: fields.origin,
    source_topic: fields.source_topic ?? null,
    partition: fields.partition ?? null,
    offset: fields.offset ?? null,
    key: fields.key ?? null,
    value: fields.value,
    exchange: fields.exchange ?? null,
    instance_id: fields.instance_id,
    failed_at: fields.failed_at,
    truncated: false,
    value_bytes: fields.value_bytes ?? (fields.value === null ? 0 : Buffer.byteLength(fields.value))
  }
}

/** Room kept per record for Kafka's record framing, the key and the headers. */
export const RECORD_OVERHEAD_BYTES = 1_024

/** Serializes `letter`, cutting its value so the JSON stays within `maxBytes`. */
export function encodeDeadLetter(letter: DeadLetterEnvelope, maxBytes: number): string {
  const whole = JSON.stringify(letter)
  if (Buffer.byteLength(whole) <= maxBytes || letter.value === null) return whole
  const value = Buffer.from(letter.value)
  // Escaping makes the encoded value longer than the raw one: keep the share of it that fits, then trim.
  const base = Buffer.byteLength(JSON.stringify({ ...letter, value: '', truncated: true }))
  const encodedValue = Buffer.byteLength(whole) - base
  let keep = Math.max(0, Math.floor((value.length * (maxBytes - base)) / Math.max(1, encodedValue)))
  for (;;) {
    // Cutting inside a multi-byte character leaves a U+FFFD; escaping can grow the text: re-measure.
    const cut = { ...letter, value: value.subarray(0, keep).toString('utf8'), truncated: true }
    const encoded = JSON.stringify(cut)
    const over = Buffer.byteLength(encoded) - maxBytes
    if (over <= 0 || keep === 0) return encoded
    keep = Math.max(0, keep - Math.max(over, 16))
  }
}

/** Groups encoded records, in order, so each group's total stays within `maxBytes` (a record alone may not). */
export function groupBySize<T>(items: T[], sizeOf: (item: T) => number, maxBytes: number): T[][] {
  const groups: T[][] = []
  let current: T[] = []
  let size = 0
  for (const item of items) {
    const itemSize = sizeOf(item) + RECORD_OVERHEAD_BYTES
    if (current.length > 0 && size + itemSize > maxBytes) {
      groups.push(current)
      current = []
      size = 0
    }
    current.push(item)
    size += itemSize
  }
  if (current.length > 0) groups.push(current)
  return groups
}

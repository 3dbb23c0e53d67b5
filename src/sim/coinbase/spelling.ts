import { fixedDecimal, trimmedDecimal } from '../kit/book.ts'

/** How Coinbase spells decimals and times (pure). */

/** The most decimals a price or size has (the Exchange REST API's 8). */
export const MAX_SCALE = 8

/** Ticks -> decimal text at `scale`, trailing zeros removed (the socket's spelling: "21921.3", "0.3", "5"). */
export const socketDecimal = trimmedDecimal

/** Ticks -> decimal text with 8 decimals (the Exchange REST API's spelling: "6225.32000000"). */
export const restDecimal = (ticks: bigint, scale: number): string => fixedDecimal(ticks, scale, MAX_SCALE)

/** RFC 3339 with nanoseconds, trailing zeros trimmed (Go's RFC3339Nano, as Coinbase's envelopes). */
export function nanoTimestamp(ms: number, nanos: number): string {
  const iso = new Date(ms).toISOString() // 2023-02-09T20:32:50.714Z
  const fraction = `${iso.slice(20, 23)}${String(nanos % 1_000_000).padStart(6, '0')}`.replace(/0+$/, '')
  return `${iso.slice(0, 19)}${fraction ? `.${fraction}` : ''}Z`
}

/** Microsecond RFC 3339 ("2024-10-08T09:10:35.171517Z"), as trade times and event_time are spelled. */
export function microTimestamp(ms: number, micros: number): string {
  const iso = new Date(ms).toISOString()
  return `${iso.slice(0, 23)}${String(micros % 1000).padStart(3, '0')}Z`
}

/** Go's time.Time String(), as `current_time` in heartbeats: "2023-06-23 20:31:56.121961769 +0000 UTC m=+91717.5". */
export function goTime(ms: number, uptimeS: number): string {
  const iso = new Date(ms).toISOString()
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}000000 +0000 UTC m=+${uptimeS.toFixed(9)}`
}

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { RowBody } from '../../src/core/row-body.ts'
import { tradeRow } from '../../src/core/rows.ts'
import { scanTrade, TradeSpans, writeTradeRow } from '../../src/core/trade-fast-path.ts'
import { parseMessage } from '../../src/core/validate.ts'
import type { TradeMessage } from '../../src/core/messages.ts'
import { TradeGenerator } from '../../src/sim/market.ts'

const NOW = Date.parse('2026-11-30T00:00:00Z')

/** The fast path's row for `value`, or null when it passes the message on to the general path. */
function fastRow(value: Buffer): string | null {
  const spans = new TradeSpans()
  if (!scanTrade(value, NOW, spans)) return null
  const body = new RowBody()
  writeTradeRow(body, value, spans)
  return Buffer.concat(body.buffers()).toString('utf8')
}

function generalRow(value: Buffer): string | null {
  const parsed = parseMessage(value, NOW)
  return parsed.ok && parsed.message.type === 'trade' ? tradeRow(parsed.message) : null
}

function canonical(n: number): Buffer[] {
  const generator = new TradeGenerator({
    exchange: 'wallex',
    symbols: ['BTCUSDT', 'ETH-USD', 'sol_usdt', 'X'],
    seed: 3
  })
  return Array.from({ length: n }, (_, i) =>
    Buffer.from(JSON.stringify(generator.next(NOW - 3_600_000 + i).message))
  )
}

test('canonical trades take the fast path and give the byte-identical row of the general path', () => {
  for (const value of canonical(2_000)) {
    const fast = fastRow(value)
    assert.ok(fast, `fast path takes ${value.toString()}`)
    assert.equal(fast, generalRow(value))
  }
})

test('whatever the fast path accepts among 200,000 mutations, the general path accepts with the same row', () => {
  const alphabet = [
    '"',
    '\\',
    '0',
    '9',
    '.',
    '-',
    ' ',
    '}',
    '{',
    ',',
    ':',
    'a',
    'Z',
    'é',
    '\u0000',
    '\n',
    '1e5',
    'x'
  ]
  let seed = 12345
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    return seed % n
  }
  const bases = canonical(50).map((b) => b.toString('utf8'))
  let accepted = 0
  let passedOn = 0
  for (let k = 0; k < 200_000; k++) {
    let text = bases[random(bases.length)] as string
    for (let m = 1 + random(2); m > 0; m--) {
      const at = random(text.length)
      const piece = alphabet[random(alphabet.length)] as string
      const op = random(3)
      text =
        op === 0
          ? text.slice(0, at) + piece + text.slice(at)
          : op === 1
            ? text.slice(0, at) + text.slice(at + 1)
            : text.slice(0, at) + piece + text.slice(at + 1)
    }
    const value = Buffer.from(text)
    const fast = fastRow(value)
    if (fast === null) {
      passedOn++
      continue
    }
    accepted++
    assert.equal(fast, generalRow(value), `same row for ${text}`)
  }
  assert.ok(accepted > 1_000 && passedOn > 100_000, `accepted ${accepted}, passed on ${passedOn}`)
})

test('edge cases: the fast path refuses what the schema refuses, and passes on what it does not handle', () => {
  const trade: TradeMessage = {
    v: 1,
    type: 'trade',
    exchange: 'binance',
    symbol: 'BTCUSDT',
    id: '7',
    price: '98012.50',
    amount: '0.0123',
    side: 'buy',
    ts: NOW - 1_000,
    recv_ts: NOW - 900
  }
  const encode = (overrides: Record<string, unknown>) =>
    Buffer.from(JSON.stringify({ ...trade, ...overrides }))
  const refusedByBoth = [
    { price: '01.5' },
    { price: '1.' },
    { price: '1'.repeat(21) },
    { amount: `0.${'1'.repeat(19)}` },
    { side: 'Buy' },
    { exchange: 'Binance' },
    { exchange: 'x'.repeat(33) },
    { ts: NOW + 25 * 3_600_000 },
    { id: '' },
    { symbol: 'S'.repeat(65) }
  ]
  for (const overrides of refusedByBoth) {
    const value = encode(overrides)
    assert.equal(fastRow(value), null, `fast path refuses ${JSON.stringify(overrides)}`)
    assert.equal(generalRow(value), null, `general path refuses ${JSON.stringify(overrides)}`)
  }
  const passedOn = [
    encode({ symbol: 'BTC"USDT' }),
    encode({ symbol: 'BTC€' }),
    encode({ extra: 1 }),
    encode({ ts: 999_999_999_999 + 946_684_800_000 - 946_684_800_000 }),
    Buffer.from(JSON.stringify(trade, null, 1)),
    Buffer.from(JSON.stringify({ ...trade, v: undefined, type: undefined, version: 1 }))
  ]
  for (const value of passedOn) assert.equal(fastRow(value), null, `passed on: ${value.toString()}`)
  assert.equal(fastRow(encode({})), generalRow(encode({})))
  assert.equal(
    fastRow(encode({ price: '0', amount: `${'9'.repeat(20)}.${'9'.repeat(18)}`, side: 'unknown' })) !== null,
    true
  )
})

// Tests src/sim/market.ts (kept under test/core: the simulator's output is checked against the core validator).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { TradeMessage } from '../../src/core/messages.ts'
import { rowFor } from '../../src/core/rows.ts'
import { parseMessage } from '../../src/core/validate.ts'
import { DEFAULT_SYMBOLS, TradeGenerator, seededRandom, ticksToDecimal } from '../../src/sim/market.ts'

const START = 1763800000000
const SYMBOLS = DEFAULT_SYMBOLS.map((s) => s.symbol)

function generate(seed: number, n: number, symbols = SYMBOLS): { key: string; message: TradeMessage }[] {
  const generator = new TradeGenerator({ exchange: 'sim', symbols, seed })
  return Array.from({ length: n }, (_, i) => generator.next(START + i))
}

test('ticksToDecimal is exact', () => {
  assert.equal(ticksToDecimal(0n, 2), '0.00')
  assert.equal(ticksToDecimal(5n, 3), '0.005')
  assert.equal(ticksToDecimal(12345n, 0), '12345')
  assert.equal(ticksToDecimal(12345n, 2), '123.45')
  assert.equal(ticksToDecimal(100n, 2), '1.00')
  assert.equal(ticksToDecimal(-5n, 2), '-0.05')
  assert.equal(ticksToDecimal(123456789012345678901234567890n, 18), '123456789012.345678901234567890')
})

test('seededRandom: same seed same stream, values in [0, 1)', () => {
  const a = seededRandom(42)
  const b = seededRandom(42)
  const c = seededRandom(43)
  const xs = Array.from({ length: 1000 }, () => a())
  assert.deepEqual(
    xs,
    Array.from({ length: 1000 }, () => b())
  )
  assert.notDeepEqual(
    xs.slice(0, 10),
    Array.from({ length: 10 }, () => c())
  )
  for (const x of xs) assert.ok(x >= 0 && x < 1, String(x))
})

test('TradeGenerator: the same seed yields the identical sequence', () => {
  assert.deepEqual(generate(7, 500), generate(7, 500))
})

test('TradeGenerator: a different seed yields a different sequence (same ids, other prices)', () => {
  const a = generate(7, 200)
  const b = generate(8, 200)
  assert.deepEqual(
    a.map((t) => t.message.id),
    b.map((t) => t.message.id)
  )
  assert.notDeepEqual(
    a.map((t) => [t.message.price, t.message.amount, t.message.side]),
    b.map((t) => [t.message.price, t.message.amount, t.message.side])
  )
})

test('TradeGenerator: round-robin over symbols, sequential ids per symbol, key exchange:symbol', () => {
  const trades = generate(1, 15)
  trades.forEach(({ key, message }, i) => {
    const symbol = SYMBOLS[i % SYMBOLS.length]
    assert.equal(message.symbol, symbol)
    assert.equal(key, `sim:${symbol}`)
    assert.equal(message.id, String(Math.floor(i / SYMBOLS.length) + 1))
    assert.equal(message.ts, START + i)
  })
  const fromOffset = new TradeGenerator({ exchange: 'sim', symbols: ['BTCUSDT'], seed: 1, firstId: 1000 })
  assert.equal(fromOffset.next(START).message.id, '1000')
  assert.equal(fromOffset.next(START).message.id, '1001')
})

test('every generated trade passes parseMessage and keeps its scale', () => {
  const symbols = [...SYMBOLS, 'NEWCOIN']
  const scales = new Map(DEFAULT_SYMBOLS.map((s) => [s.symbol, [s.priceScale, s.amountScale]]))
  scales.set('NEWCOIN', [2, 4])
  for (const { message } of generate(99, 5_000, symbols)) {
    const wire = JSON.stringify(message)
    const result = parseMessage(wire, START)
    assert.ok(result.ok, `${wire}: ${result.ok ? '' : result.reason}`)
    assert.deepEqual(result.message, message)
    const [priceScale, amountScale] = scales.get(message.symbol) ?? [-1, -1]
    assert.equal(message.price.split('.')[1]?.length ?? 0, priceScale, message.price)
    assert.equal(message.amount.split('.')[1]?.length ?? 0, amountScale, message.amount)
    assert.ok(/^[0-9]+(\.[0-9]+)?$/.test(message.price) && /[1-9]/.test(message.amount), wire)
    // And the row it becomes carries the decimal text literally.
    assert.ok(rowFor(message).line.includes(`"price":${message.price},`))
  }
})

// Shared helpers for the Kafka client benchmark (127.0.0.1 only).
export const BROKER = process.env.KAFKA_BROKER ?? '127.0.0.1:29092'
if (!/^(127\.|localhost|\[::1\])/.test(BROKER)) throw new Error(`refusing non-loopback broker ${BROKER}`)

export const SYMBOLS = [
  'BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'BNBUSDT', 'XRPUSDT', 'ADAUSDT', 'DOGEUSDT', 'AVAXUSDT', 'DOTUSDT', 'LINKUSDT',
  'MATICUSDT', 'LTCUSDT', 'TRXUSDT', 'ATOMUSDT', 'NEARUSDT', 'APTUSDT', 'ARBUSDT', 'OPUSDT', 'UNIUSDT', 'BCHUSDT'
]
export const KEYS = SYMBOLS.map(s => `sim:${s}`)
const BASE_TS = 1763800000000

// ~180-byte trade message shaped like tickbridge's normalized trade.
export function makeMessage (i) {
  const s = i % SYMBOLS.length
  const ts = BASE_TS + i
  const price = (98000 + (i % 5000) / 100).toFixed(2)
  const value = `{"v":1,"type":"trade","exchange":"sim","symbol":"${SYMBOLS[s]}","id":"${i}","price":"${price}","amount":"0.0123","side":"${i & 1 ? 'sell' : 'buy'}","ts":${ts},"recv_ts":${ts + 7}}`
  return { key: KEYS[s], value }
}

export function args () {
  const out = {}
  const a = process.argv.slice(2)
  for (let i = 0; i < a.length; i++) {
    if (a[i].startsWith('--')) {
      const k = a[i].slice(2)
      const v = a[i + 1] !== undefined && !a[i + 1].startsWith('--') ? a[++i] : 'true'
      out[k] = v
    }
  }
  return out
}

export function peakRssMB () {
  return Math.round(process.resourceUsage().maxRSS / 1024) // maxRSS is in KiB
}

export function emit (obj) {
  process.stdout.write(JSON.stringify(obj) + '\n')
}

// Hard wall-clock guard so no benchmark can run unbounded.
export function guard (ms, label) {
  const t = setTimeout(() => {
    emit({ error: `timeout after ${ms} ms`, label })
    process.exit(3)
  }, ms)
  t.unref()
  return t
}

// Print a markdown summary (medians + individual runs) of results/*.jsonl files.
// usage: node summarize.mjs results/run-XXXX.jsonl [more.jsonl ...]
import { readFileSync } from 'node:fs'

const rows = process.argv.slice(2).flatMap(f => readFileSync(f, 'utf8').split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l)))
const median = xs => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2 }
const groups = new Map()
for (const r of rows) {
  const label = r.test === 'failover'
    ? `failover ${r.client} (${r.protocol}${r.protocol === 'classic' ? `, session ${r.session}, hb ${r.heartbeat}` : ''}${r.static ? ', static' : ''})`
    : `${r.test} ${r.client}${r.test === 'consume' ? ` ${r.api}` : ''}${r.rdkafka ? ' ' + JSON.stringify(r.rdkafka) : ''}`
  if (!groups.has(label)) groups.set(label, [])
  groups.get(label).push(r)
}
console.log('| measurement | median | runs | peak RSS MB (runs) |')
console.log('|---|---|---|---|')
for (const [label, rs] of groups) {
  if (rs[0].test === 'failover') {
    const v = rs.flatMap(r => r.runs.map(x => x.failoverMs))
    const ok = v.filter(x => x !== null)
    console.log(`| ${label} | ${ok.length ? median(ok) + ' ms' : 'n/a'} | ${v.map(x => x === null ? 'timeout' : x).join(', ')} ms | |`)
  } else {
    const v = rs.map(r => r.msgPerSec)
    console.log(`| ${label} | ${median(v).toLocaleString('en-US')} msg/s | ${v.map(x => x.toLocaleString('en-US')).join(', ')} | ${rs.map(r => r.peakRssMB).join(', ')} |`)
  }
}

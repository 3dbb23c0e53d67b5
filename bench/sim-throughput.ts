/**
 * Simulator throughput: `tickbridge sim --serve <protocol>` as its own process, `--connections` plain `ws`
 * clients subscribed to trades, each connection served at rate/connections. Counts trade events received per
 * second (Polygon batches several per frame) and prints the median of the per-second totals, per protocol.
 *
 *   npm run bench:sim -- --rate 100000 --connections 4 --seconds 10 --protocols wallex,wallex-v2,polygon
 */
import { spawn } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import WebSocket from 'ws'
import { cliEntry } from '../src/config/load.ts'
import { portOpen } from '../src/stack/processes.ts'
import { percentile, say } from './setup.ts'
import { benchOptions } from './options.ts'

const values = benchOptions({
  rate: { type: 'string', default: '100000' },
  connections: { type: 'string', default: '4' },
  seconds: { type: 'string', default: '10' },
  protocols: { type: 'string', default: 'wallex,wallex-v2,polygon' },
  port: { type: 'string', default: '18765' }
})
const rate = Number(values.rate)
const connections = Number(values.connections)
const seconds = Number(values.seconds)
const port = Number(values.port)

const subscribe: Record<string, (symbol: string) => string[]> = {
  wallex: (s) => [JSON.stringify(['subscribe', { channel: `${s}@trade` }])],
  'wallex-v2': (s) => [
    JSON.stringify({ id: 1, connect: {} }),
    JSON.stringify({ id: 2, subscribe: { channel: `public:${s}@trade` } })
  ],
  polygon: (s) => [
    JSON.stringify({ action: 'auth', params: 'bench' }),
    JSON.stringify({ action: 'subscribe', params: `XT.${s.replace('USDT', '-USD')}` })
  ]
}
const marker: Record<string, string> = { wallex: '@trade"', 'wallex-v2': '@trade"', polygon: '"ev":"XT"' }

function countOf(text: string, needle: string): number {
  let n = 0
  for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + needle.length)) n++
  return n
}

async function measure(protocol: string): Promise<{ median: number; samples: number[] }> {
  const sim = spawn(
    process.execPath,
    [
      cliEntry,
      'sim',
      '--serve',
      protocol,
      '--port',
      String(port),
      '--rate',
      String(Math.round(rate / connections))
    ],
    { stdio: 'ignore', env: { ...process.env, LOG_LEVEL: 'warn' } }
  )
  const killSim = () => sim.kill('SIGKILL')
  process.once('exit', killSim) // never leave a simulator behind, even when interrupted
  process.once('SIGINT', () => process.exit(130))
  try {
    if (await portOpen(port)) throw new Error(`port ${port} is in use: pass --port with a free one`)
    for (let i = 0; i < 100 && !(await portOpen(port)); i++) {
      if (sim.exitCode !== null) throw new Error(`the simulator exited (code ${sim.exitCode})`)
      await sleep(100)
    }
    const path = protocol === 'polygon' ? '/crypto' : protocol === 'wallex' ? '/ws' : '/connection/websocket'
    let received = 0
    const symbols = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'XRPUSDT', 'DOGEUSDT', 'BNBUSDT', 'LTCUSDT', 'DOTUSDT']
    const sockets = Array.from({ length: connections }, (_, i) => {
      const socket = new WebSocket(`ws://127.0.0.1:${port}${path}`)
      const symbol = symbols[i % symbols.length] as string
      socket.on('error', () => undefined) // a slow-consumer disconnect shows as a drop in the samples
      socket.on('open', () => {
        for (const frame of subscribe[protocol]!(symbol)) socket.send(frame)
      })
      // Wallex sends one trade per frame; Polygon batches, so its frames are searched for events.
      socket.on('message', (data) =>
        protocol === 'polygon' ? (received += countOf(data.toString(), marker[protocol]!)) : received++
      )
      return socket
    })
    await sleep(1_500) // connect and settle
    const samples: number[] = []
    for (let s = 0; s < seconds; s++) {
      const before = received
      await sleep(1_000)
      samples.push(received - before)
    }
    for (const socket of sockets) socket.terminate()
    return {
      median: percentile(
        [...samples].sort((a, b) => a - b),
        50
      ),
      samples
    }
  } finally {
    process.off('exit', killSim)
    if (sim.exitCode === null && sim.signalCode === null) {
      const exited = new Promise((resolve) => sim.once('exit', resolve))
      sim.kill('SIGKILL')
      await exited
    }
  }
}

say(
  `simulator throughput: target ${rate.toLocaleString('en-US')} trades/s over ${connections} connections, ${seconds} s each`
)
const results: Record<string, number> = {}
for (const protocol of String(values.protocols).split(',')) {
  const { median, samples } = await measure(protocol)
  results[protocol] = median
  say(
    `${protocol.padEnd(10)} median ${median.toLocaleString('en-US')} trades/s  (per-second: ${samples.map((n) => n.toLocaleString('en-US')).join(', ')})`
  )
}
console.log(JSON.stringify({ bench: 'sim-throughput', rate, connections, seconds, medians: results }))

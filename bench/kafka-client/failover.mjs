// Failover test orchestrator. Steady producer (child process) + two group members (child processes)
// on a 6-partition topic; SIGKILL one member; measure time until the survivor consumes from every
// partition the killed member had been consuming.
// usage: node failover.mjs --client platformatic|confluent --topic T [--runs 3] [--rate 1000]
//        [--session 6000] [--heartbeat 1000] [--protocol classic|consumer] [--static] [--maxwait 90000]
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { args, emit, guard } from './common.mjs'

const a = args()
const client = a.client
const topic = a.topic
const RUNS = Number(a.runs ?? 3)
const RATE = Number(a.rate ?? 1000)
const MAXWAIT = Number(a.maxwait ?? 90_000)
const passthrough = ['session', 'heartbeat', 'protocol'].flatMap(k => a[k] ? [`--${k}`, a[k]] : []).concat(a.static ? ['--static'] : [])
guard(RUNS * (MAXWAIT + 90_000), 'failover')
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

function startChild (file, argv, onLine) {
  const child = spawn(process.execPath, [file, ...argv], { stdio: ['ignore', 'pipe', 'inherit'] })
  createInterface({ input: child.stdout }).on('line', line => {
    try { onLine(JSON.parse(line)) } catch { process.stderr.write(`[${file}] ${line}\n`) }
  })
  return child
}

async function until (pred, ms, what) {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (pred()) return true
    await sleep(50)
  }
  throw new Error(`timed out waiting for ${what}`)
}

async function oneRun (run) {
  const group = `kb-fo-${client}-${process.pid}-${run}`
  const producer = startChild('steady-producer.mjs', ['--client', client, '--topic', topic, '--rate', String(RATE), '--duration', String(Math.ceil((MAXWAIT + 60_000) / 1000))], () => {})
  const state = { A: { ticks: [], parts: [], assigns: [] }, B: { ticks: [], parts: [], assigns: [] } }
  const onLine = ev => {
    const s = state[ev.id]
    if (!s) return
    if (ev.ev === 'tick') s.ticks.push(ev)
    else if (ev.ev === 'part') s.parts.push(ev)
    else if (ev.ev === 'assign') s.assigns.push(ev)
    else if (ev.ev === 'error') process.stderr.write(`member ${ev.id} error: ${ev.msg}\n`)
  }
  const common = ['--client', client, '--topic', topic, '--group', group, ...passthrough]
  const A = startChild('failover-member.mjs', [...common, '--id', 'A'], onLine)
  await until(() => state.A.parts.length > 0, 60_000, 'member A to consume')
  const B = startChild('failover-member.mjs', [...common, '--id', 'B'], onLine)
  // Stable split: both members consuming, disjoint partition sets covering all 6, for 3 consecutive ticks.
  const lastTicks = (s, n) => s.ticks.slice(-n)
  const stable = () => {
    const ta = lastTicks(state.A, 3); const tb = lastTicks(state.B, 3)
    if (ta.length < 3 || tb.length < 3) return false
    const pa = new Set(ta.flatMap(t => t.parts)); const pb = new Set(tb.flatMap(t => t.parts))
    if (!pa.size || !pb.size) return false
    for (const p of pa) if (pb.has(p)) return false
    return pa.size + pb.size === 6
  }
  await until(stable, 60_000, 'a stable 2-member split')
  const victimParts = [...new Set(lastTicks(state.B, 3).flatMap(t => t.parts))].sort()
  const survivorParts = [...new Set(lastTicks(state.A, 3).flatMap(t => t.parts))].sort()
  const t0 = Date.now()
  B.kill('SIGKILL')
  let result
  try {
    await until(() => victimParts.every(p => state.A.parts.some(e => e.p === p && e.t > t0)), MAXWAIT, 'survivor to take over')
    const firsts = victimParts.map(p => state.A.parts.find(e => e.p === p && e.t > t0).t - t0)
    const assign = state.A.assigns.find(e => e.t > t0)
    result = {
      run, victimParts, survivorParts,
      failoverMs: Math.max(...firsts), firstPartitionMs: Math.min(...firsts),
      survivorReassignedMs: assign ? assign.t - t0 : null
    }
  } catch (e) {
    result = { run, victimParts, survivorParts, failoverMs: null, error: String(e.message) }
  }
  A.kill('SIGTERM'); producer.kill('SIGTERM')
  await sleep(500)
  A.kill('SIGKILL'); producer.kill('SIGKILL')
  return result
}

const runs = []
for (let i = 1; i <= RUNS; i++) {
  const r = await oneRun(i)
  process.stderr.write(`failover ${client} run ${i}: ${JSON.stringify(r)}\n`)
  runs.push(r)
}
const vals = runs.map(r => r.failoverMs).filter(x => x !== null).sort((x, y) => x - y)
emit({
  test: 'failover', client, protocol: a.protocol ?? 'classic', session: Number(a.session ?? 6000), heartbeat: Number(a.heartbeat ?? 1000), static: !!a.static,
  medianMs: vals.length ? vals[Math.floor(vals.length / 2)] : null, runs
})
process.exit(0)

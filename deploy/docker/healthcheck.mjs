// The container healthcheck of every tickbridge role (Dockerfile HEALTHCHECK; compose reuses it).
//
//   node healthcheck.mjs [target …]
//
// A target is an http(s) URL (healthy on a 2xx answer) or tcp://host:port (healthy when it accepts a
// connection, for the simulator, which has no /healthz). Without a target it probes the process's own
// /healthz: METRICS_PORT (feeds and bridges), then HUB_PORT (the hub). Exit code 0 = healthy, 1 = not.
import { connect } from 'node:net'

const TIMEOUT_MS = 3000

// Not application code: it runs beside the process in its container and reads the same variables.
const { METRICS_PORT = '9400', HUB_PORT = '8700' } = process.env

function ownHealthz() {
  const ports = [METRICS_PORT, HUB_PORT].filter((port) => port && port !== '0')
  return ports.map((port) => `http://127.0.0.1:${port}/healthz`)
}

function probeTcp(target) {
  const { hostname, port } = new URL(target)
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port), timeout: TIMEOUT_MS })
    const done = (healthy) => {
      socket.destroy()
      resolve(healthy)
    }
    socket.once('connect', () => done(true))
    socket.once('timeout', () => done(false))
    socket.once('error', () => done(false))
  })
}

async function probeHttp(target) {
  try {
    const response = await fetch(target, { signal: AbortSignal.timeout(TIMEOUT_MS) })
    return response.ok
  } catch {
    return false
  }
}

const targets = process.argv.length > 2 ? process.argv.slice(2) : ownHealthz()
for (const target of targets) {
  if (await (target.startsWith('tcp://') ? probeTcp(target) : probeHttp(target))) process.exit(0)
}
console.error(`unhealthy: no healthy answer from ${targets.join(', ')}`)
process.exit(1)

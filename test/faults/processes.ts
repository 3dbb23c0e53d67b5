import { spawn, type ChildProcess } from 'node:child_process'
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { projectRoot } from '../../src/config/load.ts'
import type { Runtime } from './runtime.ts'

/**
 * A tickbridge process of a fault run (`bridge`, `hub`, `sim --serve`, `feed`), started from the run's copy of
 * the CLI with its output appended to a log file (kept as evidence). It can be killed with SIGKILL and started
 * again with the same instance id, metrics port and arguments; every exit is recorded with its cause.
 */
export interface ExitRecord {
  at: number
  code: number | null
  signal: NodeJS.Signals | null
  /** True when the run killed it on purpose (SIGKILL of a fault, or the end of the scenario). */
  expected: boolean
  /** Why it ended: the fault that killed it, or the last error line of its log. */
  reason: string
}

const live = new Set<ChildProcess>()
let exitHookInstalled = false

/** Whatever happens to the test process, no child of it is left running. */
function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL')
  })
}

export class RoleProcess {
  readonly name: string
  readonly args: string[]
  readonly env: Record<string, string>
  readonly logFile: string
  /** Where its /metrics, /healthz and /readyz are (bridges, feeds, hub), or null. */
  readonly metricsUrl: string | null
  readonly exits: ExitRecord[] = []
  starts = 0
  #runtime: Runtime
  #child: ChildProcess | null = null
  #exited: Promise<void> = Promise.resolve()
  #expectExit: string | null = null
  #logOffset = 0

  constructor(options: {
    runtime: Runtime
    name: string
    args: string[]
    env: Record<string, string>
    logFile: string
    metricsUrl: string | null
  }) {
    this.#runtime = options.runtime
    this.name = options.name
    this.args = options.args
    this.env = options.env
    this.logFile = options.logFile
    this.metricsUrl = options.metricsUrl
  }

  get pid(): number | undefined {
    return this.#child?.pid
  }

  get alive(): boolean {
    return this.#child !== null && this.#child.exitCode === null && this.#child.signalCode === null
  }

  start(): this {
    if (this.alive) throw new Error(`${this.name} is already running`)
    installExitHook()
    mkdirSync(dirname(this.logFile), { recursive: true })
    appendFileSync(
      this.logFile,
      `--- ${new Date().toISOString()} start #${this.starts + 1}: ${this.args.join(' ')}\n`
    )
    this.#logOffset = readFileSync(this.logFile).length
    const out = openSync(this.logFile, 'a')
    try {
      const child = spawn(process.execPath, [this.#runtime.cli, ...this.args], {
        cwd: projectRoot,
        env: { ...process.env, LOG_PRETTY: 'false', ...this.env },
        stdio: ['ignore', out, out]
      })
      this.#child = child
      live.add(child)
      this.#expectExit = null
      this.#exited = new Promise((resolve) =>
        child.once('exit', (code, signal) => {
          live.delete(child)
          const expected = this.#expectExit !== null
          this.exits.push({
            at: Date.now(),
            code,
            signal,
            expected,
            reason: this.#expectExit ?? this.lastErrorLine() ?? `exit code ${code} signal ${signal}`
          })
          resolve()
        })
      )
    } finally {
      closeSync(out)
    }
    this.starts++
    return this
  }

  /** kill -9, and wait until it is gone. */
  async kill9(reason: string): Promise<void> {
    if (!this.alive) return
    this.#expectExit = reason
    this.#child?.kill('SIGKILL')
    await this.#exited
  }

  /** SIGTERM (drain), then SIGKILL after `timeoutMs`. */
  async stop(reason: string, timeoutMs = 20_000): Promise<void> {
    if (!this.alive) return
    this.#expectExit = reason
    this.#child?.kill('SIGTERM')
    const timedOut = await Promise.race([
      this.#exited.then(() => false),
      sleep(timeoutMs, undefined, { ref: false }).then(() => true)
    ])
    if (timedOut) this.#child?.kill('SIGKILL')
    await this.#exited
  }

  /** Exits the run did not ask for. */
  get unexpectedExits(): ExitRecord[] {
    return this.exits.filter((e) => !e.expected)
  }

  /** This start's log text (since the last start). */
  output(): string {
    if (!existsSync(this.logFile)) return ''
    return readFileSync(this.logFile).subarray(this.#logOffset).toString()
  }

  /** The last pino line at error level or above of this start (msg, and the error's message), if any. */
  lastErrorLine(): string | null {
    const lines = this.output().trimEnd().split('\n').reverse()
    for (const line of lines) {
      try {
        const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } }
        if ((entry.level ?? 0) >= 50)
          return [entry.msg, entry.err?.message].filter(Boolean).join(': ') || line.slice(0, 300)
      } catch {
        if (/error|Error/.test(line)) return line.slice(0, 300) // a stack trace or the CLI's "error [TB_…]"
      }
    }
    return null
  }

  async readyz(): Promise<number | null> {
    if (!this.metricsUrl) return null
    try {
      const response = await fetch(`${this.metricsUrl}/readyz`, { signal: AbortSignal.timeout(2_000) })
      await response.arrayBuffer()
      return response.status
    } catch {
      return null
    }
  }

  async metrics(): Promise<string | null> {
    if (!this.metricsUrl) return null
    try {
      const response = await fetch(`${this.metricsUrl}/metrics`, { signal: AbortSignal.timeout(3_000) })
      return response.ok ? await response.text() : null
    } catch {
      return null
    }
  }
}

/** Sum of the samples of `name` in Prometheus text whose labels include every `labels` pair. */
export function metricSum(text: string | null, name: string, labels: Record<string, string> = {}): number {
  if (!text) return 0
  let sum = 0
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line)
    if (!match || match[1] !== name) continue
    const labelText = match[2] ?? ''
    if (Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`))) sum += Number(match[3])
  }
  return sum
}

/** Kills every process still running (SIGKILL), for the cleanup of a scenario that failed half-way. */
export async function killEvery(processes: RoleProcess[], reason: string): Promise<void> {
  await Promise.all(processes.map((p) => p.kill9(reason)))
}

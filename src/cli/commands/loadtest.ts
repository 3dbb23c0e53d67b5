import type { Command } from 'commander'
import { ErrorCodes, TickbridgeError } from '../../errors.ts'
import { runLoadTest, type LoadTestResult } from '../../ops/loadtest.ts'
import { defaultHubUrl } from '../../ops/snapshot.ts'
import { LoadTypes, type LoadType } from '../../sim/load-messages.ts'
import { LoadClients, parseLoadClient } from '../../sim/kcat-sender.ts'
import { parseVia } from '../../sim/load-transport.ts'
import { wholeNumber } from '../arguments.ts'
import { cliContext } from '../context.ts'
import { formatTable, printResult } from '../output.ts'
import { formatCount, ProgressLine, progressBar } from '../progress-line.ts'

/** `tickbridge loadtest`: the scaling guide's load test against the running pipeline; exit 1 when any message is missing. */
export function registerLoadTestCommand(program: Command): void {
  program
    .command('loadtest')
    .description(
      'send N canonical messages at a rate into the running pipeline and measure when all are queryable in ClickHouse (exit 1 if any is missing)'
    )
    .option('-n, --messages <n>', 'messages to send', wholeNumber('--messages', 1), 100_000)
    .option('-r, --rate <msgPerSec>', 'target rate', wholeNumber('--rate', 1), 50_000)
    .option('--via <transport>', 'kafka | nats', 'kafka')
    .option(
      '--load-client <client>',
      `who produces to Kafka: ${LoadClients.join(' | ')} (auto: kcat where installed, else this process)`,
      'auto'
    )
    .option('--types <list>', `message types, round-robin: ${LoadTypes.join(', ')}`, 'trade')
    .option(
      '--symbols <n>',
      'distinct symbols (keys) to spread over partitions',
      wholeNumber('--symbols', 1),
      24
    )
    .option(
      '--timeout <seconds>',
      'how long to wait for the last rows after the last send',
      wholeNumber('--timeout', 1),
      60
    )
    .option('--hub <url>', 'hub URL for the per-instance share (default HUB_URL)')
    .option('--json', 'print JSON')
    .action(
      async (options: {
        messages: number
        rate: number
        via: string
        loadClient: string
        types: string
        symbols: number
        timeout: number
        hub?: string
        json?: boolean
      }) => {
        const { config } = cliContext()
        const via = parseVia(options.via)
        const loadClient = parseLoadClient(options.loadClient)
        const types = parseTypes(options.types)
        const line = new ProgressLine()
        const abort = new AbortController()
        const stop = () => abort.abort()
        process.once('SIGINT', stop).once('SIGTERM', stop)
        let phase = ''
        try {
          const result = await runLoadTest(
            config,
            {
              messages: options.messages,
              rate: options.rate,
              via,
              loadClient,
              types,
              symbols: options.symbols,
              timeoutMs: options.timeout * 1000,
              hubUrl: options.hub ?? (config.hub.url || defaultHubUrl(config)),
              signal: abort.signal
            },
            (p) => {
              if (p.phase !== phase && phase !== '') line.done()
              phase = p.phase
              const done = p.phase === 'sending' ? p.sent : p.queryable
              line.update(
                `${p.phase === 'sending' ? 'sending  ' : 'waiting  '} ${progressBar(done / p.total)} ` +
                  `sent ${formatCount(p.sent)}/${formatCount(p.total)}` +
                  (p.phase === 'sending'
                    ? ` (${formatCount(p.sent / Math.max(0.001, p.elapsedMs / 1000))} msg/s)`
                    : '') +
                  `, queryable ${formatCount(p.queryable)}, ${(p.elapsedMs / 1000).toFixed(1)} s`
              )
            }
          )
          line.done()
          printResult(result, options.json === true, () => summary(result))
          if (!result.passed) process.exitCode = 1
        } finally {
          process.off('SIGINT', stop).off('SIGTERM', stop)
        }
      }
    )
}

function parseTypes(list: string): LoadType[] {
  const types = [
    ...new Set(
      list
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean)
    )
  ]
  const unknown = types.filter((t) => !(LoadTypes as readonly string[]).includes(t))
  if (types.length === 0 || unknown.length > 0)
    throw new TickbridgeError(
      ErrorCodes.INVALID_ARGUMENT,
      `--types takes ${LoadTypes.join(', ')} (comma-separated), got "${list}"`,
      { hint: 'For example --types trade,depth.' }
    )
  return types as LoadType[]
}

const ms = (n: number) => (Number.isFinite(n) ? `${n} ms` : '-')

function summary(r: LoadTestResult): string {
  const reached = r.rate / r.targetRate
  const lines = [
    `loadtest ${r.runId}: ${formatCount(r.messages)} messages (${r.types.join(', ')}) via ${r.via}${r.via === 'kafka' ? ` (${r.loadClient})` : ''}, target ${formatCount(r.targetRate)} msg/s`,
    `sent          ${formatCount(r.sent)} in ${r.sendSeconds.toFixed(2)} s = ${formatCount(r.rate)} msg/s (${Math.round(reached * 100)} % of the target), the last acknowledged at ${r.ackSeconds.toFixed(2)} s` +
      (reached < 0.97 ? ' — THE PRODUCER DID NOT REACH THE TARGET' : ''),
    r.missing === 0 && r.allQueryableSeconds !== null
      ? `queryable     all ${formatCount(r.queryable)} after ${r.allQueryableSeconds.toFixed(2)} s (${(r.afterLastSendSeconds ?? 0).toFixed(2)} s after the last send)`
      : `queryable     ${formatCount(r.queryable)} of ${formatCount(r.messages)}: MISSING ${formatCount(r.missing)}`,
    `recv_ts -> queryable  p50 ${ms(r.latencyMs.p50)}, p90 ${ms(r.latencyMs.p90)}, p99 ${ms(r.latencyMs.p99)}, max ${ms(r.latencyMs.max)}`,
    ''
  ]
  if (r.shares.length === 0) lines.push('per instance: unknown (no partition owners found)')
  else if (r.sharesFrom === 'nats-heartbeats') {
    lines.push(
      "per instance (NATS has no partitions: messages each bridge received from NATS during the run, the growth of its heartbeats' natsMessages; redeliveries and anything else published on the stream meanwhile count too):"
    )
    lines.push(
      formatTable(
        r.shares.map((s) => ({
          instance: s.instanceId,
          'nats messages': formatCount(s.messages),
          share: `${s.share.toFixed(1)} %`
        }))
      )
    )
    if (r.assignmentChanged)
      lines.push('bridges reading NATS joined or left during the run: shares are approximate')
  } else {
    lines.push(
      `per instance (partition owners from the ${r.sharesFrom === 'hub' ? "hub's instance list" : 'consumer group'}):`
    )
    lines.push(
      formatTable(
        r.shares.map((s) => ({
          instance: s.instanceId,
          partitions: s.partitions,
          messages: formatCount(s.messages),
          share: `${s.share.toFixed(1)} %`
        }))
      )
    )
    if (r.unowned > 0)
      lines.push(`${formatCount(r.unowned)} messages went to partitions nobody owned at the start`)
    if (r.assignmentChanged)
      lines.push('the partition assignment changed during the run: shares are approximate')
  }
  lines.push(
    '',
    r.passed ? 'PASSED: every message is queryable' : `FAILED: ${formatCount(r.missing)} messages missing`
  )
  return lines.join('\n')
}

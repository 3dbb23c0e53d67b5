import type { Command } from 'commander'
import { createClickHouse } from '../../clickhouse/client.ts'
import { InvalidQueryInput, parseTimeArgument } from '../../core/market-query.ts'
import { rebuildCandles } from '../../ops/candle-rebuild.ts'
import { parseArguments } from '../arguments.ts'
import { cliContext, progress } from '../context.ts'
import { formatTable, printResult } from '../output.ts'

interface RebuildOptions {
  from: string
  to: string
  exchange?: string
  symbol?: string
  json?: boolean
}

/** `tickbridge candles rebuild --from -2h`: recompute candles from the trades, as the bridges do. */
export function registerCandlesCommand(program: Command): void {
  const candles = program.command('candles').description('candles computed from trades')
  candles
    .command('rebuild')
    .description(
      'recompute every candle (10s to 1d) of the trades in a time range from the deduplicated trades; safe to repeat'
    )
    .option('--from <time>', 'start: ISO time, epoch ms, now, or relative like -5m, -2h, -1d', '-1h')
    .option('--to <time>', 'end (inclusive), same forms as --from', 'now')
    .option('-e, --exchange <exchange>', 'only this exchange')
    .option('-s, --symbol <symbol>', 'only this symbol')
    .option('--json', 'print JSON')
    .action(async (options: RebuildOptions) => {
      const { config } = cliContext()
      const window = parseArguments(() => {
        const now = Date.now()
        const fromMs = parseTimeArgument(options.from, now)
        const toMs = parseTimeArgument(options.to, now)
        if (fromMs > toMs) throw new InvalidQueryInput(`--from ${options.from} is after --to ${options.to}`)
        return {
          fromMs,
          toMs,
          ...(options.exchange === undefined ? {} : { exchange: options.exchange }),
          ...(options.symbol === undefined ? {} : { symbol: options.symbol })
        }
      }, 'See `tickbridge candles rebuild --help`.')
      const client = createClickHouse(config.clickhouse)
      try {
        const { scopes } = await rebuildCandles(
          client,
          config.clickhouse.database,
          config.clickhouse.cluster,
          window,
          (scope, done, total) => progress(`[${done}/${total}] ${scope.exchange} ${scope.symbol}`)
        )
        const rows = scopes.map((s) => ({
          exchange: s.exchange,
          symbol: s.symbol,
          from: new Date(s.fromTs).toISOString(),
          to: new Date(s.toTs).toISOString()
        }))
        printResult({ rebuilt: rows }, options.json === true, () =>
          rows.length === 0
            ? 'no trades in that time range: nothing to rebuild'
            : `${formatTable(rows)}\n\ncandles rebuilt for ${rows.length} exchange:symbol pairs`
        )
      } finally {
        await client.close()
      }
    })
}

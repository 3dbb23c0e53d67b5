import { isTickbridgeError } from '../errors.ts'

/** A plain aligned text table: what the CLI prints unless --json is given. */
export function formatTable(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return '(none)'
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))]
  const cell = (value: unknown) => (value === null || value === undefined ? '-' : String(value))
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((row) => cell(row[c]).length)))
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd()
  return [
    line(columns.map((c) => c.toUpperCase())),
    ...rows.map((row) => line(columns.map((c) => cell(row[c]))))
  ].join('\n')
}

export function printResult(value: unknown, json: boolean, table: () => string): void {
  console.log(
    json ? JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) : table()
  )
}

/** Prints an error the way a user can act on it: what went wrong, then what to do. */
export function printError(error: unknown): void {
  if (isTickbridgeError(error)) {
    console.error(`error [${error.code}]: ${error.message}`)
    if (error.hint) console.error(`  → ${error.hint}`)
  } else {
    console.error(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
  }
}

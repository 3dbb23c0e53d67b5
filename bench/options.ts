import { readFileSync } from 'node:fs'
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util'

/**
 * A benchmark's command line (node's parseArgs, strict), plus `--help`: both print the benchmark's own header
 * comment (what it measures and its usage line) — `--help` on stdout, an unknown or malformed option on stderr
 * after one line naming it, with exit code 2 instead of a stack trace.
 */
export function benchOptions<const O extends ParseArgsOptionsConfig>(options: O) {
  const args = process.argv.slice(2)
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${description()}\n`)
    process.exit(0)
  }
  try {
    return parseArgs({ options, strict: true }).values
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${description()}\n`)
    process.exit(2)
  }
}

/** The running script's first doc comment, without its `*` margins. */
function description(): string {
  const file = process.argv[1]
  const text = file ? readFileSync(file, 'utf8') : ''
  const comment = /\/\*\*([\s\S]*?)\*\//.exec(text)?.[1] ?? ''
  return comment
    .split('\n')
    .map((line) => line.replace(/^\s*\* ?/, ''))
    .join('\n')
    .trim()
}

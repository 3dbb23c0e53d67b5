import { createInterface } from 'node:readline/promises'
import { ErrorCodes, TickbridgeError } from '../errors.ts'

/**
 * Asks before a destructive command. `--yes` skips the question; without a terminal to ask on (scripts, CI)
 * and without `--yes` the command refuses rather than guess.
 */
export async function confirmOrRefuse(
  question: string,
  options: { yes: boolean; command: string }
): Promise<boolean> {
  if (options.yes) return true
  if (!process.stdin.isTTY) {
    throw new TickbridgeError(ErrorCodes.COMMAND_FAILED, `refusing to ${question} without confirmation`, {
      hint: `Nobody can answer on this terminal; run \`${options.command} --yes\` to go ahead.`
    })
  }
  const prompt = createInterface({ input: process.stdin, output: process.stderr })
  try {
    const answer = await prompt.question(`${question}? [y/N] `)
    return /^y(es)?$/i.test(answer.trim())
  } finally {
    prompt.close()
  }
}

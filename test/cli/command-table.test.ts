import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Command } from 'commander'
import { COMMANDS } from '../../src/cli/command-table.ts'

test('the lazy command table names exactly the commands each module registers, each once', async () => {
  const seen = new Set<string>()
  for (const [names, load] of COMMANDS) {
    const program = new Command()
    ;(await load())(program)
    assert.deepEqual(
      program.commands.map((c) => c.name()).sort(),
      [...names].sort(),
      `the table's entry for ${names.join(', ')} against what its module registers`
    )
    for (const name of names) {
      assert.ok(!seen.has(name), `${name} is in the table twice`)
      seen.add(name)
    }
  }
})

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { openSync, closeSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'

const logger = join(import.meta.dirname, '..', 'src', 'logger.js')

test('logs written to a full disk (/dev/full: ENOSPC) are dropped; the process goes on', () => {
  const full = openSync('/dev/full', 'w')
  try {
    const child = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { createLogger } = await import(${JSON.stringify(logger)})
         const log = createLogger({ level: 'info', pretty: false })
         for (let i = 0; i < 1000; i++) log.info({ i }, 'a line the disk cannot take')
         await new Promise((resolve) => setTimeout(resolve, 200))
         log.info('still logging')
         await new Promise((resolve) => setTimeout(resolve, 200))
         process.stderr.write('alive after the failed writes')`
      ],
      { stdio: ['ignore', full, 'pipe'], encoding: 'utf8', timeout: 20_000 }
    )
    assert.equal(child.status, 0, `exit ${child.status}: ${child.stderr}`)
    assert.match(child.stderr, /alive after the failed writes$/)
  } finally {
    closeSync(full)
  }
})

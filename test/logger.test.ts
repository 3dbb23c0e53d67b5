import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { openSync, closeSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'

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

test('a log reader that stalls (a full pipe) does not block the process', async () => {
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const { createLogger } = await import(${JSON.stringify(logger)})
       const log = createLogger({ level: 'info', pretty: false })
       for (let i = 0; i < 10000; i++) log.info({ i, pad: 'x'.repeat(200) }, 'more than the pipe holds')
       process.stderr.write('went on')
       process.exit(0)`
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] }
  )
  child.stdout.pause() // nobody reads: the pipe fills after ~64 KiB
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = once(child, 'exit')
  const stalled = sleep(15_000).then(() => 'stalled')
  const outcome = await Promise.race([exited, stalled])
  child.kill('SIGKILL')
  assert.notEqual(outcome, 'stalled', 'the child blocked on its full stdout')
  assert.match(stderr, /went on$/)
})

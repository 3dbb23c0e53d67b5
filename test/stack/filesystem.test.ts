import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { filesystemOf, journalLessWarning, parseMountInfoLine } from '../../src/stack/filesystem.ts'

/** A /proc of our own: a root ext4 without a journal (vda), a journaled ext4 (loop0) and a tmpfs under `dir`. */
function fakeProc(dir: string): string {
  const proc = join(dir, 'proc')
  for (const sub of ['self', 'fs/ext4/vda', 'fs/ext4/loop0', 'fs/jbd2/loop0-8', 'fs/jbd2/sda1-8'])
    mkdirSync(join(proc, sub), { recursive: true })
  writeFileSync(
    join(proc, 'self', 'mountinfo'),
    [
      '22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,discard',
      `40 22 7:0 / ${dir}/journaled rw,relatime shared:20 - ext4 /dev/loop0 rw`,
      `41 22 0:50 / ${dir}/in\\040memory rw,relatime shared:21 - tmpfs tmpfs rw,size=4194304k`,
      ''
    ].join('\n')
  )
  return proc
}

test('filesystemOf: the mount a path is on, and whether an ext4 keeps a journal', (t) => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'tb-fs-')))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const proc = fakeProc(dir)
  mkdirSync(join(dir, 'journaled', 'clickhouse'), { recursive: true })
  mkdirSync(join(dir, 'in memory'), { recursive: true })

  assert.deepEqual(filesystemOf(join(dir, 'plain', 'not-yet', 'data'), proc), {
    mountPoint: '/',
    type: 'ext4',
    source: '/dev/vda',
    journaled: false
  })
  assert.deepEqual(filesystemOf(join(dir, 'journaled', 'clickhouse', 'data'), proc), {
    mountPoint: `${dir}/journaled`,
    type: 'ext4',
    source: '/dev/loop0',
    journaled: true
  })
  assert.deepEqual(filesystemOf(join(dir, 'in memory', 'x'), proc), {
    mountPoint: `${dir}/in memory`,
    type: 'tmpfs',
    source: 'tmpfs'
  })
  assert.equal(filesystemOf('/anything', join(dir, 'no-proc')), null, 'no /proc: not known')
})

test('journalLessWarning: only for ext4 known to have no journal', () => {
  const warning = journalLessWarning('/home/u/.tickbridge/clickhouse/data/', {
    mountPoint: '/',
    type: 'ext4',
    source: '/dev/vda',
    journaled: false
  })
  assert.match(warning ?? '', /without a journal \(\/dev\/vda on \/\)/)
  assert.match(warning ?? '', /TICKBRIDGE_HOME/)
  const quiet = [
    { mountPoint: '/', type: 'ext4', source: '/dev/sda1', journaled: true },
    { mountPoint: '/', type: 'ext4', source: '/dev/mapper/root' }, // journal not known
    { mountPoint: '/', type: 'xfs', source: '/dev/nvme0n1p2' }
  ]
  for (const info of quiet) assert.equal(journalLessWarning('/data', info), null, JSON.stringify(info))
})

test('parseMountInfoLine: optional fields and escaped spaces', () => {
  assert.deepEqual(
    parseMountInfoLine(
      '36 35 98:0 /mnt1 /mnt/my\\040disk rw,noatime master:1 shared:2 - xfs /dev/root rw,errors=continue'
    ),
    { mountPoint: '/mnt/my disk', type: 'xfs', source: '/dev/root' }
  )
  assert.equal(parseMountInfoLine(''), null)
})

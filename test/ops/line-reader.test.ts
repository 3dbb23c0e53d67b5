import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { gzipSync } from 'node:zlib'
import { LineReader } from '../../src/ops/line-reader.ts'

async function readAll(path: string): Promise<{ lines: string[]; bytes: number }> {
  const reader = new LineReader(path)
  const lines: string[] = []
  for await (const chunk of reader.lines()) lines.push(...chunk)
  return { lines, bytes: reader.bytesRead }
}

test('lines across chunks, CRLF, a byte-order mark, multi-byte characters and no final newline; .gz too', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-lines-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  // > 256 KB so lines and a multi-byte character straddle chunk boundaries
  const expected = Array.from({ length: 20_000 }, (_, i) => `line ${i} € ${'x'.repeat(i % 17)}`)
  const text = `\uFEFF${expected.join('\r\n')}`
  writeFileSync(join(dir, 'a.csv'), text)
  writeFileSync(join(dir, 'a.csv.gz'), gzipSync(text))

  const plain = await readAll(join(dir, 'a.csv'))
  assert.deepEqual(plain.lines, expected)
  assert.equal(plain.bytes, Buffer.byteLength(text))
  const gz = await readAll(join(dir, 'a.csv.gz'))
  assert.deepEqual(gz.lines, expected)
  assert.equal(gz.bytes, gzipSync(text).length)
})

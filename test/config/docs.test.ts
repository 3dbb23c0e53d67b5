import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { test } from 'node:test'
import { renderConfigurationDoc, settingsTable, typeText } from '../../src/config/docs-table.ts'
import { projectRoot } from '../../src/config/load.ts'
import { settings, type SettingDefinition } from '../../src/config/settings/index.ts'

const read = (path: string) => readFileSync(resolve(projectRoot, path), 'utf8')

test('docs/configuration.md shows the tables the setting definitions render (else: npm run docs:config)', () => {
  const page = read('docs/configuration.md')
  const rendered = renderConfigurationDoc(page)
  if (rendered !== page) {
    const have = page.split('\n')
    const want = rendered.split('\n')
    const line = want.findIndex((text, i) => text !== have[i])
    assert.fail(
      `docs/configuration.md is out of date with src/config/settings/: run \`npm run docs:config\`.\n` +
        `first difference, line ${line + 1}:\n  page:     ${have[line]}\n  rendered: ${want[line]}`
    )
  }
})

test('a table lists each variable of its group with type, default, description and readers', () => {
  const table = settingsTable('bridge').split('\n')
  const low = table.find((row) => row.startsWith('| `BUFFER_LOW_WATERMARK` |'))
  assert.equal(
    low,
    '| `BUFFER_LOW_WATERMARK` | number, 0 ≤ x < 1, below `BUFFER_HIGH_WATERMARK` | `0.4` | At or below this ' +
      'fraction, resume (`BACKPRESSURE RELEASED`). | `bridge` |'
  )
  assert.ok(table.some((row) => row.startsWith('| `INSTANCE_ORDINAL` | integer ≥ 0 | *(unset)* |')))
  assert.equal(typeText({ type: 'integer', minimum: 1, maximum: 65535 }), 'integer 1–65535')
  assert.equal(typeText({ type: 'number', exclusiveMinimum: 0, maximum: 1 }), 'number, 0 < x ≤ 1')
  assert.equal(typeText({ type: 'string', enum: ['auto', 'true', 'false'] }), '`auto`, `true` or `false`')
})

test('a page without the markers of a group is refused, naming the group', () => {
  assert.throws(
    () => renderConfigurationDoc('# Configuration\n'),
    /no settings table for where, stack, topics/
  )
})

test('.env.example lists every variable, and only those, with its default', () => {
  const example = new Map<string, string>()
  for (const line of read('.env.example').split('\n')) {
    const match = /^#?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line)
    if (match) example.set(match[1] ?? '', match[2] ?? '')
  }
  assert.deepEqual([...example.keys()].sort(), Object.keys(settings).sort())
  for (const [name, setting] of Object.entries<SettingDefinition>(settings)) {
    const fallback = setting.schema.default
    // Computed defaults ('' in the schema) and unset values may be shown as an example instead.
    if (fallback === undefined || fallback === '') continue
    assert.equal(example.get(name), String(fallback), `${name} in .env.example`)
  }
})

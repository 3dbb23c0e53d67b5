/**
 * `npm run docs:config`: rewrites the settings tables of docs/configuration.md from the setting definitions
 * (the prose around them is left as it is). Run it after changing anything in src/config/settings/.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { renderConfigurationDoc } from './docs-table.ts'
import { projectRoot } from './load.ts'

const page = resolve(projectRoot, 'docs/configuration.md')
const before = readFileSync(page, 'utf8')
const after = renderConfigurationDoc(before)
if (after === before) console.log('docs/configuration.md is up to date')
else {
  writeFileSync(page, after)
  console.log('docs/configuration.md: settings tables rewritten')
}

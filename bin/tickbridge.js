#!/usr/bin/env node
// Thin launcher: the CLI is compiled from src/cli by `npm run build`.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const entry = new URL('../dist/src/cli/main.js', import.meta.url)
if (!existsSync(fileURLToPath(entry))) {
  console.error(
    'tickbridge is not built yet: run `npm run build` (or `npm run setup`) in the project directory.'
  )
  process.exit(1)
}
await import(entry.href)

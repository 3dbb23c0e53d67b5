#!/usr/bin/env node
// Thin launcher: checks the runtime, then runs the CLI compiled from src/cli by `npm run build`.
import { existsSync } from 'node:fs'
import { enableCompileCache } from 'node:module'
import { fileURLToPath } from 'node:url'

// Kept in step with "engines" in package.json and docs/decisions/runtime.md.
const REQUIRED_MAJOR = 24
const major = Number(process.versions.node.split('.')[0])
if (major < REQUIRED_MAJOR) {
  const pinned = fileURLToPath(new URL('../node_modules/.bin/node', import.meta.url))
  const how = existsSync(pinned)
    ? `This project pins Node.js ${REQUIRED_MAJOR} as an npm dependency: run \`npx tickbridge …\`, \`npm start\` or ` +
      `\`npm test\` in the project directory (npm puts the pinned node first on the PATH), or ` +
      `\`${pinned} bin/tickbridge.js …\`.`
    : `Run \`npm ci\` in the project directory (it installs the pinned Node.js ${REQUIRED_MAJOR} on Linux x64/arm64), ` +
      `or install Node.js ${REQUIRED_MAJOR} LTS.`
  console.error(
    `tickbridge needs Node.js ${REQUIRED_MAJOR} or newer; this is Node.js ${process.versions.node} (${process.execPath}).\n${how}`
  )
  process.exit(1)
}

// V8's code cache for the modules loaded below (in the OS temp dir, keyed by Node version and file content):
// a process start costs ~0.1 CPU-s less (0.66 -> 0.56 s to load a bridge, measured), which every `tickbridge`
// command and every bridge of a drain pays. NODE_COMPILE_CACHE chooses the directory; NODE_DISABLE_COMPILE_CACHE=1 turns it off.
enableCompileCache()

const entry = new URL('../dist/src/cli/main.js', import.meta.url)
if (!existsSync(fileURLToPath(entry))) {
  console.error('tickbridge is not built yet: run `npm run build` in the project directory.')
  process.exit(1)
}
await import(entry.href)

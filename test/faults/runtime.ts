import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { projectRoot } from '../../src/config/load.ts'

/**
 * A private copy of the compiled project for the child processes of a long run (the fault suite, the soak).
 *
 * Other people build in the same working tree while these run (`npm test` starts with `npm run build`,
 * which deletes dist/ and compiles it again for half a minute). A bridge restarted by a fault scenario in
 * that window would fail with "Cannot find module" and the run would report a fault of the build, not of
 * tickbridge. So every process the run starts (`stack up`, bridges, hub, simulator, feed) runs from a copy
 * of dist/ taken once at the start, laid out like the project (its own dist/, package.json, pom.xml, the
 * dashboard page, and node_modules linked), so the CLI's own paths (`cliEntry`, `pom.xml`) resolve inside the copy.
 */
export interface Runtime {
  root: string
  /** `node <cli> <command>` runs the tickbridge CLI of the copy. */
  cli: string
  remove(): void
}

export function snapshotRuntime(prefix: string): Runtime {
  const source = join(projectRoot, 'dist')
  const cliSource = join(source, 'src', 'cli', 'main.js')
  if (!existsSync(cliSource))
    throw new Error(`${cliSource} is missing: compile first (npx tsc -p tsconfig.json)`)
  const root = mkdtempSync(join(tmpdir(), `${prefix}-runtime-`))
  cpSync(join(source, 'src'), join(root, 'dist', 'src'), { recursive: true })
  for (const file of ['package.json', 'pom.xml']) cpSync(join(projectRoot, file), join(root, file))
  // The hub reads its dashboard page from the project's src/ when it starts.
  cpSync(join(projectRoot, 'src', 'hub', 'dashboard'), join(root, 'src', 'hub', 'dashboard'), {
    recursive: true
  })
  symlinkSync(join(projectRoot, 'node_modules'), join(root, 'node_modules'), 'dir')
  return {
    root,
    cli: join(root, 'dist', 'src', 'cli', 'main.js'),
    remove: () => rmSync(root, { recursive: true, force: true })
  }
}

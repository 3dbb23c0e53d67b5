import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ErrorCodes, TickbridgeError } from '../errors.ts'
import { commandExists } from './processes.ts'

/** A Java runtime the local stack fetches from Maven Central: the jars a pom.xml of the project resolves. */
export interface MavenRuntime {
  /** What it is, for messages: `Kafka`, `ZooKeeper`. */
  what: string
  pom: string
  /** Where the jars go (the classpath `<lib>/*`). */
  lib: string
  /** What to do instead, for the hint when Maven is missing. */
  alternative: string
}

/** Resolves the runtime's jars once (Maven copies them into `lib`; later runs reuse them until the pom changes). */
export function installMavenJars(runtime: MavenRuntime, progress: (line: string) => void): void {
  const stamp = join(runtime.lib, '.pom-sha256')
  const pomHash = createHash('sha256').update(readFileSync(runtime.pom)).digest('hex')
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === pomHash) return
  if (!commandExists('mvn')) {
    throw new TickbridgeError(
      ErrorCodes.MAVEN_MISSING,
      `Maven is not installed (needed once, to fetch the ${runtime.what} jars).`,
      { hint: `Install it (Debian: apt-get install -y maven), or ${runtime.alternative}.` }
    )
  }
  progress(`Resolving ${runtime.what} jars from Maven Central (first run only)...`)
  mkdirSync(runtime.lib, { recursive: true })
  const result = spawnSync(
    'mvn',
    [
      '-q',
      '-B',
      '-f',
      runtime.pom,
      'dependency:copy-dependencies',
      `-DoutputDirectory=${runtime.lib}`,
      '-DincludeScope=runtime'
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }
  )
  if (result.status !== 0) {
    throw new TickbridgeError(
      ErrorCodes.START_FAILED,
      `Maven could not resolve the ${runtime.what} jars:\n${(result.stdout + result.stderr).slice(-3000)}`,
      { hint: 'Check that Maven Central is reachable (proxy settings in ~/.m2/settings.xml).' }
    )
  }
  writeFileSync(stamp, pomHash)
  progress(`${runtime.what} jars ready in ${runtime.lib}`)
}

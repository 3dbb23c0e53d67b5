import { randomBytes } from 'node:crypto'
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { Config } from '../config/types.ts'
import { ErrorCodes, TickbridgeError } from '../errors.ts'

/**
 * The shared heartbeat token: HUB_TOKEN when set; else the file HUB_TOKEN_FILE names (a mounted secret); else a
 * random token kept in <home>/hub.token (mode 0600), created on first use, so a local hub and its instances
 * agree with no setup. Never logged.
 */
export function resolveHubToken(config: Config): string {
  if (config.hub.token) return config.hub.token
  const file = hubTokenFile(config)
  if (existsSync(file)) return readFileSync(file, 'utf8').trim()
  if (config.hub.tokenFile) {
    throw new TickbridgeError(ErrorCodes.CONFIG_INVALID, `HUB_TOKEN_FILE ${file} does not exist`, {
      hint: 'Mount the hub token secret at that path, or unset HUB_TOKEN_FILE to use $TICKBRIDGE_HOME/hub.token.'
    })
  }
  mkdirSync(dirname(file), { recursive: true })
  // Written whole under another name, then linked into place: processes starting together (`tickbridge start`)
  // agree on the first one linked, and none reads a half-written file.
  const token = randomBytes(24).toString('base64url')
  const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`
  writeFileSync(draft, `${token}\n`, { mode: 0o600 })
  try {
    linkSync(draft, file)
    return token
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8').trim()
    // A file system without hard links: an exclusive create instead (a racing reader may then see it empty).
    try {
      writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' })
      return token
    } catch (exclusive) {
      if ((exclusive as NodeJS.ErrnoException).code !== 'EEXIST') throw exclusive
      return readFileSync(file, 'utf8').trim()
    }
  } finally {
    rmSync(draft, { force: true })
  }
}

export function hubTokenFile(config: Config): string {
  return config.hub.tokenFile || join(config.stack.home, 'hub.token')
}
